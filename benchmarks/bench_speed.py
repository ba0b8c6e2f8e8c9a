"""The seeds' usage against the openai package: µs per event, side by side, on the same bytes.

What users write with a streaming client, timed per event with rillet and with the openai
package in the same process and run, on asyncio and trio and with the blocking clients:

* ``async for event in stream`` over a Responses stream (``responses_stream(20_000)``);
* the same, then ``await stream.final_response()`` (the seeds' pattern: iterate everything,
  then ask for the final response);
* ``await stream.dispatch(router)`` with one sync handler on ``response.output_text.delta``;
* ``async for chunk in stream`` over a Chat Completions stream (``chat_stream(20_000)``);
* the same, then ``await stream.final_response()``.

Each library gets its own in-process mock transport (httpx for rillet, httpx2 for the openai
package) serving the same bytes as 16 KiB chunks. The ratios are against the openai package's
``create(stream=True)`` iterated with ``async for`` doing the same work; its helpers
(``responses.stream()`` with ``get_final_response()``, ``chat.completions.stream()`` with
``get_final_completion()``) are timed for the final rows too.

Each run is warmed up once, then timed in turn with the others of its row (interleaved, so
that both libraries see the same machine): rillet best of 5, the openai package (more than 10x
slower) best of 2. What is timed is the process's CPU time: the work is all in one thread, so on
an idle machine it is the wall time, and on a shared one (this 2-core machine is) it does not
count the time other processes took. The garbage collector stays on, as in real use (collected
between runs, so that each starts alike).

Run: ``python benchmarks/bench_speed.py`` (or ``nox -s bench``).
"""

from __future__ import annotations

import gc
import math
import platform
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from importlib import metadata, util
from typing import Any, Final, Protocol

import anyio
import httpx
import httpx2
import openai

from _results import Results, machine
from _workload import body_of, chat_stream, chunked, responses_stream
from rillet import AsyncClient, Client, Router
from rillet.params import ChatCompletionStreamOptionsParam

N_DELTAS = 20_000
CHUNK = 16 * 1024
RILLET_REPEATS = 5
OPENAI_REPEATS = 2
SSE = {"content-type": "text/event-stream"}
MODEL = "gpt-5"
MESSAGES: list[Any] = [{"role": "user", "content": "hi"}]
USAGE: ChatCompletionStreamOptionsParam = {"include_usage": True}
DELTA: Final = "response.output_text.delta"
AROUND = 8  # the Responses events around the text deltas (created ... completed)

Run = Callable[[Any], Any]  # what users write: given a client, returns how many events it saw


# -- the same bytes for both libraries ----------------------------------------------------------


@dataclass(frozen=True)
class Bodies:
    """The chunks served for each path, and how many events (or chunks) each stream holds."""

    chunks: dict[str, list[bytes]]
    events: dict[str, int]

    @classmethod
    def build(cls) -> Bodies:
        responses = responses_stream(N_DELTAS)
        chat = chat_stream(N_DELTAS)
        return cls(
            chunks={
                "/v1/responses": chunked(responses, CHUNK),
                "/v1/chat/completions": chunked(chat, CHUNK),
            },
            events={
                "/v1/responses": responses.count(b"\n\n"),
                "/v1/chat/completions": chat.count(b"\n\n") - 1,  # not "data: [DONE]"
            },
        )


def rillet_async(bodies: Bodies) -> AsyncClient:
    async def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, headers=SSE, content=body_of(bodies.chunks[request.url.path])())

    http = httpx.AsyncClient(transport=httpx.MockTransport(handler))
    return AsyncClient(api_key="sk-bench", base_url="http://bench/v1", http_client=http)


def openai_async(bodies: Bodies) -> openai.AsyncOpenAI:
    async def handler(request: httpx2.Request) -> httpx2.Response:
        return httpx2.Response(200, headers=SSE, content=body_of(bodies.chunks[request.url.path])())

    http = httpx2.AsyncClient(transport=httpx2.MockTransport(handler))
    return openai.AsyncOpenAI(api_key="sk-bench", base_url="http://bench/v1", http_client=http)


