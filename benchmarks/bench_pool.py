"""The async client's pool: one httpx pool against 16 shards, for streams in turn and at once.

Against ``load_server.py`` in its own process, over loopback; each run in a process of its own,
with rillet's ``AsyncClient`` on an ``httpx.AsyncClient`` built as the default one is, on:

- **one pool**: a single ``PoolTransport`` (1,000 connections, 100 kept alive);
- **16 shards, in turn**: ``ShardedTransport`` choosing its shards round-robin (rillet's default
  until the shards learned to prefer an idle connection);
- **16 shards**: ``ShardedTransport`` as it is: the first shard with an idle connection, else the
  least busy.

Cases: streams one after another (events/s, and how many connections were opened); streams one
after another with a pause between them (``--pause``; httpx keeps an idle connection alive 5 s);
and ``--streams`` streams at once (events/s), as ``load_concurrent.py`` runs them. Unpaused
cases: the best of ``--repeat`` runs, each pool's runs interleaved with the others'. The
client's CPU time per event is printed too: on a shared machine it varies less than the rate.

    python benchmarks/bench_pool.py [--sequential 300] [--paused 30] [--pause 0.4]
                                    [--streams 200 1000] [--repeat 3] [--deltas 200]
"""

from __future__ import annotations

import argparse
import itertools
import json
import subprocess
import sys
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import anyio
import httpx

from _results import Results
from rillet import AsyncClient, Timeouts
from rillet._pool import PoolTransport, ShardedTransport
from rillet._transport import httpx_timeout

HERE = Path(__file__).parent
TIMEOUTS = Timeouts(connect=60, read=60, write=60, pool=60, first_event=60)


class InTurn(ShardedTransport):
    """The shards taken round-robin, whatever connections they have."""

    def __init__(self) -> None:
        super().__init__()
        self._turn = itertools.cycle(range(len(self._shards)))

    def _choose(self) -> int:
        return next(self._turn)


POOLS: dict[str, Callable[[], httpx.AsyncBaseTransport]] = {
    "one pool": lambda: PoolTransport(
        limits=httpx.Limits(max_connections=1000, max_keepalive_connections=100)
    ),
    "16 shards, in turn": InTurn,
    "16 shards": ShardedTransport,
}


def count_connections(transport: httpx.AsyncBaseTransport) -> Callable[[], int]:
    """Count the connections ``transport``'s pools open from now on."""
    shards = [transport]
    if isinstance(transport, ShardedTransport):
        shards = list(transport._shards)  # noqa: SLF001
    opened = 0
    for shard in shards:
        assert isinstance(shard, httpx.AsyncHTTPTransport)
        pool = shard._pool  # noqa: SLF001
        create = pool.create_connection

        def counting(origin: Any, create: Any = create) -> Any:  # noqa: ANN401
            nonlocal opened
            opened += 1
            return create(origin)

        pool.create_connection = counting  # type: ignore[method-assign]
    return lambda: opened


async def worker(url: str, pool: str, case: str, count: int, pause: float) -> dict[str, Any]:
    """Run ``count`` streams (``case``: in turn, ``pause`` seconds apart, or at once) on a
    client with ``pool``: events/s, seconds per stream, the client's CPU time per event,
    connections opened, streams run."""
    transport = POOLS[pool]()
    opened = count_connections(transport)
    events = 0

    async def one(client: AsyncClient) -> None:
        nonlocal events
        stream = await client.responses.create(model="m", input="hi", stream=True, cache=False)
        async with stream:
            async for _ in stream:
                events += 1

    async def run(client: AsyncClient) -> tuple[float, float]:
        """Seconds to run the case's streams, and the CPU seconds this process spent on them."""
        started, cpu = time.perf_counter(), time.process_time()
        if case == "concurrent":
            async with anyio.create_task_group() as group:
                for _ in range(count):
                    group.start_soon(one, client)
        else:
            for _ in range(count):
                await one(client)
                await anyio.sleep(pause)
        return time.perf_counter() - started, time.process_time() - cpu

    async with httpx.AsyncClient(transport=PoolTransport()) as http:  # warm up the imports
        await one(AsyncClient(api_key="sk-bench", base_url=f"{url}/v1", http_client=http))
    events = 0
    # Streams in turn: best of 3 (the first run opens the connections the others may reuse).
    runs = 3 if case == "sequential" and not pause else 1
    async with (
        httpx.AsyncClient(timeout=httpx_timeout(TIMEOUTS), transport=transport) as http,
        AsyncClient(api_key="sk-bench", base_url=f"{url}/v1", http_client=http) as client,
    ):
        seconds, cpu = min([await run(client) for _ in range(runs)])
    return {
        "events_per_second": events / runs / seconds,
        "seconds_per_stream": seconds / count,
        "cpu_us_per_event": cpu * 1e6 / (events / runs),
        "opened": opened(),
        "streams": runs * count,
    }


