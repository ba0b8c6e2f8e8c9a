"""The Anthropic accumulator: the same Message as the official SDK on every corpus file.

Every stream of tests/corpus/anthropic (raw recordings, re-framed payloads, synthetic fixtures)
is read by rillet (the sans-IO stream machine, fed the bytes) and by the official ``anthropic``
package (``client.beta.messages.stream()`` + ``get_final_message()`` over a mock transport), and
the two messages' JSON must be equal, but for the differences listed in ``SDK_DIFFERENCES``
(where the SDK is wrong, with the reason). Independently of the SDK, the recorded oracle in
``oracle.json`` (what the SDK produced when the corpus was made) is checked field by field.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any, Final

import pytest
from hypothesis import given
from hypothesis import strategies as st

from anthropic_corpus import BETAS, FILES, ORACLE, final, machine, read, sdk_events, sdk_final
from rillet import StreamTruncatedError
from rillet.anthropic import (
    AnthropicStreamEvent,
    Message,
    MessageAccumulator,
    parse_anthropic_event,
)
from rillet.events import (
    Event,
    Finished,
    NeutralEvent,
    ReasoningDelta,
    TextDelta,
    TextDone,
    ToolCallArgumentsDelta,
    ToolCallDone,
    ToolCallStarted,
    UnknownEvent,
    UsageReported,
)
from rillet.sse import SSEDecoder

SPLICED = "synthetic/spliced_two_messages.reframed.sse"
SDK_DIFFERENCES: dict[str, str] = {
    SPLICED: (
        "a second message_start (another id) arrives before the first message ended: the SDK "
        "ignores it and appends the second message's blocks to the first, whose block 0 then "
        "takes the second's deltas (indexes restart); rillet stops with StreamTruncatedError "
        "(code other_response) carrying the first message as it was"
    ),
}
"""Where rillet's message differs from the SDK's, and why (the SDK is wrong there)."""

CUT_TOOL_INPUT = "max_tokens_mid_tool_input.sse"
ORACLE_DIFFERENCES: dict[str, str] = {
    CUT_TOOL_INPUT: (
        "max_tokens cut the tool input mid-string: rillet keeps the open string as far as it "
        "came (5 items, the last 'Filing taxes'), as the SDK does with the "
        "fine-grained-tool-streaming beta header the recording was made with; the oracle ran "
        "without it, and jiter's default partial mode drops the open string (4 items)"
    ),
    SPLICED: SDK_DIFFERENCES[SPLICED],
}
"""Where rillet differs from the recorded oracle, and why."""


def decoded(name: str) -> list[tuple[str | None, bytes]]:
    """The (event, data) of each event of a file, its unterminated last block included."""
    data = read(name)
    if not data.endswith(b"\n\n"):
        data += b"\n" if data.endswith(b"\n") else b"\n\n"
    return [(e.event, e.raw_data) for e in SSEDecoder().feed(data)]


# -- the SDK, file by file --------------------------------------------------------------------


@pytest.mark.parametrize("name", FILES)
def test_same_message_as_the_sdk(name: str) -> None:
    data = read(name)
    theirs = asyncio.run(sdk_final(data, BETAS.get(name, "")))
    if name in SDK_DIFFERENCES:
        with pytest.raises(StreamTruncatedError) as raised:
            final([data])
        assert raised.value.code == "other_response"
        partial = raised.value.partial
        assert isinstance(partial, Message)
        assert partial.id == theirs["id"]
        assert partial.to_dict()["content"] != theirs["content"]  # the SDK merged two messages
        return
    assert final([data]).to_dict() == theirs


UNTERMINATED: Final = frozenset(n for n in FILES if ORACLE[n]["unterminated_final_block"])
"""Files whose last event (message_stop) has no blank line after it: the SDK's stream never
yields it (its final message does not need it); rillet takes it (AnthropicProtocol.receive_eof)."""


@pytest.mark.parametrize("name", [name for name in FILES if name not in SDK_DIFFERENCES])
def test_same_events_as_the_sdk(name: str) -> None:
    theirs = asyncio.run(sdk_events(read(name)))
    fed = machine([read(name)])
    logged = [fed.log.event_at(i, fed.protocol.replay) for i in range(fed.log.count)]
    ours = [e for e in logged if isinstance(e, Event) and not isinstance(e, NeutralEvent)]
    assert all(isinstance(e, AnthropicStreamEvent) for e in ours)  # every type is known
    assert [e.type for e in ours] == [kind for kind, _ in decoded(name)]
    # The SDK reads the container's expires_at as a datetime: compared as JSON, both are text.
    # Its stream drops ping events (rillet yields them: a keepalive is an event one may watch).
    seen = [json.loads(json.dumps(e.to_dict())) for e in ours if e.type != "ping"]
    if name in UNTERMINATED:
        assert seen.pop() == {"type": "message_stop"}
    assert seen == theirs


def test_the_sdk_without_the_beta_header_drops_the_cut_string() -> None:
    theirs = asyncio.run(sdk_final(read(CUT_TOOL_INPUT)))
    ours = final([read(CUT_TOOL_INPUT)]).to_dict()
    cut = ours["content"][1]["input"]["lines_of_text"]
    assert theirs["content"][1]["input"]["lines_of_text"] == cut[:-1]
    assert cut[-1] == "Filing taxes"


# -- the recorded oracle, without the SDK -----------------------------------------------------


def _oracle_block(block: dict[str, Any]) -> dict[str, Any]:
    """A block of ours, summarised as the oracle summarises it."""
    kind = block["type"]
    if kind == "text":
        return {"type": kind, "text": block["text"], "citations": len(block.get("citations") or [])}
    if kind in ("tool_use", "server_tool_use", "mcp_tool_use"):
        summary = {"type": kind, "id": block["id"], "name": block["name"]}
        summary["input_json"] = block["input"]
        if kind == "mcp_tool_use":
            summary["server_name"] = block["server_name"]
        return summary
    if kind == "thinking":
        return {
            "type": kind,
            "thinking_len": len(block["thinking"]),
            "signature_present": bool(block.get("signature")),
        }
    return {"type": kind}


def _oracle_compared(block: dict[str, Any]) -> dict[str, Any]:
    keys = {"type", "text", "citations", "id", "name", "input_json", "server_name"}
    keys |= {"thinking_len", "signature_present"}
    compared = {key: value for key, value in block.items() if key in keys}
    if isinstance(compared.get("input_json"), str):  # the oracle's: JSON text, keys sorted
        compared["input_json"] = json.loads(compared["input_json"])
    return compared


@pytest.mark.parametrize("name", [name for name in FILES if name not in ORACLE_DIFFERENCES])
def test_the_recorded_oracle(name: str) -> None:
    oracle = ORACLE[name]["oracle"]
    message = final([read(name)])
    assert message.id == oracle["id"]
    assert message.model == oracle["model"]
    assert message.stop_reason == oracle["stop_reason"]
    assert message.stop_sequence == oracle["stop_sequence"]
    usage = message.usage.to_dict()
    assert {key: usage.get(key) for key in oracle["usage"]} == oracle["usage"]
    ours = [_oracle_block(block) for block in message.to_dict()["content"]]
    assert [_oracle_compared(b) for b in ours] == [_oracle_compared(b) for b in oracle["content"]]


def test_the_oracle_differences() -> None:
    oracle = ORACLE[CUT_TOOL_INPUT]["oracle"]["content"][1]
    message = final([read(CUT_TOOL_INPUT)])
    block = message.content[1]
    assert block.type == "tool_use"
    assert block.input["lines_of_text"][:-1] == json.loads(oracle["input_json"])["lines_of_text"]
    assert message.stop_reason == "max_tokens"


# -- any chunking -----------------------------------------------------------------------------


@given(
    name=st.sampled_from([name for name in FILES if name not in SDK_DIFFERENCES]),
    cuts=st.lists(st.integers(min_value=0, max_value=300_000), max_size=12),
)
def test_any_chunking_gives_the_same_events_and_message(name: str, cuts: list[int]) -> None:
    data = read(name)
    points = sorted({cut % (len(data) + 1) for cut in cuts})
    chunks = [data[a:b] for a, b in zip([0, *points], [*points, len(data)], strict=True)]
    whole, chunked = machine([data]), machine(chunks)
    assert chunked.failure is None
    assert chunked.result() == whole.result()
    assert chunked.result().to_dict() == whole.result().to_dict()
    events = [whole.log.event_at(i, whole.protocol.replay) for i in range(whole.log.count)]
    again = [chunked.log.event_at(i, chunked.protocol.replay) for i in range(chunked.log.count)]
    assert again == events


# -- the neutral events -----------------------------------------------------------------------


def _neutral(name: str) -> tuple[Message, list[NeutralEvent]]:
    fed = machine([read(name)])
    events = [fed.log.event_at(i, fed.protocol.replay) for i in range(fed.log.count)]
    return fed.result(), [e for e in events if isinstance(e, NeutralEvent)]


@pytest.mark.parametrize("name", [name for name in FILES if name not in SDK_DIFFERENCES])
def test_neutral_events_agree_with_the_message(name: str) -> None:
    message, events = _neutral(name)
    text = "".join(e.text for e in events if isinstance(e, TextDelta))
    assert text == message.text
    assert "".join(e.text for e in events if isinstance(e, TextDone)) == message.text
    thinking = "".join(b.thinking for b in message.content if b.type == "thinking")
    assert "".join(e.text for e in events if isinstance(e, ReasoningDelta)) == thinking
    calls = [b for b in message.content if b.type == "tool_use"]
    started = [e for e in events if isinstance(e, ToolCallStarted)]
    done = [e for e in events if isinstance(e, ToolCallDone)]
    assert [(e.index, e.id, e.name) for e in started] == [
        (i, b.id, b.name) for i, b in enumerate(calls)
    ]
    assert [(e.index, e.id, e.name) for e in done] == [(e.index, e.id, e.name) for e in started]
    assert [json.loads(e.arguments) for e in done] == [b.input for b in calls]
    for index, call in enumerate(done):
        deltas = [e for e in events if isinstance(e, ToolCallArgumentsDelta) and e.index == index]
        assert deltas  # an input that came whole is one delta
        if message.stop_reason != "max_tokens":  # (a cut input ends as the JSON of its value)
            assert "".join(e.delta for e in deltas) == call.arguments
    assert isinstance(events[-1], Finished)
    assert sum(isinstance(e, Finished) for e in events) == 1
    assert isinstance(events[-2], UsageReported)
    neutral = message.neutral()
    assert events[-1].reason == neutral.finish_reason
    assert events[-1].provider_reason == message.stop_reason
    assert events[-2].usage == neutral.usage
    assert neutral.text == message.text
    assert [json.loads(c.arguments) for c in neutral.tool_calls] == [b.input for b in calls]


def test_finish_reasons() -> None:
    reasons = {name: _neutral(name)[1][-1] for name in FILES if name not in SDK_DIFFERENCES}
    assert isinstance(reasons["max_tokens_text.sse"], Finished)
    assert reasons["max_tokens_text.sse"].reason == "length"
    assert reasons["tool_use_parallel_two_calls.sse"].reason == "tool_calls"  # type: ignore[attr-defined]
    assert reasons["pause_turn_web_search.sse"].reason == "other"  # type: ignore[attr-defined]
    assert reasons["synthetic/refusal_stop_details.sse"].reason == "content_filter"  # type: ignore[attr-defined]
    assert reasons["reframed/text.reframed.sse"].reason == "stop"  # type: ignore[attr-defined]


# -- edge cases -------------------------------------------------------------------------------


def _events(*payloads: str) -> list[Any]:
    return [parse_anthropic_event(None, payload.encode()) for payload in payloads]


START = (
    '{"type":"message_start","message":{"id":"msg_1","type":"message","role":"assistant",'
    '"model":"m","content":[],"stop_reason":null,"stop_sequence":null,'
    '"usage":{"input_tokens":3,"output_tokens":1}}}'
)


def test_unknown_events_and_deltas_are_kept() -> None:
    accumulator = MessageAccumulator()
    events = _events(
        START,
        '{"type":"content_block_start","index":0,"content_block":{"type":"text","text":""}}',
        '{"type":"content_block_delta","index":0,"delta":{"type":"future_delta","x":1}}',
        '{"type":"future_event","y":[1]}',
        '{"type":"content_block_start","index":1,"content_block":{"type":"future_block","z":2}}',
    )
    for event in events:
        accumulator.add(event)
    assert events[2].delta.type == "unknown"
    assert events[2].delta.delta_type == "future_delta"
    assert events[2].to_dict()["delta"] == {"type": "future_delta", "x": 1}
    assert isinstance(events[3], UnknownEvent)
    assert events[3].event_type == "future_event"
    snapshot = accumulator.snapshot
    assert snapshot is not None
    assert snapshot.content[1].type == "unknown"
    assert snapshot.to_dict()["content"][1] == {"type": "future_block", "z": 2}


def test_a_repeated_message_start_is_the_same_message() -> None:
    accumulator = MessageAccumulator()
    for event in _events(START, START):
        assert accumulator.add(event) == []
    assert accumulator.snapshot is not None


def test_message_delta_usage_overwrites_only_what_it_sends() -> None:
    accumulator = MessageAccumulator()
    for event in _events(
        START,
        '{"type":"message_delta","delta":{"stop_reason":"end_turn","stop_sequence":null},'
        '"usage":{"output_tokens":9,"cache_read_input_tokens":null,"new_count":4}}',
        '{"type":"message_stop"}',
    ):
        accumulator.add(event)
    usage = accumulator.result().to_dict()["usage"]
    assert usage == {"input_tokens": 3, "output_tokens": 9, "new_count": 4}


def test_events_before_message_start_are_inconsistent() -> None:
    from rillet import InconsistentStreamError  # noqa: PLC0415

    accumulator = MessageAccumulator()
    (event,) = _events('{"type":"content_block_stop","index":0}')
    with pytest.raises(InconsistentStreamError, match="content block 0 was never started"):
        accumulator.add(event)


def test_usual_deltas_are_made_as_the_builder_makes_them() -> None:
    from rillet.anthropic import ContentBlockDeltaEvent  # noqa: PLC0415
    from rillet.events._model import structure_hook  # noqa: PLC0415

    build = structure_hook(ContentBlockDeltaEvent, routed=True)
    payloads = [
        data for name in FILES for kind, data in decoded(name) if kind == "content_block_delta"
    ]
    payloads += [  # the odd ones: the builder's (extra fields kept, wrong types refused)
        b'{"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"a","x":1}}',
        b'{"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"a"},"y":2}',
    ]
    for data in payloads:
        made = parse_anthropic_event("content_block_delta", data)
        built = build(json.loads(data), ContentBlockDeltaEvent, data)
        assert made == built
        assert made.to_dict() == built.to_dict() == json.loads(data)
        assert made.delta.to_dict() == built.delta.to_dict()  # type: ignore[attr-defined]
    from rillet import EventDecodeError  # noqa: PLC0415

    bad = b'{"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":7}}'
    with pytest.raises(EventDecodeError, match=r"delta\.text"):
        parse_anthropic_event("content_block_delta", bad)


@given(st.binary(max_size=300))
def test_arbitrary_bytes_raise_only_rillet_errors(data: bytes) -> None:
    from rillet import RilletError  # noqa: PLC0415

    body = b"event: content_block_delta\ndata: " + data + b"\n\n"
    fed = machine([read("reframed/text.reframed.sse")[:400], body])
    assert fed.failure is None or isinstance(fed.failure, RilletError)
    with pytest.raises(RilletError):
        fed.result()


def test_neutral_usage_counts_the_prompt_cache_as_input() -> None:
    cached_files = 0
    for name in FILES:
        if name in SDK_DIFFERENCES:
            continue
        message = final([read(name)])
        usage = message.usage
        neutral = message.neutral().usage
        assert neutral is not None
        cached = usage.cache_read_input_tokens or 0
        created = usage.cache_creation_input_tokens or 0
        cached_files += bool(cached)
        assert neutral.input_tokens == usage.input_tokens + cached + created
        assert neutral.cached_input_tokens == usage.cache_read_input_tokens
        assert neutral.total_tokens == neutral.input_tokens + usage.output_tokens
    assert cached_files  # the corpus has a prompt cache read to count
