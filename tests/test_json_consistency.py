"""Payloads decode the same whatever JSON backend is installed: as the standard library's json."""

from __future__ import annotations

import itertools
import json
import math
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

import rillet.events as ev
from rillet import _json
from rillet._json import loads
from rillet._protocols import ResponsesProtocol


def outcome(parse: Any, data: bytes) -> str:
    """What a parser makes of ``data``, as a string: ``repr`` tells 1 from 1.0, and NaN is equal
    to itself; any error is just ``"error"`` (the backends word their messages differently)."""
    try:
        return repr(parse(data))
    except ValueError:
        return "error"


def stdlib(data: bytes) -> Any:
    return json.loads(data.decode("utf-8"))


# fmt: off
EDGES = [
    b'"\\ud800"', b'"\\udfff"', b'"\\ude42\\ud83d"', b'{"delta":"\\ud83d"}', b'["a\\ud83d", 1]',
    b"NaN", b"Infinity", b"-Infinity", b'{"x":[NaN,Infinity,-Infinity]}', b"1e400", b"-1e400",
    b"18446744073709551615", b"18446744073709551616", b"-9223372036854775808",
    b"-9223372036854775809", b"123456789012345678901234567890", b'{"n":[1,-100000000000000000000]}',
    b'{"s":"12345678901234567890"}', b"0.000001234567890123456789", b"1234567890123456789e-10",
    b"-0", b"-0.0", b'{"a":1,"a":2}', b'"\\ud83d\\ude42"',
]
REJECTED = [
    b"1" * 4301, b'"\\ud800', b"nan", b"+1", b"01", b"[1,]", b"\xff", b'"\xed\xa0\x80"',
    b"\xef\xbb\xbf{}", b'"\x00"', b"",
]
# fmt: on


@pytest.mark.parametrize("data", EDGES + REJECTED)
def test_edge_payloads_decode_as_the_stdlib_reads_them(data: bytes) -> None:
    assert outcome(loads, data) == outcome(stdlib, data)


@pytest.mark.parametrize("data", REJECTED)
def test_what_the_stdlib_rejects_is_a_value_error(data: bytes) -> None:
    with pytest.raises(ValueError):  # noqa: PT011 - each backend has its own message
        loads(data)


def test_integers_beyond_64_bits_are_ints() -> None:
    numbers = loads(b"[18446744073709551616,-9223372036854775809]")
    assert numbers == [2**64, -(2**63) - 1]
    assert all(type(n) is int for n in numbers)
    assert loads(b'"\\ud83d"') == "\ud83d"
    assert math.isnan(loads(b"NaN"))


def test_both_backends_agree_on_the_edges() -> None:
    pytest.importorskip("orjson")
    assert _json.JSON_BACKEND == "orjson"
    for data in EDGES + REJECTED:
        assert outcome(_json._orjson_loads, data) == outcome(_json._stdlib_loads, data), data


surrogates = st.characters(min_codepoint=0xD800, max_codepoint=0xDFFF)
scalars = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.integers(min_value=-(2**80), max_value=2**80)
    | st.floats()
    | st.text(st.characters() | surrogates, max_size=8)
)
values = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=4), inner),
    max_leaves=12,
)


@given(value=values, ensure_ascii=st.booleans())
def test_any_document_decodes_as_the_stdlib_reads_it(value: Any, ensure_ascii: bool) -> None:
    # Unescaped lone surrogates encode as invalid UTF-8: both backends must refuse those.
    data = json.dumps(value, ensure_ascii=ensure_ascii).encode("utf-8", "surrogatepass")
    assert outcome(loads, data) == outcome(stdlib, data)
    if _json.JSON_BACKEND == "orjson":
        assert outcome(_json._orjson_loads, data) == outcome(_json._stdlib_loads, data)


@given(
    number=st.from_regex(
        rb"-?(0|[1-9][0-9]{0,25})(\.[0-9]{1,25})?([eE][+-]?[0-9]{1,3})?", fullmatch=True
    )
)
def test_any_number_decodes_as_the_stdlib_reads_it(number: bytes) -> None:
    data = b'{"n":' + number + b"}"
    assert outcome(loads, data) == outcome(stdlib, data)


@given(data=st.lists(st.sampled_from(EDGES) | st.binary(max_size=6), max_size=6).map(b"".join))
def test_any_bytes_decode_or_fail_as_with_the_stdlib(data: bytes) -> None:
    assert outcome(loads, data) == outcome(stdlib, data)


# -- events ------------------------------------------------------------------------------------

DELTA = (
    b'{"type":"response.output_text.delta","item_id":"msg_1","output_index":0,'
    b'"content_index":0,"delta":"\\ud83d","sequence_number":4}'
)


