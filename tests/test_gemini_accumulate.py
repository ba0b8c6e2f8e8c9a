"""Gemini streams read sans-IO: every corpus file against google-genai's results, any chunking.

The oracle (tests/corpus/gemini/oracle.json) is what google-genai 3.6.1 produced for each file:
the texts, thoughts, function calls (streamed ``partialArgs`` assembled by ``jsonPath``),
finish reason, prompt block reason and the error it raised. Where rillet differs it says so:

* A body that ends with no ``finishReason`` (and no prompt block) is a
  :class:`~rillet.StreamTruncatedError` carrying what came; google-genai yields the chunks and
  says nothing (``candidate_empty_content``, ``malformed_content_missing_parts``,
  ``text_escaped_quotes_truncated_lf``, ``synthetic/unexpected_json_shape``).
* An error object is a :class:`~rillet.ServerStreamError` (google-genai: ``ClientError``) with
  the same code and status, and the frames before it are kept (``partial``).
"""

from __future__ import annotations

import copy
import json
import re
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from gemini_corpus import (
    FILES,
    ORACLE,
    events_of,
    machine,
    oracle_expected,
    oracle_view,
    outcome,
    read,
)
from rillet import (
    BadRequestError,
    EventDecodeError,
    EventTooLargeError,
    InconsistentStreamError,
    RilletError,
    ServerStreamError,
    StreamTruncatedError,
)
from rillet._errors import status_error
from rillet.events import (
    Finished,
    ReasoningDelta,
    TextDelta,
    TextDone,
    ToolCallArgumentsDelta,
    ToolCallDone,
    ToolCallStarted,
    UsageReported,
)
from rillet.gemini import (
    FrameDecodeError,
    GeminiAccumulator,
    GeminiDecoder,
    GeminiErrorEvent,
    GenerateContentResponse,
    parse_gemini_frame,
)

TRUNCATED = {
    "candidate_empty_content.sse",
    "malformed_content_missing_parts.sse",
    "text_escaped_quotes_truncated_lf.sse",
    "synthetic/unexpected_json_shape.sse",
}
"""The files with no finishReason and no prompt block: cut, for rillet."""


def frames(name: str) -> list[bytes]:
    decoder = GeminiDecoder()
    found = [event.raw_data for event in decoder.feed(read(name))]
    return found + [event.raw_data for event in decoder.close()]


@pytest.mark.parametrize("name", FILES)
def test_every_file_gives_what_google_genai_gave(name: str) -> None:
    oracle = ORACLE[name]
    fed = machine([read(name)])
    result = outcome(fed)
    chunks = [e for e in events_of(fed) if isinstance(e, GenerateContentResponse)]
    assert len(chunks) == oracle["sdk_chunks"]
    if not oracle["sdk_ok"]:
        assert isinstance(result, ServerStreamError)
        found = re.match(r"ClientError: (\d+) ([A-Z_]+)\.", oracle["sdk_exception"])
        assert found is not None
        assert (result.code, result.error_type) == (int(found[1]), found[2])
        assert result.message in oracle["sdk_exception"]
        partial = result.partial
    elif name in TRUNCATED:
        assert isinstance(result, StreamTruncatedError)
        assert "no finishReason" in str(result)
        partial = result.partial
    else:
        assert isinstance(result, GenerateContentResponse)
        partial = result
    if partial is None:
        assert oracle.get("candidates", {}) == {}
    else:
        assert oracle_view(partial) == oracle_expected(oracle)


def test_the_mid_stream_error_keeps_the_frames_before_it() -> None:
    result = outcome(machine([read("error_midstream_bare_json.sse")]))
    assert isinstance(result, ServerStreamError)
    assert isinstance(result.event, GeminiErrorEvent)
    assert result.event.error.status == "CANCELLED"
    assert result.partial is not None
    assert result.partial.text == "First Second "
    assert "The operation was cancelled." in str(result)


def test_an_error_in_a_data_frame_ends_the_stream_too() -> None:
    body = (
        b'data: {"candidates": [{"content": {"parts": [{"text": "Hi"}]}}]}\r\n\r\n'
        b'data: {"error": {"code": 503, "message": "overloaded", "status": "UNAVAILABLE"}}\r\n\r\n'
    )
    fed = machine([body])
    result = outcome(fed)
    assert isinstance(result, ServerStreamError)
    assert (result.code, result.error_type, result.message) == (503, "UNAVAILABLE", "overloaded")
    assert result.partial is not None
    assert result.partial.text == "Hi"
    last = events_of(fed)[-1]
    assert last == Finished(reason="error", provider_reason="UNAVAILABLE")


