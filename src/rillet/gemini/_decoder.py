r"""The decoder of a Gemini stream's body (sans-IO): ``data:`` frames, and bare JSON objects.

A ``streamGenerateContent?alt=sse`` body is ``data: <json>`` frames separated by blank lines
(CRLF or LF line ends), but an error comes as a bare, pretty-printed JSON object over several
lines with no ``data:`` at all, as the whole body or after some frames. A strict SSE parser
drops those lines silently; this decoder buffers them until the object's braces balance (braces
inside strings do not count), as a Gemini client must, and gives the object as a frame.

At the end of the body, a last ``data:`` frame with no blank line after it is given too if it
is whole JSON: google-genai processes such a frame, and recordings end that way. A frame (or a
bare object) that the end cut in the middle is not: it is :attr:`GeminiDecoder.unterminated`,
and the stream is truncated.
"""

from __future__ import annotations

from typing import Final

from rillet._errors import EventDecodeError, EventTooLargeError, SSEError, excerpt
from rillet._json import loads
from rillet._sse import DEFAULT_MAX_EVENT_SIZE, ServerSentEvent, UnterminatedEvent

__all__ = ["FrameDecodeError", "GeminiDecoder"]

_BOM: Final = b"\xef\xbb\xbf"
_IGNORED_FIELDS: Final = (b"event:", b"id:", b"retry:", b":")  # SSE fields Gemini never uses


class FrameDecodeError(EventDecodeError):
    """A line of the body is neither a ``data:`` line nor part of a JSON object.

    Attributes:
        offset: The byte offset of the line in the body.
        events: The frames completed earlier in the same chunk (kept: they were received).
    """

    def __init__(self, *, offset: int, line: bytes, events: list[ServerSentEvent]) -> None:
        self.offset = offset
        self.events = events
        reason = f"the line at byte {offset} is neither a data: line nor a JSON object"
        super().__init__(event_type=None, field=None, reason=reason, excerpt=excerpt(line))


def _frame(data: bytes) -> ServerSentEvent:
    return ServerSentEvent("message", data)


class _Braces:
    """Whether the lines of a bare JSON object seen so far close it (strings skipped)."""

    __slots__ = ("depth", "escaped", "in_string")

    def __init__(self) -> None:
        self.depth = 0
        self.in_string = False
        self.escaped = False

    def closes(self, line: bytes) -> bool:
        """Scan ``line``; whether the object is complete at its end."""
        if not self.in_string and b'"' not in line and b"\\" not in line:  # the usual line
            self.depth += line.count(b"{") - line.count(b"}")
            return self.depth <= 0
        for byte in line:
            if self.in_string:
                if self.escaped:
                    self.escaped = False
                elif byte == 0x5C:  # backslash
                    self.escaped = True
                elif byte == 0x22:  # quote
                    self.in_string = False
            elif byte == 0x22:
                self.in_string = True
            elif byte == 0x7B:
                self.depth += 1
            elif byte == 0x7D:
                self.depth -= 1
        return self.depth <= 0 and not self.in_string


