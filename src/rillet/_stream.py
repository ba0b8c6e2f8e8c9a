"""Streams: typed events from an HTTP response, as they arrive, with a replay cache.

One network reader per stream: iterators take events from a shared list (the replay cache) by
position, and whichever needs an event that has not arrived reads the next chunk, under a lock.
So a second iteration replays the cache and then continues from the network, after a ``break``
too, and two tasks iterating at once both see every event. With ``cache=False`` nothing is
kept: memory stays flat, iterating again continues where the last iteration stopped, and only
one task may read the stream.

Timeouts beyond httpx's own (connect, read, write, pool) are deadlines checked around each
chunk read: the first event, the idle time between events (keep-alive comments and events do
not count), and the total. A stalled stream raises :class:`~rillet.APITimeoutError`; it never
hangs. Leaving ``async with``, :meth:`aclose`, an error or a cancellation closes the HTTP
response at once; after the terminal event the rest of the body is read (with a short bound) so
that the connection goes back to the pool.
"""

from __future__ import annotations

import contextlib
import math
from collections.abc import AsyncGenerator, AsyncIterator, Callable, Mapping
from contextlib import AbstractAsyncContextManager
from types import TracebackType
from typing import Any, Final, Generic, Self, TypeVar, cast

import anyio
import attrs
import httpx

from rillet._accumulate import ChatCompletionAccumulator, ResponseAccumulator
from rillet._dispatch import Delivering, Router, dispatching
from rillet._errors import (
    APIConnectionError,
    APITimeoutError,
    RilletError,
    StreamError,
    StreamTruncatedError,
)
from rillet._policy import Timeouts
from rillet._sse import ServerSentEvent, SSEDecoder
from rillet._transport import transport_error
from rillet.events import (
    ChatCompletion,
    ChatCompletionChunk,
    ChatContentDeltaEvent,
    CompletionUsage,
    Event,
    KeepaliveEvent,
    OnInvalid,
    Response,
    ResponseCompletedEvent,
    ResponseFailedEvent,
    ResponseIncompleteEvent,
    ResponseOutputTextDeltaEvent,
    ResponseUsage,
    parse_chat_chunk,
    parse_event_data,
)

__all__ = ["ChatCompletionStream", "ResponseStream", "StreamStats"]

R = TypeVar("R", Response, ChatCompletion)
Y = TypeVar("Y", bound=Event)
H = TypeVar("H", bound=Callable[..., Any])

# After the terminal event, how long to wait for the rest of the body before closing.
_DRAIN_SECONDS: Final = 2.0
_TERMINAL: Final = frozenset({ResponseCompletedEvent, ResponseIncompleteEvent, ResponseFailedEvent})
# What a chunk brought, as bits: any event, an event other than a keepalive, text, the end.
_ANY, _ACTIVE, _TEXT, _END = 1, 2, 4, 8


@attrs.frozen(kw_only=True)
class StreamStats:
    """What a stream did so far.

    Attributes:
        time_to_first_event: Seconds from sending the request to the first event.
        time_to_first_text: Seconds from sending the request to the first text delta.
        events_by_type: How many events of each type arrived.
        bytes_received: Bytes of the body read so far.
        duration: Seconds from sending the request to the end of the stream (or to now).
        retries: How many times the request was retried before it succeeded.
        usage: Token usage, once the server reported it.
    """

    time_to_first_event: float | None
    time_to_first_text: float | None
    events_by_type: Mapping[str, int]
    bytes_received: int
    duration: float
    retries: int
    usage: ResponseUsage | CompletionUsage | None


