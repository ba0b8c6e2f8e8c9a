"""The parse functions on bad and unusual data: typed errors, never a crash, never a coercion."""

from __future__ import annotations

import copy
import json
import re
import types
import typing
from collections.abc import Callable, Iterator
from typing import Any, Literal

import attrs
import pytest
from hypothesis import given
from hypothesis import strategies as st

import rillet.events as ev
import rillet.events._parse as parse_module
from corpus_files import manifest, read
from rillet import EventDecodeError, RilletError
from rillet._json import JSON_BACKEND
from rillet.sse import ServerSentEvent, SSEDecoder

Path = tuple[str | int, ...]
CHAT = "<chat>"  # in place of an event type: parse with parse_chat_chunk
DELETE: Any = type("Missing", (), {"__repr__": lambda _: "<missing>"})()


def _load_corpus() -> tuple[dict[str, dict[str, Any]], list[dict[str, Any]]]:
    """The first real payload of each Responses type (and type:nested-type), every chat chunk."""
    responses: dict[str, dict[str, Any]] = {}
    chat: list[dict[str, Any]] = []
    for entry in manifest():
        decoder = SSEDecoder()
        for sse in [*decoder.feed(read(entry["file"])), *decoder.close()]:
            payload = json.loads(sse.raw_data) if sse.raw_data != b"[DONE]" else None
            if entry["file"].startswith("chat/") and payload is not None:
                chat.append(payload)
            elif payload is not None:
                kind = payload["type"]
                responses.setdefault(kind, payload)
                if payload.get("logprobs"):
                    responses.setdefault(f"{kind}:logprobs", payload)
                for key in ("item", "part", "annotation"):
                    if isinstance(payload.get(key), dict):
                        responses.setdefault(f"{kind}:{payload[key]['type']}", payload)
    return responses, chat


RESPONSES, CHUNKS = _load_corpus()


def _chunk(has: Callable[[dict[str, Any]], Any]) -> tuple[str, dict[str, Any]]:
    return CHAT, next(c for c in CHUNKS if (c["choices"] and has(c["choices"][0])) or has(c))


SOURCES: dict[str, tuple[str | None, dict[str, Any]]] = {
    **{name: (None, payload) for name, payload in RESPONSES.items()},
    "chat:text": _chunk(lambda c: c.get("delta", {}).get("content")),
    "chat:logprobs": _chunk(lambda c: (c.get("logprobs") or {}).get("content")),
    "chat:usage": _chunk(lambda c: c.get("usage")),
    "chat:azure": _chunk(lambda c: c.get("object") == ""),  # Azure's prompt filter results
}


def _encode(value: Any) -> bytes:
    return json.dumps(value, separators=(",", ":")).encode()


def _stdlib_loads(data: bytes) -> Any:
    return json.loads(data.decode("utf-8"))


def _path(field: str) -> Path:
    """``"item.content[0].text"`` as ``("item", "content", 0, "text")``."""
    return tuple(int(k) if k.isdigit() else k for k in re.split(r"[.\[\]]+", field) if k)


def _at(node: Any, path: Path | str) -> Any:
    """What is at ``path`` in a JSON value, or in a model (attributes and indexes)."""
    for key in _path(path) if isinstance(path, str) else path:
        node = getattr(node, str(key)) if isinstance(node, ev.Model) else node[key]
    return node


def _set(doc: Any, path: Path, value: Any) -> Any:
    """``doc`` with the value at ``path`` replaced (or deleted, for ``DELETE``), in place."""
    if not path:
        return value
    parent = _at(doc, path[:-1])
    if value is DELETE:
        del parent[path[-1]]
    else:
        parent[path[-1]] = value
    return doc


def changed(source: str, field: str = "", value: Any = DELETE) -> tuple[str | None, bytes, Any]:
    """A real payload with one change: (what to parse it as, its bytes, its JSON)."""
    event_type, payload = SOURCES[source]
    doc = _set(copy.deepcopy(payload), _path(field), value) if field else copy.deepcopy(payload)
    return event_type, _encode(doc), doc


