r"""Folds Chat Completions chunks into a ``ChatCompletion``, and derives per-choice events.

Unlike a Responses stream, a chat stream has no final object from the server: the completion
is built from the deltas. Text is kept in :class:`TextBuffer`\\ s (appends are O(len(delta))),
and the frozen ``ChatCompletion`` is built when :attr:`ChatCompletionAccumulator.snapshot` is
read, reusing the choices that did not change.
"""

from __future__ import annotations

from typing import Any, Literal, cast

from rillet._accumulate._partial import PartialValues
from rillet._accumulate._text import TextBuffer
from rillet._errors import ServerStreamError, StreamTruncatedError
from rillet.events import (
    ChatCompletion,
    ChatCompletionChunk,
    ChatCompletionMessage,
    ChatContentDeltaEvent,
    ChatContentDoneEvent,
    ChatErrorEvent,
    ChatEvent,
    ChatRefusalDeltaEvent,
    ChatRefusalDoneEvent,
    ChatRole,
    ChatToolCall,
    ChatToolCallArgumentsDeltaEvent,
    ChatToolCallArgumentsDoneEvent,
    ChoiceDelta,
    ChoiceDeltaFunctionCall,
    ChoiceDeltaToolCall,
    ChoiceLogprobs,
    ChunkChoice,
    CompletionChoice,
    CompletionUsage,
    Event,
    Finished,
    FinishReason,
    FunctionCall,
    NeutralEvent,
    ReasoningDelta,
    ServiceTier,
    TextDelta,
    TextDone,
    TokenLogprob,
    ToolCallArgumentsDelta,
    ToolCallDone,
    ToolCallStarted,
    UsageReported,
)
from rillet.events._model import maker
from rillet.events._neutral_views import chat_end, chat_usage

__all__ = ["ChatCompletionAccumulator"]


Derived = ChatEvent | NeutralEvent
"""What a chunk derives: chat events, and the provider-neutral events beside them."""


class _ToolCall:
    __slots__ = ("arguments", "done", "id", "index", "name", "position", "type")

    def __init__(self, index: int, position: int) -> None:
        self.index = index
        self.position = position  # among the choice's calls: the neutral events' index
        self.id: str | None = None
        self.type: str | None = None
        self.name: str | None = None
        self.arguments = TextBuffer()
        self.done = False

    def build(self) -> ChatToolCall:
        function = FunctionCall(name=self.name or "", arguments=self.arguments.value())
        return ChatToolCall(id=self.id or "", type=self.type or "function", function=function)


class _Choice:
    __slots__ = (
        "built",
        "content",
        "content_done",
        "current_tool",
        "finish_reason",
        "function_arguments",
        "function_done",
        "function_name",
        "index",
        "logprobs",
        "reasoning",
        "refusal",
        "refusal_done",
        "role",
        "tool_calls",
    )

    def __init__(self, index: int) -> None:
        self.index = index
        self.role: ChatRole | None = None
        self.content: TextBuffer | None = None  # None until the server sends content
        self.refusal: TextBuffer | None = None
        self.reasoning: TextBuffer | None = None  # compatible servers' reasoning text
        self.tool_calls: dict[int, _ToolCall] = {}
        self.current_tool: _ToolCall | None = None
        self.function_name: str | None = None  # the legacy function_call
        self.function_arguments: TextBuffer | None = None
        self.function_done = False
        self.finish_reason: FinishReason | None = None
        # Log probabilities of the content and refusal tokens, or None if none came.
        self.logprobs: tuple[list[TokenLogprob] | None, list[TokenLogprob] | None] | None = None
        self.content_done = self.refusal_done = False
        self.built: CompletionChoice | None = None

    def build(self) -> CompletionChoice:
        if self.built is None:
            tools = [self.tool_calls[i].build() for i in sorted(self.tool_calls)]
            function = None
            if self.function_arguments is not None or self.function_name is not None:
                arguments = self.function_arguments.value() if self.function_arguments else ""
                function = FunctionCall(name=self.function_name or "", arguments=arguments)
            message = ChatCompletionMessage(
                # The API sends "assistant"; any other role is kept as it came, as parsing does.
                role=cast("Literal['assistant']", self.role or "assistant"),
                content=self.content.value() if self.content is not None else None,
                refusal=self.refusal.value() if self.refusal is not None else None,
                tool_calls=tools or None,
                function_call=function,
                reasoning_content=None if self.reasoning is None else self.reasoning.value(),
            )
            logprobs = None
            if self.logprobs is not None:
                content, refusal = self.logprobs
                logprobs = ChoiceLogprobs(
                    content=None if content is None else list(content),
                    refusal=None if refusal is None else list(refusal),
                )
            self.built = CompletionChoice(
                index=self.index,
                message=message,
                finish_reason=self.finish_reason,
                logprobs=logprobs,
            )
        return self.built


