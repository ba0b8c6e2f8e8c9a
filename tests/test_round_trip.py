"""rillet's objects go back into requests, and reach the server as the JSON it sent for them.

Every recorded stream of the corpus is streamed from the emulator on 127.0.0.1 (uvicorn and
rillet's own server), its objects are sent back in a request, and the emulator's record of the
request body is compared with the recording's own JSON, read here with ``json`` alone:

* Responses: each output item of the last response of the stream (``response.completed``,
  ``.incomplete``; ``.created`` when an ``error`` event ends it), sent as ``input=[*response.
  output, ...]``, is the item's JSON in that event; each ``response.output_item.done`` event's
  item likewise; the whole response, sent in ``extra_body``, is that event's ``response``.
* Chat: a chat stream sends no message object, only deltas. Each accumulated message, sent as
  ``messages=[..., choice.message]``, is its ``to_dict()``, and its text, refusal and tool
  calls are the recording's fragments joined; each chunk, sent in ``extra_body``, is its JSON.
"""

from __future__ import annotations

import json
from collections.abc import Generator, Sequence
from contextlib import contextmanager
from typing import Any

import httpx
import pytest

from clients import API_KEY, FAST
from conftest import Served
from corpus_files import manifest, read
from rillet import AsyncClient, Client
from rillet.events import (
    ChatCompletion,
    Event,
    Response,
    ResponseLifecycleEvent,
    ResponseOutputItemDoneEvent,
)
from rillet.params import (
    ChatCompletionRequestMessageParam,
    ChatCompletionRequestUserMessageParam,
    EasyInputMessageParam,
)

RESPONSES = [e["file"] for e in manifest() if e["file"].startswith("responses/")]
CHATS = [e["file"] for e in manifest() if e["file"].startswith("chat/")]
USER: EasyInputMessageParam = {"role": "user", "content": "And then?"}
USER_MESSAGE: ChatCompletionRequestUserMessageParam = {"role": "user", "content": "And then?"}
ANSWER = {"x-rillet-scenario": "text"}  # what the emulator answers a request sent back


def payloads(name: str) -> list[Any]:
    """The JSON of each event of a recording, read with ``json`` alone (no rillet)."""
    found: list[Any] = []
    for block in read(name).decode().split("\n\n"):
        data = [line[6:] for line in block.split("\n") if line.startswith("data: ")]
        if data and data != ["[DONE]"]:
            found.append(json.loads("\n".join(data)))
    return found


def sent(served: Served) -> dict[str, Any]:
    """The body of the last request the emulator received."""
    method, _, headers, body = served.emulator.requests[-1]
    assert method == "POST"
    assert headers["content-type"] == "application/json"
    result: dict[str, Any] = json.loads(body)
    return result


# -- Responses --------------------------------------------------------------------------------


def sent_back(events: Sequence[Event]) -> tuple[list[Any], Response]:
    """What is sent back of a stream's events: the items, and the last response."""
    final = [e.response for e in events if isinstance(e, ResponseLifecycleEvent)][-1]
    done = [e.item for e in events if isinstance(e, ResponseOutputItemDoneEvent)]
    return [*final.output, *done], final


def check_responses(served: Served, name: str, events: Sequence[Event]) -> None:
    # The stream's events are the recording's, in order (all of them, or up to an error).
    recorded = payloads(name)[: len(events)]
    assert [e["type"] for e in recorded] == [e.type for e in events]
    final = [e["response"] for e in recorded if "response" in e][-1]
    done = [e["item"] for e in recorded if e["type"] == "response.output_item.done"]
    body = sent(served)
    assert body["input"] == [*final["output"], *done, USER]
    assert body["previous"] == final


@pytest.mark.anyio
@pytest.mark.parametrize("name", RESPONSES)
async def test_responses_items_go_back_as_the_server_sent_them(served: Served, name: str) -> None:
    async with httpx.AsyncClient() as http:
        client = AsyncClient(api_key=API_KEY, base_url=served.url, http_client=http, timeout=FAST)
        headers = {"x-rillet-recording": name}
        stream = await client.responses.create(
            model="m", input="hi", stream=True, extra_headers=headers
        )
        async with stream:
            events = [event async for event in stream]
        items, final = sent_back(events)
        await client.responses.create(
            model="m", input=[*items, USER], extra_body={"previous": final}, extra_headers=ANSWER
        )
    check_responses(served, name, events)


