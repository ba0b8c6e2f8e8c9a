"""The relay's SSE endpoint, served on 127.0.0.1 and read with httpx."""

from __future__ import annotations

import contextlib
import json
from collections.abc import AsyncIterator
from typing import Any

import anyio
import httpx
import pytest

from rillet.events import Event, TextDelta
from rillet.relay import (
    END_EVENT,
    PRODUCER_GONE,
    MemoryBackend,
    Outcome,
    Relay,
    RelayEndpoint,
    RelayError,
    text,
)
from rillet.relay._channel import decode_outcome
from rillet.sse import ServerSentEvent, SSEDecoder
from rillet.testing import serve

pytestmark = [pytest.mark.anyio, pytest.mark.json_independent]


class Gate:
    """A source whose words are let out one batch at a time."""

    def __init__(self) -> None:
        self.send, self.receive = anyio.create_memory_object_stream[list[str]](10)

    async def events(self) -> AsyncIterator[Event]:
        async with self.receive:
            async for words in self.receive:
                for word in words:
                    yield TextDelta(text=word)


class Reader:
    """Reads a response's events as they come, keeping its raw bytes."""

    def __init__(self, response: httpx.Response) -> None:
        self.response = response
        self.chunks = response.aiter_bytes()
        self.decoder = SSEDecoder()
        self.raw = b""

    async def events(self, count: int | None = None) -> list[ServerSentEvent]:
        """The next ``count`` events (or more, if they came together), or all the rest."""
        found: list[ServerSentEvent] = []
        while count is None or len(found) < count:
            try:
                chunk = await anext(self.chunks)
            except StopAsyncIteration:
                break
            self.raw += chunk
            found += self.decoder.feed(chunk)
        return found

    async def aclose(self) -> None:
        """Leave the rest unread: close the response, then run httpx's generators out (else
        trio reports them left to the garbage collector)."""
        await self.response.aclose()
        with contextlib.suppress(httpx.HTTPError):
            async for _ in self.chunks:
                pass


async def read(response: httpx.Response) -> list[ServerSentEvent]:
    return await Reader(response).events()


def served_endpoint(endpoint: RelayEndpoint) -> Any:
    async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] == "http":
            scope["path_params"] = {"channel": scope["path"].rsplit("/", 1)[-1]}
        await endpoint(scope, receive, send)

    return app


async def test_the_endpoint_streams_resumes_and_ends() -> None:
    relay = Relay()
    endpoint = relay.endpoint(retry=1234, keepalive=0.05)
    gate = Gate()
    async with (
        anyio.create_task_group() as group,
        serve(served_endpoint(endpoint)) as url,
        httpx.AsyncClient(base_url=url, timeout=5) as http,
    ):
        group.start_soon(lambda: relay.publish("words", gate.events(), select=text))
        await gate.send.send(["one ", "two "])
        await anyio.sleep(0.05)
        with anyio.fail_after(5):
            async with http.stream("GET", "/relay/words") as response:
                assert response.status_code == 200
                assert response.headers["content-type"].startswith("text/event-stream")
                assert response.headers["cache-control"] == "no-cache"
                assert response.headers["x-accel-buffering"] == "no"
                reader = Reader(response)
                events = await reader.events(2)
                assert reader.raw.startswith(b"retry: 1234\n\n")
                assert [(e.id, e.event, json.loads(e.data)) for e in events] == [
                    ("1", "text", "one "),
                    ("2", "text", "two "),
                ]
                await anyio.sleep(0.15)  # quiet: keepalive comments
                await gate.send.send(["three "])
                more = await reader.events(1)
                assert b": keepalive\n\n" in reader.raw
                assert [(e.id, json.loads(e.data)) for e in more] == [("3", "three ")]
                await reader.aclose()
            # At the live end it follows; beyond it, the id is not this channel's.
            async with http.stream(
                "GET", "/relay/words", headers={"last-event-id": "3"}
            ) as response:
                assert response.status_code == 200
            live = await http.get("/relay/words", headers={"last-event-id": "9"})
            assert live.status_code == 400
            # A reconnection with Last-Event-ID (or lastEventId) gets exactly what follows.
            await gate.send.send(["four "])
            await gate.send.aclose()
            async with http.stream(
                "GET", "/relay/words", headers={"last-event-id": "2"}
            ) as response:
                events = await read(response)
            assert [e.id for e in events] == ["3", "4", "5"]
            assert [json.loads(e.data) for e in events[:2]] == ["three ", "four "]
            assert events[-1].event == END_EVENT
            assert decode_outcome(events[-1].data) == Outcome("completed")
            async with http.stream("GET", "/relay/words?lastEventId=4") as response:
                events = await read(response)
            assert [(e.id, e.event) for e in events] == [("5", END_EVENT)]
            # After the end: 204, so that a browser stops reconnecting.
            response = await http.get("/relay/words", headers={"last-event-id": "5"})
            assert response.status_code == 204
            assert (await http.get("/relay/nothing")).status_code == 404
            assert (
                await http.get("/relay/words", headers={"last-event-id": "x"})
            ).status_code == 400
            # An id beyond the channel's last (another channel's): refused, never followed.
            beyond = await http.get("/relay/words", headers={"last-event-id": "6"})
            assert (beyond.status_code, beyond.text) == (
                400,
                "Last-Event-ID 6 is not an entry of 'words'",
            )
    assert endpoint.open_streams == 0


