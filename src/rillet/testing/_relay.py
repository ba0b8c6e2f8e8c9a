"""The emulator's relay routes: its own model's streams, generated into relay channels.

* ``POST /relay``: a Responses request body (as ``POST /v1/responses`` takes); the emulator
  generates the response, streamed, into a new channel and answers ``{"channel": ID}`` as soon
  as the channel exists. The request's ``x-rillet-*`` headers (delay, fault, scenario...) apply
  to the generation as they do to ``POST /v1/responses``;
* ``GET /relay/{ID}``: the channel as SSE (the relay's endpoint): the Responses events, named
  as the API names them, then ``relay.end``;
* ``POST /relay/{ID}/cancel``: stop the generation (the channel ends ``cancelled``);
* ``GET /relay``: a page that shows a channel's text live with the browser's ``EventSource``.

The generation is the emulator's own answer to ``POST /v1/responses``, read by rillet's client
in-process (no socket) and published with :meth:`Relay.publish <rillet.relay.Relay.publish>`:
only the relay's public API, as any application would use it.
"""

from __future__ import annotations

import functools
import json
import logging
import re
import secrets
from collections.abc import AsyncGenerator, Mapping
from contextlib import asynccontextmanager
from importlib.resources import files
from typing import TYPE_CHECKING, Any, Final, cast

import anyio
import anyio.abc
import httpx

from rillet._asgi import Message as ASGIMessage
from rillet._asgi import Receive, Send, read_body, respond
from rillet._client import AsyncClient
from rillet._stream import ResponseStream
from rillet.testing._replay import ReplayTransport

if TYPE_CHECKING:
    from rillet.relay import Relay
    from rillet.testing._emulator import Emulator

__all__ = ["RelayRoutes", "page"]

_ROUTE: Final = re.compile(r"/relay(?:/(?P<channel>[^/]+)(?P<cancel>/cancel)?)?/?")
_FORWARDED: Final = "x-rillet-"  # the emulator's own request headers apply to the generation
_log = logging.getLogger("rillet.testing")


def page() -> bytes:
    """The relay's page: HTML and JavaScript that show a channel live with ``EventSource``."""
    return files("rillet.testing").joinpath("relay_page.html").read_bytes()


class RelayRoutes:
    """The relay's routes of an :class:`~rillet.testing.Emulator`, as an ASGI app.

    Made by :meth:`running`, which owns the task group the generations run in.
    """

    def __init__(
        self,
        relay: Relay,
        client: AsyncClient,
        group: anyio.abc.TaskGroup,
        *,
        lease: float | None = None,
        retry: int | None = None,
    ) -> None:
        self.relay = relay
        self._client = client
        self._group = group
        self._publish = functools.partial(relay.publish, lease=lease) if lease else relay.publish
        self._endpoint = relay.endpoint(retry=retry) if retry is not None else relay.endpoint()

    @classmethod
    @asynccontextmanager
    async def running(cls, emulator: Emulator, relay: Relay) -> AsyncGenerator[RelayRoutes, None]:
        """The routes, while the block runs; the generations still running are then cancelled."""
        http = httpx.AsyncClient(transport=ReplayTransport(emulator))
        async with (
            AsyncClient(api_key="relay", base_url="http://emulator/v1", http_client=http) as client,
            http,
            anyio.create_task_group() as group,
        ):
            yield cls(relay, client, group, lease=emulator.relay_lease, retry=emulator.relay_retry)
            group.cancel_scope.cancel()

    async def __call__(self, scope: ASGIMessage, receive: Receive, send: Send) -> None:
        """Serve one of the relay's routes (an ASGI ``http`` request)."""
        method, path = scope["method"], scope["path"]
        route = _ROUTE.fullmatch(path)
        channel = route.group("channel") if route else None
        cancel = route is not None and route.group("cancel") is not None
        if route is not None and channel is None and method == "GET":
            await respond(send, 200, page(), b"text/html; charset=utf-8")
        elif route is not None and channel is None and method == "POST":
            await self._start(scope, receive, send)
        elif channel is not None and not cancel and method == "GET":
            await self._endpoint.stream(channel, None, scope, receive, send)
        elif channel is not None and cancel and method == "POST":
            await self.relay.cancel(channel)
            await _json(send, 200, json.dumps({"channel": channel}).encode())
        else:
            await _json(send, 404, _error(f"no route {method} {path}"))

    async def _start(self, scope: ASGIMessage, receive: Receive, send: Send) -> None:
        """``POST /relay``: start generating into a new channel; answer its id."""
        try:
            request = json.loads(await read_body(receive) or b"{}")
        except ValueError:
            request = None
        if not isinstance(request, dict):
            await _json(send, 400, _error("the request body is not a JSON object"))
            return
        headers = {
            name.decode("latin-1"): value.decode("latin-1")
            for name, value in scope["headers"]
            if name.decode("latin-1").lower().startswith(_FORWARDED)
        }
        body = cast("dict[str, Any]", request)
        try:
            channel: str = await self._group.start(self._generate, body, headers)
        except Exception as error:  # noqa: BLE001 - the backend's: said to the client
            message = f"cannot start a channel: {type(error).__name__}: {error}"
            await _json(send, 503, _error(message, "server_error"))
            return
        await _json(send, 200, json.dumps({"channel": channel}).encode())

    async def _generate(
        self,
        request: dict[str, Any],
        headers: Mapping[str, str],
        *,
        task_status: anyio.abc.TaskStatus[str],
    ) -> None:
        """Publish one generation into a new channel; ``task_status`` gets the channel's id."""
        channel = f"relay_{secrets.token_hex(12)}"
        body = {key: value for key, value in request.items() if key != "stream"}
        claimed = False

        async def open_stream() -> ResponseStream:
            nonlocal claimed
            claimed = True  # the channel exists: POST /relay can answer
            task_status.started(channel)
            return await self._client.responses.create(
                stream=True, extra_body=body, extra_headers=dict(headers)
            )

        try:
            await self._publish(channel, open_stream)
        except Exception:
            if not claimed:
                raise  # to POST /relay, which says so
            # A backend that broke mid-way fails this generation, not the server.
            _log.exception("relaying the generation into channel %s failed", channel)


def _error(message: str, kind: str = "invalid_request_error") -> bytes:
    return json.dumps({"error": {"message": message, "type": kind}}).encode()


async def _json(send: Send, status: int, body: bytes) -> None:
    await respond(send, status, body, b"application/json")
