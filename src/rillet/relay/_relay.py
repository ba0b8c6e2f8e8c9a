"""The relay: publish a stream into a channel, subscribe to a channel, cancel one."""

from __future__ import annotations

import inspect
import logging
from collections.abc import AsyncIterable, Awaitable, Callable, Sequence
from typing import TYPE_CHECKING, Any, Self, TypeAlias, cast, overload

import anyio

from rillet._closing import AsyncClosing
from rillet.relay._channel import Ending, Follower, end_entry
from rillet.relay._memory import MemoryBackend
from rillet.relay._select import E, Selector, all_events
from rillet.relay._types import END_EVENT, Backend, Entry, FellBehindError, Outcome

if TYPE_CHECKING:
    from anyio.streams.memory import MemoryObjectReceiveStream, MemoryObjectSendStream
    from starlette.responses import Response

    from rillet.events._responses import Event
    from rillet.relay._asgi import RelayEndpoint

__all__ = ["Relay", "Source", "Subscription"]

logger = logging.getLogger("rillet.relay")

Source: TypeAlias = (
    "AsyncIterable[E] | Callable[[], AsyncIterable[E] | Awaitable[AsyncIterable[E]]]"
)
"""What :meth:`Relay.publish` relays: a rillet stream, any async iterable of events, or a
function (called once the channel is claimed) that returns (an awaitable of) one."""

DEFAULT_LEASE = 10.0
_BUFFER = 256  # entries selected but not appended yet: past it, the model stream waits
_READ_LIMIT = 256  # entries a subscription reads at once
_END_WITHIN = 10.0  # seconds to append a channel's end, or to close its stream


class Relay(AsyncClosing):
    """Channels of events: a producer publishes a stream into one, subscribers read it.

    Args:
        backend: Where channels live (a :class:`~rillet.relay.MemoryBackend` when not given).
        producer_check: Seconds a subscriber waits for an entry before it asks whether the
            channel's producer is still alive (a crashed producer's subscribers then end with
            an ``error`` outcome instead of waiting forever).
    """

    def __init__(self, backend: Backend | None = None, *, producer_check: float = 5.0) -> None:
        self.backend: Backend = backend if backend is not None else MemoryBackend()
        self.producer_check = producer_check

    @overload
    async def publish(
        self, channel: str, source: Source[Event], *, lease: float = DEFAULT_LEASE
    ) -> Outcome | None: ...
    @overload
    async def publish(
        self, channel: str, source: Source[E], *, select: Selector[E], lease: float = DEFAULT_LEASE
    ) -> Outcome | None: ...
    async def publish(
        self,
        channel: str,
        source: Source[Any],
        *,
        select: Selector[Any] = all_events,
        lease: float = DEFAULT_LEASE,
    ) -> Outcome | None:
        """Relay ``source`` into a new ``channel``, until it ends; return the channel's outcome.

        ``None`` when the channel exists already (another producer has it): then ``source`` is
        not started (a function is not called). Events are read from ``source.events()`` when
        it has it (a rillet stream: its own events and the neutral ones), else by iterating,
        and each goes through ``select``. A :meth:`cancel` closes the stream and ends the
        channel ``cancelled``; a stream that raises ends it ``error`` (the error is logged,
        not raised); a model failure (``response.failed``...) ends it ``failed``.
        """
        if not await self.backend.claim(channel, lease):
            return None
        ending = Ending()
        try:
            async with anyio.create_task_group() as group:
                group.start_soon(self._renew, channel, lease)
                group.start_soon(self._watch_cancel, channel, ending, group.cancel_scope)
                await self._relay(channel, source, select, ending)
                group.cancel_scope.cancel()
        except Exception as error:
            ending.raised(error)
            logger.exception("relay channel %r: the producer failed", channel)
        finally:
            # Even when this task is cancelled; bounded: else the subscribers see a crash.
            with anyio.move_on_after(_END_WITHIN, shield=True):
                await self.backend.append(channel, [end_entry(ending.outcome)])
        return ending.outcome

    def subscribe(self, channel: str, *, after: int = 0) -> Subscription:
        """Read ``channel``'s entries after id ``after``: those logged, then live ones."""
        return Subscription(self.backend, channel, after, wait=self.producer_check)

    async def cancel(self, channel: str) -> None:
        """Ask ``channel``'s producer (in whichever process) to stop; it ends ``cancelled``."""
        await self.backend.cancel(channel)

    def endpoint(self, *, retry: int = 2000, keepalive: float = 15.0) -> RelayEndpoint:
        """An ASGI app streaming a channel as server-sent events (see :class:`RelayEndpoint`).

        Mount it as a route with a ``channel`` path parameter:
        ``Route("/relay/{channel}", relay.endpoint())``.
        """
        from rillet.relay._asgi import RelayEndpoint  # noqa: PLC0415

        return RelayEndpoint(self, retry=retry, keepalive=keepalive)

    def response(
        self,
        channel: str,
        last_event_id: str | None = None,
        *,
        retry: int = 2000,
        keepalive: float = 15.0,
    ) -> Response:
        """A Starlette response streaming ``channel``, to return from an endpoint function.

        ``last_event_id``: the request's ``Last-Event-ID`` header (else the request's is read,
        or its ``lastEventId`` query parameter). Needs Starlette (FastAPI installs it).
        """
        from rillet.relay._starlette import RelayResponse  # noqa: PLC0415

        endpoint = self.endpoint(retry=retry, keepalive=keepalive)
        return RelayResponse(endpoint, channel, last_event_id)

    async def aclose(self) -> None:
        """Close the backend."""
        await self.backend.aclose()

    # -- the producer ------------------------------------------------------------------------

    async def _relay(
        self, channel: str, source: Source[Any], select: Selector[Any], ending: Ending
    ) -> None:
        """Open the stream; its entries go to the appender (batched); close it, whatever ends."""
        stream = await _opened(source)
        send, receive = anyio.create_memory_object_stream[tuple[str, str]](_BUFFER)
        try:
            async with anyio.create_task_group() as group:
                group.start_soon(self._append_batches, channel, receive)
                async with send:
                    try:
                        await _select_into(send, stream, select, ending)
                    except Exception as error:  # noqa: BLE001 - the stream's: it decides the outcome
                        ending.raised(error)
                        logger.warning("relay channel %r: the stream failed: %s", channel, error)
                    else:
                        ending.completed()
        finally:
            aclose: Callable[[], Awaitable[object]] | None = getattr(stream, "aclose", None)
            if aclose is not None:
                with anyio.move_on_after(_END_WITHIN, shield=True):
                    await aclose()

    async def _append_batches(
        self, channel: str, receive: MemoryObjectReceiveStream[tuple[str, str]]
    ) -> None:
        """Append what was selected: whatever came while the last append ran goes in one."""
        async with receive:
            async for entry in receive:
                batch = [entry]
                while True:
                    try:
                        batch.append(receive.receive_nowait())
                    except (anyio.WouldBlock, anyio.EndOfStream):
                        break
                await self.backend.append(channel, batch)

    async def _renew(self, channel: str, lease: float) -> None:
        while True:
            await anyio.sleep(lease / 3)
            await self.backend.renew(channel, lease)

    async def _watch_cancel(self, channel: str, ending: Ending, scope: anyio.CancelScope) -> None:
        await self.backend.wait_cancelled(channel)
        ending.cancelled()
        scope.cancel()


