"""From a decoded server-sent event to its typed event: one dict lookup, one class structured.

The class is picked by the JSON ``type`` (the SSE ``event:`` field stands in when the JSON has
no ``type``). Then exactly that class is structured: no union is tried member by member.

Bad data is a typed :class:`~rillet.EventDecodeError` naming the event type, the field and an
excerpt. The ``on_invalid`` policy decides what a parse function does with it: ``"raise"`` (the
default) raises it, ``"return"`` returns an :class:`InvalidEvent` that carries it, so a stream
can yield it and go on.
"""

from __future__ import annotations

from typing import Any, Final, Literal

import attrs
from cattrs.errors import ClassValidationError, IterableValidationError

from rillet._errors import EventDecodeError, excerpt
from rillet._json import JSONValue, Loads, loads
from rillet._sse import ServerSentEvent
from rillet.events._chat import ChatCompletionChunk, ChatErrorEvent
from rillet.events._direct import Direct, direct_decoder
from rillet.events._model import Build, converter, structure_hook
from rillet.events._registry import response_event_class
from rillet.events._response import KIND_FIELDS
from rillet.events._responses import Event, UnknownEvent

__all__ = [
    "InvalidEvent",
    "OnInvalid",
    "parse_chat_chunk",
    "parse_event",
    "parse_event_data",
]

OnInvalid = Literal["raise", "return"]
"""What a parse function does with bad data: raise the error, or return an InvalidEvent."""


@attrs.frozen(kw_only=True)
class InvalidEvent(Event):
    """An event whose data could not be decoded, returned under ``on_invalid="return"``.

    Attributes:
        event_type: The type the event claimed, if any.
        raw_data: The event's data, exactly as received.
        error: What was wrong with it.
    """

    type: Literal["invalid"] = "invalid"
    event_type: str | None = None
    raw_data: bytes = attrs.field(default=b"", repr=False)
    error: EventDecodeError = attrs.field(eq=False)


_routes: dict[str, tuple[type[Event], Build[Event]]] = {}  # Responses type -> (class, structure fn)


def _route(event_type: str) -> tuple[type[Event], Build[Event]] | None:
    route = _routes.get(event_type)
    if route is None:
        cls = response_event_class(event_type)
        if cls is None:
            return None
        route = _routes[event_type] = (cls, structure_hook(cls, routed=True))
    return route


# Responses type -> its msgspec decoder, or False: the builder's job.
_directs: dict[str, Direct | Literal[False]] = {}


def _direct(event_type: str) -> Direct | Literal[False]:
    cls = response_event_class(event_type)
    direct = _directs[event_type] = (cls is not None and direct_decoder(cls)) or False
    return direct


# The chat builders are made by the first chat chunk: they take ~4 ms to make, which a program
# that streams only from the Responses API need not spend at import.
_chat_builders: tuple[Build[ChatCompletionChunk], Build[ChatErrorEvent]] | None = None


def _make_chat_builders() -> tuple[Build[ChatCompletionChunk], Build[ChatErrorEvent]]:
    global _chat_builders  # noqa: PLW0603 - made once, then read as a plain global
    _chat_builders = (
        structure_hook(ChatCompletionChunk, routed=True),
        structure_hook(ChatErrorEvent, routed=True),
    )
    return _chat_builders


def _unknown(data: dict[str, Any], event_type: str) -> UnknownEvent:
    number = data.get("sequence_number")
    return UnknownEvent(
        event_type=event_type,
        sequence_number=number if type(number) is int else None,
        data=data,
    )


converter.register_structure_hook(
    UnknownEvent, lambda data, _: _unknown(data, str(data.get("type", "")))
)


def parse_event(sse: ServerSentEvent, *, on_invalid: OnInvalid = "raise") -> Event:
    """The typed event of one server-sent event of a Responses API stream.

    Unknown types become :class:`UnknownEvent`; ``{"type": "keepalive"}`` is a
    :class:`KeepaliveEvent`.

    Raises:
        EventDecodeError: The data is not a valid event (with ``on_invalid="raise"``).
    """
    return parse_event_data(
        sse.event if sse.has_event_field else None, sse.raw_data, on_invalid=on_invalid
    )


def parse_event_data(
    event_type: str | None, data: bytes, *, on_invalid: OnInvalid = "raise"
) -> Event:
    """The typed event for JSON ``data``, routed by ``event_type`` (the SSE ``event:`` field).

    ``event_type`` may be ``None`` when the server sent no ``event:`` line: the JSON ``type``
    routes it then. When both are given and differ, the JSON ``type`` wins.

    Raises:
        EventDecodeError: The data is not a valid event (with ``on_invalid="raise"``).
    """
    return read_event(event_type, data, on_invalid, loads)


