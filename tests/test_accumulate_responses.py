"""ResponseAccumulator over every corpus stream, cut at every event, and generated streams."""

from __future__ import annotations

import itertools
import json
import re
from collections import defaultdict
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from corpus_files import manifest, read
from rillet import (
    InconsistentStreamError,
    ResponseAccumulator,
    ResponseFailedError,
    ServerStreamError,
    StreamTruncatedError,
)
from rillet.events import (
    ContentEvent,
    DeltaEvent,
    Event,
    FunctionCallItem,
    ItemEvent,
    KeepaliveEvent,
    MessageItem,
    OutputTextContent,
    Response,
    ResponseCompletedEvent,
    ResponseContentPartAddedEvent,
    ResponseContentPartDoneEvent,
    ResponseCreatedEvent,
    ResponseFunctionCallArgumentsDeltaEvent,
    ResponseFunctionCallArgumentsDoneEvent,
    ResponseLifecycleEvent,
    ResponseOutputItemAddedEvent,
    ResponseOutputItemDoneEvent,
    ResponseOutputTextDeltaEvent,
    ResponseOutputTextDoneEvent,
    ResponseReasoningSummaryTextDeltaEvent,
    UnknownEvent,
    parse_event,
)
from rillet.sse import SSEDecoder

RESPONSES = [e["file"] for e in manifest() if not e["file"].startswith("chat/")]


def events_of(name: str, *, terminated: bool = False) -> list[Event]:
    body = read(name) + (b"\n\n" if terminated else b"")
    decoder = SSEDecoder()
    sses = decoder.feed(body)
    decoder.close()
    return [parse_event(sse) for sse in sses]


def accumulate(events: list[Event], *, read_every_event: bool = False) -> ResponseAccumulator:
    accumulator = ResponseAccumulator()
    for event in events:
        accumulator.add(event)
        if read_every_event:
            assert accumulator.snapshot is not None
    accumulator.close()
    return accumulator


def terminal(events: list[Event]) -> ResponseLifecycleEvent | None:
    ends = ("response.completed", "response.incomplete", "response.failed")
    found = [e for e in events if isinstance(e, ResponseLifecycleEvent) and e.type in ends]
    return found[-1] if found else None


@pytest.mark.parametrize("name", RESPONSES)
def test_the_final_response_is_the_servers_own(name: str) -> None:
    events = events_of(name, terminated=True)
    accumulator = accumulate(events, read_every_event=True)
    end = terminal(events)
    assert end is not None
    assert accumulator.final is end.response
    if end.type == "response.failed":
        with pytest.raises(ResponseFailedError) as caught:
            accumulator.result()
        assert caught.value.response is end.response
        assert caught.value.partial is not None
    else:
        assert accumulator.result() is end.response
        assert accumulator.outcome == end.response.status
    # After the end, the snapshot is the final response, value for value and byte for byte.
    assert accumulator.snapshot == end.response
    snapshot = accumulator.snapshot
    assert snapshot is not None
    assert snapshot.to_dict() == end.response.to_dict()


def expected_so_far(events: list[Event]) -> dict[tuple[int, int], str]:
    """What the deltas add up to per (output_index, content_index), computed independently."""
    texts: dict[tuple[int, int], str] = defaultdict(str)
    for event in events:
        if isinstance(event, ResponseOutputTextDeltaEvent):
            texts[event.output_index, event.content_index] += event.delta
    return texts


