"""The Gemini API's streamed objects: a chunk (``GenerateContentResponse``) and what it holds.

The wire names are camelCase (``finishReason``); the attributes are snake_case
(``finish_reason``), as in google-genai. ``to_dict()`` gives the JSON back with the wire's
names, fields rillet does not model included. Enum-like strings (finish and block reasons, harm
categories) are typed as ``Literal`` sets of the documented values; any other value the server
sends is kept as it came.
"""

# Gemini objects are walked as JSON (typed Any) when renamed: see _model.py.
# pyright: reportUnknownVariableType=false, reportUnknownArgumentType=false

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from typing import Any, ClassVar, Literal, TypeAlias, TypeVar

import attrs

from rillet.events import (
    EndReason,
    Event,
    NeutralResult,
    NeutralToolCall,
    NeutralUsage,
)
from rillet.events._model import Model, open_set

__all__ = [
    "Blob",
    "BlockReason",
    "Candidate",
    "CitationMetadata",
    "CitationSource",
    "CodeExecutionResult",
    "Content",
    "ExecutableCode",
    "FileData",
    "FinishReason",
    "FunctionCall",
    "FunctionResponse",
    "GeminiError",
    "GeminiErrorEvent",
    "GenerateContentResponse",
    "GroundingMetadata",
    "HarmCategory",
    "HarmProbability",
    "ModalityTokenCount",
    "Part",
    "PartialArg",
    "PromptFeedback",
    "SafetyRating",
    "ToolCall",
    "ToolResponse",
    "UrlContextMetadata",
    "UrlMetadata",
    "UsageMetadata",
    "end_reason",
    "neutral_usage",
]

FinishReason: TypeAlias = Literal[
    "FINISH_REASON_UNSPECIFIED",
    "STOP",
    "MAX_TOKENS",
    "SAFETY",
    "RECITATION",
    "LANGUAGE",
    "OTHER",
    "BLOCKLIST",
    "PROHIBITED_CONTENT",
    "SPII",
    "MALFORMED_FUNCTION_CALL",
    "IMAGE_SAFETY",
    "IMAGE_PROHIBITED_CONTENT",
    "IMAGE_RECITATION",
    "IMAGE_OTHER",
    "NO_IMAGE",
    "UNEXPECTED_TOOL_CALL",
    "TOO_MANY_TOOL_CALLS",
    "MISSING_THOUGHT_SIGNATURE",
]
"""Why a candidate stopped (``finishReason``); others are kept as they come."""

BlockReason: TypeAlias = Literal[
    "BLOCK_REASON_UNSPECIFIED", "SAFETY", "OTHER", "BLOCKLIST", "PROHIBITED_CONTENT", "IMAGE_SAFETY"
]
"""Why the prompt was blocked (``promptFeedback.blockReason``); others are kept."""

HarmCategory: TypeAlias = Literal[
    "HARM_CATEGORY_UNSPECIFIED",
    "HARM_CATEGORY_HARASSMENT",
    "HARM_CATEGORY_HATE_SPEECH",
    "HARM_CATEGORY_SEXUALLY_EXPLICIT",
    "HARM_CATEGORY_DANGEROUS_CONTENT",
    "HARM_CATEGORY_CIVIC_INTEGRITY",
    "HARM_CATEGORY_IMAGE_HATE",
    "HARM_CATEGORY_IMAGE_DANGEROUS_CONTENT",
    "HARM_CATEGORY_IMAGE_HARASSMENT",
    "HARM_CATEGORY_IMAGE_SEXUALLY_EXPLICIT",
]
"""The category of a safety rating; others are kept as they come."""

HarmProbability: TypeAlias = Literal[
    "HARM_PROBABILITY_UNSPECIFIED", "NEGLIGIBLE", "LOW", "MEDIUM", "HIGH"
]
"""How likely a safety rating's harm is; others are kept as they come."""

open_set(FinishReason, BlockReason, HarmCategory, HarmProbability)

W = TypeVar("W", bound="type[_Wire]")


_SNAKE = re.compile(r"_([a-z])")


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(word.title() for word in rest)


class _Wire(Model):
    """Base of the Gemini models: camelCase on the wire, snake_case in Python."""

    __slots__ = ()
    _python_names: ClassVar[Mapping[str, str]] = {}  # wire name -> field

    @classmethod
    def _from_wire(cls, data: Mapping[str, Any]) -> Mapping[str, Any]:
        names = cls._python_names
        return {names.get(key, key): value for key, value in data.items()}

    @classmethod
    def _wire_path(cls, data: Mapping[str, Any], field: str) -> str:
        del data  # every modelled name, nested ones too, is the camelCase of its field's
        return _SNAKE.sub(lambda match: match[1].upper(), field)


