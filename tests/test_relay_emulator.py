"""The emulator's relay routes, over loopback: the contract others test against.

``POST /relay`` answers a channel; ``GET /relay/{id}`` streams the same Responses events as the
emulator's own stream of the same request, with ids, resumable with ``Last-Event-ID``;
``POST /relay/{id}/cancel`` ends the channel ``cancelled``; ``GET /relay`` is the page.
"""

from __future__ import annotations

import json
import socket
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import anyio
import httpx
import pytest

from rillet import AsyncClient
from rillet._accumulate import ResponseAccumulator
from rillet.events import parse_event_data
from rillet.relay import RedisBackend, Relay
from rillet.sse import ServerSentEvent, SSEDecoder
from rillet.testing import Emulator, replay_transport, serve

pytestmark = [pytest.mark.anyio, pytest.mark.json_independent]

PROMPT = "Tell me about rivers"
REQUEST = {"model": "rillet-text", "input": PROMPT}


@asynccontextmanager
async def relay_served(delay: float = 0.0) -> AsyncIterator[httpx.AsyncClient]:
    """An HTTP client of the emulator with a relay, served on 127.0.0.1."""
    async with (
        Relay() as relay,
        serve(Emulator(relay=relay, delay=delay)) as url,
        httpx.AsyncClient(base_url=url) as http,
    ):
        yield http


async def start(http: httpx.AsyncClient, headers: dict[str, str] | None = None) -> str:
    answer = await http.post("/relay", json=REQUEST, headers=headers)
    assert answer.status_code == 200, answer.text
    channel: str = answer.json()["channel"]
    return channel


async def read(
    http: httpx.AsyncClient, channel: str, last_id: str | None = None
) -> list[ServerSentEvent]:
    """The channel's events as SSE, until the server ends the response."""
    decoder = SSEDecoder()
    events: list[ServerSentEvent] = []
    headers = {"last-event-id": last_id} if last_id is not None else {}
    with anyio.fail_after(5):
        async with http.stream("GET", f"/relay/{channel}", headers=headers) as response:
            assert response.status_code == 200
            assert response.headers["content-type"].startswith("text/event-stream")
            async for chunk in response.aiter_bytes():
                events.extend(decoder.feed(chunk))
    return events


async def test_a_channel_relays_the_emulators_stream_and_resumes() -> None:
    async with relay_served() as http:
        channel = await start(http)
        events = await read(http, channel)
        resumed = await read(http, channel, last_id=events[9].id)
        page = await http.get("/relay")
    in_process = httpx.AsyncClient(transport=replay_transport(Emulator()))
    async with AsyncClient(
        api_key="-", base_url="http://emulator/v1", http_client=in_process
    ) as client:
        stream = await client.responses.create(model="rillet-text", input=PROMPT, stream=True)
        async with stream:
            direct = [event async for event in stream]
            response = await stream.final_response()
    *relayed, end = events
    assert [int(event.id) for event in events] == list(range(1, len(events) + 1))
    assert (end.event, json.loads(end.data)) == (
        "relay.end",
        {"status": "completed", "message": ""},
    )
    assert [event.event for event in relayed] == [event.type for event in direct]
    assert all(json.loads(event.data)["type"] == event.event for event in relayed)
    accumulator = ResponseAccumulator()
    for event in relayed:
        accumulator.add(parse_event_data(event.event, event.raw_data))
    assert accumulator.snapshot is not None
    assert accumulator.snapshot.output_text == response.output_text != ""
    assert resumed == events[10:]  # exactly the entries after Last-Event-ID
    assert page.status_code == 200
    assert page.headers["content-type"] == "text/html; charset=utf-8"
    assert "new EventSource(" in page.text


async def test_cancel_ends_the_channel_cancelled() -> None:
    async with relay_served() as http:
        channel = await start(http, headers={"x-rillet-delay": "0.02"})
        seen: list[ServerSentEvent] = []
        decoder = SSEDecoder()
        with anyio.fail_after(5):
            async with http.stream("GET", f"/relay/{channel}") as response:
                async for chunk in response.aiter_bytes():
                    seen.extend(decoder.feed(chunk))
                    if len(seen) == 3:
                        cancelled = await http.post(f"/relay/{channel}/cancel")
    assert cancelled.status_code == 200
    assert seen[-1].event == "relay.end"
    assert json.loads(seen[-1].data)["status"] == "cancelled"
    assert len(seen) < 20  # of 62 events: the generation stopped


async def test_the_relay_needs_the_emulator_running() -> None:
    emulator = Emulator(relay=Relay())
    # httpx's ASGI transport runs no lifespan: nothing runs the generations.
    async with httpx.AsyncClient(transport=httpx.ASGITransport(emulator)) as http:
        refused = await http.post("http://emulator/relay", json=REQUEST)
        async with emulator:
            started = await http.post("http://emulator/relay", json=REQUEST)
    assert refused.status_code == 503
    assert "async with emulator" in refused.json()["error"]["message"]
    assert started.status_code == 200


async def test_a_backend_that_cannot_create_the_channel_is_a_503() -> None:
    with socket.socket() as closed:  # a port nobody listens on
        closed.bind(("127.0.0.1", 0))
        nowhere = f"redis://127.0.0.1:{closed.getsockname()[1]}/0"
        emulator = Emulator(relay=Relay(RedisBackend(nowhere)))
        async with emulator, httpx.AsyncClient(transport=httpx.ASGITransport(emulator)) as http:
            refused = await http.post("http://emulator/relay", json=REQUEST)
    assert refused.status_code == 503
    assert refused.json()["error"]["message"].startswith("cannot start a channel: ")
    assert nowhere.removeprefix("redis://").removesuffix("/0") in refused.text  # the address
