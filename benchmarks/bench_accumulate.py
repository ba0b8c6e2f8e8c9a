"""Accumulation: events in, whole Response out, against the openai package's stream helper.

Both sides get events already parsed (each by its own library), so only accumulation is timed:

* rillet: ``ResponseAccumulator.add`` per event; and "handler-style", reading ``snapshot``
  after every event, as a handler that looks at the response so far would.
* openai 3.54: ``ResponseStreamState.handle_event``, the state behind ``responses.stream()``
  (it also builds a text snapshot for every delta, as its helper events carry one).

Run at 25k, 50k and 100k deltas: constant µs/event means linear total time.
Run: ``python benchmarks/bench_accumulate.py`` (or ``nox -s bench``).
"""

from __future__ import annotations

import functools
import json
import platform
from collections.abc import Callable

import openai
from openai._models import construct_type
from openai.lib.streaming.responses._responses import ResponseStreamState
from openai.types.responses import ResponseStreamEvent

from _results import Results
from _workload import best_of, responses_stream
from rillet import ResponseAccumulator
from rillet.events import Event, parse_event
from rillet.sse import SSEDecoder

REPEATS = 3


def rillet_events(body: bytes) -> list[Event]:
    return [parse_event(sse) for sse in SSEDecoder().feed(body)]


def openai_events(body: bytes) -> list[object]:
    return [
        construct_type(type_=ResponseStreamEvent, value=json.loads(sse.raw_data))
        for sse in SSEDecoder().feed(body)
    ]


def run_rillet(events: list[Event]) -> int:
    accumulator = ResponseAccumulator()
    for event in events:
        accumulator.add(event)
    return len(accumulator.result().output_text)


def run_rillet_reading(events: list[Event]) -> int:
    accumulator = ResponseAccumulator()
    for event in events:
        accumulator.add(event)
        accumulator.snapshot  # noqa: B018 - what a handler reading the response so far does
    return len(accumulator.result().output_text)


def run_openai(events: list[object]) -> int:
    state: ResponseStreamState[object] = ResponseStreamState(
        input_tools=openai.omit, text_format=openai.omit
    )
    for event in events:
        state.handle_event(event)  # type: ignore[arg-type]  # pyright: ignore[reportArgumentType]
    return 0


def main() -> None:
    print(f"Python {platform.python_version()}, openai {openai.__version__}", end="")
    print(f"; best of {REPEATS}, GC off")
    print()
    print("| deltas | rillet µs/event | rillet, reading the snapshot every event ", end="")
    print("| openai helper | rillet vs openai |")
    print("|---:|---:|---:|---:|---:|")
    figures = Results("accumulate", "Accumulating the response", "events/s", baseline="rillet")
    libraries = ("rillet", "rillet, reading the snapshot after every event", "openai helper")
    for n in (25_000, 50_000, 100_000):
        body = responses_stream(n)
        ours, theirs = rillet_events(body), openai_events(body)
        runs: list[tuple[Callable[[], int], int]] = [
            (functools.partial(run_rillet, ours), len(ours)),
            (functools.partial(run_rillet_reading, ours), len(ours)),
            (functools.partial(run_openai, theirs), len(theirs)),
        ]
        per_event = [best_of(REPEATS, run)[0] / count * 1e6 for run, count in runs]
        for library, us in zip(libraries, per_event, strict=True):
            figures.add(f"{n:,} text deltas", library, 1e6 / us)
        print(
            f"| {n:,} | {per_event[0]:.2f} | {per_event[1]:.2f} | {per_event[2]:.2f} "
            f"| {per_event[2] / per_event[0]:.0f}x |"
        )
    figures.save()


if __name__ == "__main__":
    main()
