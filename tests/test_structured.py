"""Structured output through the clients: ``text_format=`` / ``response_format=`` and ``parse()``.

Two servers. The emulator on 127.0.0.1 (``served``) checks what reaches a real server (the
request body) and what its answers give: its text is prose, not JSON of the format (it does not
follow schemas yet), so that is the invalid-output case; its ``refusal`` and ``incomplete``
scenarios give ``None``. For the parsed values, an ``httpx.MockTransport`` answers with the
emulator's own event sequences (``rillet.testing._scenarios``) around text chosen here: JSON of
the format, JSON that is not, and refusals.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import AsyncGenerator, Generator
from contextlib import asynccontextmanager, contextmanager
from typing import Any, Literal, NotRequired, TypedDict

import attrs
import httpx
import pydantic
import pytest

from clients import API_KEY, FAST
from conftest import Served
from rillet import (
    AsyncClient,
    Client,
    ParsedChatCompletionStream,
    ParsedResponseStream,
    StructuredOutputError,
    SyncParsedResponseStream,
)
from rillet._schema import json_schema, parse_as
from rillet.events import ChatCompletion, ParsedChatCompletion, ParsedResponse, Response
from rillet.testing._scenarios import _Responses, encode  # pyright: ignore[reportPrivateUsage]

pytestmark = pytest.mark.anyio


@attrs.frozen
class Step:
    text: str
    minutes: int | None


@attrs.frozen
class Recipe:
    title: str
    steps: list[Step]


@dataclasses.dataclass(frozen=True)
class Point:
    x: float
    y: float


class Movie(TypedDict):
    title: str
    year: int
    tags: NotRequired[list[str]]


class Film(pydantic.BaseModel):
    title: str
    year: int


RECIPE = {"title": "Soup", "steps": [{"text": "Boil", "minutes": 10}]}
CASES: list[tuple[type[Any], dict[str, Any], object]] = [
    (Recipe, RECIPE, Recipe("Soup", [Step("Boil", 10)])),
    (Point, {"x": 1, "y": 2.5}, Point(1.0, 2.5)),
    (Movie, {"title": "Up", "year": 2009, "tags": None}, {"title": "Up", "year": 2009}),
    (Film, {"title": "Up", "year": 2009}, Film(title="Up", year=2009)),
]
IDS = ["attrs", "dataclass", "typeddict", "pydantic"]

Answer = Literal["text", "refusal", "incomplete"]


# -- a server that answers with chosen text ------------------------------------------------------


@attrs.define
class Scripted:
    """What the mock server answers, and the request bodies it received."""

    text: str = ""
    answer: Answer = "text"
    bodies: list[dict[str, Any]] = attrs.Factory(list)  # pyright: ignore[reportUnknownVariableType]

    def handle(self, request: httpx.Request) -> httpx.Response:
        body: dict[str, Any] = json.loads(request.content)
        self.bodies.append(body)
        stream = bool(body.get("stream"))
        if request.url.path.endswith("/responses"):
            events = self.response_events(body)
            if stream:
                return sse(encode(events))
            return httpx.Response(200, json=events[-1]["response"])
        chunks = self.chat_chunks()
        if stream:
            return sse(encode([*chunks, "[DONE]"]))
        return httpx.Response(200, json=self.chat_completion())

    def response_events(self, body: dict[str, Any]) -> list[dict[str, Any]]:
        writer = _Responses(body)
        writer.start()
        if self.answer == "incomplete":
            writer.message(pieces(self.text), limit=2)
            writer.finish("incomplete", incomplete_details={"reason": "max_output_tokens"})
        else:
            writer.message(pieces(self.text), refusal=self.answer == "refusal")
            writer.finish("completed")
        return writer.events

    def chat_chunks(self) -> list[dict[str, Any] | str]:
        field = "refusal" if self.answer == "refusal" else "content"
        finish = "length" if self.answer == "incomplete" else "stop"
        text = self.text[: len(self.text) // 2] if self.answer == "incomplete" else self.text
        pieces = [text[i : i + 7] for i in range(0, len(text), 7)]
        return [
            chunk({"role": "assistant", "content": None if field == "refusal" else ""}),
            *(chunk({field: piece}) for piece in pieces),
            chunk({}, finish),
        ]

    def chat_completion(self) -> dict[str, Any]:
        refused = self.answer == "refusal"
        text = self.text[: len(self.text) // 2] if self.answer == "incomplete" else self.text
        message = {
            "role": "assistant",
            "content": None if refused else text,
            "refusal": text if refused else None,
        }
        finish = "length" if self.answer == "incomplete" else "stop"
        return {
            "id": "chatcmpl-1",
            "object": "chat.completion",
            "created": 1,
            "model": "m",
            "choices": [{"index": 0, "message": message, "finish_reason": finish}],
        }


def chunk(delta: dict[str, Any], finish: str | None = None) -> dict[str, Any]:
    choice = {"index": 0, "delta": delta, "finish_reason": finish}
    return {
        "id": "chatcmpl-1",
        "object": "chat.completion.chunk",
        "created": 1,
        "choices": [choice],
    }


def sse(body: bytes) -> httpx.Response:
    return httpx.Response(200, content=body, headers={"content-type": "text/event-stream"})


@asynccontextmanager
async def scripted(
    text: str = "", answer: Answer = "text"
) -> AsyncGenerator[tuple[AsyncClient, Scripted]]:
    server = Scripted(text, answer)
    async with httpx.AsyncClient(transport=httpx.MockTransport(server.handle)) as http:
        yield AsyncClient(api_key=API_KEY, base_url="http://mock/v1", http_client=http), server


@contextmanager
def scripted_sync(text: str = "", answer: Answer = "text") -> Generator[tuple[Client, Scripted]]:
    server = Scripted(text, answer)
    with httpx.Client(transport=httpx.MockTransport(server.handle)) as http:
        yield Client(api_key=API_KEY, base_url="http://mock/v1", http_client=http), server


def text_format_of(tp: type[Any], name: str) -> dict[str, Any]:
    return {"type": "json_schema", "name": name, "schema": json_schema(tp), "strict": True}


# -- requests ------------------------------------------------------------------------------------


async def test_text_format_is_sent_as_the_strict_schema_beside_other_text_keys(
    served: Served,
) -> None:
    async with httpx.AsyncClient() as http:
        client = AsyncClient(api_key=API_KEY, base_url=served.url, http_client=http, timeout=FAST)
        parsed = await client.responses.parse(
            model="rillet-text", input="hi", text_format=Recipe, text={"verbosity": "low"}
        )
    assert isinstance(parsed.output_parsed, Recipe)  # the emulator follows the schema
    assert parsed.output_parsed == parse_as(Recipe, json.loads(parsed.output_text))
    method, path, _, raw = served.emulator.requests[-1]
    body = json.loads(raw)
    assert (method, path) == ("POST", "/v1/responses")
    assert body["text"] == {"verbosity": "low", "format": text_format_of(Recipe, "Recipe")}
    assert "text_format" not in body


async def test_response_format_class_is_sent_as_the_json_schema_format(served: Served) -> None:
    async with httpx.AsyncClient() as http:
        client = AsyncClient(api_key=API_KEY, base_url=served.url, http_client=http, timeout=FAST)
        completion = await client.chat.completions.parse(
            model="rillet-text",
            messages=[{"role": "user", "content": "hi"}],
            response_format=Movie,
        )
    movie = completion.choices[0].message.parsed
    assert movie is not None
    assert (type(movie["title"]), type(movie["year"])) == (str, int)
    body = json.loads(served.emulator.requests[-1][3])
    assert body["response_format"] == {
        "type": "json_schema",
        "json_schema": {"name": "Movie", "schema": json_schema(Movie), "strict": True},
    }


async def test_the_apis_own_response_format_is_sent_as_it_is() -> None:
    own = {"type": "json_object"}
    async with scripted("{}") as (client, server):
        completion = await client.chat.completions.create(
            model="m",
            messages=[{"role": "user", "content": "hi"}],
            response_format={"type": "json_object"},
        )
    assert server.bodies[-1]["response_format"] == own
    assert type(completion) is ChatCompletion


async def test_text_format_and_text_format_key_together_are_refused() -> None:
    async with scripted("{}") as (client, server):
        with pytest.raises(TypeError, match="not both"):
            await client.responses.create(
                model="m", input="hi", text_format=Recipe, text={"format": {"type": "text"}}
            )
    assert server.bodies == []


async def test_an_unsupported_format_is_refused_before_sending() -> None:
    @attrs.frozen
    class Loose:
        data: dict[str, int]

    async with scripted("{}") as (client, server):
        with pytest.raises(TypeError, match=r"Loose.data: dict\[str, int\] is not supported"):
            await client.responses.parse(model="m", input="hi", text_format=Loose)
    assert server.bodies == []


async def test_a_format_that_is_not_an_object_is_refused() -> None:
    async with scripted("[]") as (client, server):
        with pytest.raises(TypeError, match="must be a class with fields"):
            await client.responses.parse(model="m", input="hi", text_format=list[int])
        with pytest.raises(TypeError, match="must be a class with fields"):
            await client.chat.completions.parse(
                model="m", messages=[{"role": "user", "content": "hi"}], response_format=int
            )
    assert server.bodies == []


# -- parsed results ------------------------------------------------------------------------------


@pytest.mark.parametrize(("tp", "value", "expected"), CASES, ids=IDS)
async def test_parse_gives_the_value(
    tp: type[Any], value: dict[str, Any], expected: object
) -> None:
    text = json.dumps(value)
    async with scripted(text) as (client, _):
        response = await client.responses.parse(model="m", input="hi", text_format=tp)
        completion = await client.chat.completions.parse(
            model="m", messages=[{"role": "user", "content": "hi"}], response_format=tp
        )
    assert isinstance(response, ParsedResponse)
    assert isinstance(response, Response)
    assert response.output_parsed == expected
    assert response.output_text == text
    assert "output_parsed" not in response.to_dict()
    assert response.to_dict()["output"][0]["content"][0]["text"] == text
    assert isinstance(completion, ParsedChatCompletion)
    assert completion.choices[0].message.parsed == expected
    assert completion.choices[0].message.content == text
    assert "parsed" not in completion.to_dict()["choices"][0]["message"]


@pytest.mark.parametrize(("tp", "value", "expected"), CASES, ids=IDS)
async def test_a_streams_final_response_is_parsed(
    tp: type[Any], value: dict[str, Any], expected: object
) -> None:
    text = json.dumps(value)
    async with scripted(text) as (client, _):
        async with await client.responses.create(
            model="m", input="hi", stream=True, text_format=tp
        ) as stream:
            assert isinstance(stream, ParsedResponseStream)
            assert stream.text_format is tp
            deltas = "".join([delta async for delta in stream.text_deltas()])
            response = await stream.final_response()
        async with await client.chat.completions.create(
            model="m", messages=[{"role": "user", "content": "hi"}], stream=True, response_format=tp
        ) as chat:
            assert isinstance(chat, ParsedChatCompletionStream)
            assert chat.response_format is tp
            completion = await chat.final_response()
    assert deltas == text
    assert response.output_parsed == expected
    assert completion.choices[0].message.parsed == expected


async def test_dispatch_returns_the_parsed_response() -> None:
    async with scripted(json.dumps(RECIPE)) as (client, _):
        async with await client.responses.create(
            model="m", input="hi", stream=True, text_format=Recipe
        ) as stream:
            response = await stream.dispatch()
    assert response.output_parsed == Recipe("Soup", [Step("Boil", 10)])


def test_the_blocking_client_parses_too() -> None:
    with scripted_sync(json.dumps(RECIPE)) as (client, _):
        response = client.responses.parse(model="m", input="hi", text_format=Recipe)
        with client.responses.create(
            model="m", input="hi", stream=True, text_format=Recipe
        ) as stream:
            assert isinstance(stream, SyncParsedResponseStream)
            streamed = stream.get_final_response()
        completion = client.chat.completions.parse(
            model="m", messages=[{"role": "user", "content": "hi"}], response_format=Recipe
        )
        with client.chat.completions.create(
            model="m",
            messages=[{"role": "user", "content": "hi"}],
            stream=True,
            response_format=Recipe,
        ) as chat:
            streamed_chat = chat.get_final_response()
    expected = Recipe("Soup", [Step("Boil", 10)])
    assert response.output_parsed == streamed.output_parsed == expected
    assert completion.choices[0].message.parsed == expected
    assert streamed_chat.choices[0].message.parsed == expected


# -- refusals, incomplete output, invalid output ------------------------------------------------

REFUSAL = "I'm sorry, but I can't help with that."


async def test_a_refusal_parses_to_none_and_keeps_its_text() -> None:
    async with scripted(REFUSAL, "refusal") as (client, _):
        response = await client.responses.parse(model="m", input="hi", text_format=Recipe)
        async with await client.responses.create(
            model="m", input="hi", stream=True, text_format=Recipe
        ) as stream:
            streamed = await stream.final_response()
        completion = await client.chat.completions.parse(
            model="m", messages=[{"role": "user", "content": "hi"}], response_format=Recipe
        )
        async with await client.chat.completions.create(
            model="m",
            messages=[{"role": "user", "content": "hi"}],
            stream=True,
            response_format=Recipe,
        ) as chat:
            streamed_chat = await chat.final_response()
    for result in (response, streamed):
        assert result.output_parsed is None
        assert result.to_dict()["output"][0]["content"][0] == {
            "type": "refusal",
            "refusal": REFUSAL,
        }
    for chat_result in (completion, streamed_chat):
        assert chat_result.choices[0].message.parsed is None
        assert chat_result.choices[0].message.refusal == REFUSAL


async def test_incomplete_output_parses_to_none() -> None:
    text = json.dumps(RECIPE)
    async with scripted(text, "incomplete") as (client, _):
        response = await client.responses.parse(model="m", input="hi", text_format=Recipe)
        completion = await client.chat.completions.parse(
            model="m", messages=[{"role": "user", "content": "hi"}], response_format=Recipe
        )
    assert response.status == "incomplete"
    assert response.output_parsed is None
    assert response.output_text  # the text so far stays
    assert completion.choices[0].finish_reason == "length"
    assert completion.choices[0].message.parsed is None


async def test_the_emulators_refusal_and_incomplete_scenarios(served: Served) -> None:
    async with httpx.AsyncClient() as http:
        client = AsyncClient(api_key=API_KEY, base_url=served.url, http_client=http, timeout=FAST)
        for model in ("rillet-refusal", "rillet-incomplete"):
            response = await client.responses.parse(model=model, input="hi", text_format=Recipe)
            assert response.output_parsed is None
            completion = await client.chat.completions.parse(
                model=model, messages=[{"role": "user", "content": "hi"}], response_format=Recipe
            )
            assert completion.choices[0].message.parsed is None


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ('{"title": "Soup", "steps": [{"text": "Boil", "minutes": "ten"}]}', "$.steps[0].minutes"),
        ('{"title": "Soup", "ste', "not JSON"),
    ],
)
async def test_invalid_output_raises_with_the_response(text: str, problem: str) -> None:
    async with scripted(text) as (client, _):
        with pytest.raises(
            StructuredOutputError, match=problem.replace("$", r"\$").replace("[", r"\[")
        ) as caught:
            await client.responses.parse(model="m", input="hi", text_format=Recipe)
        assert isinstance(caught.value.response, Response)
        assert caught.value.text == text
        assert caught.value.response.output_text == text
        async with await client.responses.create(
            model="m", input="hi", stream=True, text_format=Recipe
        ) as stream:
            with pytest.raises(StructuredOutputError) as streamed:
                await stream.final_response()
            assert stream.snapshot is not None  # the stream's result stays reachable
        assert isinstance(streamed.value.response, Response)
        with pytest.raises(StructuredOutputError) as chat:
            await client.chat.completions.parse(
                model="m", messages=[{"role": "user", "content": "hi"}], response_format=Recipe
            )
        assert isinstance(chat.value.response, ChatCompletion)
        assert chat.value.text == text


async def test_prose_is_invalid_output(served: Served) -> None:
    prose = {"x-rillet-recording": "responses/plain_text_sorted_keys_2026.sse"}
    async with httpx.AsyncClient() as http:
        client = AsyncClient(api_key=API_KEY, base_url=served.url, http_client=http, timeout=FAST)
        async with await client.responses.create(
            model="rillet-text", input="hi", stream=True, text_format=Point, extra_headers=prose
        ) as stream:
            with pytest.raises(StructuredOutputError, match="not JSON") as caught:
                await stream.final_response()
    response = caught.value.response
    assert isinstance(response, Response)
    assert response.status == "completed"
    assert caught.value.text == response.output_text


def test_the_last_message_is_the_one_parsed() -> None:
    from rillet._structured import parse_response  # noqa: PLC0415

    def message(text: str, phase: str) -> dict[str, Any]:
        part: dict[str, object] = {"type": "output_text", "text": text, "annotations": []}
        return {"type": "message", "id": phase, "role": "assistant", "content": [part]}

    output = [message("Let me think.", "commentary"), message(json.dumps(RECIPE), "final_answer")]
    response = Response.from_dict({"id": "resp_1", "status": "completed", "output": output})
    parsed = parse_response(response, Recipe)
    assert parsed.output_parsed == Recipe("Soup", [Step("Boil", 10)])
    assert parsed.to_dict() == response.to_dict()


def pieces(text: str, size: int = 6) -> list[str]:
    """The deltas of ``text``."""
    return [text[i : i + size] for i in range(0, len(text), size)]