def parse(event_type: str | None, data: bytes, on_invalid: ev.OnInvalid = "raise") -> ev.Event:
    if event_type == CHAT:
        return ev.parse_chat_chunk(data, on_invalid=on_invalid)
    return ev.parse_event_data(event_type, data, on_invalid=on_invalid)


def claimed(event_type: str | None, doc: Any) -> str | None:
    """The type an error about ``doc`` should name."""
    if event_type == CHAT:
        return "chat.completion.chunk"
    json_type = doc.get("type") if isinstance(doc, dict) else None
    return json_type if isinstance(json_type, str) else event_type


def expect_error(event_type: str | None, data: bytes, field: str | None, kind: str | None) -> None:
    """Both policies report the same error: type, field, excerpt, and a message with all three."""
    with pytest.raises(EventDecodeError) as info:
        parse(event_type, data)
    err = info.value
    assert isinstance(err, RilletError)
    assert (err.event_type, err.field) == (kind, field), str(err)
    assert err.excerpt == data[: len(err.excerpt)]
    assert len(err.excerpt) >= min(len(data), 32)
    assert repr(err.excerpt) in str(err)
    assert all(name is None or name in str(err) for name in (kind, field))
    returned = parse(event_type, data, on_invalid="return")
    assert isinstance(returned, ev.InvalidEvent)
    assert (returned.event_type, returned.raw_data) == (kind, data)
    assert (returned.error.event_type, returned.error.field) == (kind, field)


def policies_agree(event_type: str | None, data: bytes, *, stdlib: bool = False) -> ev.Event:
    """With "return" nothing is raised; "raise" gives the same event, or raises the same error."""
    with pytest.MonkeyPatch.context() as patch:
        if stdlib:
            patch.setattr(parse_module, "loads", _stdlib_loads)
        returned = parse(event_type, data, on_invalid="return")
        if not isinstance(returned, ev.InvalidEvent):
            assert parse(event_type, data) == returned
            return returned
        with pytest.raises(EventDecodeError) as info:
            parse(event_type, data)
    err = info.value
    assert (returned.error.field, returned.error.event_type) == (err.field, err.event_type)
    assert returned.raw_data == data
    assert err.excerpt == data[: len(err.excerpt)]
    return returned


def faithful(value: Any, src: Any, hint: Any, path: str = "") -> None:  # noqa: C901
    """``value``, read as ``hint``, holds exactly the JSON ``src``: nothing coerced, and no
    null taken where the model has no room for one."""
    origin, args = typing.get_origin(hint), typing.get_args(hint)
    if origin in {types.UnionType, typing.Union}:
        if src is None:
            assert value is None, path
            assert type(None) in args, f"null accepted for a required value at {path}"
            return
        non_null = next(a for a in args if a is not type(None))
        hint = type(value) if isinstance(value, ev.Model) else non_null
        assert hint in args, path
        origin, args = typing.get_origin(hint), typing.get_args(hint)
    if hint is Any or origin is dict:
        assert (value, origin is not dict or type(src) is dict) == (src, True), path
    elif origin is list:
        assert type(src) is list, f"{src!r:.30} read as the list {value!r:.30} at {path}"
        for index, (item, item_src) in enumerate(zip(value, src, strict=True)):
            faithful(item, item_src, args[0], f"{path}[{index}]")
    elif hint is float:
        assert (type(src) in {int, float}, src) == (True, value), path
    elif origin is Literal or hint in {str, int, bool}:
        assert (type(src), src) == (type(value), value), path
    else:
        assert (isinstance(value, hint), type(src)) == (True, dict), path
        if isinstance(value, ev.UnknownEvent):
            assert value.data == src
            return
        src, hints = type(value)._from_wire(src), typing.get_type_hints(type(value))
        for name in attrs.fields_dict(type(value)):
            if not name.startswith("_") and name in src and (path or name != "type"):
                faithful(getattr(value, name), src[name], hints[name], f"{path}.{name}")


# -- the payload as a whole ---------------------------------------------------------------------

