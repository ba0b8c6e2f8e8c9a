"""The in-memory backend: channels in one process, no setup."""

from __future__ import annotations

from collections import deque
from collections.abc import Sequence
from itertools import islice

import anyio

from rillet.relay._types import END_EVENT, ChannelNotFoundError, Entry, FellBehindError, RelayError

__all__ = ["MemoryBackend"]


class _Channel:
    """One channel's log, producer lease and signals."""

    __slots__ = ("appended", "cancelled", "ended_at", "entries", "lease_until", "next_id")

    def __init__(self, max_entries: int, lease_until: float) -> None:
        self.entries: deque[Entry] = deque(maxlen=max_entries)  # trimmed from the front
        self.next_id = 1
        self.lease_until: float | None = lease_until  # None: no producer
        self.ended_at: float | None = None
        # Set, then replaced, at each append: every waiting reader wakes, none is left queued.
        self.appended = anyio.Event()
        self.cancelled = anyio.Event()

    @property
    def first_kept(self) -> int:
        return self.entries[0].id if self.entries else self.next_id


class MemoryBackend:
    """Channels in this process's memory (the default): a :class:`~rillet.relay.Backend`.

    Args:
        max_entries: The most entries a channel keeps; older ones are trimmed (a reader that
            still needed them gets :class:`~rillet.relay.FellBehindError`).
        retention: Seconds a channel stays readable after its end; then it is gone.
    """

    def __init__(self, *, max_entries: int = 10_000, retention: float = 300.0) -> None:
        if max_entries < 1:
            msg = f"max_entries must be at least 1, not {max_entries}"
            raise ValueError(msg)
        self.max_entries = max_entries
        self.retention = retention
        self._channels: dict[str, _Channel] = {}

    async def claim(self, channel: str, lease: float) -> bool:
        """Create ``channel`` and become its producer; False if it exists (until it expires)."""
        self._purge()
        if channel in self._channels:
            return False
        self._channels[channel] = _Channel(self.max_entries, anyio.current_time() + lease)
        return True

    async def renew(self, channel: str, lease: float) -> None:
        """Extend the producer's lease (nothing after the end)."""
        state = self._find(channel)
        if state.ended_at is None:
            state.lease_until = anyio.current_time() + lease

    async def append(self, channel: str, entries: Sequence[tuple[str, str]]) -> int:
        """Append entries; an :data:`~rillet.relay.END_EVENT` ends the channel."""
        state = self._find(channel)
        for event, data in entries:
            if state.ended_at is not None:
                msg = f"relay channel {channel!r} has ended: nothing can be appended"
                raise RelayError(msg)
            state.entries.append(Entry(state.next_id, event, data))
            state.next_id += 1
            if event == END_EVENT:
                state.ended_at, state.lease_until = anyio.current_time(), None
        if entries:
            appended, state.appended = state.appended, anyio.Event()
            appended.set()
        return state.next_id - 1

    async def read(self, channel: str, after: int, *, limit: int, wait: float) -> Sequence[Entry]:
        """Up to ``limit`` entries after ``after``, waiting up to ``wait`` s for the first."""
        state = self._find(channel)
        with anyio.move_on_after(wait):
            while state.next_id - 1 <= after:
                await state.appended.wait()
        first = state.first_kept
        if after + 1 < first:
            raise FellBehindError(channel, after, first)
        start = after + 1 - first
        return list(islice(state.entries, start, start + limit))

    async def producing(self, channel: str) -> bool:
        """Whether the channel's producer holds its lease."""
        state = self._channels.get(channel)
        lease_until = state.lease_until if state is not None else None
        return lease_until is not None and anyio.current_time() < lease_until

    async def cancel(self, channel: str) -> None:
        """Ask the channel's producer to stop."""
        self._find(channel).cancelled.set()

    async def wait_cancelled(self, channel: str) -> None:
        """Return once the channel was cancelled."""
        await self._find(channel).cancelled.wait()

    async def aclose(self) -> None:
        """Forget every channel."""
        self._channels.clear()

    def _find(self, channel: str) -> _Channel:
        state = self._channels.get(channel)
        if state is None or self._expired(state):
            self._channels.pop(channel, None)
            raise ChannelNotFoundError(channel)
        return state

    def _expired(self, state: _Channel) -> bool:
        ended_at = state.ended_at
        return ended_at is not None and anyio.current_time() >= ended_at + self.retention

    def _purge(self) -> None:
        for channel in [name for name, state in self._channels.items() if self._expired(state)]:
            del self._channels[channel]
