"""A small HTTP/1.1 server for the emulator, on anyio and h11 (which httpx already brings).

So that ``pip install rillet`` is enough to run the emulator on 127.0.0.1 (``rillet demo``,
``rillet serve``): no ASGI server to install. It serves one ASGI app with what the emulator
needs and no more: request bodies, streamed (chunked) responses, keep-alive, and a client that
goes away (the app's ``receive()`` then says ``http.disconnect``). An app that returns without
finishing its body gets its connection dropped, as a real server would.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncGenerator, Awaitable, Callable, Generator, MutableMapping
from contextlib import asynccontextmanager, contextmanager, suppress
from typing import Any, Final, cast

import anyio
import anyio.abc
import h11
from anyio.from_thread import start_blocking_portal

__all__ = ["serve", "serve_in_thread"]

Message = dict[str, Any]
# Any ASGI app: apps type their messages as dicts or as MutableMappings (as Starlette and the
# emulator do); each app's parameters would reject the other's in a stricter type.
App = Callable[[Any, Any, Any], Awaitable[None]]

_READ: Final = 65536
_log = logging.getLogger("rillet.testing")
_MAX_HEAD: Final = 16384  # bytes of a request's line and headers
_TIMED_OUT: Final = object()  # no whole request line and headers in time
_CLOSE: Final = [(b"connection", b"close")]  # said when the server closes after a response


class _Gone(Exception):  # noqa: N818 - a signal, not an error
    """The client went away while the app was sending."""


@asynccontextmanager
async def serve(
    app: App, *, host: str = "127.0.0.1", port: int = 0, header_timeout: float = 10.0
) -> AsyncGenerator[str, None]:
    """Serve ``app`` on ``host:port`` (0: a free port) while the block runs; yield its URL.

    The app's ASGI lifespan runs around it (an app that does not support it is served without).
    A client gets ``header_timeout`` seconds to send a request's line and headers (counted from
    when the server starts waiting for the request, on a kept-alive connection too), and at
    most 16 KiB of them (else 431); then its connection is closed, with a 408 if a request had
    begun.
    """
    listener = await anyio.create_tcp_listener(local_host=host, local_port=port)
    bound = listener.extra(anyio.abc.SocketAttribute.local_port)  # noqa: S610 - not Django

    async def handle(stream: anyio.abc.SocketStream) -> None:
        await _connection(app, stream, header_timeout)

    async with listener, _lifespan(app), anyio.create_task_group() as group:
        group.start_soon(listener.serve, handle)
        try:
            yield f"http://{host}:{bound}"
        finally:
            group.cancel_scope.cancel()


@asynccontextmanager
async def _lifespan(app: App) -> AsyncGenerator[None, None]:
    """Run the app's ASGI lifespan: started before the block, shut down after it."""
    to_app, app_receives = anyio.create_memory_object_stream[Message](1)
    app_sends, from_app = anyio.create_memory_object_stream[MutableMapping[str, Any]](1)
    scope = {"type": "lifespan", "asgi": {"version": "3.0"}}

    async def run() -> None:
        async with app_receives, app_sends:
            try:
                await app(scope, app_receives.receive, app_sends.send)
            except Exception:  # noqa: BLE001 - an app without a lifespan is served without
                _log.debug("the app runs no lifespan", exc_info=True)

    async def answer() -> MutableMapping[str, Any] | None:
        try:
            return await from_app.receive()
        except anyio.EndOfStream:  # the app returned: it runs no lifespan
            return None

    async with to_app, from_app, anyio.create_task_group() as group:
        to_app.send_nowait({"type": "lifespan.startup"})  # before the app may return
        group.start_soon(run)
        started = await answer()
        if started is not None and started["type"] == "lifespan.startup.failed":
            msg = f"the app failed to start: {started.get('message', '')}"
            raise RuntimeError(msg)
        try:
            yield
        finally:
            if started is not None:
                with anyio.move_on_after(10, shield=True), suppress(anyio.BrokenResourceError):
                    await to_app.send({"type": "lifespan.shutdown"})
                    await answer()
            group.cancel_scope.cancel()


@contextmanager
def serve_in_thread(
    app: App, *, host: str = "127.0.0.1", port: int = 0, header_timeout: float = 10.0
) -> Generator[str, None, None]:
    """:func:`serve`, from blocking code: the server runs in a thread with its own loop."""
    served = serve(app, host=host, port=port, header_timeout=header_timeout)
    with start_blocking_portal() as portal, portal.wrap_async_context_manager(served) as url:
        yield url


async def _connection(app: App, stream: anyio.abc.SocketStream, header_timeout: float) -> None:
    connection = h11.Connection(h11.SERVER, max_incomplete_event_size=_MAX_HEAD)
    async with stream:
        while True:
            received = await _request(connection, stream, header_timeout)
            if received is None:
                return
            finished = await _exchange(app, connection, stream, *received)
            if not finished or connection.our_state is not h11.DONE:
                return  # the app dropped the connection, or the client went away
            if connection.their_state is not h11.DONE:
                return
            try:
                connection.start_next_cycle()
            except h11.LocalProtocolError:
                return


async def _request(
    connection: h11.Connection, stream: anyio.abc.SocketStream, header_timeout: float
) -> tuple[h11.Request, bytes] | None:
    """The next request and its body; None when the connection must close."""
    request: Any = _TIMED_OUT
    with anyio.move_on_after(header_timeout):
        request = await _next(connection, stream)
    if request is _TIMED_OUT:
        if connection.trailing_data[0]:  # else an idle connection: nobody waits for an answer
            await _refuse(connection, stream, 408)
        return None
    if isinstance(request, h11.RemoteProtocolError):
        await _refuse(connection, stream, request.error_status_hint)
    if not isinstance(request, h11.Request):
        return None
    chunks: list[bytes] = []  # joined once: appending to bytes would copy it each time
    while True:
        part = await _next(connection, stream)
        if isinstance(part, h11.EndOfMessage):
            return request, b"".join(chunks)
        if not isinstance(part, h11.Data):
            return None
        chunks.append(part.data)


async def _next(connection: h11.Connection, stream: anyio.abc.SocketStream) -> Any:  # noqa: ANN401
    while True:
        try:
            event = connection.next_event()
        except h11.RemoteProtocolError as error:  # not HTTP/1.1, or a head too long
            return error
        if event is not h11.NEED_DATA:
            return event
        try:
            data = await stream.receive(_READ)
        except (anyio.EndOfStream, anyio.BrokenResourceError, anyio.ClosedResourceError):
            data = b""
        connection.receive_data(data)


async def _refuse(connection: h11.Connection, stream: anyio.abc.SocketStream, status: int) -> None:
    """Answer ``status`` before closing, if the connection still allows an answer."""
    if connection.our_state in (h11.IDLE, h11.SEND_RESPONSE):
        headers = [(b"content-length", b"0"), *_CLOSE]
        out = connection.send(h11.Response(status_code=status, headers=headers)) or b""
        out += connection.send(h11.EndOfMessage()) or b""
        with suppress(anyio.BrokenResourceError, anyio.ClosedResourceError):
            await stream.send(out)


def _encode(connection: h11.Connection, message: MutableMapping[str, Any]) -> bytes:
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
        # isinstance() leaves the group's type argument unknown to pyright.
        return cast("ExceptionGroup[Exception]", error).split(_Gone)[1] is None
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

    async def send(self, message: MutableMapping[str, Any]) -> None:
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