def test_an_emoji_split_into_two_events_decodes() -> None:
    event = ev.parse_event_data("response.output_text.delta", DELTA)
    assert isinstance(event, ev.ResponseOutputTextDeltaEvent)
    assert event.delta == "\ud83d"
    assert event.to_dict()["delta"] == "\ud83d"
    chunk = ev.parse_chat_chunk(
        b'{"id":"c","object":"chat.completion.chunk","created":1,"model":"m",'
        b'"choices":[{"index":0,"delta":{"content":"\\ude42"},"finish_reason":null}]}'
    )
    assert isinstance(chunk, ev.ChatCompletionChunk)
    assert chunk.choices[0].delta.content == "\ude42"


def test_nan_and_big_integers_reach_an_unknown_event_as_the_server_wrote_them() -> None:
    data = b'{"type":"response.future","score":NaN,"big":18446744073709551616}'
    event = ev.parse_event_data(None, data)
    assert isinstance(event, ev.UnknownEvent)
    assert math.isnan(event.data["score"])
    assert type(event.data["big"]) is int
    assert event.to_dict()["big"] == 2**64


# -- streams: the digit-run check once per chunk -----------------------------------------------


def long_run_in(data: bytes) -> bool:
    digits = 0
    for byte in data:
        digits = digits + 1 if 0x30 <= byte <= 0x39 else 0
        if digits >= 19:
            return True
    return False


@given(
    pieces=st.lists(st.sampled_from([b"1", b"23456789", b"0", b",", b'"', b"x"]), max_size=60),
    cuts=st.lists(st.integers(min_value=0, max_value=200), max_size=8),
)
def test_a_digit_run_in_any_chunks_makes_the_reader_check_every_payload(
    pieces: list[bytes], cuts: list[int]
) -> None:
    body = b"".join(pieces)
    bounds = sorted({0, len(body), *(cut for cut in cuts if cut < len(body))})
    reader = _json.PayloadReader()
    seen = b""
    for start, end in itertools.pairwise(bounds):
        seen += body[start:end]
        chosen = reader.scan(body[start:end])
        if long_run_in(seen):
            assert chosen is loads  # a run may sit in any payload that ends from here on
        elif _json.JSON_BACKEND == "orjson":
            assert chosen is _json._orjson_plain  # the check is not paid per payload


def test_a_big_integer_split_across_chunks_reaches_the_response_as_an_int() -> None:
    payload = (
        b'{"type":"response.created","sequence_number":0,"response":{"id":"resp_1",'
        b'"object":"response","created_at":1,"status":"in_progress","model":"m","output":[],'
        b'"metadata":{"big":123456789012345678901234567890}}}'
    )
    body = b"event: response.created\ndata: " + payload + b"\n\n"
    middle = body.index(b"123456789012345678901234567890") + 15  # 15 digits on each side
    protocol = ResponsesProtocol(on_invalid="raise", strict=True)
    decoder = protocol.decoder()
    recorded: list[object] = []
    for chunk in (body[:middle], body[middle:]):
        protocol.receive_all(chunk, decoder.feed(chunk), lambda event, _: recorded.append(event))
    (event,) = recorded
    assert isinstance(event, ev.ResponseCreatedEvent)
    big = event.response.metadata["big"]  # type: ignore[index]
    assert type(big) is int
    assert big == 123456789012345678901234567890
    assert event.response.to_dict()["metadata"]["big"] == big


BIG = b"123456789012345678901"  # orjson alone reads it as a float: a plain read


@given(
    pieces=st.lists(st.sampled_from([b"1", b"23456789", b"0", b",", b'"', b"x"]), max_size=60),
    cuts=st.lists(st.integers(min_value=0, max_value=200), max_size=8),
    reads=st.sets(st.integers(min_value=0, max_value=9)),
)
def test_a_reader_put_off_reads_plainly_only_after_looking_at_the_chunk_before(
    pieces: list[bytes], cuts: list[int], reads: set[int]
) -> None:
    body = b"".join(pieces)
    bounds = sorted({0, len(body), *(cut for cut in cuts if cut < len(body))})
    chunks = [body[start:end] for start, end in itertools.pairwise(bounds)]
    reader = _json.PayloadReader()
    for index, chunk in enumerate(chunks):
        read = reader.reader(chunk)
        if index not in reads:
            continue  # no payload of this chunk needed reading: the chunk is not looked at
        if type(read(BIG)) is float:  # read without the check
            assert index - 1 in reads or index == 0  # the chunk before was looked at
            assert not long_run_in(b"".join(chunks[max(index - 1, 0) : index + 1]))
            assert not any(long_run_in(chunks[i]) for i in reads if i < index)
