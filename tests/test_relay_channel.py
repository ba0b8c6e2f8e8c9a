"""The relay's sans-IO decisions: outcomes, a follower's position, SSE out, resume points."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from rillet._errors import ResponseFailedError, ServerStreamError
from rillet.events import Response
from rillet.events._neutral import Finished, TextDelta
from rillet.relay import END_EVENT, PRODUCER_GONE, Entry, Outcome, RelayError
from rillet.relay._channel import Ending, Follower, decode_outcome, encode_outcome, end_entry
from rillet.relay._sse_out import encode_end, encode_entries, encode_retry, resume_point
from rillet.sse import SSEDecoder

pytestmark = pytest.mark.json_independent

statuses = st.sampled_from(["completed", "failed", "error", "cancelled"])


@given(status=statuses, message=st.text())
def test_an_outcome_round_trips_through_its_end_entry(status: str, message: str) -> None:
    outcome = Outcome(status, message)  # type: ignore[arg-type]  # pyright: ignore[reportArgumentType]
    event, data = end_entry(outcome)
    assert event == END_EVENT
    assert decode_outcome(data) == outcome


@pytest.mark.parametrize("data", ["", "nope", "[]", '{"status": "done"}', '{"status": 1}'])
def test_an_end_that_is_not_an_outcome_is_an_error(data: str) -> None:
    outcome = decode_outcome(data)
    assert outcome.status == "error"
    assert repr(data[:64]) in outcome.message


def failed_response() -> Response:
    return Response.from_dict(
        {
            "id": "resp_1",
            "object": "response",
            "created_at": 0,
            "status": "failed",
            "model": "m",
            "output": [],
            "error": {"code": "server_error", "message": "it broke"},
        }
    )


def test_the_models_failures_fail_and_other_errors_are_errors() -> None:
    failed = ResponseFailedError(failed_response(), partial=None)
    ending = Ending()
    ending.raised(failed)
    assert ending.outcome == Outcome("failed", str(failed))
    assert "it broke" in ending.outcome.message
    server = ServerStreamError(
        message="boom",
        code="x",
        error_type=None,
        param=None,
        event=TextDelta(text=""),
        partial=None,
    )
    ending = Ending()
    ending.raised(ExceptionGroup("group", [server]))  # a task group's: its one exception counts
    assert ending.outcome == Outcome("failed", str(server))
    ending = Ending()
    ending.raised(ValueError("bad value"))
    assert ending.outcome == Outcome("error", "ValueError: bad value")


def test_the_first_decision_wins_and_none_is_an_interruption() -> None:
    assert Ending().outcome.status == "cancelled"
    ending = Ending()
    ending.see(TextDelta(text="hi"))
    ending.completed()
    ending.raised(ValueError("late"))
    assert ending.outcome == Outcome("completed")
    ending = Ending()
    ending.cancelled()
    ending.completed()
    assert ending.outcome.status == "cancelled"
    assert "subscriber" in ending.outcome.message


def test_a_stream_that_finished_in_error_failed() -> None:
    ending = Ending()
    ending.see(Finished(reason="error", provider_reason="overloaded"))
    ending.completed()
    assert ending.outcome == Outcome("failed", "the stream ended with an error (overloaded)")


def entries(*ids: int, end: int | None = None) -> list[Entry]:
    found = [Entry(n, "e", str(n)) for n in ids]
    if end is not None:
        found.append(Entry(end, END_EVENT, encode_outcome(Outcome("completed"))))
    return found


def test_a_follower_takes_each_entry_once_up_to_the_end() -> None:
    follower = Follower(2)
    assert [e.id for e in follower.take(entries(1, 2, 3, 4))] == [3, 4]
    assert follower.take(entries(3, 4)) == []
    assert [e.id for e in follower.take(entries(5, end=6))] == [5, 6]
    assert follower.outcome == Outcome("completed")
    assert follower.end_id == 6
    assert follower.take(entries(7)) == []


def test_a_follower_that_resumed_at_the_end_finds_it_looking_back() -> None:
    follower = Follower(6)
    assert follower.look_back == 5
    assert follower.confirm(entries(end=6)) == []
    assert follower.outcome == Outcome("completed")
    assert follower.end_id == 6


def test_a_follower_whose_producer_is_gone_ends_in_error() -> None:
    follower = Follower(3)
    assert follower.confirm(entries(3)) == []
    assert follower.outcome == PRODUCER_GONE
    assert follower.end_id is None
    late = Follower(3)  # entries came after all: not gone
    assert [e.id for e in late.confirm(entries(3, 4))] == [4]
    assert late.outcome is None
    assert Follower(0).look_back == 0


names = st.text(st.characters(blacklist_categories=["Cs"], blacklist_characters="\r\n"), min_size=1)
datas = st.text(st.characters(blacklist_categories=["Cs"]))


@given(
    found=st.lists(st.tuples(names, datas), max_size=5),
    start=st.integers(min_value=1, max_value=2**53),
    cuts=st.lists(st.integers(min_value=0), max_size=5),
)
def test_entries_decode_back_from_sse(
    found: list[tuple[str, str]], start: int, cuts: list[int]
) -> None:
    sent = [Entry(start + n, event, data) for n, (event, data) in enumerate(found)]
    body = encode_retry(1500) + encode_entries(sent) + encode_end(PRODUCER_GONE)
    decoder = SSEDecoder()
    events = []
    position = 0
    for cut in sorted(cut % (len(body) + 1) for cut in cuts):
        events += decoder.feed(body[position:cut])
        position = cut
    events += decoder.feed(body[position:])
    events += decoder.close()
    # SSE cannot carry a line break but as a line's end: CR and CRLF come back as LF (the
    # selectors' data is JSON, with its line breaks escaped).
    expected = [
        (str(e.id), e.event, e.data.replace("\r\n", "\n").replace("\r", "\n")) for e in sent
    ]
    assert [(ev.id, ev.event, ev.data) for ev in events[: len(sent)]] == expected
    assert decoder.retry == 1500
    assert events[-1].event == END_EVENT
    assert decode_outcome(events[-1].data) == PRODUCER_GONE
    # The end with no entry has no id: a client's last event id stays that of the last entry.
    assert events[-1].id == (expected[-1][0] if expected else "")


def test_an_event_name_with_a_line_break_is_refused() -> None:
    with pytest.raises(RelayError, match="line break"):
        encode_entries([Entry(1, "a\nb", "")])


@pytest.mark.parametrize(
    ("header", "query", "after"),
    [
        (None, b"", 0),
        ("", b"", 0),
        ("12", b"lastEventId=3", 12),
        (None, b"x=1&lastEventId=7", 7),
        (" 5 ", b"", 5),
        ("-1", b"", None),
        ("abc", b"", None),
        ("١٢", b"", None),  # digits, but not ASCII ones
        (None, b"lastEventId=x", None),
    ],
)
def test_the_resume_point_is_the_last_event_id(
    header: str | None, query: bytes, after: int | None
) -> None:
    assert resume_point(header, query) == after
