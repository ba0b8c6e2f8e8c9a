"""The async client's connection pool: httpx's, made safe to cancel, and split into shards.

httpcore (1.0.9, the current release) can lose a pool slot for good when a request is cancelled:
the pool creates a connection for a waiting request and hands it over, and if the request was
cancelled before it could use it (typically: a whole batch of requests cancelled at once, while
they wait for the pool), the connection stays in the pool, "CONNECTING" forever. No request
holds it and the pool never frees it: it is neither idle, nor closed, nor expired. Once
``max_connections`` slots are lost, every request waits for the pool and fails with a pool
timeout. :class:`PoolTransport` gives such slots back (see :func:`reclaim`).

httpcore's pool also looks over every connection each time a request starts or a response
closes, so its cost per request grows with the number of open connections: with 200 to 1,000
streams at once, one pool costs the client 20-30% more CPU per event than 16 shards
(``benchmarks/bench_pool.py``). :class:`ShardedTransport` spreads connections over independent
pools to keep each scan short, and sends a request to a shard with an idle connection first, so
that requests one after another reuse one connection as they would with one pool.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any, Final, cast

import anyio
import httpcore
import httpx

__all__ = ["PoolTransport", "ShardedTransport", "reclaim"]

MAX_CONNECTIONS: Final = 1000
MAX_KEEPALIVE: Final = 100
SHARDS: Final = 16


def reclaimable(pool: httpcore.AsyncConnectionPool) -> bool:
    """Whether ``pool`` has the internals :func:`reclaim` works on (httpcore 1.x's)."""
    return all(
        hasattr(pool, name)
        for name in (
            "_connections",
            "_requests",
            "_max_connections",
            "_assign_requests_to_connections",
        )
    )


def reclaim(pool: httpcore.AsyncConnectionPool) -> list[httpcore.AsyncConnectionInterface]:
    """Take out of ``pool`` the connections that no request holds and that it would never free.

    A connection no request holds is either idle (kept alive for the next request), closed or
    expired (the pool drops those itself), or stranded: created for a request that was
    cancelled before it could use it. Stranded connections are removed, and the slots they held
    go to the requests waiting for one. Returns the connections to close (stranded ones hold no
    socket, but the pool may close idle ones to make room); the caller closes them, shielded.
    Synchronous, so that the pool does not change while it is looked at.
    """
    connections = pool._connections  # noqa: SLF001 - httpcore has no public way to do this
    held = {id(request.connection) for request in pool._requests}  # noqa: SLF001
    stranded = [
        connection
        for connection in connections
        if id(connection) not in held
        and not (connection.is_idle() or connection.is_closed() or connection.has_expired())
    ]
    if not stranded:
        return []
    for connection in stranded:
        connections.remove(connection)
    return stranded + pool._assign_requests_to_connections()  # noqa: SLF001


async def _close(connections: list[httpcore.AsyncConnectionInterface]) -> None:
    with anyio.CancelScope(shield=True):
        for connection in connections:
            await connection.aclose()


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
    """``httpx.AsyncHTTPTransport`` whose pool no cancellation can wedge.

    Takes the same arguments. When a request fails or is cancelled, and before a request starts
    on a full pool, the connections that cancelled requests stranded are taken out of the pool
    (:func:`reclaim`), so that their slots serve again. A request body of known bytes is sent
    through :class:`_Body` (the request's ``stream`` is replaced).
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:  # noqa: ANN401
        super().__init__(*args, **kwargs)
        self._reclaimable = reclaimable(self._pool)

    def connection_count(self) -> int:
        """How many connections the pool has: in use, idle, or being opened."""
        if self._reclaimable:
            return len(self._pool._connections)  # noqa: SLF001 - no list copied
        return len(self._pool.connections)

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        """Send ``request``; give back the slots a failure or a cancellation strands."""
        if type(request.stream) is httpx.ByteStream:
            request.stream = _Body(request.content)
        if not self._reclaimable:
            return await super().handle_async_request(request)
        pool = self._pool
        if len(pool._connections) >= pool._max_connections:  # noqa: SLF001
            await _close(reclaim(pool))
        try:
            return await super().handle_async_request(request)
        except BaseException:
            await _close(reclaim(pool))
            raise


class ShardedTransport(httpx.AsyncBaseTransport):
    """``shards`` :class:`PoolTransport` pools, with ``max_connections`` between them.

    A request goes to the first shard that has a connection to spare (kept alive, idle), else to
    the shard with the fewest requests in flight: requests one after another reuse one
    connection, as with a single pool, and many at once spread evenly over the shards.
    """

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
        tls = httpx.create_ssl_context()  # one for all: each takes ~20 ms to load the CAs
        self._shards = [PoolTransport(verify=tls, limits=limits) for _ in range(shards)]
        self._in_flight = [0] * shards  # requests sent whose response is not closed yet

    def _choose(self) -> int:
        in_flight = self._in_flight
        for index, shard in enumerate(self._shards):
            if shard.connection_count() > in_flight[index]:
                return index
        return in_flight.index(min(in_flight))

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        """Send ``request`` on a shard with an idle connection, else on the least busy one."""
        index = self._choose()
        self._in_flight[index] += 1
        try:
            response = await self._shards[index].handle_async_request(request)
        except BaseException:
            self._in_flight[index] -= 1
            raise
        stream = cast("httpx.AsyncByteStream", response.stream)  # an async transport's
        response.stream = _Counted(stream, self._in_flight, index)
        return response

    async def aclose(self) -> None:
        """Close every shard's connections."""
        async with anyio.create_task_group() as group:
            for shard in self._shards:
                group.start_soon(shard.aclose)


class _Counted(httpx.AsyncByteStream):
    """A response body that, once closed, leaves its shard's count of requests in flight."""

    def __init__(self, stream: httpx.AsyncByteStream, in_flight: list[int], index: int) -> None:
        self._stream = stream
        self._in_flight = in_flight
        self._index: int | None = index

    def __aiter__(self) -> AsyncIterator[bytes]:
        return self._stream.__aiter__()

    async def aclose(self) -> None:
        if self._index is not None:
            self._in_flight[self._index] -= 1
            self._index = None
        await self._stream.aclose()
