"""Async streams: a loop that does what the stream machine says, and iterators over its log.

One network reader at a time: iterators take events from the machine's log by position, and
whichever needs an event that has not arrived does the machine's next action, under a lock. So
a second iteration replays the log and then continues from the network, and two tasks iterating
at once both see every event. A reader cancelled while another waits finishes its read first
(shielded, bounded by the deadline), so the cancellation costs the other nothing. With
``cache=False`` nothing is kept and only one task may read.

Deadlines are the machine's, held by a cancel scope around each read and each (re)open.
Leaving ``async with``, :meth:`aclose`, an error or a cancellation closes the HTTP response at
once; after the stream's own end the rest of the body is read (briefly) so that the connection
goes back to the pool.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AbstractAsyncContextManager
from typing import TYPE_CHECKING, Any, Generic, Self, TypeVar, cast

import anyio
import httpx

from rillet._closing import AsyncClosing
from rillet._dispatch import Delivering, Router, dispatching
from rillet._errors import RilletError
from rillet._machine import Open, Read, StreamMachine
from rillet._protocols import Item
from rillet._structured import parse_chat_completion, parse_response
from rillet._transport import remaining, request_error
from rillet._view import _ChatView, _EventsView, _ResponseView, _StreamView, text_of
from rillet.events import (
    NEUTRAL_EVENT_TYPES,
    ChatCompletion,
    ChatCompletionChunk,
    Event,
    Response,
)
from rillet.events._parsed import ParsedChatCompletion, ParsedResponse

if TYPE_CHECKING:
    # Named in the streams' bases as strings: at run time, the unions would build every class.
    from rillet._view import AnyChatEvent, AnyResponseEvent  # noqa: F401
    from rillet.events import ResponseEvent  # noqa: F401

__all__ = [
    "ChatCompletionStream",
    "ParsedChatCompletionStream",
    "ParsedResponseStream",
    "ResponseStream",
    "Send",
]

Send = Callable[[object, float | None], Awaitable[httpx.Response]]
"""Sends the request (or resumes from a position), within some seconds; the open response."""

R = TypeVar("R")
Y = TypeVar("Y", bound=Item)  # what iteration yields
V = TypeVar("V", bound=Event)  # what events() yields
T = TypeVar("T", bound=Item)
F = TypeVar("F")  # a structured-output format


class _Stream(_StreamView[R], AsyncClosing, Generic[R, Y]):
    """The async loop over a stream machine: reads, opens, closes; iteration by position."""

    _yields: type[Item]
    """The class of what iteration yields (``Y`` is its type)."""

    def __init__(self, machine: StreamMachine[R], send: Send) -> None:
        super().__init__(machine, anyio.current_time)
        self._send = send
        self._response: httpx.Response | None = None
        self._chunks: AsyncIterator[bytes] | None = None
        # Uncontended, the lock is taken without a trip through the event loop: the read that
        # follows is the scheduling point (one per chunk, not two more).
        self._lock = anyio.Lock(fast_acquire=True)
        self._reading: anyio.CancelScope | None = None  # the read in progress
        self._waiting = 0  # readers waiting for the lock
        self._owner: object = None  # with cache=False: the one task that reads

    def __aiter__(self) -> AsyncIterator[Y]:
        return cast("AsyncIterator[Y]", _Iterator(self, self._yields))

    async def final_response(self) -> R:
        """Read the rest of the stream and return the final result.

        Raises:
            StreamError: The stream did not end with a usable result; the error carries the
                partial result (``ResponseFailedError``, ``ServerStreamError``,
                ``StreamTruncatedError``).
            APIConnectionError: The connection broke or a timeout expired.
        """
        machine = self._machine
        while not machine.finished:
            await self._advance(machine.log.count)
        if machine.failure is not None:
            raise machine.failure
        return machine.result()

    get_final_response = final_response

    async def aclose(self) -> None:
        """Close the HTTP response now; events already received stay available."""
        self._machine.close(anyio.current_time())
        await self._close_body()

    # -- the loop ---------------------------------------------------------------------------

    async def _start(self) -> None:
        """Send the request, retrying as the machine says, until the body is open."""
        machine = self._machine
        while machine.opening:
            await self._step()
        if machine.failure is not None:
            await self._close_body()
            raise machine.failure

    async def _advance(self, count: int) -> None:
        """Make the machine's log grow past ``count`` events, or end (one reader at a time)."""
        self._waiting += 1
        try:
            if self._reading is not None:
                self._reading.shield = True  # hand the read over when it is done
            await self._lock.acquire()
        finally:
            self._waiting -= 1
        try:
            if self._machine.log.count <= count:
                await self._fill()
        finally:
            self._lock.release()

    async def _fill(self) -> None:
        machine = self._machine
        count = machine.log.begin()
        try:
            while machine.awaits(count):
                await self._step()
        except BaseException as error:
            cancelled = isinstance(error, anyio.get_cancelled_exc_class())
            if not (cancelled and self._waiting):  # else another reader goes on
                machine.interrupt(_why(error, cancelled=cancelled), anyio.current_time())
                await self._close_body()
            raise
        if machine.finished:
            await self._close_body()

    async def _step(self) -> None:
        """Do the machine's next action."""
        action = self._machine.next_action()
        if type(action) is Read:
            await self._read(action)
        elif type(action) is Open:
            await self._open(action)
        else:
            await self._close_body()

    async def _read(self, action: Read) -> None:
        machine = self._machine
        assert self._chunks is not None  # noqa: S101 - a Read comes after an Open
        with anyio.CancelScope(deadline=action.deadline, shield=self._waiting > 0) as scope:
            self._reading = scope
            try:
                chunk = await anext(self._chunks)
            except StopAsyncIteration:
                machine.receive_eof(anyio.current_time())
            except httpx.RequestError as error:
                machine.receive_failure(request_error(error), anyio.current_time())
            else:
                machine.receive_data(chunk, anyio.current_time())
            finally:
                self._reading = None
        if scope.cancelled_caught:
            machine.receive_deadline(anyio.current_time())

    async def _open(self, action: Open) -> None:
        machine = self._machine
        await self._close_body()
        with anyio.CancelScope(deadline=action.deadline) as scope:
            await anyio.sleep_until(action.at)
            within = remaining(action.deadline, anyio.current_time)
            try:
                response = await self._send(action.resume, within)
            except httpx.RequestError as error:
                machine.receive_failure(request_error(error), anyio.current_time())
            else:
                self._response, self._chunks = response, response.aiter_bytes()
                now = anyio.current_time()
                machine.receive_headers(response.status_code, response.headers, now)
        if scope.cancelled_caught:
            machine.receive_deadline(anyio.current_time())

    async def _close_body(self) -> None:
        response, chunks = self._response, self._chunks
        if response is None or chunks is None:
            return
        self._chunks = None
        # Shielded and bounded: closing must happen even in a cancelled scope. Once the
        # response is closed, httpx's generator runs out when pulled (what the connection had
        # buffered, then an error), which finishes every generator beneath it: none is left to
        # the garbage collector.
        with anyio.move_on_after(1, shield=True):
            await response.aclose()
            with contextlib.suppress(Exception):
                async for _ in chunks:
                    pass