def _gemini(cls: W) -> W:
    """Name ``cls``'s fields on the wire in camelCase; leave unset optional ones out of to_dict."""
    fields = [field for field in attrs.fields(cls) if field.init]
    wire = {f.name: _camel(f.name) for f in fields if _camel(f.name) != f.name}
    cls._wire_names = wire
    cls._python_names = {camel: name for name, camel in wire.items()}
    cls._omitted_unset = tuple(
        f.name
        for f in fields
        if f.default is None or isinstance(f.default, attrs.Factory)  # type: ignore[arg-type]  # pyright: ignore[reportArgumentType]
    )
    return cls


_list: Callable[[], list[Any]] = list


# -- parts ------------------------------------------------------------------------------------


@_gemini
@attrs.frozen(kw_only=True)
class PartialArg(_Wire):
    """A piece of a function call's arguments streamed by Vertex AI (``partialArgs``).

    ``json_path`` (``$.recipe.steps[2]``) says where the value goes; a string value continues
    (``will_continue``) until a piece without it.
    """

    json_path: str = ""
    string_value: str | None = None
    number_value: float | None = None
    bool_value: bool | None = None
    null_value: str | None = None
    will_continue: bool | None = None


@_gemini
@attrs.frozen(kw_only=True)
class FunctionCall(_Wire):
    """A call of one of the user's functions.

    Whole (``name`` and ``args``) on the Gemini API; Vertex AI may stream it: a part with the
    ``name`` and ``will_continue``, parts with ``partial_args``, then an empty one. The
    accumulated result holds whole calls only.
    """

    name: str | None = None
    args: dict[str, Any] | None = None
    id: str | None = None
    partial_args: list[PartialArg] | None = None
    will_continue: bool | None = None

    @property
    def arguments(self) -> str:
        """The arguments as JSON text (``"{}"`` when there are none)."""
        return json.dumps(self.args or {}, ensure_ascii=False)


@_gemini
@attrs.frozen(kw_only=True)
class FunctionResponse(_Wire):
    """The result of a function call, as sent back to the model."""

    name: str | None = None
    id: str | None = None
    response: dict[str, Any] | None = None


@_gemini
@attrs.frozen(kw_only=True)
class ExecutableCode(_Wire):
    """Code the model wrote for the code execution tool to run."""

    language: str | None = None
    code: str | None = None
    id: str | None = None


@_gemini
@attrs.frozen(kw_only=True)
class CodeExecutionResult(_Wire):
    """What running :class:`ExecutableCode` gave (``outcome``: ``OUTCOME_OK``...)."""

    outcome: str | None = None
    output: str | None = None
    id: str | None = None


@_gemini
@attrs.frozen(kw_only=True)
class Blob(_Wire):
    """Inline bytes (an image), base64 in ``data``."""

    mime_type: str | None = None
    data: str | None = None


@_gemini
@attrs.frozen(kw_only=True)
class FileData(_Wire):
    """A file by URI."""

    mime_type: str | None = None
    file_uri: str | None = None


@_gemini
@attrs.frozen(kw_only=True)
class ToolCall(_Wire):
    """A call of a built-in (server-side) tool, shown by gemini-3 models (``toolCall``)."""

    tool_type: str | None = None
    args: dict[str, Any] | None = None
    id: str | None = None


@_gemini
@attrs.frozen(kw_only=True)
class ToolResponse(_Wire):
    """The result of a built-in tool call (``toolResponse``)."""

    tool_type: str | None = None
    response: dict[str, Any] | None = None
    id: str | None = None


@_gemini
@attrs.frozen(kw_only=True)
class Part(_Wire):
    """One part of a content: text (a thought summary when ``thought``), a function call, code...

    ``thought_signature`` (opaque, base64) must be sent back with the part it came on.
    """

    text: str | None = None
    thought: bool | None = None
    thought_signature: str | None = None
    function_call: FunctionCall | None = None
    function_response: FunctionResponse | None = None
    executable_code: ExecutableCode | None = None
    code_execution_result: CodeExecutionResult | None = None
    inline_data: Blob | None = None
    file_data: FileData | None = None
    tool_call: ToolCall | None = None
    tool_response: ToolResponse | None = None


@_gemini
@attrs.frozen(kw_only=True)
class Content(_Wire):
    """A message: its ``role`` (``"model"``, ``"user"``) and parts."""

    role: str | None = None
    parts: list[Part] = attrs.Factory(_list)


# -- candidates and their metadata ------------------------------------------------------------


