"""Gemini streams: rillet against google-genai's ``generate_content_stream``, on the same bytes.

Each client gets its own mock transport (httpx for rillet, httpx2 for google-genai, which
uses it when given) serving the same body in 16 KiB chunks, so the measurement is the client:
request, decode, parse, structure (and rillet's accumulation, done on every chunk). Bodies:
four corpus recordings (text, thoughts, streamed function-call arguments, grounding), each
streamed many times, and a long synthetic text stream of 20,000 chunks. Two runs each:

* iteration of the typed chunks (``async for chunk in stream``);
* the whole text: rillet's ``(await stream.final_response()).text`` (the accumulated
  response), and for google-genai, which has no accumulator, ``"".join(chunk.text ...)`` over
  the chunks, as its users do.

What cannot be compared: google-genai builds no final response (function calls, thoughts,
usage would be the user's to gather), derives no events, and assembles no streamed
``partialArgs``; rillet does all of it on every run measured here.
Run: ``python benchmarks/bench_gemini.py``.
"""

from __future__ import annotations

import json
import time
import warnings
from collections.abc import Awaitable, Callable
from pathlib import Path

import anyio
import httpx
import httpx2
from google import genai
from google.genai import types

from _results import Results
from _workload import body_of, chunked
from rillet.gemini import AsyncClient

CORPUS = Path(__file__).parent.parent / "tests" / "corpus" / "gemini"
FILES = [
    "text_long.sse",
    "thoughts_text_signature.sse",
    "reframed/streamed_function_call_args_nested.reframed.sse",
    "grounding_google_search.sse",
]
SSE = {"content-type": "text/event-stream"}
N_CHUNKS = 20_000
MODEL = "gemini-2.5-flash"


def synthetic(n_chunks: int) -> bytes:
    """A long text stream shaped as the Gemini API sends it (CRLF, usage on every chunk)."""
    frames = []
    for index in range(n_chunks):
        candidate: dict[str, object] = {
            "content": {"parts": [{"text": f"word{index} "}], "role": "model"},
            "index": 0,
        }
        if index == n_chunks - 1:
            candidate["finishReason"] = "STOP"
        chunk = {
            "candidates": [candidate],
            "usageMetadata": {
                "promptTokenCount": 12,
                "candidatesTokenCount": index + 1,
                "totalTokenCount": index + 13,
            },
            "modelVersion": MODEL,
            "responseId": "bench-response",
        }
        frames.append(b"data: " + json.dumps(chunk, separators=(",", ": ")).encode() + b"\r\n\r\n")
    return b"".join(frames)


def rillet_client(chunks: list[bytes]) -> AsyncClient:
    body = body_of(chunks)

    async def handler(_: httpx.Request) -> httpx.Response:
        return httpx.Response(200, headers=SSE, content=body())

    http = httpx.AsyncClient(transport=httpx.MockTransport(handler))
    return AsyncClient(api_key="bench", base_url="http://bench", http_client=http)


def genai_client(chunks: list[bytes]) -> genai.Client:
    body = body_of(chunks)

    async def handler(_: httpx2.Request) -> httpx2.Response:
        return httpx2.Response(200, headers=SSE, content=body())

    http = httpx2.AsyncClient(transport=httpx2.MockTransport(handler))
    options = types.HttpOptions(base_url="http://bench", httpx_async_client=http)
    return genai.Client(api_key="bench", http_options=options)


async def rillet_iterate(client: AsyncClient) -> int:
    count = 0
    stream = await client.models.generate_content(model=MODEL, contents="hi", stream=True)
    async with stream:
        async for _ in stream:
            count += 1
    return count


async def rillet_text(client: AsyncClient) -> int:
    stream = await client.models.generate_content(model=MODEL, contents="hi", stream=True)
    async with stream:
        response = await stream.final_response()
    return len(response.text)


async def genai_iterate(client: genai.Client) -> int:
    count = 0
    async for _ in await client.aio.models.generate_content_stream(model=MODEL, contents="hi"):
        count += 1
    return count


async def genai_text(client: genai.Client) -> int:
    stream = await client.aio.models.generate_content_stream(model=MODEL, contents="hi")
    texts = [chunk.text or "" async for chunk in stream]
    return len("".join(texts))


async def timed(run: Callable[[], Awaitable[int]], repeats: int) -> tuple[float, int]:
    start = time.perf_counter()
    result = 0
    for _ in range(repeats):
        result = await run()
    return time.perf_counter() - start, result


FIGURES = Results("gemini", "Gemini streams, end to end", "chunks/s", baseline="rillet")


async def compare(backend: str, name: str, body: bytes, repeats: int) -> None:
    chunks = chunked(body, 16 * 1024)
    frames = body.count(b"data: ")
    ours, theirs = rillet_client(chunks), genai_client(chunks)
    for what, mine, peer in [
        ("chunks", rillet_iterate, genai_iterate),
        ("whole text", rillet_text, genai_text),
    ]:
        if what == "whole text" and "function_call" in name:
            continue  # no text: google-genai's chunk.text warns on every function call
        await mine(ours)  # warm up both (builders, imports)
        await peer(theirs)
        a, got_a = min([await timed(lambda m=mine: m(ours), repeats) for _ in range(3)])  # type: ignore[misc]
        b, got_b = min([await timed(lambda p=peer: p(theirs), repeats) for _ in range(2)])  # type: ignore[misc]
        assert got_a == got_b, (name, what, got_a, got_b)  # the same work was done
        rate_a, rate_b = frames * repeats / a, frames * repeats / b
        print(f"| {backend} | {name} | {what} | {rate_a:,.0f} | {rate_b:,.0f} | {b / a:.1f}x |")
        FIGURES.add(f"{backend}, {name}, {what}", "rillet", rate_a)
        FIGURES.add(f"{backend}, {name}, {what}", "google-genai", rate_b)
    await ours.aclose()


def main() -> None:
    warnings.simplefilter("ignore")  # google-genai warns about non-text parts in chunk.text
    bodies = [(name, (CORPUS / name).read_bytes(), 100) for name in FILES]
    bodies.append((f"synthetic {N_CHUNKS} chunks", synthetic(N_CHUNKS), 1))
    print(f"google-genai {genai.__version__}; 16 KiB chunks; rillet best of 3, google-genai of 2")
    print()
    print("| loop | body | run | rillet chunks/s | google-genai chunks/s | rillet vs genai |")
    print("|---|---|---|---:|---:|---:|")
    for backend in ("asyncio", "trio"):
        for name, body, repeats in bodies:
            anyio.run(compare, backend, name, body, repeats, backend=backend)
    FIGURES.save()


if __name__ == "__main__":
    main()
