"""Streams for blocking code: the same core as the async streams, read with a plain httpx.Client.

No event loop in a thread: chunks are read from ``httpx.Response.iter_bytes()`` in the calling
thread. What blocking code can enforce differs from async code: a read blocks until bytes arrive
or httpx's ``read`` timeout expires, so the ``first_event``, ``idle`` and ``total`` deadlines
are checked between reads. A connection that goes completely silent is bounded by ``read``; one
that keeps sending keep-alive comments, by ``first_event`` / ``idle`` / ``total``.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from types import TracebackType
from typing import Any, Generic, Self, TypeVar

import httpx

from rillet._accumulate import ChatCompletionAccumulator, ResponseAccumulator
from rillet._core import ChatCore, ResponseCore, StreamCore, StreamStats, log_resume
from rillet._dispatch import Router, dispatch_sync
from rillet._errors import APIConnectionError, APIStatusError, APITimeoutError, StreamTruncatedError
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

__all__ = ["SyncChatCompletionStream", "SyncResponseStream"]

R = TypeVar("R", Response, ChatCompletion)
Y = TypeVar("Y", bound=Event)
H = TypeVar("H", bound=Callable[..., Any])


SyncReopen = Callable[[str, int], httpx.Response]
"""Opens a response's stream again, from after the event with a sequence number."""


class _SyncStream(Generic[R, Y]):
    """The blocking reading shared by both kinds of sync stream."""

    _yields: type[Y]
    _core: StreamCore[R]

    def __init__(
        self,
        response: httpx.Response,
        core: StreamCore[R],
        reopen: SyncReopen | None = None,
        retry: RetryPolicy | None = None,
    ) -> None:
        self._response = response
        self._core = core
        self._reopen = reopen
        self._retry = retry or RetryPolicy()
        self._chunks = response.iter_bytes()
        self._closed = False
        self._router: Router | None = None

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def __iter__(self) -> Iterator[Y]:
        return _SyncIterator(self, self._yields)

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
        return self._core.stats(time.monotonic())

    @property
    def snapshot(self) -> R | None:
        """The result accumulated so far (``None`` before the first event)."""
        return self._core.snapshot

    @property
    def response_id(self) -> str | None:
        """The id of the response (or completion), once an event said it."""
        snapshot = self._core.snapshot
        return snapshot.id if snapshot is not None and snapshot.id else None

    def get_final_response(self) -> R:
        """Read the rest of the stream and return the final result (see the async stream)."""
        for _ in _SyncIterator(self, Event):
            pass
        return self._core.result()

    final_response = get_final_response

    def close(self) -> None:
        """Close the HTTP response now; events already received stay available."""
        if not self._closed:
            self._closed = True
            self._core.finish(time.monotonic())
            self._chunks.close()  # type: ignore[attr-defined]
            self._response.close()

    def on(self, *patterns: str | type[Event], buffer: int | None = None) -> Callable[[H], H]:
        """Register a (sync) handler for this stream only (see :meth:`rillet.Router.on`)."""
        if self._router is None:
            self._router = Router()
        return self._router.on(*patterns, buffer=buffer)

    def dispatch(self, router: Router | None = None) -> R:
        """Run the sync handlers until the stream ends; return the final result.

        Blocking code runs sync handlers only (inline, in order); a router with async handlers
        is refused: use the async client for those.
        """
        combined = Router.combine(router, self._router)
        return dispatch_sync(combined, self, _SyncIterator(self, Event), self._core.dispatched)

    def _fill(self) -> None:
        core = self._core
        core.begin()
        count = core.count
        try:
            while core.count == count and not core.finished:
                try:
                    chunk = self._read_chunk()
                except (StreamTruncatedError, APITimeoutError) as error:
                    if core.ended():  # the response is whole: what happens after is no loss
                        chunk = None
                    elif self._resume(error):
                        continue
                    else:
                        raise core.explain(error) from error.__cause__
                if chunk is None:
                    if not core.ended() and self._resume(None):
                        continue
                    core.end(time.monotonic())
                    self._response.close()
                    break
                core.feed(chunk, time.monotonic)
        except BaseException as error:
            core.failure = error
            self.close()
            raise

    def _resume(self, error: StreamTruncatedError | APITimeoutError | None) -> bool:
        """Open the stream again from after its last event, when it can be; False otherwise."""
        core = self._core
        position = core.resumable(error) if self._reopen is not None else None
        if position is None or self._reopen is None:
            return False
        response_id, after = position
        self._response.close()
        reason = "the body ended before the response did" if error is None else str(error)
        while (attempt := core.next_attempt(self._retry.max_resumes)) is not None:
            log_resume(response_id, after, attempt, self._retry.max_resumes, reason)
            time.sleep(self._retry.delay(attempt - 1))
            try:
                response = self._reopen(response_id, after)
            except APIStatusError as refused:
                raise core.refused(refused) from refused
            except APIConnectionError as failed:
                reason = f"the last attempt failed: {failed}"
                continue
            self._response = response
            self._chunks = response.iter_bytes()
            core.restart()
            return True
        return False

    def _read_chunk(self) -> bytes | None:
        deadline, kind = self._core.deadline()
        if time.monotonic() >= deadline:
            if kind == "drain":
                self.close()
                return None
            raise self._core.timed_out(kind)
        try:
            return next(self._chunks)
        except StopIteration:
            return None
        except httpx.TransportError as error:
            raise self._core.broken(transport_error(error)) from error


