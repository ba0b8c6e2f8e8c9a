"""The blocking client against the async client, per event, on the same bytes.

Each client gets an httpx mock transport serving the same 100,008-event stream as 16 KiB
chunks (a sync byte iterator for ``rillet.Client``, an async one for ``rillet.AsyncClient``).
Target: the blocking client no more than 1.5x slower per event.
Run: ``python benchmarks/bench_sync.py`` (or ``nox -s bench``).
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable, Iterator

import anyio
import httpx

from _results import Results
from _workload import chunked, responses_stream
from bench_client import rillet_client, rillet_final, rillet_iterate
from rillet import AsyncClient, Client

N_DELTAS = 100_000
REPEATS = 3
SSE = {"content-type": "text/event-stream"}


def sync_client(chunks: list[bytes]) -> Client:
    def body() -> Iterator[bytes]:
        yield from chunks

    def handler(_: httpx.Request) -> httpx.Response:
        return httpx.Response(200, headers=SSE, content=body())

    http = httpx.Client(transport=httpx.MockTransport(handler))
    return Client(api_key="sk-bench", base_url="http://bench/v1", http_client=http)


def sync_iterate(client: Client) -> int:
    with client.responses.create(model="m", input="hi", stream=True) as stream:
        return sum(1 for _ in stream)


def sync_final(client: Client) -> int:
    with client.responses.create(model="m", input="hi", stream=True) as stream:
        return len(stream.get_final_response().output_text)


def best_sync(run: Callable[[Client], object], client: Client) -> float:
    times = []
    for _ in range(REPEATS):
        start = time.perf_counter()
        run(client)
        times.append(time.perf_counter() - start)
    return min(times)


async def best_async(run: Callable[[AsyncClient], Awaitable[object]], chunks: list[bytes]) -> float:
    client = rillet_client(chunks)
    times = []
    for _ in range(REPEATS):
        start = time.perf_counter()
        await run(client)
        times.append(time.perf_counter() - start)
    await client.aclose()
    return min(times)


def main() -> None:
    body = responses_stream(N_DELTAS)
    events = body.count(b"\n\n")
    chunks = chunked(body, 16 * 1024)
    client = sync_client(chunks)
    print(f"{events} events, 16 KiB chunks, best of {REPEATS}")
    print()
    figures = Results("sync", "Blocking and async clients", "events/s", baseline="AsyncClient")
    print("| run | async µs/event | blocking µs/event | blocking vs async |")
    print("|---|---:|---:|---:|")
    for name, mine, theirs in [
        ("iterate", sync_iterate, rillet_iterate),
        ("final response", sync_final, rillet_final),
    ]:
        blocking = best_sync(mine, client)
        asynchronous = anyio.run(best_async, theirs, chunks)
        print(
            f"| {name} | {asynchronous / events * 1e6:.2f} | {blocking / events * 1e6:.2f} "
            f"| {blocking / asynchronous:.2f}x |"
        )
        figures.add(name, "AsyncClient", events / asynchronous)
        figures.add(name, "Client (blocking)", events / blocking)
    client.close()
    figures.save()


if __name__ == "__main__":
    main()
