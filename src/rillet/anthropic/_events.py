"""The events of a Messages API stream, and the deltas of ``content_block_delta``.

==========================  ==============================================================
type                        class
==========================  ==============================================================
``message_start``           :class:`MessageStartEvent` (the message, content empty)
``content_block_start``     :class:`ContentBlockStartEvent` (a block begins, or arrives whole)
``content_block_delta``     :class:`ContentBlockDeltaEvent` (``delta``: one of
                            :data:`BlockDelta`)
``content_block_stop``      :class:`ContentBlockStopEvent`
``message_delta``           :class:`MessageDeltaEvent` (stop reason, cumulative usage)
``message_stop``            :class:`MessageStopEvent` (the stream's own end)
``ping``                    :class:`PingEvent` (a keepalive)
``error``                   :class:`AnthropicErrorEvent` (``overloaded_error``...)
==========================  ==============================================================

An event of another type is a :class:`~rillet.events.UnknownEvent`; a delta of another kind an
:class:`UnknownBlockDelta`: both kept whole, never dropped.
"""

from __future__ import annotations

from typing import Any, ClassVar, Literal, TypeAlias

import attrs

from rillet.anthropic._message import ContentBlock, Message
from rillet.events._model import Model, by_type, tagged_union
from rillet.events._response import _UnknownKind
from rillet.events._responses import Event, UnknownEvent

__all__ = [
    "ANTHROPIC_EVENT_TYPES",
    "AnthropicError",
    "AnthropicErrorEvent",
    "AnthropicEvent",
    "AnthropicStreamEvent",
    "BlockDelta",
    "CitationsBlockDelta",
    "CompactionBlockDelta",
    "ContentBlockDeltaEvent",
    "ContentBlockStartEvent",
    "ContentBlockStopEvent",
    "InputJSONBlockDelta",
    "MessageDelta",
    "MessageDeltaEvent",
    "MessageDeltaUsage",
    "MessageStartEvent",
    "MessageStopEvent",
    "PingEvent",
    "SignatureBlockDelta",
    "TextBlockDelta",
    "ThinkingBlockDelta",
    "UnknownBlockDelta",
]


# -- deltas -----------------------------------------------------------------------------------


@attrs.frozen(kw_only=True)
class TextBlockDelta(Model):
    """More text of a text block (``text_delta``)."""

    type: Literal["text_delta"] = "text_delta"
    text: str


@attrs.frozen(kw_only=True)
class InputJSONBlockDelta(Model):
    """More of a tool call's input, as JSON text cut anywhere (``input_json_delta``)."""

    type: Literal["input_json_delta"] = "input_json_delta"
    partial_json: str


@attrs.frozen(kw_only=True)
class ThinkingBlockDelta(Model):
    """More reasoning text of a thinking block (``thinking_delta``)."""

    type: Literal["thinking_delta"] = "thinking_delta"
    thinking: str


@attrs.frozen(kw_only=True)
class SignatureBlockDelta(Model):
    """The signature of a thinking block (``signature_delta``), just before its end."""

    type: Literal["signature_delta"] = "signature_delta"
    signature: str


@attrs.frozen(kw_only=True)
class CitationsBlockDelta(Model):
    """A citation of the text block that follows (``citations_delta``; a JSON object)."""

    type: Literal["citations_delta"] = "citations_delta"
    citation: dict[str, Any]


@attrs.frozen(kw_only=True)
class CompactionBlockDelta(Model):
    """The summary of a compaction block (``compaction_delta``): it replaces the content."""

    type: Literal["compaction_delta"] = "compaction_delta"
    content: str | None = None
    encrypted_content: str | None = None


@attrs.frozen(kw_only=True)
class UnknownBlockDelta(_UnknownKind):
    """A delta of a kind rillet does not know (yet); ``to_dict()`` has all of it.

    Its ``type`` is ``"unknown"``; ``delta_type`` is the server's.
    """

    _kind_field: ClassVar[str] = "delta_type"
    type: Literal["unknown"] = "unknown"
    delta_type: str


BlockDelta = (
    TextBlockDelta
    | InputJSONBlockDelta
    | ThinkingBlockDelta
    | SignatureBlockDelta
    | CitationsBlockDelta
    | CompactionBlockDelta
    | UnknownBlockDelta
)
"""The ``delta`` of a ``content_block_delta`` event."""