def test_a_gemini_error_body_is_read_by_status_error() -> None:
    error = status_error(400, {}, read("error_http_400_invalid_argument_bare_json.sse"))
    assert isinstance(error, BadRequestError)
    assert error.message == "Request contains an invalid argument."
    assert (error.code, error.error_type) == (400, "INVALID_ARGUMENT")


@pytest.mark.parametrize("name", FILES)
def test_each_chunk_gives_its_json_back(name: str) -> None:
    for data in frames(name):
        parsed = parse_gemini_frame(data)
        assert parsed.to_dict() == json.loads(data)


@pytest.mark.parametrize("name", [f for f in FILES if ORACLE[f]["sdk_ok"] and f not in TRUNCATED])
def test_the_accumulated_response_round_trips_in_the_wire_names(name: str) -> None:
    result = machine([read(name)]).result()
    wire = result.to_dict()
    assert "usage_metadata" not in wire
    assert "finish_reason" not in json.dumps(wire)
    assert GenerateContentResponse.from_dict(wire) == result
    assert GenerateContentResponse.from_dict(wire).to_dict() == wire


def test_text_parts_of_a_kind_are_merged_and_signatures_kept() -> None:
    result = machine([read("thoughts_text_signature.sse")]).result()
    parts = result.candidates[0].parts
    kinds = [(p.thought, p.text is not None, p.thought_signature is not None) for p in parts]
    assert kinds == [(True, True, False), (None, True, True)]
    assert result.thoughts.startswith("**")
    assert result.text.startswith("This is a great question!")


def test_an_empty_last_text_part_keeps_its_signature_on_the_text() -> None:
    result = machine([read("reframed/text_signature_on_empty_last_part_a.reframed.sse")]).result()
    (part,) = result.candidates[0].parts
    assert part.thought_signature
    assert part.text == result.text


def test_streamed_function_call_arguments_are_assembled() -> None:
    result = machine([read("reframed/streamed_function_call_args_nested.reframed.sse")]).result()
    (call,) = result.function_calls
    assert call.name == "cookRecipe"
    assert call.partial_args is None
    assert call.will_continue is None
    recipe = (call.args or {})["recipe"]
    assert len(recipe["ingredients"]) == 10
    assert recipe["ingredients"][0] == {"amount": "16 oz", "name": "Lasagna noodles"}
    assert all(type(step) is str and step for step in recipe["steps"])
    assert result.candidates[0].parts[0].thought_signature


def _chunk(*parts: dict[str, Any], finish: str | None = None) -> GenerateContentResponse:
    candidate: dict[str, Any] = {"content": {"role": "model", "parts": list(parts)}}
    if finish:
        candidate["finishReason"] = finish
    return GenerateContentResponse.from_dict({"candidates": [candidate]})


def _call(**fields: Any) -> dict[str, Any]:
    return {"functionCall": fields}


def test_partial_args_set_numbers_booleans_nulls_and_join_strings() -> None:
    accumulator = GeminiAccumulator()
    accumulator.add(_chunk(_call(name="f", willContinue=True)))
    pieces = [
        {"jsonPath": "$.a[1].b", "stringValue": "x", "willContinue": True},
        {"jsonPath": "$.a[1].b", "stringValue": "y", "willContinue": True},
        {"jsonPath": "$.a[1].b", "stringValue": ""},
        {"jsonPath": "$['odd key']", "numberValue": 2},
        {"jsonPath": "$.flag", "boolValue": False},
        {"jsonPath": "$.none", "nullValue": "NULL_VALUE"},
    ]
    events = accumulator.add(_chunk(_call(partialArgs=pieces, willContinue=True)))
    assert events == []
    assert accumulator.partial_arguments(0) == {
        "a": [None, {"b": "xy"}],
        "odd key": 2,
        "flag": False,
        "none": None,
    }
    done = accumulator.add(_chunk(_call(), finish="STOP"))
    assert [type(e) for e in done] == [ToolCallArgumentsDelta, ToolCallDone]
    assert isinstance(done[1], ToolCallDone)
    assert json.loads(done[1].arguments) == accumulator.partial_arguments(0)


