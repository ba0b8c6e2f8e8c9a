"""rillet.anthropic against the official ``anthropic`` SDK, on the same bytes, side by side.

Each client reads the same Messages API stream from an in-memory transport (httpx's mock
transport for rillet, httpx2's for the SDK, which is built on it), in 16 KiB chunks:

* iterate: every typed event (rillet: ``async for event in stream``; the SDK:
  ``async for event in client.messages.stream(...)``, its helper, which also accumulates);
* final: the final message (rillet: ``final_response()``; the SDK: ``get_final_message()``);
* the same two with the blocking clients.

CPU time (``time.process_time``), best of a few runs; the ratio is the SDK's time over rillet's.
The streams: corpus recordings (tests/corpus/anthropic) and a long synthetic one (text deltas,
then a tool call whose input streams as many small JSON pieces, padded as the API pads).
Run: ``python benchmarks/bench_anthropic.py`` (no network).
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any

import anthropic
import httpx
import httpx2

from rillet.anthropic import AsyncClient, Client

CORPUS = Path(__file__).parent.parent / "tests" / "corpus" / "anthropic"
FILES = [
    "thinking_signature.sse",
    "pause_turn_web_search.sse",
    "reframed/code_execution_20250825_file_output.reframed.sse",
    "reframed/compaction_long.reframed.sse",
    "reframed/text_json_output_format.reframed.sse",
]
REPEATS = 5
CHUNK = 16 * 1024
SSE = {"content-type": "text/event-stream"}
ASK: dict[str, Any] = {
    "model": "m",
    "max_tokens": 1,
    "messages": [{"role": "user", "content": "hi"}],
}


def event(kind: str, payload: dict[str, Any], pad: int = 3) -> bytes:
    data = json.dumps(payload, separators=(",", ":"))[:-1] + " " * pad + "}"
    return f"event: {kind}\ndata: {data}\n\n".encode()


def synthetic(texts: int, pieces: int) -> bytes:
    """A long stream: ``texts`` text deltas, then a tool call in ``pieces`` JSON pieces."""
    message: dict[str, Any] = {
        "id": "msg_bench",
        "type": "message",
        "role": "assistant",
        "model": "claude-bench",
        "content": [],
        "stop_reason": None,
        "stop_sequence": None,
        "usage": {"input_tokens": 10, "output_tokens": 1},
    }
    out = [event("message_start", {"type": "message_start", "message": message})]
    text = {"type": "text", "text": ""}
    out.append(
        event(
            "content_block_start",
            {"type": "content_block_start", "index": 0, "content_block": text},
        )
    )
    out.append(b'event: ping\ndata: {"type": "ping"}\n\n')
    for i in range(texts):
        delta = {"type": "text_delta", "text": f" word{i % 97}"}
        out.append(
            event(
                "content_block_delta", {"type": "content_block_delta", "index": 0, "delta": delta}
            )
        )
    out.append(event("content_block_stop", {"type": "content_block_stop", "index": 0}))
    tool = {"type": "tool_use", "id": "toolu_bench", "name": "save", "input": {}}
    out.append(
        event(
            "content_block_start",
            {"type": "content_block_start", "index": 1, "content_block": tool},
        )
    )
    document = json.dumps({"items": [f"item number {i}" for i in range(pieces)]})
    step = max(1, len(document) // pieces)
    for start in range(0, len(document), step):
        delta = {"type": "input_json_delta", "partial_json": document[start : start + step]}
        out.append(
            event(
                "content_block_delta", {"type": "content_block_delta", "index": 1, "delta": delta}
            )
        )
    out.append(event("content_block_stop", {"type": "content_block_stop", "index": 1}))
    end: dict[str, Any] = {"stop_reason": "tool_use", "stop_sequence": None}
    usage = {"output_tokens": texts + pieces}
    out.append(event("message_delta", {"type": "message_delta", "delta": end, "usage": usage}))
    out.append(event("message_stop", {"type": "message_stop"}))
    return b"".join(out)


def chunked(data: bytes) -> list[bytes]:
    return [data[i : i + CHUNK] for i in range(0, len(data), CHUNK)]


# -- rillet -------------------------------------------------------------------------------------


def rillet_async(chunks: list[bytes]) -> AsyncClient:
    async def body() -> AsyncIterator[bytes]:
        for chunk in chunks:
            yield chunk

    def answer(_: httpx.Request) -> httpx.Response:
        return httpx.Response(200, headers=SSE, content=body())

    http = httpx.AsyncClient(transport=httpx.MockTransport(answer))
    return AsyncClient(api_key="k", base_url="http://bench", http_client=http)


def rillet_sync(chunks: list[bytes]) -> Client:
    def body() -> Iterator[bytes]:
        yield from chunks

    def answer(_: httpx.Request) -> httpx.Response:
        return httpx.Response(200, headers=SSE, content=body())

    http = httpx.Client(transport=httpx.MockTransport(answer))
    return Client(api_key="k", base_url="http://bench", http_client=http)


async def rillet_iterate(client: AsyncClient) -> int:
    async with await client.messages.create(stream=True, **ASK) as stream:
        return sum([1 async for _ in stream])


async def rillet_final(client: AsyncClient) -> int:
    async with await client.messages.create(stream=True, **ASK) as stream:
        return len((await stream.final_response()).content)


def rillet_sync_iterate(client: Client) -> int:
    with client.messages.create(stream=True, **ASK) as stream:
        return sum(1 for _ in stream)


def rillet_sync_final(client: Client) -> int:
    with client.messages.create(stream=True, **ASK) as stream:
        return len(stream.get_final_message().content)


# -- the SDK ------------------------------------------------------------------------------------


def sdk_async(chunks: list[bytes]) -> anthropic.AsyncAnthropic:
    async def body() -> AsyncIterator[bytes]:
        for chunk in chunks:
            yield chunk

    def answer(_: httpx2.Request) -> httpx2.Response:
        return httpx2.Response(200, headers=SSE, content=body())

    http = httpx2.AsyncClient(transport=httpx2.MockTransport(answer))
    return anthropic.AsyncAnthropic(api_key="k", base_url="http://bench", http_client=http)


def sdk_sync(chunks: list[bytes]) -> anthropic.Anthropic:
    def body() -> Iterator[bytes]:
        yield from chunks

    def answer(_: httpx2.Request) -> httpx2.Response:
        return httpx2.Response(200, headers=SSE, content=body())

    http = httpx2.Client(transport=httpx2.MockTransport(answer))
    return anthropic.Anthropic(api_key="k", base_url="http://bench", http_client=http)


async def sdk_iterate(client: anthropic.AsyncAnthropic) -> int:
    async with client.messages.stream(**ASK) as stream:
        return sum([1 async for _ in stream])


async def sdk_final(client: anthropic.AsyncAnthropic) -> int:
    async with client.messages.stream(**ASK) as stream:
        return len((await stream.get_final_message()).content)


def sdk_sync_iterate(client: anthropic.Anthropic) -> int:
    with client.messages.stream(**ASK) as stream:
        return sum(1 for _ in stream)


def sdk_sync_final(client: anthropic.Anthropic) -> int:
    with client.messages.stream(**ASK) as stream:
        return len(stream.get_final_message().content)


# -- measuring ----------------------------------------------------------------------------------


def best_async(run: Callable[[Any], Awaitable[int]], client: Any) -> float:  # noqa: ANN401
    async def runs() -> float:
        times = []
        for _ in range(REPEATS):
            start = time.process_time()
            await run(client)
            times.append(time.process_time() - start)
        return min(times)

    return asyncio.run(runs())


def best_sync(run: Callable[[Any], int], client: Any) -> float:  # noqa: ANN401
    times = []
    for _ in range(REPEATS):
        start = time.process_time()
        run(client)
        times.append(time.process_time() - start)
    return min(times)


def main() -> None:
    bodies = {name: (CORPUS / name).read_bytes() for name in FILES}
    bodies["synthetic: 20,000 text + 5,000 JSON deltas"] = synthetic(20_000, 5_000)
    print(f"CPU time, best of {REPEATS}; ratio = the SDK's time / rillet's")
    print()
    print("| stream | events | run | rillet ms | SDK ms | ratio |")
    print("|---|---:|---|---:|---:|---:|")
    for name, data in bodies.items():
        chunks = chunked(data)
        events = data.count(b"\nevent: ") + 1
        table = [
            (
                "async iterate",
                best_async(rillet_iterate, rillet_async(chunks)),
                best_async(sdk_iterate, sdk_async(chunks)),
            ),
            (
                "async final",
                best_async(rillet_final, rillet_async(chunks)),
                best_async(sdk_final, sdk_async(chunks)),
            ),
            (
                "sync iterate",
                best_sync(rillet_sync_iterate, rillet_sync(chunks)),
                best_sync(sdk_sync_iterate, sdk_sync(chunks)),
            ),
            (
                "sync final",
                best_sync(rillet_sync_final, rillet_sync(chunks)),
                best_sync(sdk_sync_final, sdk_sync(chunks)),
            ),
        ]
        for label, ours, sdk in table:
            print(
                f"| {name} | {events} | {label} | {ours * 1000:.2f} | {sdk * 1000:.2f} "
                f"| {sdk / ours:.1f}x |"
            )


if __name__ == "__main__":
    main()
