"""The emulator's Anthropic Messages API, over loopback: exact bytes, and the official SDK."""

from __future__ import annotations

import json
import re
from typing import Any

import anthropic
import httpx
import pytest

from conftest import Served
from corpus_files import CORPUS, provider_files
from rillet.sse import SSEDecoder
from rillet.testing import Fault
from schema_check import problems

pytestmark = [pytest.mark.anyio, pytest.mark.json_independent]

HEADERS = {"x-api-key": "sk-ant-test", "anthropic-version": "2023-06-01"}
CITY: dict[str, object] = {
    "type": "object",
    "properties": {"city": {"type": "string"}},
    "required": ["city"],
}
TOOLS = [{"name": "forecast", "description": "The forecast.", "input_schema": CITY}]
PROMPT = "What is the weather in Lima and Oslo?"


def root(served: Served) -> str:
    return served.url.removesuffix("/v1")


def request(model: str, **more: Any) -> dict[str, Any]:
    return {
        "model": model,
        "max_tokens": 1024,
        "messages": [{"role": "user", "content": PROMPT}],
        "stream": True,
        **more,
    }


async def post(
    served: Served, body: dict[str, Any], headers: dict[str, str] | None = None
) -> httpx.Response:
    async with httpx.AsyncClient(timeout=10) as http:
        return await http.post(
            f"{served.url}/messages", json=body, headers={**HEADERS, **(headers or {})}
        )


def events(body: bytes) -> list[tuple[str, dict[str, Any]]]:
    """(event name, data) of each event, decoded by rillet's SSE decoder."""
    decoder = SSEDecoder()
    decoded = [*decoder.feed(body), *decoder.close()]
    return [(sse.event or "message", json.loads(sse.raw_data)) for sse in decoded]


def shape(decoded: list[tuple[str, dict[str, Any]]]) -> str:
    """The event sequence as one string, a letter per event (for a regular expression)."""
    letters = {
        "message_start": "M",
        "content_block_start": "[",
        "content_block_delta": "d",
        "content_block_stop": "]",
        "ping": "p",
        "message_delta": "D",
        "message_stop": "S",
        "error": "E",
    }
    return "".join(letters[name] for name, _ in decoded)


def blocks(decoded: list[tuple[str, dict[str, Any]]]) -> list[dict[str, Any]]:
    """The content blocks the deltas build, with the streamed tool input text and signature."""
    built: list[dict[str, Any]] = []
    for _, data in decoded:
        if data["type"] == "content_block_start":
            assert data["index"] == len(built)
            built.append({**data["content_block"], "json": "", "deltas": []})
        elif data["type"] == "content_block_delta":
            block, delta = built[data["index"]], data["delta"]
            block["deltas"].append(delta["type"])
            field = {
                "text_delta": "text",
                "thinking_delta": "thinking",
                "input_json_delta": "json",
                "signature_delta": "signature",
            }[delta["type"]]
            value = delta["partial_json" if field == "json" else field]
            block[field] = block[field] + value if field != "signature" else value
    return built


async def test_every_event_is_framed_as_the_api_frames_it(served: Served) -> None:
    response = await post(served, request("rillet-text"))
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/event-stream")
    assert "request-id" in response.headers
    text = response.content.decode()
    for block in text.split("\n\n")[:-1]:
        name, data = block.split("\n")
        kind = json.loads(data.removeprefix("data: "))["type"]
        assert name == f"event: {kind}"
        if kind == "ping":
            assert data == 'data: {"type": "ping"}'
        else:
            assert ": " not in data.removeprefix("data: ").replace('": "', "")  # compact JSON
    assert text.endswith('event: message_stop\ndata: {"type":"message_stop"}\n\n')


