"""The relay under load: one producer, 1,000 subscribers, in memory and on a real Redis.

The producer publishes a stream of small events into a channel; 1,000 subscribers in the same
process follow it. Each event carries the time the producer selected it for appending, so each
subscriber's receipt gives a delivery latency (append to receipt). Two runs per backend:

* paced: one event every 5 ms (200 events/s, faster than models write tokens): the delivery
  latency p50 / p99 / max over every (event, subscriber) pair;
* flat out: as fast as the producer can append: events/s appended, and entries/s delivered to
  the 1,000 subscribers together.

Also: the memory each subscriber costs while it waits (tracemalloc, 1,000 subscriptions), and on
Redis the round trips per event (producer and subscribers' side: two ``RedisBackend`` objects,
standing in for two processes). The Redis server is a real ``redis-server`` started on
127.0.0.1 on a free port (skipped, with a message, when there is none).
Run: ``python benchmarks/bench_relay.py [--subscribers N] [--events N]``.
"""

from __future__ import annotations

import argparse
import contextlib
import shutil
import socket
import statistics
import subprocess
import tempfile
import time
import tracemalloc
from collections.abc import AsyncIterator, Generator
from dataclasses import dataclass

import anyio

from _results import Results
from rillet.relay import Backend, MemoryBackend, RedisBackend, Relay

PACE = 0.005  # seconds between events in the paced run
BACKENDS = ("asyncio", "trio")


@dataclass
class Tick:
    """An event of the benchmark's stream."""

    type: str = "tick"


def ticks(_tick: Tick) -> list[tuple[str, str]]:
    """The selector: each event as one entry, its data the time it is appended (``repr``)."""
    return [("tick", repr(time.perf_counter()))]


async def produce(count: int, pace: float) -> AsyncIterator[Tick]:
    for _ in range(count):
        if pace:
            await anyio.sleep(pace)
        yield Tick()


@dataclass
class Run:
    latencies: list[float]  # seconds
    seconds: float  # from the first append to the last subscriber's end
    round_trips: int


async def follow(relay: Relay, channel: str, latencies: list[float]) -> None:
    async for entry in relay.subscribe(channel):
        latencies.append(time.perf_counter() - float(entry.data))  # noqa: PERF401 - at receipt


async def run(
    producer: Backend, subscriber: Backend, subscribers: int, events: int, pace: float
) -> Run:
    """One channel: ``subscribers`` subscribers follow it, then its producer starts."""
    channel = f"bench-{time.perf_counter_ns()}"
    publisher, reader = Relay(producer), Relay(subscriber)
    latencies: list[float] = []
    claimed, go = anyio.Event(), anyio.Event()
    started, before = 0.0, 0

    async def source() -> AsyncIterator[Tick]:
        claimed.set()  # called once the channel is claimed: subscribers may join
        await go.wait()
        async for tick in produce(events, pace):
            yield tick

    async def publish() -> None:
        outcome = await publisher.publish(channel, source, select=ticks)
        assert outcome is not None, "a new channel"
        assert outcome.status == "completed", outcome

    async with anyio.create_task_group() as group:
        group.start_soon(publish)
        await claimed.wait()
        for _ in range(subscribers):
            group.start_soon(follow, reader, channel, latencies)
        await anyio.sleep(0.5)  # every subscriber is waiting for the first entry
        before = _round_trips(producer) + _round_trips(subscriber)
        started = time.perf_counter()
        go.set()
    seconds = time.perf_counter() - started
    trips = _round_trips(producer) + _round_trips(subscriber) - before
    return Run(latencies, seconds, trips)


def _round_trips(backend: Backend) -> int:
    return backend.round_trips if isinstance(backend, RedisBackend) else 0


async def memory_per_subscriber(backend: Backend, subscribers: int) -> float:
    """Bytes each waiting subscription holds (traced Python allocations, 1,000 of them)."""
    channel = f"memory-{time.perf_counter_ns()}"
    relay = Relay(backend)
    assert await backend.claim(channel, 60.0)
    await backend.append(channel, [("start", repr(time.perf_counter()))])
    got: list[float] = []
    before = during = 0
    tracemalloc.start()
    try:
        async with anyio.create_task_group() as group:
            before = tracemalloc.get_traced_memory()[0]
            for _ in range(subscribers):
                group.start_soon(follow, relay, channel, got)
            await anyio.sleep(0.5)
            during = tracemalloc.get_traced_memory()[0]
            await backend.append(channel, [("relay.end", '{"status": "completed"}')])
    finally:
        tracemalloc.stop()
    return (during - before) / subscribers


