"""A real server on 127.0.0.1 that answers requests as a test scripts them, and keeps them.

For the provider clients' tests: each test appends the answers (status, headers, body chunks)
its requests get, in order, and reads back what was sent (path, query, headers, body).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import attrs
import pytest

from rillet.testing import serve_in_thread

__all__ = ["JSON", "SSE", "Answer", "Scripted", "app", "chunked"]

SSE = [(b"content-type", b"text/event-stream")]
JSON = [(b"content-type", b"application/json")]


@attrs.define
class Answer:
    """One scripted answer: its status, headers and body chunks."""

    status: int = 200
    headers: list[tuple[bytes, bytes]] = attrs.field(factory=lambda: list(SSE))
    chunks: list[bytes] = attrs.field(factory=list)


@attrs.define
class Scripted:
    """An ASGI app that answers requests in order (404 when none is left), and keeps them."""

    answers: list[Answer] = attrs.field(factory=list)
    requests: list[dict[str, Any]] = attrs.field(factory=list)

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        body = b""
        while True:
            message = await receive()
            body += message.get("body", b"")
            if not message.get("more_body"):
                break
        headers = {k.decode().lower(): v.decode() for k, v in scope["headers"]}
        query = scope["query_string"].decode()
        self.requests.append(
            {"path": scope["path"], "query": query, "headers": headers, "body": body}
        )
        answer = self.answers.pop(0) if self.answers else Answer(404, JSON, [b"{}"])
        await send(
            {"type": "http.response.start", "status": answer.status, "headers": answer.headers}
        )
        for chunk in answer.chunks:
            await send({"type": "http.response.body", "body": chunk, "more_body": True})
        await send({"type": "http.response.body", "body": b""})

    def reset(self) -> None:
        """Forget the answers and requests of the last test."""
        self.answers.clear()
        self.requests.clear()


@pytest.fixture(scope="module")
def app() -> Iterator[tuple[Scripted, str]]:
    """The scripted app, served for a test module: (the app, its base URL)."""
    scripted = Scripted()
    with serve_in_thread(scripted) as url:
        yield scripted, url


def chunked(data: bytes, size: int) -> list[bytes]:
    """``data`` in pieces of ``size`` bytes (the last one shorter)."""
    return [data[i : i + size] for i in range(0, len(data), size)]
