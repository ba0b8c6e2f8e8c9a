"""The async client's connection pool: httpx's, made safe to cancel, and split into shards.

httpcore's pool looks over every connection each time a request starts or a response
closes, so its cost per request grows with the number of open connections: with a thousand
concurrent streams that scan is most of the client's time. :class:`ShardedTransport` spreads
connections over independent pools to keep each scan short.
"""

from __future__ import annotations

import itertools
from collections.abc import AsyncIterator
from typing import Final

import anyio
import httpx

__all__ = ["PoolTransport", "ShardedTransport"]

MAX_CONNECTIONS: Final = 1000
MAX_KEEPALIVE: Final = 100
SHARDS: Final = 16


class _Body(httpx.AsyncByteStream):
    """A request body of known bytes, sent without an async generator.

    httpx's own (``httpx.ByteStream``) is one: a request cancelled while its body is being sent
    leaves the generator unfinished for the garbage collector, and trio warns about each
    (``ResourceWarning``), possibly in the middle of an unrelated test or task.
    """

    def __init__(self, content: bytes) -> None:
        self._content = content

    def __aiter__(self) -> AsyncIterator[bytes]:
        return _Once(self._content)


class _Once:
    def __init__(self, chunk: bytes) -> None:
        self._chunk: bytes | None = chunk

    def __aiter__(self) -> AsyncIterator[bytes]:
        return self

    async def __anext__(self) -> bytes:
        chunk, self._chunk = self._chunk, None
        if chunk is None:
            raise StopAsyncIteration
        return chunk


class PoolTransport(httpx.AsyncHTTPTransport):
    """``httpx.AsyncHTTPTransport``, safe to cancel. Takes the same arguments."""

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        """Send ``request``."""
        if type(request.stream) is httpx.ByteStream:
            request.stream = _Body(request.content)
        return await super().handle_async_request(request)


class ShardedTransport(httpx.AsyncBaseTransport):
    """``shards`` httpx transports, used in turn, with ``max_connections`` between them."""

    def __init__(
        self,
        *,
        max_connections: int = MAX_CONNECTIONS,
        max_keepalive: int = MAX_KEEPALIVE,
        shards: int = SHARDS,
    ) -> None:
        limits = httpx.Limits(
            max_connections=max(1, max_connections // shards),
            max_keepalive_connections=max(1, max_keepalive // shards),
        )
        self._shards = [PoolTransport(limits=limits) for _ in range(shards)]
        self._next = itertools.cycle(self._shards)

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        """Send ``request`` on the next shard."""
        return await next(self._next).handle_async_request(request)

    async def aclose(self) -> None:
        """Close every shard's connections."""
        async with anyio.create_task_group() as group:
            for shard in self._shards:
                group.start_soon(shard.aclose)
