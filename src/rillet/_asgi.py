"""What rillet's ASGI apps (the emulator, the relay's endpoint) share.

The message types, reading a request's body, a whole response at once, and noticing that the
client went away.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any, TypeAlias

import anyio

__all__ = ["Message", "Receive", "Send", "cancel_on_disconnect", "read_body", "respond"]

Message: TypeAlias = MutableMapping[str, Any]
"""An ASGI scope or event (Starlette's and uvicorn's are mutable mappings too)."""
Receive: TypeAlias = Callable[[], Awaitable[Message]]
Send: TypeAlias = Callable[[Message], Awaitable[None]]


async def read_body(receive: Receive) -> bytes:
    """A request's whole body, from its ``http.request`` events."""
    pieces: list[bytes] = []  # joined once: appending to bytes would copy it each time
    while True:
        message = await receive()
        pieces.append(message.get("body", b""))
        if not message.get("more_body"):
            return b"".join(pieces)


async def cancel_on_disconnect(receive: Receive, scope: anyio.CancelScope) -> None:
    """Cancel ``scope`` once the client disconnects (run beside a response being sent)."""
    while (await receive())["type"] != "http.disconnect":
        pass
    scope.cancel()


async def respond(send: Send, status: int, body: bytes, content_type: bytes) -> None:
    """Send a whole response: its status, content type and length, and body."""
    headers = [(b"content-type", content_type), (b"content-length", b"%d" % len(body))]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})