# fmt: off
NOT_OBJECTS = [b"", b" ", b"not json", b"{", b'{"type":', b"\xff\xfe{}", b"\xef\xbb\xbf{}", b"[]",
               b'[{"type":"keepalive"}]', b'"response.created"', b"1", b"-0.5", b"null", b"true",
               b"[DONE]", b"{}}", b'{"type":"keepalive"} x', b"\x00", b"<html>" + b"x" * 500]
# fmt: on


@pytest.mark.parametrize("data", NOT_OBJECTS)
@pytest.mark.parametrize("event_type", [None, "response.output_text.delta", "future.x", CHAT])
def test_data_that_is_not_a_json_object_is_an_error(data: bytes, event_type: str | None) -> None:
    expect_error(event_type, data, None, claimed(event_type, None))


# -- wrong JSON types, missing fields ----------------------------------------------------------

DELTA, LOGPROBS = "response.output_text.delta", "response.output_text.delta:logprobs"
MESSAGE, CALL = "response.output_item.done:message", "response.output_item.done:function_call"
SEARCH, CREATED = "response.output_item.done:file_search_call", "response.created"
PART, DONE = "response.content_part.added:output_text", "response.completed"
CITATION = "response.output_text.annotation.added:url_citation"
# fmt: off
BAD: list[tuple[str, str, Any]] = [  # a wrong JSON type, or a required field left out (DELETE)
    (DELTA, "output_index", "0"), (DELTA, "output_index", True), (DELTA, "output_index", 0.0),
    (DELTA, "output_index", 1.5), (DELTA, "output_index", None), (DELTA, "delta", 5),
    (DELTA, "item_id", []), (LOGPROBS, "sequence_number", False), (LOGPROBS, "logprobs", None),
    (LOGPROBS, "logprobs", ""), (LOGPROBS, "logprobs", {}), (LOGPROBS, "logprobs", {"t": 1}),
    (LOGPROBS, "logprobs[0].token", 5), (LOGPROBS, "logprobs[0].logprob", "-0.5"),
    (LOGPROBS, "logprobs[0].logprob", True), (LOGPROBS, "logprobs[0].bytes", ""),
    (LOGPROBS, "logprobs[0].bytes[0]", 8.0), (MESSAGE, "item", None), (MESSAGE, "item", []),
    (MESSAGE, "item.id", 7), (MESSAGE, "item.content", {}), (MESSAGE, "item.content[0]", None),
    (MESSAGE, "item.content[0].text", 5), (MESSAGE, "item.content[0].annotations", ""),
    (SEARCH, "item.queries", "abc"), (SEARCH, "item.queries", {"q": 1}), (PART, "part", None),
    (CITATION, "annotation.url", 5), (CREATED, "response", None), (CREATED, "response.id", 1),
    (CREATED, "response.temperature", True), (CREATED, "response.temperature", "1.0"),
    (CREATED, "response.background", 0), (CREATED, "response.metadata", []),
    (CREATED, "response.tools", {}), (CREATED, "response.output", {}),
    (DONE, "response.usage.output_tokens", 1.0), (DONE, "response.output[0]", None),
    ("chat:text", "created", 1.5), ("chat:text", "choices", {}),
    ("chat:text", "choices[0].index", True), ("chat:text", "choices[0].delta", None),
    ("chat:text", "choices[0].delta.content", 5), ("chat:usage", "usage.prompt_tokens", "12"),
    ("chat:logprobs", "choices[0].logprobs.content[0].token", 5),
    *[(source, field, DELETE) for source, field in [
        (DELTA, "output_index"), (DELTA, "delta"), (LOGPROBS, "logprobs[0].token"),
        (MESSAGE, "item"), (MESSAGE, "item.id"), (MESSAGE, "item.type"), (CREATED, "response.id"),
        (MESSAGE, "item.content[0].text"), (CALL, "item.call_id"),
        ("chat:text", "choices[0].index"), ("chat:usage", "usage.total_tokens"),
        (DONE, "response.usage.total_tokens")]],
]
# Optional fields left out get their defaults; a float field takes a JSON integer; and more.
VALID: list[tuple[str, str, Any, Any]] = [
    ("chat:azure", "object", "", ""), ("chat:azure", "choices", [], []),
    ("chat:text", "type", "chat.completion.chunk.v2", "chat.completion.chunk"),
    (LOGPROBS, "sequence_number", DELETE, None), (LOGPROBS, "logprobs", DELETE, []),
    (LOGPROBS, "obfuscation", DELETE, None), (CREATED, "response.output", DELETE, []),
    (CREATED, "response.temperature", DELETE, None), (MESSAGE, "item.content", DELETE, []),
    (CREATED, "response.temperature", 1, 1), (CREATED, "response.top_p", 0, 0),
    ("chat:text", "id", DELETE, ""), ("chat:text", "created", DELETE, 0),
    ("chat:text", "choices", DELETE, []),
    ("chat:logprobs", "choices[0].logprobs.content[0].logprob", -2, -2),
]
# fmt: on