def rillet_sync(bodies: Bodies) -> Client:
    def handler(request: httpx.Request) -> httpx.Response:
        chunks = bodies.chunks[request.url.path]
        return httpx.Response(200, headers=SSE, content=iter(chunks))

    http = httpx.Client(transport=httpx.MockTransport(handler))
    return Client(api_key="sk-bench", base_url="http://bench/v1", http_client=http)


def openai_sync(bodies: Bodies) -> openai.OpenAI:
    def handler(request: httpx2.Request) -> httpx2.Response:
        chunks = bodies.chunks[request.url.path]
        return httpx2.Response(200, headers=SSE, content=iter(chunks))

    http = httpx2.Client(transport=httpx2.MockTransport(handler))
    return openai.OpenAI(api_key="sk-bench", base_url="http://bench/v1", http_client=http)


# -- what users write ---------------------------------------------------------------------------
# Each run returns how many events (chunks) its loop saw, checked against the stream.


class TextDelta(Protocol):
    @property
    def delta(self) -> str: ...


class Work:
    """The handler: it counts the text it is given (the same function for both libraries)."""

    def __init__(self) -> None:
        self.calls = 0
        self.characters = 0

    def __call__(self, event: TextDelta) -> None:
        self.calls += 1
        self.characters += len(event.delta)


async def rillet_iterate(client: AsyncClient) -> int:
    count = 0
    async with await client.responses.create(model=MODEL, input="hi", stream=True) as stream:
        async for _event in stream:
            count += 1
    return count


async def rillet_iterate_final(client: AsyncClient) -> int:
    count = 0
    async with await client.responses.create(model=MODEL, input="hi", stream=True) as stream:
        async for _event in stream:
            count += 1
        response = await stream.final_response()
    assert response.output_text
    return count


async def rillet_dispatch(client: AsyncClient) -> int:
    work = Work()
    router = Router()
    router.on(DELTA)(work)
    async with await client.responses.create(model=MODEL, input="hi", stream=True) as stream:
        await stream.dispatch(router)
    return work.calls + AROUND


async def rillet_chat_iterate(client: AsyncClient) -> int:
    count = 0
    async with await client.chat.completions.create(
        model=MODEL, messages=MESSAGES, stream=True, stream_options=USAGE
    ) as stream:
        async for _chunk in stream:
            count += 1
    return count


async def rillet_chat_iterate_final(client: AsyncClient) -> int:
    count = 0
    async with await client.chat.completions.create(
        model=MODEL, messages=MESSAGES, stream=True, stream_options=USAGE
    ) as stream:
        async for _chunk in stream:
            count += 1
        completion = await stream.final_response()
    assert completion.choices[0].message.content
    return count


async def openai_iterate(client: openai.AsyncOpenAI) -> int:
    count = 0
    async with await client.responses.create(model=MODEL, input="hi", stream=True) as stream:
        async for _event in stream:
            count += 1
    return count


async def openai_handle(client: openai.AsyncOpenAI) -> int:
    """What the dispatch row's handler does, written as openai's users write it."""
    work = Work()
    count = 0
    async with await client.responses.create(model=MODEL, input="hi", stream=True) as stream:
        async for event in stream:
            count += 1
            if event.type == "response.output_text.delta":
                work(event)
    assert work.calls == count - AROUND
    return count


async def openai_helper_final(client: openai.AsyncOpenAI) -> int:
    count = 0
    async with client.responses.stream(model=MODEL, input="hi") as stream:
        async for _event in stream:
            count += 1
        response = await stream.get_final_response()
    assert response.output_text
    return count


async def openai_chat_iterate(client: openai.AsyncOpenAI) -> int:
    count = 0
    async with await client.chat.completions.create(
        model=MODEL, messages=MESSAGES, stream=True, stream_options={"include_usage": True}
    ) as stream:
        async for _chunk in stream:
            count += 1
    return count


async def openai_chat_helper_final(client: openai.AsyncOpenAI) -> int:
    count = 0
    async with client.chat.completions.stream(
        model=MODEL, messages=MESSAGES, stream_options={"include_usage": True}
    ) as stream:
        async for _event in stream:
            count += 1
        completion = await stream.get_final_completion()
    assert completion.choices[0].message.content
    return count


