"""A Starlette (or FastAPI) service that streams a model's answer to its own clients as SSE.

``POST /ask {"question": "..."}`` answers ``text/event-stream``: one ``text`` event per piece of
the model's text as it arrives, then ``done`` (status and usage) or ``error``. Handlers on a
reusable router record every response's token usage; ``GET /usage`` shows the totals. When a
client goes away, the model's stream is closed at once: nobody pays for text no one reads.

Run it with ``python starlette_service.py`` (``OPENAI_BASE_URL`` may point at ``rillet serve``),
then ``curl -N localhost:8000/ask -d '{"question": "Hi!"}'``.
"""

import json
from collections.abc import AsyncGenerator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

import anyio
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from starlette.types import Receive, Scope, Send

from rillet import APIError, AsyncClient, ResponseStream, RilletError, Router
from rillet.events import (
    ResponseCompletedEvent,
    ResponseIncompleteEvent,
    ResponseOutputTextDeltaEvent,
)


@dataclass
class UsageLedger:
    """Tokens used by every response this service has streamed."""

    responses: int = 0
    input_tokens: int = 0
    output_tokens: int = 0


def usage_recorder(ledger: UsageLedger) -> Router:
    """Handlers that add each finished response's usage to ``ledger``; reusable on any stream."""
    router = Router()

    @router.on(ResponseCompletedEvent, ResponseIncompleteEvent)
    def record(event: ResponseCompletedEvent | ResponseIncompleteEvent) -> None:
        if usage := event.response.usage:
            ledger.responses += 1
            ledger.input_tokens += usage.input_tokens
            ledger.output_tokens += usage.output_tokens

    return router


def sse(event: str, data: object) -> bytes:
    """One server-sent event; the data as JSON, so that newlines in the text stay in one line."""
    return f"event: {event}\ndata: {json.dumps(data)}\n\n".encode()


class TextEventStream(Response):
    """Relays the text of a model's stream to the HTTP client as it arrives.

    The model's stream is read by a dispatch: ``router``'s handlers, plus one that sends each
    text delta on. Sending waits for the client, so a slow client slows the reading of the
    model instead of filling memory; a client that disconnects cancels the whole thing.
    """

    media_type = "text/event-stream"

    def __init__(self, stream: ResponseStream, router: Router) -> None:
        # Not Response.__init__: that would declare an empty body with `content-length: 0`.
        self.status_code = 200
        self.background = None
        self.init_headers({"cache-control": "no-cache"})
        self.stream = stream
        self.router = router

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:  # noqa: ARG002
        async def relay(event: ResponseOutputTextDeltaEvent) -> None:
            await send(
                {"type": "http.response.body", "body": sse("text", event.delta), "more_body": True}
            )

        async def cancel_when_disconnected(cancel_scope: anyio.CancelScope) -> None:
            while (await receive())["type"] != "http.disconnect":
                pass
            cancel_scope.cancel()

        await send({"type": "http.response.start", "status": 200, "headers": self.raw_headers})
        async with anyio.create_task_group() as group, self.stream:
            group.start_soon(cancel_when_disconnected, group.cancel_scope)
            self.stream.on(ResponseOutputTextDeltaEvent)(relay)
            try:
                response = await self.stream.dispatch(self.router)
                usage = response.usage.to_dict() if response.usage else None
                last = sse("done", {"status": response.status, "usage": usage})
            except RilletError as error:  # the model's stream failed: say so, then end
                last = sse("error", {"type": type(error).__name__, "message": str(error)})
            await send({"type": "http.response.body", "body": last, "more_body": False})
            group.cancel_scope.cancel()  # stop watching for a disconnect


def create_app(model: str = "gpt-5-mini", **client_options: Any) -> Starlette:  # noqa: ANN401
    """The service; ``client_options`` go to the ``rillet.AsyncClient`` it shares."""
    ledger = UsageLedger()
    recorder = usage_recorder(ledger)
    client = AsyncClient(**client_options)  # one client (one connection pool) for all requests

    @asynccontextmanager
    async def lifespan(_: Starlette) -> AsyncGenerator[None, None]:
        async with client:  # closed when the service stops
            yield

    async def ask(request: Request) -> Response:
        try:
            body = await request.json()
        except ValueError:
            body = None
        match body:
            case {"question": str(question)}:
                pass
            case _:
                return JSONResponse({"error": 'send {"question": "..."}'}, status_code=400)
        try:
            stream = await client.responses.create(model=model, input=question, stream=True)
        except APIError as error:  # the model API refused or is unreachable (after retries)
            return JSONResponse({"error": str(error)}, status_code=502)
        return TextEventStream(stream, recorder)

    async def usage(_: Request) -> Response:
        return JSONResponse(vars(ledger))

    routes = [Route("/ask", ask, methods=["POST"]), Route("/usage", usage)]
    return Starlette(routes=routes, lifespan=lifespan)


if __name__ == "__main__":
    import uvicorn

    uvicorn.run(create_app(), port=8000)