@pytest.mark.parametrize(("source", "field", "value"), BAD, ids=[f"{b[1]}={b[2]!r}" for b in BAD])
def test_a_bad_or_missing_field_is_an_error_naming_it(source: str, field: str, value: Any) -> None:
    event_type, data, doc = changed(source, field, value)
    expect_error(event_type, data, field, claimed(event_type, doc))


@pytest.mark.parametrize(("source", "field", "value", "expected"), VALID, ids=str)
def test_a_valid_variant_parses(source: str, field: str, value: Any, expected: Any) -> None:
    event_type, data, doc = changed(source, field, value)
    event = parse(event_type, data)
    assert _at(event, field) == expected
    assert event.to_dict() == doc
    assert type(event).from_dict(event.to_dict()) == event


# -- unknown fields, unknown types, nested unions ----------------------------------------------

# fmt: off
UNKNOWN_FIELDS = [(DELTA, ""), (LOGPROBS, "logprobs[0]"), (MESSAGE, "item"), (CREATED, "response"),
                  (MESSAGE, "item.content[0]"), ("error", ""), (DONE, "response.usage"),
                  (CITATION, "annotation"), ("chat:text", "choices[0].delta"),
                  ("chat:logprobs", "choices[0].logprobs.content[0]"), ("chat:usage", "usage")]
UNKNOWN_TYPES = ["response.future_thing", "response.output_text.delta.v2", "Response.Created",
                 "invalid", "chat.completion.chunk", "__class__", "get", "keepalive.v2", "ërror"]
# fmt: on


@pytest.mark.parametrize(("source", "path"), UNKNOWN_FIELDS, ids=str)
@pytest.mark.parametrize("extra", [None, {"nested": [1, {"deep": True}]}, "x" * 300])
def test_unknown_fields_are_kept_by_to_dict(source: str, path: str, extra: Any) -> None:
    event_type, _, doc = changed(source)
    _at(doc, path)["x_future_field"] = extra
    event = parse(event_type, _encode(doc))
    assert event.to_dict() == doc
    assert _at(event, path).to_dict() == _at(doc, path)


@pytest.mark.parametrize("json_type", UNKNOWN_TYPES)
@pytest.mark.parametrize("event_field", [None, "response.output_text.delta", "keepalive"])
@pytest.mark.parametrize("number", [7, "7", True, 7.0, None])
def test_an_unknown_type_is_an_unknown_event(json_type: str, event_field: str, number: Any) -> None:
    doc = {"type": json_type, "sequence_number": number, "item_id": 5, "delta": {"x": [1]}}
    event = ev.parse_event_data(event_field, _encode(doc))
    assert type(event) is ev.UnknownEvent
    expected_number = number if type(number) is int else None  # a bad one is dropped, not an error
    assert event.type == "unknown"
    assert (event.event_type, event.sequence_number) == (json_type, expected_number)
    assert event.data == doc
    assert event.to_dict() == doc
    assert ev.UnknownEvent.from_dict(event.to_dict()) == event