class _EventStream(_Stream[R, Y], _EventsView[R], Generic[R, Y, V]):
    """An async stream of typed events: handlers, and the output text; ``V``: any event."""

    def events(self) -> AsyncIterator[V]:
        """Every event, derived ones included, each after the event it comes from.

        For chat: each chunk, then its chat events; for every stream: the provider-neutral
        events (``TextDelta``, ``ToolCallDone``, ``Finished``...).
        """
        return cast("AsyncIterator[V]", _Iterator(self, Event, derived=True))

    def text_deltas(self) -> AsyncIterator[str]:
        """Only the output text (for chat: the first choice's content), delta by delta."""
        return _Texts(_Iterator(self, self._machine.protocol.text_type))

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
            return self._machine.dispatched(events.stopped)  # in the block: on_error sees it

    def dispatching(
        self, router: Router | None = None
    ) -> AbstractAsyncContextManager[Delivering[V]]:
        """Iterate the stream and run the handlers in one pass.

        ``async with stream.dispatching(router) as events: async for event in events: ...``
        (a context manager, because the async handlers' task group must end in the block).
        """
        chosen = Router.combine(router, self._router)
        # The neutral events a stream derives per pass are derived only if a handler sees them.
        derived = chosen.sees(NEUTRAL_EVENT_TYPES)
        events = cast("AsyncIterator[V]", _Iterator(self, Event, derived=derived))
        return dispatching(chosen, self, events)


def _why(error: BaseException, *, cancelled: bool) -> str:
    return "cancelled" if cancelled else f"interrupted ({type(error).__name__})"


