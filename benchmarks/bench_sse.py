"""Decoder throughput: rillet's SSEDecoder against httpx-sse and the openai package, same bytes.

Each decoder gets the same list of chunks and turns bytes into events:

* rillet: ``SSEDecoder.feed`` per chunk.
* httpx-sse 0.4.3: its whole bytes -> events path, as ``aiter_sse`` runs it: an incremental UTF-8
  decode (what httpx's ``iter_text`` does), its ``SSELineDecoder`` and its ``SSEDecoder``.
* openai 3.54: ``openai._streaming.SSEDecoder.iter_bytes``.

Run: ``python benchmarks/bench_sse.py`` (or ``nox -s bench``).
"""

from __future__ import annotations

import codecs
import platform

import httpx_sse._decoders as httpx_sse_decoders
import openai
from openai._streaming import SSEDecoder as OpenAIDecoder

from _results import Results
from _workload import Result, best_of, big_event, chunked, responses_stream
from rillet.sse import SSEDecoder

N_DELTAS = 100_000
REPEATS = 5


def run_rillet(chunks: list[bytes]) -> int:
    decoder = SSEDecoder(max_event_size=64 * 1024 * 1024)
    count = 0
    for chunk in chunks:
        count += len(decoder.feed(chunk))
    return count + len(decoder.close())


def run_httpx_sse(chunks: list[bytes]) -> int:
    text_decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
    line_decoder = httpx_sse_decoders.SSELineDecoder()
    decoder = httpx_sse_decoders.SSEDecoder()
    count = 0
    for chunk in chunks:
        for line in line_decoder.decode(text_decoder.decode(chunk)):
            if decoder.decode(line.rstrip("\n")) is not None:
                count += 1
    for line in line_decoder.decode(text_decoder.decode(b"", final=True)) + line_decoder.flush():
        if decoder.decode(line.rstrip("\n")) is not None:
            count += 1
    return count


def run_openai(chunks: list[bytes]) -> int:
    return sum(1 for _ in OpenAIDecoder().iter_bytes(iter(chunks)))


DECODERS = {"rillet": run_rillet, "httpx-sse": run_httpx_sse, "openai": run_openai}


def measure(label: str, body: bytes, chunk_size: int) -> list[Result]:
    chunks = chunked(body, chunk_size)
    results = []
    for name, run in DECODERS.items():
        seconds, events = best_of(REPEATS, lambda run=run: run(chunks))  # type: ignore[misc]
        results.append(Result(f"{label}: {name}", seconds, events, len(body)))
    counts = {r.events for r in results}
    if len(counts) != 1:
        msg = f"decoders disagree on the event count for {label}: {results}"
        raise SystemExit(msg)
    return results


def report(results: list[Result]) -> None:
    rillet = results[0]
    print(f"| {'case':<48} | µs/event | MB/s | rillet speed-up |")
    print(f"|{'-' * 50}|---------:|-----:|----------------:|")
    for r in results:
        ratio = r.seconds / rillet.seconds
        print(f"| {r.name:<48} | {r.us_per_event:8.3f} | {r.mb_per_s:6.1f} | {ratio:14.2f}x |")


def main() -> None:
    print(
        f"Python {platform.python_version()} on {platform.machine()}, openai {openai.__version__}"
    )
    body = responses_stream(N_DELTAS)
    n = body.count(b"\n\n")
    shape = f"{len(body) / 1e6:.1f} MB, {len(body) / n:.0f} B/event"
    print(f"stream: {n} events, {shape}; best of {REPEATS}, GC off")
    print()
    figures = Results("sse", "SSE decoding, bytes to events", "MB/s", baseline="rillet")
    cases = [(f"{n:,} events, {size:,} B chunks", body, size) for size in (16 * 1024, 1400)]
    cases += [
        (f"one {mib} MiB event, 1,400 B chunks", big_event(mib << 20), 1400) for mib in (4, 8)
    ]
    for label, data, size in cases:
        measured = measure(label, data, size)
        report(measured)
        print()
        for name, result in zip(DECODERS, measured, strict=True):
            figures.add(label, name, result.mb_per_s)
    figures.save()


if __name__ == "__main__":
    main()