# fmt: off
@pytest.mark.parametrize(("path", "kind", "unknown_type"), [
    ("item", ev.UnknownItem, "future_item"), ("item", ev.UnknownItem, "Message"),
    ("item.content[0]", ev.UnknownContent, "output_audio"),
    ("item.content[0].annotations[0]", ev.UnknownAnnotation, "future_citation"),
])
def test_a_nested_unknown_type_keeps_everything(path: str, kind: type, unknown_type: str) -> None:
    # fmt: on
    _, _, doc = changed(MESSAGE)
    doc["item"]["content"][0]["annotations"] = [{"type": "url_citation", "url": "https://x"}]
    _at(doc, path).update(type=unknown_type, payload={"a": [1, None]}, text=5)
    event = parse(None, _encode(doc))
    assert type(_at(event, path)) is kind
    assert _at(event, path).to_dict() == _at(doc, path)
    assert event.to_dict() == doc


# -- routing: the SSE event field and the JSON type ---------------------------------------------

REFUSAL = {"type": "response.refusal.delta", "item_id": "i", "output_index": 0, "delta": "no"}
REFUSAL["content_index"] = 0
UNTYPED = {k: v for k, v in REFUSAL.items() if k != "type"}
RefusalDelta, Keepalive, Unknown = ev.ResponseRefusalDeltaEvent, ev.KeepaliveEvent, ev.UnknownEvent
# The JSON type wins over the SSE event field; without a JSON type, the event field routes.
# fmt: off
ROUTES = [  # (SSE event field, data, class)
    (None, REFUSAL, RefusalDelta), (DELTA, REFUSAL, RefusalDelta), (CREATED, REFUSAL, RefusalDelta),
    ("future.x", REFUSAL, RefusalDelta), ("response.refusal.delta", UNTYPED, RefusalDelta),
    ("future.x", UNTYPED, Unknown), (DELTA, {**REFUSAL, "type": "future.x"}, Unknown),
    (None, {"type": "keepalive"}, Keepalive), ("keepalive", {}, Keepalive),
    (None, {"type": "keepalive", "sequence_number": 3, "x": 1}, Keepalive),
    ("error", {k: v for k, v in RESPONSES["error"].items() if k != "type"}, ev.ResponseErrorEvent),
]
# fmt: on


@pytest.mark.parametrize(("event_field", "doc", "kind"), ROUTES)
def test_routing(event_field: str | None, doc: dict[str, Any], kind: type[ev.Event]) -> None:
    sse = ServerSentEvent(event_field or "message", _encode(doc), "", None, event_field is not None)
    event = ev.parse_event(sse)
    assert type(event) is kind
    wire_type = event.event_type if isinstance(event, Unknown) else event.type
    assert wire_type == doc.get("type", event_field)
    assert event.to_dict() == doc
    if kind is not Unknown or "type" in doc:  # an untyped unknown event cannot know its type
        assert kind.from_dict(event.to_dict()) == event


@pytest.mark.parametrize("json_type", [5, True, ["response.refusal.delta"], {"x": 1}, 1.5, None])
@pytest.mark.parametrize("event_field", [None, "response.refusal.delta"])
def test_a_json_type_that_is_not_a_string_is_an_error(json_type: Any, event_field: str) -> None:
    expect_error(event_field, _encode({**REFUSAL, "type": json_type}), "type", event_field)


@pytest.mark.parametrize("doc", [{}, UNTYPED, {"event": "response.created"}])
def test_no_type_anywhere_is_an_error(doc: dict[str, Any]) -> None:
    expect_error(None, _encode(doc), "type", None)
    with pytest.raises(EventDecodeError):
        ev.parse_event(ServerSentEvent(raw_data=_encode(doc)))


# -- the error event, and chat ------------------------------------------------------------------

NESTED_ERROR = RESPONSES["error"]
FLAT_ERROR = {"type": "error", "sequence_number": 2, "message": NESTED_ERROR["error"]["message"]}
FLAT_ERROR |= {"code": "insufficient_quota", "param": None}


@pytest.mark.parametrize("event_field", [None, "error"])
def test_both_shapes_of_the_error_event_read_the_same(event_field: str | None) -> None:
    nested = ev.parse_event_data(event_field, _encode(NESTED_ERROR))
    flat = ev.parse_event_data(event_field, _encode(FLAT_ERROR))
    assert isinstance(nested, ev.ResponseErrorEvent)
    assert isinstance(flat, ev.ResponseErrorEvent)
    assert nested.message.startswith("You exceeded your current quota")
    assert (nested.message, nested.code, nested.param) == (flat.message, flat.code, flat.param)
    assert (nested.error_type, flat.error_type) == ("insufficient_quota", None)
    assert nested.to_dict() == NESTED_ERROR
    assert ev.ResponseErrorEvent.from_dict(nested.to_dict()) == nested


