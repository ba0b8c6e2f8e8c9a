"""The generic SSE client: any endpoint, MIME rules, reconnection with Last-Event-ID."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterator
from typing import Any

import pytest

from conftest import serve_with_uvicorn
from rillet import NotEventStreamError, NotFoundError, StreamTruncatedError
from rillet.sse import connect, connect_sync

pytestmark = pytest.mark.json_independent

Receive = Callable[[], Awaitable[dict[str, Any]]]
Send = Callable[[dict[str, Any]], Awaitable[None]]


class Flaky:
    """Sends events 1..9 with ids, three per connection, dropping the connection in between.

    The first connection also sets the reconnection time (``retry: 20``).
    """

    def __init__(self) -> None:
        self.last_event_ids: list[str] = []

    async def __call__(self, scope: dict[str, Any], receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return
        path = scope["path"]
        if path == "/json":
            await _answer(send, 200, b"application/json", b"{}")
            return
        if path == "/missing":
            await _answer(send, 404, b"application/json", b'{"error": {"message": "nope"}}')
            return
        if path == "/done":
            await send({"type": "http.response.start", "status": 204, "headers": []})
            await send({"type": "http.response.body", "body": b""})
            return
        headers = dict(scope["headers"])
        last = headers.get(b"last-event-id", b"").decode()
        self.last_event_ids.append(last)
        start = int(last or 0)
        await send(
            {
                "type": "http.response.start",
                "status": 200,
                "headers": [(b"content-type", b"text/event-stream; charset=utf-8")],
            }
        )
        body = b"retry: 20\n\n" if start == 0 else b""
        end = min(start + 3, 9)
        for number in range(start + 1, end + 1):
            body += b"id: %d\ndata: event %d\n\n" % (number, number)
        await send({"type": "http.response.body", "body": body, "more_body": True})
        if end == 9 or path == "/once":
            await send({"type": "http.response.body", "body": b"", "more_body": False})
        # Otherwise: return without finishing the body, and the connection drops.


async def _answer(send: Send, status: int, content_type: bytes, body: bytes) -> None:
    headers = [(b"content-type", content_type)]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


@pytest.fixture(scope="module")
def flaky() -> Iterator[tuple[str, Flaky]]:
    app = Flaky()
    with serve_with_uvicorn(app) as url:
        yield url, app


@pytest.mark.anyio
async def test_the_async_source_reconnects_with_the_last_event_id(
    flaky: tuple[str, Flaky],
) -> None:
    url, app = flaky
    app.last_event_ids.clear()
    async with connect(f"{url}/events", reconnect_delay=10) as source:
        events = [(sse.id, sse.data) async for sse in source]
        assert source.reconnects == 2
        assert source.retry == 20  # the server's, in ms (not the 10 s given)
        assert source.last_event_id == "9"
    assert events == [(str(n), f"event {n}") for n in range(1, 10)]
    assert app.last_event_ids == ["", "3", "6"]


def test_the_sync_source_reconnects_too(flaky: tuple[str, Flaky]) -> None:
    url, app = flaky
    app.last_event_ids.clear()
    with connect_sync(f"{url}/events", last_event_id="3") as source:
        events = [sse.data for sse in source]
    assert events == [f"event {n}" for n in range(4, 10)]
    assert app.last_event_ids == ["3", "6"]


@pytest.mark.anyio
async def test_it_gives_up_after_max_reconnects(flaky: tuple[str, Flaky]) -> None:
    url, _ = flaky
    async with connect(f"{url}/events", max_reconnects=0) as source:
        seen = []
        with pytest.raises(StreamTruncatedError) as caught:
            async for sse in source:
                seen.append(sse.data)
    assert seen == ["event 1", "event 2", "event 3"]
    assert caught.value.code == "resume_failed"
    assert caught.value.progress is not None
    assert caught.value.progress.events_received == 3


@pytest.mark.anyio
async def test_mime_type_status_and_no_content(flaky: tuple[str, Flaky]) -> None:
    url, _ = flaky
    async with connect(f"{url}/json") as source:
        with pytest.raises(NotEventStreamError, match="application/json"):
            await anext(aiter(source))
    async with connect(f"{url}/missing") as source:
        with pytest.raises(NotFoundError, match="nope"):
            await anext(aiter(source))
    async with connect(f"{url}/done") as source:
        assert [sse async for sse in source] == []
    async with connect(f"{url}/once") as source:  # a body that ends normally ends the stream
        assert [sse.id async for sse in source] == ["1", "2", "3"]
        assert source.reconnects == 0


def test_a_client_of_ones_own(flaky: tuple[str, Flaky]) -> None:
    import httpx  # noqa: PLC0415

    url, _ = flaky
    with httpx.Client() as http, connect_sync(http, "GET", f"{url}/once") as source:
        assert [sse.data for sse in source] == ["event 1", "event 2", "event 3"]
        assert not http.is_closed
    with pytest.raises(TypeError, match="url is missing"), connect_sync(http):
        pass
