"""The emulator served to httpx in-process: no sockets, same answers, same faults."""

from __future__ import annotations

import math
import threading
from collections.abc import AsyncIterator, Iterator
from typing import Self

import anyio
import httpx

from rillet.testing._emulator import DROP, STALL, Emulator, Step

__all__ = ["ReplayTransport", "SyncReplayTransport", "replay_transport", "sync_replay_transport"]


class ReplayTransport(httpx.AsyncBaseTransport):
    """An httpx transport that answers from an :class:`Emulator`, with no sockets.

    Bodies stream step by step, as over a network: delays are slept, a dropped connection
    raises ``httpx.RemoteProtocolError`` mid-body, a stall waits until the response is closed.
    """

    def __init__(self, emulator: Emulator) -> None:
        self.emulator = emulator
        self.open_bodies = 0
        """Response bodies not closed yet (for leak checks; the emulator counts them too)."""

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        """Answer ``request`` as the emulator would over HTTP."""
        status, headers, walk = _reply(self, request, await request.aread())
        return httpx.Response(status, headers=headers, stream=_AsyncBody(walk), request=request)


class SyncReplayTransport(httpx.BaseTransport):
    """:class:`ReplayTransport` for blocking code (``httpx.Client(transport=...)``).

    The same bodies, read in the calling thread: delays are slept, a dropped connection raises
    ``httpx.RemoteProtocolError`` mid-body. A wait longer than the request's read timeout (a
    stall, or a long delay) raises ``httpx.ReadTimeout`` once that timeout has passed, as a
    socket would; with no read timeout, a stall blocks until the response is closed.
    """

    def __init__(self, emulator: Emulator) -> None:
        self.emulator = emulator
        self.open_bodies = 0
        """Response bodies not closed yet (for leak checks; the emulator counts them too)."""

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        """Answer ``request`` as the emulator would over HTTP."""
        status, headers, walk = _reply(self, request, request.read())
        read = request.extensions.get("timeout", {}).get("read")
        return httpx.Response(
            status, headers=headers, stream=_SyncBody(walk, read), request=request
        )


def replay_transport(emulator: Emulator) -> ReplayTransport:
    """An httpx transport serving ``emulator`` in-process (``httpx.AsyncClient(transport=...)``)."""
    return ReplayTransport(emulator)


def sync_replay_transport(emulator: Emulator) -> SyncReplayTransport:
    """A blocking httpx transport serving ``emulator`` in-process (``httpx.Client``)."""
    return SyncReplayTransport(emulator)


_Transport = ReplayTransport | SyncReplayTransport


def _reply(
    transport: _Transport, request: httpx.Request, body: bytes
) -> tuple[int, list[tuple[bytes, bytes]], _Walk]:
    reply = transport.emulator.reply(
        request.method,
        request.url.path,
        request.url.query.decode("latin-1"),
        request.headers,
        body,
    )
    return reply.status, reply.headers, _Walk(reply.body, transport)


class _Walk:
    """A body's steps as its reader meets them, and its place in the counts of open bodies.

    No I/O: each front end waits as :meth:`wait` says, in its own way, then calls :meth:`take`.
    """

    def __init__(self, steps: Iterator[Step], transport: _Transport) -> None:
        self._steps = steps
        self._next: Step | None = None
        self._transport = transport
        self._open = True
        transport.open_bodies += 1
        transport.emulator.open_bodies += 1

    def wait(self) -> float:
        """Seconds before what comes next (``inf``: a stall, nothing comes)."""
        if self._next is STALL:
            return math.inf
        seconds = 0.0
        for step in self._steps:
            if isinstance(step, int | float):
                seconds += step
                continue
            self._next = step
            return math.inf if step is STALL else seconds
        self._next = None
        return seconds

    def take(self) -> bytes | None:
        """What came after the wait: a chunk, or None at the end of the body."""
        step, self._next = self._next, None
        if step is DROP:
            msg = "peer closed connection without sending complete message body"
            raise httpx.RemoteProtocolError(msg)
        return step if isinstance(step, bytes) else None

    def close(self) -> None:
        if self._open:
            self._open = False
            self._transport.open_bodies -= 1
            self._transport.emulator.open_bodies -= 1


class _AsyncBody(httpx.AsyncByteStream, AsyncIterator[bytes]):
    def __init__(self, walk: _Walk) -> None:
        self._walk = walk

    def __aiter__(self) -> Self:
        return self

    async def __anext__(self) -> bytes:
        # An iterator, not an async generator: nothing is left for the garbage collector to
        # finalize when a response is closed early.
        seconds = self._walk.wait()
        if seconds:
            await anyio.sleep(seconds)  # forever, for a stall: until the reader gives up
        chunk = self._walk.take()
        if chunk is None:
            raise StopAsyncIteration
        return chunk

    async def aclose(self) -> None:
        self._walk.close()


class _SyncBody(httpx.SyncByteStream, Iterator[bytes]):
    def __init__(self, walk: _Walk, read_timeout: float | None) -> None:
        self._walk = walk
        self._read_timeout = read_timeout
        self._closed = threading.Event()  # a wait ends early when another thread closes

    def __iter__(self) -> Self:
        return self

    def __next__(self) -> bytes:
        seconds = self._walk.wait()
        if seconds:
            self._pause(seconds)
        chunk = self._walk.take()
        if chunk is None:
            raise StopIteration
        return chunk

    def _pause(self, seconds: float) -> None:
        limit = seconds if self._read_timeout is None else min(seconds, self._read_timeout)
        if self._closed.wait(None if math.isinf(limit) else limit):
            msg = "the response was closed while it was read"
            raise httpx.ReadError(msg)
        if limit < seconds:
            msg = f"no data for {limit} s (the read timeout)"
            raise httpx.ReadTimeout(msg)

    def close(self) -> None:
        self._closed.set()
        self._walk.close()
