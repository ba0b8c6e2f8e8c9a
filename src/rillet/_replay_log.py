"""The replay log of a stream: its events, by position, for any number of passes (sans-IO).

The events of the last read are kept as objects (the readers take them from there); with the
cache on, every event is also kept as an entry in an :class:`EntryStore`, and parsed again when
replayed. The store copies the payloads into one buffer because a long stream is mostly small
events: kept as a tuple and a bytes object each, a 170-byte delta cost about 100 bytes more
(object headers, pointers, the allocator's rounding), and in one buffer it costs 8 (where it
ends). With ``cache=False`` nothing but the last read is kept.
"""

from __future__ import annotations

import sys
from array import array
from bisect import bisect_right
from collections.abc import Callable
from typing import Final

from rillet._protocols import Entry, Item, Record
from rillet.events import Event

__all__ = ["EntryStore", "ReplayLog"]

_NO_RUN: Final = object()
"""The kind before the first run."""
_BLOCK: Final = 256 * 1024
"""The most payload bytes a block holds (more only when one payload is bigger)."""


class EntryStore:
    """A log's entries by position: payloads in one buffer, objects as they are.

    An entry ``(type, payload)`` costs its payload, copied into one growing buffer, and 8 bytes
    (where it ends there). Its type is kept once per run of payload entries of the same type,
    with where the run starts: a stream is mostly runs of deltas, and a comparison per entry
    costs less than storing a type id for each. An entry that is an object (the events a stream
    derives from its events or chunks, which cannot be parsed again from one payload; the
    generic SSE client's events) is kept as it is, in a list, with its position (8 bytes): the
    runs of payloads go on across the objects between them, so a delta followed by its derived
    event, again and again, is still one run.
    """

    __slots__ = (
        "_block_starts",
        "_blocks",
        "_data",
        "_ends",
        "_kind",
        "_kinds",
        "_object_positions",
        "_objects",
        "_size",
        "_starts",
    )

    def __init__(self) -> None:
        # The payloads, one after another, in blocks of at most _BLOCK bytes: growing one
        # buffer of many megabytes would now and then copy all of it (a millisecond each).
        self._data = bytearray()  # the last block
        self._blocks: list[bytearray] = [self._data]
        self._block_starts = array("Q", [0])  # where each block starts, counted over all
        self._size = 0  # the payloads' bytes in all blocks
        self._ends = array("Q")  # where each payload ends, counted over all blocks
        self._objects: list[Item] = []  # the entries that are objects
        self._object_positions = array("Q")  # and their positions, in order
        # The runs of payloads: the index (in _ends) of each one's first, and its entries' type.
        self._starts = array("Q")
        self._kinds: list[object] = []
        self._kind: object = _NO_RUN  # the kind of the last run

    def __len__(self) -> int:
        return len(self._ends) + len(self._objects)

    def __sizeof__(self) -> int:
        """The bytes the store holds (its buffers with their spare room; not kept objects)."""
        parts = (self._ends, self._objects, self._object_positions, self._starts, self._kinds)
        blocks = (self._blocks, self._block_starts, *self._blocks)
        return object.__sizeof__(self) + sum(map(sys.getsizeof, (*parts, *blocks)))

    def append(self, entry: Entry) -> None:
        """Add the entry at the next position (the payload of ``(type, payload)`` is copied)."""
        ends = self._ends
        if type(entry) is tuple:
            kind, payload = entry  # type: ignore[misc] # not a ServerSentEvent (a tuple subclass)
            data = self._data
            if len(data) + len(payload) > _BLOCK and data:
                data = self._data = bytearray()
                self._blocks.append(data)
                self._block_starts.append(self._size)
            data += payload
            self._size += len(payload)
            if kind != self._kind:
                self._starts.append(len(ends))
                self._kinds.append(kind)
                self._kind = kind
            ends.append(self._size)
        else:
            objects = self._objects
            self._object_positions.append(len(ends) + len(objects))
            objects.append(entry)  # type: ignore[arg-type]  # pyright: ignore[reportArgumentType]

    def event_at(self, position: int, replay: Callable[[tuple[str | None, bytes]], Event]) -> Item:
        """The event at ``position``: the object, or its ``(type, payload)`` ``replay``-ed."""
        before = bisect_right(self._object_positions, position)  # objects up to position
        if before and self._object_positions[before - 1] == position:
            return self._objects[before - 1]
        index = position - before  # among the payloads
        kind = self._kinds[bisect_right(self._starts, index) - 1]
        ends = self._ends
        start, end = ends[index - 1] if index else 0, ends[index]
        block = bisect_right(self._block_starts, start) - 1
        offset = start - self._block_starts[block]
        payload = bytes(self._blocks[block][offset : offset + end - start])
        return replay((kind, payload))  # type: ignore[arg-type]  # pyright: ignore[reportArgumentType]


class ReplayLog:
    """The events so far: the last read's as objects, and (caching) all as entries.

    With ``cache=False`` nothing is kept but the last read's events, and ``consumed`` says how
    far the one reader got.
    """

    __slots__ = ("cache", "consumed", "count", "entries", "fresh", "fresh_start")

    def __init__(self, *, cache: bool) -> None:
        self.cache = cache
        self.count = 0
        self.entries = EntryStore()  # every event's entry, when caching
        self.fresh: list[Item] = []  # the events of the last read: positions fresh_start...
        self.fresh_start = 0
        self.consumed = 0

    def begin(self) -> int:
        """A new read: the fresh events so far are now only in the log; how many there are."""
        self.fresh = []
        self.fresh_start = self.count
        return self.count

    def event_at(self, position: int, replay: Callable[[tuple[str | None, bytes]], Event]) -> Item:
        """The event at ``position`` (below ``count``): fresh, or ``replay``-ed from its entry."""
        fresh = position - self.fresh_start
        if fresh >= 0:
            return self.fresh[fresh]
        return self.entries.event_at(position, replay)

    def recorder(self) -> Record:
        """What keeps each event made of a chunk, and its entry when caching.

        ``count`` does not follow at each event (a chunk brings dozens): :meth:`settle` brings
        it up to date once the chunk's events are in.
        """
        keep_event = self.fresh.append
        if not self.cache:
            return lambda event, _: keep_event(event)
        keep_entry = self.entries.append

        def record(event: Item, entry: Entry) -> None:
            keep_event(event)
            keep_entry(entry)

        return record

    def settle(self) -> list[Item]:
        """Count the events recorded since the last settle; return them."""
        new = self.fresh[self.count - self.fresh_start :]
        self.count = self.fresh_start + len(self.fresh)
        return new
