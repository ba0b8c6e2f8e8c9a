"""Folds Gemini chunks into one ``GenerateContentResponse``, and derives the neutral events.

A Gemini stream has no final object and no end event: each chunk adds parts to its candidates
(text, thoughts, function calls, code...), and the stream just ends. The accumulated response
holds, per candidate, the joined parts: consecutive text parts of the same kind (thought or
not) merged into one, function calls whole (Vertex AI's streamed ``partialArgs`` assembled by
their ``jsonPath``), every other part as it came. Thought signatures stay on the part they came
with (two signed text parts are not merged). The finish reason is the last one seen (old
Vertex AI recordings put ``STOP`` on every chunk), the usage the last ``usageMetadata``, and
the citation, grounding and URL context metadata the last non-empty ones.
"""

# The arguments are JSON values walked by `type(x) is list` (see _model.py): pyright's reports
# of unknown types are off here; mypy strict checks the module.
# pyright: reportUnknownMemberType=false, reportUnknownVariableType=false
# pyright: reportUnknownArgumentType=false

from __future__ import annotations

import copy
import json
import re
from typing import Any, Final

from rillet._accumulate._partial import PartialValues
from rillet._accumulate._text import TextBuffer
from rillet._errors import InconsistentStreamError
from rillet.events import (
    Finished,
    NeutralEvent,
    ReasoningDelta,
    TextDelta,
    TextDone,
    ToolCallArgumentsDelta,
    ToolCallDone,
    ToolCallStarted,
    UsageReported,
)
from rillet.events._model import json_to_read, maker
from rillet.gemini._types import (
    Candidate,
    CitationMetadata,
    Content,
    FunctionCall,
    GenerateContentResponse,
    GroundingMetadata,
    Part,
    PartialArg,
    PromptFeedback,
    SafetyRating,
    UrlContextMetadata,
    UsageMetadata,
    neutral_usage,
)

__all__ = ["GeminiAccumulator"]

_text_delta = maker(TextDelta, "text", "choice")
_reasoning_delta = maker(ReasoningDelta, "text", "choice")
_STEP: Final = re.compile(r"\.([^.\[]+)|\[(\d+)\]|\['([^']*)'\]|\[\"([^\"]*)\"\]")


class _Text:
    __slots__ = ("signature", "text", "thought")

    def __init__(self, text: str, *, thought: bool, signature: str | None) -> None:
        self.text = TextBuffer(text)
        self.thought = thought
        self.signature = signature

    def build(self) -> Part:
        return Part(
            text=self.text.value(), thought=True if self.thought else None,
            thought_signature=self.signature,
        )  # fmt: skip


class _Call:
    __slots__ = ("args", "continuing", "id", "index", "name", "open", "signature")

    def __init__(self, call: FunctionCall, index: int, signature: str | None) -> None:
        self.name = call.name or ""
        self.id = call.id
        self.args: dict[str, Any] = copy.deepcopy(call.args) if call.args else {}
        self.signature = signature
        self.index = index
        self.open = True
        self.continuing: str | None = None  # the jsonPath of a string that goes on

    def apply(self, pieces: list[PartialArg]) -> None:
        for piece in pieces:
            path = piece.json_path
            if piece.string_value is not None:
                value: Any = piece.string_value
                if self.continuing == path:
                    value = _get(self.args, path) + value
                _set(self.args, path, value)
                self.continuing = path if piece.will_continue else None
            else:
                if piece.number_value is not None:
                    value = piece.number_value
                elif piece.bool_value is not None:
                    value = piece.bool_value
                else:
                    value = None
                _set(self.args, path, value)
                self.continuing = None

    @property
    def arguments(self) -> str:
        return json.dumps(self.args, ensure_ascii=False)

    def build(self) -> Part:
        call = FunctionCall(name=self.name, args=copy.deepcopy(self.args), id=self.id)
        return Part(function_call=call, thought_signature=self.signature)


def _steps(path: str) -> list[str | int]:
    """The keys of a ``jsonPath`` (``$.a.b[2]`` -> ``["a", "b", 2]``)."""
    if not path.startswith("$"):
        raise _bad_path(path)
    steps: list[str | int] = []
    position = 1
    while position < len(path):
        match = _STEP.match(path, position)
        if match is None:
            raise _bad_path(path)
        name, index, single, double = match.groups()
        steps.append(int(index) if index is not None else name or single or double or "")
        position = match.end()
    if not steps:
        raise _bad_path(path)
    return steps


def _bad_path(path: str) -> InconsistentStreamError:
    reason = f"a partialArgs jsonPath rillet cannot follow: {path!r:.80}"
    return InconsistentStreamError(event_type="gemini.chunk", sequence_number=None, reason=reason)


def _get(root: dict[str, Any], path: str) -> Any:  # noqa: ANN401 - JSON
    value: Any = root
    for step in _steps(path):
        value = value[step]
    return value if type(value) is str else ""


def _set(root: dict[str, Any], path: str, value: object) -> None:
    steps = _steps(path)
    container: Any = root
    for step, after in zip(steps, [*steps[1:], None], strict=True):
        if after is None:
            _put(container, step, value)
            return
        child = _at(container, step)
        if type(child) is not (list if type(after) is int else dict):
            child = [] if type(after) is int else {}
            _put(container, step, child)
        container = child