async def test_text_streams_word_by_word(served: Served) -> None:
    decoded = events((await post(served, request("rillet-text"))).content)
    assert re.fullmatch(r"M\[pd+\]DS", shape(decoded))
    start = decoded[0][1]["message"]
    assert re.fullmatch(r"msg_01[A-Za-z0-9]{22}", start["id"])
    assert start["content"] == []
    assert start["stop_reason"] is None
    assert start["usage"]["input_tokens"] == len(PROMPT.split())
    (text,) = blocks(decoded)
    deltas = [d["delta"]["text"] for _, d in decoded if d["type"] == "content_block_delta"]
    assert all(" " not in d.strip() for d in deltas)  # a word each
    assert text["text"] == "".join(deltas)
    assert len(text["text"].split()) == len(deltas)
    end = decoded[-2][1]
    assert end["delta"] == {"stop_reason": "end_turn", "stop_sequence": None}
    assert end["usage"]["output_tokens"] == len(deltas)
    again = blocks(events((await post(served, request("rillet-text"))).content))
    assert again[0]["text"] == text["text"]  # the same request, the same text


async def test_tool_use_streams_its_input_json_as_the_api_does(served: Served) -> None:
    body = request("rillet-parallel_function_calls", tools=TOOLS)
    decoded = events((await post(served, body)).content)
    assert re.fullmatch(r"M\[pd+\]\[d+\]\[d+\]DS", shape(decoded))
    preface, *calls = blocks(decoded)
    assert preface["type"] == "text"
    assert "forecast" in preface["text"]
    assert len(calls) == 2
    for call in calls:
        assert call["type"] == "tool_use"
        assert call["name"] == "forecast"
        assert call["input"] == {}
        assert re.fullmatch(r"toolu_01[A-Za-z0-9]{22}", call["id"])
        assert set(call["deltas"]) == {"input_json_delta"}
        pieces = [
            d["delta"]["partial_json"]
            for _, d in decoded
            if d["type"] == "content_block_delta" and d["index"] == calls.index(call) + 1
        ]
        assert pieces[0] == ""
        assert any(p.count('"') % 2 for p in pieces[1:])  # cut inside a key or a string
        arguments = json.loads(call["json"])
        assert problems(arguments, CITY) == []
        assert arguments["city"] in PROMPT
    assert decoded[-2][1]["delta"]["stop_reason"] == "tool_use"


async def test_thinking_comes_with_one_signature(served: Served) -> None:
    for body in (
        request("rillet-reasoning"),
        request("rillet-text", thinking={"type": "enabled", "budget_tokens": 2048}),
    ):
        decoded = events((await post(served, body)).content)
        thinking, text = blocks(decoded)
        assert thinking["type"] == "thinking"
        assert thinking["deltas"][-1] == "signature_delta"
        assert thinking["deltas"].count("signature_delta") == 1
        assert set(thinking["deltas"][:-1]) == {"thinking_delta"}
        assert PROMPT in thinking["thinking"]
        assert len(thinking["signature"]) > 100
        assert text["type"] == "text"
        assert text["text"]
    plain = blocks(events((await post(served, request("rillet-text"))).content))
    assert [b["type"] for b in plain] == ["text"]


async def test_max_tokens_cuts_the_text(served: Served) -> None:
    decoded = events((await post(served, request("rillet-text", max_tokens=5))).content)
    (text,) = blocks(decoded)
    assert len(text["deltas"]) == 5
    assert decoded[-2][1]["delta"]["stop_reason"] == "max_tokens"
    assert decoded[-2][1]["usage"]["output_tokens"] == 5
    decoded = events((await post(served, request("rillet-incomplete"))).content)
    assert len(blocks(decoded)[0]["deltas"]) == 16
    assert decoded[-2][1]["delta"]["stop_reason"] == "max_tokens"


async def test_an_error_event_ends_the_stream(served: Served) -> None:
    decoded = events((await post(served, request("rillet-error"))).content)
    assert re.fullmatch(r"M\[pd{3}\]E", shape(decoded))
    assert decoded[-1] == (
        "error",
        {"type": "error", "error": {"type": "overloaded_error", "message": "Overloaded"}},
    )
    decoded = events((await post(served, request("rillet-failed"))).content)
    assert shape(decoded) == "ME"
    assert decoded[-1][1]["error"]["type"] == "api_error"


