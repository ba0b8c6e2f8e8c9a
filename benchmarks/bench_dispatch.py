"""Dispatch overhead: handlers run by a Router against a bare ``async for`` doing the same work.

The same 100,008-event stream (16 KiB chunks from an httpx mock transport) is read three ways,
each calling the same function on every ``response.output_text.delta`` event:

* a bare ``async for`` loop with an ``if``;
* ``stream.dispatch(router)`` with the function as a sync handler;
* the same with an async handler (its own task, fed through a bounded buffer).

Targets: sync-handler dispatch within 1.3x of the bare loop, async-handler within 3x.
Run: ``python benchmarks/bench_dispatch.py`` (or ``nox -s bench``).
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from typing import Final

import anyio

from _results import Results
from _workload import chunked, responses_stream
from bench_client import rillet_client
from rillet import AsyncClient, Router
from rillet.events import Event, ResponseOutputTextDeltaEvent

N_DELTAS = 100_000
REPEATS = 3
DELTA: Final = "response.output_text.delta"


class Work:
    """The function every variant calls: it counts the text it is given."""

    def __init__(self) -> None:
        self.characters = 0

    def __call__(self, event: ResponseOutputTextDeltaEvent) -> None:
        self.characters += len(event.delta)


async def bare(client: AsyncClient, work: Work) -> None:
    async with await client.responses.create(model="m", input="hi", stream=True) as stream:
        async for event in stream:
            if type(event) is ResponseOutputTextDeltaEvent:
                work(event)


async def sync_handler(client: AsyncClient, work: Work) -> None:
    router = Router()
    router.on(DELTA)(work)
    async with await client.responses.create(model="m", input="hi", stream=True) as stream:
        await stream.dispatch(router)


async def async_handler(client: AsyncClient, work: Work) -> None:
    router = Router()

    @router.on(DELTA)
    async def handle(event: Event) -> None:
        work(event)  # type: ignore[arg-type]  # pyright: ignore[reportArgumentType]

    async with await client.responses.create(model="m", input="hi", stream=True) as stream:
        await stream.dispatch(router)


async def best(run: Callable[[AsyncClient, Work], Awaitable[None]], client: AsyncClient) -> float:
    times = []
    for _ in range(REPEATS):
        work = Work()
        start = time.perf_counter()
        await run(client, work)
        times.append(time.perf_counter() - start)
        assert work.characters > 0
    return min(times)


FIGURES = Results("dispatch", "Dispatching to handlers", "events/s", baseline="bare async for")


async def main(backend: str, events: int, chunks: list[bytes]) -> None:
    client = rillet_client(chunks)
    base = await best(bare, client)
    rows = [("bare async for", base)]
    rows.append(("dispatch, sync handler", await best(sync_handler, client)))
    rows.append(("dispatch, async handler", await best(async_handler, client)))
    for name, seconds in rows:
        print(f"| {backend} | {name} | {seconds / events * 1e6:.2f} | {seconds / base:.2f}x |")
        FIGURES.add(backend, name.removeprefix("dispatch, "), events / seconds)
    await client.aclose()


if __name__ == "__main__":
    body = responses_stream(N_DELTAS)
    events = body.count(b"\n\n")
    print(f"{events} events, 16 KiB chunks, best of {REPEATS}")
    print()
    print("| loop | run | µs/event | vs bare loop |")
    print("|---|---|---:|---:|")
    for backend in ("asyncio", "trio"):
        anyio.run(main, backend, events, chunked(body, 16 * 1024), backend=backend)
    FIGURES.save()