class _BaseStream(Generic[R, Y]):
    """The machinery shared by both kinds of stream: reading, caching, timeouts, closing."""

    _yields: type[Y]

    def __init__(
        self,
        response: httpx.Response,
        *,
        timeouts: Timeouts,
        cache: bool = True,
        on_invalid: OnInvalid = "raise",
        retries: int = 0,
        started: float | None = None,
    ) -> None:
        self._response = response
        # httpx types it as an iterator; it is an async generator, closed in aclose().
        self._chunks = cast("AsyncGenerator[bytes, None]", response.aiter_bytes())
        self._decoder = SSEDecoder()
        self._timeouts = timeouts
        self._cache = cache
        self._on_invalid: OnInvalid = on_invalid
        self._retries = retries
        self._started = anyio.current_time() if started is None else started
        self._count = 0  # events so far
        # The events of the last chunk, typed: positions _fresh_start to _count.
        self._fresh: list[Event] = []
        self._fresh_start = 0
        # The replay cache: every event as (type, raw data) to parse again when replayed, or
        # the event itself when it cannot be parsed again (derived events). Raw data costs less
        # memory than typed events, and the garbage collector need not walk it.
        self._log: list[Event | tuple[str | None, bytes]] = []
        self._consumed = 0  # with cache=False: how far the iteration got
        self._owner: object = None  # with cache=False: the one task that reads
        self._lock = anyio.Lock()
        self._finished = False  # no more events will arrive
        self._failure: BaseException | None = None
        self._closed = False
        self._first_event_at: float | None = None
        self._first_text_at: float | None = None
        self._last_event_at: float | None = None
        self._ended_at: float | None = None
        self._drain_deadline = math.inf
        self._counts: dict[str, int] = {}
        self._bytes = 0
        self._arrived = 0  # what the chunk being read brought: _ANY | _ACTIVE | _TEXT | _END
        self._router: Router | None = None  # handlers registered with on()

    # -- the public surface ----------------------------------------------------------------

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()

    def __aiter__(self) -> AsyncIterator[Y]:
        return _Iterator(self, self._yields)

    @property
    def headers(self) -> httpx.Headers:
        """The response headers (rate limits, processing time...)."""
        return self._response.headers

    @property
    def request_id(self) -> str | None:
        """The ``x-request-id`` of the request, for support."""
        request_id: str | None = self._response.headers.get("x-request-id")
        return request_id

    @property
    def stats(self) -> StreamStats:
        """Timings, event counts, bytes and usage, so far."""
        end = self._ended_at if self._ended_at is not None else anyio.current_time()
        first_event = self._first_event_at
        first_text = self._first_text_at
        snapshot = self.snapshot
        return StreamStats(
            time_to_first_event=None if first_event is None else first_event - self._started,
            time_to_first_text=None if first_text is None else first_text - self._started,
            events_by_type=dict(self._counts),
            bytes_received=self._bytes,
            duration=end - self._started,
            retries=self._retries,
            usage=snapshot.usage if snapshot is not None else None,
        )

    @property
    def snapshot(self) -> R | None:
        """The result accumulated so far (``None`` before the first event)."""
        raise NotImplementedError

    async def final_response(self) -> R:
        """Read the rest of the stream and return the final result.

        Raises:
            StreamError: The stream did not end with a usable result; the error carries the
                partial result (``ResponseFailedError``, ``ServerStreamError``,
                ``StreamTruncatedError``).
            APIConnectionError: The connection broke or a timeout expired.
        """
        async for _ in _Iterator(self, Event):
            pass
        return self._result()

    get_final_response = final_response

    # -- handlers ---------------------------------------------------------------------------

    def on(self, *patterns: str | type[Event], buffer: int | None = None) -> Callable[[H], H]:
        """Register a handler for this stream only (see :meth:`rillet.Router.on`)."""
        if self._router is None:
            self._router = Router()
        return self._router.on(*patterns, buffer=buffer)

    async def dispatch(self, router: Router | None = None) -> R:
        """Run the handlers until the stream ends; return the final result.

        The handlers are ``router``'s and those registered with :meth:`on`. If a handler stops
        the stream early (``context.stop()``), the result so far is returned.

        Raises:
            HandlerError: A handler raised (with the ``"raise"`` error policy).
            StreamError: As :meth:`final_response`.
        """
        async with self.dispatching(router) as events:
            async for _ in events:
                pass
        if events.stopped:
            snapshot = self.snapshot
            if snapshot is not None:
                return snapshot
        return self._result()

    def dispatching(self, router: Router | None = None) -> AbstractAsyncContextManager[Delivering]:
        """Iterate the stream and run the handlers in one pass.

        ``async with stream.dispatching(router) as events: async for event in events: ...``
        (a context manager, because the async handlers' task group must end in the block).
        """
        routers = [r for r in (router, self._router) if r is not None]
        if len(routers) == 1:
            chosen = routers[0]
        else:
            chosen = Router(errors=routers[0].errors if routers else "raise")
            for each in routers:
                chosen.include(each)
        return dispatching(chosen, self, _Iterator(self, Event))

    async def aclose(self) -> None:
        """Close the HTTP response now; events already received stay available."""
        if not self._closed:
            self._closed = True
            self._finish()
            # Shielded and bounded: closing must happen even in a cancelled scope.
            with anyio.move_on_after(1, shield=True):
                # (RuntimeError: another task is in the middle of reading it; closing the
                # response below ends that read.)
                with contextlib.suppress(RuntimeError):
                    await self._chunks.aclose()
                await self._response.aclose()

    # -- reading --------------------------------------------------------------------------

    def _result(self) -> R:
        raise NotImplementedError

    def _on_event(self, sse: ServerSentEvent) -> None:
        raise NotImplementedError

    def _finish(self) -> None:
        if not self._finished:
            self._finished = True
            self._ended_at = anyio.current_time()

    async def _fill(self) -> None:
        """Read chunks until at least one more event has arrived, or the stream ended."""
        self._fresh = []
        self._fresh_start = count = self._count
        try:
            while self._count == count and not self._finished:
                chunk = await self._read_chunk()
                if chunk is None:
                    self._decoder.close()
                    self._finish()
                    with anyio.CancelScope(shield=True):
                        await self._response.aclose()
                    break
                self._bytes += len(chunk)
                for sse in self._decoder.feed(chunk):
                    self._on_event(sse)
                if self._arrived:
                    self._clock()
        except BaseException as error:
            if isinstance(error, anyio.get_cancelled_exc_class()):
                reason = f"reading was cancelled after {self._bytes} bytes"
                self._failure = StreamTruncatedError(reason, partial=self.snapshot)
            else:
                self._failure = error
            await self.aclose()
            raise

    async def _read_chunk(self) -> bytes | None:
        deadline, kind = self._deadline()
        with anyio.CancelScope(deadline=deadline):
            try:
                return await anext(self._chunks)
            except StopAsyncIteration:
                return None
            except httpx.TransportError as error:
                raise self._broken(transport_error(error)) from error
        if kind == "drain":  # the rest of the body after the end was too slow: drop it
            await self.aclose()
            return None
        seconds: float = getattr(self._timeouts, kind)
        events = sum(self._counts.values())
        message = f"the {kind} timeout ({seconds} s) expired after {self._bytes} bytes"
        message += f" and {events} events"
        raise APITimeoutError(message, kind=kind, seconds=seconds, partial=self.snapshot)

    def _deadline(self) -> tuple[float, str]:
        """The earliest deadline for the next chunk, and which timeout it is."""
        timeouts = self._timeouts
        candidates = [(self._drain_deadline, "drain")]
        if timeouts.total is not None:
            candidates.append((self._started + timeouts.total, "total"))
        if self._first_event_at is None:
            if timeouts.first_event is not None:
                candidates.append((self._started + timeouts.first_event, "first_event"))
        elif timeouts.idle is not None and self._last_event_at is not None:
            candidates.append((self._last_event_at + timeouts.idle, "idle"))
        return min(candidates)

    def _broken(self, cause: APIConnectionError) -> StreamError:
        """The error for a connection that broke mid-stream: it says where, and keeps what came."""
        events = sum(self._counts.values())
        reason = f"the connection broke after {self._bytes} bytes and {events} events ({cause})"
        error = StreamTruncatedError(reason, partial=self.snapshot)
        error.__cause__ = cause
        return error

    def _record(self, event: Event, entry: Event | tuple[str | None, bytes]) -> None:
        """Keep ``event``, and ``entry`` (what replays it) in the cache."""
        self._arrived |= _ANY if type(event) is KeepaliveEvent else _ACTIVE
        self._counts[event.type] = self._counts.get(event.type, 0) + 1
        self._fresh.append(event)
        if self._cache:
            self._log.append(entry)
        self._count += 1

    def _event_at(self, position: int) -> Event:
        """The event at ``position``, before the fresh ones: replayed from the cache."""
        entry = self._log[position]
        return self._replay(entry) if type(entry) is tuple else entry  # type: ignore[return-value]

    def _replay(self, entry: tuple[str | None, bytes]) -> Event:
        raise NotImplementedError

    def _clock(self) -> None:
        """Time what the last chunk brought (once per chunk: reading the clock costs)."""
        now = anyio.current_time()
        arrived = self._arrived
        if self._first_event_at is None:
            self._first_event_at = now
        if arrived & _ACTIVE:
            self._last_event_at = now
        if arrived & _TEXT and self._first_text_at is None:
            self._first_text_at = now
        if arrived & _END:
            self._drain_deadline = now + _DRAIN_SECONDS
        self._arrived = 0

    def _cut(self) -> str:
        """Where and how the body ended, for a truncation error."""
        where = f"the body ended after {self._bytes} bytes and {sum(self._counts.values())} events"
        tail = self._decoder.unterminated
        if tail is not None:
            where += (
                f"; an unterminated event of {tail.size} bytes at byte {tail.offset} "
                f"was discarded ({tail.excerpt!r})"
            )
        return where