@_gemini
@attrs.frozen(kw_only=True)
class SafetyRating(_Wire):
    """How likely a text is to be harmful in one category (Vertex AI adds scores)."""

    category: HarmCategory | None = None
    probability: HarmProbability | None = None
    probability_score: float | None = None
    severity: str | None = None
    severity_score: float | None = None
    blocked: bool | None = None


@_gemini
@attrs.frozen(kw_only=True)
class CitationSource(_Wire):
    """A source the text at ``start_index:end_index`` (bytes) recites."""

    start_index: int | None = None
    end_index: int | None = None
    uri: str | None = None
    license: str | None = None
    title: str | None = None
    publication_date: dict[str, Any] | None = None


@_gemini
@attrs.frozen(kw_only=True)
class CitationMetadata(_Wire):
    """The sources a candidate recites.

    ``citation_sources`` on the Gemini API, ``citations`` on Vertex AI.
    """

    citation_sources: list[CitationSource] | None = None
    citations: list[CitationSource] | None = None


@_gemini
@attrs.frozen(kw_only=True)
class GroundingMetadata(_Wire):
    """What grounded the answer (Google Search, file search, URL context): chunks and supports."""

    web_search_queries: list[Any] | None = None
    grounding_chunks: list[Any] | None = None
    grounding_supports: list[Any] | None = None
    search_entry_point: dict[str, Any] | None = None
    retrieval_metadata: dict[str, Any] | None = None


@_gemini
@attrs.frozen(kw_only=True)
class UrlMetadata(_Wire):
    """One URL the URL context tool retrieved, and how that went."""

    retrieved_url: str | None = None
    url_retrieval_status: str | None = None


@_gemini
@attrs.frozen(kw_only=True)
class UrlContextMetadata(_Wire):
    """The URLs the URL context tool retrieved."""

    url_metadata: list[UrlMetadata] | None = None


@_gemini
@attrs.frozen(kw_only=True)
class Candidate(_Wire):
    """One candidate answer: its content so far (in a chunk: what this chunk adds)."""

    content: Content | None = None
    finish_reason: FinishReason | None = None
    """One of :data:`FinishReason`; any other value is kept as the server sent it."""
    finish_message: str | None = None
    safety_ratings: list[SafetyRating] | None = None
    citation_metadata: CitationMetadata | None = None
    grounding_metadata: GroundingMetadata | None = None
    url_context_metadata: UrlContextMetadata | None = None
    token_count: int | None = None
    avg_logprobs: float | None = None
    index: int | None = None

    @property
    def parts(self) -> list[Part]:
        """The content's parts (none when there is no content)."""
        return self.content.parts if self.content is not None else []

    @property
    def text(self) -> str:
        """The text of the parts that are not thoughts, joined."""
        return "".join(p.text for p in self.parts if p.text is not None and not p.thought)

    @property
    def thoughts(self) -> str:
        """The text of the thought (summary) parts, joined."""
        return "".join(p.text for p in self.parts if p.text is not None and p.thought)

    @property
    def function_calls(self) -> list[FunctionCall]:
        """The function calls of the parts, in order."""
        return [p.function_call for p in self.parts if p.function_call is not None]


# -- the chunk --------------------------------------------------------------------------------


@_gemini
@attrs.frozen(kw_only=True)
class ModalityTokenCount(_Wire):
    """Tokens of one modality (``TEXT``, ``IMAGE``...)."""

    modality: str | None = None
    token_count: int | None = None


@_gemini
@attrs.frozen(kw_only=True)
class UsageMetadata(_Wire):
    """Token counts (the Gemini API sends them on every chunk; Vertex AI on the last)."""

    prompt_token_count: int | None = None
    candidates_token_count: int | None = None
    total_token_count: int | None = None
    thoughts_token_count: int | None = None
    cached_content_token_count: int | None = None
    tool_use_prompt_token_count: int | None = None
    prompt_tokens_details: list[ModalityTokenCount] | None = None
    candidates_tokens_details: list[ModalityTokenCount] | None = None
    cache_tokens_details: list[ModalityTokenCount] | None = None
    tool_use_prompt_tokens_details: list[ModalityTokenCount] | None = None
    traffic_type: str | None = None
    service_tier: str | None = None


@_gemini
@attrs.frozen(kw_only=True)
class PromptFeedback(_Wire):
    """Why the prompt was blocked (``block_reason``), and its safety ratings."""

    block_reason: BlockReason | None = None
    """One of :data:`BlockReason`; any other value is kept as the server sent it."""
    block_reason_message: str | None = None
    safety_ratings: list[SafetyRating] | None = None


