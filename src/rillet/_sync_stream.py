"""Streams for blocking code: the same machine as the async streams, read in the calling thread.

No event loop in a thread: chunks come from ``httpx.Response.iter_bytes()``. Blocking reads
cannot be cancelled, so the machine's deadlines are held another way: each socket read of the
response is given at most the time left before the deadline (httpx's ``read`` timeout stays
the longest wait), and the sending of a request at most the time left before its deadline.
"""

from __future__ import annotations

import contextlib
import math
import time
from collections.abc import Callable, Iterable, Iterator
from typing import TYPE_CHECKING, Any, Generic, Self, TypeVar, cast

import httpx

from rillet._closing import Closing
from rillet._dispatch import Router, dispatch_sync
from rillet._machine import Cursor, Open, Read, StreamMachine
from rillet._protocols import Item
from rillet._structured import parse_chat_completion, parse_response
from rillet._transport import bound_reads, remaining, request_error
from rillet._view import _ChatView, _EventsView, _ResponseView, _StreamView, text_of
from rillet.events import ChatCompletion, ChatCompletionChunk, Event, Response
from rillet.events._parsed import ParsedChatCompletion, ParsedResponse

if TYPE_CHECKING:
    # Named in the streams' bases as strings: at run time, the unions would build every class.
    from rillet.events import ChatCompletionEvent, ResponseEvent  # noqa: F401

__all__ = [
    "SyncChatCompletionStream",
    "SyncParsedChatCompletionStream",
    "SyncParsedResponseStream",
    "SyncResponseStream",
    "SyncSend",
    "dispatch_through",
]

SyncSend = Callable[[object, float | None], httpx.Response]
"""Sends the request (or resumes from a position), within some seconds; the open response."""

R = TypeVar("R")
Y = TypeVar("Y", bound=Item)  # what iteration yields
V = TypeVar("V", bound=Event)  # what events() yields
T = TypeVar("T", bound=Item)
F = TypeVar("F")  # a structured-output format


class _SyncStream(_StreamView[R], Closing, Generic[R, Y]):
    """The blocking loop over a stream machine; iteration by position."""

    _yields: type[Item]
    """The class of what iteration yields (``Y`` is its type)."""

    def __init__(self, machine: StreamMachine[R], send: SyncSend) -> None:
        super().__init__(machine, time.monotonic)
        self._send = send
        self._response: httpx.Response | None = None
        self._chunks: Iterator[bytes] | None = None
        self._deadline = [math.inf]  # what each socket read of the response may wait until

    def __iter__(self) -> Iterator[Y]:
        return cast("Iterator[Y]", _SyncIterator(self, self._yields))

    def get_final_response(self) -> R:
        """Read the rest of the stream and return the final result (see the async stream)."""
        machine = self._machine
        while not machine.finished:
            self._fill()
        if machine.failure is not None:
            raise machine.failure
        return machine.result()

    final_response = get_final_response

    def close(self) -> None:
        """Close the HTTP response now; events already received stay available."""
        self._machine.close(time.monotonic())
        self._close_body()

    # -- the loop ---------------------------------------------------------------------------

    def _start(self) -> None:
        machine = self._machine
        while machine.opening:
            self._step()
        if machine.failure is not None:
            self._close_body()
            raise machine.failure

    def _fill(self) -> None:
        machine = self._machine
        count = machine.log.begin()
        try:
            while machine.awaits(count):
                self._step()
        except BaseException as error:
            machine.interrupt(f"interrupted ({type(error).__name__})", time.monotonic())
            self._close_body()
            raise
        if machine.finished:
            self._close_body()

    def _step(self) -> None:
        action = self._machine.next_action()
        if type(action) is Read:
            self._read(action)
        elif type(action) is Open:
            self._open(action)
        else:
            self._close_body()

    def _read(self, action: Read) -> None:
        machine = self._machine
        assert self._chunks is not None  # noqa: S101 - a Read comes after an Open
        self._deadline[0] = action.deadline
        if time.monotonic() >= action.deadline:
            machine.receive_deadline(time.monotonic())
            return
        try:
            chunk = next(self._chunks)
        except StopIteration:
            machine.receive_eof(time.monotonic())
        except httpx.RequestError as error:
            self._failed(error, action.deadline)
        else:
            machine.receive_data(chunk, time.monotonic())

    def _open(self, action: Open) -> None:
        self._close_body()
        delay = min(action.at, action.deadline) - time.monotonic()
        if delay > 0:  # time.sleep(0) still gives the CPU away: a millisecond, under load
            time.sleep(delay)
        if time.monotonic() >= action.deadline:
            self._machine.receive_deadline(time.monotonic())
            return
        try:
            response = self._send(action.resume, remaining(action.deadline))
        except httpx.RequestError as error:
            self._failed(error, action.deadline)
            return
        bound_reads(response, self._deadline)
        self._response, self._chunks = response, response.iter_bytes()
        self._machine.receive_headers(response.status_code, response.headers, time.monotonic())

    def _failed(self, error: httpx.RequestError, deadline: float) -> None:
        """A blocking call failed: at the deadline (cut short to hold it), or for itself."""
        if time.monotonic() >= deadline:
            self._machine.receive_deadline(time.monotonic())
        else:
            self._machine.receive_failure(request_error(error), time.monotonic())

    def _close_body(self) -> None:
        response, chunks = self._response, self._chunks
        if response is None or chunks is None:
            return
        self._chunks = None
        response.close()
        # A generator: ended now, not when collected (unless another thread is reading it: then
        # the closed response ends that read).
        with contextlib.suppress(ValueError):
            chunks.close()  # type: ignore[attr-defined]  # pyright: ignore[reportAttributeAccessIssue, reportUnknownMemberType]