class _Iterator(Generic[Y]):
    """One pass over a stream: the cache first, then the network."""

    __slots__ = ("_index", "_only", "_stream")

    def __init__(self, stream: _BaseStream[Any, Any], only: type[Y]) -> None:
        self._stream = stream
        self._only = only
        self._index = 0 if stream._cache else stream._consumed  # noqa: SLF001
        if not stream._cache:  # noqa: SLF001
            task = anyio.get_current_task().id
            if stream._owner not in (None, task):  # noqa: SLF001
                msg = "a stream created with cache=False can be read from one task only"
                raise RilletError(msg)
            stream._owner = task  # noqa: SLF001

    def __aiter__(self) -> Self:
        return self

    async def __anext__(self) -> Y:
        stream = self._stream
        only = self._only
        while True:
            position = self._index
            if position < stream._count:  # noqa: SLF001
                fresh = position - stream._fresh_start  # noqa: SLF001
                event = stream._fresh[fresh] if fresh >= 0 else stream._event_at(position)  # noqa: SLF001
                self._index += 1
                if not stream._cache:  # noqa: SLF001
                    stream._consumed = self._index  # noqa: SLF001
                if isinstance(event, only):
                    return event
                continue
            if stream._finished:  # noqa: SLF001
                if stream._failure is not None:  # noqa: SLF001
                    raise stream._failure  # noqa: SLF001
                raise StopAsyncIteration
            async with stream._lock:  # noqa: SLF001
                if self._index >= stream._count:  # noqa: SLF001
                    await stream._fill()  # noqa: SLF001