def rillet_sync_iterate(client: Client) -> int:
    with client.responses.create(model=MODEL, input="hi", stream=True) as stream:
        return sum(1 for _event in stream)


def rillet_sync_iterate_final(client: Client) -> int:
    with client.responses.create(model=MODEL, input="hi", stream=True) as stream:
        count = sum(1 for _event in stream)
        response = stream.final_response()
    assert response.output_text
    return count


def openai_sync_iterate(client: openai.OpenAI) -> int:
    with client.responses.create(model=MODEL, input="hi", stream=True) as stream:
        return sum(1 for _event in stream)


def openai_sync_helper_final(client: openai.OpenAI) -> int:
    with client.responses.stream(model=MODEL, input="hi") as stream:
        count = sum(1 for _event in stream)
        response = stream.get_final_response()
    assert response.output_text
    return count


# -- the table ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Row:
    """One line of the table: what users write, in rillet and with the openai package."""

    case: str  # short, for the chart
    what: str  # what users write (Markdown)
    path: str  # which stream
    rillet: Run
    openai: Run  # the baseline: create(stream=True) and a loop
    helper: Run | None  # the openai package's helper, for the final rows
    target: float
    aim: float | None = None


ASYNC_ROWS = (
    Row(
        "async for",
        "Responses: `async for event in stream`",
        "/v1/responses",
        rillet_iterate,
        openai_iterate,
        None,
        20,
        25,
    ),
    Row(
        "async for + final",
        "Responses: `async for`, then `await stream.final_response()`",
        "/v1/responses",
        rillet_iterate_final,
        openai_iterate,
        openai_helper_final,
        20,
        25,
    ),
    Row(
        "dispatch",
        "Responses: `await stream.dispatch(router)`, one sync handler on text deltas",
        "/v1/responses",
        rillet_dispatch,
        openai_handle,
        None,
        20,
        25,
    ),
    Row(
        "chat async for",
        "Chat: `async for chunk in stream`",
        "/v1/chat/completions",
        rillet_chat_iterate,
        openai_chat_iterate,
        None,
        15,
    ),
    Row(
        "chat async for + final",
        "Chat: `async for`, then `await stream.final_response()`",
        "/v1/chat/completions",
        rillet_chat_iterate_final,
        openai_chat_iterate,
        openai_chat_helper_final,
        15,
    ),
)

SYNC_ROWS = (
    Row(
        "for",
        "Responses: `for event in stream`",
        "/v1/responses",
        rillet_sync_iterate,
        openai_sync_iterate,
        None,
        20,
        25,
    ),
    Row(
        "for + final",
        "Responses: `for`, then `stream.final_response()`",
        "/v1/responses",
        rillet_sync_iterate_final,
        openai_sync_iterate,
        openai_sync_helper_final,
        20,
        25,
    ),
)

FIGURES = Results(
    "speed",
    "The seeds' usage against the openai package",
    "µs of CPU time per event",
    baseline="openai",
    higher_is_better=False,
)


@dataclass(frozen=True)
class Timing:
    """A run's best CPU time, and how many events its loop saw."""

    seconds: float = math.inf
    count: int = 0

    def add(self, seconds: float, count: int) -> Timing:
        return Timing(min(self.seconds, seconds), count)


Cell = tuple[Run, object, int]  # a run, the client it is given, how many times to time it


def schedule(cells: list[Cell]) -> Iterator[tuple[Cell, bool]]:
    """Each run once to warm up, then in turn (interleaved, so that both libraries see the same
    machine), each its number of times; with whether the run is timed."""
    for cell in cells:
        yield cell, False
    for attempt in range(max((repeats for _, _, repeats in cells), default=0)):
        for cell in cells:
            if attempt < cell[2]:
                yield cell, True


async def measure_async(cells: list[Cell], found: dict[Run, Timing]) -> None:
    """Time the runs not timed yet in this loop (two rows may share the openai baseline)."""
    for (run, client, _), timed in schedule([cell for cell in cells if cell[0] not in found]):
        gc.collect()
        start = time.process_time()
        count = await run(client)
        if timed:
            found[run] = found.get(run, Timing()).add(time.process_time() - start, count)


