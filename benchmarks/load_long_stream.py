"""Load: one stream of 1,000,000 events with the replay cache off: memory stays flat.

The body is produced as it is read (an httpx mock transport over a generator), so the only
memory that could grow is the client's. Prints the resident set size after 10,000 events and
after all of them.

    python benchmarks/load_long_stream.py [--events 1000000]
"""

from __future__ import annotations

import argparse
import json
import os
import time
from collections.abc import AsyncIterator

import anyio
import httpx

from rillet import AsyncClient

SSE = {"content-type": "text/event-stream"}
DELTA = (
    'event: response.output_text.delta\ndata: {"type":"response.output_text.delta",'
    '"sequence_number":%d,"item_id":"msg_1","output_index":0,"content_index":0,'
    '"delta":" word","logprobs":[],"obfuscation":"abcdefgh"}\n\n'
)
ITEM = {
    "id": "msg_1",
    "type": "message",
    "status": "in_progress",
    "content": [],
    "role": "assistant",
}
PART = {"type": "output_text", "annotations": [], "logprobs": [], "text": ""}


def rss_mib() -> float:
    with open("/proc/self/statm") as statm:  # noqa: PTH123 - Linux
        pages = int(statm.read().split()[1])
    return pages * os.sysconf("SC_PAGE_SIZE") / 2**20


def event(payload: dict[str, object]) -> bytes:
    return f"event: {payload['type']}\ndata: {json.dumps(payload)}\n\n".encode()


async def body(deltas: int) -> AsyncIterator[bytes]:
    response = {"id": "resp_1", "object": "response", "status": "in_progress", "output": []}
    yield event({"type": "response.created", "sequence_number": 0, "response": response})
    yield event(
        {
            "type": "response.output_item.added",
            "sequence_number": 1,
            "output_index": 0,
            "item": ITEM,
        }
    )
    yield event(
        {
            "type": "response.content_part.added",
            "sequence_number": 2,
            "item_id": "msg_1",
            "output_index": 0,
            "content_index": 0,
            "part": PART,
        }
    )
    batch = 200  # events per chunk
    for start in range(0, deltas, batch):
        yield "".join(DELTA % (3 + i) for i in range(start, min(deltas, start + batch))).encode()


async def main(deltas: int) -> None:
    async def handler(_: httpx.Request) -> httpx.Response:
        return httpx.Response(200, headers=SSE, content=body(deltas))

    async with httpx.AsyncClient(transport=httpx.MockTransport(handler)) as http:
        client = AsyncClient(api_key="sk-load", base_url="http://load/v1", http_client=http)
        stream = await client.responses.create(model="m", input="hi", stream=True, cache=False)
        seen, at_10k = 0, 0.0
        started = time.perf_counter()
        async with stream:
            async for _ in stream:
                seen += 1
                if seen == 10_000:
                    at_10k = rss_mib()
        seconds = time.perf_counter() - started
    print(
        f"{seen:,} events in {seconds:.1f} s ({seen / seconds:,.0f}/s), cache off: "
        f"RSS {at_10k:.1f} MiB after 10,000 events, {rss_mib():.1f} MiB after {seen:,}"
    )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=str(__doc__).splitlines()[0])
    parser.add_argument("--events", type=int, default=1_000_000)
    anyio.run(main, parser.parse_args().events)
