"""A Messages API stream for the stream machine: its events typed, accumulated, and its end.

Sans-IO, like the OpenAI protocols: the machine reads, times and retries; this says what the
events are, when the stream is over (``message_stop``, or an ``error`` event) and what the
result is.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any, Final, Literal, cast

from rillet._errors import StreamTruncatedError
from rillet._json import JSONValue, Loads, PayloadReader, loads
from rillet._protocols import Record, StreamProtocol
from rillet._sse import ServerSentEvent, SSEDecoder
from rillet.anthropic._accumulate import MessageAccumulator
from rillet.anthropic._events import (
    ANTHROPIC_EVENT_TYPES,
    AnthropicErrorEvent,
    AnthropicStreamEvent,
    ContentBlockDeltaEvent,
    InputJSONBlockDelta,
    MessageStopEvent,
    PingEvent,
    TextBlockDelta,
    ThinkingBlockDelta,
)
from rillet.anthropic._message import Message, Usage
from rillet.events import Event, ReasoningDelta, TextDelta, UnknownEvent
from rillet.events._direct import Direct, direct_decoder
from rillet.events._model import Build, Model, maker, structure_hook
from rillet.events._parse import (
    _INVALID,
    OnInvalid,
    _invalid,
    _not_json,
    _not_valid,
)

__all__ = ["AnthropicProtocol", "parse_anthropic_event"]

_builders: dict[str, tuple[type[AnthropicStreamEvent], Build[AnthropicStreamEvent]]] = {}
_directs: dict[str, Direct | Literal[False]] = {}


def _builder(event_type: str) -> tuple[type[AnthropicStreamEvent], Build[AnthropicStreamEvent]]:
    cls = ANTHROPIC_EVENT_TYPES[event_type]
    route = _builders[event_type] = (cls, structure_hook(cls, routed=True))
    return route


def _direct(event_type: str) -> Direct | Literal[False]:
    cls = ANTHROPIC_EVENT_TYPES.get(event_type)
    direct = _directs[event_type] = (cls is not None and direct_decoder(cls)) or False
    return direct


def parse_anthropic_event(
    event_type: str | None, data: bytes, *, on_invalid: OnInvalid = "raise"
) -> Event:
    """The typed event of one Messages API stream event's JSON ``data``.

    ``event_type`` is the SSE ``event:`` field (``None`` if none came); the JSON ``type`` wins
    when they differ. An event of a type rillet does not know is an
    :class:`~rillet.events.UnknownEvent`.

    Raises:
        EventDecodeError: ``data`` is not a valid event (with ``on_invalid="raise"``).
    """
    return read_anthropic_event(event_type, data, on_invalid, loads)


def read_anthropic_event(  # noqa: C901, PLR0911 - the usual cases return early, inline
    event_type: str | None, data: bytes, on_invalid: OnInvalid, read: Loads
) -> Event:
    """:func:`parse_anthropic_event`, the JSON read by ``read``."""
    if event_type is not None:
        direct = _directs.get(event_type)
        if direct is None:
            direct = _direct(event_type)
        if direct:
            event = direct(data)
            if event is not None:
                return event
    try:
        payload: JSONValue = read(data)
    except (ValueError, RecursionError) as error:
        return _not_json(event_type, data, error, on_invalid)
    if type(payload) is not dict:
        return _invalid(event_type, data, None, "not a JSON object", on_invalid)
    json_type = payload.get("type", event_type)
    if type(json_type) is not str:
        return _invalid(event_type, data, "type", "no type string", on_invalid)
    if json_type == "content_block_delta":
        made = _usual_delta(payload, data)
        if made is not None:
            return made
    route = _builders.get(json_type)
    if route is None:
        if json_type not in ANTHROPIC_EVENT_TYPES:
            return UnknownEvent(event_type=json_type, data=payload)
        route = _builder(json_type)
    cls, build = route
    try:
        return build(payload, cls, data)
    except _INVALID as error:
        return _not_valid(error, cls, payload, data, event_type=json_type, on_invalid=on_invalid)


_delta_event = maker(ContentBlockDeltaEvent, "index", "delta", "_source")
_USUAL_DELTAS: Final[dict[object, tuple[str, Callable[..., Model]]]] = {
    "text_delta": ("text", maker(TextBlockDelta, "text", "_source")),
    "input_json_delta": ("partial_json", maker(InputJSONBlockDelta, "partial_json", "_source")),
    "thinking_delta": ("thinking", maker(ThinkingBlockDelta, "thinking", "_source")),
}


def _usual_delta(payload: dict[str, Any], data: bytes) -> Event | None:
    """A ``content_block_delta`` of text, tool input or thinking, made as the builder makes it.

    Most of a stream is these: made directly (two slot-setting constructors), not through the
    builder and the delta union's hook; other fields (which the builder would not read either)
    stay in their JSON, which both keep. ``None`` for anything else: the builder then makes the
    event, or explains what is wrong.
    """
    index, found = payload.get("index"), payload.get("delta")
    if type(index) is not int or type(found) is not dict:
        return None
    delta = cast("dict[str, Any]", found)
    usual = _USUAL_DELTAS.get(delta.get("type"))
    if usual is None:
        return None
    field, make = usual
    value = delta.get(field)
    if type(value) is not str:
        return None
    return _delta_event(index, make(value, delta), data)


class AnthropicProtocol(StreamProtocol[Message]):
    """A Messages API stream: typed events, the neutral events they derive, ``message_stop``.

    An ``error`` event ends the stream with a :class:`~rillet.ServerStreamError` that carries
    the message so far; a body that ends without ``message_stop`` is a
    :class:`~rillet.StreamTruncatedError`, also with the message so far.
    """

    text_type = TextDelta
    keepalive = PingEvent

    def __init__(self, *, on_invalid: OnInvalid = "raise") -> None:
        self.on_invalid: OnInvalid = on_invalid
        self.accumulator = MessageAccumulator()
        self._payloads = PayloadReader()
        self._decoder = SSEDecoder()

    def decoder(self) -> SSEDecoder:
        """The SSE decoder of the body (kept: its end may hold the last event, see below)."""
        self._decoder = SSEDecoder()
        return self._decoder

    def receive_all(self, chunk: bytes, events: Iterable[ServerSentEvent], record: Record) -> bool:
        """Type, accumulate and record each event, then what it derives; whether it ended."""
        on_invalid, add, read = self.on_invalid, self.accumulator.add, self._payloads.scan(chunk)
        for name, data, _, _, named in events:
            routed = name if named else None
            event = read_anthropic_event(routed, data, on_invalid, read)
            derived = add(event)
            record(event, (routed, data))
            for neutral in derived:
                if type(neutral) is TextDelta:
                    record(neutral, (routed, _TEXT + neutral.text.encode()))
                elif type(neutral) is ReasoningDelta:
                    record(neutral, (routed, _REASONING + neutral.text.encode()))
                else:
                    record(neutral, neutral)
            if type(event) in _ENDS and self._over():
                return True
        return False

    def _over(self) -> bool:
        outcome = self.accumulator.outcome
        if outcome == "failed":
            self.accumulator.result()  # raises the server's error
        return outcome == "stopped"

    def receive_eof(self, record: Record) -> None:
        """The body ended: a last ``message_stop`` with no blank line after it still counts.

        The SSE rules discard an event that no blank line ends, and the official SDKs' own
        recordings end so (their decoders flush at the end of the body). Only a whole
        ``message_stop`` is taken from there: it is the stream's end marker and carries nothing
        else, so taking it cannot make up content; anything else cut there stays cut (the
        stream is truncated, and the error says what was discarded).
        """
        tail = self._decoder.unterminated
        if self.ended or tail is None or tail.size != len(tail.excerpt):
            return
        flushed = SSEDecoder().feed(tail.excerpt + b"\n\n")
        if len(flushed) != 1:
            return
        name, data, _, _, named = flushed[0]
        event = read_anthropic_event(name if named else None, data, "return", loads)
        if type(event) is MessageStopEvent:
            self.receive_all(b"", [flushed[0]], record)

    @property
    def ended(self) -> bool:
        """Whether ``message_stop`` (or an ``error`` event) arrived."""
        return self.accumulator.outcome != "streaming"

    @property
    def snapshot(self) -> Message | None:
        """The message accumulated so far."""
        return self.accumulator.snapshot

    @property
    def usage(self) -> Usage | None:
        """The usage so far (``message_start``'s, updated by ``message_delta``)."""
        snapshot = self.accumulator.snapshot
        return None if snapshot is None else snapshot.usage

    def replay(self, entry: tuple[str | None, bytes]) -> Event:
        """Parse a logged event again (or make a logged text or reasoning delta again)."""
        kind, payload = entry
        if payload[:1] == b"\r":
            text = payload[2:].decode()
            return _text_delta(text) if payload[:2] == _TEXT else _reasoning_delta(text)
        return parse_anthropic_event(kind, payload, on_invalid="return")

    def result(self, cut: str) -> Message:
        """The final message, or the error that says why there is none."""
        if self.accumulator.outcome == "streaming":
            what = "message_start" if self.snapshot is None else "message_stop"
            reason = f"{cut}, with no {what}"
            raise StreamTruncatedError(reason, partial=self.snapshot)
        return self.accumulator.result()


# The log keeps the derived text and reasoning deltas as their text (kept as objects, the many
# small events of a long stream would all be tracked by the garbage collector, whose passes over
# them cost more than making them again when a second pass reads the log), under the type of
# the event they come from (a run of one type costs the log least), marked by a first byte no
# server's data can have: a carriage return ends an SSE line, it is never in a field's value.
_TEXT: Final = b"\rT"
_REASONING: Final = b"\rR"
_text_delta = maker(TextDelta, "text")
_reasoning_delta = maker(ReasoningDelta, "text")

_ENDS: Final = frozenset({MessageStopEvent, AnthropicErrorEvent})
"""The events that may end a stream."""
