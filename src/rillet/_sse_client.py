"""A client for any ``text/event-stream`` endpoint, that reconnects as the spec says.

When the connection drops, the source waits the reconnection time (the server's ``retry``
field, else ``reconnect_delay``), doubled after each failure in a row, and connects again with
a ``Last-Event-ID`` header, up to ``max_reconnects`` failures in a row. Unlike a browser's
EventSource, a body that ends normally ends the stream: APIs end their streams on purpose, and
reconnecting could repeat a request. A 204 answer ends it too, as the spec says.
"""

from __future__ import annotations

import contextlib
import enum
import time
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager, contextmanager
from typing import Any, Final, Self

import anyio
import httpx

from rillet._errors import APIConnectionError
from rillet._machine import Cursor, Open, Read, StreamMachine
from rillet._policy import RetryPolicy, Timeouts
from rillet._protocols import SSEProtocol
from rillet._sse import DEFAULT_MAX_EVENT_SIZE, ServerSentEvent
from rillet._transport import transport_error

__all__ = ["EventSource", "SyncEventSource", "connect", "connect_sync"]

_MAX_DELAY: Final = 30.0
_SEND_OPTIONS: Final = ("auth", "follow_redirects")  # arguments of send, not of build_request


class _Default(enum.Enum):
    TIMEOUT = "the client's timeouts, with no read timeout"


NO_READ_TIMEOUT: Final = _Default.TIMEOUT
Timeout = httpx.Timeout | float | None | _Default


def _failure(error: httpx.RequestError) -> APIConnectionError:
    """The rillet error for an httpx failure (a bad body encoding and redirect loops too)."""
    if isinstance(error, httpx.TransportError):
        return transport_error(error)
    failure = APIConnectionError(f"the request failed: {str(error) or type(error).__name__}")
    failure.__cause__ = error
    return failure


class _Source:
    """What the async and blocking sources share: the machine, the request, the state."""

    def __init__(
        self,
        method: str,
        url: str | httpx.URL,
        options: dict[str, Any] | None = None,
        *,
        last_event_id: str = "",
        max_reconnects: int = 5,
        reconnect_delay: float = 1.0,
        max_event_size: int = DEFAULT_MAX_EVENT_SIZE,
        timeout: Timeout = NO_READ_TIMEOUT,
        clock: Callable[[], float],
    ) -> None:
        self.method = method
        self.url = url
        self.options = dict(options or {})
        self._send_options = {k: self.options.pop(k) for k in _SEND_OPTIONS if k in self.options}
        self._timeout = timeout
        self._clock = clock
        self._protocol = SSEProtocol(last_event_id=last_event_id, max_event_size=max_event_size)
        self._machine = StreamMachine(
            self._protocol,
            timeouts=Timeouts(first_event=None),  # an event stream may be quiet for long
            retry=RetryPolicy(
                max_retries=0,
                initial_delay=reconnect_delay,
                max_delay=_MAX_DELAY,
                max_resumes=max_reconnects,
            ),
            started=clock(),
            cache=False,
            resumable=True,
            label=str(url),
        )
        self._cursor = Cursor(self._machine, ServerSentEvent)
        self._response: httpx.Response | None = None

    @property
    def response(self) -> httpx.Response | None:
        """The current HTTP response."""
        return self._response

    @property
    def last_event_id(self) -> str:
        """The last event ID: sent as ``Last-Event-ID`` when connecting again."""
        return self._protocol.last_event_id

    @property
    def retry(self) -> int | None:
        """The reconnection time the server asked for, in milliseconds (``None`` if it did not)."""
        return self._protocol.retry

    @property
    def reconnects(self) -> int:
        """How many times the source connected again."""
        return self._machine.attempts.resumes

    def _request(self, http: httpx.AsyncClient | httpx.Client) -> httpx.Request:
        headers = httpx.Headers({"Accept": "text/event-stream", "Cache-Control": "no-store"})
        headers.update(self.options.get("headers") or {})
        if self.last_event_id:  # as browsers send it: UTF-8 (httpx would insist on ASCII)
            headers.update(httpx.Headers([(b"Last-Event-ID", self.last_event_id.encode())]))
        options = {k: v for k, v in self.options.items() if k != "headers"}
        timeout = self._timeout
        if timeout is NO_READ_TIMEOUT:
            client = http.timeout
            timeout = httpx.Timeout(
                connect=client.connect, read=None, write=client.write, pool=client.pool
            )
        return http.build_request(
            self.method, self.url, headers=headers, timeout=timeout, **options
        )


