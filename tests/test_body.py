"""Request bodies: the JSON httpx's ``json=`` wrote, rillet's models in it as their own JSON."""

from __future__ import annotations

import dataclasses
import datetime as dt
import enum
import json
import math
import uuid
from typing import Any, cast

import httpx
import pytest
from hypothesis import given
from hypothesis import strategies as st

import rillet._client_base
from corpus_files import read
from rillet import Client, RequestBodyError, RilletError
from rillet._body import _stdlib_dumps, encode_body
from rillet.events import (
    FunctionCallItem,
    MessageItem,
    Model,
    Response,
    ResponseCompletedEvent,
    parse_event_data,
)
from rillet.events._model import evolve
from rillet.sse import SSEDecoder

text = st.text(st.characters(exclude_categories=["Cs"]))  # no lone surrogates: not UTF-8
json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**80), max_value=2**80)
    | st.floats(allow_nan=False, allow_infinity=False)
    | text,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(text, inner, max_size=4),
    max_leaves=20,
)
bodies = st.dictionaries(text, json_values, max_size=5)


def httpx_json(body: object) -> bytes:
    """What httpx sends for ``json=body``."""
    return httpx.Request("POST", "http://api/v1/responses", json=body).content


@given(bodies)
def test_the_bytes_mean_what_httpx_sent(body: dict[str, Any]) -> None:
    assert json.loads(encode_body(body)) == json.loads(httpx_json(body))
    assert _stdlib_dumps(body) == httpx_json(body)  # without orjson: the same bytes


def test_compact_utf8_json() -> None:
    body = {"input": "héllo ☃ 🦆", "n": [1, 2.5, None, True]}
    assert encode_body(body) == '{"input":"héllo ☃ 🦆","n":[1,2.5,null,true]}'.encode()


def corpus_response(name: str) -> Response:
    decoder = SSEDecoder()
    for sse in decoder.feed(read(name)):
        if sse.event == "response.completed":
            event = parse_event_data(sse.event, sse.raw_data)
            assert isinstance(event, ResponseCompletedEvent)
            return event.response
    raise AssertionError(name)


def as_json(value: object) -> object:
    """``value`` with every model replaced by its ``to_dict()``, tuples by lists."""
    if isinstance(value, Model):
        return value.to_dict()
    if isinstance(value, dict):
        return {key: as_json(item) for key, item in cast("dict[str, object]", value).items()}
    if isinstance(value, list | tuple):
        return [as_json(item) for item in cast("list[object]", value)]
    return value


def test_models_anywhere_are_written_as_their_json() -> None:
    response = corpus_response("responses/reasoning_text_and_function_call.sse")
    reasoning, message, call = response.output
    made = FunctionCallItem(call_id="call_1", name="f", arguments="{}")  # built, no source
    changed = evolve(call, arguments='{"x": 1}')
    body = {
        "input": [reasoning, {"role": "user", "content": [message]}, (call, made, changed)],
        "extra": {"deep": [[response]], "usage": response.usage},
    }
    sent = json.loads(encode_body(body))
    assert sent == as_json(body)
    assert json.loads(_stdlib_dumps(body)) == sent  # the standard library's path alike
    assert reasoning.id is not None
    assert sent["input"][0] == json.loads(read_item_json(reasoning.id))
    assert sent["input"][2][1] == {
        "type": "function_call",
        "id": None,
        "call_id": "call_1",
        "name": "f",
        "arguments": "{}",
        "status": None,
        "namespace": None,
    }
    assert sent["input"][2][2]["arguments"] == '{"x": 1}'


def read_item_json(item_id: str) -> str:
    """The JSON of a recorded item, as the server wrote it in ``response.completed``."""
    decoder = SSEDecoder()
    for sse in decoder.feed(read("responses/reasoning_text_and_function_call.sse")):
        if sse.event == "response.completed":
            output = json.loads(sse.data)["response"]["output"]
            return json.dumps(next(item for item in output if item["id"] == item_id))
    raise AssertionError(item_id)


@dataclasses.dataclass
class Point:
    x: int


class Size(enum.IntEnum):
    SMALL = 1


class Tier(enum.StrEnum):
    FLEX = "flex"


class Ratio(float):
    pass


looped: list[Any] = []
looped.append({"again": looped})


