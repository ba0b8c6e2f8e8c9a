"""Memory: one stream of 1,000,000 small events, with the replay cache, without it, and openai.

Each run is a process of its own that reads the whole stream with ``async for`` from an httpx
mock transport over a generator (the events of ``load_long_stream.py``, 200 a chunk: the body
is made as it is read, so the only memory that can grow is the client's). Runs:

- **rillet**: the default, the replay cache on (every event kept, to iterate again);
- **rillet, cache=False**: nothing kept but the response's snapshot (its text grows);
- **openai**: ``openai.AsyncOpenAI`` on httpx2's mock transport; it keeps nothing, the floor.

Each prints the CPU time it took per event (steadier than a rate on a shared machine), its
peak resident set size (``getrusage``), the baseline (the resident set after the imports, the
client and a first short stream, before the stream), the growth over it per event, and for
rillet's cache its own size (``sys.getsizeof`` of the store, exact) per event.

    python benchmarks/bench_memory.py [--events 1000000] [--src DIR] [--no-save]

``--src`` measures the rillet source in ``DIR`` (say, an export of an older commit's ``src``)
instead of the installed one, for a before/after; ``--no-save`` leaves the results file alone.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time
from typing import Any

import anyio

from _results import Results
from load_long_stream import SSE, body, rss_mib

RUNS = ("rillet", "rillet, cache=False", "openai")
FIRST_EVENTS = 3  # created, output item added, content part added: before the deltas
WARM_UP = 1000  # deltas read first, so that the baseline has every lazy import and cache


def peak_mib() -> float:
    """The process's peak resident set size so far (Linux reports KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def cache_bytes(entries: object) -> int:
    """What the replay cache holds: the store, or (rillet before the store) a list of entries.

    A list entry was a ``(type, payload)`` tuple (its type a shared string) or an event.
    """
    if not isinstance(entries, list):
        return sys.getsizeof(entries)
    size = sys.getsizeof(entries)
    for entry in entries:
        if type(entry) is tuple:
            size += sys.getsizeof(entry) + sys.getsizeof(entry[1])
    return size


async def read_rillet(deltas: int, *, cache: bool) -> dict[str, Any]:
    import httpx  # noqa: PLC0415 - each run imports only its own client

    import rillet  # noqa: PLC0415
    from rillet import AsyncClient  # noqa: PLC0415

    async def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, headers=SSE, content=body(int(request.headers["x-deltas"])))

    async def read(client: AsyncClient, deltas: int) -> tuple[int, int]:
        """The events of a stream of ``deltas`` deltas, and what its replay cache holds."""
        stream = await client.responses.create(
            model="m", input="hi", stream=True, cache=cache, extra_headers={"x-deltas": f"{deltas}"}
        )
        events = 0
        async with stream:
            async for _ in stream:
                events += 1
        return events, cache_bytes(stream._machine.log.entries)  # noqa: SLF001

    async with httpx.AsyncClient(transport=httpx.MockTransport(handler)) as http:
        client = AsyncClient(api_key="sk-bench", base_url="http://bench/v1", http_client=http)
        await read(client, WARM_UP)
        baseline = rss_mib()
        started = time.process_time()
        events, store = await read(client, deltas)
        seconds = time.process_time() - started
    where = os.path.dirname(os.path.dirname(rillet.__file__))  # noqa: PTH120
    return {
        "events": events,
        "baseline": baseline,
        "seconds": seconds,
        "store": store,
        "src": where,
    }


async def read_openai(deltas: int) -> dict[str, Any]:
    import httpx2  # noqa: PLC0415
    import openai  # noqa: PLC0415

    async def handler(request: httpx2.Request) -> httpx2.Response:
        return httpx2.Response(200, headers=SSE, content=body(int(request.headers["x-deltas"])))

    async def read(client: openai.AsyncOpenAI, deltas: int) -> int:
        headers = {"x-deltas": f"{deltas}"}
        stream = await client.responses.create(
            model="m", input="hi", stream=True, extra_headers=headers
        )
        events = 0
        async with stream:
            async for _ in stream:
                events += 1
        return events

    async with httpx2.AsyncClient(transport=httpx2.MockTransport(handler)) as http:
        client = openai.AsyncOpenAI(
            api_key="sk-bench", base_url="http://bench/v1", http_client=http
        )
        await read(client, WARM_UP)
        baseline = rss_mib()
        started = time.process_time()
        events = await read(client, deltas)
        seconds = time.process_time() - started
    return {"events": events, "baseline": baseline, "seconds": seconds, "store": 0}


def worker(run: str, deltas: int) -> None:
    """Read the stream once, in this process, and print the figures as JSON."""
    if run == "openai":
        figures = anyio.run(read_openai, deltas)
    else:
        figures = anyio.run(lambda: read_rillet(deltas, cache=run == "rillet"))
    figures |= {"peak": peak_mib(), "end": rss_mib()}
    print(json.dumps(figures))


def measure(run: str, deltas: int, src: str | None) -> dict[str, Any]:
    env = dict(os.environ)
    if src is not None:
        env["PYTHONPATH"] = os.pathsep.join([src, env.get("PYTHONPATH", "")])
    command = [sys.executable, __file__, "--worker", run, "--events", str(deltas)]
    done = subprocess.run(command, capture_output=True, text=True, check=True, env=env)  # noqa: S603
    figures: dict[str, Any] = json.loads(done.stdout)
    return figures


def main(deltas: int, src: str | None, *, save: bool) -> None:
    figures = {run: measure(run, deltas, src) for run in RUNS}
    events = figures["rillet"]["events"]
    assert all(f["events"] == events == deltas + FIRST_EVENTS for f in figures.values())
    floor = figures["openai"]["peak"]
    where = figures["rillet"]["src"]
    print(f"{events:,} events, each run in a process of its own; rillet from {where}")
    print()
    print(
        "| run | CPU µs/event | peak RSS (MiB) | vs openai | over the baseline (MiB) "
        "| RSS growth per event (B) | cache per event (B) |"
    )
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: |")
    results = Results(
        "memory",
        f"Memory, one stream of {events:,} events",
        "MiB",
        baseline="openai",
        higher_is_better=False,
    )
    for run, f in figures.items():
        over = max(f["peak"] - f["baseline"], 0.0)  # openai's is noise around 0
        cache = f"{f['store'] / events:.1f}" if run == "rillet" else "-"
        cpu = f["seconds"] * 1e6 / events
        print(
            f"| {run} | {cpu:.2f} | {f['peak']:.1f} | {f['peak'] / floor:.2f}x "
            f"| {over:.1f} | {over * 2**20 / events:.1f} | {cache} |"
        )
        results.add("peak RSS", run, f["peak"])
        results.add("peak RSS over the baseline", run, over)
    if save:
        results.save()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=str(__doc__).splitlines()[0])
    parser.add_argument("--events", type=int, default=1_000_000, help="text deltas")
    parser.add_argument("--src", help="the rillet source directory to measure")
    parser.add_argument("--no-save", action="store_true", help="do not write the results file")
    parser.add_argument("--worker", choices=RUNS, help=argparse.SUPPRESS)
    arguments = parser.parse_args()
    if arguments.worker:
        worker(arguments.worker, arguments.events)
    else:
        main(arguments.events, arguments.src, save=not arguments.no_save)
