"""Faults a misbehaving server (or user) caused, through the clients, on both loops and blocking.

Each test here failed before the stream machine: the behaviour it checks lived in the I/O
wrappers, and differed between them.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any

import anyio
import attrs
import httpx
import pytest

from clients import API_KEY, FAST, background_stream, decoded
from corpus_files import CORPUS
from rillet import (
    APIStatusError,
    APITimeoutError,
    AsyncClient,
    AzureClient,
    Client,
    EventDecodeError,
    InvalidResponseError,
    RetryPolicy,
    StreamTruncatedError,
    Timeouts,
)
from rillet._protocols import ResponsesProtocol
from rillet.events import Event, Response
from rillet.testing import Emulator, Fault, SyncReplayTransport, serve_in_thread

TEXT = "responses/plain_text_sorted_keys_2026.sse"
BODY = (CORPUS / TEXT).read_bytes()
BODIES = {TEXT: BODY}
EVENTS = decoded(BODY)
ENDS = [i + 2 for i in range(len(BODY)) if BODY.startswith(b"\n\n", i)]
BAD = b'event: response.output_text.delta\ndata: {"type": "response.output_text.delta", \n\n'
SSE = {"content-type": "text/event-stream"}


class _Chunks(httpx.AsyncByteStream, httpx.SyncByteStream):
    """A body of given chunks (``None``: wait a moment), counting what was taken."""

    def __init__(self, chunks: list[bytes | None] | Iterator[bytes]) -> None:
        self._chunks = iter(chunks)
        self.taken = 0
        self.closed = False

    async def aclose(self) -> None:
        self.closed = True

    def close(self) -> None:
        self.closed = True

    async def __aiter__(self) -> AsyncIterator[bytes]:
        for chunk in self._chunks:
            if self.closed:  # as a connection does: nothing more once closed
                return
            if chunk is None:
                await anyio.sleep(0.05)
                continue
            self.taken += len(chunk)
            yield chunk

    def __iter__(self) -> Iterator[bytes]:
        for chunk in self._chunks:
            if self.closed:
                return
            if chunk is not None:
                self.taken += len(chunk)
                yield chunk


def answering(
    status: int, headers: dict[str, str], chunks: list[bytes | None] | Iterator[bytes]
) -> tuple[httpx.MockTransport, _Chunks]:
    body = _Chunks(chunks)

    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(status, headers=headers, stream=body)

    return httpx.MockTransport(handler), body


def async_client(transport: httpx.MockTransport) -> AsyncClient:
    http = httpx.AsyncClient(transport=transport)
    return AsyncClient(api_key=API_KEY, base_url="http://api/v1", http_client=http, timeout=FAST)


def sync_client(transport: httpx.MockTransport) -> Client:
    http = httpx.Client(transport=transport)
    return Client(api_key=API_KEY, base_url="http://api/v1", http_client=http, timeout=FAST)


def with_bad_event(at: int) -> bytes:
    return BODY[: ENDS[at - 1]] + BAD + BODY[ENDS[at - 1] :]


@pytest.mark.anyio
async def test_events_read_with_a_malformed_one_are_delivered_before_the_error() -> None:
    transport, _ = answering(200, SSE, [with_bad_event(4)])  # one read: 4 events, the bad one
    events: list[Event] = []
    async with async_client(transport) as client:
        stream = await client.responses.create(model="m", input="hi", stream=True)
        with pytest.raises(EventDecodeError):
            async for event in stream:
                events.append(event)
    assert events == EVENTS[:4]


def test_events_read_with_a_malformed_one_are_delivered_before_the_error_blocking() -> None:
    transport, _ = answering(200, SSE, [with_bad_event(4)])
    events: list[Event] = []
    with sync_client(transport) as client:
        stream = client.responses.create(model="m", input="hi", stream=True)
        with pytest.raises(EventDecodeError):
            for event in stream:
                events.append(event)
    assert events == EVENTS[:4]


AFTER_THE_END = [b"data: [DONE]\n\n", b"data: {not json\n\n", b"\xff\x00 junk"]


@pytest.mark.anyio
@pytest.mark.parametrize("after", AFTER_THE_END, ids=["DONE", "bad JSON", "junk"])
async def test_nothing_after_the_terminal_event_turns_it_into_an_error(after: bytes) -> None:
    transport, _ = answering(200, SSE, [BODY + after])
    async with async_client(transport) as client:
        stream = await client.responses.create(model="m", input="hi", stream=True)
        events = [event async for event in stream]
        final = await stream.final_response()
    assert events == EVENTS
    assert final.status == "completed"


@pytest.mark.parametrize("after", AFTER_THE_END, ids=["DONE", "bad JSON", "junk"])
def test_nothing_after_the_terminal_event_turns_it_into_an_error_blocking(after: bytes) -> None:
    transport, _ = answering(200, SSE, [BODY + after])
    with sync_client(transport) as client:
        final = client.responses.create(model="m", input="hi", stream=True).get_final_response()
    assert final.status == "completed"


@pytest.mark.anyio
async def test_cancelling_one_reader_costs_another_nothing() -> None:
    pieces: list[bytes | None] = []
    for start, end in zip([0, *ENDS], ENDS, strict=False):
        pieces += [None, BODY[start:end]]  # each event after a pause
    transport, _ = answering(200, SSE, pieces)
    seen: list[Event] = []
    async with async_client(transport) as client:
        stream = await client.responses.create(model="m", input="hi", stream=True)

        async def reader() -> None:
            async for event in stream:
                seen.append(event)

        async def cancelled() -> None:
            with anyio.move_on_after(0.02):  # mid-read: it holds the network read
                async for _ in stream:
                    pass

        async with anyio.create_task_group() as group:
            group.start_soon(cancelled)
            await anyio.sleep(0.005)
            group.start_soon(reader)
        final = await stream.final_response()
    assert seen == EVENTS
    assert final.status == "completed"


def test_after_a_keyboard_interrupt_the_stream_raises_a_rillet_error() -> None:
    def interrupted() -> Iterator[bytes]:
        yield BODY[: ENDS[3]]
        raise KeyboardInterrupt

    transport, _ = answering(200, SSE, interrupted())
    with sync_client(transport) as client:
        stream = client.responses.create(model="m", input="hi", stream=True)
        with pytest.raises(KeyboardInterrupt):
            for _ in stream:
                pass
        with pytest.raises(StreamTruncatedError) as caught:
            stream.get_final_response()
    assert caught.value.code == "cancelled"
    again: list[Event] = []
    with pytest.raises(StreamTruncatedError):
        for event in stream:
            again.append(event)
    assert again == EVENTS[:4]  # what arrived stays readable


@pytest.mark.anyio
async def test_an_error_body_is_read_only_as_far_as_needed() -> None:
    message = json.dumps({"error": {"message": "down"}}).encode()
    huge = iter([message[:-1], *[b" " * 65536] * 3200])  # 200 MiB of error body
    transport, body = answering(503, {"content-type": "application/json"}, huge)
    client = AsyncClient(
        api_key=API_KEY,
        base_url="http://api/v1",
        http_client=httpx.AsyncClient(transport=transport),
        max_retries=0,
    )
    async with client:
        with pytest.raises(APIStatusError) as caught:
            await client.responses.create(model="m", input="hi", stream=True)
    assert caught.value.status_code == 503
    assert body.taken < 1 << 20


@pytest.mark.parametrize(
    ("status", "headers", "content", "error"),
    [
        (200, {"content-type": "text/html"}, b"<html>maintenance</html>", InvalidResponseError),
        (200, {"content-type": "application/json"}, b'"not an object"', InvalidResponseError),
        (302, {"location": "http://elsewhere/"}, b"", APIStatusError),
    ],
    ids=["HTML", "not an object", "redirect"],
)
def test_a_non_streaming_call_answered_with_something_else_raises_a_rillet_error(
    status: int, headers: dict[str, str], content: bytes, error: type[Exception]
) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(status, headers=headers, content=content)

    http = httpx.Client(transport=httpx.MockTransport(handler))
    with Client(api_key=API_KEY, base_url="http://api/v1", http_client=http) as client:
        with pytest.raises(error):
            client.responses.create(model="m", input="hi")


def test_an_azure_key_never_follows_a_redirect_to_another_origin() -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        if request.url.host == "azure.example":
            return httpx.Response(307, headers={"location": "http://attacker.example/steal"})
        return httpx.Response(200, json={})

    http = httpx.Client(transport=httpx.MockTransport(handler), follow_redirects=True)
    client = AzureClient(
        api_key="azure-key-0123456789",
        azure_endpoint="http://azure.example",
        api_version="2025-01-01",
        http_client=http,
        max_retries=0,
    )
    make: Callable[..., Any] = client.responses.create
    with pytest.raises(APIStatusError):
        make(model="m", input="hi", stream=True)
    with pytest.raises(APIStatusError):
        make(model="m", input="hi")
    assert {request.url.host for request in seen} == {"azure.example"}


@pytest.mark.anyio
async def test_the_total_deadline_holds_while_a_rate_limit_is_waited_out() -> None:
    """The server asks for 10 s; the caller gave the whole call 0.3 s."""

    def handler(request: httpx.Request) -> httpx.Response:
        body = {"error": {"message": "slow down"}}
        return httpx.Response(429, headers={"retry-after": "10"}, json=body)

    timeouts = attrs.evolve(FAST, total=0.3)
    http = httpx.AsyncClient(transport=httpx.MockTransport(handler))
    client = AsyncClient(api_key=API_KEY, base_url="http://api/v1", http_client=http)
    async with client:
        with anyio.fail_after(5), pytest.raises(APITimeoutError) as caught:
            await client.responses.create(model="m", input="hi", stream=True, timeout=timeouts)
    assert caught.value.kind == "total"


RESUMABLE = background_stream()
RESUMABLE_ENDS = [i + 2 for i in range(len(RESUMABLE)) if RESUMABLE.startswith(b"\n\n", i)]


class _Dropped(httpx.AsyncByteStream, httpx.SyncByteStream):
    """A body that breaks after ``data``, as a dropped connection does."""

    def __init__(self, data: bytes) -> None:
        self._data = data

    async def __aiter__(self) -> AsyncIterator[bytes]:
        yield self._data
        raise httpx.RemoteProtocolError("peer closed connection")  # noqa: TRY003

    def __iter__(self) -> Iterator[bytes]:
        yield self._data
        raise httpx.RemoteProtocolError("peer closed connection")  # noqa: TRY003


def resumed_with(rest: bytes) -> httpx.MockTransport:
    """The stream drops after six events; its resume answers ``rest``."""

    def handler(request: httpx.Request) -> httpx.Response:
        if request.method == "POST":
            return httpx.Response(200, headers=SSE, stream=_Dropped(RESUMABLE[: RESUMABLE_ENDS[5]]))
        return httpx.Response(200, headers=SSE, content=rest)

    return httpx.MockTransport(handler)


RESUMES = {
    "sequence_gap": RESUMABLE[RESUMABLE_ENDS[8] :],  # events 6 to 8 are missing
    "other_response": RESUMABLE[RESUMABLE_ENDS[5] :].replace(b'"id":"resp_', b'"id":"resp_x'),
}


@pytest.mark.anyio
@pytest.mark.parametrize("code", list(RESUMES))
async def test_a_resume_that_does_not_continue_the_stream_is_an_error(code: str) -> None:
    retry = RetryPolicy(initial_delay=0.001, max_delay=0.001)
    http = httpx.AsyncClient(transport=resumed_with(RESUMES[code]))
    client = AsyncClient(
        api_key=API_KEY, base_url="http://api/v1", http_client=http, max_retries=retry
    )
    async with client:
        stream = await client.responses.create(model="m", input="hi", stream=True, background=True)
        with pytest.raises(StreamTruncatedError) as caught:
            await stream.final_response()
    assert caught.value.code == code
    assert isinstance(caught.value.partial, Response)
    assert caught.value.partial.status != "completed"  # nothing of it spliced in


@pytest.mark.parametrize("code", list(RESUMES))
def test_a_resume_that_does_not_continue_the_stream_is_an_error_blocking(code: str) -> None:
    retry = RetryPolicy(initial_delay=0.001, max_delay=0.001)
    http = httpx.Client(transport=resumed_with(RESUMES[code]))
    client = Client(api_key=API_KEY, base_url="http://api/v1", http_client=http, max_retries=retry)
    with client:
        stream = client.responses.create(model="m", input="hi", stream=True, background=True)
        with pytest.raises(StreamTruncatedError) as caught:
            stream.get_final_response()
    assert caught.value.code == code


def test_a_blocking_stream_closed_from_another_thread_stops_its_reader() -> None:
    """No timeout at all: only the close from another thread can end the stalled read."""
    stall = Fault(kind="stall-after-events", count=3).headers()
    http = httpx.Client(transport=SyncReplayTransport(Emulator(BODIES)))
    none = Timeouts(connect=5, read=None, write=5, pool=5, first_event=None)
    client = Client(api_key=API_KEY, base_url="http://api/v1", http_client=http, timeout=none)
    stream = client.responses.create(
        model="m", input="hi", stream=True, extra_headers={**stall, "x-rillet-recording": TEXT}
    )
    events: list[Event] = []
    reader = threading.Thread(target=lambda: events.extend(stream))
    reader.start()
    time.sleep(0.2)  # the reader is now waiting in the stall
    stream.close()
    reader.join(10)
    assert not reader.is_alive()
    assert events == EVENTS[:3]


@pytest.mark.parametrize("where", ["stall after the end", "stall before the end"])
def test_a_blocking_read_holds_the_streams_deadlines_over_a_socket(where: str) -> None:
    """A server that goes quiet (connection open): after the end the drain (2 s) bounds the
    wait, before it the idle timeout does; never the 60 s read timeout."""
    count = len(EVENTS) if where == "stall after the end" else 5
    headers = {
        **Fault(kind="stall-after-events", count=count).headers(),
        "x-rillet-recording": TEXT,
    }
    slow = Timeouts(connect=5, read=60, write=5, pool=5, first_event=None, idle=0.5)
    outcome: list[object] = []

    def read() -> None:
        with serve_in_thread(Emulator(BODIES)) as url:
            client = Client(api_key=API_KEY, base_url=f"{url}/v1", timeout=slow, max_retries=0)
            with client:
                stream = client.responses.create(
                    model="m", input="hi", stream=True, extra_headers=headers
                )
                try:
                    outcome.append(stream.get_final_response())
                except APITimeoutError as error:
                    outcome.append(error)

    reader = threading.Thread(target=read)
    reader.start()
    reader.join(30)  # far less than the read timeout, far more than the drain or idle
    assert not reader.is_alive()
    (result,) = outcome
    if where == "stall after the end":
        assert isinstance(result, Response)
        assert result.status == "completed"
    else:
        assert isinstance(result, APITimeoutError)
        assert result.kind == "idle"


@pytest.mark.anyio
async def test_final_response_after_an_iteration_parses_no_event_again(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    parsed: list[bytes] = []
    receive_all, replay = ResponsesProtocol.receive_all, ResponsesProtocol.replay

    def receiving(self: ResponsesProtocol, chunk: bytes, events: Any, record: Any) -> bool:
        events = list(events)
        parsed.extend(sse.raw_data for sse in events)
        return receive_all(self, chunk, events, record)

    def replaying(self: ResponsesProtocol, entry: tuple[str | None, bytes]) -> Event:
        parsed.append(entry[1])
        return replay(self, entry)

    monkeypatch.setattr(ResponsesProtocol, "receive_all", receiving)
    monkeypatch.setattr(ResponsesProtocol, "replay", replaying)
    transport, _ = answering(200, SSE, [BODY[: ENDS[10]], BODY[ENDS[10] :]])
    async with async_client(transport) as client:
        stream = await client.responses.create(model="m", input="hi", stream=True)
        async for _ in stream:
            pass
        await stream.final_response()
    assert len(parsed) == len(EVENTS)  # each event once: the final response replayed none