async def _select_into(
    send: MemoryObjectSendStream[tuple[str, str]],
    stream: AsyncIterable[object],
    select: Selector[Any],
    ending: Ending,
) -> None:
    """Send the selected entries of the stream's events; raise the stream's failure, if any."""
    events_of = getattr(stream, "events", None)  # a rillet stream's: neutral events too
    events = cast("AsyncIterable[object]", events_of() if callable(events_of) else stream)
    async for event in events:
        ending.see(event)
        for entry in select(event):
            await send.send(entry)
    if (final := getattr(stream, "final_response", None)) is not None:
        await final()  # a rillet stream raises its failure here (response.failed...)


async def _opened(source: Source[Any]) -> AsyncIterable[object]:
    if isinstance(source, AsyncIterable):
        return source  # pyright: ignore[reportUnknownVariableType]
    made = source()
    return await made if inspect.isawaitable(made) else made


class Subscription:
    """A subscriber's read of a channel: ``async for entry in subscription`` yields its entries.

    Iteration ends after the channel's end (which is not yielded); :attr:`outcome` then says
    how the channel ended. Entries are read in bounded batches from the backend's log, so a
    slow subscriber costs no memory (one that falls behind the bounded log gets
    :class:`~rillet.relay.FellBehindError`).

    Raises:
        ChannelNotFoundError: No such channel.
        FellBehindError: The entries after the subscriber's position were trimmed.
    """

    def __init__(self, backend: Backend, channel: str, after: int, *, wait: float) -> None:
        self.channel = channel
        self._backend = backend
        self._follower = Follower(after)
        self._wait = wait
        self._pending: list[Entry] = []

    @property
    def last_id(self) -> int:
        """The id of the last entry read (the ``Last-Event-ID`` to resume after)."""
        # Ids follow each other: the last one yielded is the one before the next to yield.
        return self._pending[-1].id - 1 if self._pending else self._follower.last_id

    @property
    def outcome(self) -> Outcome | None:
        """How the channel ended (``None`` until its end was read)."""
        return self._follower.outcome

    @property
    def end_id(self) -> int | None:
        """The id of the channel's end entry, once read (``None`` if its producer was gone)."""
        return self._follower.end_id

    def __aiter__(self) -> Self:
        return self

    async def __anext__(self) -> Entry:
        while not self._pending:
            if self._follower.finished:
                raise StopAsyncIteration
            batch = await self.next_batch()
            self._pending = [entry for entry in reversed(batch) if entry.event != END_EVENT]
        return self._pending.pop()

    async def next_batch(self, wait: float | None = None) -> Sequence[Entry]:
        """The next entries, the end entry among them (empty: none came within ``wait`` s).

        When none came, and the channel's producer no longer holds its lease, the channel
        ends with an ``error`` outcome (unless its end is found after all).
        """
        follower, backend, channel = self._follower, self._backend, self.channel
        if follower.finished:
            return []
        wait = self._wait if wait is None else wait
        entries = await backend.read(channel, follower.last_id, limit=_READ_LIMIT, wait=wait)
        if entries or await backend.producing(channel):
            return follower.take(entries)
        try:
            entries = await backend.read(channel, follower.look_back, limit=_READ_LIMIT, wait=0)
        except FellBehindError:  # the entry at last_id was trimmed: so it was not the end
            entries = await backend.read(channel, follower.last_id, limit=_READ_LIMIT, wait=0)
        return follower.confirm(entries)