@pytest.mark.parametrize(("key", "value"), [("message", 5), ("type", 5), ("param", {})])
def test_a_bad_nested_error_names_its_path_in_the_json(key: str, value: Any) -> None:
    expect_error(*changed("error", f"error.{key}", value)[:2], f"error.{key}", "error")


@pytest.mark.parametrize("extra", [{}, {"id": "x", "object": "chat.completion.chunk"}])
def test_a_chat_error_payload_is_a_chat_error_event(extra: dict[str, Any]) -> None:
    doc = {"error": {"message": "Rate limit", "type": "requests", "code": "429"}, **extra}
    event = ev.parse_chat_chunk(_encode(doc))
    assert isinstance(event, ev.ChatErrorEvent)
    assert event.error == ev.ChatError(message="Rate limit", type="requests", code="429")
    assert event.to_dict() == doc
    assert isinstance(ev.parse_chat_chunk(_encode({**doc, "choices": []})), ev.ChatCompletionChunk)
    expect_error(CHAT, _encode({"error": None}), "error", "chat.error")


# -- depth, size, and the JSON backends ---------------------------------------------------------


def deep_item(depth: int) -> bytes:
    item = b'{"type":"web_search_call","id":"ws","action":' + b"[" * depth + b"]" * depth + b"}"
    return b'{"type":"response.output_item.added","output_index":0,"item":' + item + b"}"


def nesting(value: object) -> int:
    """How deep a JSON value nests (iteratively: == on it would hit the recursion limit)."""
    depth, level = 0, [value]
    while level:
        depth += 1
        level = [v for item in level if isinstance(item, list) for v in item]
    return depth


@pytest.mark.skipif(JSON_BACKEND != "orjson", reason="only orjson parses 1000 levels")
def test_deep_json_that_parses_can_be_copied_back() -> None:
    event = ev.parse_event_data(None, deep_item(1000))
    assert isinstance(event, ev.ResponseOutputItemAddedEvent)
    assert nesting(event.item.to_dict()["action"]) == 1000
    again = ev.ResponseOutputItemAddedEvent.from_dict(event.to_dict())
    assert nesting(again.item.to_dict()["action"]) == 1000


