"""Partial JSON: reading a structured output's value after every delta, as it streams.

A deterministic document shaped like a model's structured output (an object with arrays of
objects holding strings and numbers) is cut into equal deltas; after each delta the partial
value is read:

* rillet: ``PartialJSON.feed(delta)`` then ``.value``.
* jiter (what the openai package and other peers do): ``from_json`` of the accumulated text,
  encoded, with ``partial_mode="trailing-strings"``: the whole document so far, every time.

The µs per delta in each tenth of the document show whether the cost stays flat as it grows.

Run: ``python benchmarks/bench_partial_json.py`` (or ``nox -s bench``).
"""

from __future__ import annotations

import gc
import json
import platform
import random
import time
from collections.abc import Callable
from importlib import metadata

import jiter

from _results import Results
from rillet import PartialJSON

N_DELTAS = 10_000
TENTHS = 10
REPEATS = 5

_WORDS = (
    *("the", "model", "streams", "a", "structured", "answer", "with", "cafés", "—"),
    *("“quoted”", "words", "🙂", "and", "日本語"),
)


def document(size: int, *, seed: int = 0) -> str:
    """A JSON object of about ``size`` characters: records with text, numbers and tags."""
    rng = random.Random(seed)
    records: list[dict[str, object]] = []
    result = {"title": "Quarterly findings", "records": records, "done": True}
    written = 0
    while written < size:
        record: dict[str, object] = {
            "id": len(records),
            "name": " ".join(rng.choices(_WORDS, k=rng.randint(2, 6))),
            "summary": " ".join(rng.choices(_WORDS, k=rng.randint(10, 40))) + '\n"ok"',
            "score": round(rng.uniform(-1000, 1000), rng.randint(0, 6)),
            "count": rng.randint(0, 10**6),
            "ratio": rng.random() * 10 ** rng.randint(-8, 8),
            "tags": rng.sample(_WORDS, k=rng.randint(0, 4)),
            "flag": rng.choice([True, False, None]),
        }
        records.append(record)
        written += len(json.dumps(record, ensure_ascii=False, indent=1)) + 28  # nested: indented
    return json.dumps(result, ensure_ascii=False, indent=1)


def long_string(size: int, *, seed: int = 0) -> str:
    """The worst case for reading after every delta: one string filling the document."""
    rng = random.Random(seed)
    words: list[str] = []
    while sum(map(len, words)) + len(words) < size:
        words.append(rng.choice(_WORDS))
    return json.dumps({"answer": " ".join(words)}, ensure_ascii=False)


def deltas(text: str, n: int) -> list[str]:
    step = len(text) / n
    return [text[round(i * step) : round((i + 1) * step)] for i in range(n)]


def run_rillet(pieces: list[str], times: list[float], _every: int) -> object:
    parser = PartialJSON()
    clock = time.perf_counter
    value: object = None
    for i, piece in enumerate(pieces):
        start = clock()
        parser.feed(piece)
        value = parser.value
        times[i] = clock() - start
    assert value is parser.value
    return parser.close()


def run_jiter(pieces: list[str], times: list[float], every: int) -> object:
    # Joining the text is not timed (a peer would keep it anyway); parsing is, every ``every``
    # deltas (on a 1 MB document every delta would take minutes).
    text = ""
    clock = time.perf_counter
    for i, piece in enumerate(pieces):
        text += piece
        if i % every == 0:
            start = clock()
            jiter.from_json(text.encode(), partial_mode="trailing-strings")
            times[i] = clock() - start
    return jiter.from_json(text.encode())


PARSERS: dict[str, Callable[[list[str], list[float], int], object]] = {
    "rillet": run_rillet,
    "jiter": run_jiter,
}


NAN = float("nan")


def measure(text: str, repeats: int, jiter_every: int) -> dict[str, list[float]]:
    """Per-delta seconds of each parser: the best of ``repeats`` runs, delta by delta (NaN
    where a delta's read was not timed)."""
    pieces = deltas(text, N_DELTAS)
    expected = json.loads(text)
    best: dict[str, list[float]] = {}
    for name, run in PARSERS.items():
        every = jiter_every if name == "jiter" else 1
        for _ in range(repeats if every == 1 else 1):
            times = [NAN] * N_DELTAS
            gc.disable()
            try:
                value = run(pieces, times, every)
            finally:
                gc.enable()
            if value != expected:
                msg = f"{name} did not read the document"
                raise SystemExit(msg)
            best[name] = [min(a, b) for a, b in zip(best.get(name, times), times, strict=True)]
    return best


def mean_us(times: list[float]) -> float:
    timed = [t for t in times if t == t]  # noqa: PLR0124 - NaN: not timed
    return sum(timed) / len(timed) * 1e6


def report(label: str, text: str, measured: dict[str, list[float]], figures: Results) -> None:
    size = len(text)
    print(f"{label}: {size:,} characters in {N_DELTAS:,} deltas of ~{size // N_DELTAS} chars")
    print(f"| {'tenth':<6} | " + " | ".join(f"{n:>10} µs" for n in PARSERS) + " | speed-up |")
    print("|-------:|" + "--------------:|" * len(PARSERS) + "---------:|")
    per_tenth = N_DELTAS // TENTHS
    for tenth in range(TENTHS):
        part = slice(tenth * per_tenth, (tenth + 1) * per_tenth)
        us = {n: mean_us(t[part]) for n, t in measured.items()}
        print(
            f"| {tenth + 1:>6} | "
            + " | ".join(f"{us[n]:13.2f}" for n in PARSERS)
            + f" | {us['jiter'] / us['rillet']:7.1f}x |"
        )
        for name, value in us.items():
            figures.add(f"{label}, tenth {tenth + 1}", name, value)
    # Totals over every delta (for a sampled parser: its mean times the deltas).
    totals = {n: mean_us(t) * N_DELTAS / 1e6 for n, t in measured.items()}
    last = {n: mean_us(t[-per_tenth:]) for n, t in measured.items()}
    print(
        "total: "
        + ", ".join(f"{n} {s * 1e3:.1f} ms" for n, s in totals.items())
        + f"; speed-up {totals['jiter'] / totals['rillet']:.1f}x overall, "
        f"{last['jiter'] / last['rillet']:.1f}x in the last tenth"
    )
    for name, seconds in totals.items():
        figures.add(f"{label}, mean", name, seconds / N_DELTAS * 1e6)
    print()


def main() -> None:
    jiter_version = metadata.version("jiter")
    print(f"Python {platform.python_version()} on {platform.machine()}, jiter {jiter_version}")
    print(f"reading the partial value after every delta; rillet best of {REPEATS}, GC off")
    print()
    figures = Results(
        "partial_json",
        "Partial JSON: µs per delta, reading the value after each",
        "µs/delta",
        baseline="rillet",
        higher_is_better=False,
    )
    cases = [
        ("100 KB", document(100_000), 1),
        ("100 KB, one string", long_string(100_000), 1),
        ("1 MB (jiter timed every 50th delta)", document(1_000_000), 50),
    ]
    for label, text, jiter_every in cases:
        report(label, text, measure(text, REPEATS, jiter_every), figures)
    figures.save()


if __name__ == "__main__":
    main()
