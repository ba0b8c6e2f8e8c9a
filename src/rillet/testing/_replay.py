"""The emulator served to httpx in-process: no sockets, same answers, same faults."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from typing import Self

import anyio
import httpx

from rillet.testing._emulator import DROP, STALL, Emulator, Step

__all__ = ["ReplayTransport", "replay_transport"]


class ReplayTransport(httpx.AsyncBaseTransport):
    """An httpx transport that answers from an :class:`Emulator`, with no sockets.

    Bodies stream step by step, as over a network: delays are slept, a dropped connection
    raises ``httpx.RemoteProtocolError`` mid-body, a stall waits until the response is closed.
    """

    def __init__(self, emulator: Emulator) -> None:
        self.emulator = emulator
        self.open_bodies = 0
        """Response bodies not closed yet (for leak checks)."""

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        """Answer ``request`` as the emulator would over HTTP."""
        body = await request.aread()
        reply = self.emulator.reply(
            request.method,
            request.url.path,
            request.url.query.decode("latin-1"),
            request.headers,
            body,
        )
        self.open_bodies += 1
        return httpx.Response(
            reply.status, headers=reply.headers, stream=_Body(reply.body, self), request=request
        )


class _Body(httpx.AsyncByteStream, AsyncIterator[bytes]):
    def __init__(self, steps: Iterator[Step], transport: ReplayTransport) -> None:
        self._steps = steps
        self._transport = transport
        self._closed = False

    def __aiter__(self) -> Self:
        return self

    async def __anext__(self) -> bytes:
        # An iterator, not an async generator: nothing is left for the garbage collector to
        # finalize when a response is closed early.
        for step in self._steps:
            if isinstance(step, bytes):
                return step
            if step is DROP:
                msg = "peer closed connection without sending complete message body"
                raise httpx.RemoteProtocolError(msg)
            if step is STALL:
                await anyio.sleep_forever()
            await anyio.sleep(step)  # type: ignore[arg-type]
        raise StopAsyncIteration

    async def aclose(self) -> None:
        if not self._closed:
            self._closed = True
            self._transport.open_bodies -= 1


def replay_transport(emulator: Emulator) -> ReplayTransport:
    """An httpx transport serving ``emulator`` in-process (``httpx.AsyncClient(transport=...)``)."""
    return ReplayTransport(emulator)