class ChatCompletionAccumulator:
    """Builds the whole ``ChatCompletion`` from Chat Completions chunks.

    Sans-IO: feed it chunks from anywhere with :meth:`add`, which also returns the derived
    events (``chat.content.delta`` and the rest, see :mod:`rillet.events`, each followed by
    the provider-neutral ones) in order; read :attr:`snapshot` at any time; at ``[DONE]``,
    :meth:`finish` gives the last neutral events; call :meth:`close` when the stream ends,
    then :meth:`result`.

    Tool-call fragments are merged by ``index`` (the id and name from the first fragment, the
    arguments concatenated), choices by their ``index`` (``n > 1``). A later chunk with
    ``usage: null`` does not erase the usage an earlier chunk reported, and chunks with no
    choices (the usage chunk, Azure's content-filter results) are welcome.
    """

    def __init__(self) -> None:
        self._id = ""
        self._created = 0
        self._model = ""
        self._usage: CompletionUsage | None = None
        self._system_fingerprint: str | None = None
        self._service_tier: ServiceTier | None = None
        self._choices: dict[int, _Choice] = {}
        self._chunks = 0
        self._closed = False
        self._snapshot: ChatCompletion | None = None
        self._partials: PartialValues[tuple[int, int | None]] = PartialValues()

    @property
    def snapshot(self) -> ChatCompletion | None:
        """The completion as accumulated so far (``None`` before the first chunk)."""
        if self._snapshot is None and self._chunks:
            self._snapshot = ChatCompletion(
                id=self._id,
                created=self._created,
                model=self._model,
                choices=[self._choices[i].build() for i in sorted(self._choices)],
                usage=self._usage,
                system_fingerprint=self._system_fingerprint,
                service_tier=self._service_tier,
            )
        return self._snapshot

    @property
    def partial_output(self) -> Any:  # noqa: ANN401 - JSON
        """The first choice's content parsed as JSON as far as it has come (structured output).

        ``None`` until it starts; parsed when read, only what arrived since the last read;
        live (see :class:`~rillet.PartialJSON`).

        Raises:
            PartialJSONError: The content is not JSON.
        """
        choice = self._choices.get(0)
        if choice is None or choice.content is None:
            return None
        return self._partials.read((0, None), choice.content)

    def partial_arguments(self, tool_call: int, choice: int = 0) -> Any:  # noqa: ANN401 - JSON
        """A tool call's arguments (by its ``index``) parsed as JSON as far as they have come.

        Raises:
            PartialJSONError: The arguments are not JSON.
        """
        found = self._choices.get(choice)
        call = None if found is None else found.tool_calls.get(tool_call)
        return None if call is None else self._partials.read((choice, tool_call), call.arguments)

    def partial_call_arguments(self, call: int, choice: int = 0) -> Any:  # noqa: ANN401 - JSON
        """As :meth:`partial_arguments`, of tool call number ``call`` (the neutral events' index).

        The calls are counted in the order they started; a legacy ``function_call`` is call 0.

        Raises:
            PartialJSONError: The arguments are not JSON.
        """
        found = self._choices.get(choice)
        if found is None:
            return None
        calls = list(found.tool_calls.values())  # in the order they started
        if 0 <= call < len(calls):
            return self.partial_arguments(calls[call].index, choice)
        if call == 0 and found.function_arguments is not None:
            return self._partials.read((choice, -1), found.function_arguments)
        return None

    def close(self) -> None:
        """Note that the stream ended."""
        self._closed = True

    def result(self) -> ChatCompletion:
        """The whole completion, once every choice has a ``finish_reason``.

        Raises:
            StreamTruncatedError: The stream ended (or is read) before every choice finished;
                the error carries the partial completion.
        """
        snapshot = self.snapshot
        unfinished = [c.index for c in self._choices.values() if c.finish_reason is None]
        if snapshot is None or not self._choices or unfinished:
            what = f"choice(s) {unfinished} have no finish_reason" if unfinished else "no choices"
            state = "ended" if self._closed else "has not ended"
            reason = f"the stream {state} after {self._chunks} chunk(s): {what}"
            raise StreamTruncatedError(reason, partial=snapshot)
        return snapshot

    def finish(self, error: ChatErrorEvent | None = None) -> list[NeutralEvent]:
        """The neutral events of the stream's end (``[DONE]``, or an ``error`` payload).

        ``UsageReported`` if a chunk reported usage, then ``Finished``: the first choice's
        ``finish_reason`` mapped (``"error"`` for an error, its code the provider reason).
        """
        events: list[NeutralEvent] = []
        if self._usage is not None:
            events.append(UsageReported(usage=chat_usage(self._usage)))
        if error is not None:
            code = error.error.code
            why = str(code) if code is not None else error.error.type or "error"
            events.append(Finished(reason="error", provider_reason=why))
        else:
            first = self._choices[min(self._choices)].build() if self._choices else None
            reason, provider_reason = chat_end(first)
            events.append(Finished(reason=reason, provider_reason=provider_reason))
        return events

    def add(self, chunk: Event) -> list[Derived]:
        """Fold one chunk in; return the events it derives, in order.

        Raises:
            ServerStreamError: ``chunk`` is a ``{"error": ...}`` payload
                (:class:`~rillet.events.ChatErrorEvent`); the error carries the partial
                completion.
        """
        if isinstance(chunk, ChatErrorEvent):
            error = chunk.error
            raise ServerStreamError(
                message=error.message,
                code=error.code,
                error_type=error.type,
                param=error.param,
                event=chunk,
                partial=self.snapshot,
            )
        if not isinstance(chunk, ChatCompletionChunk):
            return []
        self._chunks += 1
        self._snapshot = None
        if chunk.id and not self._id:
            self._id, self._created, self._model = chunk.id, chunk.created, chunk.model
        if chunk.usage is not None:
            self._usage = chunk.usage
        if chunk.system_fingerprint is not None:
            self._system_fingerprint = chunk.system_fingerprint
        if chunk.service_tier is not None:
            self._service_tier = chunk.service_tier
        events: list[Derived] = []
        for choice in chunk.choices:
            self._add_choice(choice, events)
        return events

    def _add_choice(self, chunk_choice: ChunkChoice, events: list[Derived]) -> None:
        index = chunk_choice.index
        choice = self._choices.get(index)
        if choice is None:
            choice = self._choices[index] = _Choice(index)
        choice.built = None
        delta = chunk_choice.delta
        _add_text(choice, delta, events)
        for fragment in delta.tool_calls or ():
            _add_tool_fragment(choice, fragment, events)
        if delta.function_call is not None:
            _add_function_call(choice, delta.function_call, events)
        if chunk_choice.logprobs is not None:
            _add_logprobs(choice, chunk_choice.logprobs)
        if chunk_choice.finish_reason is not None:
            choice.finish_reason = chunk_choice.finish_reason
            _choice_done(choice, events)


