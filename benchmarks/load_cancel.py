"""Load: 10,000 streams opened and cancelled at random points: nothing grows, nothing wedges.

Against ``load_server.py`` in its own process, over loopback, with the client's own pool (or one
of ``--connections`` connections, which shows a wedge sooner). Streams start in batches of
``--concurrency``; each may stop itself after the headers or after some events, and each batch is
cancelled as a whole at a random moment, wherever its streams are: waiting for the pool,
connecting, reading. Prints the open file descriptors, the running tasks, the resident set size
and the pool's connections before, half way and at the end, and checks after each half that
plain streams still get a connection within a 2 s pool timeout.

    python benchmarks/load_cancel.py [--streams 10000] [--concurrency 50] [--connections N]
"""

from __future__ import annotations

import argparse
import os
import random
import subprocess
import sys
from collections import Counter
from pathlib import Path

import anyio
import anyio.lowlevel
import httpx

from rillet import AsyncClient, RilletError, Timeouts
from rillet._pool import PoolTransport, ShardedTransport

HERE = Path(__file__).parent
PLAIN = 20  # plain streams after each half, that must all get a connection
CHECKPOINTS = 2000  # a batch is cancelled after fewer event-loop checkpoints than this


def connection_states(transport: httpx.AsyncBaseTransport) -> Counter[str]:
    """How many of the pool's connections are IDLE, ACTIVE, CONNECTING..."""
    shards = [transport]
    if isinstance(transport, ShardedTransport):
        shards = list(transport._shards)  # noqa: SLF001
    states: Counter[str] = Counter()
    for shard in shards:
        assert isinstance(shard, httpx.AsyncHTTPTransport)
        for connection in shard._pool.connections:  # noqa: SLF001
            info = connection.info()  # "CONNECTING", or "'http://...', HTTP/1.1, IDLE, ..."
            states[info.split(", ")[2] if ", " in info else info] += 1
    return states


def state(transport: httpx.AsyncBaseTransport) -> str:
    fds = len(list(Path("/proc/self/fd").iterdir()))
    with open("/proc/self/statm") as statm:  # noqa: PTH123 - Linux
        rss = int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20
    states = connection_states(transport)
    pool = ", ".join(f"{count} {name}" for name, count in sorted(states.items())) or "none"
    tasks = len(anyio.get_running_tasks())
    return f"{fds} fds, {tasks} tasks, RSS {rss:.1f} MiB, pool connections: {pool}"


async def one(client: AsyncClient, stop_after: int | None) -> None:
    """A stream, read whole, or cancelled by itself after ``stop_after`` events."""
    with anyio.CancelScope() as scope:
        stream = await client.responses.create(model="m", input="hi", stream=True)
        async with stream:
            seen = 0
            async for _ in stream:
                seen += 1
                if seen == stop_after:
                    scope.cancel()
                    await anyio.lowlevel.checkpoint()


async def plain(client: AsyncClient) -> str:
    """``PLAIN`` whole streams, one after another: whether they were all served."""
    try:
        for _ in range(PLAIN):
            await one(client, None)
    except RilletError as error:
        return f"FAILED: {error}"
    return "all served"


async def cancel_streams(client: AsyncClient, count: int, batch: int, rng: random.Random) -> None:
    for _ in range(0, count, batch):
        async with anyio.create_task_group() as group:
            for _ in range(batch):
                group.start_soon(one, client, rng.choice([None, rng.randrange(0, 220)]))
            for _ in range(rng.randrange(CHECKPOINTS)):
                await anyio.lowlevel.checkpoint()
            group.cancel_scope.cancel()


async def main(url: str, streams: int, concurrency: int, connections: int) -> None:
    rng = random.Random(1)
    timeouts = Timeouts(connect=10, read=10, write=10, pool=2, first_event=10)
    limits = httpx.Limits(max_connections=connections or 1)
    async with (
        httpx.AsyncClient(transport=PoolTransport(limits=limits)) as small,
        AsyncClient(
            api_key="sk-load",
            base_url=f"{url}/v1",
            timeout=timeouts,
            http_client=small if connections else None,  # else the client's own
        ) as client,
    ):
        transport = client._http._transport  # noqa: SLF001
        print(f"before:      {state(transport)}")
        for half in (1, 2):
            await cancel_streams(client, streams // 2, concurrency, rng)
            await anyio.sleep(0.5)  # let closing connections finish closing
            print(f"after {half * streams // 2:>6,}: {state(transport)}")
            print(f"  then {PLAIN} plain streams, 2 s pool timeout: {await plain(client)}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=str(__doc__).splitlines()[0])
    parser.add_argument("--streams", type=int, default=10_000)
    parser.add_argument("--concurrency", type=int, default=50)
    parser.add_argument("--connections", type=int, default=0, help="a pool of this many")
    options = parser.parse_args()
    server = [sys.executable, str(HERE / "load_server.py"), "--deltas", "200"]
    with subprocess.Popen(server, stdout=subprocess.PIPE, text=True) as process:  # noqa: S603
        try:
            assert process.stdout is not None
            url = process.stdout.readline().strip()
            anyio.run(main, url, options.streams, options.concurrency, options.connections)
        finally:
            process.terminate()