class EventSource(_Source):
    """Server-sent events from an endpoint, one :class:`ServerSentEvent` at a time (async).

    Made by :func:`connect`; iterate it with ``async for``. A loop over the stream machine.
    """

    def __init__(
        self,
        http: httpx.AsyncClient,
        method: str,
        url: str | httpx.URL,
        **kw: Any,  # noqa: ANN401
    ) -> None:
        super().__init__(method, url, kw.pop("options", None), clock=anyio.current_time, **kw)
        self._http = http
        self._chunks: AsyncIterator[bytes] | None = None

    def __aiter__(self) -> Self:
        return self

    async def __anext__(self) -> ServerSentEvent:
        while (sse := self._cursor.take()) is None:
            if self._machine.finished:
                raise StopAsyncIteration
            await self._fill()
        return sse

    async def _fill(self) -> None:
        """Do the machine's actions until an event arrives or the stream ends."""
        machine = self._machine
        log = machine.log
        log.begin()
        count = log.count
        try:
            while log.count == count and not machine.finished:
                action = machine.next_action()
                if type(action) is Read:
                    await self._read(action)
                elif type(action) is Open:
                    await self._open(action)
        except BaseException as error:
            cancelled = isinstance(error, anyio.get_cancelled_exc_class())
            why = "cancelled" if cancelled else f"interrupted ({type(error).__name__})"
            machine.interrupt(why, anyio.current_time())
            raise
        finally:
            if machine.finished:
                await self._close_body()

    async def _read(self, action: Read) -> None:
        machine = self._machine
        assert self._chunks is not None  # noqa: S101 - a Read comes after an Open
        with anyio.CancelScope(deadline=action.deadline) as scope:
            try:
                chunk = await anext(self._chunks)
            except StopAsyncIteration:
                machine.receive_eof(anyio.current_time())
            except httpx.RequestError as error:
                machine.receive_failure(_failure(error), anyio.current_time())
            else:
                machine.receive_data(chunk, anyio.current_time())
        if scope.cancelled_caught:
            machine.receive_deadline(anyio.current_time())

    async def _open(self, action: Open) -> None:
        machine = self._machine
        await self._close_body()
        with anyio.CancelScope(deadline=action.deadline) as scope:
            await anyio.sleep_until(action.at)
            request = self._request(self._http)
            try:
                response = await self._http.send(request, stream=True, **self._send_options)
            except httpx.RequestError as error:
                machine.receive_failure(_failure(error), anyio.current_time())
            else:
                self._response, self._chunks = response, response.aiter_bytes()
                machine.receive_headers(
                    response.status_code, response.headers, anyio.current_time()
                )
        if scope.cancelled_caught:
            machine.receive_deadline(anyio.current_time())

    async def aclose(self) -> None:
        """Close the current connection: the source ends."""
        self._machine.close(anyio.current_time())
        await self._close_body()

    async def _close_body(self) -> None:
        response, chunks = self._response, self._chunks
        if response is None or chunks is None:
            return
        self._chunks = None
        # As the streams do: shielded and bounded; once the response is closed, pulling httpx's
        # generator once more ends it and every generator beneath it.
        with anyio.CancelScope(shield=True), anyio.move_on_after(1):
            await response.aclose()
            with contextlib.suppress(Exception):
                await anext(chunks)


class SyncEventSource(_Source):
    """:class:`EventSource` for blocking code, made by :func:`connect_sync`."""

    def __init__(self, http: httpx.Client, method: str, url: str | httpx.URL, **kw: Any) -> None:  # noqa: ANN401
        super().__init__(method, url, kw.pop("options", None), clock=time.monotonic, **kw)
        self._http = http
        self._chunks: Iterator[bytes] | None = None

    def __iter__(self) -> Self:
        return self

    def __next__(self) -> ServerSentEvent:
        while (sse := self._cursor.take()) is None:
            if self._machine.finished:
                raise StopIteration
            self._fill()
        return sse

    def _fill(self) -> None:
        machine = self._machine
        log = machine.log
        log.begin()
        count = log.count
        try:
            while log.count == count and not machine.finished:
                action = machine.next_action()
                if type(action) is Read:
                    self._read(action)
                elif type(action) is Open:
                    self._open(action)
        except BaseException as error:
            machine.interrupt(f"interrupted ({type(error).__name__})", time.monotonic())
            raise
        finally:
            if machine.finished:
                self._close_body()

    def _read(self, action: Read) -> None:
        machine = self._machine
        assert self._chunks is not None  # noqa: S101 - a Read comes after an Open
        if time.monotonic() >= action.deadline:
            machine.receive_deadline(time.monotonic())
            return
        try:
            chunk = next(self._chunks)
        except StopIteration:
            machine.receive_eof(time.monotonic())
        except httpx.RequestError as error:
            machine.receive_failure(_failure(error), time.monotonic())
        else:
            machine.receive_data(chunk, time.monotonic())

    def _open(self, action: Open) -> None:
        machine = self._machine
        self._close_body()
        time.sleep(max(0.0, min(action.at, action.deadline) - time.monotonic()))
        try:
            response = self._http.send(self._request(self._http), stream=True, **self._send_options)
        except httpx.RequestError as error:
            machine.receive_failure(_failure(error), time.monotonic())
            return
        self._response, self._chunks = response, response.iter_bytes()
        machine.receive_headers(response.status_code, response.headers, time.monotonic())

    def close(self) -> None:
        """Close the current connection: the source ends."""
        self._machine.close(time.monotonic())
        self._close_body()

    def _close_body(self) -> None:
        response, chunks = self._response, self._chunks
        if response is None or chunks is None:
            return
        self._chunks = None
        response.close()
        with contextlib.suppress(Exception):
            next(chunks)  # ends httpx's generators now, not at garbage collection