# A chunk's derived deltas, made by setting their slots: the keyword __init__ costs more than
# the rest of a chunk's accumulation.
_content_delta = maker(ChatContentDeltaEvent, "choice_index", "delta")
_refusal_delta = maker(ChatRefusalDeltaEvent, "choice_index", "delta")
_text_delta = maker(TextDelta, "text", "choice")
_reasoning_delta = maker(ReasoningDelta, "text", "choice")
_arguments_delta = maker(ToolCallArgumentsDelta, "index", "id", "name", "delta", "choice")


def _add_text(choice: _Choice, delta: ChoiceDelta, events: list[Derived]) -> None:
    if delta.role:
        choice.role = delta.role
    content = delta.content
    if content is not None:
        choice.content = _append(choice.content, content)
        if content:
            events.append(_content_delta(choice.index, content))
            events.append(_text_delta(content, choice.index))
    reasoning = delta.reasoning_content or delta.reasoning  # servers that send both: the same
    if reasoning:
        choice.reasoning = _append(choice.reasoning, reasoning)
        events.append(_reasoning_delta(reasoning, choice.index))
    if delta.refusal is not None:
        choice.refusal = _append(choice.refusal, delta.refusal)
        if delta.refusal:
            events.append(_refusal_delta(choice.index, delta.refusal))