async def test_refusal(served: Served) -> None:
    decoded = events((await post(served, request("rillet-refusal"))).content)
    assert decoded[-2][1]["delta"]["stop_reason"] == "refusal"


async def test_tool_results_are_quoted(served: Served) -> None:
    first = events((await post(served, request("rillet-function_call", tools=TOOLS))).content)
    call = blocks(first)[1]
    messages = [
        {"role": "user", "content": PROMPT},
        {"role": "assistant", "content": [{k: call[k] for k in ("type", "id", "name")}]},
        {
            "role": "user",
            "content": [{"type": "tool_result", "tool_use_id": call["id"], "content": "21C"}],
        },
    ]
    body = request("rillet-function_call", tools=TOOLS, messages=messages)
    (text,) = blocks(events((await post(served, body)).content))
    assert text["text"].startswith("From the tools: forecast returned 21C.")


async def test_structured_output_is_json_that_follows_the_schema(served: Served) -> None:
    schema = {
        "type": "object",
        "properties": {"city": {"type": "string"}, "days": {"type": "array", "items": CITY}},
        "required": ["city", "days"],
        "additionalProperties": False,
    }
    for asked in (
        {"output_config": {"format": {"type": "json_schema", "schema": schema}}},
        {"output_format": {"type": "json_schema", "schema": schema}},
    ):
        decoded = events((await post(served, request("rillet-text", **asked))).content)
        (text,) = blocks(decoded)
        assert problems(json.loads(text["text"]), schema) == []
        assert len(text["deltas"]) > 3


async def test_without_stream_the_answer_is_the_message(served: Served) -> None:
    response = await post(served, request("rillet-function_call", tools=TOOLS, stream=False))
    assert response.headers["content-type"] == "application/json"
    message = response.json()
    assert message["type"] == "message"
    assert message["stop_reason"] == "tool_use"
    assert [b["type"] for b in message["content"]] == ["text", "tool_use"]
    assert problems(message["content"][1]["input"], CITY) == []
    response = await post(served, request("rillet-error", stream=False))
    assert response.status_code == 529
    assert response.json()["error"] == {"type": "overloaded_error", "message": "Overloaded"}


async def test_errors_have_the_api_shape(served: Served) -> None:
    async with httpx.AsyncClient(timeout=10) as http:
        url = f"{served.url}/messages"
        no_key = await http.post(
            url, json=request("rillet-text"), headers={"anthropic-version": "x"}
        )
        no_version = await http.post(url, json=request("rillet-text"), headers={"x-api-key": "k"})
    assert no_key.status_code == 401
    assert no_key.json()["error"]["type"] == "authentication_error"
    assert no_version.status_code == 400
    assert no_version.json()["error"]["message"] == "anthropic-version: header is required"
    missing = await post(served, {"model": "rillet-text", "messages": []})
    assert missing.status_code == 400
    assert missing.json()["type"] == "error"
    fault = await post(served, request("rillet-text"), Fault(kind="status", status=429).headers())
    assert fault.status_code == 429
    assert fault.json()["error"]["type"] == "rate_limit_error"
    unknown = await post(served, request("rillet-nonsense"))
    assert unknown.status_code == 400
    assert "text" in unknown.json()["error"]["message"]


async def test_faults_apply_to_anthropic_streams(served: Served) -> None:
    headers = {**HEADERS, **Fault(kind="drop-after-events", count=4).headers()}
    received = b""
    async with httpx.AsyncClient(timeout=10) as http:
        with pytest.raises(httpx.RemoteProtocolError):
            async with http.stream(
                "POST", f"{served.url}/messages", json=request("rillet-text"), headers=headers
            ) as response:
                async for chunk in response.aiter_bytes():
                    received += chunk
    assert shape(events(received)) == "M[pd"
    broken = await post(
        served, request("rillet-text"), Fault(kind="malformed-json-at", count=2).headers()
    )
    blocks_text = broken.content.split(b"\n\n")
    assert blocks_text[1] == b'event: content_block_start\ndata: {"type": "broken'


