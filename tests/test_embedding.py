"""rillet's objects returned from Starlette and FastAPI endpoints, in one line (docs/embedding.md).

Each app is called in-process (httpx's ASGI transport), on asyncio and trio. The JSON a client
gets is compared with the recording's own JSON, read with ``json`` alone.
"""

from __future__ import annotations

import json
from typing import Annotated, Any

import httpx
import pytest
from fastapi import Body, FastAPI
from pydantic import TypeAdapter
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from corpus_files import read
from rillet import ChatCompletionAccumulator
from rillet.events import (
    ChatCompletion,
    MessageItem,
    OutputItem,
    Response,
    ResponseCompletedEvent,
    parse_chat_chunk,
    parse_event_data,
)
from rillet.sse import SSEDecoder

pytestmark = pytest.mark.anyio

NAME = "responses/reasoning_text_and_function_call.sse"


def recorded() -> tuple[Response, dict[str, Any]]:
    """The final response of a recording, and its JSON as the server sent it."""
    decoder = SSEDecoder()
    for sse in decoder.feed(read(NAME)):
        if sse.event == "response.completed":
            event = parse_event_data(sse.event, sse.raw_data)
            assert isinstance(event, ResponseCompletedEvent)
            raw: dict[str, Any] = json.loads(sse.data)["response"]
            return event.response, raw
    raise AssertionError(NAME)


def accumulated() -> ChatCompletion:
    accumulator = ChatCompletionAccumulator()
    decoder = SSEDecoder()
    for sse in decoder.feed(read("chat/tool_call_single.sse")):
        if sse.data != "[DONE]":
            accumulator.add(parse_chat_chunk(sse.raw_data))
    accumulator.close()
    return accumulator.result()


RESPONSE, RAW = recorded()
MESSAGE = next(item for item in RAW["output"] if item["type"] == "message")


def client(app: Any) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app), base_url="http://service")


async def test_starlette_sends_to_dict_as_it_is() -> None:
    async def answer(request: Request) -> JSONResponse:
        return JSONResponse(RESPONSE.to_dict())

    async with client(Starlette(routes=[Route("/answer", answer)])) as http:
        got = await http.get("/answer")
    assert got.status_code == 200
    assert got.json() == RAW


def fastapi_app() -> FastAPI:
    app = FastAPI()

    @app.get("/response")
    async def response() -> Response:
        return RESPONSE

    @app.get("/items", response_model=list[OutputItem])
    async def items() -> Any:
        return RESPONSE.output

    @app.get("/completion")
    async def completion() -> ChatCompletion:
        return accumulated()

    @app.post("/echo")
    async def echo(item: Annotated[MessageItem, Body()]) -> MessageItem:
        return item

    return app


async def test_fastapi_returns_models_as_their_json() -> None:
    async with client(fastapi_app()) as http:
        response = await http.get("/response")
        items = await http.get("/items")
        completion = await http.get("/completion")
    assert (response.status_code, items.status_code, completion.status_code) == (200, 200, 200)
    assert response.json() == RAW
    assert items.json() == RAW["output"]
    assert completion.json() == accumulated().to_dict()


async def test_fastapi_takes_a_model_from_its_json_fields_rillet_does_not_know_included() -> None:
    sent = {**MESSAGE, "new_field": {"from": "the future"}}
    async with client(fastapi_app()) as http:
        echoed = await http.post("/echo", json=sent)
        missing = await http.post("/echo", json={"type": "message"})
        wrong = await http.post("/echo", json={**MESSAGE, "status": 5})
        not_object = await http.post("/echo", json=[MESSAGE])
    assert echoed.status_code == 200
    assert echoed.json() == sent
    problems = [r.json()["detail"][0]["msg"] for r in (missing, wrong, not_object)]
    assert [r.status_code for r in (missing, wrong, not_object)] == [422, 422, 422]
    assert "not a MessageItem at id: required field missing" in problems[0]
    assert "not a MessageItem at status: expected a string or null, got int 5" in problems[1]
    assert "expected a MessageItem or its JSON object, not list" in problems[2]


async def test_fastapi_documents_models_as_json_objects() -> None:
    async with client(fastapi_app()) as http:
        schema = (await http.get("/openapi.json")).json()
    returned = schema["paths"]["/response"]["get"]["responses"]["200"]["content"]
    taken = schema["paths"]["/echo"]["post"]["requestBody"]["content"]
    for content, cls in [(returned, Response), (taken, MessageItem)]:
        documented = content["application/json"]["schema"]
        assert documented["type"] == "object"
        assert documented["description"] == (cls.__doc__ or "").split("\n\n")[0]


def test_pydantic_dumps_a_copy_and_takes_the_model_as_it_is() -> None:
    adapter = TypeAdapter(Response)
    dumped = adapter.dump_python(RESPONSE)
    assert dumped == RAW
    dumped["output"].clear()  # a copy: the model keeps its JSON
    assert RESPONSE.to_dict() == RAW
    assert json.loads(adapter.dump_json(RESPONSE)) == RAW
    assert adapter.validate_python(RESPONSE) is RESPONSE
    assert adapter.validate_python(RAW) == RESPONSE