def test_partial_args_for_no_open_call_or_a_bad_path_are_errors() -> None:
    accumulator = GeminiAccumulator()
    orphan = _call(partialArgs=[{"jsonPath": "$.a", "stringValue": "x"}])
    with pytest.raises(InconsistentStreamError, match="no open function call"):
        accumulator.add(_chunk(orphan))
    accumulator.add(_chunk(_call(name="f", willContinue=True)))
    bad = _call(partialArgs=[{"jsonPath": "a.b", "stringValue": "x"}], willContinue=True)
    with pytest.raises(InconsistentStreamError, match="jsonPath"):
        accumulator.add(_chunk(bad))


def test_a_prompt_block_is_a_finished_stream_filtered_by_content() -> None:
    fed = machine([read("prompt_blocked_safety_with_message_unterminated.sse")])
    result = fed.result()
    assert result.block_reason == "SAFETY"
    assert result.candidates == []
    assert result.prompt_feedback is not None
    assert result.prompt_feedback.block_reason_message == "Reasons"
    assert result.neutral().finish_reason == "content_filter"
    assert events_of(fed)[-1] == Finished(reason="content_filter", provider_reason="SAFETY")


def test_unknown_enum_values_are_kept() -> None:
    result = machine([read("unknown_finish_reason_enum.sse")]).result()
    assert result.finish_reason == "FAKE_ENUM"
    assert result.neutral().finish_reason == "other"
    ratings = machine([read("unknown_safety_enum.sse")]).result().candidates[0].safety_ratings
    assert ratings is not None
    assert "HARM_CATEGORY_DANGEROUS_CONTENT_NEW_ENUM" in {str(r.category) for r in ratings}
    assert "NEGLIGIBLE_UNKNOWN_ENUM" in {str(r.probability) for r in ratings}


@pytest.mark.parametrize(
    ("name", "reason"),
    [
        ("finish_max_tokens.sse", "length"),
        ("finish_recitation_after_stop_frames.sse", "content_filter"),
        ("finish_safety_blocked_rating.sse", "content_filter"),
        ("function_call_parallel_finish_message.sse", "tool_calls"),
        ("text_short.sse", "stop"),
    ],
)
def test_finish_reasons_map_to_the_neutral_ones(name: str, reason: str) -> None:
    result = machine([read(name)]).result()
    assert result.neutral().finish_reason == reason
    assert result.neutral().provider_reason == result.finish_reason


# -- the neutral events agree with the result -------------------------------------------------


@pytest.mark.parametrize("name", [f for f in FILES if ORACLE[f]["sdk_ok"] and f not in TRUNCATED])
def test_the_neutral_events_agree_with_the_final_response(name: str) -> None:
    fed = machine([read(name)])
    result = fed.result()
    events = events_of(fed)
    neutral = result.neutral()
    texts: dict[int, str] = {}
    for event in events:
        if isinstance(event, TextDelta):
            texts[event.choice] = texts.get(event.choice, "") + event.text
    assert texts.get(0, "") == result.text
    reasoning = "".join(e.text for e in events if isinstance(e, ReasoningDelta) and e.choice == 0)
    assert reasoning == result.thoughts
    done = [e for e in events if isinstance(e, TextDone)]
    assert [(e.choice, e.text) for e in done] == [(i, t) for i, t in sorted(texts.items()) if t]
    started = [e for e in events if isinstance(e, ToolCallStarted)]
    calls = [e for e in events if isinstance(e, ToolCallDone)]
    assert [e.index for e in started] == [e.index for e in calls] == list(range(len(calls)))
    assert [(c.name, c.id, json.loads(c.arguments)) for c in calls] == [
        (call.name, call.id or "", call.args or {}) for call in result.function_calls
    ]
    assert [(c.name, json.loads(c.arguments)) for c in neutral.tool_calls] == [
        (c.name, json.loads(c.arguments)) for c in calls
    ]
    finished = [e for e in events if isinstance(e, Finished)]
    assert finished == [events[-1]]
    assert finished[0].reason == neutral.finish_reason
    usage = [e for e in events if isinstance(e, UsageReported)]
    assert [e.usage for e in usage] == ([neutral.usage] if neutral.usage else [])
    if usage:
        assert events[-2] == usage[0]


