"""The emulator's Gemini API, over loopback: exact bytes, and the official google-genai SDK."""

from __future__ import annotations

import json
import re
from typing import Any

import anyio
import anyio.to_thread
import httpx
import pytest
import sniffio
from google import genai
from google.genai import errors, types

from conftest import Served
from corpus_files import CORPUS, provider_files
from rillet.sse import SSEDecoder
from rillet.testing import Fault
from schema_check import problems

pytestmark = [pytest.mark.anyio, pytest.mark.json_independent]

HEADERS = {"x-goog-api-key": "test-key"}
CITY = {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]}
PROMPT = "What is the weather in Lima and Oslo?"
TOOLS = [{"functionDeclarations": [{"name": "forecast", "parameters": CITY}]}]


def root(served: Served) -> str:
    return served.url.removesuffix("/v1")


def body(**more: Any) -> dict[str, Any]:
    return {"contents": [{"role": "user", "parts": [{"text": PROMPT}]}], **more}


async def stream(
    served: Served, model: str, payload: dict[str, Any], headers: dict[str, str] | None = None
) -> httpx.Response:
    url = f"{root(served)}/v1beta/models/{model}:streamGenerateContent?alt=sse"
    async with httpx.AsyncClient(timeout=10) as http:
        return await http.post(url, json=payload, headers={**HEADERS, **(headers or {})})


def frames(raw: bytes) -> list[dict[str, Any]]:
    """The data of each frame, decoded by rillet's SSE decoder."""
    decoder = SSEDecoder()
    decoded = [*decoder.feed(raw), *decoder.close()]
    assert not any(sse.has_event_field for sse in decoded)
    return [json.loads(sse.raw_data) for sse in decoded]


