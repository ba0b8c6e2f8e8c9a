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

_OBJECTS: Final = object()
"""The kind of a run of entries that are objects, kept as they are."""
_NO_RUN: Final = object()
"""The kind before the first run."""
_BLOCK: Final = 256 * 1024
"""The most payload bytes a block holds (more only when one payload is bigger)."""


class EntryStore:
    """A log's entries by position: payloads in one buffer, objects as they are.

    An entry ``(type, payload)`` costs its payload, copied into one growing buffer, and 8 bytes
    (where it ends there). Its type is kept once per run of entries of the same type, with where
    the run starts: a stream is mostly runs of deltas, and a comparison per entry costs less
    than storing a type id for each. An entry that is an object (the events a chat stream
    derives from its chunks, which cannot be parsed again from one payload; the generic SSE
    client's events) is kept as it is, in a list, in runs of its own.
    """

    __slots__ = (
        "_bases",
        "_block_starts",
        "_blocks",
        "_count",
        "_data",
        "_ends",
        "_kind",
        "_kinds",
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
        # The runs: where each starts (a position), its entries' type (or _OBJECTS), and the
        # index of its first entry in _ends (or _objects).
        self._starts = array("Q")
        self._kinds: list[object] = []
        self._bases = array("Q")
        self._kind: object = _NO_RUN  # the kind of the last run
        self._count = 0  # entries

    def __len__(self) -> int:
        return self._count

    def __sizeof__(self) -> int:
        """The bytes the store holds (its buffers with their spare room; not kept objects)."""
        parts = (self._ends, self._objects, self._starts, self._kinds, self._bases)
        blocks = (self._blocks, self._block_starts, *self._blocks)
        return object.__sizeof__(self) + sum(map(sys.getsizeof, (*parts, *blocks)))

    def append(self, entry: Entry) -> None:
        """Add the entry at the next position (the payload of ``(type, payload)`` is copied)."""
        # Inline, no call per step: a stream that derives events (chat, Anthropic) alternates
        # payloads and objects, a new run at almost every entry.
        if type(entry) is tuple:
            kind, payload = entry  # type: ignore[misc] # not a ServerSentEvent (a tuple subclass)
            data = self._data
            size = len(payload)
            if len(data) + size > _BLOCK and data:
                data = self._data = bytearray()
                self._blocks.append(data)
                self._block_starts.append(self._size)
            data += payload
            self._size += size
            ends = self._ends
            if kind != self._kind:
                self._starts.append(self._count)
                self._kinds.append(kind)
                self._bases.append(len(ends))
                self._kind = kind
            ends.append(self._size)
        else:
            objects = self._objects
            if self._kind is not _OBJECTS:
                self._starts.append(self._count)
                self._kinds.append(_OBJECTS)
                self._bases.append(len(objects))
                self._kind = _OBJECTS
            objects.append(entry)  # type: ignore[arg-type]  # pyright: ignore[reportArgumentType]
        self._count += 1

    def event_at(self, position: int, replay: Callable[[tuple[str | None, bytes]], Event]) -> Item:
        """The event at ``position``: the object, or its ``(type, payload)`` ``replay``-ed."""
        run = bisect_right(self._starts, position) - 1
        index = self._bases[run] + position - self._starts[run]
        kind = self._kinds[run]
        if kind is _OBJECTS:
            return self._objects[index]
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