def _append(buffer: TextBuffer | None, text: str) -> TextBuffer:
    if buffer is None:
        buffer = TextBuffer()
    buffer.append(text)
    return buffer


def _concat(text: str | None, more: str | None) -> str | None:
    """Fragments of a name arrive as strings to join, like everything else in a delta."""
    return (text or "") + more if more else text


def _add_tool_fragment(
    choice: _Choice, fragment: ChoiceDeltaToolCall, events: list[Derived]
) -> None:
    call = choice.tool_calls.get(fragment.index)
    new = call is None
    if call is None:
        if choice.current_tool is not None:  # the previous call is complete
            _tool_done(choice, choice.current_tool, events)
        call = _ToolCall(fragment.index, len(choice.tool_calls))
        choice.tool_calls[fragment.index] = call
    choice.current_tool = call
    call.id = fragment.id or call.id
    call.type = fragment.type or call.type
    function = fragment.function
    if function is not None:
        call.name = _concat(call.name, function.name)
    if new:  # the first fragment has the id and the name
        events.append(
            ToolCallStarted(
                index=call.position, id=call.id or "", name=call.name or "", choice=choice.index
            )
        )
    if function is None or not function.arguments:
        return
    call.arguments.append(function.arguments)
    events.append(
        ChatToolCallArgumentsDeltaEvent(
            choice_index=choice.index,
            index=call.index,
            id=call.id,
            name=call.name,
            delta=function.arguments,
        )
    )
    name = call.name or ""
    events.append(
        _arguments_delta(call.position, call.id or "", name, function.arguments, choice.index)
    )


def _add_function_call(
    choice: _Choice, function: ChoiceDeltaFunctionCall, events: list[Derived]
) -> None:
    """The legacy ``function_call``: the choice's one call, for the neutral events (index 0)."""
    new = choice.function_name is None and choice.function_arguments is None
    choice.function_name = _concat(choice.function_name, function.name)
    name = choice.function_name or ""
    if new:
        events.append(ToolCallStarted(index=0, id="", name=name, choice=choice.index))
    if function.arguments:
        choice.function_arguments = _append(choice.function_arguments, function.arguments)
        events.append(_arguments_delta(0, "", name, function.arguments, choice.index))


def _add_logprobs(choice: _Choice, logprobs: ChoiceLogprobs) -> None:
    content, refusal = choice.logprobs or (None, None)
    if logprobs.content is not None:
        content = content if content is not None else []
        content.extend(logprobs.content)  # our own list: snapshots get copies
    if logprobs.refusal is not None:
        refusal = refusal if refusal is not None else []
        refusal.extend(logprobs.refusal)
    choice.logprobs = (content, refusal)


def _tool_done(choice: _Choice, call: _ToolCall, events: list[Derived]) -> None:
    if not call.done:
        call.done = True
        arguments = call.arguments.value()
        events.append(
            ChatToolCallArgumentsDoneEvent(
                choice_index=choice.index,
                index=call.index,
                id=call.id,
                name=call.name,
                arguments=arguments,
            )
        )
        events.append(
            ToolCallDone(
                index=call.position,
                id=call.id or "",
                name=call.name or "",
                arguments=arguments,
                choice=choice.index,
            )
        )


def _choice_done(choice: _Choice, events: list[Derived]) -> None:
    """The choice finished: every part of it still open is done."""
    if choice.content is not None and len(choice.content) and not choice.content_done:
        choice.content_done = True
        content = choice.content.value()
        events.append(ChatContentDoneEvent(choice_index=choice.index, content=content))
        events.append(TextDone(text=content, choice=choice.index))
    if choice.refusal is not None and len(choice.refusal) and not choice.refusal_done:
        choice.refusal_done = True
        events.append(
            ChatRefusalDoneEvent(choice_index=choice.index, refusal=choice.refusal.value())
        )
    for index in sorted(choice.tool_calls):
        _tool_done(choice, choice.tool_calls[index], events)
    if not choice.function_done and (
        choice.function_name is not None or choice.function_arguments is not None
    ):
        choice.function_done = True
        arguments = choice.function_arguments.value() if choice.function_arguments else ""
        name = choice.function_name or ""
        events.append(
            ToolCallDone(index=0, id="", name=name, arguments=arguments, choice=choice.index)
        )