@pytest.mark.parametrize("name", RESPONSES)
def test_the_snapshot_after_every_event_is_consistent(name: str) -> None:
    events = events_of(name)
    end = terminal(events)
    accumulator = ResponseAccumulator()
    added = 0
    done: set[int] = set()
    for position, event in enumerate(events):
        if event is end:
            # Before the end: every item that got its .done agrees with the final response,
            # except reasoning's encrypted_content, which the server encrypts again there.
            before = accumulator.snapshot
            assert before is not None
            for index in done:
                final_item = end.response.output[index].to_dict()
                final_item.pop("encrypted_content", None)
                mine = before.output[index].to_dict()
                mine.pop("encrypted_content", None)
                assert mine == final_item, (name, index)
        accumulator.add(event)
        added += isinstance(event, ResponseOutputItemAddedEvent)
        if isinstance(event, ResponseOutputItemDoneEvent):
            done.add(event.output_index)
        snapshot = accumulator.snapshot
        assert snapshot is not None
        if end is None or position < events.index(end):
            assert len(snapshot.output) == added
            for (index, part), text in expected_so_far(events[: position + 1]).items():
                item = snapshot.output[index]
                assert isinstance(item, MessageItem)
                content = item.content[part]
                assert isinstance(content, OutputTextContent)
                assert content.text == text


def test_reading_the_snapshot_often_or_never_gives_the_same_result() -> None:
    events = events_of("responses/reasoning_summary_multi_part.sse")
    assert accumulate(events, read_every_event=True).snapshot == accumulate(events).snapshot


def test_the_error_event_and_the_failed_response() -> None:
    name = "responses/error_insufficient_quota_failed.sse"
    # As recorded, the last event (response.failed) has no blank line: only the error arrives.
    accumulator = accumulate(events_of(name))
    assert accumulator.outcome == "error"
    with pytest.raises(ServerStreamError) as caught:
        accumulator.result()
    assert caught.value.code == "insufficient_quota"
    assert caught.value.error_type == "insufficient_quota"
    assert "You exceeded your current quota" in str(caught.value)
    assert isinstance(caught.value.partial, Response)
    assert caught.value.partial.status == "in_progress"
    # Terminated, response.failed follows and says more.
    accumulator = accumulate(events_of(name, terminated=True))
    assert accumulator.outcome == "failed"
    assert accumulator.error is not None
    with pytest.raises(ResponseFailedError) as failed:
        accumulator.result()
    assert failed.value.error is not None
    assert failed.value.error.code == "insufficient_quota"


@pytest.mark.parametrize(
    "name",
    ["responses/incomplete_max_output_tokens.sse", "responses/incomplete_max_output_tokens_2.sse"],
)
def test_an_incomplete_response_is_returned_with_its_reason(name: str) -> None:
    response = accumulate(events_of(name)).result()
    assert response.status == "incomplete"
    assert response.incomplete_details is not None
    assert response.incomplete_details.reason == "max_output_tokens"
    assert response.output_text


def test_a_truncated_stream_says_where_and_keeps_the_partial_response() -> None:
    events = events_of("responses/function_call_parallel.sse")
    cut = next(
        i for i, e in enumerate(events) if isinstance(e, ResponseFunctionCallArgumentsDeltaEvent)
    )
    accumulator = ResponseAccumulator()
    for event in events[: cut + 1]:
        accumulator.add(event)
    with pytest.raises(StreamTruncatedError, match="has not ended"):
        accumulator.result()
    assert accumulator.close() == "truncated"
    with pytest.raises(StreamTruncatedError, match=f"after event #{cut}") as caught:
        accumulator.result()
    partial = caught.value.partial
    assert isinstance(partial, Response)
    call = partial.output[0]
    assert isinstance(call, FunctionCallItem)
    first_delta = events[cut]
    assert isinstance(first_delta, ResponseFunctionCallArgumentsDeltaEvent)
    assert call.arguments == first_delta.delta


def test_items_given_only_in_the_completed_response_are_backfilled() -> None:
    accumulator = accumulate(events_of("responses/mcp_list_tools_three_servers.sse"))
    assert accumulator.backfilled == [0, 1]
    response = accumulator.result()
    assert [item.type for item in response.output[:3]] == ["mcp_list_tools"] * 3


