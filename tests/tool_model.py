"""A paced model that calls tools, for the tool loop's tests and benchmark (an ASGI app).

Built on the emulator's stream writers: the first turn of a conversation calls the request's
first function tool ``calls`` times (or, for chat, twice); a turn that sends tool outputs back
gets a text answer. Every event is ``delay`` seconds after the previous one, so that a response
with calls takes a known time. Responses are kept by id: a ``previous_response_id`` that is not
known is a 404, as the API answers. Each request's body and each event's send time are kept.
"""

from __future__ import annotations

import json
import time
from typing import Any

import anyio

from rillet.testing._scenarios import (  # the emulator's writers: same events, same order
    _calls,  # pyright: ignore[reportPrivateUsage]
    _Responses,  # pyright: ignore[reportPrivateUsage]
    _tokens,  # pyright: ignore[reportPrivateUsage]
    chat_stream,
    encode,
    request_text,
)

Receive = Any
Send = Any


class ToolModel:
    """The app. ``calls``: calls in a first turn; ``delay``: seconds between events."""

    def __init__(self, *, calls: int = 2, delay: float = 0.0) -> None:
        self.calls = calls
        self.delay = delay
        self.requests: list[dict[str, Any]] = []
        self.kept: set[str] = set()
        self.completed_at: list[float] = []  # when each response.completed was sent
        self.closed_early = 0  # streams whose reader went away before the end

    async def __call__(self, scope: dict[str, Any], receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return
        body = b""
        while True:
            message = await receive()
            body += message.get("body", b"")
            if not message.get("more_body"):
                break
        request: dict[str, Any] = json.loads(body or b"{}")
        self.requests.append(request)
        chat = scope["path"].endswith("/chat/completions")
        previous = request.get("previous_response_id")
        if previous is not None and previous not in self.kept:
            await _answer(send, 404, json.dumps({"error": {"message": "not found"}}).encode())
            return
        events = self._chat(request) if chat else self._responses(request)
        await send(
            {
                "type": "http.response.start",
                "status": 200,
                "headers": [(b"content-type", b"text/event-stream")],
            }
        )
        try:
            for event in events:
                if self.delay:
                    await anyio.sleep(self.delay)
                if isinstance(event, dict) and event.get("type") == "response.completed":
                    self.completed_at.append(time.perf_counter())
                await send(
                    {"type": "http.response.body", "body": encode([event]), "more_body": True}
                )
            await send({"type": "http.response.body", "body": b""})
        except OSError:
            self.closed_early += 1
        except BaseException:
            self.closed_early += 1
            raise

    def _responses(self, request: dict[str, Any]) -> list[Any]:
        items = request.get("input")
        answered = isinstance(items, list) and any(
            isinstance(item, dict) and item.get("type") == "function_call_output"
            for item in items  # pyright: ignore[reportUnknownVariableType]
        )
        writer = _Responses(request)
        writer.start()
        if answered:
            writer.message(_tokens(f"Done: {len(self.requests)} requests."))
        else:
            for name, arguments in _calls(request, request_text(request), self.calls):
                writer.function_call(name, arguments)
        writer.finish("completed")
        if request.get("store") is not False:
            self.kept.add(writer.response["id"])
        return writer.events

    def _chat(self, request: dict[str, Any]) -> list[Any]:
        messages = request.get("messages") or []
        answered = any(m.get("role") == "tool" for m in messages if isinstance(m, dict))
        return chat_stream("text" if answered else "parallel_function_calls", request)


async def _answer(send: Send, status: int, body: bytes) -> None:
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [(b"content-type", b"application/json")],
        }
    )
    await send({"type": "http.response.body", "body": body})
