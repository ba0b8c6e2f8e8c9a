"""Load: one producer, 1,000 subscribers of one relay channel, on the memory backend and on Redis.

Side by side in one run, on asyncio and trio: delivery delay (from the producer's append to a
subscriber's receipt: p50, p99), entries delivered per second, memory per subscriber, and for
Redis the round trips: per appended batch (the producer's) and per batch read (all the
subscribers' of one process together). On Redis the producer and the subscribers use two
``RedisBackend`` instances (two processes' worth of connections). A ``redis-server`` is started on
127.0.0.1 on a free port unless ``--redis URL`` is given.

    python benchmarks/load_relay.py [--subscribers 1000] [--batches 100] [--per-batch 5]
"""

from __future__ import annotations

import argparse
import os
import shutil
import socket
import statistics
import subprocess
import tempfile
import time
from collections.abc import Generator
from contextlib import contextmanager, nullcontext

import anyio

from rillet.relay import END_EVENT, Backend, MemoryBackend, RedisBackend


def rss_mib() -> float:
    with open("/proc/self/statm") as statm:  # noqa: PTH123 - Linux
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


@contextmanager
def redis_server() -> Generator[str]:
    binary = shutil.which("redis-server")
    if binary is None:
        message = "redis-server is not on the PATH (or give --redis URL)"
        raise SystemExit(message)
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    with tempfile.TemporaryDirectory() as directory:
        args = [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", ""]
        server = subprocess.Popen(  # noqa: S603 - the system's redis-server, our arguments
            [*args, "--appendonly", "no", "--dir", directory], stdout=subprocess.DEVNULL
        )
        try:
            for _ in range(200):
                with socket.socket() as probe:
                    if probe.connect_ex(("127.0.0.1", port)) == 0:
                        break
                time.sleep(0.01)
            yield f"redis://127.0.0.1:{port}/0"
        finally:
            server.terminate()
            server.wait(timeout=10)


async def run(producer: Backend, reader: Backend, args: argparse.Namespace) -> dict[str, float]:
    channel = f"load-{time.monotonic_ns()}"
    assert await producer.claim(channel, 60)
    delays: list[float] = []

    async def subscribe() -> None:
        after = 0
        while True:
            entries = await reader.read(channel, after, limit=1000, wait=10)
            now = time.perf_counter()
            delays.extend(now - float(entry.data) for entry in entries if entry.event == "t")
            if entries:
                after = entries[-1].id
                if entries[-1].event == END_EVENT:
                    return

    trips = (getattr(producer, "round_trips", 0), getattr(reader, "round_trips", 0))
    before = rss_mib()
    memory = started = 0.0
    async with anyio.create_task_group() as group:
        for _ in range(args.subscribers):
            group.start_soon(subscribe)
        await anyio.sleep(0.5)  # every subscriber waits at the live end
        memory = (rss_mib() - before) / args.subscribers * 1024
        started = time.perf_counter()
        for _ in range(args.batches):
            now = repr(time.perf_counter())
            await producer.append(channel, [("t", now)] * args.per_batch)
            await anyio.sleep(args.interval)
        await producer.append(channel, [(END_EVENT, "{}")])
    elapsed = time.perf_counter() - started
    delays.sort()
    return {
        "p50 ms": statistics.median(delays) * 1000,
        "p99 ms": delays[int(len(delays) * 0.99)] * 1000,
        "entries/s": len(delays) / elapsed,
        "KiB/subscriber": memory,
        "trips/append": (getattr(producer, "round_trips", 0) - trips[0]) / (args.batches + 1),
        "trips/batch read": (getattr(reader, "round_trips", 0) - trips[1]) / (args.batches + 1),
    }


async def main(args: argparse.Namespace, url: str) -> None:
    memory = MemoryBackend()
    results = {"memory": await run(memory, memory, args)}
    async with RedisBackend(url) as producer, RedisBackend(url) as reader:
        results["redis"] = await run(producer, reader, args)
    for name, result in results.items():
        print(f"  {name:7}", "  ".join(f"{key} {value:8.1f}" for key, value in result.items()))
    ratio = results["redis"]["p99 ms"] / results["memory"]["p99 ms"]
    print(f"  p99 redis / memory: {ratio:.2f}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description="One producer, many relay subscribers.")
    parser.add_argument("--subscribers", type=int, default=1000)
    parser.add_argument("--batches", type=int, default=100)
    parser.add_argument("--per-batch", type=int, default=5)
    parser.add_argument("--interval", type=float, default=0.01, help="seconds between appends")
    parser.add_argument("--redis", help="a Redis URL (else a redis-server is started)")
    arguments = parser.parse_args()
    with redis_server() if arguments.redis is None else nullcontext(arguments.redis) as url:
        for backend in ["asyncio", "trio"]:
            print(f"{backend}: {arguments.subscribers} subscribers, {arguments.batches} batches")
            anyio.run(main, arguments, url, backend=backend)