class _SyncIterator(Generic[Y]):
    __slots__ = ("_core", "_index", "_only", "_stream")

    def __init__(self, stream: _SyncStream[Any, Any], only: type[Y]) -> None:
        self._stream = stream
        self._core = core = stream._core  # noqa: SLF001
        self._only = only
        self._index = 0 if core.cache else core.consumed

    def __iter__(self) -> Self:
        return self

    def __next__(self) -> Y:
        core = self._core
        while True:
            position = self._index
            if position < core.count:
                event = core.event_at(position)
                self._index += 1
                if not core.cache:
                    core.consumed = self._index
                if isinstance(event, self._only):
                    return event
                continue
            if core.finished:
                if core.failure is not None:
                    raise core.failure
                raise StopIteration
            self._stream._fill()  # noqa: SLF001


class SyncResponseStream(_SyncStream[Response, Event]):
    """A Responses API stream for blocking code: ``for event in stream``.

    Use it as a context manager. ``get_final_response()`` reads the rest and returns the final
    :class:`~rillet.events.Response`.
    """

    _yields = Event

    def __init__(
        self,
        response: httpx.Response,
        *,
        reopen: SyncReopen | None = None,
        retry: RetryPolicy | None = None,
        **options: Any,  # noqa: ANN401
    ) -> None:
        options.setdefault("started", time.monotonic())
        self._core: ResponseCore = ResponseCore(**options)
        super().__init__(response, self._core, reopen, retry)

    @property
    def position(self) -> ResumePosition | None:
        """The stream's position, which ``client.responses.resume()`` takes to continue it."""
        return self._core.position()

    @property
    def accumulator(self) -> ResponseAccumulator:
        """The accumulator behind ``snapshot``."""
        return self._core.accumulator

    def text_deltas(self) -> Iterator[str]:
        """Only the output text, delta by delta."""
        for event in _SyncIterator(self, ResponseOutputTextDeltaEvent):
            yield event.delta


class SyncChatCompletionStream(_SyncStream[ChatCompletion, ChatCompletionChunk]):
    """A Chat Completions stream for blocking code: ``for chunk in stream``."""

    _yields = ChatCompletionChunk

    def __init__(self, response: httpx.Response, **options: Any) -> None:  # noqa: ANN401
        options.setdefault("started", time.monotonic())
        self._core: ChatCore = ChatCore(**options)
        super().__init__(response, self._core)

    @property
    def accumulator(self) -> ChatCompletionAccumulator:
        """The accumulator behind ``snapshot``."""
        return self._core.accumulator

    def events(self) -> Iterator[Event]:
        """Each chunk, followed by the chat events derived from it."""
        return _SyncIterator(self, Event)

    def text_deltas(self) -> Iterator[str]:
        """Only the content of the first choice, delta by delta."""
        for event in _SyncIterator(self, ChatContentDeltaEvent):
            if event.choice_index == 0:
                yield event.delta