def _at(container: Any, step: str | int) -> Any:  # noqa: ANN401 - JSON
    if type(container) is list:
        return container[step] if type(step) is int and step < len(container) else None
    return container.get(step)


def _put(container: Any, step: str | int, value: object) -> None:  # noqa: ANN401 - JSON
    if type(container) is list and type(step) is int:
        container.extend([None] * (step + 1 - len(container)))
        container[step] = value
    elif type(container) is dict and type(step) is str:
        container[step] = value
    else:
        raise _bad_path(str(step))


class _Candidate:
    __slots__ = (
        "avg_logprobs",
        "calls",
        "citation_metadata",
        "current",
        "finish_message",
        "finish_reason",
        "grounding_metadata",
        "index",
        "items",
        "role",
        "safety_ratings",
        "text",
        "token_count",
        "url_context_metadata",
    )

    def __init__(self, index: int) -> None:
        self.index = index
        self.role: str | None = None
        self.items: list[_Text | _Call | Part] = []
        self.calls = 0
        self.current: _Call | None = None  # a streamed function call still open
        self.text = TextBuffer()  # the text, thoughts left out
        self.finish_reason: str | None = None
        self.finish_message: str | None = None
        self.safety_ratings: list[SafetyRating] | None = None
        self.citation_metadata: CitationMetadata | None = None
        self.grounding_metadata: GroundingMetadata | None = None
        self.url_context_metadata: UrlContextMetadata | None = None
        self.token_count: int | None = None
        self.avg_logprobs: float | None = None

    def add(self, candidate: Candidate, events: list[NeutralEvent]) -> None:
        content = candidate.content
        if content is not None:
            self.role = content.role or self.role
            for part in content.parts:
                self._part(part, events)
        if candidate.finish_reason is not None:
            self.finish_reason = candidate.finish_reason
        self.finish_message = candidate.finish_message or self.finish_message
        if candidate.safety_ratings:
            self.safety_ratings = candidate.safety_ratings
        if candidate.token_count is not None:
            self.token_count = candidate.token_count
        if candidate.avg_logprobs is not None:
            self.avg_logprobs = candidate.avg_logprobs
        citations, grounding = candidate.citation_metadata, candidate.grounding_metadata
        urls = candidate.url_context_metadata
        if citations is not None and json_to_read(citations):
            self.citation_metadata = citations
        if grounding is not None and json_to_read(grounding):
            self.grounding_metadata = grounding
        if urls is not None and json_to_read(urls):
            self.url_context_metadata = urls

    def _part(self, part: Part, events: list[NeutralEvent]) -> None:
        call = part.function_call
        if call is not None:
            self._call(call, part.thought_signature, events)
            return
        self.close(events)
        text = part.text
        if text is None:
            self.items.append(part)
            return
        signature = part.thought_signature
        if not text and signature is None:
            return  # an empty text part (the usual last one) carries nothing
        thought = bool(part.thought)
        last = self.items[-1] if self.items else None
        if (
            type(last) is _Text
            and last.thought == thought
            and (last.signature is None or signature is None)
        ):
            last.text.append(text)
            last.signature = last.signature or signature
        else:
            self.items.append(_Text(text, thought=thought, signature=signature))
        if text:
            if thought:
                events.append(_reasoning_delta(text, self.index))
            else:
                self.text.append(text)
                events.append(_text_delta(text, self.index))

    def _call(self, call: FunctionCall, signature: str | None, events: list[NeutralEvent]) -> None:
        current = self.current
        if call.name:  # a new call (whole, or the start of a streamed one)
            self.close(events)
            current = _Call(call, self.calls, signature)
            self.calls += 1
            self.items.append(current)
            events.append(ToolCallStarted(index=current.index, id=current.id or "",
                                          name=current.name, choice=self.index))  # fmt: skip
            self.current = current
        elif current is None:
            if call.partial_args or call.args:
                reason = "function call arguments arrived for no open function call"
                raise InconsistentStreamError(
                    event_type="gemini.chunk", sequence_number=None, reason=reason
                )
            return  # a stray terminator
        current.signature = current.signature or signature
        if call.args and not call.name:
            current.args.update(copy.deepcopy(call.args))
        if call.partial_args:
            current.apply(call.partial_args)
        if not call.will_continue:
            self.close(events)

    def close(self, events: list[NeutralEvent]) -> None:
        """The open function call (if any) is whole."""
        call = self.current
        if call is None:
            return
        self.current = None
        call.open = False
        arguments = call.arguments
        index, ident, name, choice = call.index, call.id or "", call.name, self.index
        events.append(
            ToolCallArgumentsDelta(index=index, id=ident, name=name, delta=arguments, choice=choice)
        )
        events.append(
            ToolCallDone(index=index, id=ident, name=name, arguments=arguments, choice=choice)
        )

    def build(self) -> Candidate:
        parts = [item if isinstance(item, Part) else item.build() for item in self.items]
        return Candidate(
            content=Content(role=self.role, parts=parts) if parts or self.role else None,
            finish_reason=self.finish_reason,  # type: ignore[arg-type]  # pyright: ignore[reportArgumentType]
            finish_message=self.finish_message,
            safety_ratings=self.safety_ratings,
            citation_metadata=self.citation_metadata,
            grounding_metadata=self.grounding_metadata,
            url_context_metadata=self.url_context_metadata,
            token_count=self.token_count,
            avg_logprobs=self.avg_logprobs,
            index=self.index,
        )


