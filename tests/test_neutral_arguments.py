"""One provider-neutral handler reads a tool call's arguments so far on every kind of stream.

``context.partial_arguments(event)`` (and ``stream.partial_arguments(event)``) of a neutral tool
call event: the same call on a Responses, a Chat Completions, a Messages and a Gemini stream,
each served by the emulator over loopback.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any

import pytest

from conftest import Served
from rillet import AsyncClient, Client, DispatchContext, Router, anthropic, gemini
from rillet.events import ToolCallArgumentsDelta, ToolCallDone, ToolCallStarted

CITY = {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]}
PROMPT = "What is the weather in Lima and Oslo?"
MODEL = "rillet-parallel_function_calls"
ASK: list[Any] = [{"role": "user", "content": PROMPT}]
# Each API's declaration of the same tool.
RESPONSES_TOOLS: list[Any] = [{"type": "function", "name": "forecast", "parameters": CITY}]
CHAT_TOOLS: list[Any] = [{"type": "function", "function": {"name": "forecast", "parameters": CITY}}]
CLAUDE_TOOLS: list[Any] = [{"name": "forecast", "description": "Forecast.", "input_schema": CITY}]
GEMINI_TOOLS: list[Any] = [{"functionDeclarations": [{"name": "forecast", "parameters": CITY}]}]
KEY = "sk-test"


Clients = tuple[AsyncClient, anthropic.AsyncClient, gemini.AsyncClient]


@pytest.fixture
async def clients(served: Served) -> AsyncIterator[Clients]:
    root = served.url.removesuffix("/v1")
    async with (
        AsyncClient(api_key=KEY, base_url=served.url, max_retries=0) as openai,
        anthropic.AsyncClient(api_key=KEY, base_url=root) as claude,
        gemini.AsyncClient(api_key=KEY, base_url=root) as google,
    ):
        yield openai, claude, google


async def responses(clients: Clients) -> Any:
    openai = clients[0]
    return await openai.responses.create(
        model=MODEL, input=PROMPT, tools=RESPONSES_TOOLS, stream=True
    )


async def chat(clients: Clients) -> Any:
    openai = clients[0]
    return await openai.chat.completions.create(
        model=MODEL, messages=ASK, tools=CHAT_TOOLS, stream=True
    )


async def messages(clients: Clients) -> Any:
    claude = clients[1]
    return await claude.messages.create(
        model=MODEL, max_tokens=256, messages=ASK, tools=CLAUDE_TOOLS, stream=True
    )


async def generate(clients: Clients) -> Any:
    google = clients[2]
    return await google.models.generate_content(
        model=MODEL, contents=PROMPT, config={"tools": GEMINI_TOOLS}, stream=True
    )


STREAMS = [responses, chat, messages, generate]


def arguments_router() -> tuple[Router, list[tuple[str, int, Any]], list[ToolCallDone]]:
    """A router whose one handler notes each tool call event's partial arguments."""
    router = Router()
    seen: list[tuple[str, int, Any]] = []
    done: list[ToolCallDone] = []

    @router.on(ToolCallStarted, ToolCallArgumentsDelta, ToolCallDone)
    def note(
        event: ToolCallStarted | ToolCallArgumentsDelta | ToolCallDone,
        context: DispatchContext[object],
    ) -> None:
        seen.append((event.type, event.index, json.dumps(context.partial_arguments(event))))
        if isinstance(event, ToolCallDone):
            done.append(event)

    return router, seen, done


def check(seen: list[tuple[str, int, Any]], done: list[ToolCallDone]) -> None:
    """At each call's end, its arguments so far are all of them; before, a part of them."""
    assert [call.index for call in done] == [0, 1]
    whole = {call.index: json.loads(call.arguments) for call in done}
    for kind, index, noted in seen:
        value = json.loads(noted)
        if kind == "tool_call.done":
            assert value == whole[index]
        else:  # not yet whole (or None before it starts), never another call's
            assert value is None or set(value) <= set(whole[index])


@pytest.mark.anyio
@pytest.mark.parametrize("start", STREAMS, ids=lambda s: s.__name__)
async def test_a_neutral_handler_reads_partial_arguments_on_every_stream(
    clients: Clients, start: Callable[[Clients], Any]
) -> None:
    router, seen, done = arguments_router()
    stream = await start(clients)
    async with stream:
        await stream.dispatch(router)
    check(seen, done)
    assert any(kind == "tool_call.arguments.delta" for kind, _, _ in seen)


@pytest.mark.anyio
@pytest.mark.parametrize("start", STREAMS, ids=lambda s: s.__name__)
async def test_a_stream_reads_partial_arguments_of_its_neutral_events(
    clients: Clients, start: Callable[[Clients], Any]
) -> None:
    stream = await start(clients)
    found = []
    async with stream:
        async for event in stream.events():
            if isinstance(event, ToolCallDone):
                found.append((stream.partial_arguments(event), json.loads(event.arguments)))
    assert len(found) == 2
    assert all(partial == whole for partial, whole in found)


@pytest.fixture
def blocking(served: Served) -> Iterator[tuple[Client, anthropic.Client, gemini.Client]]:
    root = served.url.removesuffix("/v1")
    with (
        Client(api_key=KEY, base_url=served.url, max_retries=0) as openai,
        anthropic.Client(api_key=KEY, base_url=root) as claude,
        gemini.Client(api_key=KEY, base_url=root) as google,
    ):
        yield openai, claude, google


def test_blocking_streams_dispatch_the_same_handler(
    blocking: tuple[Client, anthropic.Client, gemini.Client],
) -> None:
    openai, claude, google = blocking
    streams: list[Any] = [
        openai.responses.create(model=MODEL, input=PROMPT, tools=RESPONSES_TOOLS, stream=True),
        openai.chat.completions.create(model=MODEL, messages=ASK, tools=CHAT_TOOLS, stream=True),
        claude.messages.create(
            model=MODEL, max_tokens=256, messages=ASK, tools=CLAUDE_TOOLS, stream=True
        ),
        google.models.generate_content(
            model=MODEL, contents=PROMPT, config={"tools": GEMINI_TOOLS}, stream=True
        ),
    ]
    for stream in streams:
        router, seen, done = arguments_router()
        with stream:
            stream.dispatch(router)
        check(seen, done)
