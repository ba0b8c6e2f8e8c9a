"""The generic SSE client's faults, each fixed: timeouts, server-controlled input, redirects,
and httpx's generators closed when a source is closed early."""

from __future__ import annotations

import sys
import time
from collections.abc import AsyncGenerator, AsyncIterator, Awaitable, Callable, Iterator
from typing import Any

import anyio
import httpx
import pytest

from conftest import serve_with_uvicorn
from rillet import APITimeoutError, NotFoundError, RilletError, StreamTruncatedError
from rillet.sse import connect, connect_sync

pytestmark = pytest.mark.json_independent

Receive = Callable[[], Awaitable[dict[str, Any]]]
Send = Callable[[dict[str, Any]], Awaitable[None]]
EVENT_STREAM = [(b"content-type", b"text/event-stream")]


class App:
    """``/quiet?seconds=S``: event 1 (unless asked for what follows it), S seconds of silence,
    event 2, the end.
    ``/unicode``: an event with a non-ASCII id, then a drop; again (with the id): the end.
    ``/moved``: a redirect to ``/quiet?seconds=0``."""

    def __init__(self) -> None:
        self.last_event_ids: list[bytes] = []
        self.connections = 0

    async def __call__(self, scope: dict[str, Any], receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return
        self.connections += 1
        last = dict(scope["headers"]).get(b"last-event-id", b"")
        self.last_event_ids.append(last)
        if scope["path"] == "/moved":
            headers = [(b"location", b"/quiet?seconds=0")]
            await send({"type": "http.response.start", "status": 307, "headers": headers})
            await send({"type": "http.response.body", "body": b""})
            return
        await send({"type": "http.response.start", "status": 200, "headers": EVENT_STREAM})
        if scope["path"] == "/unicode":
            if last:
                await send({"type": "http.response.body", "body": b"data: again\n\n"})
            else:
                body = "id: \u00e9t\u00e9-1\ndata: first\n\n".encode()
                await send({"type": "http.response.body", "body": body, "more_body": True})
            return  # the first time, without finishing the body: a drop
        seconds = float(scope["query_string"].decode().partition("=")[2] or 0)
        body = b"" if last else b"id: 1\ndata: one\n\n"  # again (from 1): nothing new yet
        await send({"type": "http.response.body", "body": body, "more_body": True})
        with anyio.move_on_after(seconds):  # quiet; a client that leaves ends it early
            while (await receive())["type"] != "http.disconnect":
                pass
            return
        await send({"type": "http.response.body", "body": b"id: 2\ndata: two\n\n"})


@pytest.fixture(scope="module")
def served() -> Iterator[tuple[str, App]]:
    app = App()
    with serve_with_uvicorn(app) as url:
        yield url, app


@pytest.fixture
def short_httpx_default(monkeypatch: pytest.MonkeyPatch) -> None:
    """httpx's default timeouts (5 s), made short so that a test need not wait 5 s."""
    short = httpx.Timeout(0.2)
    for client in (httpx.AsyncClient, httpx.Client):
        defaults = client.__init__.__kwdefaults__
        assert defaults is not None
        monkeypatch.setitem(defaults, "timeout", short)


# -- 1. a quiet stream is not a dropped one; a timeout says so ---------------------------------


@pytest.mark.anyio
@pytest.mark.usefixtures("short_httpx_default")
async def test_a_quiet_stream_gets_no_read_timeout(served: tuple[str, App]) -> None:
    url, app = served
    app.connections = 0
    async with connect(f"{url}/quiet?seconds=1", max_reconnects=1) as source:
        assert [sse.data async for sse in source] == ["one", "two"]
        assert source.reconnects == 0
    assert app.connections == 1


@pytest.mark.usefixtures("short_httpx_default")
def test_a_quiet_stream_gets_no_read_timeout_sync(served: tuple[str, App]) -> None:
    url, app = served
    app.connections = 0
    with connect_sync(f"{url}/quiet?seconds=1", max_reconnects=1) as source:
        assert [sse.data for sse in source] == ["one", "two"]
        assert source.reconnects == 0
    assert app.connections == 1


def _assert_read_timeout(error: BaseException) -> None:
    assert isinstance(error, APITimeoutError)
    assert error.kind == "read"
    assert "read timeout" in str(error)
    assert "1 attempts in a row failed" in str(error)
    assert isinstance(error.__cause__, httpx.ReadTimeout)


@pytest.mark.anyio
async def test_a_read_timeout_asked_for_is_one_and_says_so(served: tuple[str, App]) -> None:
    url, _ = served
    seen: list[str] = []
    async with connect(f"{url}/quiet?seconds=10", timeout=0.2, max_reconnects=1) as source:
        with pytest.raises(RilletError) as caught:
            async for sse in source:
                seen.append(sse.data)
    assert seen == ["one"]
    _assert_read_timeout(caught.value)


def test_a_read_timeout_asked_for_is_one_and_says_so_sync(served: tuple[str, App]) -> None:
    url, _ = served
    seen: list[str] = []
    with connect_sync(f"{url}/quiet?seconds=10", timeout=0.2, max_reconnects=1) as source:
        with pytest.raises(RilletError) as caught:
            seen.extend(sse.data for sse in source)
    assert seen == ["one"]
    _assert_read_timeout(caught.value)


# -- 2. what the server sends never raises anything but a RilletError --------------------------


@pytest.mark.anyio
async def test_a_non_ascii_id_is_sent_back_as_utf8(served: tuple[str, App]) -> None:
    url, app = served
    app.last_event_ids.clear()
    async with connect(f"{url}/unicode", reconnect_delay=0) as source:
        assert [sse.data async for sse in source] == ["first", "again"]
        assert source.last_event_id == "\u00e9t\u00e9-1"
    assert app.last_event_ids == [b"", "\u00e9t\u00e9-1".encode()]


def test_a_non_ascii_id_is_sent_back_as_utf8_sync(served: tuple[str, App]) -> None:
    url, app = served
    app.last_event_ids.clear()
    with connect_sync(f"{url}/unicode", reconnect_delay=0) as source:
        assert [sse.data for sse in source] == ["first", "again"]
    assert app.last_event_ids == [b"", "\u00e9t\u00e9-1".encode()]


HUGE_RETRY = b"retry: " + b"9" * 400 + b"\nid: 1\ndata: one\n\n"


class _Dropping(httpx.AsyncByteStream, httpx.SyncByteStream):
    """A body that sends ``chunk``, then breaks."""

    def __init__(self, chunk: bytes) -> None:
        self.chunk = chunk

    async def __aiter__(self) -> AsyncIterator[bytes]:
        yield self.chunk
        raise httpx.ReadError("dropped")

    def __iter__(self) -> Iterator[bytes]:
        yield self.chunk
        raise httpx.ReadError("dropped")


def _huge_retry_then_done(request: httpx.Request) -> httpx.Response:
    if request.headers.get("last-event-id"):
        return httpx.Response(204)
    return httpx.Response(200, headers=EVENT_STREAM, stream=_Dropping(HUGE_RETRY))


@pytest.mark.anyio
async def test_a_huge_retry_waits_the_longest_delay(monkeypatch: pytest.MonkeyPatch) -> None:
    waits: list[float] = []

    async def sleep_until(deadline: float) -> None:
        waits.append(deadline - anyio.current_time())

    monkeypatch.setattr(anyio, "sleep_until", sleep_until)
    transport = httpx.MockTransport(_huge_retry_then_done)
    async with (
        httpx.AsyncClient(transport=transport) as http,
        connect(http, "GET", "http://test/events") as source,
    ):
        assert [sse.data async for sse in source] == ["one"]
        assert source.retry == 9_999_999_999  # the decoder caps what it cannot use
    assert max(waits) == pytest.approx(30.0, abs=1.0)


def test_a_huge_retry_waits_the_longest_delay_sync(monkeypatch: pytest.MonkeyPatch) -> None:
    waits: list[float] = []
    monkeypatch.setattr(time, "sleep", waits.append)
    transport = httpx.MockTransport(_huge_retry_then_done)
    with (
        httpx.Client(transport=transport) as http,
        connect_sync(http, "GET", "http://test/events") as source,
    ):
        assert [sse.data for sse in source] == ["one"]
    assert max(waits) == pytest.approx(30.0, abs=1.0)


def _garbled(request: httpx.Request) -> httpx.Response:
    headers = [*EVENT_STREAM, (b"content-encoding", b"gzip")]
    return httpx.Response(200, headers=headers, content=b"data: not gzip\n\n")


@pytest.mark.anyio
async def test_a_body_that_cannot_be_decoded_is_a_rillet_error() -> None:
    transport = httpx.MockTransport(_garbled)
    async with (
        httpx.AsyncClient(transport=transport) as http,
        connect(http, "GET", "http://test/events", max_reconnects=0) as source,
    ):
        with pytest.raises(RilletError) as caught:
            await anext(aiter(source))
    assert isinstance(caught.value.__cause__, httpx.DecodingError)


def test_a_body_that_cannot_be_decoded_is_a_rillet_error_sync() -> None:
    transport = httpx.MockTransport(_garbled)
    with (
        httpx.Client(transport=transport) as http,
        connect_sync(http, "GET", "http://test/events", max_reconnects=0) as source,
    ):
        with pytest.raises(RilletError) as caught:
            next(source)
    assert isinstance(caught.value.__cause__, httpx.DecodingError)


# -- 3. follow_redirects is an option of sending -----------------------------------------------


@pytest.mark.anyio
async def test_redirects_can_be_followed(served: tuple[str, App]) -> None:
    url, _ = served
    async with connect(f"{url}/moved", follow_redirects=True) as source:
        assert [sse.data async for sse in source] == ["one", "two"]
        assert source.response is not None
        assert source.response.url.path == "/quiet"


def test_redirects_can_be_followed_sync(served: tuple[str, App]) -> None:
    url, _ = served
    with connect_sync(f"{url}/moved", follow_redirects=True) as source:
        assert [sse.data for sse in source] == ["one", "two"]


# -- 4. closing early leaves no httpx generator to the garbage collector -----------------------


@pytest.mark.anyio
async def test_closing_early_finishes_httpx_generators(served: tuple[str, App]) -> None:
    url, _ = served
    started: list[AsyncGenerator[Any, Any]] = []
    firstiter, finalizer = sys.get_asyncgen_hooks()

    def record(generator: AsyncGenerator[Any, Any]) -> None:
        started.append(generator)
        if firstiter is not None:
            firstiter(generator)

    sys.set_asyncgen_hooks(firstiter=record, finalizer=finalizer)
    try:
        async with connect(f"{url}/quiet?seconds=10") as source:
            async for sse in source:
                assert sse.data == "one"
                break
    finally:
        sys.set_asyncgen_hooks(firstiter=firstiter, finalizer=finalizer)
    names = [getattr(generator, "__qualname__", "") for generator in started]
    assert "Response.aiter_bytes" in names
    running = [n for n, g in zip(names, started, strict=True) if getattr(g, "ag_frame", None)]
    assert running == []


def test_a_refused_reconnection_is_a_truncation_caused_by_the_refusal() -> None:
    def answer(request: httpx.Request) -> httpx.Response:
        if request.headers.get("last-event-id"):
            return httpx.Response(404, json={"error": {"message": "gone"}})
        assert request.headers["authorization"].startswith("Basic ")  # auth= goes to send
        return httpx.Response(200, headers=EVENT_STREAM, stream=_Dropping(b"id: 1\ndata: a\n\n"))

    transport = httpx.MockTransport(answer)
    with (
        httpx.Client(transport=transport) as http,
        connect_sync(http, "GET", "http://test/", reconnect_delay=0, auth=("u", "p")) as source,
    ):
        with pytest.raises(StreamTruncatedError) as caught:
            list(source)
    assert caught.value.code == "resume_refused"
    assert isinstance(caught.value.__cause__, NotFoundError)