@pytest.mark.parametrize("name", provider_files("anthropic"))
async def test_recordings_replay_byte_for_byte(served: Served, name: str) -> None:
    headers = {"x-rillet-recording": name}
    response = await post(served, request("claude-sonnet-4-5"), headers)
    assert response.status_code == 200
    assert response.content == (CORPUS / name).read_bytes()


# -- the official SDK reads the emulator's streams ----------------------------------------------


def sdk(served: Served) -> anthropic.AsyncAnthropic:
    return anthropic.AsyncAnthropic(api_key="sk-ant-test", base_url=root(served), max_retries=0)


async def test_the_official_sdk_accumulates_text(served: Served) -> None:
    client = sdk(served)
    async with client.messages.stream(
        model="rillet-reasoning",
        max_tokens=1024,
        messages=[{"role": "user", "content": PROMPT}],
    ) as stream:
        message = await stream.get_final_message()
    plain = blocks(events((await post(served, request("rillet-reasoning"))).content))
    assert message.stop_reason == "end_turn"
    thinking, text = message.content
    assert thinking.type == "thinking"
    assert thinking.thinking == plain[0]["thinking"]
    assert len(thinking.signature) > 100
    assert text.type == "text"
    assert text.text == plain[1]["text"]
    assert message.usage.output_tokens > 0
    await client.close()


async def test_the_official_sdk_accumulates_tool_calls(served: Served) -> None:
    client = sdk(served)
    async with client.messages.stream(
        model="rillet-parallel_function_calls",
        max_tokens=1024,
        messages=[{"role": "user", "content": PROMPT}],
        tools=[{"name": "forecast", "input_schema": CITY}],
    ) as stream:
        message = await stream.get_final_message()
    assert message.stop_reason == "tool_use"
    calls = [block for block in message.content if block.type == "tool_use"]
    assert [call.name for call in calls] == ["forecast", "forecast"]
    for call in calls:
        assert problems(call.input, CITY) == []
    assert len({call.id for call in calls}) == 2
    await client.close()


async def test_the_official_sdk_stops_at_max_tokens_and_raises_mid_stream_errors(
    served: Served,
) -> None:
    client = sdk(served)
    async with client.messages.stream(
        model="rillet-text", max_tokens=7, messages=[{"role": "user", "content": PROMPT}]
    ) as stream:
        message = await stream.get_final_message()
    assert message.stop_reason == "max_tokens"
    assert message.content[0].type == "text"
    assert len(message.content[0].text.split()) == 7
    with pytest.raises(anthropic.APIStatusError) as caught:
        async with client.messages.stream(
            model="rillet-error", max_tokens=99, messages=[{"role": "user", "content": PROMPT}]
        ) as stream:
            await stream.get_final_message()
    assert "overloaded_error" in str(caught.value)
    created = await client.messages.create(
        model="rillet-function_call",
        max_tokens=99,
        messages=[{"role": "user", "content": PROMPT}],
        tools=[{"name": "forecast", "input_schema": CITY}],
    )
    assert created.stop_reason == "tool_use"
    await client.close()


@pytest.mark.parametrize("size", [1, 7, 64])
async def test_the_official_sdk_reads_any_chunking(served: Served, size: int) -> None:
    client = sdk(served)
    async with client.messages.stream(
        model="rillet-parallel_function_calls",
        max_tokens=1024,
        messages=[{"role": "user", "content": PROMPT}],
        tools=[{"name": "forecast", "input_schema": CITY}],
        extra_headers={"x-rillet-chunk-size": str(size)},
    ) as stream:
        chunked = await stream.get_final_message()
    async with client.messages.stream(
        model="rillet-parallel_function_calls",
        max_tokens=1024,
        messages=[{"role": "user", "content": PROMPT}],
        tools=[{"name": "forecast", "input_schema": CITY}],
    ) as stream:
        whole = await stream.get_final_message()
    strip = {"id"}  # fresh per request
    assert [b.model_dump(exclude=strip) for b in chunked.content] == [
        b.model_dump(exclude=strip) for b in whole.content
    ]
    assert chunked.stop_reason == whole.stop_reason == "tool_use"
    await client.close()
