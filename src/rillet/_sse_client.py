"""A client for any ``text/event-stream`` endpoint, that reconnects as the spec says.

When the connection drops, the source waits the reconnection time (the server's ``retry``
field, else ``reconnect_delay``), doubled after each failure in a row, and connects again with
a ``Last-Event-ID`` header, up to ``max_reconnects`` failures in a row. Unlike a browser's
EventSource, a body that ends normally ends the stream: APIs end their streams on purpose, and
reconnecting could repeat a request. A 204 answer ends it too, as the spec says.
"""

from __future__ import annotations

import collections
import logging
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from typing import Any, Final, Self

import anyio
import httpx

from rillet._errors import NotEventStreamError, StreamTruncatedError, status_error
from rillet._sse import DEFAULT_MAX_EVENT_SIZE, ServerSentEvent, SSEDecoder
from rillet._transport import is_event_stream, transport_error

__all__ = ["EventSource", "SyncEventSource", "connect", "connect_sync"]

logger = logging.getLogger("rillet")

_MAX_DELAY: Final = 30.0
_NO_CONTENT: Final = 204


class _Source:
    """What the async and sync sources share: the request, the decoder, the reconnection."""

    def __init__(
        self,
        method: str,
        url: str | httpx.URL,
        options: dict[str, Any],
        *,
        last_event_id: str,
        max_reconnects: int,
        reconnect_delay: float,
        max_event_size: int,
    ) -> None:
        self.method = method
        self.url = url
        self.options = options
        self.max_reconnects = max_reconnects
        self.reconnect_delay = reconnect_delay
        self.max_event_size = max_event_size
        self.decoder = SSEDecoder(last_event_id=last_event_id, max_event_size=max_event_size)
        self.pending: collections.deque[ServerSentEvent] = collections.deque()
        self.failures = 0  # reconnection attempts since the last event
        self.reconnects = 0
        """How many times the source connected again."""
        self.retry_ms: int | None = None
        self.ended = False

    @property
    def last_event_id(self) -> str:
        """The last event ID: sent as ``Last-Event-ID`` when connecting again."""
        return self.decoder.last_event_id

    @property
    def retry(self) -> int | None:
        """The reconnection time the server asked for, in milliseconds (``None`` if it did not)."""
        return self.retry_ms

    def request_headers(self) -> dict[str, str]:
        headers = {"Accept": "text/event-stream", "Cache-Control": "no-store"}
        headers.update(self.options.get("headers") or {})
        if self.decoder.last_event_id:
            headers["Last-Event-ID"] = self.decoder.last_event_id
        return headers

    def check(self, response: httpx.Response, body: bytes | None) -> bool:
        """Whether the answer is a stream to read (``False``: 204, the server says stop)."""
        if response.status_code == _NO_CONTENT:
            return False
        if body is not None:  # an error status, its body read
            raise status_error(response.status_code, response.headers, body)
        if not is_event_stream(response):
            raise NotEventStreamError(response.headers.get("content-type", ""), b"")
        return True

    def feed(self, chunk: bytes) -> None:
        events = self.decoder.feed(chunk)
        if self.decoder.retry is not None:
            self.retry_ms = self.decoder.retry
        if events:
            self.failures = 0
            self.pending.extend(events)

    def next_delay(self, error: httpx.TransportError) -> float:
        """Seconds before connecting again, or the error that ends the stream."""
        self.decoder.close()
        if self.failures >= self.max_reconnects:
            reason = f"the connection broke {self.failures + 1} times in a row ({error})"
            raise StreamTruncatedError(reason, partial=None) from transport_error(error)
        base = self.reconnect_delay if self.retry_ms is None else self.retry_ms / 1000
        delay: float = min(base * 2**self.failures, _MAX_DELAY)
        self.failures += 1
        self.reconnects += 1
        last_id = self.decoder.last_event_id
        logger.info(
            "reconnecting to %s in %.2f s (Last-Event-ID %r): %s", self.url, delay, last_id, error
        )
        self.decoder = SSEDecoder(last_event_id=last_id, max_event_size=self.max_event_size)
        return delay

    def request_options(self) -> dict[str, Any]:
        return {k: v for k, v in self.options.items() if k != "headers"}