def test_streams_without_sequence_numbers_and_resumed_streams() -> None:
    old = accumulate(events_of("responses/plain_text_no_sequence_number_2025-05.sse"))
    assert old.last_sequence_number is None
    assert old.result().output_text
    resumed_events = events_of("responses/background_resume_starting_after.sse")
    assert resumed_events[0].type == "response.queued"
    resumed = accumulate(resumed_events)
    assert resumed.last_sequence_number == len(resumed_events)
    assert (
        resumed.result().output_text
        == accumulate(events_of("responses/background_queued.sse")).result().output_text
    )


def test_keepalive_and_unknown_events_change_nothing() -> None:
    events = events_of("responses/plain_text_sorted_keys_2026.sse")
    noise: list[Event] = [
        KeepaliveEvent(),
        UnknownEvent(event_type="response.rate_limits.updated", data={}),
    ]
    mixed = [e for event in events for e in (event, *noise)]
    assert accumulate(mixed).snapshot == accumulate(events).snapshot


def bad_delta(**changes: Any) -> ResponseOutputTextDeltaEvent:
    fields: dict[str, Any] = {
        "item_id": "msg_1",
        "output_index": 0,
        "content_index": 0,
        "delta": "x",
        "sequence_number": 7,
    }
    return ResponseOutputTextDeltaEvent(**(fields | changes))


def message_started() -> list[Event]:
    return [
        ResponseCreatedEvent(response=Response(id="resp_1", status="in_progress")),
        ResponseOutputItemAddedEvent(output_index=0, item=MessageItem(id="msg_1")),
        ResponseContentPartAddedEvent(
            item_id="msg_1", output_index=0, content_index=0, part=OutputTextContent(text="")
        ),
    ]


@pytest.mark.parametrize(
    ("event", "reason"),
    [
        (bad_delta(output_index=1), "no output item at output_index 1"),
        (bad_delta(item_id="msg_2"), "item_id 'msg_2'"),
        (bad_delta(content_index=3), "no part at content_index 3"),
        (
            ResponseOutputItemAddedEvent(
                output_index=5, item=MessageItem(id="msg_9"), sequence_number=7
            ),
            "output_index 5, but 1 item(s) so far",
        ),
        (
            ResponseOutputTextDoneEvent(
                item_id="msg_1", output_index=0, content_index=0, text="other", sequence_number=7
            ),
            "deltas were lost or repeated",
        ),
    ],
)
def test_inconsistent_events_are_typed_errors_or_skipped_in_lenient_mode(
    event: Event, reason: str
) -> None:
    strict = ResponseAccumulator()
    for start in message_started():
        strict.add(start)
    with pytest.raises(InconsistentStreamError, match=re.escape(reason)) as caught:
        strict.add(event)
    assert (caught.value.event_type, caught.value.sequence_number) == (event.type, 7)
    lenient = ResponseAccumulator(strict=False)
    for start in message_started():
        lenient.add(start)
    lenient.add(event)
    assert len(lenient.problems) == 1
    assert reason in lenient.problems[0]
    lenient.add(bad_delta(delta="fine"))
    snapshot = lenient.snapshot
    assert snapshot is not None
    assert isinstance(event, ResponseOutputTextDoneEvent) or snapshot.output_text == "fine"


def test_a_summary_delta_for_a_missing_part_is_an_error() -> None:
    accumulator = ResponseAccumulator()
    accumulator.add(ResponseOutputItemAddedEvent(output_index=0, item=MessageItem(id="rs_1")))
    with pytest.raises(InconsistentStreamError, match="no summary part"):
        accumulator.add(
            ResponseReasoningSummaryTextDeltaEvent(
                item_id="rs_1", output_index=0, summary_index=0, delta="x"
            )
        )


# -- generated streams ------------------------------------------------------------------------

texts = st.text(st.characters(codec="utf-8"), max_size=40)
item_specs = st.lists(st.tuples(st.booleans(), texts), min_size=1, max_size=5)