@_gemini
@attrs.frozen(kw_only=True)
class GenerateContentResponse(Event, _Wire):
    """A chunk of a ``streamGenerateContent`` stream, or the whole (accumulated) response.

    ``type`` is not on the wire (``"gemini.chunk"``, for routing). A prompt that was blocked
    gets one chunk with ``prompt_feedback.block_reason`` and no candidates
    (see :attr:`block_reason`).
    """

    _synthetic_fields: ClassVar[tuple[str, ...]] = ("type",)

    type: Literal["gemini.chunk"] = "gemini.chunk"
    candidates: list[Candidate] = attrs.Factory(_list)
    prompt_feedback: PromptFeedback | None = None
    usage_metadata: UsageMetadata | None = None
    model_version: str | None = None
    response_id: str | None = None
    create_time: str | None = None

    @property
    def text(self) -> str:
        """The first candidate's text, thoughts left out ("" when there is none)."""
        return self.candidates[0].text if self.candidates else ""

    @property
    def thoughts(self) -> str:
        """The first candidate's thought (summary) text."""
        return self.candidates[0].thoughts if self.candidates else ""

    @property
    def function_calls(self) -> list[FunctionCall]:
        """The first candidate's function calls."""
        return self.candidates[0].function_calls if self.candidates else []

    @property
    def finish_reason(self) -> str | None:
        """The first candidate's finish reason, if it has one."""
        return self.candidates[0].finish_reason if self.candidates else None

    @property
    def block_reason(self) -> str | None:
        """Why the prompt was blocked (``"SAFETY"``...), or ``None`` if it was not."""
        feedback = self.prompt_feedback
        return None if feedback is None else feedback.block_reason

    def neutral(self) -> NeutralResult:
        """The provider-neutral view of this response (its first candidate)."""
        calls = tuple(
            NeutralToolCall(id=call.id or "", name=call.name or "", arguments=call.arguments)
            for call in self.function_calls
            if call.name
        )
        block = self.block_reason
        reason = block if block is not None else self.finish_reason
        return NeutralResult(
            provider="gemini",
            model=self.model_version,
            id=self.response_id,
            text=self.text,
            reasoning=self.thoughts,
            tool_calls=calls,
            usage=neutral_usage(self.usage_metadata),
            finish_reason=end_reason(reason, blocked=block is not None, calls=bool(calls)),
            provider_reason=reason,
        )


@_gemini
@attrs.frozen(kw_only=True)
class GeminiError(_Wire):
    """An error object: ``{"error": {"code": 499, "message": ..., "status": "CANCELLED"}}``."""

    code: int | None = None
    message: str = ""
    status: str | None = None
    details: list[Any] | None = None


@_gemini
@attrs.frozen(kw_only=True)
class GeminiErrorEvent(Event, _Wire):
    """An error object in the body (``gemini.error``): bare JSON, or a ``data:`` frame.

    It ends the stream: the stream raises :class:`~rillet.ServerStreamError` after it.
    """

    _synthetic_fields: ClassVar[tuple[str, ...]] = ("type",)

    type: Literal["gemini.error"] = "gemini.error"
    error: GeminiError = attrs.Factory(GeminiError)


# -- the neutral view -------------------------------------------------------------------------

_FILTERED = frozenset(
    {
        "SAFETY",
        "RECITATION",
        "BLOCKLIST",
        "PROHIBITED_CONTENT",
        "SPII",
        "IMAGE_SAFETY",
        "IMAGE_PROHIBITED_CONTENT",
        "IMAGE_RECITATION",
    }
)


def end_reason(reason: str | None, *, blocked: bool, calls: bool) -> EndReason | None:
    """The neutral end reason of a Gemini finish (or prompt block) reason."""
    if blocked or reason in _FILTERED:
        return "content_filter"
    if reason is None:
        return None
    if reason == "STOP":
        return "tool_calls" if calls else "stop"
    if reason == "MAX_TOKENS":
        return "length"
    return "other"


def neutral_usage(usage: UsageMetadata | None) -> NeutralUsage | None:
    """The neutral token counts of a ``usageMetadata`` (``None`` when it has no counts)."""
    if usage is None or (usage.prompt_token_count is None and usage.total_token_count is None):
        return None
    prompt = (usage.prompt_token_count or 0) + (usage.tool_use_prompt_token_count or 0)
    output = (usage.candidates_token_count or 0) + (usage.thoughts_token_count or 0)
    return NeutralUsage(
        input_tokens=prompt,
        output_tokens=output,
        total_tokens=usage.total_token_count or prompt + output,
        reasoning_tokens=usage.thoughts_token_count,
        cached_input_tokens=usage.cached_content_token_count,
    )