def measure_sync(cells: list[Cell], found: dict[Run, Timing]) -> None:
    for (run, client, _), timed in schedule([cell for cell in cells if cell[0] not in found]):
        gc.collect()
        start = time.process_time()
        count = run(client)
        if timed:
            found[run] = found.get(run, Timing()).add(time.process_time() - start, count)


def cells(row: Row, ours: object, theirs: object) -> list[Cell]:
    runs = [(row.rillet, ours, RILLET_REPEATS), (row.openai, theirs, OPENAI_REPEATS)]
    if row.helper is not None:
        runs.append((row.helper, theirs, OPENAI_REPEATS))
    return runs


def verdict(ratio: float, row: Row) -> str:
    goal = f"≥ {row.target:.0f}x" + (f" (aim {row.aim:.0f}x)" if row.aim else "")
    return f"{goal}: {'met' if ratio >= row.target else '**not met**'}"


def report(loop: str, row: Row, events: int, found: dict[Run, Timing]) -> None:
    """Print the row, check what each loop saw, and record it for the chart."""
    ours, theirs = found[row.rillet], found[row.openai]
    assert ours.count == events, (row.case, ours.count, events)
    assert theirs.count == events, (row.case, theirs.count, events)
    mine, base = ours.seconds / events * 1e6, theirs.seconds / events * 1e6
    ratio = base / mine
    columns = [loop, row.what, f"{mine:.2f}", f"{base:.1f}", f"**{ratio:.1f}x**"]
    columns.append(verdict(ratio, row))
    case = f"{loop}: {row.case}"
    FIGURES.add(case, "rillet", mine)
    FIGURES.add(case, "openai", base)
    if row.helper is None:
        columns += ["", ""]
    else:
        slow = found[row.helper].seconds / events * 1e6
        columns += [f"{slow:.1f}", f"{slow / mine:.1f}x"]
        FIGURES.add(case, "openai helper", slow)
    print("| " + " | ".join(columns) + " |", flush=True)


async def run_async(loop: str, bodies: Bodies) -> None:
    ours, theirs = rillet_async(bodies), openai_async(bodies)
    found: dict[Run, Timing] = {}
    for row in ASYNC_ROWS:
        await measure_async(cells(row, ours, theirs), found)
        report(loop, row, bodies.events[row.path], found)
    await ours.aclose()
    await theirs.close()


def run_sync(bodies: Bodies) -> None:
    ours, theirs = rillet_sync(bodies), openai_sync(bodies)
    found: dict[Run, Timing] = {}
    for row in SYNC_ROWS:
        measure_sync(cells(row, ours, theirs), found)
        report("blocking", row, bodies.events[row.path], found)
    ours.close()
    theirs.close()


def environment() -> str:
    json = (
        f"orjson {metadata.version('orjson')}"
        if util.find_spec("orjson")
        else "the standard library's json"
    )
    return (
        f"rillet {metadata.version('rillet')} with {json}; openai {openai.__version__} "
        f"(httpx2 {httpx2.__version__}); httpx {httpx.__version__}; "
        f"Python {platform.python_version()}; {machine()}"
    )


def main() -> None:
    started = time.perf_counter()
    bodies = Bodies.build()
    print(environment())
    print(
        f"Responses: {bodies.events['/v1/responses']:,} events; Chat Completions: "
        f"{bodies.events['/v1/chat/completions']:,} chunks; {CHUNK // 1024} KiB chunks through "
        f"in-process mock transports; CPU time, warm-up then rillet best of {RILLET_REPEATS}, "
        f"openai best of {OPENAI_REPEATS}, interleaved; gc on"
    )
    print()
    print(
        "| loop | what users write | rillet µs/event | openai µs/event | rillet vs openai "
        "| target | openai helper µs/event | rillet vs helper |"
    )
    print("| --- | --- | ---: | ---: | ---: | --- | ---: | ---: |")
    for loop in ("asyncio", "trio"):
        anyio.run(run_async, loop, bodies, backend=loop)
    run_sync(bodies)
    print()
    FIGURES.save()
    print(f"took {time.perf_counter() - started:.0f} s")


if __name__ == "__main__":
    main()
