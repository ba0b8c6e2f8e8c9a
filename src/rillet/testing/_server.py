"""A small HTTP/1.1 server for the emulator, on anyio and h11 (which httpx already brings).

So that ``pip install rillet`` is enough to run the emulator on 127.0.0.1 (``rillet demo``,
``rillet serve``): no ASGI server to install. It serves one ASGI app with what the emulator
needs and no more: request bodies, streamed (chunked) responses, keep-alive, and a client that
goes away (the app's ``receive()`` then says ``http.disconnect``). An app that returns without
finishing its body gets its connection dropped, as a real server would.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from contextlib import asynccontextmanager, contextmanager, suppress
from typing import Any, Final

import anyio
import anyio.abc
import h11
from anyio.from_thread import start_blocking_portal

__all__ = ["serve", "serve_in_thread"]

Message = dict[str, Any]
App = Callable[
    [Message, Callable[[], Awaitable[Message]], Callable[[Message], Awaitable[None]]],
    Awaitable[None],
]

_READ: Final = 65536
_log = logging.getLogger("rillet.testing")
_BAD: Final = object()  # a request that is not HTTP/1.1
_CLOSE: Final = [(b"connection", b"close")]  # said when the server closes after a response


class _Gone(Exception):  # noqa: N818 - a signal, not an error
    """The client went away while the app was sending."""


@asynccontextmanager
async def serve(app: App, *, host: str = "127.0.0.1", port: int = 0) -> AsyncIterator[str]:
    """Serve ``app`` on ``host:port`` (0: a free port) while the block runs; yield its URL."""
    listener = await anyio.create_tcp_listener(local_host=host, local_port=port)
    bound = listener.extra(anyio.abc.SocketAttribute.local_port)  # noqa: S610 - not Django
    async with listener, anyio.create_task_group() as group:
        group.start_soon(listener.serve, lambda stream: _connection(app, stream))
        try:
            yield f"http://{host}:{bound}"
        finally:
            group.cancel_scope.cancel()


@contextmanager
def serve_in_thread(app: App, *, host: str = "127.0.0.1", port: int = 0) -> Iterator[str]:
    """:func:`serve`, from blocking code: the server runs in a thread with its own loop."""
    with (
        start_blocking_portal() as portal,
        portal.wrap_async_context_manager(serve(app, host=host, port=port)) as url,
    ):
        yield url


async def _connection(app: App, stream: anyio.abc.SocketStream) -> None:
    connection = h11.Connection(h11.SERVER)
    async with stream:
        while True:
            request = await _next(connection, stream)
            if request is _BAD:
                await _bad_request(connection, stream)
            if not isinstance(request, h11.Request):
                return
            chunks: list[bytes] = []  # joined once: appending to bytes would copy it each time
            while True:
                part = await _next(connection, stream)
                if isinstance(part, h11.Data):
                    chunks.append(part.data)
                elif isinstance(part, h11.EndOfMessage):
                    break
                else:
                    return
            finished = await _exchange(app, connection, stream, request, b"".join(chunks))
            if not finished or connection.our_state is not h11.DONE:
                return  # the app dropped the connection, or the client went away
            if connection.their_state is not h11.DONE:
                return
            try:
                connection.start_next_cycle()
            except h11.LocalProtocolError:
                return


async def _next(connection: h11.Connection, stream: anyio.abc.SocketStream) -> Any:  # noqa: ANN401
    while True:
        try:
            event = connection.next_event()
        except h11.RemoteProtocolError:
            return _BAD
        if event is not h11.NEED_DATA:
            return event
        try:
            data = await stream.receive(_READ)
        except (anyio.EndOfStream, anyio.BrokenResourceError, anyio.ClosedResourceError):
            data = b""
        connection.receive_data(data)


async def _bad_request(connection: h11.Connection, stream: anyio.abc.SocketStream) -> None:
    """Answer 400 to what is not HTTP/1.1, if the connection still allows an answer."""
    if connection.our_state in (h11.IDLE, h11.SEND_RESPONSE):
        headers = [(b"content-length", b"0"), (b"connection", b"close")]
        out = connection.send(h11.Response(status_code=400, headers=headers)) or b""
        out += connection.send(h11.EndOfMessage()) or b""
        with suppress(anyio.BrokenResourceError, anyio.ClosedResourceError):
            await stream.send(out)


def _encode(connection: h11.Connection, message: Message) -> bytes:
    """The bytes of an ASGI response message (bodies are sent chunked)."""
    if message["type"] == "http.response.start":
        headers = [(k, v) for k, v in message.get("headers", []) if k.lower() != b"content-length"]
        headers.append((b"transfer-encoding", b"chunked"))
        return connection.send(h11.Response(status_code=message["status"], headers=headers)) or b""
    out = b""
    if message.get("body"):
        out += connection.send(h11.Data(data=message["body"])) or b""
    if not message.get("more_body"):
        out += connection.send(h11.EndOfMessage()) or b""
    return out


async def _exchange(
    app: App,
    connection: h11.Connection,
    stream: anyio.abc.SocketStream,
    request: h11.Request,
    body: bytes,
) -> bool:
    """Run the app for one request; False when the connection must be dropped."""
    exchange = _Exchange(connection, stream, body)
    scope = _scope(request)
    try:
        async with anyio.create_task_group() as group:
            group.start_soon(exchange.watch)
            try:
                await app(scope, exchange.receive, exchange.send)
            finally:
                group.cancel_scope.cancel()
    except Exception as error:  # noqa: BLE001 - an app's bug is logged, and the server goes on
        if not _only_gone(error):
            _log.error("the app failed on %s %s", scope["method"], scope["path"], exc_info=error)
            await exchange.fail()
        return False
    return not exchange.gone.is_set()


def _only_gone(error: Exception) -> bool:
    """Whether the error only says that the client went away."""
    if isinstance(error, ExceptionGroup):
        return error.split(_Gone)[1] is None
    return isinstance(error, _Gone)


def _scope(request: h11.Request) -> Message:
    path, _, query = request.target.decode("latin-1").partition("?")
    return {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": request.method.decode("ascii"),
        "path": path,
        "raw_path": path.encode("latin-1"),
        "query_string": query.encode("latin-1"),
        "headers": [(name.lower(), value) for name, value in request.headers],
        "client": None,
        "server": None,
    }


class _Exchange:
    """One request's ASGI ``receive`` and ``send``, and a watch for the client going away."""

    def __init__(
        self, connection: h11.Connection, stream: anyio.abc.SocketStream, body: bytes
    ) -> None:
        self.connection = connection
        self.stream = stream
        self.body: bytes | None = body
        self.gone = anyio.Event()

    async def receive(self) -> Message:
        if self.body is not None:
            body, self.body = self.body, None
            return {"type": "http.request", "body": body, "more_body": False}
        await self.gone.wait()
        return {"type": "http.disconnect"}

    async def send(self, message: Message) -> None:
        if self.gone.is_set():
            raise _Gone
        try:
            await self.stream.send(_encode(self.connection, message))
        except (anyio.BrokenResourceError, anyio.ClosedResourceError) as error:
            self.gone.set()
            raise _Gone from error

    async def watch(self) -> None:
        # The client sends nothing more until the response is complete; reading here only
        # learns that it went away (or gets the start of its next request, kept for later).
        try:
            data = await self.stream.receive(_READ)
        except (anyio.EndOfStream, anyio.BrokenResourceError, anyio.ClosedResourceError):
            self.gone.set()
            return
        self.connection.receive_data(data)

    async def fail(self) -> None:
        """Answer 500, if the response has not started."""
        if self.connection.our_state is h11.SEND_RESPONSE and not self.gone.is_set():
            with suppress(_Gone):
                await self.send({"type": "http.response.start", "status": 500, "headers": _CLOSE})
                await self.send({"type": "http.response.body", "body": b""})
