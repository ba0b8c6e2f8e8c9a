"""Typed events per second: bytes -> decoded SSE -> JSON -> typed event, same chunks for each.

* rillet: ``SSEDecoder.feed`` + ``rillet.events.parse_event``: with ``rillet[speedups]``
  (msgspec decoding the commonest events straight into their class, orjson the others), with
  orjson alone, and with the standard library's json.
* openai 3.54: what its ``Stream`` does per event: ``SSEDecoder.iter_bytes``, the ``[DONE]``
  check, ``sse.json()``, the ``error`` check and ``construct_type(ResponseStreamEvent, data)``.

Also measured: what keeping every event costs when each keeps its raw payload bytes (rillet's
choice) against keeping a parsed dict instead (garbage collector on, as in real use).

Run: ``python benchmarks/bench_events.py`` (or ``nox -s bench``).
"""

from __future__ import annotations

import gc
import json
import platform
import time
import tracemalloc
from collections.abc import Callable, Generator
from contextlib import contextmanager

import openai
from openai._models import construct_type
from openai._streaming import SSEDecoder as OpenAIDecoder
from openai._utils import is_mapping
from openai.types.responses import ResponseStreamEvent

from _results import Results
from _workload import Result, best_of, chunked, responses_stream
from rillet.events import RESPONSE_EVENT_TYPES, Event, _parse, parse_event
from rillet.sse import SSEDecoder

N_DELTAS = 100_000
REPEATS = 3


def run_rillet(chunks: list[bytes]) -> int:
    decoder = SSEDecoder()
    count = 0
    for chunk in chunks:
        for sse in decoder.feed(chunk):
            parse_event(sse)
            count += 1
    return count


@contextmanager
def without_msgspec() -> Generator[None, None, None]:
    """Events built in Python, as without msgspec installed."""
    saved = dict(_parse._directs)  # noqa: SLF001 - the parser's own table
    _parse._directs.update(dict.fromkeys(RESPONSE_EVENT_TYPES, False))  # noqa: SLF001
    try:
        yield
    finally:
        _parse._directs.clear()  # noqa: SLF001
        _parse._directs.update(saved)  # noqa: SLF001


def run_rillet_orjson(chunks: list[bytes]) -> int:
    # `pip install rillet orjson`: orjson, events built in Python.
    with without_msgspec():
        return run_rillet(chunks)


def run_rillet_stdlib_json(chunks: list[bytes]) -> int:
    # What a plain `pip install rillet` (no speedups) runs.
    fast = _parse.loads  # type: ignore[attr-defined]
    _parse.loads = lambda data: json.loads(data.decode())  # type: ignore[attr-defined]
    try:
        with without_msgspec():
            return run_rillet(chunks)
    finally:
        _parse.loads = fast  # type: ignore[attr-defined]


def run_openai(chunks: list[bytes]) -> int:
    count = 0
    for sse in OpenAIDecoder().iter_bytes(iter(chunks)):
        if sse.data.startswith("[DONE]"):
            break
        data = sse.json()
        if is_mapping(data) and data.get("error"):
            raise RuntimeError(data)
        construct_type(type_=ResponseStreamEvent, value=data)
        count += 1
    return count


def retention(keep: Callable[[Event], Event], chunks: list[bytes]) -> tuple[float, int]:
    """Seconds to decode and keep every event with the GC on, and the peak memory."""
    gc.collect()
    tracemalloc.start()
    start = time.perf_counter()
    kept = [keep(e) for chunk in _sse_events(chunks) for e in chunk]
    seconds = time.perf_counter() - start
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    del kept
    return seconds, peak


def _sse_events(chunks: list[bytes]) -> list[list[Event]]:
    decoder = SSEDecoder()
    return [[parse_event(sse) for sse in decoder.feed(chunk)] for chunk in chunks]


def _with_dict_source(event: Event) -> Event:
    object.__setattr__(event, "_source", event.to_dict())
    return event


def main() -> None:
    print(f"Python {platform.python_version()}, openai {openai.__version__}")
    body = responses_stream(N_DELTAS)
    chunks = chunked(body, 16 * 1024)
    n = body.count(b"\n\n")
    print(f"stream: {n} events in 16 KiB chunks; best of {REPEATS}, GC off")
    print()
    results = []
    for name, run in [
        ("rillet[speedups] (msgspec, orjson)", run_rillet),
        ("rillet (orjson)", run_rillet_orjson),
        ("rillet (stdlib json)", run_rillet_stdlib_json),
        ("openai", run_openai),
    ]:
        seconds, events = best_of(REPEATS, lambda run=run: run(chunks))  # type: ignore[misc]
        results.append(Result(name, seconds, events, len(body)))
    figures = Results(
        "events", "Bytes to typed events", "events/s", baseline="rillet[speedups] (msgspec, orjson)"
    )
    for r in results:
        figures.add(f"{n:,} events, 16 KiB chunks", r.name, r.events / r.seconds)
    figures.save()
    openai_result = results[-1]
    print("| decode + parse + structure | µs/event | events/s | vs openai |")
    print("|---|---:|---:|---:|")
    for r in results:
        ratio = openai_result.seconds / r.seconds
        print(f"| {r.name} | {r.us_per_event:.2f} | {r.events / r.seconds:,.0f} | {ratio:.1f}x |")
    print()
    print("| keeping every event (GC on) | seconds | peak MB |")
    print("|---|---:|---:|")
    for name, keep in [
        ("raw payload bytes (rillet)", lambda e: e),
        ("parsed dict", _with_dict_source),
    ]:
        seconds, peak = retention(keep, chunks)
        print(f"| {name} | {seconds:.2f} | {peak / 1e6:.0f} |")


if __name__ == "__main__":
    main()
