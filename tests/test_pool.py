"""The async client's connection pool, over real sockets: no cancellation can wedge it."""

from __future__ import annotations

import contextlib
import random
from collections.abc import Awaitable, Callable, Coroutine, Iterator
from typing import Any

import anyio
import anyio.lowlevel
import httpcore
import httpx
import pytest

from rillet import AsyncClient, Timeouts
from rillet._pool import PoolTransport, ShardedTransport
from rillet.testing import serve_in_thread

pytestmark = [pytest.mark.anyio, pytest.mark.json_independent]

BODY = {"model": "m", "input": "hi", "stream": True}
TEXT = "responses/plain_text_sorted_keys_2026.sse"
EVENTS = 13  # in TEXT, each sent on its own
CONNECTIONS = 4  # a small pool shows a wedge quickly
WAVES, WAVE = 2, 1001  # streams cancelled per wave
BATCH = 24  # streams started at once, then cancelled together: most wait for the pool
CHECKPOINTS = 500  # a batch is cancelled after fewer checkpoints than this
SMALL_POOL_TIMEOUT = 2.0  # the plain requests after a wave fail fast if the pool is wedged


@pytest.fixture(scope="module")
def url(emulator_recordings: dict[str, bytes]) -> Iterator[str]:
    """A server of one recorded stream, an event per write (cheaper than the emulator: the test
    runs thousands of streams)."""
    events = [event + b"\n\n" for event in emulator_recordings[TEXT].split(b"\n\n") if event]
    assert len(events) == EVENTS
    start = {"type": "http.response.start", "status": 200}
    start["headers"] = [(b"content-type", b"text/event-stream")]

    async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
        while (await receive()).get("more_body"):
            pass
        await send(start)
        for event in events:
            await send({"type": "http.response.body", "body": event, "more_body": True})
        await send({"type": "http.response.body", "body": b"", "more_body": False})

    with serve_in_thread(app) as served:
        yield served


def transports() -> dict[str, Callable[[], httpx.AsyncBaseTransport]]:
    limits = httpx.Limits(max_connections=CONNECTIONS, max_keepalive_connections=CONNECTIONS)
    return {
        "plain": lambda: PoolTransport(limits=limits),
        "sharded": lambda: ShardedTransport(
            max_connections=CONNECTIONS, max_keepalive=CONNECTIONS, shards=2
        ),
    }


def pools(transport: httpx.AsyncBaseTransport) -> list[httpcore.AsyncConnectionPool]:
    if isinstance(transport, ShardedTransport):
        return [shard._pool for shard in transport._shards]
    assert isinstance(transport, httpx.AsyncHTTPTransport)
    return [transport._pool]


# A stream: open it, read it, stop when ``stop`` (called with the events read so far) says so.
Stream = Callable[[Callable[[int], Awaitable[None]]], Coroutine[Any, Any, None]]


def rillet_stream(client: AsyncClient) -> Stream:
    async def run(stop: Callable[[int], Awaitable[None]]) -> None:
        stream = await client.responses.create(model="m", input="hi", stream=True)
        async with stream:
            await stop(0)
            read = 0
            async for _ in stream:
                read += 1
                await stop(read)
        assert read == EVENTS

    return run


def httpx_stream(http: httpx.AsyncClient, url: str) -> Stream:
    async def run(stop: Callable[[int], Awaitable[None]]) -> None:
        async with http.stream("POST", f"{url}/v1/responses", json=BODY) as response:
            chunks = response.aiter_raw()
            read = 0
            try:
                await stop(0)
                async for _ in chunks:
                    read += 1
                    await stop(read)
            finally:  # as rillet's streams do: httpx's generators finished, not left to the GC
                with anyio.CancelScope(shield=True):
                    await response.aclose()
                    with contextlib.suppress(Exception):
                        async for _ in chunks:
                            pass
        assert read == EVENTS  # one chunk per event

    return run