def test_usage_counts_prompt_tool_use_thoughts_and_candidates() -> None:
    usage = machine([read("file_search_tool_call_response_parts.sse")]).result().neutral().usage
    assert usage is not None
    assert (usage.input_tokens, usage.output_tokens, usage.total_tokens) == (427 + 771, 569, 1767)
    assert usage.reasoning_tokens == 447


# -- decoding: any chunking, any bytes --------------------------------------------------------


@given(
    name=st.sampled_from(FILES),
    cuts=st.lists(st.integers(min_value=0, max_value=1 << 20), max_size=12),
)
def test_any_chunking_gives_the_same_events_and_result(name: str, cuts: list[int]) -> None:
    body = read(name)
    points = sorted({cut % (len(body) + 1) for cut in cuts})
    chunks = [body[a:b] for a, b in zip([0, *points], [*points, len(body)], strict=True)]
    whole, pieces = machine([body]), machine(chunks)
    assert events_of(pieces) == events_of(whole)
    assert repr(outcome(pieces)) == repr(outcome(whole))


@given(st.lists(st.binary(max_size=64), max_size=8))
def test_arbitrary_bytes_raise_only_rillet_errors(chunks: list[bytes]) -> None:
    fed = machine(chunks)
    result = outcome(fed)
    assert isinstance(result, RilletError | GenerateContentResponse)


@given(st.sampled_from(["\n", "\r\n", "\r"]), st.integers(min_value=1, max_value=40))
def test_line_ends_of_every_kind_decode_alike(end: str, size: int) -> None:
    text = '{"candidates": [{"content": {"parts": [{"text": "a{b}\\"c"}]}}]}'
    error = '{\n  "error": {\n    "code": 500,\n    "message": "}{"\n  }\n}'
    body = f"data: {text}{end}{end}{error.replace(chr(10), end)}{end}".encode()
    decoder = GeminiDecoder()
    got: list[bytes] = []
    for start in range(0, len(body), size):
        got += [e.raw_data for e in decoder.feed(body[start : start + size])]
    got += [e.raw_data for e in decoder.close()]
    assert [json.loads(data) for data in got] == [json.loads(text), json.loads(error)]


def test_a_line_that_is_no_frame_is_a_decode_error_with_its_offset() -> None:
    body = b'data: {"candidates": []}\n\n<html>oops</html>\n'
    decoder = GeminiDecoder()
    with pytest.raises(FrameDecodeError) as caught:
        decoder.feed(body)
    assert isinstance(caught.value, EventDecodeError)
    assert caught.value.offset == body.index(b"<html>")
    assert caught.value.excerpt.startswith(b"<html>")
    assert [e.raw_data for e in caught.value.events] == [b'{"candidates": []}']


def test_a_frame_cut_by_the_end_is_unterminated_and_the_stream_truncated() -> None:
    body = read("text_short.sse")
    cut = body[: body.rindex(b"data: ") + 40]
    fed = machine([cut])
    result = outcome(fed)
    assert isinstance(result, StreamTruncatedError)
    assert result.excerpt.startswith(b'{"candidates"')
    assert "unterminated" in str(result)


def test_a_whole_unterminated_last_frame_counts_as_google_genai_reads_it() -> None:
    result = machine([read("synthetic/finish_message.sse")]).result()
    assert result.text == "Hello world!"
    assert result.candidates[0].finish_message == "Finished successfully"


def test_a_frame_past_the_limit_is_refused() -> None:
    decoder = GeminiDecoder(max_event_size=100)
    with pytest.raises(EventTooLargeError):
        decoder.feed(b"data: " + b"x" * 200)


def test_invalid_chunks_are_decode_errors_naming_the_field() -> None:
    with pytest.raises(EventDecodeError, match=r"candidates\[0\]\.finishReason"):
        parse_gemini_frame(b'{"candidates": [{"finishReason": 3}]}')
    invalid = parse_gemini_frame(b"[1]", on_invalid="return")
    assert invalid.type == "invalid"


def test_partial_output_is_the_text_parsed_as_far_as_it_came() -> None:
    accumulator = GeminiAccumulator()
    seen = []
    for data in frames("json_output_after_function_response.sse"):
        chunk = parse_gemini_frame(data)
        assert isinstance(chunk, GenerateContentResponse)
        accumulator.add(chunk)
        seen.append(copy.deepcopy(accumulator.partial_output))  # the value is live: it grows
    assert seen[0] == {"city": "Mexico"}
    assert seen[-1] == {"city": "Mexico City", "country": "Mexico"}
