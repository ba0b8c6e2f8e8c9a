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
from collections.abc import AsyncGenerator, AsyncIterator, Awaitable, Callable
from contextlib import AbstractAsyncContextManager
from types import TracebackType
from typing import Any, Generic, Self, TypeVar, cast

import anyio
import httpx

from rillet._accumulate import ChatCompletionAccumulator, ResponseAccumulator
from rillet._core import ChatCore, ResponseCore, StreamCore, StreamStats, log_resume
from rillet._dispatch import Delivering, Router, dispatching
from rillet._errors import (
    APIConnectionError,
    APIStatusError,
    APITimeoutError,
    RilletError,
    StreamTruncatedError,
)
from rillet._policy import ResumePosition, RetryPolicy
from rillet._transport import transport_error
from rillet.events import (
    ChatCompletion,
    ChatCompletionChunk,
    ChatContentDeltaEvent,
    Event,
    Response,
    ResponseOutputTextDeltaEvent,
)

__all__ = ["ChatCompletionStream", "ResponseStream", "texts"]

Reopen = Callable[[str, int], Awaitable[httpx.Response]]
"""Opens a response's stream again, from after the event with a sequence number."""

R = TypeVar("R", Response, ChatCompletion)
Y = TypeVar("Y", bound=Event)
H = TypeVar("H", bound=Callable[..., Any])


class _Stream(Generic[R, Y]):
    """The async reading shared by both kinds of stream: chunks, deadlines, closing."""

    _yields: type[Y]
    _core: StreamCore[R]

    def __init__(
        self,
        response: httpx.Response,
        core: StreamCore[R],
        reopen: Reopen | None = None,
        retry: RetryPolicy | None = None,
    ) -> None:
        self._response = response
        self._core = core
        self._reopen = reopen  # opens the stream again from after an event: resumption
        self._retry = retry or RetryPolicy()
        # httpx types it as an iterator; it is an async generator, closed in aclose().
        self._chunks = cast("AsyncGenerator[bytes, None]", response.aiter_bytes())
        self._owner: object = None  # with cache=False: the one task that reads
        self._lock = anyio.Lock()
        self._closed = False
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
        return self._core.stats(anyio.current_time())

    @property
    def snapshot(self) -> R | None:
        """The result accumulated so far (``None`` before the first event)."""
        return self._core.snapshot

    @property
    def response_id(self) -> str | None:
        """The id of the response (or completion), once an event said it."""
        snapshot = self._core.snapshot
        return snapshot.id if snapshot is not None and snapshot.id else None

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
        return self._core.result()

    get_final_response = final_response

    async def aclose(self) -> None:
        """Close the HTTP response now; events already received stay available."""
        if not self._closed:
            self._closed = True
            self._core.finish(anyio.current_time())
            # Shielded and bounded: closing must happen even in a cancelled scope.
            with anyio.move_on_after(1, shield=True):
                # (RuntimeError: another task is in the middle of reading it; closing the
                # response below ends that read.)
                with contextlib.suppress(RuntimeError):
                    await self._chunks.aclose()
                await self._response.aclose()

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
            return self._core.dispatched(events.stopped)  # in the block: on_error sees errors

    def dispatching(self, router: Router | None = None) -> AbstractAsyncContextManager[Delivering]:
        """Iterate the stream and run the handlers in one pass.

        ``async with stream.dispatching(router) as events: async for event in events: ...``
        (a context manager, because the async handlers' task group must end in the block).
        """
        chosen = Router.combine(router, self._router)
        return dispatching(chosen, self, _Iterator(self, Event))

    # -- reading --------------------------------------------------------------------------

    async def _fill(self) -> None:
        """Read chunks until at least one more event has arrived, or the stream ended."""
        core = self._core
        core.begin()
        count = core.count
        try:
            while core.count == count and not core.finished:
                try:
                    chunk = await self._read_chunk()
                except (StreamTruncatedError, APITimeoutError) as error:
                    if core.ended():  # the response is whole: what happens after is no loss
                        chunk = None
                    elif await self._resume(error):
                        continue
                    else:
                        raise core.explain(error) from error.__cause__
                if chunk is None:
                    if not core.ended() and await self._resume(None):
                        continue
                    core.end(anyio.current_time())
                    with anyio.CancelScope(shield=True):
                        await self._response.aclose()
                    break
                core.feed(chunk, anyio.current_time)
        except BaseException as error:
            cancelled = isinstance(error, anyio.get_cancelled_exc_class())
            core.failure = core.cancelled() if cancelled else error
            await self.aclose()
            raise

    async def _resume(self, error: StreamTruncatedError | APITimeoutError | None) -> bool:
        """Open the stream again from after its last event, when it can be; False otherwise."""
        core = self._core
        position = core.resumable(error) if self._reopen is not None else None
        if position is None or self._reopen is None:
            return False
        response_id, after = position
        with anyio.CancelScope(shield=True):
            await self._response.aclose()
        reason = "the body ended before the response did" if error is None else str(error)
        while (attempt := core.next_attempt(self._retry.max_resumes)) is not None:
            log_resume(response_id, after, attempt, self._retry.max_resumes, reason)
            await anyio.sleep(self._retry.delay(attempt - 1))
            try:
                response = await self._reopen(response_id, after)
            except APIStatusError as refused:
                raise core.refused(refused) from refused
            except APIConnectionError as failed:
                reason = f"the last attempt failed: {failed}"
                continue
            self._response = response
            self._chunks = cast("AsyncGenerator[bytes, None]", response.aiter_bytes())
            core.restart()
            return True
        return False

    async def _read_chunk(self) -> bytes | None:
        deadline, kind = self._core.deadline()
        with anyio.CancelScope(deadline=deadline):
            try:
                return await anext(self._chunks)
            except StopAsyncIteration:
                return None
            except httpx.TransportError as error:
                raise self._core.broken(transport_error(error)) from error
        if kind == "drain":  # the rest of the body after the end was too slow: drop it
            await self.aclose()
            return None
        raise self._core.timed_out(kind)