class _Texts:
    """The text of a stream's events.

    An iterator, not a generator: a ``break`` leaves nothing behind for the garbage collector
    (which trio would report).
    """

    __slots__ = ("_events", "_text")

    def __init__(self, events: _Iterator[Any], text: Callable[[Any], str | None]) -> None:
        self._events = events
        self._text = text

    def __aiter__(self) -> Self:
        return self

    async def __anext__(self) -> str:
        while True:
            text = self._text(await self._events.__anext__())
            if text:
                return text


def _response_text(event: ResponseOutputTextDeltaEvent) -> str:
    return event.delta


def _chat_text(event: ChatContentDeltaEvent) -> str | None:
    return event.delta if event.choice_index == 0 else None


class ResponseStream(_BaseStream[Response, Event]):
    """A Responses API stream: ``async for`` yields typed events as they arrive.

    Use it as an async context manager. ``await final_response()`` reads the rest and returns
    the final :class:`~rillet.events.Response`; :attr:`snapshot` is the response so far.
    """

    _yields = Event

    def __init__(
        self,
        response: httpx.Response,
        *,
        strict: bool = True,
        **options: Any,  # noqa: ANN401
    ) -> None:
        super().__init__(response, **options)
        # A stream that starts after the beginning (retrieve with starting_after), or that goes
        # on past invalid events, has events about items it never saw added: those are
        # skipped (and listed in accumulator.problems), not errors.
        strict = strict and self._on_invalid == "raise"
        self._accumulator = ResponseAccumulator(strict=strict)

    @property
    def accumulator(self) -> ResponseAccumulator:
        """The accumulator behind :attr:`snapshot` (outcome, final response, problems)."""
        return self._accumulator

    @property
    def snapshot(self) -> Response | None:
        """The response accumulated so far (``None`` before the first event)."""
        return self._accumulator.snapshot

    @property
    def response_id(self) -> str | None:
        """The response's id, once an event said it."""
        snapshot = self._accumulator.snapshot
        return snapshot.id if snapshot is not None and snapshot.id else None

    def text_deltas(self) -> AsyncIterator[str]:
        """Only the output text, delta by delta."""
        return _Texts(_Iterator(self, ResponseOutputTextDeltaEvent), _response_text)

    def _on_event(self, sse: ServerSentEvent) -> None:
        routed = sse.event if sse.has_event_field else None
        event = parse_event_data(routed, sse.raw_data, on_invalid=self._on_invalid)
        self._accumulator.add(event)
        kind = type(event)
        if kind is ResponseOutputTextDeltaEvent:
            self._arrived |= _TEXT | _ACTIVE
        elif kind in _TERMINAL:
            self._arrived |= _END | _ACTIVE  # then read what follows, but not for long
        else:
            self._arrived |= _ANY if kind is KeepaliveEvent else _ACTIVE
        counts = self._counts
        counts[event.type] = counts.get(event.type, 0) + 1
        self._fresh.append(event)
        if self._cache:
            self._log.append((routed, sse.raw_data))
        self._count += 1

    def _replay(self, entry: tuple[str | None, bytes]) -> Event:
        return parse_event_data(entry[0], entry[1], on_invalid="return")

    def _result(self) -> Response:
        accumulator = self._accumulator
        if accumulator.close() == "truncated":
            raise StreamTruncatedError(self._cut(), partial=accumulator.snapshot)
        return accumulator.result()


