"""Property tests of the decoder: chunking never matters, nothing but our errors, linear work."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from rillet import EventTooLargeError, SSEError
from rillet.sse import DEFAULT_MAX_EVENT_SIZE, ServerSentEvent, SSEDecoder, UnterminatedEvent
from sse_reference import reference_decode

pytestmark = pytest.mark.json_independent

# Fragments that make the interesting cases likely: field names with and without the space,
# every line ending, BOMs, NUL, invalid UTF-8, digits for retry (and retry values past int()'s
# limit of 4,300 digits), text with a colon in it.
FRAGMENTS = [
    b"data: ", b"data:", b"data", b"event: ", b"event:", b"id: ", b"id", b"retry: ", b"retry:",
    b": comment", b":", b"\n", b"\n", b"\n\n", b"\r", b"\r\n", b"\xef\xbb\xbf", b"\xef", b"\x00",
    b"\xff\xfe", b"\xe2\x80", b"1000", b"12", b" ", b"\t", b"x", b'{"type":"a.b"}', b"a:b",
    b"response.output_text.delta", "caf\u00e9 \U0001f642".encode(), b"\nretry:" + b"9" * 11 + b"\r",
    b"\nretry: " + b"0" * 12 + b"7\n", b"\nretry: " + b"1" * 4301 + b"\n",
]  # fmt: skip

sse_like = st.lists(st.sampled_from(FRAGMENTS) | st.binary(max_size=8), max_size=60).map(b"".join)
any_bytes = sse_like | st.binary(max_size=300)


def split(body: bytes, cuts: list[int]) -> list[bytes]:
    points = sorted({c % (len(body) + 1) for c in cuts})
    return [body[a:b] for a, b in zip([0, *points], [*points, len(body)], strict=True)]


def as_text(events: list[ServerSentEvent]) -> list[tuple[str, str, str, int | None, bool]]:
    """Events with data decoded: the reference decoder works on text, so it holds no raw bytes."""
    return [(e.event, e.data, e.id, e.retry, e.has_event_field) for e in events]


def decode(
    chunks: list[bytes], **options: int
) -> tuple[list[ServerSentEvent], str, int | None, UnterminatedEvent | None]:
    decoder = SSEDecoder(**options)  # type: ignore[arg-type]
    events = [event for chunk in chunks for event in decoder.feed(chunk)]
    events += decoder.close()
    return events, decoder.last_event_id, decoder.retry, decoder.unterminated


@given(body=any_bytes, cuts=st.lists(st.integers(min_value=0), max_size=20))
def test_any_chunking_gives_exactly_the_same_events_and_state(body: bytes, cuts: list[int]) -> None:
    assert decode(split(body, cuts)) == decode([body])


@given(body=any_bytes)
def test_the_decoder_agrees_with_the_reference_decoder(body: bytes) -> None:
    events, last_event_id, retry, _ = decode([body])
    expected, expected_id, expected_retry = reference_decode(body)
    assert (as_text(events), last_event_id, retry) == (
        as_text(expected),
        expected_id,
        expected_retry,
    )


@given(body=any_bytes, cuts=st.lists(st.integers(min_value=0), max_size=20))
def test_one_byte_at_a_time_agrees_with_the_reference(body: bytes, cuts: list[int]) -> None:
    del cuts
    events, last_event_id, retry, _ = decode([body[i : i + 1] for i in range(len(body))])
    expected, expected_id, expected_retry = reference_decode(body)
    assert (as_text(events), last_event_id, retry) == (
        as_text(expected),
        expected_id,
        expected_retry,
    )


@given(
    body=any_bytes,
    cuts=st.lists(st.integers(min_value=0), max_size=20),
    limit=st.integers(min_value=1, max_value=64) | st.just(DEFAULT_MAX_EVENT_SIZE),
)
def test_arbitrary_bytes_raise_nothing_but_rillet_errors(
    body: bytes, cuts: list[int], limit: int
) -> None:
    decoder = SSEDecoder(max_event_size=limit)
    failure = None
    try:
        for chunk in split(body, cuts):
            decoder.feed(chunk)
    except EventTooLargeError as error:
        failure = error
    if failure is not None:
        assert failure.size > failure.limit == limit
        assert 0 <= failure.offset <= len(body)
    decoder.close()
    with pytest.raises(SSEError):
        decoder.feed(b"data: x\n\n")


def test_work_stays_linear_for_one_huge_event_in_small_chunks() -> None:
    """Count bytes scanned and joined (not time) for 4 and 8 MiB events in 1,400-byte chunks."""

    def work(size: int, chunk_size: int) -> tuple[int, int, int]:
        payload = b"A" * size
        body = b"event: big\ndata: " + payload + b"\n\n"
        decoder = SSEDecoder()
        events = []
        for i in range(0, len(body), chunk_size):
            events += decoder.feed(body[i : i + chunk_size])
        assert [e.raw_data for e in events] == [payload]
        return decoder._scanned, decoder._copied, len(body)

    for size, chunk_size in [(4 << 20, 1400), (8 << 20, 1400), (64 << 10, 1)]:
        scanned, copied, total = work(size, chunk_size)
        assert scanned == total  # every byte searched once: never the buffered prefix again
        # The payload is joined once; beyond it at most the short `event: big` line is.
        assert size <= copied <= size + len(b"event: big")


def test_payload_bytes_are_copied_once_into_the_event() -> None:
    payload = b"x" * 1000
    [event] = SSEDecoder().feed(b"data: " + payload + b"\n\n")
    assert event.raw_data == payload
    # The join of a line that spanned chunks gives the event's bytes themselves: no second copy.
    decoder = SSEDecoder()
    decoder.feed(b"data: " + payload[:500])
    decoder.feed(payload[500:] + b"\n")
    [event] = decoder.feed(b"\n")
    assert event.raw_data == payload
