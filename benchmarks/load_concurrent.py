"""Load: 1,000 concurrent streams, rillet against ``openai.AsyncOpenAI``, same server, same limits.

The server (``load_server.py``) runs in its own process and serves pre-rendered bytes, so what
is measured is the client. Each client runs in its own process (so that peak memory is its own)
with its default HTTP client (both: 1,000 connections, 100 kept alive), and calls a handler for
every text delta. Two runs per client: unpaced, for aggregate events per second and the time
from calling ``create()`` to the first event in the loop (p50, p99: all streams start at once);
paced (20 events/s per stream), for the delay from the server writing an event to the handler
running.

    python benchmarks/load_concurrent.py [--streams 1000 200] [--deltas 200]
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time
from collections.abc import Callable, Coroutine
from pathlib import Path
from typing import Any, TypeVar

import anyio

from _results import Results

HERE = Path(__file__).parent
C = TypeVar("C")


def raise_open_files_limit() -> None:
    _, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))


BASELINE_KIB = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # the interpreter, imports aside


def percentile_ms(values: list[float], fraction: float) -> float | None:
    values = sorted(values)
    return 1000 * values[int(len(values) * fraction)] if values else None


def summary(
    events: int, seconds: float, delays: list[float], firsts: list[float], streams: int
) -> dict[str, Any]:
    peak_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - BASELINE_KIB
    return {
        "events": events,
        "seconds": seconds,
        "events_per_second": events / seconds,
        "p50_ms": percentile_ms(delays, 0.5),
        "p99_ms": percentile_ms(delays, 0.99),
        "first_event_p50_ms": percentile_ms(firsts, 0.5),
        "first_event_p99_ms": percentile_ms(firsts, 0.99),
        "peak_rss_kib_per_stream": peak_kib / streams,
    }


async def all_at_once(
    one: Callable[[C], Coroutine[Any, Any, None]], client: C, streams: int
) -> float:
    """Seconds to run ``one(client)`` ``streams`` times concurrently."""
    started = time.perf_counter()
    async with anyio.create_task_group() as group:
        for _ in range(streams):
            group.start_soon(one, client)
    return time.perf_counter() - started


async def rillet_worker(url: str, streams: int, pace: float) -> dict[str, Any]:
    from rillet import AsyncClient, Router, Timeouts  # noqa: PLC0415
    from rillet.events import ResponseOutputTextDeltaEvent  # noqa: PLC0415

    delays: list[float] = []
    firsts: list[float] = []  # seconds from calling create() to the first event in the loop
    router = Router()

    @router.on("response.output_text.delta")
    def handler(event: ResponseOutputTextDeltaEvent) -> None:
        if pace:
            delays.append(time.time() - float(event.obfuscation or 0))

    events = 0

    async def one(client: AsyncClient) -> None:
        nonlocal events
        started = time.perf_counter()
        stream = await client.responses.create(
            model="m", input="hi", stream=True, cache=False, extra_headers={"x-pace": str(pace)}
        )
        first = None
        async with stream, stream.dispatching(router) as delivered:
            async for _ in delivered:
                if first is None:
                    first = time.perf_counter() - started
        firsts.append(first or 0.0)
        events += sum(stream.stats.events_by_type.values())

    timeouts = Timeouts(connect=60, read=60, write=60, pool=60, first_event=60)
    async with AsyncClient(api_key="sk-load", base_url=f"{url}/v1", timeout=timeouts) as client:
        seconds = await all_at_once(one, client, streams)
    return summary(events, seconds, delays, firsts, streams)


async def openai_worker(url: str, streams: int, pace: float) -> dict[str, Any]:
    import openai  # noqa: PLC0415

    delays: list[float] = []
    firsts: list[float] = []  # seconds from calling create() to the first event in the loop
    events = 0

    def handler(event: Any) -> None:  # noqa: ANN401
        if pace:
            delays.append(time.time() - float(event.obfuscation or 0))

    async def one(client: openai.AsyncOpenAI) -> None:
        nonlocal events
        started = time.perf_counter()
        stream = await client.responses.create(
            model="m", input="hi", stream=True, extra_headers={"x-pace": str(pace)}
        )
        first = None
        async for event in stream:
            if first is None:
                first = time.perf_counter() - started
            events += 1
            if event.type == "response.output_text.delta":
                handler(event)
        firsts.append(first or 0.0)

    # Its own HTTP client, as rillet's: the same limits (1,000 connections, 100 kept alive).
    async with openai.AsyncOpenAI(
        api_key="sk-load", base_url=f"{url}/v1", max_retries=0, timeout=60
    ) as client:
        seconds = await all_at_once(one, client, streams)
    return summary(events, seconds, delays, firsts, streams)


def run_worker(kind: str, url: str, streams: int, pace: float) -> dict[str, Any]:
    command = [sys.executable, __file__, "--worker", kind, "--url", url]
    command += ["--streams", str(streams), "--pace", str(pace)]
    done = subprocess.run(command, capture_output=True, text=True, check=True)  # noqa: S603
    result: dict[str, Any] = json.loads(done.stdout)
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=str(__doc__).splitlines()[0])
    parser.add_argument("--streams", type=int, nargs="+", default=[1000, 200])
    parser.add_argument("--deltas", type=int, default=200)
    parser.add_argument("--pace", type=float, default=20.0)
    parser.add_argument("--worker", choices=["rillet", "openai"])
    parser.add_argument("--url")
    options = parser.parse_args()
    raise_open_files_limit()
    if options.worker:
        worker = rillet_worker if options.worker == "rillet" else openai_worker
        result = anyio.run(worker, options.url, options.streams[0], options.pace)
        print(json.dumps(result))
        return
    figures = Results("load", "Concurrent streams, unpaced", "events/s", baseline="rillet")
    server = [sys.executable, str(HERE / "load_server.py"), "--deltas", str(options.deltas)]
    with subprocess.Popen(server, stdout=subprocess.PIPE, text=True) as process:  # noqa: S603
        try:
            assert process.stdout is not None
            url = process.stdout.readline().strip()
            for streams in options.streams:
                print(f"{streams} concurrent streams of {options.deltas} text deltas, {url}")
                results = {
                    (kind, pace): run_worker(kind, url, streams, pace)
                    for pace in (0.0, options.pace)
                    for kind in ("rillet", "openai")
                }
                report(results, options.pace)
                for kind in ("rillet", "openai"):
                    rate = results[kind, 0.0]["events_per_second"]
                    figures.add(f"{streams:,} streams", kind, rate)
        finally:
            process.terminate()
    figures.save()


def report(results: dict[tuple[str, float], dict[str, Any]], pace: float) -> None:
    rillet, openai = results["rillet", 0.0], results["openai", 0.0]
    ratio = rillet["events_per_second"] / openai["events_per_second"]
    print("unpaced:")
    for kind in ("rillet", "openai"):
        r = results[kind, 0.0]
        print(
            f"  {kind:7} {r['events_per_second']:>10,.0f} events/s  "
            f"({r['events']:,} events in {r['seconds']:.2f} s), "
            f"peak RSS {r['peak_rss_kib_per_stream']:.0f} KiB per stream, "
            f"first event p50 {r['first_event_p50_ms']:.0f} ms, "
            f"p99 {r['first_event_p99_ms']:.0f} ms"
        )
    print(f"  rillet / openai: {ratio:.2f}x events/s")
    print(f"paced ({pace:g} events/s per stream), server write -> handler:")
    for kind in ("rillet", "openai"):
        r = results[kind, pace]
        print(
            f"  {kind:7} p50 {r['p50_ms']:.1f} ms, p99 {r['p99_ms']:.1f} ms, "
            f"peak RSS {r['peak_rss_kib_per_stream']:.0f} KiB per stream"
        )


if __name__ == "__main__":
    main()