class ChatCompletionStream(_BaseStream[ChatCompletion, ChatCompletionChunk]):
    """A Chat Completions stream: ``async for`` yields each chunk.

    :meth:`events` also yields the derived chat events (``chat.content.delta``...) after the
    chunk they came from. ``await final_response()`` returns the whole
    :class:`~rillet.events.ChatCompletion`.
    """

    _yields = ChatCompletionChunk

    def __init__(self, response: httpx.Response, **options: Any) -> None:  # noqa: ANN401
        super().__init__(response, **options)
        self._accumulator = ChatCompletionAccumulator()
        self._done = False

    @property
    def accumulator(self) -> ChatCompletionAccumulator:
        """The accumulator behind :attr:`snapshot`."""
        return self._accumulator

    @property
    def snapshot(self) -> ChatCompletion | None:
        """The completion accumulated so far (``None`` before the first chunk)."""
        return self._accumulator.snapshot

    @property
    def response_id(self) -> str | None:
        """The completion's id, once a chunk said it."""
        snapshot = self._accumulator.snapshot
        return snapshot.id if snapshot is not None and snapshot.id else None

    def events(self) -> AsyncIterator[Event]:
        """Each chunk, followed by the chat events derived from it."""
        return _Iterator(self, Event)

    def text_deltas(self) -> AsyncIterator[str]:
        """Only the content of the first choice, delta by delta."""
        return _Texts(_Iterator(self, ChatContentDeltaEvent), _chat_text)

    def _on_event(self, sse: ServerSentEvent) -> None:
        if self._done:
            return
        if sse.raw_data == b"[DONE]":
            self._done = True
            self._arrived |= _END
            return
        chunk = parse_chat_chunk(sse.raw_data, on_invalid=self._on_invalid)
        derived = self._accumulator.add(chunk)
        if derived:
            self._arrived |= _TEXT
        self._record(chunk, (None, sse.raw_data))
        for event in derived:
            self._record(event, event)

    def _replay(self, entry: tuple[str | None, bytes]) -> Event:
        return parse_chat_chunk(entry[1], on_invalid="return")

    def _result(self) -> ChatCompletion:
        self._accumulator.close()
        try:
            return self._accumulator.result()
        except StreamTruncatedError as error:
            if self._done:
                raise
            reason = f"{self._cut()}, with no [DONE]: {error.reason}"
            raise StreamTruncatedError(reason, partial=error.partial) from None