def read_event(  # noqa: PLR0911 - the usual cases return early, inline
    event_type: str | None, data: bytes, on_invalid: OnInvalid, read: Loads
) -> Event:
    """:func:`parse_event_data`, the JSON read by ``read`` (a stream knows a faster safe one)."""
    if event_type is not None:
        direct = _directs.get(event_type)
        if direct is None:
            direct = _direct(event_type)
        if direct:
            event = direct(data)
            if event is not None:
                return event
    # The whole usual case is inline (a call per step costs more than the step): errors are
    # explained by the helpers below.
    try:
        payload: JSONValue = read(data)
    except (ValueError, RecursionError) as error:
        return _not_json(event_type, data, error, on_invalid)
    if type(payload) is not dict:
        return _invalid(event_type, data, None, "not a JSON object", on_invalid)
    json_type = payload.get("type", event_type)  # the JSON type wins over the SSE event field
    if type(json_type) is not str:
        return _invalid(event_type, data, "type", "no type string", on_invalid)
    route = _routes.get(json_type) or _route(json_type)
    if route is None:
        return _unknown(payload, json_type)
    cls, build = route
    try:
        return build(payload, cls, data)
    except _INVALID as error:
        return _not_valid(error, cls, payload, data, event_type=json_type, on_invalid=on_invalid)


def parse_chat_chunk(
    data: bytes, *, on_invalid: OnInvalid = "raise"
) -> ChatCompletionChunk | ChatErrorEvent | InvalidEvent:
    """The chunk in the data of one event of a Chat Completions stream.

    A ``{"error": {...}}`` payload is a :class:`ChatErrorEvent`. The ``[DONE]`` sentinel that
    ends a chat stream is the stream's business, not data: it is not valid here.

    Raises:
        EventDecodeError: The data is not a valid chunk (with ``on_invalid="raise"``).
    """
    return read_chunk(data, on_invalid, loads)


def read_chunk(
    data: bytes, on_invalid: OnInvalid, read: Loads
) -> ChatCompletionChunk | ChatErrorEvent | InvalidEvent:
    """:func:`parse_chat_chunk`, the JSON read by ``read`` (a stream knows a faster safe one)."""
    kind = "chat.completion.chunk"
    try:
        payload: JSONValue = read(data)
    except (ValueError, RecursionError) as error:
        return _not_json(kind, data, error, on_invalid)
    if type(payload) is not dict:
        return _invalid(kind, data, None, "not a JSON object", on_invalid)
    build_chunk, build_error = _chat_builders or _make_chat_builders()
    cls: type[ChatCompletionChunk | ChatErrorEvent] = ChatCompletionChunk
    build: Build[ChatCompletionChunk | ChatErrorEvent] = build_chunk
    if "error" in payload and "choices" not in payload:
        cls, build, kind = ChatErrorEvent, build_error, "chat.error"
    try:
        return build(payload, cls, data)
    except _INVALID as error:
        return _not_valid(error, cls, payload, data, event_type=kind, on_invalid=on_invalid)


_INVALID: Final = (
    ClassValidationError,
    IterableValidationError,
    TypeError,
    ValueError,
    RecursionError,
)
"""What building a model from bad JSON raises (cattrs' errors, the inline checks', depth)."""


def _not_json(
    event_type: str | None, data: bytes, error: Exception, on_invalid: OnInvalid
) -> InvalidEvent:
    if isinstance(error, RecursionError):
        return _invalid(event_type, data, None, "JSON nested too deeply", on_invalid)
    return _invalid(event_type, data, None, f"not valid JSON ({error})", on_invalid)


def _not_valid(
    error: Exception,
    cls: type[Event],
    payload: dict[str, Any],
    data: bytes,
    *,
    event_type: str,
    on_invalid: OnInvalid,
) -> InvalidEvent:
    if isinstance(error, RecursionError):
        return _invalid(event_type, data, None, "JSON nested too deeply", on_invalid)
    field, reason = _first_problem(error)
    if field is not None:
        field = cls._wire_path(payload, field)
    return _invalid(event_type, data, field, reason, on_invalid)


def _invalid(
    event_type: str | None, data: bytes, field: str | None, reason: str, on_invalid: OnInvalid
) -> InvalidEvent:
    error = EventDecodeError(
        event_type=event_type, field=field, reason=reason, excerpt=excerpt(data)
    )
    if on_invalid == "raise":
        raise error
    return InvalidEvent(event_type=event_type, raw_data=data, error=error)


def _first_problem(error: BaseException, path: str = "") -> tuple[str | None, str]:
    """The path (``item.content[0].text``) and message of the first leaf error cattrs found."""
    if isinstance(error, ClassValidationError | IterableValidationError):
        for inner in error.exceptions:
            step = ""
            for note in getattr(inner, "__notes__", ()):
                if hasattr(note, "name"):
                    name = "type" if note.name in KIND_FIELDS else note.name  # as on the wire
                    step = f".{name}" if path else name
                elif hasattr(note, "index"):
                    step = f"[{note.index}]"
            return _first_problem(inner, path + step)
    if isinstance(error, KeyError):
        return path or None, "required field missing"
    return path or None, str(error)
