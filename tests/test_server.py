"""The client against the emulator served by uvicorn over real sockets on 127.0.0.1."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from pathlib import Path

import anyio
import httpx
import pytest

from clients import API_KEY, FAST, decoded
from conftest import Served
from rillet import (
    APITimeoutError,
    AsyncClient,
    EventDecodeError,
    EventTooLargeError,
    NotEventStreamError,
    RateLimitError,
    StreamTruncatedError,
    Timeouts,
)
from rillet.events import Response
from rillet.sse import SSEDecoder
from rillet.testing import Fault

pytestmark = [pytest.mark.anyio, pytest.mark.json_independent]

TEXT = "responses/plain_text_sorted_keys_2026.sse"


@asynccontextmanager
async def over_loopback(
    served: Served, headers: Mapping[str, str] | None = None, **options: object
) -> AsyncIterator[AsyncClient]:
    async with httpx.AsyncClient(headers=dict(headers or {})) as http:
        options.setdefault("timeout", FAST)
        yield AsyncClient(api_key=API_KEY, base_url=served.url, http_client=http, **options)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "name",
    [
        "responses/plain_text_sorted_keys_2026.sse",
        "responses/code_interpreter.sse",
        "responses/web_search_url_citations.sse",
        "responses/mcp_call.sse",
        "chat/n2_choices_tool_calls.sse",
        "chat/logprobs_text_and_tool_call.sse",
    ],
)
async def test_each_stream_over_loopback_gives_the_recorded_events(
    served: Served, emulator_recordings: dict[str, bytes], name: str
) -> None:
    async with over_loopback(served, {"x-rillet-recording": name}) as client:
        if name.startswith("chat/"):
            chat = await client.chat.completions.create(model="m", messages=[], stream=True)
            async with chat:
                chunks = [chunk async for chunk in chat]
                completion = await chat.final_response()
            assert len(chunks) == len(SSEDecoder().feed(emulator_recordings[name])) - 1  # [DONE]
            assert completion.choices
        else:
            stream = await client.responses.create(model="m", input="hi", stream=True)
            async with stream:
                expected = decoded(emulator_recordings[name])
                assert [e async for e in stream] == expected
                assert await stream.final_response() == expected[-1].response  # type: ignore[attr-defined]
    await served.no_open_bodies()


async def test_each_event_arrives_as_soon_as_its_bytes_do(served: Served) -> None:
    # The server sends one event and then nothing: a client that buffered bodies would time out.
    headers = {"x-rillet-recording": TEXT, "x-rillet-fault": "stall-after-events=1"}
    async with over_loopback(served, headers) as client:
        stream = await client.responses.create(model="m", input="hi", stream=True)
        async with stream:
            first = await anext(aiter(stream))
            assert first.type == "response.created"
    await served.no_open_bodies()


@pytest.mark.parametrize(
    ("fault", "error", "first_event"),
    [
        ("drop-after-bytes=2000", StreamTruncatedError, 0.2),
        ("drop-after-events=3", StreamTruncatedError, 0.2),
        ("stall-after-events=2", APITimeoutError, 0.2),
        ("keepalive-only", APITimeoutError, 0.2),
        ("malformed-json-at=2", EventDecodeError, 0.2),
        # No first-event deadline: 17 MiB may take longer than any short one to arrive.
        (f"oversized-event={17 << 20}", EventTooLargeError, None),
    ],
)
async def test_each_fault_mid_stream(
    served: Served, fault: str, error: type[Exception], first_event: float | None
) -> None:
    timeouts = Timeouts(connect=5, read=5, first_event=first_event, idle=0.2)
    headers = {"x-rillet-recording": TEXT, "x-rillet-fault": fault}
    async with over_loopback(served, headers, timeout=timeouts) as client:
        stream = await client.responses.create(model="m", input="hi", stream=True)
        async with stream:
            with pytest.raises(error) as caught:
                await stream.final_response()
    partial = getattr(caught.value, "partial", None)
    assert partial is None or isinstance(partial, Response)
    await served.no_open_bodies()


async def test_faults_before_the_stream(served: Served) -> None:
    key = {"x-rillet-key": str(uuid.uuid4())}  # the server counts failures per key
    retry_then_ok = Fault(kind="fail-first", count=1, status=429, retry_after=0.01)
    async with over_loopback(served, {"x-rillet-fault": str(retry_then_ok), **key}) as client:
        response = await client.responses.create(model="m", input="hi", stream=True)
        async with response:
            assert (await response.final_response()).status == "completed"
        assert response.stats.retries == 1
    server_error_then_ok = Fault(kind="fail-first", count=1, status=500)
    async with over_loopback(
        served, {"x-rillet-fault": str(server_error_then_ok), **key}
    ) as client:
        client.retry = client.retry.__class__(initial_delay=0.01)
        assert (await client.responses.create(model="m", input="hi")).status == "completed"
    async with over_loopback(served, {"x-rillet-fault": "status=429"}, max_retries=0) as client:
        with pytest.raises(RateLimitError):
            await client.responses.create(model="m", input="hi", stream=True)
    async with over_loopback(served, {"x-rillet-fault": "non-sse"}) as client:
        with pytest.raises(NotEventStreamError):
            await client.responses.create(model="m", input="hi", stream=True)


FDS = Path("/proc/self/fd")


def open_descriptors() -> int:
    return len(list(FDS.iterdir()))


@pytest.mark.skipif(not FDS.is_dir(), reason="counts descriptors in /proc (Linux)")
async def test_cancelled_streams_close_their_connections(served: Served) -> None:
    await served.no_open_bodies()
    before = open_descriptors()
    headers = {"x-rillet-recording": TEXT, "x-rillet-delay": "0.002"}
    async with over_loopback(served, headers) as client:
        for stop_after in range(20):
            with anyio.CancelScope() as scope:
                async with await client.responses.create(model="m", input="hi", stream=True) as s:
                    seen = 0
                    async for _ in s:
                        seen += 1
                        if seen > stop_after % 13:
                            scope.cancel()
                            await anyio.lowlevel.checkpoint()
    await served.no_open_bodies()  # the server saw every connection close
    assert open_descriptors() <= before


async def test_a_large_request_body(served: Served) -> None:
    """The server and the emulator both join a body's pieces once (128 MiB: seconds)."""
    size = 128 << 20
    async with httpx.AsyncClient(timeout=60) as http:
        with anyio.fail_after(20):  # linear: seconds; appending each piece to bytes: minutes
            response = await http.post(f"{served.url}/nowhere", content=bytes(size))
    assert response.status_code == 404
    *_, body = served.emulator.requests.pop()  # not kept for the rest of the session
    assert len(body) == size
