"""A client for any ``text/event-stream`` endpoint, that reconnects as the spec says.

When the connection drops, the source waits the reconnection time (the server's ``retry``
field, else ``reconnect_delay``), doubled after each failure in a row, and connects again with
a ``Last-Event-ID`` header, up to ``max_reconnects`` failures in a row. Unlike a browser's
EventSource, a body that ends normally ends the stream: APIs end their streams on purpose, and
reconnecting could repeat a request. A 204 answer ends it too, as the spec says.
"""

from __future__ import annotations

import enum
import time
from collections.abc import AsyncGenerator, AsyncIterator, Callable, Generator
from contextlib import asynccontextmanager, contextmanager
from typing import Any, Final, Self, TypedDict, TypeVar, Unpack

import anyio
import httpx

from rillet._machine import StreamMachine
from rillet._policy import RetryPolicy, Timeouts
from rillet._protocols import SSEProtocol
from rillet._sse import DEFAULT_MAX_EVENT_SIZE, ServerSentEvent
from rillet._stream import _Stream
from rillet._sync_stream import _SyncStream

__all__ = ["ConnectOptions", "EventSource", "SyncEventSource", "connect", "connect_sync"]

_MAX_DELAY: Final = 30.0
_SEND_OPTIONS: Final = ("auth", "follow_redirects")  # arguments of send, not of build_request


class _Default(enum.Enum):
    TIMEOUT = "the client's timeouts, with no read timeout"


NO_READ_TIMEOUT: Final = _Default.TIMEOUT
Timeout = httpx.Timeout | float | None | _Default


class ConnectOptions(TypedDict, total=False):
    """What :func:`connect` and :func:`connect_sync` take besides the endpoint.

    Attributes:
        last_event_id: The ``Last-Event-ID`` to resume from.
        max_reconnects: How many failed connections in a row end the stream (5; 0: never
            reconnect).
        reconnect_delay: Seconds before reconnecting when the server sent no ``retry`` (1).
        max_event_size: The decoder's limit (see :class:`SSEDecoder`).
        timeout: httpx's timeouts for each connection (an ``httpx.Timeout`` or seconds). By
            default the client's, with no read timeout: an event stream may be quiet for long.
        headers: The request's headers.
        params: Its query parameters.
        json: A JSON body.
        content: A raw body.
        data: A form body.
        files: Files to upload.
        cookies: Cookies to send.
        extensions: httpx's request extensions.
        auth: httpx's authentication.
        follow_redirects: Whether to follow redirects.
    """

    last_event_id: str
    max_reconnects: int
    reconnect_delay: float
    max_event_size: int
    timeout: Timeout
    headers: Any
    params: Any
    json: Any
    content: Any
    data: Any
    files: Any
    cookies: Any
    extensions: Any
    auth: Any
    follow_redirects: bool


class _Request:
    """What the async and blocking sources share: the request, and the machine that decides."""

    def __init__(
        self, method: str, url: str | httpx.URL, options: ConnectOptions, started: float
    ) -> None:
        self.method = method
        self.url = url
        given: dict[str, Any] = dict(options)
        self.send_options = {k: given.pop(k) for k in _SEND_OPTIONS if k in given}
        self.timeout: Timeout = given.pop("timeout", NO_READ_TIMEOUT)
        self.protocol = SSEProtocol(
            last_event_id=given.pop("last_event_id", ""),
            max_event_size=given.pop("max_event_size", DEFAULT_MAX_EVENT_SIZE),
        )
        reconnect_delay: float = given.pop("reconnect_delay", 1.0)
        max_reconnects: int = given.pop("max_reconnects", 5)
        self.options = given  # what goes to build_request
        self.machine = StreamMachine(
            self.protocol,
            timeouts=Timeouts(first_event=None),  # an event stream may be quiet for long
            retry=RetryPolicy(
                max_retries=0,
                initial_delay=reconnect_delay,
                max_delay=_MAX_DELAY,
                max_resumes=max_reconnects,
            ),
            started=started,
            cache=False,
            resumable=True,
            label=str(url),
        )

    @classmethod
    def of(
        cls,
        client_or_url: object,
        method: str,
        url: str | httpx.URL | None,
        options: ConnectOptions,
        clock: Callable[[], float],
    ) -> _Request:
        """The request of a ``connect``: to its first argument, or to ``url`` after a client."""
        if isinstance(client_or_url, str | httpx.URL):
            url = client_or_url
        elif url is None:
            msg = "connect(client, method, url): the url is missing"
            raise TypeError(msg)
        return cls(method, url, options, clock())

    def build(self, http: httpx.AsyncClient | httpx.Client) -> httpx.Request:
        """The request, with the ``Last-Event-ID`` so far."""
        headers = httpx.Headers({"Accept": "text/event-stream", "Cache-Control": "no-store"})
        headers.update(self.options.get("headers") or {})
        last_event_id = self.protocol.last_event_id
        if last_event_id:  # as browsers send it: UTF-8 (httpx would insist on ASCII)
            headers.update(httpx.Headers([(b"Last-Event-ID", last_event_id.encode())]))
        options = {k: v for k, v in self.options.items() if k != "headers"}
        timeout = self.timeout
        if timeout is NO_READ_TIMEOUT:
            client = http.timeout
            timeout = httpx.Timeout(
                connect=client.connect, read=None, write=client.write, pool=client.pool
            )
        return http.build_request(
            self.method, self.url, headers=headers, timeout=timeout, **options
        )


