"""rillet's own HTTP server (``rillet.testing.serve``), beyond what the emulator's tests cover."""

from __future__ import annotations

from contextlib import suppress
from typing import Any

import anyio
import httpx
import pytest

from rillet import APITimeoutError, AsyncClient, Timeouts
from rillet._pool import ShardedTransport
from rillet.testing import Emulator, serve

pytestmark = [pytest.mark.anyio, pytest.mark.json_independent]


async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
    """Echoes the request body; fails on ``/boom`` before answering."""
    if scope["path"] == "/boom":
        message = "the app's bug"
        raise RuntimeError(message)
    body = (await receive())["body"]
    await send({"type": "http.response.start", "status": 201, "headers": [(b"x-echo", b"1")]})
    for piece in (body[:3], body[3:]):
        await send({"type": "http.response.body", "body": piece, "more_body": True})
    await send({"type": "http.response.body", "body": b"", "more_body": False})


async def test_requests_on_one_connection_and_an_app_failure(
    caplog: pytest.LogCaptureFixture,
) -> None:
    async with serve(app) as url, httpx.AsyncClient(base_url=url) as client:
        first = await client.post("/echo", content=b"hello there")
        failed = await client.get("/boom")
        again = await client.post("/echo", content=b"still serving")
    assert (first.status_code, first.headers["x-echo"], first.content) == (201, "1", b"hello there")
    assert failed.status_code == 500
    assert again.content == b"still serving"
    assert "the app failed on GET /boom" in caplog.text


async def test_a_malformed_request_gets_400_and_the_connection_closes() -> None:
    async with serve(app) as url:
        host, port = url.removeprefix("http://").split(":")
        async with await anyio.connect_tcp(host, int(port)) as stream:
            await stream.send(b"NOT HTTP AT ALL\r\n\r\n")
            with anyio.fail_after(5):
                assert (await _read_all(stream)).startswith(b"HTTP/1.1 400 ")


async def _read_all(stream: anyio.abc.SocketStream) -> bytes:
    data = b""
    try:
        while True:
            data += await stream.receive()
    except (anyio.EndOfStream, anyio.BrokenResourceError):
        return data


async def length(scope: dict[str, Any], receive: Any, send: Any) -> None:
    """Answers the request body's length."""
    body = (await receive())["body"]
    await send({"type": "http.response.start", "status": 200, "headers": []})
    await send({"type": "http.response.body", "body": str(len(body)).encode()})


async def test_a_large_body_is_joined_once() -> None:
    # Appending each read to bytes copies the body so far every time: 128 MiB took minutes.
    size = 128 << 20
    async with serve(length) as url, httpx.AsyncClient(base_url=url, timeout=60) as client:
        with anyio.fail_after(20):  # linear: about a second; quadratic: over a minute
            response = await client.post("/", content=bytes(size))
    assert response.text == str(size)


async def connect(url: str) -> anyio.abc.SocketStream:
    host, port = url.removeprefix("http://").split(":")
    return await anyio.connect_tcp(host, int(port))


async def dribble(stream: anyio.abc.SocketStream) -> None:
    """Sends a header a byte at a time, never finishing, until the server closes."""
    with suppress(anyio.BrokenResourceError, anyio.ClosedResourceError):
        while True:
            await stream.send(b"x")
            await anyio.sleep(0.05)


async def test_a_slow_head_gets_408_while_others_are_served() -> None:
    async with (
        serve(app, header_timeout=0.5) as url,
        httpx.AsyncClient(base_url=url) as client,
        await connect(url) as slow,
    ):
        await slow.send(b"POST / HTTP/1.1\r\nHo")
        assert (await client.post("/echo", content=b"meanwhile")).content == b"meanwhile"
        with anyio.fail_after(10):
            async with anyio.create_task_group() as group:
                group.start_soon(dribble, slow)
                answer = await _read_all(slow)
                group.cancel_scope.cancel()
    assert answer.startswith(b"HTTP/1.1 408 ")


async def test_idle_connections_are_closed_without_an_answer() -> None:
    request = b"POST /echo HTTP/1.1\r\nhost: x\r\ncontent-length: 2\r\n\r\nhi"
    async with serve(app, header_timeout=0.2) as url:
        async with await connect(url) as silent:
            with anyio.fail_after(10):
                assert await _read_all(silent) == b""
        async with await connect(url) as kept_alive:
            await kept_alive.send(request)
            with anyio.fail_after(10):
                answers = await _read_all(kept_alive)
    assert answers.startswith(b"HTTP/1.1 201 ")
    assert answers.count(b"HTTP/1.1 ") == 1
    assert answers.endswith(b"0\r\n\r\n")  # the end of the chunked body, then nothing


async def test_a_head_too_long_gets_431() -> None:
    async with serve(app) as url, await connect(url) as stream:
        await stream.send(b"GET / HTTP/1.1\r\nx-long: " + b"a" * 17_000)
        with anyio.fail_after(10):
            assert (await _read_all(stream)).startswith(b"HTTP/1.1 431 ")


async def test_the_sharded_pool_holds_its_connections_between_its_shards() -> None:
    """Four slow streams at once on two shards of two connections: none waits for the pool."""
    emulator = Emulator(delay=0.05)
    transport = ShardedTransport(max_connections=4, max_keepalive=4, shards=2)
    async with (
        serve(emulator) as url,
        httpx.AsyncClient(transport=transport) as http,
    ):
        timeout = Timeouts(pool=0.2)  # a request left waiting for a connection fails
        client = AsyncClient(
            api_key="k", base_url=f"{url}/v1", http_client=http, timeout=timeout, max_retries=0
        )

        async def streams(count: int) -> list[str]:
            outcomes: list[str] = []

            async def one() -> None:
                try:
                    stream = await client.responses.create(
                        model="rillet-incomplete", input="hi", stream=True, max_output_tokens=8
                    )
                    async with stream:
                        outcomes.append((await stream.final_response()).status or "")
                except APITimeoutError as error:
                    outcomes.append(error.kind)

            async with anyio.create_task_group() as group:
                for _ in range(count):
                    group.start_soon(one)
            return sorted(outcomes)

        assert await streams(4) == ["incomplete"] * 4
        assert await streams(5) == ["incomplete"] * 4 + ["pool"]  # the fifth waited in vain


async def test_the_async_client_uses_the_sharded_pool() -> None:
    async with AsyncClient(api_key="k") as client:
        assert isinstance(client._http._transport, ShardedTransport)
