"""The Anthropic streams of tests/corpus/anthropic, and ways to read them (rillet and the SDK)."""

from __future__ import annotations

import json
from typing import Any

import anthropic
import httpx2

from corpus_files import CORPUS, fed_machine
from rillet._machine import StreamMachine
from rillet.anthropic import AnthropicProtocol, Message

ROOT = CORPUS / "anthropic"
FILES = sorted(str(path.relative_to(ROOT)) for path in ROOT.rglob("*.sse"))
"""Every Anthropic stream: raw recordings, re-framed ones, synthetic fixtures."""

ORACLE: dict[str, dict[str, Any]] = json.loads((ROOT / "oracle.json").read_text("utf-8"))
"""Per file: what the official SDK's get_final_message() produced (providers.json's oracle)."""

FINE_GRAINED = "fine-grained-tool-streaming-2025-05-14"
BETAS: dict[str, str] = {"max_tokens_mid_tool_input.sse": FINE_GRAINED}
"""The anthropic-beta header a recording was made with, where it changes the SDK's reading."""


def read(name: str) -> bytes:
    """The bytes of one Anthropic corpus file (``"reframed/text.reframed.sse"``)."""
    return (ROOT / name).read_bytes()


def machine(chunks: list[bytes]) -> StreamMachine[Message]:
    """A stream machine fed ``chunks`` as one body, then its end (no I/O)."""
    return fed_machine(AnthropicProtocol(), chunks)


def final(chunks: list[bytes]) -> Message:
    """The final message of a body, or the error the stream failed with."""
    fed = machine(chunks)
    if fed.failure is not None:
        raise fed.failure
    return fed.result()


async def sdk_final(data: bytes, beta: str = "") -> dict[str, Any]:
    """The official SDK's final message (its ``messages.stream()`` helper) of a body, as JSON.

    The beta client: the only one that accumulates every kind of tool input (the non-beta one
    leaves ``mcp_tool_use`` input empty).
    """

    def answer(request: httpx2.Request) -> httpx2.Response:
        del request
        return httpx2.Response(200, headers={"content-type": "text/event-stream"}, content=data)

    transport = httpx2.MockTransport(answer)
    client = anthropic.AsyncAnthropic(
        api_key="test", http_client=httpx2.AsyncClient(transport=transport)
    )
    headers = {"anthropic-beta": beta} if beta else {}
    async with client.beta.messages.stream(
        model="m", max_tokens=1, messages=[], extra_headers=headers
    ) as stream:
        message = await stream.get_final_message()
    result: dict[str, Any] = message.to_dict(mode="json")
    return result


async def sdk_events(data: bytes) -> list[dict[str, Any]]:
    """The raw events the official SDK's stream yields for a body, as JSON."""

    def answer(request: httpx2.Request) -> httpx2.Response:
        del request
        return httpx2.Response(200, headers={"content-type": "text/event-stream"}, content=data)

    transport = httpx2.MockTransport(answer)
    client = anthropic.AsyncAnthropic(
        api_key="test", http_client=httpx2.AsyncClient(transport=transport)
    )
    stream = await client.beta.messages.create(model="m", max_tokens=1, messages=[], stream=True)
    return [event.to_dict(mode="json") async for event in stream]
