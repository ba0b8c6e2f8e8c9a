r"""Chat Completions: the streamed chunks, the accumulated completion, and the derived events.

A chat stream yields :class:`ChatCompletionChunk`\ s, exactly as code written for the official
SDK expects (``chunk.choices[0].delta.content``). For the ``@on`` experience, the chat
accumulator also derives events with their own type strings:

==================================== ===================================================
type                                 class
==================================== ===================================================
``chat.completion.chunk``            :class:`ChatCompletionChunk` (every chunk)
``chat.content.delta``               :class:`ChatContentDeltaEvent`
``chat.content.done``                :class:`ChatContentDoneEvent`
``chat.refusal.delta``               :class:`ChatRefusalDeltaEvent`
``chat.refusal.done``                :class:`ChatRefusalDoneEvent`
``chat.tool_call.arguments.delta``   :class:`ChatToolCallArgumentsDeltaEvent`
``chat.tool_call.arguments.done``    :class:`ChatToolCallArgumentsDoneEvent`
``chat.error``                       :class:`ChatErrorEvent` (a ``{"error": ...}`` payload)
==================================== ===================================================
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar, Literal

import attrs

from rillet.events._literals import ChatRole, FinishReason, ServiceTier
from rillet.events._model import Model, by_type
from rillet.events._response import TopLogprob
from rillet.events._responses import DeltaEvent, Event

if TYPE_CHECKING:
    from rillet.events._neutral import NeutralResult

__all__ = [
    "CHAT_EVENT_TYPES",
    "ChatCompletion",
    "ChatCompletionChunk",
    "ChatCompletionMessage",
    "ChatContentDeltaEvent",
    "ChatContentDoneEvent",
    "ChatError",
    "ChatErrorEvent",
    "ChatEvent",
    "ChatRefusalDeltaEvent",
    "ChatRefusalDoneEvent",
    "ChatToolCall",
    "ChatToolCallArgumentsDeltaEvent",
    "ChatToolCallArgumentsDoneEvent",
    "ChoiceDelta",
    "ChoiceDeltaFunctionCall",
    "ChoiceDeltaToolCall",
    "ChoiceLogprobs",
    "ChunkChoice",
    "CompletionChoice",
    "CompletionTokensDetails",
    "CompletionUsage",
    "FunctionCall",
    "PromptTokensDetails",
    "TokenLogprob",
]


@attrs.frozen(kw_only=True)
class TokenLogprob(Model):
    """The log probability of one token, and the most likely alternatives."""

    token: str
    logprob: float
    bytes: list[int] | None = None
    top_logprobs: list[TopLogprob] = attrs.Factory(list)  # pyright: ignore[reportUnknownVariableType]


@attrs.frozen(kw_only=True)
class ChoiceLogprobs(Model):
    """Log probabilities of the content and refusal tokens of a choice."""

    content: list[TokenLogprob] | None = None
    refusal: list[TokenLogprob] | None = None


@attrs.frozen(kw_only=True)
class PromptTokensDetails(Model):
    """A breakdown of the prompt tokens."""

    cached_tokens: int | None = None
    audio_tokens: int | None = None


@attrs.frozen(kw_only=True)
class CompletionTokensDetails(Model):
    """A breakdown of the completion tokens."""

    reasoning_tokens: int | None = None
    audio_tokens: int | None = None
    accepted_prediction_tokens: int | None = None
    rejected_prediction_tokens: int | None = None


@attrs.frozen(kw_only=True)
class CompletionUsage(Model):
    """Token usage of a chat completion (sent in the last chunk with ``include_usage``)."""

    prompt_tokens: int
    completion_tokens: int
    total_tokens: int
    prompt_tokens_details: PromptTokensDetails | None = None
    completion_tokens_details: CompletionTokensDetails | None = None


# -- chunks -----------------------------------------------------------------------------------


@attrs.frozen(kw_only=True)
class ChoiceDeltaFunctionCall(Model):
    """A fragment of a legacy ``function_call``."""

    name: str | None = None
    arguments: str | None = None


@attrs.frozen(kw_only=True)
class ChoiceDeltaToolCall(Model):
    """A fragment of a tool call; fragments with the same ``index`` make one call.

    The first fragment of a call carries ``id``, ``type`` and the function's ``name``; later
    ones carry only more ``arguments``.
    """

    index: int
    id: str | None = None
    type: str | None = None
    function: ChoiceDeltaFunctionCall | None = None


@attrs.frozen(kw_only=True)
class ChoiceDelta(Model):
    """What one chunk adds to a choice's message."""

    role: ChatRole | None = None
    """One of :data:`ChatRole`; any other value is kept as the server sent it."""
    content: str | None = None
    refusal: str | None = None
    tool_calls: list[ChoiceDeltaToolCall] | None = None
    function_call: ChoiceDeltaFunctionCall | None = None
    reasoning_content: str | None = None
    """Reasoning text, as OpenAI-compatible servers send it (DeepSeek, vLLM); not OpenAI."""
    reasoning: str | None = None
    """Reasoning text, as other compatible servers send it (OpenRouter, newer vLLM)."""