class _SourceView:
    """What a source tells, async or blocking."""

    _request: _Request
    _response: httpx.Response | None

    @property
    def method(self) -> str:
        """The HTTP method."""
        return self._request.method

    @property
    def url(self) -> str | httpx.URL:
        """The endpoint."""
        return self._request.url

    @property
    def response(self) -> httpx.Response | None:
        """The current (or last) HTTP response."""
        return self._response

    @property
    def last_event_id(self) -> str:
        """The last event ID: sent as ``Last-Event-ID`` when connecting again."""
        return self._request.protocol.last_event_id

    @property
    def retry(self) -> int | None:
        """The reconnection time the server asked for, in milliseconds (``None`` if it did not)."""
        return self._request.protocol.retry

    @property
    def reconnects(self) -> int:
        """How many times the source connected again."""
        return self._request.machine.attempts.resumes


class EventSource(_Stream[None, ServerSentEvent], _SourceView):
    """Server-sent events from an endpoint, one :class:`ServerSentEvent` at a time (async).

    Made by :func:`connect`; iterate it with ``async for``. The stream's loop, over a machine
    that reconnects.
    """

    _yields = ServerSentEvent

    def __init__(self, http: httpx.AsyncClient, request: _Request) -> None:
        async def send(resume: object, within: float | None) -> httpx.Response:
            del resume, within  # the request carries the Last-Event-ID; no deadline is set
            return await http.send(request.build(http), stream=True, **request.send_options)

        super().__init__(request.machine, send)
        self._request = request
        self._events: AsyncIterator[ServerSentEvent] | None = None

    def __aiter__(self) -> Self:
        return self

    async def __anext__(self) -> ServerSentEvent:
        if self._events is None:
            self._events = super().__aiter__()
        return await anext(self._events)


class SyncEventSource(_SyncStream[None, ServerSentEvent], _SourceView):
    """:class:`EventSource` for blocking code, made by :func:`connect_sync`."""

    _yields = ServerSentEvent

    def __init__(self, http: httpx.Client, request: _Request) -> None:
        def send(resume: object, within: float | None) -> httpx.Response:
            del resume, within
            return http.send(request.build(http), stream=True, **request.send_options)

        super().__init__(request.machine, send)
        self._request = request
        self._events = super().__iter__()

    def __iter__(self) -> Self:
        return self

    def __next__(self) -> ServerSentEvent:
        return next(self._events)


@asynccontextmanager
async def connect(
    client_or_url: httpx.AsyncClient | str | httpx.URL,
    method: str = "GET",
    url: str | httpx.URL | None = None,
    **options: Unpack[ConnectOptions],
) -> AsyncGenerator[EventSource, None]:
    """Read a server-sent events endpoint, reconnecting when it drops.

    ``async with connect(url) as source: async for sse in source: ...``

    Args:
        client_or_url: An ``httpx.AsyncClient`` (then give ``method`` and ``url``), or the URL
            (a client is made, and closed at the end).
        method: The HTTP method.
        url: The URL, when a client is given.
        options: How to reconnect and the request's own arguments (see
            :class:`ConnectOptions`).

    Raises:
        APIStatusError: The endpoint answered an error status to the first connection.
        NotEventStreamError: It answered something that is not an event stream.
        APIConnectionError: The first connection failed.
        APITimeoutError: A timeout expired, and ``max_reconnects`` reconnections in a row failed
            (its ``kind`` says which timeout; the message says after how much of the stream).
        StreamTruncatedError: The connection broke, and ``max_reconnects`` reconnections in a
            row failed, or a reconnection was refused (the refusal is its ``__cause__``).
    """
    http, owned = _client_of(client_or_url, httpx.AsyncClient)
    source = EventSource(http, _Request.of(client_or_url, method, url, options, anyio.current_time))
    try:
        yield source
    finally:
        with anyio.CancelScope(shield=True):
            await source.aclose()
            if owned:
                await http.aclose()


@contextmanager
def connect_sync(
    client_or_url: httpx.Client | str | httpx.URL,
    method: str = "GET",
    url: str | httpx.URL | None = None,
    **options: Unpack[ConnectOptions],
) -> Generator[SyncEventSource, None, None]:
    """Read an endpoint from blocking code, as :func:`connect` does.

    ``with connect_sync(url) as source: for sse in source: ...``
    """
    http, owned = _client_of(client_or_url, httpx.Client)
    source = SyncEventSource(http, _Request.of(client_or_url, method, url, options, time.monotonic))
    try:
        yield source
    finally:
        source.close()
        if owned:
            http.close()


H = TypeVar("H", httpx.AsyncClient, httpx.Client)


def _client_of(client_or_url: H | str | httpx.URL, kind: type[H]) -> tuple[H, bool]:
    """The client to use, and whether it is made here (and so closed here)."""
    if isinstance(client_or_url, kind):
        return client_or_url, False
    return kind(), True
