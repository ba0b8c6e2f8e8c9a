"""End to end: the client's events per second, against ``openai.AsyncOpenAI``, same bytes.

Each client gets its own mock transport (httpx for rillet, httpx2 for the openai package) that
serves the same 100,000-delta Responses stream as 16 KiB chunks from an async byte stream, so
the measurement is the client: request, decode, parse, structure, accumulate. Two runs each:

* ``async for event in stream`` over every event;
* the final response: rillet's ``final_response()``, and the openai package's
  ``responses.stream()`` helper with ``get_final_response()``.

Under asyncio and trio. Then the same over loopback against the emulator served by uvicorn.
Run: ``python benchmarks/bench_client.py`` (or ``nox -s bench``).
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Awaitable, Callable

import anyio
import httpx
import httpx2
import openai
import uvicorn

from _results import Results
from _workload import body_of, chunked, responses_stream
from rillet import AsyncClient
from rillet.testing import Emulator

N_DELTAS = 100_000
SSE = {"content-type": "text/event-stream"}


def rillet_client(chunks: list[bytes], base_url: str | None = None) -> AsyncClient:
    if base_url is not None:
        return AsyncClient(api_key="sk-bench", base_url=base_url, max_retries=0)
    body = body_of(chunks)

    async def handler(_: httpx.Request) -> httpx.Response:
        return httpx.Response(200, headers=SSE, content=body())

    http = httpx.AsyncClient(transport=httpx.MockTransport(handler))
    return AsyncClient(api_key="sk-bench", base_url="http://bench/v1", http_client=http)


def openai_client(chunks: list[bytes], base_url: str | None = None) -> openai.AsyncOpenAI:
    if base_url is not None:
        return openai.AsyncOpenAI(api_key="sk-bench", base_url=base_url, max_retries=0)
    body = body_of(chunks)

    async def handler(_: httpx2.Request) -> httpx2.Response:
        return httpx2.Response(200, headers=SSE, content=body())

    http = httpx2.AsyncClient(transport=httpx2.MockTransport(handler))
    return openai.AsyncOpenAI(api_key="sk-bench", base_url="http://bench/v1", http_client=http)


async def rillet_iterate(client: AsyncClient) -> int:
    count = 0
    async with await client.responses.create(model="m", input="hi", stream=True) as stream:
        async for _ in stream:
            count += 1
    return count


async def rillet_final(client: AsyncClient) -> int:
    async with await client.responses.create(model="m", input="hi", stream=True) as stream:
        response = await stream.final_response()
    return len(response.output_text)


async def openai_iterate(client: openai.AsyncOpenAI) -> int:
    count = 0
    async with await client.responses.create(model="m", input="hi", stream=True) as stream:
        async for _ in stream:
            count += 1
    return count


async def openai_final(client: openai.AsyncOpenAI) -> int:
    async with client.responses.stream(model="m", input="hi") as stream:
        response = await stream.get_final_response()
    return len(response.output_text)


async def timed(run: Callable[[], Awaitable[int]]) -> float:
    start = time.perf_counter()
    await run()
    return time.perf_counter() - start


FIGURES = Results("client", "The client, end to end", "events/s", baseline="rillet")


async def compare(backend: str, events: int, chunks: list[bytes], base_url: str | None) -> None:
    ours = rillet_client(chunks, base_url)
    theirs = openai_client(chunks, base_url)
    where = "loopback" if base_url else "mock transport"
    for what, mine, peer in [
        ("async for", rillet_iterate, openai_iterate),
        ("final response", rillet_final, openai_final),
    ]:
        a = min([await timed(lambda mine=mine: mine(ours)) for _ in range(3)])  # type: ignore[misc]
        b = await timed(lambda peer=peer: peer(theirs))  # type: ignore[misc]
        print(
            f"| {backend} | {where} | {what} | {events / a:,.0f} | {events / b:,.0f} "
            f"| {b / a:.1f}x |"
        )
        case = f"{backend}, {what}" + (", loopback" if base_url else "")
        FIGURES.add(case, "rillet", events / a)
        FIGURES.add(case, "openai", events / b)
    await ours.aclose()
    await theirs.close()


def serve(body: bytes) -> tuple[str, uvicorn.Server, threading.Thread]:
    emulator = Emulator({"responses/bench.sse": body}, chunk_size=16 * 1024)
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    server = uvicorn.Server(uvicorn.Config(emulator, log_level="critical", lifespan="off"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.01)
    return f"http://127.0.0.1:{sock.getsockname()[1]}/v1", server, thread


def main() -> None:
    body = responses_stream(N_DELTAS)
    events = body.count(b"\n\n")
    chunks = chunked(body, 16 * 1024)
    print(f"openai {openai.__version__}; {events} events, 16 KiB chunks", end="")
    print("; rillet best of 3, openai once (it is slow)")
    print()
    print("| loop | transport | run | rillet events/s | openai events/s | rillet vs openai |")
    print("|---|---|---|---:|---:|---:|")
    for backend in ("asyncio", "trio"):
        anyio.run(compare, backend, events, chunks, None, backend=backend)
    url, server, thread = serve(body)
    try:
        anyio.run(compare, "asyncio", events, chunks, url)
    finally:
        server.should_exit = True
        thread.join()
    FIGURES.save()


if __name__ == "__main__":
    main()