@attrs.frozen(kw_only=True)
class ChunkChoice(Model):
    """One choice in a chunk: its delta, and its ``finish_reason`` once it is done."""

    index: int
    delta: ChoiceDelta = attrs.Factory(ChoiceDelta)
    finish_reason: FinishReason | None = None
    """One of :data:`FinishReason`; any other value is kept as the server sent it."""
    logprobs: ChoiceLogprobs | None = None


@attrs.frozen(kw_only=True)
class ChatCompletionChunk(Event):
    """One chunk of a Chat Completions stream.

    ``choices`` may be empty: the usage chunk at the end of an ``include_usage`` stream, and
    Azure's content filter results, have none. ``type`` is not on the wire: a chat stream's
    chunks are chunks whatever their ``object`` says (Azure sends ``""``).
    """

    _synthetic_fields: ClassVar[tuple[str, ...]] = ("type",)

    type: Literal["chat.completion.chunk"] = "chat.completion.chunk"
    id: str = ""
    object: str = "chat.completion.chunk"
    created: int = 0
    model: str = ""
    choices: list[ChunkChoice] = attrs.Factory(list)  # pyright: ignore[reportUnknownVariableType]
    usage: CompletionUsage | None = None
    system_fingerprint: str | None = None
    service_tier: ServiceTier | None = None
    """One of :data:`ServiceTier`; any other value is kept as the server sent it."""


# -- the accumulated completion ---------------------------------------------------------------


@attrs.frozen(kw_only=True)
class FunctionCall(Model):
    """A function to call: its name and JSON arguments."""

    name: str
    arguments: str


@attrs.frozen(kw_only=True)
class ChatToolCall(Model):
    """A complete tool call of an assistant message."""

    id: str
    type: str = "function"
    function: FunctionCall


@attrs.frozen(kw_only=True)
class ChatCompletionMessage(Model):
    """The assistant message of a choice.

    Accumulated from a stream, its ``to_dict()`` has what the API's own message has: ``role``,
    ``content`` and ``refusal``, and the other fields only when they are set (so that it can
    be sent back as it is).
    """

    _omitted_unset = ("tool_calls", "function_call", "annotations", "audio", "reasoning_content")

    role: Literal["assistant"] = "assistant"
    """Always ``"assistant"`` so far; any other value is kept as the server sent it."""
    content: str | None = None
    refusal: str | None = None
    tool_calls: list[ChatToolCall] | None = None
    function_call: FunctionCall | None = None
    annotations: list[Any] | None = None
    audio: Any = None
    reasoning_content: str | None = None
    """The reasoning text an OpenAI-compatible server streamed (``delta.reasoning_content`` or
    ``delta.reasoning``), joined; ``None`` if none came (OpenAI sends none)."""


@attrs.frozen(kw_only=True)
class CompletionChoice(Model):
    """One complete choice: the message and why generation stopped."""

    index: int
    message: ChatCompletionMessage
    finish_reason: FinishReason | None = None
    """One of :data:`FinishReason`; any other value is kept as the server sent it."""
    logprobs: ChoiceLogprobs | None = None