@asynccontextmanager
async def connect(
    client_or_url: httpx.AsyncClient | str | httpx.URL,
    method: str = "GET",
    url: str | httpx.URL | None = None,
    *,
    last_event_id: str = "",
    max_reconnects: int = 5,
    reconnect_delay: float = 1.0,
    max_event_size: int = DEFAULT_MAX_EVENT_SIZE,
    timeout: Timeout = NO_READ_TIMEOUT,
    **request: Any,  # noqa: ANN401
) -> AsyncIterator[EventSource]:
    """Read a server-sent events endpoint, reconnecting when it drops.

    ``async with connect(url) as source: async for sse in source: ...``

    Args:
        client_or_url: An ``httpx.AsyncClient`` (then give ``method`` and ``url``), or the URL
            (a client is made, and closed at the end).
        method: The HTTP method.
        url: The URL, when a client is given.
        last_event_id: The ``Last-Event-ID`` to resume from.
        max_reconnects: How many failed connections in a row end the stream (0: never
            reconnect).
        reconnect_delay: Seconds before reconnecting when the server sent no ``retry``.
        max_event_size: The decoder's limit (see :class:`SSEDecoder`).
        timeout: httpx's timeouts for each connection (an ``httpx.Timeout`` or seconds). By
            default the client's, with no read timeout: an event stream may be quiet for long.
        request: More arguments for the request (``headers``, ``params``, ``json``...,
            ``follow_redirects``, ``auth``).

    Raises:
        APIStatusError: The endpoint answered an error status to the first connection.
        NotEventStreamError: It answered something that is not an event stream.
        APIConnectionError: The first connection failed.
        APITimeoutError: A timeout expired, and ``max_reconnects`` reconnections in a row failed
            (its ``kind`` says which timeout; the message says after how much of the stream).
        StreamTruncatedError: The connection broke, and ``max_reconnects`` reconnections in a
            row failed, or a reconnection was refused (the refusal is its ``__cause__``).
    """
    given = isinstance(client_or_url, httpx.AsyncClient)
    http = client_or_url if isinstance(client_or_url, httpx.AsyncClient) else httpx.AsyncClient()
    target = url if given else client_or_url
    if target is None:
        msg = "connect(client, method, url): the url is missing"
        raise TypeError(msg)
    source = EventSource(
        http,
        method,
        target,  # type: ignore[arg-type]
        options=request,
        last_event_id=last_event_id,
        max_reconnects=max_reconnects,
        reconnect_delay=reconnect_delay,
        max_event_size=max_event_size,
        timeout=timeout,
    )
    try:
        yield source
    finally:
        with anyio.CancelScope(shield=True):
            await source.aclose()
            if not given:
                await http.aclose()


@contextmanager
def connect_sync(
    client_or_url: httpx.Client | str | httpx.URL,
    method: str = "GET",
    url: str | httpx.URL | None = None,
    *,
    last_event_id: str = "",
    max_reconnects: int = 5,
    reconnect_delay: float = 1.0,
    max_event_size: int = DEFAULT_MAX_EVENT_SIZE,
    timeout: Timeout = NO_READ_TIMEOUT,
    **request: Any,  # noqa: ANN401
) -> Iterator[SyncEventSource]:
    """Read an endpoint from blocking code, as :func:`connect` does.

    ``with connect_sync(url) as source: for sse in source: ...``
    """
    given = isinstance(client_or_url, httpx.Client)
    http = client_or_url if isinstance(client_or_url, httpx.Client) else httpx.Client()
    target = url if given else client_or_url
    if target is None:
        msg = "connect_sync(client, method, url): the url is missing"
        raise TypeError(msg)
    source = SyncEventSource(
        http,
        method,
        target,  # type: ignore[arg-type]
        options=request,
        last_event_id=last_event_id,
        max_reconnects=max_reconnects,
        reconnect_delay=reconnect_delay,
        max_event_size=max_event_size,
        timeout=timeout,
    )
    try:
        yield source
    finally:
        source.close()
        if not given:
            http.close()