tagged_union(BlockDelta, by_type(*BlockDelta.__args__[:-1]), UnknownBlockDelta)


# -- events -----------------------------------------------------------------------------------


@attrs.frozen(kw_only=True)
class AnthropicStreamEvent(Event):
    """Base of the events of a Messages API stream."""


@attrs.frozen(kw_only=True)
class MessageStartEvent(AnthropicStreamEvent):
    """The stream begins (``message_start``): the message, with no content yet (usually)."""

    type: Literal["message_start"] = "message_start"
    message: Message


@attrs.frozen(kw_only=True)
class ContentBlockStartEvent(AnthropicStreamEvent):
    """A content block begins at ``index`` (results of server tools arrive whole here)."""

    type: Literal["content_block_start"] = "content_block_start"
    index: int
    content_block: ContentBlock


@attrs.frozen(kw_only=True)
class ContentBlockDeltaEvent(AnthropicStreamEvent):
    """More of the content block at ``index``: text, tool input JSON, thinking..."""

    type: Literal["content_block_delta"] = "content_block_delta"
    index: int
    delta: BlockDelta


@attrs.frozen(kw_only=True)
class ContentBlockStopEvent(AnthropicStreamEvent):
    """The content block at ``index`` is whole."""

    type: Literal["content_block_stop"] = "content_block_stop"
    index: int


@attrs.frozen(kw_only=True)
class MessageDelta(Model):
    """What changes at the message's end: why it stopped, the container used."""

    stop_reason: str | None = None
    stop_sequence: str | None = None
    stop_details: dict[str, Any] | None = None
    container: dict[str, Any] | None = None


@attrs.frozen(kw_only=True)
class MessageDeltaUsage(Model):
    """The usage of a ``message_delta``: cumulative totals (``None``: not sent, unchanged)."""

    output_tokens: int = 0
    input_tokens: int | None = None
    cache_creation_input_tokens: int | None = None
    cache_read_input_tokens: int | None = None
    server_tool_use: dict[str, Any] | None = None


@attrs.frozen(kw_only=True)
class MessageDeltaEvent(AnthropicStreamEvent):
    """The message's end (``message_delta``): stop reason, final usage."""

    type: Literal["message_delta"] = "message_delta"
    delta: MessageDelta = attrs.Factory(MessageDelta)
    usage: MessageDeltaUsage = attrs.Factory(MessageDeltaUsage)
    context_management: dict[str, Any] | None = None


@attrs.frozen(kw_only=True)
class MessageStopEvent(AnthropicStreamEvent):
    """The stream's own end (``message_stop``)."""

    type: Literal["message_stop"] = "message_stop"


@attrs.frozen(kw_only=True)
class PingEvent(AnthropicStreamEvent):
    """A keepalive (``ping``): it says the connection lives, not that the model progressed."""

    type: Literal["ping"] = "ping"


@attrs.frozen(kw_only=True)
class AnthropicError(Model):
    """The error an ``error`` event reports (``overloaded_error``, ``api_error``...)."""

    type: str = ""
    message: str = ""


@attrs.frozen(kw_only=True)
class AnthropicErrorEvent(AnthropicStreamEvent):
    """The server reported an error mid-stream (``error``); the stream ends with it."""

    type: Literal["error"] = "error"
    error: AnthropicError = attrs.Factory(AnthropicError)
    request_id: str | None = None


AnthropicEvent: TypeAlias = (
    MessageStartEvent
    | ContentBlockStartEvent
    | ContentBlockDeltaEvent
    | ContentBlockStopEvent
    | MessageDeltaEvent
    | MessageStopEvent
    | PingEvent
    | AnthropicErrorEvent
    | UnknownEvent
)
"""Any event of a Messages API stream, as a union that type checkers narrow by ``type``."""

ANTHROPIC_EVENT_TYPES: dict[str, type[AnthropicStreamEvent]] = by_type(
    MessageStartEvent,
    ContentBlockStartEvent,
    ContentBlockDeltaEvent,
    ContentBlockStopEvent,
    MessageDeltaEvent,
    MessageStopEvent,
    PingEvent,
    AnthropicErrorEvent,
)
"""Every Messages API stream event type string, and its class."""
