"""An in-memory event source for the dispatcher: a list of events, a snapshot, stats; no HTTP."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator

import anyio

from rillet import RilletError, StreamStats
from rillet._dispatch import Delivering, Router, dispatch_sync, dispatching
from rillet.events import Event, Response, ResponseOutputTextDeltaEvent


def deltas(count: int) -> list[Event]:
    """``count`` text deltas, numbered 0, 1, ... (their ``sequence_number`` and ``delta``)."""
    return [
        ResponseOutputTextDeltaEvent(
            sequence_number=index, item_id="item", output_index=0, content_index=0, delta=str(index)
        )
        for index in range(count)
    ]


def numbers(events: list[Event]) -> list[int]:
    """The sequence numbers of text deltas made by :func:`deltas`."""
    found = []
    for event in events:
        assert isinstance(event, ResponseOutputTextDeltaEvent)
        assert event.sequence_number is not None
        found.append(event.sequence_number)
    return found


class FakeSource:
    """What the dispatcher needs from a stream, in memory.

    ``pulled`` counts the events taken from it so far; the snapshot is a ``Response`` whose
    ``id`` says how many (``"after 3"``), the stats count them by type. With ``fail_after``,
    reading raises ``error`` once that many events were taken. Reading the event at an index
    of ``gates`` (asynchronously) waits until that gate is set: a slow network read.
    """

    def __init__(
        self,
        events: list[Event],
        *,
        fail_after: int | None = None,
        error: RilletError | None = None,
        gates: dict[int, anyio.Event] | None = None,
    ) -> None:
        self.events = events
        self.pulled = 0
        self.closes = 0
        self.fail_after = fail_after
        self.error = error or RilletError("the connection broke")
        self.gates = gates or {}

    @property
    def snapshot(self) -> Response | None:
        if not self.pulled:
            return None
        return Response.from_dict(
            {
                "id": f"after {self.pulled}",
                "object": "response",
                "created_at": 0,
                "status": "in_progress",
                "model": "m",
                "output": [],
            }
        )

    @property
    def partial_output(self) -> None:
        return None

    def partial_arguments(self, event: object) -> None:
        return None

    @property
    def stats(self) -> StreamStats:
        return StreamStats(
            time_to_first_event=None,
            time_to_first_text=None,
            events_by_type=Counter(event.type for event in self.events[: self.pulled]),
            bytes_received=0,
            duration=0.0,
            retries=0,
            usage=None,
        )

    async def aclose(self) -> None:
        self.closes += 1

    def close(self) -> None:
        self.closes += 1

    def _take(self) -> Event:
        if self.fail_after is not None and self.pulled >= self.fail_after:
            raise self.error
        event = self.events[self.pulled]
        self.pulled += 1
        return event

    def reader(self) -> _Reader:
        """The events, as an async iterator that checkpoints before each one (a network read)."""
        return _Reader(self)

    def __iter__(self) -> Iterator[Event]:
        while self.pulled < len(self.events) or self.fail_after is not None:
            yield self._take()


class _Reader:
    def __init__(self, source: FakeSource) -> None:
        self._source = source

    def __aiter__(self) -> _Reader:
        return self

    async def __anext__(self) -> Event:
        await anyio.lowlevel.checkpoint()
        source = self._source
        gate = source.gates.get(source.pulled)
        if gate is not None:
            await gate.wait()
        if source.pulled >= len(source.events) and source.fail_after is None:
            raise StopAsyncIteration
        return source._take()


async def dispatch(router: Router, source: FakeSource) -> bool:
    """Dispatch all of ``source`` as a stream's ``dispatch()`` does; whether it was stopped."""
    async with dispatching(router, source, source.reader()) as events:
        await drain(events)
        return events.stopped


async def drain(events: Delivering[Event]) -> None:
    """Take every event, so that the handlers run."""
    async for _ in events:
        pass


def dispatch_blocking(router: Router, source: FakeSource) -> bool:
    """Dispatch all of ``source`` as a blocking stream's ``dispatch()`` does; whether stopped."""
    return dispatch_sync(router, source, iter(source), lambda stopped: stopped)
