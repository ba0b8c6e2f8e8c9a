"""What users' code sees under ``mypy --strict``: the types of the clients' calls.

mypy checks this file with the other tests: each ``assert_type`` fails the type check when a
call's type is not the one written. Run, the calls go to a mock transport.
"""

from __future__ import annotations

import json
from typing import assert_type

import httpx
import pytest

from rillet import (
    AsyncClient,
    CallOptions,
    ChatCompletionStream,
    Client,
    ResponseStream,
    ResumePosition,
    StreamCallOptions,
    SyncChatCompletionStream,
    SyncResponseStream,
)
from rillet.events import ChatCompletion, Response

OBJECTS: dict[str, dict[str, object]] = {
    "/v1/responses": {"id": "resp_1", "object": "response"},
    "/v1/responses/resp_1": {"id": "resp_1", "object": "response"},
    "/v1/chat/completions": {"id": "c1", "object": "chat.completion", "created": 0, "model": "m"},
}
POSITION = ResumePosition(response_id="resp_1", sequence_number=3)
seen: list[httpx.Request] = []


def answer(request: httpx.Request) -> httpx.Response:
    seen.append(request)
    if request.headers["accept"] == "text/event-stream":
        return httpx.Response(200, headers={"content-type": "text/event-stream"}, content=b"")
    return httpx.Response(200, json={**OBJECTS[request.url.path], "choices": []})


TRANSPORT = httpx.MockTransport(answer)


@pytest.mark.anyio
async def test_async_calls_are_typed_by_their_stream_argument() -> None:
    flag = len(seen) >= 0
    http = httpx.AsyncClient(transport=TRANSPORT)
    async with AsyncClient(api_key="sk-test", base_url="http://api/v1", http_client=http) as c:
        streamed = await c.responses.create(model="m", input="hi", stream=True)
        assert_type(streamed, ResponseStream)
        await streamed.aclose()
        whole = await c.responses.create(model="m", input="hi")
        assert_type(whole, Response)
        either = await c.responses.create(model="m", input="hi", stream=flag)
        assert_type(either, ResponseStream | Response)
        assert isinstance(either, ResponseStream)
        await either.aclose()
        chat = await c.chat.completions.create(model="m", messages=[], stream=True)
        assert_type(chat, ChatCompletionStream)
        await chat.aclose()
        completion = await c.chat.completions.create(model="m", messages=[], timeout=5.0)
        assert_type(completion, ChatCompletion)
        again = await c.responses.retrieve("resp_1", stream=True, starting_after=0, cache=False)
        assert_type(again, ResponseStream)
        options: StreamCallOptions = {"cache": False, "max_retries": 0}
        resumed = await c.responses.resume(POSITION, **options)
        assert_type(resumed, ResponseStream)
        await resumed.aclose()
        await again.aclose()
        plain: CallOptions = {"timeout": 5.0, "extra_headers": {"x-a": "1"}}
        assert_type(await c.responses.retrieve("resp_1", **plain), Response)
    assert seen[-1].headers["x-a"] == "1"


def test_blocking_calls_are_typed_by_their_stream_argument() -> None:
    flag = len(seen) < 0
    http = httpx.Client(transport=TRANSPORT)
    with Client(api_key="sk-test", base_url="http://api/v1", http_client=http) as client:
        with client.responses.create(model="m", input="hi", stream=True) as streamed:
            assert_type(streamed, SyncResponseStream)
        assert_type(client.responses.create(model="m", input="hi"), Response)
        chat = client.chat.completions.create(model="m", messages=[], stream=True)
        assert_type(chat, SyncChatCompletionStream)
        chat.close()
        either = client.chat.completions.create(model="m", messages=[], stream=flag)
        assert_type(either, SyncChatCompletionStream | ChatCompletion)
        assert isinstance(either, ChatCompletion)


def test_an_unknown_keyword_of_create_is_a_type_error_but_is_sent_in_the_body() -> None:
    # create()'s keywords are typed (rillet.params, and tests/typing/check_requests.py): a
    # misspelt one is a type error. At run time it is not checked: it goes in the body, as a
    # parameter newer than rillet's types would (extra_body is the typed way to send one).
    with Client(
        api_key="sk-test", base_url="http://api/v1", http_client=httpx.Client(transport=TRANSPORT)
    ) as client:
        client.responses.create(model="m", input="hi", timout=5)  # type: ignore[call-overload]
        assert json.loads(seen[-1].content)["timout"] == 5
        client.chat.completions.create(model="m", messages=[], extra_body={"newer": True})
        assert json.loads(seen[-1].content) == {"model": "m", "messages": [], "newer": True}


def test_retrieve_sends_the_query_parameters_of_the_api() -> None:
    with Client(
        api_key="sk-test", base_url="http://api/v1", http_client=httpx.Client(transport=TRANSPORT)
    ) as client:
        client.responses.retrieve("resp_1", include=["reasoning.encrypted_content"])
        assert seen[-1].url.params.multi_items() == [("include[]", "reasoning.encrypted_content")]
        stream = client.responses.retrieve(
            "resp_1",
            stream=True,
            include=["file_search_call.results", "message.output_text.logprobs"],
            include_obfuscation=False,
        )
        stream.close()
        assert seen[-1].url.params.multi_items() == [
            ("stream", "true"),
            ("include[]", "file_search_call.results"),
            ("include[]", "message.output_text.logprobs"),
            ("include_obfuscation", "false"),
        ]