@pytest.mark.parametrize(
    ("body", "path", "reason"),
    [
        (
            {"input": [1, {"at": dt.datetime(2026, 1, 1, tzinfo=dt.UTC)}]},
            ("input", 1, "at"),
            "datetime",
        ),
        ({"temperature": math.nan}, ("temperature",), "nan is not a JSON number"),
        ({"top_p": Ratio("-inf")}, ("top_p",), "-inf is not a JSON number"),
        ({"input": [Response(id="r", temperature=math.inf)]}, ("input", 0, "temperature"), "inf"),
        ({"metadata": {"id": uuid.UUID(int=1)}}, ("metadata", "id"), "UUID is not a JSON type"),
        ({"p": Point(1)}, ("p",), "Point"),
        ({"tools": {"a", "b"}}, ("tools",), "set is not a JSON type"),
        ({"input": looped}, ("input", 0, "again"), "it contains itself"),
        ({"metadata": {(1, 2): "x"}}, ("metadata",), "a key is a tuple"),
        ({"metadata": {math.nan: "x"}}, ("metadata",), "the key nan"),
        ({"input": ["fine", {"text": "\ud83e"}]}, ("input", 1, "text"), "lone surrogate"),
        ({"my-key": [object()]}, ("my-key", 0), "object is not a JSON type (nor a rillet model)"),
    ],
)
def test_what_json_cannot_hold_is_named_with_its_place(
    body: dict[str, Any], path: tuple[str | int, ...], reason: str
) -> None:
    with pytest.raises(RequestBodyError) as caught:
        encode_body(body)
    error = caught.value
    assert error.path == path
    assert reason in error.reason
    assert isinstance(error, TypeError)
    assert isinstance(error, ValueError)
    assert isinstance(error, RilletError)
    assert f"cannot send {error.location} as JSON: " in str(error)


@pytest.mark.parametrize(
    ("path", "location"),
    [
        (("input", 2, "content"), "input[2].content"),
        (("metadata", "my-key"), "metadata['my-key']"),
        ((), "the request body"),
    ],
)
def test_the_location_reads_as_python(path: tuple[str | int, ...], location: str) -> None:
    assert RequestBodyError(path=path, reason="no").location == location


def test_what_the_standard_library_writes_is_written_alike() -> None:
    shared = {"same": "dict"}
    body = {
        "big": 2**70,
        "keys": {1: "a", 2.5: "b", False: "c", None: "d"},
        "enums": [Size.SMALL, Tier.FLEX],
        "ratio": Ratio(0.5),
        "tuple": (1, "two"),
        "twice": [shared, shared],
    }
    assert json.loads(encode_body(body)) == json.loads(httpx_json(body))


# -- through the client -----------------------------------------------------------------------


def answered(seen: list[httpx.Request], statuses: list[int]) -> Client:
    def answer(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        status = statuses.pop(0) if statuses else 200
        return httpx.Response(status, json={"id": "resp_1", "object": "response"})

    http = httpx.Client(transport=httpx.MockTransport(answer))
    return Client(api_key="sk-test", base_url="http://api/v1", http_client=http, max_retries=1)


def test_the_body_is_json_with_its_headers_and_written_once_for_every_attempt(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    written: list[bytes] = []

    def encode(body: dict[str, Any]) -> bytes:
        written.append(encode_body(body))
        return written[-1]

    monkeypatch.setattr(rillet._client_base, "encode_body", encode)
    seen: list[httpx.Request] = []
    item = MessageItem(id="msg_1", status="completed")
    with answered(seen, [500]) as client:
        client.responses.create(model="m", input=[item], extra_body={"store": False})
    assert len(written) == 1
    assert [request.content for request in seen] == written * 2
    assert json.loads(written[0]) == {"model": "m", "input": [item.to_dict()], "store": False}
    headers = seen[0].headers
    assert headers.get_list("content-type") == ["application/json"]
    assert headers["content-length"] == str(len(written[0]))


def test_a_content_type_given_is_the_one_sent() -> None:
    seen: list[httpx.Request] = []
    given_type = {"Content-type": "application/json; charset=utf-8"}
    with answered(seen, []) as client:
        client.responses.create(model="m", input="hi", extra_headers=given_type)
    assert seen[0].headers.get_list("content-type") == ["application/json; charset=utf-8"]


def test_a_body_json_cannot_hold_raises_at_the_call_and_nothing_is_sent() -> None:
    seen: list[httpx.Request] = []
    with answered(seen, []) as client, pytest.raises(RequestBodyError, match=r"input\[0\]"):
        client.responses.create(model="m", input=[{"when": dt.date(2026, 1, 1)}])  # type: ignore[list-item]
    assert seen == []


def test_a_get_sends_no_body() -> None:
    seen: list[httpx.Request] = []
    with answered(seen, []) as client:
        client.responses.retrieve("resp_1")
    assert seen[0].content == b""
    assert "content-type" not in seen[0].headers
