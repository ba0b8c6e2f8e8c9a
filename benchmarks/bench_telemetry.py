"""What OpenTelemetry costs a stream: absent, installed but unconfigured, and configured.

The same Responses streams (an httpx mock transport, no network: what is measured is the
client's own work), side by side, in rounds that alternate the three cases:

- absent: OpenTelemetry not imported (what a stream sees when it is not installed: the check
  is whether ``opentelemetry.trace`` is in ``sys.modules``);
- unconfigured: imported, no provider set (the API's no-op default);
- configured: the client's own SDK tracer and meter providers, exporting to memory (a
  ``SimpleSpanProcessor``: each span is exported as it ends).

Two workloads: many short streams (the per-stream cost: a span, eight measurements) and one
long stream (the per-event cost, which should be none).
Run: ``python benchmarks/bench_telemetry.py``.
"""

from __future__ import annotations

import sys
import time
from collections.abc import AsyncIterator, Generator
from contextlib import contextmanager
from typing import Any

import anyio
import httpx
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import InMemoryMetricReader
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from _results import Results
from _workload import chunked, responses_stream
from rillet import AsyncClient

SSE = {"content-type": "text/event-stream"}
ROUNDS = 5
WORKLOADS = {
    "short streams (20 deltas) x 500": (20, 500),
    "one stream of 100,000 deltas": (100_000, 1),
}
OTEL_MODULES = ("opentelemetry.trace", "opentelemetry.metrics")


@contextmanager
def absent() -> Generator[None]:
    """OpenTelemetry as a stream sees it when it is not installed: not imported."""
    saved = {name: sys.modules.pop(name) for name in OTEL_MODULES}
    try:
        yield
    finally:
        sys.modules.update(saved)


def client(chunks: list[bytes], **options: Any) -> AsyncClient:  # noqa: ANN401
    async def handler(_: httpx.Request) -> httpx.Response:
        async def body() -> AsyncIterator[bytes]:
            for chunk in chunks:
                yield chunk

        return httpx.Response(200, headers=SSE, content=body())

    http = httpx.AsyncClient(transport=httpx.MockTransport(handler))
    return AsyncClient(api_key="sk-bench", base_url="http://bench/v1", http_client=http, **options)


async def streams(rillet: AsyncClient, count: int) -> float:
    """Seconds to read ``count`` streams to their final response."""
    start = time.perf_counter()
    for _ in range(count):
        async with await rillet.responses.create(model="m", input="hi", stream=True) as stream:
            await stream.final_response()
    return time.perf_counter() - start


async def own_work(chunks: list[bytes], **options: Any) -> float:  # noqa: ANN401
    """Microseconds of the telemetry's own work per stream: deciding, then recording its end."""
    rillet = client(chunks, **options)
    async with await rillet.responses.create(model="m", input="hi", stream=True) as stream:
        await stream.final_response()
    machine = stream._machine  # noqa: SLF001
    telemetry = rillet._telemetry  # noqa: SLF001
    url = httpx.URL("http://bench/v1/responses")
    repeats = 20_000
    start = time.perf_counter()
    for _ in range(repeats):
        recorder = telemetry.start("m", url, 0.0)
        if recorder is not None:
            recorder.ended(machine, 1.0)
    seconds = time.perf_counter() - start
    await rillet.aclose()
    return seconds / repeats * 1e6


async def measure(deltas: int, count: int) -> dict[str, float]:
    """The best time of each case over ``ROUNDS`` alternating rounds."""
    chunks = chunked(responses_stream(deltas), 16 * 1024)
    spans = InMemorySpanExporter()
    tracer_provider = TracerProvider()
    tracer_provider.add_span_processor(SimpleSpanProcessor(spans))
    meter_provider = MeterProvider([InMemoryMetricReader()])
    plain = client(chunks)
    configured = client(chunks, tracer_provider=tracer_provider, meter_provider=meter_provider)
    best: dict[str, float] = {}
    for _ in range(ROUNDS):
        with absent():
            times = {"absent": await streams(plain, count)}
        times["unconfigured"] = await streams(plain, count)
        times["configured"] = await streams(configured, count)
        spans.clear()
        for case, seconds in times.items():
            best[case] = min(best.get(case, seconds), seconds)
    await plain.aclose()
    await configured.aclose()
    return best


def main() -> None:
    figures = Results(
        "telemetry", "OpenTelemetry's cost per stream", "streams/s", baseline="absent"
    )
    print(f"best of {ROUNDS} alternating rounds, asyncio and trio; ratios to 'absent'")
    print()
    print("| workload | backend | absent | unconfigured | configured |")
    print("|---|---|---:|---:|---:|")
    for workload, (deltas, count) in WORKLOADS.items():
        for backend in ("asyncio", "trio"):
            best = anyio.run(measure, deltas, count, backend=backend)
            base = best["absent"]
            per = "µs/stream" if count > 1 else "ms"
            scale = 1e6 / count if count > 1 else 1e3
            cells = " | ".join(
                f"{best[case] * scale:.0f} {per} ({best[case] / base:.3f}x)"
                for case in ("absent", "unconfigured", "configured")
            )
            print(f"| {workload} | {backend} | {cells} |")
            for case, seconds in best.items():
                figures.add(f"{workload}, {backend}", case, count / seconds)
    chunks = chunked(responses_stream(20), 16 * 1024)
    metrics = MeterProvider([InMemoryMetricReader()])
    traces = TracerProvider()
    traces.add_span_processor(SimpleSpanProcessor(InMemorySpanExporter()))
    with absent():
        alone = anyio.run(own_work, chunks)
    unconfigured = anyio.run(own_work, chunks)
    configured = anyio.run(lambda: own_work(chunks, tracer_provider=traces, meter_provider=metrics))
    print()
    print("The telemetry's own work per stream (decide, then end the span and record):")
    print(
        f"absent {alone:.2f} µs, unconfigured {unconfigured:.2f} µs, configured {configured:.1f} µs"
    )
    figures.save()


if __name__ == "__main__":
    main()
