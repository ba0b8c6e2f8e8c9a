"""The in-process transports, blocking and async: the emulator's answers with no sockets."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager

import attrs
import httpx
import pytest

from clients import API_KEY, FAST, decoded
from corpus_files import CORPUS
from rillet import APITimeoutError, Client, StreamTruncatedError
from rillet.events import ResponseOutputTextDeltaEvent, ResponseOutputTextDoneEvent
from rillet.testing import (
    Emulator,
    ReplayTransport,
    SyncReplayTransport,
    replay_transport,
    sync_replay_transport,
)

TEXT = "responses/plain_text_sorted_keys_2026.sse"
BODY = (CORPUS / TEXT).read_bytes()
URL = "http://emulator/v1/responses"
STREAM = {"model": "m", "input": "hi", "stream": True}
TIMEOUT = httpx.Timeout(5)


def end_of_event(number: int) -> int:
    """The offset just after event ``number`` (from 1) of the recording."""
    end = 0
    for _ in range(number):
        end = BODY.index(b"\n\n", end) + 2
    return end


@contextmanager
def blocking(
    headers: dict[str, str], timeout: httpx.Timeout = TIMEOUT
) -> Iterator[tuple[httpx.Client, SyncReplayTransport]]:
    transport = sync_replay_transport(Emulator({TEXT: BODY}))
    with httpx.Client(transport=transport, headers=headers, timeout=timeout) as http:
        yield http, transport


def test_a_blocking_client_reads_a_generated_stream() -> None:
    request = {"model": "rillet-text", "input": "Hello there", "stream": True}
    with blocking({}) as (http, transport), http.stream("POST", URL, json=request) as response:
        assert response.headers["content-type"].startswith("text/event-stream")
        chunks = list(response.iter_raw())
        assert transport.open_bodies == 0  # read to the end: closed
    events = decoded(b"".join(chunks))
    assert len(chunks) == len(events)  # one chunk per event, as the emulator sends them
    assert [e.sequence_number for e in events] == list(range(len(events)))  # type: ignore[attr-defined]
    assert events[-1].type == "response.completed"
    deltas = [e.delta for e in events if isinstance(e, ResponseOutputTextDeltaEvent)]
    (done,) = [e.text for e in events if isinstance(e, ResponseOutputTextDoneEvent)]
    assert len(deltas) > 1
    assert "".join(deltas) == done


def test_a_drop_raises_mid_body_after_the_bytes_before_it() -> None:
    headers = {"x-rillet-recording": TEXT, "x-rillet-fault": "drop-after-bytes=1000"}
    received = bytearray()
    with blocking(headers) as (http, transport), http.stream("POST", URL, json=STREAM) as response:
        with pytest.raises(httpx.RemoteProtocolError):
            for chunk in response.iter_raw():
                received += chunk
    assert received == BODY[:1000]
    assert transport.open_bodies == 0


@pytest.mark.parametrize(
    ("headers", "events"),
    [
        ({"x-rillet-fault": "stall-after-events=2"}, 2),
        ({"x-rillet-delay": "600"}, 1),  # a wait longer than the read timeout, not a stall
    ],
    ids=["stall", "long delay"],
)
def test_a_wait_past_the_read_timeout_raises_read_timeout(
    headers: dict[str, str], events: int
) -> None:
    received = bytearray()
    timeout = httpx.Timeout(5, read=0.1)
    with (
        blocking({"x-rillet-recording": TEXT, **headers}, timeout) as (http, _),
        http.stream("POST", URL, json=STREAM) as response,
    ):
        # A read that ignored its timeout would wait until this closes it: ReadError, not a hang.
        watchdog = threading.Timer(60, response.close)
        watchdog.start()
        try:
            with pytest.raises(httpx.ReadTimeout):
                for chunk in response.iter_raw():
                    received += chunk
        finally:
            watchdog.cancel()
    assert received == BODY[: end_of_event(events)]


def test_with_no_read_timeout_a_stall_lasts_until_another_thread_closes() -> None:
    headers = {"x-rillet-recording": TEXT, "x-rillet-fault": "stall-after-events=1"}
    timeout = httpx.Timeout(5, read=None)
    with (
        blocking(headers, timeout) as (http, transport),
        http.stream("POST", URL, json=STREAM) as response,
    ):
        chunks = response.iter_raw()
        assert next(chunks) == BODY[: end_of_event(1)]
        closer = threading.Timer(0.05, response.close)
        closer.start()
        with pytest.raises(httpx.ReadError):
            next(chunks)
        closer.join()
        assert transport.open_bodies == 0


def test_the_blocking_transport_counts_open_bodies_on_itself_and_the_emulator() -> None:
    with blocking({"x-rillet-recording": TEXT}) as (http, transport):
        emulator = transport.emulator
        first = http.send(http.build_request("POST", URL, json=STREAM), stream=True)
        second = http.send(http.build_request("POST", URL, json=STREAM), stream=True)
        assert (transport.open_bodies, emulator.open_bodies) == (2, 2)
        next(first.iter_raw())
        first.close()
        first.close()  # counted once
        assert (transport.open_bodies, emulator.open_bodies) == (1, 1)
        assert second.read() == BODY  # read to the end: closed
        assert (transport.open_bodies, emulator.open_bodies) == (0, 0)


@pytest.mark.anyio
async def test_the_async_transport_counts_open_bodies_on_the_emulator_too() -> None:
    emulator = Emulator({TEXT: BODY})
    transport = replay_transport(emulator)
    async with httpx.AsyncClient(transport=transport) as http:
        response = await http.send(http.build_request("POST", URL, json=STREAM), stream=True)
        assert (transport.open_bodies, emulator.open_bodies) == (1, 1)
        await response.aclose()
        await response.aclose()
        assert (transport.open_bodies, emulator.open_bodies) == (0, 0)


def blocking_chunks(headers: dict[str, str]) -> list[bytes]:
    with blocking(headers) as (http, _), http.stream("POST", URL, json=STREAM) as response:
        return list(response.iter_raw())


@pytest.mark.anyio
async def test_both_transports_send_the_same_chunks() -> None:
    headers = {"x-rillet-recording": TEXT, "x-rillet-chunk-size": "100", "x-rillet-delay": "0.001"}
    transport = ReplayTransport(Emulator({TEXT: BODY}))
    async with (
        httpx.AsyncClient(transport=transport, headers=headers) as http,
        http.stream("POST", URL, json=STREAM) as response,
    ):
        chunks = [chunk async for chunk in response.aiter_raw()]
    assert chunks == [BODY[i : i + 100] for i in range(0, len(BODY), 100)]
    assert blocking_chunks(headers) == chunks


@contextmanager
def blocking_client(
    transport: SyncReplayTransport, responses: list[httpx.Response] | None = None
) -> Iterator[Client]:
    """A rillet client served by ``transport``; the HTTP responses go into ``responses``."""
    hooks = {"response": [(responses if responses is not None else []).append]}
    with (
        httpx.Client(transport=transport, event_hooks=hooks) as http,
        Client(api_key=API_KEY, base_url="http://emulator/v1", http_client=http) as client,
    ):
        yield client


def test_the_blocking_client_in_process() -> None:
    transport = SyncReplayTransport(Emulator())
    fault = {"x-rillet-fault": "drop-after-events=3"}
    with blocking_client(transport) as client:
        with client.responses.create(model="rillet-text", input="hi", stream=True) as stream:
            assert stream.get_final_response().status == "completed"
        with pytest.raises(StreamTruncatedError) as caught:
            with client.responses.create(
                model="rillet-text", input="hi", stream=True, extra_headers=fault
            ) as stream:
                stream.get_final_response()
    assert caught.value.partial is not None
    assert transport.open_bodies == 0


def close_all(responses: list[httpx.Response]) -> None:
    for response in responses:
        response.close()


def test_the_read_timeout_bounds_a_stall_of_the_blocking_client_in_process() -> None:
    transport = SyncReplayTransport(Emulator())
    stall = {"x-rillet-fault": "stall-after-events=3"}
    timeouts = attrs.evolve(FAST, read=0.1)  # what bounds a silent stream in blocking code
    responses: list[httpx.Response] = []
    # A read that ignored its timeout would wait until this closes it: a failure, not a hang.
    watchdog = threading.Timer(60, close_all, [responses])
    watchdog.start()
    try:
        with blocking_client(transport, responses) as client:
            with pytest.raises(APITimeoutError) as caught:
                with client.with_options(timeout=timeouts).responses.create(
                    model="rillet-text", input="hi", stream=True, extra_headers=stall
                ) as stream:
                    stream.get_final_response()
    finally:
        watchdog.cancel()
    assert caught.value.partial is not None
    assert transport.open_bodies == 0