class _Iterator(Generic[T]):
    """One pass over a stream: the log first, then the network."""

    __slots__ = ("_cursor", "_machine", "_stream")

    def __init__(self, stream: _Stream[Any, Any], only: type[T], *, derived: bool = False) -> None:
        self._stream = stream
        self._machine = machine = stream._machine  # noqa: SLF001
        self._cursor = machine.cursor(only, derived=derived)
        if not machine.log.cache:
            task = anyio.get_current_task().id
            if stream._owner not in (None, task):  # noqa: SLF001
                msg = "a stream created with cache=False can be read from one task only"
                raise RilletError(msg)
            stream._owner = task  # noqa: SLF001

    def __aiter__(self) -> Self:
        return self

    async def __anext__(self) -> T:
        cursor = self._cursor
        while (event := cursor.take()) is None:
            if self._machine.finished:
                raise StopAsyncIteration
            await self._stream._advance(cursor.index)  # noqa: SLF001
        return event


class _Texts:
    """The text of a stream's events.

    An iterator, not a generator: a ``break`` leaves nothing behind for the garbage collector
    (which trio would report).
    """

    __slots__ = ("_events",)

    def __init__(self, events: AsyncIterator[Item]) -> None:
        self._events = events

    def __aiter__(self) -> Self:
        return self

    async def __anext__(self) -> str:
        while True:
            text = text_of(await self._events.__anext__())
            if text:
                return text


class ResponseStream(_EventStream[Response, "ResponseEvent", "AnyResponseEvent"], _ResponseView):
    """A Responses API stream: ``async for`` yields typed events as they arrive.

    Use it as an async context manager. ``await final_response()`` reads the rest and returns
    the final :class:`~rillet.events.Response`; ``snapshot`` is the response so far.
    """


class ChatCompletionStream(
    _EventStream[ChatCompletion, ChatCompletionChunk, "AnyChatEvent"],
    _ChatView,
):
    """A Chat Completions stream: ``async for`` yields each chunk.

    :meth:`events` also yields the derived chat events (``chat.content.delta``...) after the
    chunk they came from. ``await final_response()`` returns the whole
    :class:`~rillet.events.ChatCompletion`.
    """


class ParsedResponseStream(ResponseStream, Generic[F]):
    """A :class:`ResponseStream` of ``create(..., stream=True, text_format=F)``.

    The same stream, whose final response is a :class:`~rillet.events.ParsedResponse`:
    ``(await stream.final_response()).output_parsed`` is an ``F`` (or ``None`` on a refusal or
    an incomplete response).
    """

    def __init__(self, machine: StreamMachine[Response], send: Send, text_format: type[F]) -> None:
        super().__init__(machine, send)
        self.text_format: type[F] = text_format
        """The format the output text is parsed into."""

    async def final_response(self) -> ParsedResponse[F]:
        """Read the rest of the stream; the final response, its output parsed.

        Raises:
            StructuredOutputError: The output text is not a value of the format (the error
                carries the response).
            StreamError: As ``ResponseStream.final_response()``.
        """
        return parse_response(await super().final_response(), self.text_format)

    get_final_response = final_response

    async def dispatch(self, router: Router | None = None) -> ParsedResponse[F]:
        """``ResponseStream.dispatch()``, then the result's output parsed."""
        return parse_response(await super().dispatch(router), self.text_format)


class ParsedChatCompletionStream(ChatCompletionStream, Generic[F]):
    """A :class:`ChatCompletionStream` of ``create(..., stream=True, response_format=F)``.

    Its final completion is a :class:`~rillet.events.ParsedChatCompletion`: each choice's
    ``message.parsed`` is an ``F`` (or ``None`` on a refusal or a choice cut short).
    """

    def __init__(
        self, machine: StreamMachine[ChatCompletion], send: Send, response_format: type[F]
    ) -> None:
        super().__init__(machine, send)
        self.response_format: type[F] = response_format
        """The format each choice's content is parsed into."""

    async def final_response(self) -> ParsedChatCompletion[F]:
        """Read the rest of the stream; the whole completion, its choices parsed.

        Raises:
            StructuredOutputError: A choice's content is not a value of the format (the error
                carries the completion).
            StreamError: As ``ChatCompletionStream.final_response()``.
        """
        return parse_chat_completion(await super().final_response(), self.response_format)

    get_final_response = final_response

    async def dispatch(self, router: Router | None = None) -> ParsedChatCompletion[F]:
        """``ChatCompletionStream.dispatch()``, then the result's choices parsed."""
        return parse_chat_completion(await super().dispatch(router), self.response_format)
