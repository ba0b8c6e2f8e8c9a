"""Helpers for client tests: clients pointed at an emulator, in-process or over loopback."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from typing import Any

import httpx

from rillet import AsyncClient, Timeouts
from rillet.events import Event, parse_event
from rillet.sse import SSEDecoder
from rillet.testing import Emulator, ReplayTransport

FAST = Timeouts(connect=5, read=5, write=5, pool=5, first_event=5)
API_KEY = "sk-test-secret-0123456789"


@asynccontextmanager
async def in_process(
    emulator: Emulator, headers: Mapping[str, str] | None = None, **options: Any
) -> AsyncIterator[tuple[AsyncClient, ReplayTransport]]:
    """A client served by ``emulator`` with no sockets; ``headers`` go with every request."""
    transport = ReplayTransport(emulator)
    async with httpx.AsyncClient(transport=transport, headers=dict(headers or {})) as http:
        options.setdefault("timeout", FAST)
        client = AsyncClient(
            api_key=API_KEY, base_url="http://emulator/v1", http_client=http, **options
        )
        yield client, transport


def decoded(body: bytes) -> list[Event]:
    """The events of a recording, decoded directly (what a stream must give)."""
    decoder = SSEDecoder()
    events = [parse_event(sse) for sse in decoder.feed(body)]
    decoder.close()
    return events


def background_stream() -> bytes:
    """The whole stream of a generated ``background=true`` response (resumable, numbered)."""
    request = {"model": "rillet-text", "input": "one two three", "stream": True, "background": True}
    reply = Emulator().reply("POST", "/v1/responses", "", {}, json.dumps(request).encode())
    return b"".join(step for step in reply.body if isinstance(step, bytes))