def parts(decoded: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [p for f in decoded for c in f.get("candidates", []) for p in c["content"]["parts"]]


def text_of(decoded: list[dict[str, Any]], *, thought: bool = False) -> str:
    return "".join(p.get("text", "") for p in parts(decoded) if p.get("thought", False) is thought)


def finish(decoded: list[dict[str, Any]]) -> list[str | None]:
    return [f["candidates"][0].get("finishReason") for f in decoded]


async def test_frames_are_crlf_data_lines_in_the_api_json_style(served: Served) -> None:
    response = await stream(served, "rillet-text", body())
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/event-stream")
    raw = response.content.decode()
    assert raw.endswith("\r\n\r\n")
    for block in raw.split("\r\n\r\n")[:-1]:
        assert block.startswith("data: {")
        assert "\n" not in block
        data = json.loads(block.removeprefix("data: "))
        assert block.removeprefix("data: ") == json.dumps(data, separators=(",", ": "))
    decoded = frames(response.content)
    assert len(decoded) > 2
    assert all("usageMetadata" in f for f in decoded)
    assert finish(decoded) == [None] * (len(decoded) - 1) + ["STOP"]
    usage = decoded[-1]["usageMetadata"]
    assert usage["promptTokenCount"] == len(PROMPT.split())
    assert usage["candidatesTokenCount"] == len(text_of(decoded).split())
    assert usage["totalTokenCount"] == usage["promptTokenCount"] + usage["candidatesTokenCount"]
    assert len({f["responseId"] for f in decoded}) == 1
    again = frames((await stream(served, "rillet-text", body())).content)
    assert text_of(again) == text_of(decoded)


async def test_function_calls_have_whole_args(served: Served) -> None:
    decoded = frames(
        (await stream(served, "rillet-parallel_function_calls", body(tools=TOOLS))).content
    )
    (last,) = decoded
    assert finish(decoded) == ["STOP"]
    calls = [p["functionCall"] for p in parts(decoded)]
    assert [c["name"] for c in calls] == ["forecast", "forecast"]
    for call in calls:
        assert problems(call["args"], CITY) == []
        assert call["args"]["city"] in PROMPT
    assert last["usageMetadata"]["candidatesTokenCount"] > 0
    upper = [{"functionDeclarations": [{"name": "f", "parameters": {"type": "OBJECT"}}]}]
    decoded = frames((await stream(served, "rillet-function_call", body(tools=upper))).content)
    assert parts(decoded)[0]["functionCall"]["name"] == "f"


async def test_thoughts_and_a_signature(served: Served) -> None:
    config = {"thinkingConfig": {"includeThoughts": True}}
    for model, payload in (
        ("rillet-reasoning", body()),
        ("rillet-text", body(generationConfig=config)),
    ):
        decoded = frames((await stream(served, model, payload)).content)
        thoughts = [p for p in parts(decoded) if p.get("thought")]
        assert thoughts
        assert PROMPT in text_of(decoded, thought=True)
        first_text = next(p for p in parts(decoded) if not p.get("thought"))
        assert len(first_text["thoughtSignature"]) > 100
        assert decoded[-1]["usageMetadata"]["thoughtsTokenCount"] > 0
    plain = frames((await stream(served, "rillet-text", body())).content)
    assert not any("thought" in p or "thoughtSignature" in p for p in parts(plain))


async def test_max_tokens_and_a_blocked_prompt(served: Served) -> None:
    payload = body(generationConfig={"maxOutputTokens": 6})
    decoded = frames((await stream(served, "rillet-text", payload)).content)
    assert finish(decoded)[-1] == "MAX_TOKENS"
    assert len(text_of(decoded).split()) == 6
    decoded = frames((await stream(served, "rillet-incomplete", body())).content)
    assert len(text_of(decoded).split()) == 16
    (blocked,) = frames((await stream(served, "rillet-refusal", body())).content)
    assert "candidates" not in blocked
    assert blocked["promptFeedback"]["blockReason"] == "SAFETY"
    assert "usageMetadata" in blocked


async def test_json_output_follows_the_response_schema(served: Served) -> None:
    upper = {"type": "OBJECT", "properties": {"city": {"type": "STRING"}}, "required": ["city"]}
    for config, schema in (
        ({"responseMimeType": "application/json", "responseJsonSchema": CITY}, CITY),
        ({"response_mime_type": "application/json", "response_schema": upper}, CITY),
    ):
        decoded = frames(
            (await stream(served, "rillet-text", body(generationConfig=config))).content
        )
        assert problems(json.loads(text_of(decoded)), schema) == []
    plain = {"responseMimeType": "application/json"}
    decoded = frames((await stream(served, "rillet-text", body(generationConfig=plain))).content)
    assert isinstance(json.loads(text_of(decoded)), dict)


async def test_an_error_mid_stream_is_bare_json(served: Served) -> None:
    raw = (await stream(served, "rillet-error", body())).content
    decoded = frames(raw)
    assert len(decoded) == 2
    assert finish(decoded) == [None, None]
    tail = raw[raw.rindex(b"\r\n\r\n") + 4 :]
    assert tail.startswith(b'{\n  "error": {\n    "code": 503,')
    assert json.loads(tail)["error"]["status"] == "UNAVAILABLE"
    failed = await stream(served, "rillet-failed", body())
    assert failed.status_code == 500
    assert failed.json()["error"]["status"] == "INTERNAL"


async def test_generate_content_answers_the_merged_response(served: Served) -> None:
    url = f"{root(served)}/v1beta/models/rillet-reasoning:generateContent?key=k"
    async with httpx.AsyncClient(timeout=10) as http:
        response = await http.post(url, json=body())
    assert response.status_code == 200
    assert response.text.startswith('{\n  "candidates": [')
    candidate = response.json()["candidates"][0]
    assert candidate["finishReason"] == "STOP"
    thought, text = candidate["content"]["parts"]
    assert thought["thought"] is True
    assert "thoughtSignature" in text
    streamed = frames((await stream(served, "rillet-reasoning", body())).content)
    assert text["text"] == text_of(streamed)


async def test_errors_have_the_api_shape(served: Served) -> None:
    url = f"{root(served)}/v1beta/models/rillet-text:streamGenerateContent?alt=sse"
    async with httpx.AsyncClient(timeout=10) as http:
        no_key = await http.post(url, json=body())
    assert no_key.status_code == 403
    assert no_key.json()["error"]["status"] == "PERMISSION_DENIED"
    fault = await stream(served, "rillet-text", body(), Fault(kind="status", status=429).headers())
    assert fault.status_code == 429
    assert fault.json()["error"] == {
        "code": 429,
        "message": "injected fault",
        "status": "RESOURCE_EXHAUSTED",
    }


async def test_faults_apply_to_gemini_streams(served: Served) -> None:
    headers = {**HEADERS, **Fault(kind="drop-after-events", count=2).headers()}
    url = f"{root(served)}/v1beta/models/rillet-text:streamGenerateContent?alt=sse"
    received = b""
    async with httpx.AsyncClient(timeout=10) as http:
        with pytest.raises(httpx.RemoteProtocolError):
            async with http.stream("POST", url, json=body(), headers=headers) as response:
                async for chunk in response.aiter_bytes():
                    received += chunk
    assert len(frames(received)) == 2
    assert received.endswith(b"\r\n\r\n")


@pytest.mark.parametrize("name", provider_files("gemini"))
async def test_recordings_replay_byte_for_byte(served: Served, name: str) -> None:
    response = await stream(served, "gemini-2.5-flash", body(), {"x-rillet-recording": name})
    assert response.status_code == 200
    assert response.content == (CORPUS / name).read_bytes()
    assert re.match(rb"data: |\{", response.content)


# -- the official SDK reads the emulator's streams ----------------------------------------------


def sdk(served: Served, headers: dict[str, str] | None = None) -> genai.Client:
    options = types.HttpOptions(base_url=root(served), timeout=10_000, headers=headers)
    return genai.Client(api_key="test-key", http_options=options)


async def collect(
    served: Served,
    model: str,
    config: types.GenerateContentConfig | None = None,
    received: list[types.GenerateContentResponse] | None = None,
    headers: dict[str, str] | None = None,
) -> list[types.GenerateContentResponse]:
    """The chunks google-genai yields: its async client on asyncio (the only loop it runs on),
    its blocking client in a worker thread on trio."""
    client = sdk(served, headers)
    chunks = [] if received is None else received
    if sniffio.current_async_library() == "asyncio":
        async for chunk in await client.aio.models.generate_content_stream(
            model=model, contents=PROMPT, config=config
        ):
            chunks.append(chunk)
        return chunks

    def read() -> None:
        chunks.extend(
            client.models.generate_content_stream(model=model, contents=PROMPT, config=config)
        )

    await anyio.to_thread.run_sync(read)
    return chunks


async def generate(served: Served, model: str) -> types.GenerateContentResponse:
    client = sdk(served)
    if sniffio.current_async_library() == "asyncio":
        return await client.aio.models.generate_content(model=model, contents=PROMPT)
    return await anyio.to_thread.run_sync(
        lambda: client.models.generate_content(model=model, contents=PROMPT)
    )


async def test_the_official_sdk_reads_text_and_thoughts(served: Served) -> None:
    config = types.GenerateContentConfig(
        thinking_config=types.ThinkingConfig(include_thoughts=True)
    )
    chunks = await collect(served, "rillet-text", config)
    expected = frames((await stream(served, "rillet-text", body())).content)
    text = "".join(
        part.text or ""
        for chunk in chunks
        for part in (chunk.candidates or [])[0].content.parts or []  # type: ignore[union-attr]
        if not part.thought
    )
    assert text == text_of(expected)
    thoughts = [
        part
        for chunk in chunks
        for part in (chunk.candidates or [])[0].content.parts or []  # type: ignore[union-attr]
        if part.thought
    ]
    assert thoughts
    assert chunks[-1].candidates[0].finish_reason == types.FinishReason.STOP  # type: ignore[index]
    assert chunks[-1].usage_metadata.thoughts_token_count  # type: ignore[union-attr]


async def test_the_official_sdk_reads_function_calls(served: Served) -> None:
    tool = types.Tool(
        function_declarations=[
            types.FunctionDeclaration(name="forecast", parameters_json_schema=CITY)
        ]
    )
    chunks = await collect(
        served, "rillet-parallel_function_calls", types.GenerateContentConfig(tools=[tool])
    )
    calls = [call for chunk in chunks for call in chunk.function_calls or []]
    assert [call.name for call in calls] == ["forecast", "forecast"]
    for call in calls:
        assert problems(call.args, CITY) == []


async def test_the_official_sdk_sees_max_tokens_blocks_and_errors(served: Served) -> None:
    config = types.GenerateContentConfig(max_output_tokens=5)
    chunks = await collect(served, "rillet-text", config)
    assert chunks[-1].candidates[0].finish_reason == types.FinishReason.MAX_TOKENS  # type: ignore[index]
    assert len("".join(chunk.text or "" for chunk in chunks).split()) == 5
    (blocked,) = await collect(served, "rillet-refusal")
    assert blocked.prompt_feedback is not None
    assert blocked.prompt_feedback.block_reason == types.BlockedReason.SAFETY
    received: list[types.GenerateContentResponse] = []
    with pytest.raises(errors.ServerError) as caught:
        await collect(served, "rillet-error", received=received)
    assert caught.value.code == 503
    assert len(received) == 2
    response = await generate(served, "rillet-text")
    assert response.text == text_of(
        expected := frames((await stream(served, "rillet-text", body())).content)
    )
    assert expected


@pytest.mark.parametrize("size", [1, 7, 64])
async def test_the_official_sdk_reads_any_chunking(served: Served, size: int) -> None:
    config = types.GenerateContentConfig(
        thinking_config=types.ThinkingConfig(include_thoughts=True)
    )
    chunked = await collect(
        served, "rillet-text", config, headers={"x-rillet-chunk-size": str(size)}
    )
    whole = await collect(served, "rillet-text", config)

    def seen(chunks: list[types.GenerateContentResponse]) -> list[object]:
        """Each chunk's parts (text, thought) and finish reason (signatures are fresh)."""
        candidates = [(chunk.candidates or [])[0] for chunk in chunks]
        return [
            (
                [(p.text, p.thought) for p in (c.content.parts if c.content else None) or []],
                c.finish_reason,
            )
            for c in candidates
        ]

    assert seen(chunked) == seen(whole)
    assert len(whole) > 3
