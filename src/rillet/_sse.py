r"""A sans-IO, incremental decoder of the ``text/event-stream`` format.

Bytes go in with :meth:`SSEDecoder.feed`, events come out; the decoder does no I/O and imports
nothing asynchronous, so any transport (or a file, or a test) can drive it. It follows the WHATWG
HTML rules for *interpreting an event stream* exactly, but for one bound: a ``retry`` value of
more than 10 significant digits is capped at 9,999,999,999 ms instead of parsed whole.

Why it is shaped the way it is:

* **Linear work whatever the chunking.** A line that arrives over many chunks is kept as a list of
  pieces (memoryviews of the immutable chunks, not copies) and joined once when its end arrives;
  only the new chunk is ever searched for a line end, never the buffered prefix. Feeding an 8 MiB
  event one TCP segment at a time therefore costs O(8 MiB), not O(8 MiB²/segment).
* **Bytes are scanned in C.** Line ends are found with ``bytes.find`` (memchr), never per character
  in Python, and a chunk without any CR takes a fast path that recognises the shapes real servers
  send (``event: X\ndata: Y\n\n`` and ``data: Y\n\n``) with a handful of C calls and builds one
  Python object per event, not one per line.
* **Payload bytes are copied once**, from the chunk into :attr:`ServerSentEvent.raw_data`; they are
  decoded to ``str`` only if someone reads :attr:`ServerSentEvent.data` (JSON parsers read the
  bytes directly). The event type is read from the ``event:`` field, so routing needs no JSON parse.
* **Bounded memory.** ``max_event_size`` turns a runaway event (a broken or hostile server) into a
  clear :class:`~rillet.EventTooLargeError` instead of unbounded buffering.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from itertools import chain
from typing import Final, NamedTuple

import attrs

from rillet._errors import EXCERPT_BYTES as _EXCERPT
from rillet._errors import EventTooLargeError, SSEError, excerpt

__all__ = ["DEFAULT_MAX_EVENT_SIZE", "SSEDecoder", "ServerSentEvent", "UnterminatedEvent"]

DEFAULT_MAX_EVENT_SIZE: Final = 16 * 1024 * 1024
"""The default ``max_event_size``: 16 MiB, above any event the OpenAI APIs send."""

_LF: Final = 0x0A
_CR: Final = 0x0D
_COLON: Final = 0x3A
_SPACE: Final = 0x20
_BOM: Final = b"\xef\xbb\xbf"
# Event names are few; decoding each one once is enough. The bound stops a hostile stream
# with ever-new names from growing the cache.
_NAME_CACHE_LIMIT: Final = 256
# A line may exceed max_event_size by its field name: a data value of exactly the maximum fits.
_FIELD_SLACK: Final = len(b"data: ")
# The two shapes servers send for nearly every event. A run of whole events of one shape is cut
# out by one ``findall`` (C code) and checked to cover its span exactly, byte for byte.
_NAMED_EVENTS: Final = re.compile(rb"event: ([^\n]+)\ndata: ([^\n]*)\n\n")
_NAMED_OVERHEAD: Final = len(b"event: \ndata: \n\n")
_DATA_EVENTS: Final = re.compile(rb"data: ([^\n]*)\n\n")
_DATA_OVERHEAD: Final = len(b"data: \n\n")
_RETRY_DIGITS: Final = 10
_MAX_RETRY: Final = 10**_RETRY_DIGITS - 1


class ServerSentEvent(NamedTuple):
    """One dispatched event: a frozen value.

    Attributes:
        event: The event type: the ``event`` field's value, or ``"message"`` when none was sent.
        raw_data: The data buffer as bytes (``data`` lines joined with LF), exactly as received.
        id: The last event ID as the spec defines it: sticky across events until an ``id``
            field changes it.
        retry: The stream's reconnection time in milliseconds when this event was dispatched,
            or ``None`` if the server never sent a valid ``retry`` field. A value of more than
            10 digits (leading zeros aside) is capped at 9,999,999,999 (about 115 days).
        has_event_field: Whether an ``event`` field with a non-empty value set this event's type
            (as opposed to the ``"message"`` default).
    """

    event: str = "message"
    raw_data: bytes = b""
    id: str = ""
    retry: int | None = None
    has_event_field: bool = False

    @property
    def data(self) -> str:
        """The data decoded as UTF-8 (invalid bytes become U+FFFD), decoded on each access."""
        return self.raw_data.decode("utf-8", "replace")


@attrs.frozen
class UnterminatedEvent:
    """What :meth:`SSEDecoder.close` discarded: an event with no blank line after it.

    Per the spec such an event is never dispatched; this record lets a stream say "truncated
    after byte N" instead of silently losing it.

    Attributes:
        offset: Stream byte offset where the discarded event began.
        size: How many bytes were discarded.
        excerpt: The first bytes of the discarded event.
    """

    offset: int
    size: int
    excerpt: bytes


# tuple.__new__ skips the NamedTuple's own __new__ (a Python function): a faster constructor.
# tuple[object, ...].__new__ is the same function, with argument types a type checker knows.
_new_event: Callable[
    [type[ServerSentEvent], tuple[str, bytes, str, int | None, bool]], ServerSentEvent
] = tuple[object, ...].__new__


def _prefix(pieces: list[memoryview], size: int) -> bytes:
    """The first ``size`` bytes of the line held in ``pieces``."""
    head = b""
    for piece in pieces:
        head += piece[: size - len(head)]
        if len(head) == size:
            break
    return head


def _drop(pieces: list[memoryview], count: int) -> list[memoryview]:
    """``pieces`` without their first ``count`` bytes (views only: nothing is copied)."""
    while count:
        first = pieces[0]
        if len(first) > count:
            pieces[0] = first[count:]
            break
        count -= len(first)
        del pieces[0]
    return pieces


class SSEDecoder:
    r"""Incremental ``text/event-stream`` decoder: feed bytes, get :class:`ServerSentEvent`\ s.

    Example:
        >>> decoder = SSEDecoder()
        >>> decoder.feed(b"event: greeting\ndata: hel")
        []
        >>> [event.data for event in decoder.feed(b"lo\n\n")]
        ['hello']
        >>> decoder.close()
        []

    Args:
        max_event_size: The largest event data (``len(raw_data)``) the decoder will buffer, in
            bytes; no line may be longer than this plus the length of a ``data:`` field name
            and its space, comments included. Past it, :meth:`feed` raises
            :class:`~rillet.EventTooLargeError`.
        last_event_id: The last event ID to start from, when reconnecting to a stream.
    """

    __slots__ = (
        "_at_start",
        "_block_base",
        "_block_chunks",
        "_block_start",
        "_closed",
        "_copied",
        "_data",
        "_data_len",
        "_event",
        "_id",
        "_last_event_id",
        "_line",
        "_line_len",
        "_max",
        "_names",
        "_offset",
        "_pending",
        "_retry",
        "_scanned",
        "_skip_lf",
        "_unterminated",
    )

    def __init__(
        self, *, max_event_size: int = DEFAULT_MAX_EVENT_SIZE, last_event_id: str = ""
    ) -> None:
        if max_event_size < 1:
            msg = f"max_event_size must be a positive number of bytes, not {max_event_size!r}"
            raise ValueError(msg)
        self._max = max_event_size
        self._last_event_id = last_event_id  # the committed "last event ID string"
        self._id = last_event_id  # the spec's last event ID *buffer*
        self._retry: int | None = None
        self._unterminated: UnterminatedEvent | None = None
        self._closed = False
        self._offset = 0  # stream offset of the next byte fed
        self._at_start: bytes | None = b""  # bytes held while the BOM is undecided
        self._skip_lf = False  # the last chunk ended in CR: a leading LF is part of that CRLF
        self._line: list[memoryview] = []  # pieces of an unfinished line
        self._line_len = 0
        self._data: list[bytes] = []  # data values of the current event
        self._data_len = 0
        self._event = b""  # event type buffer
        self._pending = False  # the current event has fields (data, event or id)
        self._block_start = 0  # stream offset where the current event began
        self._block_chunks: list[bytes] = []  # the chunks holding its first bytes (for excerpts)
        self._block_base = 0  # stream offset of the first of them
        self._names: dict[bytes, str] = {}
        self._scanned = 0  # work counters (bytes searched, bytes joined): tests prove linearity
        self._copied = 0

    @property
    def last_event_id(self) -> str:
        """The last event ID, as committed by the latest blank line (for ``Last-Event-ID``)."""
        return self._last_event_id

    @property
    def retry(self) -> int | None:
        """The reconnection time in milliseconds, as last set by a valid ``retry`` field.

        A value of more than 10 significant digits is capped at 9,999,999,999 (about 115 days).
        """
        return self._retry

    @property
    def bytes_fed(self) -> int:
        """How many bytes have been fed so far."""
        return self._offset

    @property
    def unterminated(self) -> UnterminatedEvent | None:
        """The unterminated event that :meth:`close` discarded, if any (``None`` until closed)."""
        return self._unterminated

    def feed(self, chunk: bytes | bytearray | memoryview) -> list[ServerSentEvent]:
        """Decode the next chunk of the stream and return the events it completed.

        A ``bytearray`` or ``memoryview`` is copied first, so the caller may reuse it.

        Raises:
            EventTooLargeError: An event grew past ``max_event_size``; the decoder is then
                closed, and the events completed earlier in this chunk are on the error.
            SSEError: The decoder was already closed.
        """
        if self._closed:
            msg = "feed() on a closed SSEDecoder: create a new decoder for a new stream"
            raise SSEError(msg)
        if type(chunk) is not bytes:
            chunk = bytes(chunk)  # pieces of a line keep views of it: it must not change
        base = self._offset  # stream offset of chunk[0]
        self._offset = base + len(chunk)
        pos = 0
        if self._at_start is not None:
            if self._at_start:
                base -= len(self._at_start)
                chunk = self._at_start + chunk
            if len(chunk) < len(_BOM) and _BOM.startswith(chunk):
                self._at_start = chunk
                return []
            self._at_start = None
            if chunk.startswith(_BOM):
                pos = self._block_start = len(_BOM)  # and _decode notes this chunk
        events: list[ServerSentEvent] = []
        try:
            self._decode(chunk, pos, base, events)
        except EventTooLargeError as error:
            self._closed = True
            error.events = events
            raise
        return events

    def close(self) -> list[ServerSentEvent]:
        """End the stream: return the last events and record what was discarded.

        Under the spec's rules an event is dispatched only by a blank line, and the decoder
        dispatches at the line end itself (it never holds back a trailing CR), so this returns
        no events: a final event without its blank line is discarded, as browsers do, and
        described by :attr:`unterminated`. Closing twice is harmless.
        """
        if self._closed:
            return []
        self._closed = True
        held = self._at_start or b""
        if self._pending or self._line_len or held:
            self._unterminated = UnterminatedEvent(
                offset=self._block_start,
                size=self._offset - self._block_start,
                excerpt=self._event_excerpt() or excerpt(held),
            )
        self._line = []
        self._data = []
        return []

    # -- decoding -------------------------------------------------------------------------

    def _decode(self, chunk: bytes, pos: int, base: int, events: list[ServerSentEvent]) -> None:
        n = len(chunk)
        if base - self._block_start < _EXCERPT:
            self._block_chunks.append(chunk)  # the current event's first bytes may be here
        if pos == n:
            return
        self._scanned += n - pos
        if self._skip_lf:
            self._skip_lf = False
            if chunk[pos] == _LF:
                pos += 1
                if (
                    self._block_start == base
                ):  # that CRLF was a blank line: the event starts after it
                    self._begin_event(chunk, base, base + pos)
        has_cr = _CR in chunk
        if self._line_len:
            pos = self._finish_line(chunk, pos, has_cr)
        if pos >= 0:
            if has_cr or n > self._max:
                pos = self._lines(chunk, pos, base, events)
            else:
                pos = self._lf_lines(chunk, pos, base, events)
            if pos < n:
                self._stash(chunk, pos)

    # One inlined loop per kind of chunk: on the hot path, a helper call per line costs more
    # than the branches it would save.
    def _lf_lines(  # noqa: C901, PLR0912, PLR0915
        self, chunk: bytes, pos: int, base: int, events: list[ServerSentEvent]
    ) -> int:
        """Decode the lines of a chunk that has no CR; return where the unfinished line starts.

        Whole events of the two common shapes are cut out directly; anything else goes line by
        line through :meth:`_field`.
        """
        n = len(chunk)
        find = chunk.find
        startswith = chunk.startswith
        append = events.append
        names = self._names
        shapes = not self._pending  # a whole event of a common shape may start at pos
        event_id = self._id
        retry = self._retry
        mark = -1  # where the last dispatched event ended
        run_tried = False
        new = _new_event
        while pos < n:
            if shapes:
                if not run_tried:
                    run_tried = True
                    stop = chunk.rfind(b"\n\n", pos) + 2
                    if stop > pos and self._run(chunk, pos, stop, events):
                        # No whole event is left after the run: only lines remain.
                        pos = mark = stop
                        shapes = False
                        continue
                if startswith(b"data: ", pos):
                    end = find(b"\n", pos + 6)
                    if end > 0 and end + 1 < n and chunk[end + 1] == _LF:
                        data = chunk[pos + 6 : end]
                        append(new(ServerSentEvent, ("message", data, event_id, retry, False)))
                        pos = mark = end + 2
                        continue
                elif startswith(b"event: ", pos):
                    nl = find(b"\n", pos + 7)
                    if nl > pos + 7 and startswith(b"data: ", nl + 1):
                        end = find(b"\n", nl + 7)
                        if end > 0 and end + 1 < n and chunk[end + 1] == _LF:
                            raw_name = chunk[pos + 7 : nl]
                            name = names.get(raw_name) or self._name(raw_name)
                            data = chunk[nl + 7 : end]
                            append(new(ServerSentEvent, (name, data, event_id, retry, True)))
                            pos = mark = end + 2
                            continue
            end = find(b"\n", pos)
            if end < 0:
                break
            if end == pos:
                self._dispatch(events)
                mark = end + 1
            else:
                if mark >= 0:  # keep the event's start current for error reports
                    self._begin_event(chunk, base, base + mark)
                    mark = -1
                self._field(chunk, pos, end)
            pos = end + 1
            shapes = not self._pending
            event_id = self._id
            retry = self._retry
        if mark >= 0:
            self._begin_event(chunk, base, base + mark)
        return pos

    def _run(self, chunk: bytes, start: int, stop: int, events: list[ServerSentEvent]) -> bool:
        """Decode ``chunk[start:stop]`` if it is a run of whole events of one common shape.

        Returns False, having decoded nothing, when it is not.
        """
        event_id = self._id
        retry = self._retry
        if chunk.startswith(b"event: ", start):
            pairs: list[tuple[bytes, bytes]] = _NAMED_EVENTS.findall(chunk, start, stop)
            size = sum(map(len, chain.from_iterable(pairs))) + _NAMED_OVERHEAD * len(pairs)
            if size != stop - start:
                return False
            names = self._names
            new = _new_event
            events += [
                new(
                    ServerSentEvent,
                    (names.get(name) or self._name(name), data, event_id, retry, True),
                )
                for name, data in pairs
            ]
        else:
            datas: list[bytes] = _DATA_EVENTS.findall(chunk, start, stop)
            if sum(map(len, datas)) + _DATA_OVERHEAD * len(datas) != stop - start:
                return False
            new = _new_event
            events += [
                new(ServerSentEvent, ("message", data, event_id, retry, False)) for data in datas
            ]
        return True

    def _lines(  # noqa: C901, PLR0912
        self, chunk: bytes, pos: int, base: int, events: list[ServerSentEvent]
    ) -> int:
        """Decode the lines of any chunk (CR, LF or CRLF line ends); see :meth:`_lf_lines`."""
        n = len(chunk)
        find = chunk.find
        cr = lf = -1
        mark = -1
        while pos < n:
            if lf < pos:
                lf = find(b"\n", pos)
                if lf < 0:
                    lf = n
            if cr < pos:
                cr = find(b"\r", pos)
                if cr < 0:
                    cr = n
            end = min(cr, lf)
            if end == n:
                break
            blank = end == pos
            if blank:
                self._dispatch(events)
            else:
                if mark >= 0:  # keep the event's start current for error reports
                    self._begin_event(chunk, base, base + mark)
                    mark = -1
                self._field(chunk, pos, end)
            pos = end + 1
            if end == cr:
                if pos == n:
                    self._skip_lf = True
                elif chunk[pos] == _LF:
                    pos += 1
            if blank:
                mark = pos
        if mark >= 0:
            self._begin_event(chunk, base, base + mark)
        return pos

    def _stash(self, chunk: bytes, pos: int) -> None:
        """Keep the unfinished line at ``chunk[pos:]`` for the next chunk, without copying."""
        self._line.append(memoryview(chunk)[pos:])
        self._line_len += len(chunk) - pos
        if self._line_len > self._max + _FIELD_SLACK:
            raise self._too_large(self._line_len)

    def _finish_line(self, chunk: bytes, pos: int, has_cr: bool) -> int:
        """Complete the unfinished line with the start of ``chunk``.

        Returns the position after the line end, or -1 when the chunk holds no line end (then
        the whole chunk is stashed). Only the new chunk is searched: the buffered pieces are
        views, which cannot be searched without a join, and every join is counted.
        """
        n = len(chunk)
        end = chunk.find(b"\n", pos)
        if end < 0:
            end = n
        if has_cr:
            cr = chunk.find(b"\r", pos, end)
            if cr >= 0:
                end = cr
        if end == n:
            self._stash(chunk, pos)
            return -1
        pieces = self._line
        pieces.append(memoryview(chunk)[pos:end])
        size = self._line_len + end - pos
        self._line = []
        self._line_len = 0
        if size > self._max + _FIELD_SLACK:
            raise self._too_large(size)
        prefix = _prefix(pieces, 6)
        if prefix.startswith(b"data:"):
            # The common big line is data: join its value alone, so it is copied only once.
            value = b"".join(_drop(pieces, 6 if prefix[5:] == b" " else 5))
            self._copied += len(value)
            self._add_data(value)
        else:
            line = b"".join(pieces)
            self._copied += len(line)
            self._field(line, 0, len(line))
        pos = end + 1
        if chunk[end] == _CR:
            if pos == n:
                self._skip_lf = True
            elif chunk[pos] == _LF:
                pos += 1
        return pos

    def _field(self, buf: bytes, start: int, end: int) -> None:  # noqa: C901 (the spec's list)
        """Process the non-empty line ``buf[start:end]``."""
        if end - start > self._max + _FIELD_SLACK:
            raise self._too_large(end - start)
        if buf[start] == _COLON:
            return  # a comment
        colon = buf.find(b":", start, end)
        if colon < 0:
            name = buf[start:end]
            value_start = end
        else:
            name = buf[start:colon]
            value_start = colon + 1
            if value_start < end and buf[value_start] == _SPACE:
                value_start += 1
        if name == b"data":
            self._add_data(buf[value_start:end])
        elif name == b"event":
            self._event = buf[value_start:end]
            self._pending = True
        elif name == b"id":
            value = buf[value_start:end]
            if b"\0" not in value:
                self._id = value.decode("utf-8", "replace")
                self._pending = True
        elif name == b"retry":
            value = buf[value_start:end]
            if value.isdigit():  # bytes.isdigit() is ASCII-only, and False for b""
                # Capped, not parsed whole: int() refuses more than 4,300 digits (ValueError).
                digits = value.lstrip(b"0")
                self._retry = int(digits or b"0") if len(digits) <= _RETRY_DIGITS else _MAX_RETRY

    def _add_data(self, value: bytes) -> None:
        self._data.append(value)
        self._data_len += len(value) + 1  # the spec's data buffer: each value and an LF
        self._pending = True
        if self._data_len - 1 > self._max:  # the last LF is dropped at dispatch
            raise self._too_large(self._data_len - 1)

    def _begin_event(self, chunk: bytes, base: int, offset: int) -> None:
        """Note that the next event begins at stream ``offset``, inside ``chunk``."""
        self._block_start = offset
        self._block_chunks = [chunk]
        self._block_base = base

    def _dispatch(self, events: list[ServerSentEvent]) -> None:
        """A blank line: commit the ID, fire an event if there is data, reset the buffers."""
        self._last_event_id = self._id
        data = self._data
        if data:
            raw = data[0] if len(data) == 1 else b"\n".join(data)
            name = self._event
            has_name = bool(name)
            type_ = (self._names.get(name) or self._name(name)) if has_name else "message"
            event = (type_, raw, self._id, self._retry, has_name)
            events.append(_new_event(ServerSentEvent, event))
            self._data = []
            self._data_len = 0
        self._event = b""
        self._pending = False

    def _name(self, raw: bytes) -> str:
        name = raw.decode("utf-8", "replace")
        if len(self._names) < _NAME_CACHE_LIMIT:
            self._names[raw] = name
        return name

    def _event_excerpt(self) -> bytes:
        """The first bytes of the current event, from the chunks it began in."""
        start = self._block_start - self._block_base
        return excerpt(b"".join(self._block_chunks)[start : start + _EXCERPT])

    def _too_large(self, size: int) -> EventTooLargeError:
        return EventTooLargeError(
            size=size, limit=self._max, offset=self._block_start, excerpt=self._event_excerpt()
        )