@attrs.frozen(kw_only=True)
class ChatCompletion(Model):
    """A whole chat completion, as accumulated from a stream's chunks."""

    id: str
    object: str = "chat.completion"
    created: int = 0
    model: str = ""
    choices: list[CompletionChoice] = attrs.Factory(list)  # pyright: ignore[reportUnknownVariableType]
    usage: CompletionUsage | None = None
    system_fingerprint: str | None = None
    service_tier: ServiceTier | None = None
    """One of :data:`ServiceTier`; any other value is kept as the server sent it."""

    def neutral(self) -> NeutralResult:
        """The completion seen as any provider's result is: first choice's text, tool calls, end.

        With the usage; ``finish_reason`` mapped (``"function_call"`` is ``"tool_calls"``),
        ``provider_reason`` the API's own.
        """
        from rillet.events._neutral_views import chat_result  # noqa: PLC0415 - a cycle

        return chat_result(self)


# -- derived events ---------------------------------------------------------------------------


@attrs.frozen(kw_only=True)
class ChatEvent(Event):
    """Base of the events the chat accumulator derives from chunks, about one choice."""

    choice_index: int = 0


@attrs.frozen(kw_only=True)
class ChatContentDeltaEvent(ChatEvent, DeltaEvent):
    """More content of a choice (``chat.content.delta``)."""

    type: Literal["chat.content.delta"] = "chat.content.delta"
    delta: str


@attrs.frozen(kw_only=True)
class ChatContentDoneEvent(ChatEvent):
    """A choice's content is complete (``chat.content.done``)."""

    type: Literal["chat.content.done"] = "chat.content.done"
    content: str


@attrs.frozen(kw_only=True)
class ChatRefusalDeltaEvent(ChatEvent, DeltaEvent):
    """More refusal text of a choice (``chat.refusal.delta``)."""

    type: Literal["chat.refusal.delta"] = "chat.refusal.delta"
    delta: str


@attrs.frozen(kw_only=True)
class ChatRefusalDoneEvent(ChatEvent):
    """A choice's refusal is complete (``chat.refusal.done``)."""

    type: Literal["chat.refusal.done"] = "chat.refusal.done"
    refusal: str


@attrs.frozen(kw_only=True)
class ChatToolCallArgumentsDeltaEvent(ChatEvent, DeltaEvent):
    """More JSON arguments of tool call ``index`` (``chat.tool_call.arguments.delta``)."""

    type: Literal["chat.tool_call.arguments.delta"] = "chat.tool_call.arguments.delta"
    index: int
    id: str | None = None
    name: str | None = None
    delta: str


@attrs.frozen(kw_only=True)
class ChatToolCallArgumentsDoneEvent(ChatEvent):
    """Tool call ``index`` is complete (``chat.tool_call.arguments.done``)."""

    type: Literal["chat.tool_call.arguments.done"] = "chat.tool_call.arguments.done"
    index: int
    id: str | None = None
    name: str | None = None
    arguments: str


@attrs.frozen(kw_only=True)
class ChatError(Model):
    """The error object of a ``{"error": ...}`` payload."""

    message: str = ""
    type: str | None = None
    code: Any = None
    param: str | None = None


@attrs.frozen(kw_only=True)
class ChatErrorEvent(Event):
    """A ``data: {"error": {...}}`` payload in a chat stream (``chat.error``).

    Data first: the chat accumulator turns it into an exception.
    """

    _synthetic_fields: ClassVar[tuple[str, ...]] = ("type",)

    type: Literal["chat.error"] = "chat.error"
    error: ChatError


CHAT_EVENT_TYPES: dict[str, type[Event]] = by_type(
    ChatCompletionChunk,
    ChatContentDeltaEvent,
    ChatContentDoneEvent,
    ChatRefusalDeltaEvent,
    ChatRefusalDoneEvent,
    ChatToolCallArgumentsDeltaEvent,
    ChatToolCallArgumentsDoneEvent,
    ChatErrorEvent,
)
"""Every chat event type string, and its class."""
