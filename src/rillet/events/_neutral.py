"""Provider-neutral events: the small family every stream derives beside its own events.

Each provider's accumulator emits them after the event (or chunk) they come from, so a handler
of :class:`TextDelta` or ``"tool_call.done"`` works unchanged on OpenAI Responses, Chat
Completions, Anthropic and Gemini streams, and one :class:`~rillet.Router` serves them all.
:class:`NeutralResult` is the same idea for a stream's final result.
"""

from __future__ import annotations

from typing import Literal, TypeAlias

import attrs

from rillet.events._model import Model, by_type
from rillet.events._responses import Event

__all__ = [
    "NEUTRAL_EVENT_TYPES",
    "AnyNeutralEvent",
    "EndReason",
    "Finished",
    "NeutralEvent",
    "NeutralResult",
    "NeutralToolCall",
    "NeutralUsage",
    "Provider",
    "ReasoningDelta",
    "TextDelta",
    "TextDone",
    "ToolCallArgumentsDelta",
    "ToolCallDone",
    "ToolCallStarted",
    "UsageReported",
]

EndReason: TypeAlias = Literal["stop", "length", "tool_calls", "content_filter", "error", "other"]
"""Why a generation ended, the same for every provider.

``stop``: it finished (end of turn, a stop sequence); ``length``: a token limit (or the context
window) cut it; ``tool_calls``: it stopped to have tools called; ``content_filter``: a safety
system, a refusal or recitation check stopped it; ``error``: the stream failed; ``other``:
anything else (the provider's own reason is kept beside it).
"""

Provider: TypeAlias = Literal["openai.responses", "openai.chat", "anthropic", "gemini"]
"""Which API a stream or a result is of."""


@attrs.frozen(kw_only=True)
class NeutralUsage(Model):
    """Token counts, the same for every provider (``None``: the provider did not say)."""

    input_tokens: int = 0
    output_tokens: int = 0
    total_tokens: int = 0
    reasoning_tokens: int | None = None
    """Of the output tokens, how many were reasoning (thinking) tokens."""
    cached_input_tokens: int | None = None
    """Of the input tokens, how many were read from the provider's prompt cache."""


@attrs.frozen(kw_only=True)
class NeutralToolCall(Model):
    """A call of one of the user's tools (functions) that the model asked for."""

    id: str
    """The call's id, to send its result back with ("" where the provider gives none)."""
    name: str
    arguments: str
    """The arguments, as JSON text."""


@attrs.frozen(kw_only=True)
class NeutralResult(Model):
    """Any provider's final result, seen the same way: what ``result.neutral()`` returns."""

    provider: Provider
    model: str | None = None
    id: str | None = None
    text: str = ""
    """The output text (of the first choice or candidate), joined."""
    reasoning: str = ""
    """The reasoning (thinking) text the provider showed, joined."""
    tool_calls: tuple[NeutralToolCall, ...] = ()
    usage: NeutralUsage | None = None
    finish_reason: EndReason | None = None
    """Why it ended (``None``: it has not ended)."""
    provider_reason: str | None = None
    """The provider's own reason (``end_turn``, ``MAX_TOKENS``, ``incomplete``...)."""


# -- the events -------------------------------------------------------------------------------


@attrs.frozen(kw_only=True)
class NeutralEvent(Event):
    """Base of the provider-neutral events."""


@attrs.frozen(kw_only=True)
class TextDelta(NeutralEvent):
    """More output text (``text.delta``)."""

    type: Literal["text.delta"] = "text.delta"
    text: str
    choice: int = 0
    """Which choice or candidate it is of (there are several with chat's ``n``)."""


@attrs.frozen(kw_only=True)
class TextDone(NeutralEvent):
    """A piece of output text (a message, content part or block) is whole (``text.done``)."""

    type: Literal["text.done"] = "text.done"
    text: str
    choice: int = 0


@attrs.frozen(kw_only=True)
class ReasoningDelta(NeutralEvent):
    """More reasoning (thinking, or its summary) text (``reasoning.delta``)."""

    type: Literal["reasoning.delta"] = "reasoning.delta"
    text: str
    choice: int = 0


@attrs.frozen(kw_only=True)
class ToolCallStarted(NeutralEvent):
    """The model began a call of one of the user's tools (``tool_call.started``)."""

    type: Literal["tool_call.started"] = "tool_call.started"
    index: int
    """The call's position among this result's tool calls, from 0 (it ties the call's events)."""
    id: str
    name: str
    choice: int = 0


@attrs.frozen(kw_only=True)
class ToolCallArgumentsDelta(NeutralEvent):
    """More of a tool call's JSON arguments (``tool_call.arguments.delta``)."""

    type: Literal["tool_call.arguments.delta"] = "tool_call.arguments.delta"
    index: int
    id: str
    name: str
    delta: str
    choice: int = 0


@attrs.frozen(kw_only=True)
class ToolCallDone(NeutralEvent):
    """A tool call is whole, its arguments complete (``tool_call.done``)."""

    type: Literal["tool_call.done"] = "tool_call.done"
    index: int
    id: str
    name: str
    arguments: str
    """The arguments, as JSON text."""
    choice: int = 0


@attrs.frozen(kw_only=True)
class UsageReported(NeutralEvent):
    """The stream's final token counts (``usage``), just before :class:`Finished`."""

    type: Literal["usage"] = "usage"
    usage: NeutralUsage


@attrs.frozen(kw_only=True)
class Finished(NeutralEvent):
    """The generation ended (``finished``): the last neutral event of a stream."""

    type: Literal["finished"] = "finished"
    reason: EndReason
    provider_reason: str | None = None
    """The provider's own reason (``end_turn``, ``MAX_TOKENS``, ``length``...)."""


AnyNeutralEvent: TypeAlias = (
    TextDelta
    | TextDone
    | ReasoningDelta
    | ToolCallStarted
    | ToolCallArgumentsDelta
    | ToolCallDone
    | UsageReported
    | Finished
)
"""Any provider-neutral event, as a union that type checkers narrow by ``type``."""

NEUTRAL_EVENT_TYPES: dict[str, type[NeutralEvent]] = by_type(
    TextDelta,
    TextDone,
    ReasoningDelta,
    ToolCallStarted,
    ToolCallArgumentsDelta,
    ToolCallDone,
    UsageReported,
    Finished,
)
"""Every provider-neutral event type string, and its class."""
