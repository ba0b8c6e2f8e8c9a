"""msgspec's direct decoding (``rillet[speedups]``) builds exactly what the builder builds."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from corpus_files import manifest, read
from rillet.events import RESPONSE_EVENT_TYPES, Event, ResponseOutputTextDeltaEvent
from rillet.events._direct import direct_decoder
from rillet.events._parse import _directs, _route, parse_event_data
from rillet.sse import SSEDecoder

pytest.importorskip("msgspec")  # an optional speedup: the stdlib-json run goes without it

RESPONSES = [e["file"] for e in manifest() if not e["file"].startswith("chat/")]


def built(event_type: str, data: bytes) -> Event | Exception:
    """What the builder (the path without msgspec) makes of ``data``."""
    route = _route(event_type)
    assert route is not None
    cls, build = route
    try:
        event: Event = build(json.loads(data), cls, data)
    except Exception as error:  # noqa: BLE001 - compared below
        return error
    return event


def same(direct: Event, expected: Event | Exception) -> None:
    assert isinstance(expected, Event)
    assert type(direct) is type(expected)
    assert direct == expected
    assert repr(direct) == repr(expected)
    assert direct.to_dict() == expected.to_dict()
    assert direct._source is expected._source
    nested = [item.to_dict() for item in getattr(direct, "logprobs", ())]
    assert nested == [item.to_dict() for item in getattr(expected, "logprobs", ())]


@pytest.mark.parametrize("name", RESPONSES)
def test_every_corpus_event_decodes_directly_as_the_builder_builds_it(name: str) -> None:
    decoder = SSEDecoder()
    for sse in [*decoder.feed(read(name)), *decoder.close()]:
        direct = direct_decoder(RESPONSE_EVENT_TYPES[sse.event])
        if direct is None:
            continue
        event = direct(sse.raw_data)
        expected = built(sse.event, sse.raw_data)
        if event is None:  # logprobs: nested models keep their JSON, the builder makes them
            assert getattr(expected, "logprobs", None)
        else:
            same(event, expected)


def test_the_text_delta_is_decoded_directly() -> None:
    data = (
        b'{"type":"response.output_text.delta","item_id":"m","output_index":0,'
        b'"content_index":0,"delta":"hi","sequence_number":3}'
    )
    event = parse_event_data("response.output_text.delta", data)
    assert isinstance(event, ResponseOutputTextDeltaEvent)
    assert callable(_directs["response.output_text.delta"])  # the fast path was taken


json_values = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=False),
    st.text(max_size=5),
    st.just([]),
    st.just({}),
    st.just([{"token": "a", "logprob": -1, "bytes": [97], "top_logprobs": [], "new": 1}]),
)
FIELDS = ["item_id", "output_index", "content_index", "delta", "sequence_number", "logprobs"]


@given(
    changes=st.dictionaries(st.sampled_from([*FIELDS, "obfuscation", "type", "x"]), json_values),
    removed=st.sets(st.sampled_from(FIELDS)),
    raw=st.sampled_from(["", ',"delta":"\\ud83d"', ',"x":NaN', ',"delta":"a","delta":"b"']),
)
def test_any_payload_decodes_directly_as_the_builder_builds_it_or_goes_to_the_builder(
    changes: dict[str, Any], removed: set[str], raw: str
) -> None:
    payload: dict[str, Any] = {
        "type": "response.output_text.delta",
        "item_id": "m",
        "output_index": 0,
        "content_index": 0,
        "delta": "hi",
        "logprobs": [],
    }
    payload.update(changes)
    for name in removed:
        payload.pop(name, None)
    data = json.dumps(payload)[:-1].encode() + raw.encode() + b"}"
    direct = direct_decoder(ResponseOutputTextDeltaEvent)
    assert direct is not None
    event = direct(data)
    if event is not None:
        same(event, built("response.output_text.delta", data))


def test_nested_models_are_left_to_the_builder() -> None:
    data = (
        b'{"type":"response.output_text.delta","item_id":"m","output_index":0,'
        b'"content_index":0,"delta":"a","logprobs":[{"token":"a","logprob":-1,"bytes":[97],'
        b'"top_logprobs":[],"new":1}]}'
    )
    direct = direct_decoder(ResponseOutputTextDeltaEvent)
    assert direct is not None
    assert direct(data) is None  # a nested model keeps its JSON: only the builder gives that
    event = parse_event_data("response.output_text.delta", data)
    assert isinstance(event, ResponseOutputTextDeltaEvent)
    assert event.logprobs[0].to_dict()["new"] == 1
    assert repr(event.logprobs[0].logprob) == "-1"