class EventSource(_Source):
    """Server-sent events from an endpoint, one :class:`ServerSentEvent` at a time (async).

    Made by :func:`connect`; iterate it with ``async for``.
    """

    def __init__(
        self,
        http: httpx.AsyncClient,
        method: str,
        url: str | httpx.URL,
        **kw: Any,  # noqa: ANN401
    ) -> None:
        options = kw.pop("options")
        super().__init__(method, url, options, **kw)
        self._http = http
        self._response: httpx.Response | None = None
        self._chunks: AsyncIterator[bytes] | None = None

    @property
    def response(self) -> httpx.Response | None:
        """The current HTTP response."""
        return self._response

    def __aiter__(self) -> Self:
        return self

    async def __anext__(self) -> ServerSentEvent:
        while not self.pending:
            if self.ended:
                raise StopAsyncIteration
            if self._chunks is None:
                await self._open()
                continue
            try:
                chunk = await anext(self._chunks)
            except StopAsyncIteration:
                self.ended = True
                self.decoder.close()
                await self.aclose()
            except httpx.TransportError as error:
                await self.aclose()
                await anyio.sleep(self.next_delay(error))
                self._chunks = None
            else:
                self.feed(chunk)
        return self.pending.popleft()

    async def _open(self) -> None:
        request = self._http.build_request(
            self.method, self.url, headers=self.request_headers(), **self.request_options()
        )
        try:
            response = await self._http.send(request, stream=True)
        except httpx.TransportError as error:
            if not self.reconnects and not self.failures:
                raise transport_error(error) from error  # the first connection: no stream yet
            await anyio.sleep(self.next_delay(error))
            return
        body = await response.aread() if response.status_code >= 300 else None
        if not self.check(response, body):
            self.ended = True
            await response.aclose()
            return
        self._response = response
        self._chunks = response.aiter_bytes()

    async def aclose(self) -> None:
        """Close the current connection."""
        if self._response is not None:
            await self._response.aclose()


class SyncEventSource(_Source):
    """:class:`EventSource` for blocking code, made by :func:`connect_sync`."""

    def __init__(self, http: httpx.Client, method: str, url: str | httpx.URL, **kw: Any) -> None:  # noqa: ANN401
        options = kw.pop("options")
        super().__init__(method, url, options, **kw)
        self._http = http
        self._response: httpx.Response | None = None
        self._chunks: Iterator[bytes] | None = None

    @property
    def response(self) -> httpx.Response | None:
        """The current HTTP response."""
        return self._response

    def __iter__(self) -> Self:
        return self

    def __next__(self) -> ServerSentEvent:
        while not self.pending:
            if self.ended:
                raise StopIteration
            if self._chunks is None:
                self._open()
                continue
            try:
                chunk = next(self._chunks)
            except StopIteration:
                self.ended = True
                self.decoder.close()
                self.close()
            except httpx.TransportError as error:
                self.close()
                time.sleep(self.next_delay(error))
                self._chunks = None
            else:
                self.feed(chunk)
        return self.pending.popleft()

    def _open(self) -> None:
        request = self._http.build_request(
            self.method, self.url, headers=self.request_headers(), **self.request_options()
        )
        try:
            response = self._http.send(request, stream=True)
        except httpx.TransportError as error:
            if not self.reconnects and not self.failures:
                raise transport_error(error) from error
            time.sleep(self.next_delay(error))
            return
        body = response.read() if response.status_code >= 300 else None
        if not self.check(response, body):
            self.ended = True
            response.close()
            return
        self._response = response
        self._chunks = response.iter_bytes()

    def close(self) -> None:
        """Close the current connection."""
        if self._response is not None:
            self._response.close()


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
        request: More arguments for the request (``headers``, ``params``, ``json``...).

    Raises:
        APIStatusError: The endpoint answered an error status.
        NotEventStreamError: It answered something that is not an event stream.
        StreamTruncatedError: The connection broke ``max_reconnects + 1`` times in a row.
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
    )
    try:
        yield source
    finally:
        source.close()
        if not given:
            http.close()
