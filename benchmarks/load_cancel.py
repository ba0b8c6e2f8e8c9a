"""Load: 10,000 streams opened and cancelled at random points: nothing grows.

Against ``load_server.py`` in its own process, over loopback. Prints the open file descriptors,
the running tasks and the resident set size before, half way and at the end.

    python benchmarks/load_cancel.py [--streams 10000] [--concurrency 50]
"""

from __future__ import annotations

import argparse
import os
import random
import subprocess
import sys
from pathlib import Path

import anyio
import httpx

from rillet import AsyncClient

HERE = Path(__file__).parent


def state() -> str:
    fds = len(list(Path("/proc/self/fd").iterdir()))
    with open("/proc/self/statm") as statm:  # noqa: PTH123 - Linux
        rss = int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20
    return f"{fds} fds, {len(anyio.get_running_tasks())} tasks, RSS {rss:.1f} MiB"


async def main(url: str, streams: int, concurrency: int) -> None:
    rng = random.Random(1)
    limiter = anyio.Semaphore(concurrency)
    async with httpx.AsyncClient() as http:
        client = AsyncClient(api_key="sk-load", base_url=f"{url}/v1", http_client=http)

        async def one(stop_after: int) -> None:
            async with limiter:
                with anyio.CancelScope() as scope:
                    stream = await client.responses.create(model="m", input="hi", stream=True)
                    async with stream:
                        seen = 0
                        async for _ in stream:
                            seen += 1
                            if seen >= stop_after:
                                scope.cancel()
                                await anyio.lowlevel.checkpoint()

        print(f"before:      {state()}")
        for half in (1, 2):
            async with anyio.create_task_group() as group:
                for _ in range(streams // 2):
                    group.start_soon(one, rng.randrange(0, 220))
            await anyio.sleep(0.5)  # let closing connections finish closing
            print(f"after {half * streams // 2:>6,}: {state()}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--streams", type=int, default=10_000)
    parser.add_argument("--concurrency", type=int, default=50)
    options = parser.parse_args()
    server = [sys.executable, str(HERE / "load_server.py"), "--deltas", "200"]
    with subprocess.Popen(server, stdout=subprocess.PIPE, text=True) as process:  # noqa: S603
        try:
            assert process.stdout is not None
            url = process.stdout.readline().strip()
            anyio.run(main, url, options.streams, options.concurrency)
        finally:
            process.terminate()
