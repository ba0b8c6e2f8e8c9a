"""The replay log of a stream: its events, by position, for any number of passes (sans-IO).

The events of the last read are kept as objects (the readers take them from there); older ones
as their raw payloads, parsed again when replayed: that costs less memory, and the garbage
collector need not walk every event. With ``cache=False`` nothing but the last read is kept.
"""

from __future__ import annotations

from collections.abc import Callable

from rillet._protocols import Entry, Item
from rillet.events import Event

__all__ = ["ReplayLog"]


class ReplayLog:
    """The events so far: the last read's as objects, older ones as entries to parse again.

    With ``cache=False`` nothing is kept but the last read's events, and ``consumed`` says how
    far the one reader got.
    """

    __slots__ = ("cache", "consumed", "count", "entries", "fresh", "fresh_start")

    def __init__(self, *, cache: bool) -> None:
        self.cache = cache
        self.count = 0
        self.entries: list[Entry] = []
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
        entry = self.entries[position]
        return replay(entry) if type(entry) is tuple else entry  # type: ignore[arg-type,return-value]

    def append(self, event: Item, entry: Entry) -> None:
        """Keep ``event``, and ``entry`` (what replays it) when caching."""
        self.fresh.append(event)
        if self.cache:
            self.entries.append(entry)
        self.count += 1