class GeminiAccumulator:
    """Builds one ``GenerateContentResponse`` from a Gemini stream's chunks (sans-IO).

    :meth:`add` folds a chunk in and returns the neutral events it derives (text and reasoning
    deltas, tool calls: a whole call gives Started, ArgumentsDelta with the whole JSON and Done
    in a row; a streamed one Started at its name, the rest when it closes). The stream's end
    says nothing of its own, so :meth:`finish` gives the events of the end: ToolCallDone of
    a call still open, TextDone per candidate, UsageReported, then Finished.
    """

    def __init__(self) -> None:
        self._candidates: dict[int, _Candidate] = {}
        self._usage: UsageMetadata | None = None
        self._feedback: PromptFeedback | None = None
        self._model: str | None = None
        self._id: str | None = None
        self._created: str | None = None
        self._chunks = 0
        self._snapshot: GenerateContentResponse | None = None
        self._partials: PartialValues[int] = PartialValues()

    @property
    def chunks(self) -> int:
        """How many chunks were added."""
        return self._chunks

    @property
    def blocked(self) -> bool:
        """Whether a chunk said the prompt was blocked."""
        feedback = self._feedback
        return feedback is not None and feedback.block_reason is not None

    @property
    def finished(self) -> bool:
        """Whether the response is whole if the stream ended now.

        It is if the prompt was blocked, or every candidate has a finish reason.
        """
        candidates = self._candidates.values()
        return self.blocked or (
            bool(candidates) and all(c.finish_reason is not None for c in candidates)
        )

    def add(self, chunk: GenerateContentResponse) -> list[NeutralEvent]:
        """Fold one chunk in; the neutral events it derives, in order."""
        self._chunks += 1
        self._snapshot = None
        events: list[NeutralEvent] = []
        for position, candidate in enumerate(chunk.candidates):
            index = candidate.index if candidate.index is not None else position
            state = self._candidates.get(index)
            if state is None:
                state = self._candidates[index] = _Candidate(index)
            state.add(candidate, events)
        if chunk.usage_metadata is not None:
            self._usage = chunk.usage_metadata
        if chunk.prompt_feedback is not None:
            self._feedback = chunk.prompt_feedback
        self._model = self._model or chunk.model_version
        self._id = self._id or chunk.response_id
        self._created = self._created or chunk.create_time
        return events

    def finish(self) -> list[NeutralEvent]:
        """The stream ended whole: the events of its end (Finished last)."""
        self._snapshot = None
        events: list[NeutralEvent] = []
        for index in sorted(self._candidates):
            candidate = self._candidates[index]
            candidate.close(events)
            if len(candidate.text):
                events.append(TextDone(text=candidate.text.value(), choice=index))
        result = self.snapshot
        usage = neutral_usage(self._usage)
        if usage is not None:
            events.append(UsageReported(usage=usage))
        neutral = result.neutral() if result is not None else None
        reason = neutral.finish_reason if neutral is not None else None
        provider_reason = neutral.provider_reason if neutral is not None else None
        events.append(Finished(reason=reason or "other", provider_reason=provider_reason))
        return events

    def failed(self, code: str | None) -> list[NeutralEvent]:
        """An error ended the stream: its Finished."""
        return [Finished(reason="error", provider_reason=code)]

    @property
    def snapshot(self) -> GenerateContentResponse | None:
        """The response as accumulated so far (``None`` before the first chunk)."""
        if self._snapshot is None and self._chunks:
            self._snapshot = GenerateContentResponse(
                candidates=[self._candidates[i].build() for i in sorted(self._candidates)],
                prompt_feedback=self._feedback,
                usage_metadata=self._usage,
                model_version=self._model,
                response_id=self._id,
                create_time=self._created,
            )
        return self._snapshot

    @property
    def usage(self) -> UsageMetadata | None:
        """The last ``usageMetadata``."""
        return self._usage

    @property
    def partial_output(self) -> Any:  # noqa: ANN401 - JSON
        """The first candidate's text parsed as JSON as far as it has come (structured output).

        Raises:
            PartialJSONError: The text is not JSON.
        """
        candidate = self._candidates.get(0)
        return None if candidate is None else self._partials.read(0, candidate.text)

    def partial_arguments(self, index: int, choice: int = 0) -> Any:  # noqa: ANN401 - JSON
        """The arguments of function call ``index`` of candidate ``choice``, as far as they came."""
        candidate = self._candidates.get(choice)
        if candidate is None:
            return None
        calls = [item for item in candidate.items if type(item) is _Call]
        return copy.deepcopy(calls[index].args) if index < len(calls) else None