async def cancel_streams(stream: Stream, count: int, rng: random.Random) -> None:
    """Start streams in batches of ``BATCH`` until ``count`` were cancelled, each at a random
    point: a stream may stop itself after the headers or in the body, and each batch is
    cancelled as a whole after a random number of checkpoints, wherever its streams are:
    waiting for the pool, connecting, sending, reading."""
    started = finished = 0

    async def one(at: int | None) -> None:
        nonlocal finished

        async def stop(read: int) -> None:
            if read == at:
                scope.cancel()
                await anyio.lowlevel.checkpoint()

        with anyio.CancelScope() as scope:
            await stream(stop)
        finished += not scope.cancelled_caught  # not cancelled, by itself or with its batch

    while started - finished < count:
        async with anyio.create_task_group() as group:
            started += BATCH
            for _ in range(BATCH):
                group.start_soon(one, rng.choice([None, 0, rng.randrange(1, EVENTS)]))
            for _ in range(rng.randrange(CHECKPOINTS)):
                await anyio.lowlevel.checkpoint()
            group.cancel_scope.cancel()


async def whole(read: int) -> None:
    """Read streams whole."""


async def plain_requests(stream: Stream) -> None:
    """Whole streams, one after another, then more at once than the pool has connections."""
    for _ in range(CONNECTIONS * 2):
        await stream(whole)
    async with anyio.create_task_group() as group:
        for _ in range(CONNECTIONS * 3):
            group.start_soon(stream, whole)


def connecting(transport: httpx.AsyncBaseTransport) -> list[str]:
    """The connections that never connected (after a wave, no request holds any: stranded)."""
    return [
        connection.info()
        for pool in pools(transport)
        for connection in pool.connections
        if connection.info() == "CONNECTING"
    ]


async def test_no_cancellation_wedges_the_pool_of_the_async_client(url: str) -> None:
    """Waves of over a thousand streams cancelled at random points; every plain request after
    each wave still gets a connection within a small pool timeout."""
    rng = random.Random("rillet")
    transport = transports()["plain"]()
    timeouts = Timeouts(connect=10, read=10, write=10, pool=SMALL_POOL_TIMEOUT, first_event=10)
    async with (
        httpx.AsyncClient(transport=transport) as http,
        AsyncClient(
            api_key="k", base_url=f"{url}/v1", http_client=http, timeout=timeouts, max_retries=0
        ) as client,
    ):
        for _ in range(WAVES):
            await cancel_streams(rillet_stream(client), WAVE, rng)
            await plain_requests(rillet_stream(client))
            assert connecting(transport) == []


async def test_no_cancellation_wedges_a_sharded_pool(url: str) -> None:
    """The same with a bare httpx client, on a pool of two shards."""
    rng = random.Random("httpx")
    transport = transports()["sharded"]()
    timeout = httpx.Timeout(10, pool=SMALL_POOL_TIMEOUT)
    async with httpx.AsyncClient(transport=transport, timeout=timeout) as http:
        for _ in range(WAVES):
            await cancel_streams(httpx_stream(http, url), WAVE, rng)
            await plain_requests(httpx_stream(http, url))
            assert connecting(transport) == []


async def test_a_sharded_pool_serves_requests_in_turn_on_one_connection(url: str) -> None:
    transport = ShardedTransport(max_connections=8, max_keepalive=8, shards=4)
    async with httpx.AsyncClient(transport=transport) as http:
        for _ in range(10):
            await httpx_stream(http, url)(whole)
        connections = [c.info() for pool in pools(transport) for c in pool.connections]
    assert len(connections) == 1
    assert connections[0].endswith("IDLE, Request Count: 10")


async def test_a_sharded_pool_spreads_requests_at_once_over_its_shards(url: str) -> None:
    transport = ShardedTransport(max_connections=8, max_keepalive=8, shards=4)
    timeout = httpx.Timeout(10, pool=SMALL_POOL_TIMEOUT)  # none waits for a connection
    all_open, release = anyio.Event(), anyio.Event()
    opened = 0

    async def hold(read: int) -> None:
        nonlocal opened
        if read == 0:
            opened += 1
            if opened == 8:
                all_open.set()
            await release.wait()

    async with (
        httpx.AsyncClient(transport=transport, timeout=timeout) as http,
        anyio.create_task_group() as group,
    ):
        for _ in range(8):
            group.start_soon(httpx_stream(http, url), hold)
        await all_open.wait()
        assert [len(pool.connections) for pool in pools(transport)] == [2, 2, 2, 2]
        release.set()