@pytest.mark.parametrize("name", RESPONSES)
def test_responses_items_go_back_from_the_blocking_client(served: Served, name: str) -> None:
    with blocking(served) as client:
        headers = {"x-rillet-recording": name}
        with client.responses.create(
            model="m", input="hi", stream=True, extra_headers=headers
        ) as stream:
            events = list(stream)
        items, final = sent_back(events)
        client.responses.create(
            model="m", input=[*items, USER], extra_body={"previous": final}, extra_headers=ANSWER
        )
    check_responses(served, name, events)


# -- Chat Completions -------------------------------------------------------------------------


def joined(name: str) -> dict[int, dict[str, Any]]:
    """Per choice, the recording's fragments joined: content, refusal, tool calls' arguments."""
    choices: dict[int, dict[str, Any]] = {}
    for chunk in payloads(name):
        for choice in chunk.get("choices", []):
            message = choices.setdefault(choice["index"], {"tool_calls": {}})
            delta: dict[str, Any] = choice.get("delta") or {}
            for key in ("content", "refusal"):
                if delta.get(key) is not None:
                    message[key] = message.get(key, "") + delta[key]
            calls: list[dict[str, Any]] = delta.get("tool_calls") or []
            for call in calls:
                joined_call = message["tool_calls"].setdefault(call["index"], {"arguments": ""})
                function: dict[str, Any] = call.get("function") or {}
                joined_call["arguments"] += function.get("arguments") or ""
                if call.get("id") is not None:
                    joined_call["id"] = call["id"]
                if function.get("name") is not None:
                    joined_call["name"] = function["name"]
    return choices


def check_chat(served: Served, name: str, completion: ChatCompletion) -> None:
    body = sent(served)
    messages = body["messages"][1:]
    choices = sorted(completion.choices, key=lambda c: c.index)
    assert messages == [choice.message.to_dict() for choice in choices]
    expected = joined(name)
    assert len(messages) == len(expected)
    for message, index in zip(messages, sorted(expected), strict=True):
        want = expected[index]
        assert message["content"] == want.get("content")
        assert message["refusal"] == want.get("refusal")
        # The shape of the API's own messages: what is not set is left out.
        unset = {key for key, value in message.items() if value is None}
        assert unset <= {"content", "refusal"}
        calls = [
            {"id": c["id"], "name": c["name"], "arguments": c["arguments"]}
            for _, c in sorted(want["tool_calls"].items())
        ]
        sent_calls: list[dict[str, Any]] = message.get("tool_calls", [])
        got = [
            {"id": c["id"], "name": c["function"]["name"], "arguments": c["function"]["arguments"]}
            for c in sent_calls
        ]
        assert got == calls
    assert body["chunks"] == payloads(name)


@pytest.mark.anyio
@pytest.mark.parametrize("name", CHATS)
async def test_chat_messages_go_back_as_accumulated(served: Served, name: str) -> None:
    async with httpx.AsyncClient() as http:
        client = AsyncClient(api_key=API_KEY, base_url=served.url, http_client=http, timeout=FAST)
        stream = await client.chat.completions.create(
            model="m",
            messages=[USER_MESSAGE],
            stream=True,
            extra_headers={"x-rillet-recording": name},
        )
        async with stream:
            chunks = [chunk async for chunk in stream]
            completion = await stream.final_response()
        ordered = sorted(completion.choices, key=lambda c: c.index)
        messages: list[ChatCompletionRequestMessageParam] = [USER_MESSAGE]
        messages += (c.message for c in ordered)
        await client.chat.completions.create(
            model="m", messages=messages, extra_body={"chunks": chunks}, extra_headers=ANSWER
        )
    check_chat(served, name, completion)


@pytest.mark.parametrize("name", CHATS)
def test_chat_messages_go_back_from_the_blocking_client(served: Served, name: str) -> None:
    with blocking(served) as client:
        with client.chat.completions.create(
            model="m",
            messages=[USER_MESSAGE],
            stream=True,
            extra_headers={"x-rillet-recording": name},
        ) as stream:
            chunks = list(stream)
            completion = stream.get_final_response()
        ordered = sorted(completion.choices, key=lambda c: c.index)
        messages: list[ChatCompletionRequestMessageParam] = [USER_MESSAGE]
        messages += (c.message for c in ordered)
        client.chat.completions.create(
            model="m", messages=messages, extra_body={"chunks": chunks}, extra_headers=ANSWER
        )
    check_chat(served, name, completion)


@contextmanager
def blocking(served: Served) -> Generator[Client]:
    with httpx.Client() as http:
        yield Client(api_key=API_KEY, base_url=served.url, http_client=http, timeout=FAST)