def run_worker(url: str, pool: str, case: str, count: int, pause: float = 0.0) -> dict[str, Any]:
    command = [sys.executable, __file__, "--worker", pool, case, str(count), str(pause), url]
    done = subprocess.run(command, capture_output=True, text=True, check=True)  # noqa: S603
    result: dict[str, Any] = json.loads(done.stdout)
    return result


def best(runs: Iterable[list[dict[str, Any]]]) -> dict[str, dict[str, Any]]:
    """Each pool's best figures (highest rate, least CPU), from rounds of one run per pool
    (interleaved, so that the machine's moods spread over all the pools)."""
    fastest: dict[str, dict[str, Any]] = {}
    for round_ in runs:
        for pool, result in zip(POOLS, round_, strict=True):
            if pool not in fastest:
                fastest[pool] = result
                continue
            kept = fastest[pool]
            kept["events_per_second"] = max(kept["events_per_second"], result["events_per_second"])
            kept["seconds_per_stream"] = min(
                kept["seconds_per_stream"], result["seconds_per_stream"]
            )
            kept["cpu_us_per_event"] = min(kept["cpu_us_per_event"], result["cpu_us_per_event"])
    return fastest


def main() -> None:
    parser = argparse.ArgumentParser(description=str(__doc__).splitlines()[0])
    parser.add_argument("--sequential", type=int, default=300)
    parser.add_argument("--paused", type=int, default=30)
    parser.add_argument("--pause", type=float, default=0.4)
    parser.add_argument("--streams", type=int, nargs="+", default=[200, 1000])
    parser.add_argument("--deltas", type=int, default=200)
    parser.add_argument("--repeat", type=int, default=3, help="runs of each unpaused case")
    parser.add_argument("--worker", nargs=5, metavar=("POOL", "CASE", "COUNT", "PAUSE", "URL"))
    options = parser.parse_args()
    if options.worker:
        pool, case, count, pause, url = options.worker
        result = anyio.run(worker, url, pool, case, int(count), float(pause))
        print(json.dumps(result))
        return
    speed = Results("pool", "One pool against 16 shards", "events/s", baseline="one pool")
    cost = Results(
        "pool_cpu",
        "One pool against 16 shards, the client's CPU",
        "events per CPU second of the client",
        baseline="one pool",
    )
    cases = [
        (f"{options.sequential} streams in turn", "sequential", options.sequential, 0.0),
        (
            f"{options.paused} streams in turn, {options.pause:g} s apart",
            "sequential",
            options.paused,
            options.pause,
        ),
        *((f"{n:,} streams at once", "concurrent", n, 0.0) for n in options.streams),
    ]
    server = [sys.executable, str(HERE / "load_server.py"), "--deltas", str(options.deltas)]
    with subprocess.Popen(server, stdout=subprocess.PIPE, text=True) as process:  # noqa: S603
        try:
            assert process.stdout is not None
            url = process.stdout.readline().strip()
            print(f"streams of {options.deltas} text deltas, {url}")
            for label, case, count, pause in cases:
                print(f"{label}:")
                results = best(
                    [run_worker(url, pool, case, count, pause) for pool in POOLS]
                    for _ in range(1 if pause else options.repeat)
                )
                base = results["one pool"]
                for pool, result in results.items():
                    rate, cpu = result["events_per_second"], result["cpu_us_per_event"]
                    print(
                        f"  {pool:20} {rate:>7,.0f} events/s "
                        f"({rate / base['events_per_second']:.2f}x), "
                        f"{result['seconds_per_stream'] * 1000:6.2f} ms per stream, "
                        f"client CPU {cpu:5.1f} µs per event "
                        f"({cpu / base['cpu_us_per_event']:.2f}x), "
                        f"{result['opened']:>4} connections opened for {result['streams']} streams"
                    )
                    if not pause:
                        speed.add(label, pool, rate)
                        cost.add(label, pool, 1e6 / cpu)
        finally:
            process.terminate()
    speed.save()
    cost.save()


if __name__ == "__main__":
    main()