class GeminiDecoder:
    r"""Incremental decoder of a Gemini body: feed bytes, get one event per JSON frame.

    Each event's ``raw_data`` is the frame's JSON (the ``data:`` lines' values joined by LF,
    or a bare object's lines). Any chunking of the same bytes gives the same events.

    Example:
        >>> decoder = GeminiDecoder()
        >>> [event.raw_data for event in decoder.feed(b'data: {"a": 1}\r\n\r\n{\n  "error": {}\n')]
        [b'{"a": 1}']
        >>> [event.raw_data for event in decoder.feed(b"}\n")]
        [b'{\n  "error": {}\n}']

    Args:
        max_event_size: The largest frame, in bytes; past it :meth:`feed` raises
            :class:`~rillet.EventTooLargeError`.
    """

    __slots__ = (
        "_braces",
        "_buffer",
        "_closed",
        "_data",
        "_data_size",
        "_frame_start",
        "_max",
        "_object",
        "_offset",
        "_scanned",
        "_started",
        "_tail",
        "_unterminated",
    )

    def __init__(self, *, max_event_size: int = DEFAULT_MAX_EVENT_SIZE) -> None:
        self._max = max_event_size
        self._buffer = bytearray()  # bytes not yet made into lines
        self._offset = 0  # body offset of _buffer[0]
        self._scanned = 0  # how much of _buffer is known to hold no line end
        self._data: list[bytes] = []  # the data: values of the current frame
        self._data_size = 0
        self._object: list[bytes] | None = None  # the lines of a bare JSON object, if in one
        self._braces = _Braces()
        self._frame_start = 0
        self._started = False  # past a possible BOM
        self._closed = False
        self._tail: list[ServerSentEvent] = []
        self._unterminated: UnterminatedEvent | None = None

    @property
    def unterminated(self) -> UnterminatedEvent | None:
        """What the end of the body cut in the middle, if anything (``None`` until closed)."""
        return self._unterminated

    @property
    def tail(self) -> list[ServerSentEvent]:
        """The frame the end of the body completed (an unterminated last frame), if any."""
        return self._tail

    def feed(self, chunk: bytes) -> list[ServerSentEvent]:
        """The frames that ``chunk`` completes.

        Raises:
            FrameDecodeError: A line is neither a ``data:`` line nor part of a JSON object.
            EventTooLargeError: A frame grew past ``max_event_size``.
            SSEError: The decoder was closed.
        """
        if self._closed:
            msg = "feed() on a closed GeminiDecoder: create a new decoder for a new body"
            raise SSEError(msg)
        buffer = self._buffer
        buffer += chunk
        if not self._started:
            if len(buffer) < len(_BOM) and _BOM.startswith(bytes(buffer)):
                return []
            self._started = True
            if buffer.startswith(_BOM):
                del buffer[: len(_BOM)]
                self._offset += len(_BOM)
        events: list[ServerSentEvent] = []
        self._lines(buffer, events)
        if len(buffer) + self._data_size > self._max + len(b"data: "):
            raise self._too_large(events)
        return events

    def _lines(self, buffer: bytearray, events: list[ServerSentEvent]) -> None:
        """Take the whole lines out of ``buffer``."""
        start = 0
        end = len(buffer)
        scan = self._scanned
        while True:
            lf = buffer.find(b"\n", scan)
            cr = buffer.find(b"\r", scan, lf if lf >= 0 else end)
            if cr >= 0:
                if cr + 1 == end:  # a CR at the end: it may be the start of a CRLF
                    break
                stop, after = cr, cr + 2 if buffer[cr + 1] == 0x0A else cr + 1
            elif lf >= 0:
                stop, after = lf, lf + 1
            else:
                break
            self._line(bytes(buffer[start:stop]), self._offset + start, events)
            start = scan = after
        if start:
            del buffer[:start]
            self._offset += start
            scan -= start
        self._scanned = len(buffer) - 1 if buffer.endswith(b"\r") else len(buffer)

    def close(self) -> list[ServerSentEvent]:
        """The body ended: the frame the end completes (also kept in :attr:`tail`)."""
        if self._closed:
            return self._tail
        self._closed = True
        events: list[ServerSentEvent] = []
        if self._buffer:  # a last line with no line end
            line = bytes(self._buffer).removesuffix(b"\r")
            self._buffer.clear()
            try:
                self._line(line, self._offset, events)
            except FrameDecodeError as error:
                self._unterminated = UnterminatedEvent(error.offset, len(line), excerpt(line))
        if self._data:
            self._flush(self._join(), events)
        elif self._object is not None:
            self._flush(b"\n".join(self._object), events)
        self._tail = events
        return events

    def _flush(self, data: bytes, events: list[ServerSentEvent]) -> None:
        """Give an unterminated last frame if it is whole JSON; else it was cut."""
        try:
            loads(data)
        except (ValueError, RecursionError):
            self._unterminated = UnterminatedEvent(self._frame_start, len(data), excerpt(data))
        else:
            events.append(_frame(data))

    def _join(self) -> bytes:
        data = self._data
        joined = data[0] if len(data) == 1 else b"\n".join(data)
        self._data, self._data_size = [], 0
        return joined

    def _line(self, line: bytes, offset: int, events: list[ServerSentEvent]) -> None:
        """One line (without its line end), at body offset ``offset``."""
        if self._object is not None:
            self._object_line(line, events)
        elif line.startswith(b"data:"):
            if not self._data:
                self._frame_start = offset
            value = line[6:] if line.startswith(b"data: ") else line[5:]
            self._data.append(value)
            self._data_size += len(value) + 1
        elif not line:
            if self._data:
                events.append(_frame(self._join()))
        elif line.lstrip().startswith(b"{"):
            if self._data:  # google-genai keeps both; a frame cannot hold an object's lines
                events.append(_frame(self._join()))
            self._frame_start = offset
            self._object, self._braces, self._data_size = [], _Braces(), 0
            self._object_line(line, events)
        elif not line.startswith(_IGNORED_FIELDS):
            raise FrameDecodeError(offset=offset, line=line, events=events)

    def _object_line(self, line: bytes, events: list[ServerSentEvent]) -> None:
        """A line of a bare JSON object."""
        lines = self._object
        assert lines is not None  # noqa: S101 - called in an object
        lines.append(line)
        self._data_size += len(line) + 1
        if self._braces.closes(line):
            self._object = None
            self._data_size = 0
            events.append(_frame(b"\n".join(lines)))

    def _too_large(self, events: list[ServerSentEvent]) -> EventTooLargeError:
        self._closed = True
        size = len(self._buffer) + self._data_size
        return EventTooLargeError(
            size=size,
            limit=self._max,
            offset=self._frame_start,
            excerpt=excerpt(b"".join(self._data or self._object or [bytes(self._buffer)])),
            events=events,
        )