@pytest.mark.parametrize("data", [b"[" * 5000, deep_item(5000)])
def test_deep_json_is_a_decode_error_with_the_stdlib_backend(
    data: bytes, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(parse_module, "loads", _stdlib_loads)
    expect_error(None, data, None, None)
    expect_error(CHAT, data, None, "chat.completion.chunk")


def test_integers_beyond_64_bits_are_kept_exactly() -> None:
    doc = {"type": "response.future_thing", "n": 2**64 + 1, "m": -(2**70)}
    assert ev.parse_event_data(None, _encode(doc)).to_dict() == doc


# fmt: off
BACKEND_CASES = [
    *[(t, d) for t in (None, CHAT) for d in NOT_OBJECTS],
    *[changed(s, f, v)[:2] for s, f, v in BAD], *[changed(s, f, v)[:2] for s, f, v, _ in VALID],
    *[(None, _encode(p)) for p in RESPONSES.values()], *[(CHAT, _encode(c)) for c in CHUNKS[::20]],
    (None, _encode(FLAT_ERROR)), ("error", b'{"error":{}}'), ("keepalive", _encode(UNTYPED)),
    ("response.refusal.delta", _encode(UNTYPED)), (None, b'{"type":"x","s":"\\ud83d\\ude42"}'),
    (None, b'{"type":"x","s":"\\ud83d"}'), changed(DELTA, "delta", "\ud83d")[:2],
    changed("chat:text", "choices[0].delta.content", "\ude42")[:2],
]
# fmt: on


@pytest.mark.parametrize(("event_type", "data"), BACKEND_CASES, ids=range(len(BACKEND_CASES)))
def test_the_stdlib_json_backend_agrees(event_type: str | None, data: bytes) -> None:
    def outcome(stdlib: bool) -> tuple[Any, ...]:
        event = policies_agree(event_type, data, stdlib=stdlib)
        if isinstance(event, ev.InvalidEvent):
            return ("error", event.error.event_type, event.error.field)
        return (type(event), event.to_dict(), event)

    expected = outcome(stdlib=False)
    assert outcome(stdlib=True) == expected


# -- properties ---------------------------------------------------------------------------------

# fmt: off
NAMES = sorted({*RESPONSES, *(k for p in RESPONSES.values() for k in p), "output_text",
                "url_citation", "message", "summary_text", "reasoning", "error", "choices"})
SCALARS = (st.none() | st.booleans() | st.integers(-(2**63), 2**63 - 1) | st.text(max_size=6)
           | st.floats(allow_nan=False, allow_infinity=False) | st.sampled_from(NAMES))
KEYS = st.sampled_from(NAMES) | st.text(max_size=4)
JSON_VALUES = st.recursive(
    SCALARS, lambda inner: st.lists(inner, max_size=3) | st.dictionaries(KEYS, inner, max_size=3),
    max_leaves=8,
)
# fmt: on


def _nodes(value: Any, path: Path = ()) -> Iterator[tuple[Path, Any]]:
    yield path, value
    if isinstance(value, dict | list):
        for key, child in value.items() if isinstance(value, dict) else enumerate(value):
            yield from _nodes(child, (*path, key))


@st.composite
def mutations(draw: st.DrawFn, source: str) -> Any:
    """A real payload with 1-3 values replaced, keys deleted or keys added, at any depth."""
    doc: Any = copy.deepcopy(SOURCES[source][1])
    for _ in range(draw(st.integers(1, 3))):
        path, node = draw(st.sampled_from(list(_nodes(doc))))
        operation = draw(st.sampled_from(["replace", "delete", "add"]))
        if operation == "add" and isinstance(node, dict):
            node[draw(KEYS)] = draw(JSON_VALUES)
        else:
            doc = _set(doc, path, DELETE if operation == "delete" and path else draw(JSON_VALUES))
    return doc


def parses_faithfully_or_fails_cleanly(event_type: str | None, doc: Any) -> None:
    event = policies_agree(event_type, _encode(doc))
    if not isinstance(event, ev.InvalidEvent):
        assert event.to_dict() == doc
        wire_type = event.event_type if isinstance(event, ev.UnknownEvent) else event.type
        assert event_type == CHAT or wire_type == claimed(event_type, doc)
        assert type(event).from_dict(event.to_dict()) == event
        faithful(event, doc, type(event))


@given(st.data(), st.sampled_from(sorted(SOURCES)), st.booleans())
def test_a_mutated_real_payload_parses_faithfully_or_is_a_decode_error(
    data: st.DataObject, source: str, use_event_field: bool
) -> None:
    """Responses events (routed by the JSON type, or by the event field too) and chat chunks."""
    event_type, payload = SOURCES[source]
    event_field = payload["type"] if event_type is None and use_event_field else event_type
    parses_faithfully_or_fails_cleanly(event_field, data.draw(mutations(source)))


EVENT_FIELDS = sorted({p["type"] for p in RESPONSES.values()} | {"future.x", "keepalive", ""})
REAL_BYTES = [_encode(p) for p in [*RESPONSES.values(), *CHUNKS[:40]]]
# fmt: off
ANY_BYTES = (st.binary(max_size=200) | JSON_VALUES.map(_encode) | st.sampled_from(NOT_OBJECTS)
             | st.builds(lambda d, n: d[:n], st.sampled_from(REAL_BYTES), st.integers(0, 400)))
# fmt: on


@given(ANY_BYTES, st.sampled_from([None, CHAT]) | st.sampled_from(EVENT_FIELDS), st.booleans())
def test_arbitrary_bytes_parse_or_are_a_decode_error(
    data: bytes, target: str, stdlib: bool
) -> None:
    """parse_event_data (any event field, or none) and parse_chat_chunk (CHAT); both backends."""
    policies_agree(target, data, stdlib=stdlib)