async def test_a_client_that_disconnects_stops_the_stream() -> None:
    relay = Relay()
    endpoint = relay.endpoint(keepalive=10)
    gate = Gate()
    async with (
        anyio.create_task_group() as group,
        serve(served_endpoint(endpoint)) as url,
        httpx.AsyncClient(base_url=url, timeout=5) as http,
    ):
        group.start_soon(lambda: relay.publish("quiet", gate.events(), select=text))
        await gate.send.send(["one "])
        await anyio.sleep(0.05)
        with anyio.fail_after(5):
            async with http.stream("GET", "/relay/quiet") as response:
                reader = Reader(response)
                await reader.events(1)
                assert endpoint.open_streams == 1
                await reader.aclose()
            while endpoint.open_streams:  # noqa: ASYNC110 - a counter, no event to wait on
                await anyio.sleep(0.01)
        await gate.send.aclose()


async def test_a_client_behind_the_log_and_a_crashed_producer_are_told() -> None:
    backend = MemoryBackend(max_entries=3)
    relay = Relay(backend, producer_check=0.05)
    endpoint = relay.endpoint(keepalive=0.05)
    async with (
        serve(served_endpoint(endpoint)) as url,
        httpx.AsyncClient(base_url=url, timeout=5) as http,
    ):
        await backend.claim("crash", 0.1)  # a producer that dies
        await backend.append("crash", [("text", f'"{n}"') for n in range(10)])
        with anyio.fail_after(5):
            async with http.stream("GET", "/relay/crash") as response:
                events = await read(response)
            assert [e.event for e in events] == ["relay.error"]
            assert "fell behind" in json.loads(events[0].data)["message"]
            async with http.stream(
                "GET", "/relay/crash", headers={"last-event-id": "8"}
            ) as response:
                events = await read(response)
            assert [(e.id, e.event) for e in events] == [
                ("9", "text"),
                ("10", "text"),
                ("10", END_EVENT),
            ]
            assert decode_outcome(events[-1].data) == PRODUCER_GONE


async def test_starlette_routes_and_fastapi_endpoints_serve_it() -> None:
    from fastapi import FastAPI, Header  # noqa: PLC0415
    from starlette.responses import Response  # noqa: PLC0415
    from starlette.routing import Mount, Route  # noqa: PLC0415

    relay = Relay()
    app = FastAPI()

    @app.get("/stream/{channel}")
    async def stream(channel: str, last_event_id: str | None = Header(None)) -> Response:  # noqa: FAST002
        return relay.response(channel, last_event_id)

    app.router.routes.append(Mount("/mounted", routes=[Route("/{channel}", relay.endpoint())]))

    async def source() -> AsyncIterator[Event]:
        for word in ["a ", "b ", "c "]:
            yield TextDelta(text=word)

    await relay.publish("abc", source(), select=text)
    async with serve(app) as url, httpx.AsyncClient(base_url=url, timeout=5) as http:
        for path in ["/stream/abc", "/mounted/abc"]:
            async with http.stream("GET", path, headers={"last-event-id": "1"}) as response:
                events = await read(response)
            assert [(e.id, e.event) for e in events] == [
                ("2", "text"),
                ("3", "text"),
                ("4", END_EVENT),
            ]
            assert (await http.get(path.replace("abc", "xyz"))).status_code == 404


async def test_an_endpoint_without_a_channel_parameter_says_how_to_mount_it() -> None:
    async def nothing() -> dict[str, Any]:
        return {"type": "http.disconnect"}

    async def ignore(message: Any) -> None:
        del message

    scope = {"type": "http", "path": "/relay", "headers": [], "query_string": b""}
    with pytest.raises(RelayError, match=r"Route\('/relay/\{channel\}'"):
        await Relay().endpoint()(scope, nothing, ignore)