@contextlib.contextmanager
def redis_server() -> Generator[str | None]:
    """A ``redis-server`` on a free port of 127.0.0.1 (its URL), or None when there is none."""
    binary = shutil.which("redis-server")
    if binary is None:
        yield None
        return
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    with tempfile.TemporaryDirectory() as folder:
        args = [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", ""]
        server = subprocess.Popen(  # noqa: S603 - the system's redis-server, our arguments
            [*args, "--appendonly", "no", "--dir", folder],
            stdout=subprocess.DEVNULL,
        )
        try:
            deadline = time.monotonic() + 10
            while True:
                try:
                    socket.create_connection(("127.0.0.1", port), timeout=1).close()
                    break
                except OSError:
                    if time.monotonic() > deadline:
                        raise
                    time.sleep(0.05)
            yield f"redis://127.0.0.1:{port}/0"
        finally:
            server.terminate()
            server.wait()


def ms(seconds: float) -> str:
    return f"{seconds * 1000:.1f} ms"


async def measure(
    name: str, make: type[MemoryBackend] | str, loop: str, args: argparse.Namespace
) -> dict[str, float]:
    async def backends() -> tuple[Backend, Backend]:
        if isinstance(make, str):
            return RedisBackend(make), RedisBackend(make)
        shared = make()
        return shared, shared

    producer, subscriber = await backends()
    try:
        paced = await run(producer, subscriber, args.subscribers, args.events, PACE)
        flat = await run(producer, subscriber, args.subscribers, args.events, 0.0)
        memory = await memory_per_subscriber(subscriber, args.subscribers)
    finally:
        await producer.aclose()
        if subscriber is not producer:
            await subscriber.aclose()
    latencies = sorted(paced.latencies)
    expected = args.subscribers * args.events
    assert len(latencies) == expected, f"{len(latencies)} deliveries, not {expected}"
    p50 = statistics.median(latencies)
    p99 = latencies[int(len(latencies) * 0.99)]
    figures = {
        "p50": p50,
        "p99": p99,
        "max": latencies[-1],
        "events/s": args.events / flat.seconds,
        "delivered/s": args.events * args.subscribers / flat.seconds,
        "bytes/subscriber": memory,
        "round trips/event": paced.round_trips / args.events,
        "round trips/event, flat out": flat.round_trips / args.events,
    }
    print(
        f"{name:6} {loop:7} p50 {ms(p50):>9}  p99 {ms(p99):>9}  max {ms(latencies[-1]):>9}  "
        f"{figures['events/s']:>9,.0f} events/s  {figures['delivered/s']:>11,.0f} delivered/s  "
        f"{memory / 1024:5.1f} KiB/subscriber"
        + (
            f"  {figures['round trips/event']:.2f} round trips/event paced,"
            f" {figures['round trips/event, flat out']:.3f} flat out"
            if isinstance(make, str)
            else ""
        )
    )
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n", 1)[0])
    parser.add_argument("--subscribers", type=int, default=1000)
    parser.add_argument("--events", type=int, default=400)
    args = parser.parse_args()
    print(
        f"1 producer, {args.subscribers:,} subscribers, {args.events:,} events"
        f" (paced: one every {PACE * 1000:g} ms)"
    )
    figures = Results(
        "relay",
        f"Relay: delivery p99, 1 producer, {args.subscribers:,} subscribers",
        "ms",
        baseline="memory",
        higher_is_better=False,
    )
    with redis_server() as url:
        for loop in BACKENDS:
            for name, make in (("memory", MemoryBackend), ("redis", url)):
                if make is None:
                    print(f"redis  {loop:7} skipped: no redis-server on the PATH")
                    continue
                result = anyio.run(measure, name, make, loop, args, backend=loop)
                figures.add(f"p99, {loop}", name, result["p99"] * 1000)
    figures.save()


if __name__ == "__main__":
    main()
