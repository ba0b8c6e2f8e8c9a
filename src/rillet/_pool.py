"""The async client's connection pool: httpx's, split into shards.

httpcore's pool looks over every connection each time a request starts or a response closes, so
its cost per request grows with the number of open connections: with a thousand concurrent
streams that scan is most of the client's time. Long-lived streams need many connections at
once; spreading them over independent pools keeps each scan short. Requests go to the shards in
turn; each shard keeps its own connections alive for reuse.
"""

from __future__ import annotations

import itertools
from typing import Final

import anyio
import httpx

__all__ = ["ShardedTransport"]

MAX_CONNECTIONS: Final = 1000
MAX_KEEPALIVE: Final = 100
SHARDS: Final = 16


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
        self._shards = [httpx.AsyncHTTPTransport(limits=limits) for _ in range(shards)]
        self._next = itertools.cycle(self._shards)

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        """Send ``request`` on the next shard."""
        return await next(self._next).handle_async_request(request)

    async def aclose(self) -> None:
        """Close every shard's connections."""
        async with anyio.create_task_group() as group:
            for shard in self._shards:
                group.start_soon(shard.aclose)
