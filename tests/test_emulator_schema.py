"""The emulator's structured output: JSON that validates against the request's schema."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from conftest import Served
from rillet import AsyncClient
from rillet.testing._scenarios import chat_stream, encode, response_stream
from rillet.testing._schema import JSON_OBJECT_SCHEMA, json_document
from schema_check import problems

# -- generated schemas ----------------------------------------------------------------------

_NAMES = st.text("abcdefghij_", min_size=1, max_size=6)


@st.composite
def _string(draw: st.DrawFn) -> dict[str, Any]:
    schema: dict[str, Any] = {"type": "string"}
    low = draw(st.none() | st.integers(0, 8))
    high = draw(st.none() | st.integers(low or 0, 20))
    if low is not None:
        schema["minLength"] = low
    if high is not None:
        schema["maxLength"] = high
    return schema


@st.composite
def _bounded(draw: st.DrawFn, kind: str) -> dict[str, Any]:
    schema: dict[str, Any] = {"type": kind}
    numbers = st.integers(-50, 50) if kind == "integer" else st.floats(-50, 50)
    low = draw(st.none() | numbers)
    high = draw(st.none() | numbers.filter(lambda n: low is None or n >= low))
    if low is not None:
        schema["minimum"] = low
    if high is not None:
        schema["maximum"] = high
    return schema


_SCALARS = st.none() | st.booleans() | st.integers(-9, 9) | st.text(max_size=5)
_LEAVES = st.one_of(
    _string(),
    _bounded("integer"),
    _bounded("number"),
    st.just({"type": "boolean"}),
    st.just({"type": "null"}),
    st.lists(_SCALARS, min_size=1, max_size=4, unique_by=repr).map(lambda v: {"enum": v}),
    _SCALARS.map(lambda v: {"const": v}),
    st.just({"type": ["string", "null"]}),
    st.just({"type": ["integer", "boolean"]}),
    st.just({}),
)
# Branches of a oneOf are of distinct kinds, so that exactly one validates.
_DISTINCT = {
    "string": {"type": "string"},
    "integer": {"type": "integer"},
    "boolean": {"type": "boolean"},
    "null": {"type": "null"},
    "array": {"type": "array", "items": {"type": "string"}},
    "object": {"type": "object", "properties": {"a": {"type": "integer"}}},
}


def _extend(children: st.SearchStrategy[dict[str, Any]]) -> st.SearchStrategy[dict[str, Any]]:
    @st.composite
    def an_object(draw: st.DrawFn) -> dict[str, Any]:
        properties = draw(st.dictionaries(_NAMES, children, max_size=5))
        required = draw(st.lists(st.sampled_from(sorted(properties) or ["x"]), unique=True))
        schema: dict[str, Any] = {"type": "object", "properties": properties}
        schema["required"] = [name for name in required if name in properties]
        if draw(st.booleans()):
            schema["additionalProperties"] = False
        return schema

    @st.composite
    def an_array(draw: st.DrawFn) -> dict[str, Any]:
        schema: dict[str, Any] = {"type": "array", "items": draw(children)}
        low = draw(st.integers(0, 3))
        schema["minItems"] = low
        if draw(st.booleans()):
            schema["maxItems"] = draw(st.integers(low, 6))
        return schema

    one_of = st.lists(st.sampled_from(sorted(_DISTINCT)), min_size=1, max_size=4, unique=True)
    return st.one_of(
        an_object(),
        an_array(),
        st.lists(children, min_size=1, max_size=3).map(lambda b: {"anyOf": b}),
        one_of.map(lambda kinds: {"oneOf": [_DISTINCT[k] for k in kinds]}),
        children.map(lambda s: {"type": "object", "additionalProperties": s}),
    )


_SCHEMAS = st.recursive(_LEAVES, _extend, max_leaves=12)
_DEFS = {
    "node": {
        "type": "object",
        "properties": {
            "name": {"type": "string"},
            "children": {"type": "array", "items": {"$ref": "#/$defs/node"}},
        },
        "required": ["name", "children"],
        "additionalProperties": False,
    },
    "list": {
        "anyOf": [
            {"type": "null"},
            {
                "type": "object",
                "properties": {"value": {"type": "integer"}, "next": {"$ref": "#/$defs/list"}},
                "required": ["value", "next"],
            },
        ]
    },
}


@st.composite
def _rooted(draw: st.DrawFn) -> dict[str, Any]:
    """A schema with ``$defs``, recursive ones among them, referred to from the root."""
    main = draw(_SCHEMAS)
    properties = {"main": main, "tree": {"$ref": "#/$defs/node"}, "list": {"$ref": "#/$defs/list"}}
    return {
        "type": "object",
        "properties": properties,
        "required": list(properties),
        "additionalProperties": False,
        "$defs": _DEFS,
    }


@given(schema=_SCHEMAS | _rooted(), seed=st.integers(0, 2**32 - 1))
def test_every_document_validates(schema: dict[str, Any], seed: int) -> None:
    document = json_document(schema, seed)
    assert problems(document, schema) == []
    assert document == json_document(schema, seed)  # deterministic


@settings(max_examples=20)
@given(seed=st.integers(0, 2**32 - 1), size=st.sampled_from([0, 10_000, 100_000]))
def test_sizes_are_realistic_unless_asked(seed: int, size: int) -> None:
    document = json_document(JSON_OBJECT_SCHEMA, seed, size=size)
    length = len(json.dumps(document, ensure_ascii=False))
    assert problems(document, JSON_OBJECT_SCHEMA) == []
    low, high = (200, 6_000) if size == 0 else (size, 3 * size)
    assert low <= length <= high


# -- through the scenarios ------------------------------------------------------------------

SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "title": {"type": "string"},
        "tags": {"type": "array", "items": {"type": "string"}, "minItems": 2, "maxItems": 5},
        "rating": {"type": "integer", "minimum": 1, "maximum": 5},
        "status": {"enum": ["draft", "final"]},
        "tree": {"$ref": "#/$defs/node"},
    },
    "required": ["title", "tags", "rating", "status", "tree"],
    "additionalProperties": False,
    "$defs": _DEFS,
}
TEXT_FORMAT: Any = {
    "format": {"type": "json_schema", "name": "review", "schema": SCHEMA, "strict": True}
}
RESPONSE_FORMAT: Any = {"type": "json_schema", "json_schema": {"name": "review", "schema": SCHEMA}}


def _deltas(prompt: str) -> list[str]:
    request = {"model": "rillet-text", "input": prompt, "text": TEXT_FORMAT}
    events = response_stream("text", request)
    deltas = [e["delta"] for e in events if e["type"] == "response.output_text.delta"]
    done = next(e["text"] for e in events if e["type"] == "response.output_text.done")
    assert "".join(deltas) == done
    return deltas


def test_the_text_is_json_that_validates_in_small_deltas() -> None:
    deltas = _deltas("Review the Lisbon guide")
    document = json.loads("".join(deltas))
    assert problems(document, SCHEMA) == []
    assert len(deltas) > 10
    assert max(map(len, deltas)) <= 12
    assert deltas == _deltas("Review the Lisbon guide")  # the same request, the same deltas


def test_deltas_split_escapes_and_non_ascii_goes_through_raw() -> None:
    deltas = [d for n in range(30) for d in _deltas(f"Review number {n}")]
    assert any(d.endswith("\\") for d in deltas)  # an escape cut in two
    assert any(not d.isascii() for d in deltas)
    body = encode(response_stream("text", {"input": "Zürich", "text": TEXT_FORMAT}))
    assert not body.isascii()  # UTF-8 on the wire, as the API sends it: chunks can split it


def test_json_object_gives_an_object_and_chat_follows_response_format() -> None:
    request = {"input": "hi", "text": {"format": {"type": "json_object"}}}
    done = next(e for e in response_stream("text", request) if e["type"].endswith("text.done"))
    assert isinstance(json.loads(done["text"]), dict)
    chat = {"messages": [{"role": "user", "content": "hi"}], "response_format": RESPONSE_FORMAT}
    chunks = [c for c in chat_stream("text", chat) if isinstance(c, dict)]
    text = "".join(c["choices"][0]["delta"].get("content") or "" for c in chunks)
    assert problems(json.loads(text), SCHEMA) == []


def test_the_size_knob_asks_for_a_bigger_document() -> None:
    wide: dict[str, Any] = {"type": "array", "items": {"type": "string"}}
    text_format = {"format": {"type": "json_schema", "name": "big", "schema": wide}}
    request = {"input": "hi", "text": text_format, "metadata": {"rillet_json_bytes": "50000"}}
    done = next(e for e in response_stream("text", request) if e["type"].endswith("text.done"))
    assert 50_000 <= len(done["text"]) <= 150_000
    assert problems(json.loads(done["text"]), wide) == []


# -- through rillet's client, over loopback -------------------------------------------------

pytestmark = pytest.mark.filterwarnings("error")


@pytest.mark.anyio
async def test_structured_output_over_loopback(served: Served) -> None:
    async with AsyncClient(api_key="sk-test", base_url=served.url, max_retries=0) as client:
        stream = await client.responses.create(
            model="rillet-text", input="Review Porto", text=TEXT_FORMAT, stream=True
        )
        async with stream:
            response = await stream.final_response()
        assert problems(json.loads(response.output_text), SCHEMA) == []
        completion = await client.chat.completions.create(
            model="rillet-text",
            messages=[{"role": "user", "content": "Review Porto"}],
            response_format=RESPONSE_FORMAT,
        )
        content = completion.choices[0].message.content
        assert content is not None
        assert problems(json.loads(content), SCHEMA) == []