class _Iterator(Generic[Y]):
    """One pass over a stream: the cache first, then the network."""

    __slots__ = ("_core", "_index", "_only", "_stream")

    def __init__(self, stream: _Stream[Any, Any], only: type[Y]) -> None:
        self._stream = stream
        self._core = core = stream._core  # noqa: SLF001
        self._only = only
        self._index = 0 if core.cache else core.consumed
        if not core.cache:
            task = anyio.get_current_task().id
            if stream._owner not in (None, task):  # noqa: SLF001
                msg = "a stream created with cache=False can be read from one task only"
                raise RilletError(msg)
            stream._owner = task  # noqa: SLF001

    def __aiter__(self) -> Self:
        return self

    async def __anext__(self) -> Y:
        core = self._core
        only = self._only
        while True:
            position = self._index
            if position < core.count:
                fresh = position - core.fresh_start
                event = core.fresh[fresh] if fresh >= 0 else core.event_at(position)
                self._index += 1
                if not core.cache:
                    core.consumed = self._index
                if isinstance(event, only):
                    return event
                continue
            if core.finished:
                if core.failure is not None:
                    raise core.failure
                raise StopAsyncIteration
            async with self._stream._lock:  # noqa: SLF001
                if self._index >= core.count:
                    await self._stream._fill()  # noqa: SLF001


class _Texts:
    """The text of a stream's events.

    An iterator, not a generator: a ``break`` leaves nothing behind for the garbage collector
    (which trio would report).
    """

    __slots__ = ("_events", "_text")

    def __init__(self, events: AsyncIterator[Any], text: Callable[[Any], str | None]) -> None:
        self._events = events
        self._text = text

    def __aiter__(self) -> Self:
        return self

    async def __anext__(self) -> str:
        while True:
            text = self._text(await self._events.__anext__())
            if text:
                return text


def texts(event: Event) -> str | None:
    """The text a stream's text iterator takes from an event: output text, or choice 0's content."""
    if type(event) is ResponseOutputTextDeltaEvent:
        return event.delta
    if type(event) is ChatContentDeltaEvent and event.choice_index == 0:
        return event.delta
    return None


class ResponseStream(_Stream[Response, Event]):
    """A Responses API stream: ``async for`` yields typed events as they arrive.

    Use it as an async context manager. ``await final_response()`` reads the rest and returns
    the final :class:`~rillet.events.Response`; ``snapshot`` is the response so far.
    """

    _yields = Event

    def __init__(
        self,
        response: httpx.Response,
        *,
        reopen: Reopen | None = None,
        retry: RetryPolicy | None = None,
        **options: Any,  # noqa: ANN401
    ) -> None:
        options.setdefault("started", anyio.current_time())
        self._core: ResponseCore = ResponseCore(**options)
        super().__init__(response, self._core, reopen, retry)

    @property
    def position(self) -> ResumePosition | None:
        """The stream's position, which ``client.responses.resume()`` takes to continue it.

        ``None`` until an event with a sequence number said which response this is.
        """
        return self._core.position()

    @property
    def accumulator(self) -> ResponseAccumulator:
        """The accumulator behind ``snapshot`` (outcome, final response, problems)."""
        return self._core.accumulator

    def text_deltas(self) -> AsyncIterator[str]:
        """Only the output text, delta by delta."""
        return _Texts(_Iterator(self, ResponseOutputTextDeltaEvent), texts)


class ChatCompletionStream(_Stream[ChatCompletion, ChatCompletionChunk]):
    """A Chat Completions stream: ``async for`` yields each chunk.

    :meth:`events` also yields the derived chat events (``chat.content.delta``...) after the
    chunk they came from. ``await final_response()`` returns the whole
    :class:`~rillet.events.ChatCompletion`.
    """

    _yields = ChatCompletionChunk

    def __init__(self, response: httpx.Response, **options: Any) -> None:  # noqa: ANN401
        options.setdefault("started", anyio.current_time())
        self._core: ChatCore = ChatCore(**options)
        super().__init__(response, self._core)

    @property
    def accumulator(self) -> ChatCompletionAccumulator:
        """The accumulator behind ``snapshot``."""
        return self._core.accumulator

    def events(self) -> AsyncIterator[Event]:
        """Each chunk, followed by the chat events derived from it."""
        return _Iterator(self, Event)

    def text_deltas(self) -> AsyncIterator[str]:
        """Only the content of the first choice, delta by delta."""
        return _Texts(_Iterator(self, ChatContentDeltaEvent), texts)