class _SyncEventStream(_SyncStream[R, Y], _EventsView[R], Generic[R, Y, V]):
    """A blocking stream of typed events: handlers, and the output text; ``V``: any event."""

    def events(self) -> Iterator[V]:
        """Every event, derived ones included (for chat: each chunk, then its chat events)."""
        return cast("Iterator[V]", _SyncIterator(self, Event))

    def text_deltas(self) -> Iterator[str]:
        """Only the output text (for chat: the first choice's content), delta by delta."""
        return _SyncTexts(_SyncIterator(self, self._machine.protocol.text_type))

    def dispatch(self, router: Router | None = None) -> R:
        """Run the sync handlers until the stream ends; return the final result.

        Blocking code runs sync handlers only (inline, in order); a router with async handlers
        is refused: use the async client for those.
        """
        return dispatch_through(self, router, self.events())


def dispatch_through(
    stream: _SyncEventStream[R, Any, Any], router: Router | None, events: Iterable[Event]
) -> R:
    """``stream.dispatch(router)``, over ``events``: the stream's, seen first by the caller.

    The blocking tool loop starts each call from here, and raises a failed call's error in the
    dispatch (so the ``on_error`` functions see it, and the stream is closed).
    """
    combined = Router.combine(router, stream._router)  # noqa: SLF001
    return dispatch_sync(combined, stream, events, stream._machine.dispatched)  # noqa: SLF001


class _SyncIterator(Generic[T]):
    __slots__ = ("_cursor", "_machine", "_stream")

    def __init__(self, stream: _SyncStream[Any, Any], only: type[T]) -> None:
        self._stream = stream
        self._machine = machine = stream._machine  # noqa: SLF001
        self._cursor = Cursor(machine, only)

    def __iter__(self) -> Self:
        return self

    def __next__(self) -> T:
        cursor = self._cursor
        while (event := cursor.take()) is None:
            if self._machine.finished:
                raise StopIteration
            self._stream._fill()  # noqa: SLF001
        return event


class _SyncTexts:
    __slots__ = ("_events",)

    def __init__(self, events: Iterator[Item]) -> None:
        self._events = events

    def __iter__(self) -> Self:
        return self

    def __next__(self) -> str:
        while True:
            text = text_of(next(self._events))
            if text:
                return text


class SyncResponseStream(
    _SyncEventStream[Response, "ResponseEvent", "ResponseEvent"], _ResponseView
):
    """A Responses API stream for blocking code: ``for event in stream``.

    Use it as a context manager. ``get_final_response()`` reads the rest and returns the final
    :class:`~rillet.events.Response`.
    """


class SyncChatCompletionStream(
    _SyncEventStream[ChatCompletion, ChatCompletionChunk, "ChatCompletionEvent"], _ChatView
):
    """A Chat Completions stream for blocking code: ``for chunk in stream``."""


class SyncParsedResponseStream(SyncResponseStream, Generic[F]):
    """A :class:`SyncResponseStream` of ``create(..., stream=True, text_format=F)``.

    Its ``get_final_response()`` is a :class:`~rillet.events.ParsedResponse` (``output_parsed``
    an ``F``, or ``None`` on a refusal or an incomplete response).
    """

    def __init__(
        self, machine: StreamMachine[Response], send: SyncSend, text_format: type[F]
    ) -> None:
        super().__init__(machine, send)
        self.text_format: type[F] = text_format
        """The format the output text is parsed into."""

    def get_final_response(self) -> ParsedResponse[F]:
        """Read the rest of the stream; the final response, its output parsed.

        Raises:
            StructuredOutputError: The output text is not a value of the format (the error
                carries the response).
        """
        return parse_response(super().get_final_response(), self.text_format)

    final_response = get_final_response

    def dispatch(self, router: Router | None = None) -> ParsedResponse[F]:
        """``SyncResponseStream.dispatch()``, then the result's output parsed."""
        return parse_response(super().dispatch(router), self.text_format)


class SyncParsedChatCompletionStream(SyncChatCompletionStream, Generic[F]):
    """A :class:`SyncChatCompletionStream` of ``create(..., stream=True, response_format=F)``.

    Its ``get_final_response()`` is a :class:`~rillet.events.ParsedChatCompletion`.
    """

    def __init__(
        self, machine: StreamMachine[ChatCompletion], send: SyncSend, response_format: type[F]
    ) -> None:
        super().__init__(machine, send)
        self.response_format: type[F] = response_format
        """The format each choice's content is parsed into."""

    def get_final_response(self) -> ParsedChatCompletion[F]:
        """Read the rest of the stream; the whole completion, its choices parsed.

        Raises:
            StructuredOutputError: A choice's content is not a value of the format (the error
                carries the completion).
        """
        return parse_chat_completion(super().get_final_response(), self.response_format)

    final_response = get_final_response

    def dispatch(self, router: Router | None = None) -> ParsedChatCompletion[F]:
        """``SyncChatCompletionStream.dispatch()``, then the result's choices parsed."""
        return parse_chat_completion(super().dispatch(router), self.response_format)