def split_text(data: st.DataObject, text: str) -> list[str]:
    cuts = sorted(data.draw(st.sets(st.integers(1, max(len(text) - 1, 1)), max_size=8)))
    bounds = [0, *[c for c in cuts if c < len(text)], len(text)]
    return [text[a:b] for a, b in itertools.pairwise(bounds) if b > a]


@given(specs=item_specs, data=st.data())
def test_generated_streams_accumulate_to_what_their_done_events_say(
    specs: list[tuple[bool, str]], data: st.DataObject
) -> None:
    """Message and function-call items, their deltas interleaved at random, in any chunking."""
    opening: list[Event] = [ResponseCreatedEvent(response=Response(id="r", status="in_progress"))]
    streams: list[list[Event]] = []
    closing: list[Event] = []
    for index, (is_message, text) in enumerate(specs):
        item_id = f"item_{index}"
        pieces = split_text(data, text)
        if is_message:
            opening += [
                ResponseOutputItemAddedEvent(output_index=index, item=MessageItem(id=item_id)),
                ResponseContentPartAddedEvent(
                    item_id=item_id,
                    output_index=index,
                    content_index=0,
                    part=OutputTextContent(text=""),
                ),
            ]
            streams.append(
                [
                    ResponseOutputTextDeltaEvent(
                        item_id=item_id, output_index=index, content_index=0, delta=piece
                    )
                    for piece in pieces
                ]
            )
            final = OutputTextContent(text=text)
            closing += [
                ResponseOutputTextDoneEvent(
                    item_id=item_id, output_index=index, content_index=0, text=text
                ),
                ResponseContentPartDoneEvent(
                    item_id=item_id, output_index=index, content_index=0, part=final
                ),
                ResponseOutputItemDoneEvent(
                    output_index=index,
                    item=MessageItem(id=item_id, status="completed", content=[final]),
                ),
            ]
        else:
            call = FunctionCallItem(id=item_id, call_id=f"call_{index}", name="f", arguments="")
            opening.append(ResponseOutputItemAddedEvent(output_index=index, item=call))
            streams.append(
                [
                    ResponseFunctionCallArgumentsDeltaEvent(
                        item_id=item_id, output_index=index, delta=piece
                    )
                    for piece in pieces
                ]
            )
            closing += [
                ResponseFunctionCallArgumentsDoneEvent(
                    item_id=item_id, output_index=index, arguments=text
                ),
                ResponseOutputItemDoneEvent(
                    output_index=index,
                    item=FunctionCallItem(
                        id=item_id, call_id=f"call_{index}", name="f", arguments=text
                    ),
                ),
            ]
    order = data.draw(st.permutations([i for i, s in enumerate(streams) for _ in s]))
    positions = [0] * len(streams)
    middle: list[Event] = []
    for which in order:  # each item's deltas stay in order; items interleave
        middle.append(streams[which][positions[which]])
        positions[which] += 1
    accumulator = ResponseAccumulator()
    for event in [*opening, *middle]:
        accumulator.add(event)
    live = accumulator.snapshot
    assert live is not None
    for (is_message, text), item in zip(specs, live.output, strict=True):
        if is_message:
            assert isinstance(item, MessageItem)
            assert item.content == [OutputTextContent(text=text)]
        else:
            assert isinstance(item, FunctionCallItem)
            assert item.arguments == text
    for event in closing:
        accumulator.add(event)
    accumulator.add(
        ResponseCompletedEvent(response=Response(id="r", status="completed", output=live.output))
    )
    assert accumulator.result().output == accumulator.snapshot.output  # type: ignore[union-attr]
    assert accumulator.backfilled == []


def test_the_families_used_above_cover_what_they_claim() -> None:
    delta = bad_delta()
    assert isinstance(delta, DeltaEvent)
    assert isinstance(delta, ContentEvent)
    assert isinstance(delta, ItemEvent)
    assert json.loads(json.dumps(delta.to_dict()))["delta"] == "x"
