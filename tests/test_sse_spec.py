"""SSEDecoder against the WHATWG HTML "interpreting an event stream" rules (notes/sse.md 1.3)."""

from __future__ import annotations

import pytest

from rillet import EventTooLargeError, SSEError
from rillet._errors import EXCERPT_BYTES
from rillet.sse import ServerSentEvent, SSEDecoder, UnterminatedEvent
from sse_reference import reference_decode

pytestmark = pytest.mark.json_independent

BOM = b"\xef\xbb\xbf"
Seen = tuple[str, str, str]  # (event type, data, id)


def msg(data: str, event_id: str = "", event: str = "message") -> Seen:
    return (event, data, event_id)


def decode(
    chunks: list[bytes], *, last_event_id: str = ""
) -> tuple[list[ServerSentEvent], SSEDecoder]:
    decoder = SSEDecoder(last_event_id=last_event_id)
    events = [event for chunk in chunks for event in decoder.feed(chunk)]
    assert decoder.close() == []
    return events, decoder


def splits(stream: bytes) -> list[list[bytes]]:
    """The stream in one chunk, in two chunks at every position, and one byte per chunk."""
    two = [[stream[:i], stream[i:]] for i in range(1, len(stream))]
    return [[stream], *two, [stream[i : i + 1] for i in range(len(stream))]]


def decoded(events: list[ServerSentEvent]) -> list[tuple[str, str, str, int | None, bool]]:
    """Events as the spec sees them: text, not bytes (the oracle re-encodes U+FFFD)."""
    return [(e.event, e.data, e.id, e.retry, e.has_event_field) for e in events]


def check_against_reference(stream: bytes, last_event_id: str = "") -> list[ServerSentEvent]:
    events, decoder = decode([stream], last_event_id=last_event_id)
    expected, committed_id, retry = reference_decode(stream, last_event_id)
    got = (decoded(events), decoder.last_event_id, decoder.retry)
    assert got == (decoded(expected), committed_id, retry)
    return events


SEMANTICS: dict[str, tuple[bytes, list[Seen]]] = {
    # R10: the four examples of the spec.
    "spec-1": (b"data: YHOO\ndata: +2\ndata: 10\n\n", [msg("YHOO\n+2\n10")]),
    "spec-2": (
        (
            b": test stream\n\ndata: first event\nid: 1\n\ndata:second event\nid\n\n"
            b"data:  third event\n\n"
        ),
        [msg("first event", "1"), msg("second event"), msg(" third event")],
    ),
    "spec-3": (b"data\n\ndata\ndata\n\ndata:", [msg(""), msg("\n")]),
    "spec-4": (b"data:test\n\ndata: test\n\n", [msg("test"), msg("test")]),
    # R2: the BOM.
    "bom-stripped": (BOM + b"data: x\n\n", [msg("x")]),
    "bom-second-kept": (BOM + BOM + b"data: x\n\ndata: y\n\n", [msg("y")]),
    "bom-later-event-kept": (b"data: x\n\n" + BOM + b"data: y\n\n", [msg("x")]),
    "bom-utf16-is-content": (b"\xff\xfedata: x\n\ndata: y\n\n", [msg("y")]),
    "bom-utf16-replaced": (b"data: \xff\xfe\n\n", [msg("\ufffd\ufffd")]),
    # R3: line endings.
    "lf": (b"data: a\ndata: b\n\n", [msg("a\nb")]),
    "cr": (b"data: a\rdata: b\r\r", [msg("a\nb")]),
    "crlf": (b"data: a\r\ndata: b\r\n\r\n", [msg("a\nb")]),
    "mixed-lf-crlf": (b"data: a\n\r\ndata: b\n\n", [msg("a"), msg("b")]),
    "mixed-crlf-cr": (b"data: a\r\n\rdata: b\n\r", [msg("a"), msg("b")]),
    "mixed-cr-crlf": (b"data: a\r\r\ndata: b\n\n", [msg("a"), msg("b")]),
    "extra-blank-lines": (b"data: a\n\n\n\n\r\n\r\ndata: b\n\n", [msg("a"), msg("b")]),
    # R5: comments, colons, the one optional space.
    "comments": (b": ping\n\n:\n\ndata: x\n\n", [msg("x")]),
    "ping-after-id": (b"id: 5\ndata: x\n\n: ping\n\n", [msg("x", "5")]),
    "ping-after-id-block": (b"id: 5\n\n: ping\n\n:\r\n\r\n", []),
    "no-colon-data": (b"data\ndata: x\n\n", [msg("\nx")]),
    "no-space": (b"data:x\n\n", [msg("x")]),
    "tab-kept": (b"data:\tx\n\n", [msg("\tx")]),
    "second-space-kept": (b"data:  x\n\n", [msg(" x")]),
    "trailing-space-kept": (b"data: x \n\n", [msg("x ")]),
    "first-colon-splits": (b"data: a:b: c\n\n", [msg("a:b: c")]),
    "empty-value": (b"data: \n\n", [msg("")]),
    # R6: field names are literal; unknown fields are ignored.
    "names-case-sensitive": (b"Data: x\n\nDATA: x\n\ndata : x\n\n data: x\n\n", []),
    "unknown-field": (b"foo: bar\nfoo\ndata: x\n\n", [msg("x")]),
    "event-name-case-sensitive": (b"Event: e\ndata: x\n\n", [msg("x")]),
    "event": (b"event: e\ndata: x\n\n", [msg("x", event="e")]),
    "event-second-space-kept": (b"event:  e\ndata: x\n\n", [msg("x", event=" e")]),
    "event-last-wins": (b"event: e\nevent: f\ndata: x\n\n", [msg("x", event="f")]),
    "event-empty-resets": (b"event: e\nevent:\ndata: x\n\n", [msg("x")]),
    # R8: dispatch.
    "empty-block-resets-type": (b"event: foo\n\ndata: x\n\n", [msg("x")]),
    "no-data-no-event": (b"event: foo\nid: 1\nretry: 5\n\n", []),
    "id-sticky": (b"id: 1\ndata: a\n\ndata: b\n\n", [msg("a", "1"), msg("b", "1")]),
    "bare-id-resets": (b"id: 1\n\nid\ndata: b\n\n", [msg("b")]),
    "empty-id-resets": (b"id: 1\n\nid:\ndata: b\n\n", [msg("b")]),
    "id-with-nul-ignored": (b"id: 1\n\nid: a\x00b\ndata: x\n\n", [msg("x", "1")]),
    "id-read-before-dispatch": (b"id: 3\ndata: x\nid: 4\n\n", [msg("x", "4")]),
    "unterminated-not-dispatched": (b"data: x\n\n\ndata: y\n", [msg("x")]),
    "only-unterminated": (b"data: x\n", []),
    # R1: always UTF-8, invalid bytes become U+FFFD.
    "invalid-data": (b"data: \xed\xa0\x80\xc0\xaf\n\n", [msg("\ufffd" * 5)]),
    "invalid-event": (b"event: \xff\ndata: x\n\n", [msg("x", event="\ufffd")]),
    "invalid-id": (b"id: \xf0\x9f\x98\ndata: x\n\n", [msg("x", "\ufffd")]),
    "truncated-before-lf": (b"data: \xe2\x80\ndata: x\n\n", [msg("\ufffd\nx")]),
    "valid-utf8": (b"data: caf\xc3\xa9 \xe2\x9c\x93\n\n", [msg("café ✓")]),
}


@pytest.mark.parametrize(("stream", "expected"), SEMANTICS.values(), ids=SEMANTICS.keys())
def test_semantics(stream: bytes, expected: list[Seen]) -> None:
    events = check_against_reference(stream)
    assert [(e.event, e.data, e.id) for e in events] == expected


@pytest.mark.parametrize("stream", [s for s, _ in SEMANTICS.values()], ids=SEMANTICS.keys())
def test_chunking_does_not_change_events(stream: bytes) -> None:
    events, decoder = decode([stream])
    expected = (events, decoder.last_event_id, decoder.retry)
    for chunks in splits(stream):
        events, decoder = decode(chunks)
        assert (events, decoder.last_event_id, decoder.retry) == expected, chunks


def test_raw_data_keeps_original_bytes() -> None:
    (event,) = check_against_reference(b"data: \xff\xfe ok\r\ndata: \xc0\n\n")
    assert event.raw_data == b"\xff\xfe ok\n\xc0"
    assert event.data == "\ufffd\ufffd ok\n\ufffd"


HAS_EVENT_FIELD = {
    "none": (b"data: x\n\n", False),
    "set": (b"event: e\ndata: x\n\n", True),
    "set-crlf": (b"event:e\r\ndata: x\r\n\r\n", True),
    "explicit-message": (b"event: message\ndata: x\n\n", True),
    "empty-value": (b"event:\ndata: x\n\n", False),
    "no-colon": (b"event\ndata: x\n\n", False),
}


@pytest.mark.parametrize(("stream", "expected"), HAS_EVENT_FIELD.values(), ids=HAS_EVENT_FIELD)
def test_has_event_field(stream: bytes, expected: bool) -> None:
    (event,) = check_against_reference(stream)
    assert event.has_event_field is expected


# -- BOM split across chunks -------------------------------------------------------------------


def bom_chunkings() -> list[list[bytes]]:
    stream = BOM + b"data: x\n\n"
    cuts = [[stream[:i], stream[i:j], stream[j:]] for i in range(4) for j in range(i, 5)]
    return [*cuts, [stream[i : i + 1] for i in range(len(stream))], [b"", b"\xef", b"", stream[1:]]]


@pytest.mark.parametrize("chunks", bom_chunkings(), ids=lambda c: "|".join(map(repr, c)))
def test_bom_split_across_chunks_is_stripped(chunks: list[bytes]) -> None:
    events, decoder = decode(chunks)
    assert [e.data for e in events] == ["x"]
    assert decoder.unterminated is None


@pytest.mark.parametrize("stream", [b"\xef", b"\xef\xbb", BOM], ids=["1-byte", "2-bytes", "bom"])
def test_stream_of_only_bom_bytes_then_close(stream: bytes) -> None:
    for chunks in splits(stream):
        events, decoder = decode(chunks)
        assert events == []
        partial = UnterminatedEvent(offset=0, size=len(stream), excerpt=stream)
        assert decoder.unterminated == (None if stream == BOM else partial)


# -- dispatch latency (notes 2.8): an event comes out of the feed() that completes it ----------

LATENCY = {
    "cr-only": ([b"data: 1\r\r", b"data: 2\r\r", b"data: 3\r\r"], [0, 1, 2]),
    "crlf-split-after-cr": ([b"data: 1\r\n\r", b"\ndata: 2\r\n\r", b"\n"], [0, 1]),
    "lf": ([b"data: 1\n\n", b"data: 2\n\n", b"data: 3\n\n"], [0, 1, 2]),
    "cr|cr": ([b"data: 1\r", b"\r"], [1]),
    "crlf|crlf": ([b"data: 1\r\n", b"\r\n"], [1]),
    "lf|lf": ([b"data: 1\n", b"\n"], [1]),
    "cr|empty|lf|cr": ([b"data: 1\r", b"", b"\n", b"\r"], [3]),
    "cr-one-per-chunk": ([b"data: 1", b"\r", b"\r", b"data: 2\r", b"\r\n"], [2, 4]),
}


@pytest.mark.parametrize(("chunks", "expected"), LATENCY.values(), ids=LATENCY)
def test_dispatch_latency(chunks: list[bytes], expected: list[int]) -> None:
    decoder = SSEDecoder()
    assert [i for i, chunk in enumerate(chunks) for _ in decoder.feed(chunk)] == expected


def test_cr_then_lf_in_next_chunk_is_one_line_end() -> None:
    events, _ = decode([b"data: 1\r", b"\ndata: 2\r\n\r\n"])
    assert [e.data for e in events] == ["1\n2"]


# -- last event ID -----------------------------------------------------------------------------


def test_id_only_block_commits_without_event() -> None:
    decoder = SSEDecoder()
    assert decoder.feed(b"id: 7\n") == []
    assert decoder.last_event_id == ""  # committed only at the blank line
    assert decoder.feed(b"\n") == []
    assert decoder.last_event_id == "7"


def test_id_of_unterminated_final_event_is_not_committed() -> None:
    stream = b"id: 1\ndata: a\n\nid: 2\ndata: b"
    events = check_against_reference(stream)
    assert [(e.data, e.id) for e in events] == [("a", "1")]
    assert decode([stream])[1].last_event_id == "1"


def test_initial_last_event_id() -> None:
    decoder = SSEDecoder(last_event_id="41")
    assert decoder.last_event_id == "41"
    assert decoder.feed(b"data: x\n\nid: 42\ndata: y\n\n") == [
        ServerSentEvent(raw_data=b"x", id="41"),
        ServerSentEvent(raw_data=b"y", id="42"),
    ]
    assert check_against_reference(b"data: x\n\n", last_event_id="41")[0].id == "41"


# -- retry -------------------------------------------------------------------------------------

RETRY: list[tuple[bytes, int | None]] = [
    (b"1000", 1000),
    (b"03000", 3000),
    (b"0", 0),
    *[(value, None) for value in (b"", b" 1000", b"+5", b"-1", b"1_000", b"1000 ", b"1.5")],
    *[(value.encode(), None) for value in ("١٢", "²")],  # non-ASCII digits
]


@pytest.mark.parametrize(("value", "expected"), RETRY, ids=[repr(v) for v, _ in RETRY])
def test_retry_values(value: bytes, expected: int | None) -> None:
    (event,) = check_against_reference(b"retry: " + value + b"\ndata: x\n\n")
    assert event.retry == expected


def test_retry_without_colon_is_ignored_and_invalid_keeps_previous() -> None:
    events = check_against_reference(b"retry\ndata: a\n\nretry: 50\nretry: x\ndata: b\n\n")
    assert [e.retry for e in events] == [None, 50]


def test_retry_is_applied_when_read_even_if_never_dispatched() -> None:
    decoder = SSEDecoder()
    assert decoder.feed(b"retry: 500\n") == []
    assert decoder.retry == 500
    decoder.feed(b"data: never dispatched\nretry: 700\n")
    assert decoder.close() == []
    assert decoder.retry == 700


# -- end of stream -----------------------------------------------------------------------------

# The discarded event is everything after the last blank line (a comment or retry line there is
# part of it). Neither chunking nor the line-end style may move it.
UNTERMINATED = {
    "no-line-end": (b"data: a", 0, 7),
    "no-blank-line": (b"data: a\n", 0, 8),
    "after-event": (b"data: a\n\ndata: b\nid: 3", 9, 13),
    "crlf": (b"data: a\r\n\r\nevent: e\r\n", 11, 10),
    "after-extra-blank": (b"data: a\n\n\n\nid: 3\n", 11, 6),
    "after-bom": (BOM + b"data: a", 3, 7),
    "partial-comment": (b"data: a\n\n: ping", 9, 6),
    "partial-retry": (b"data: a\n\nretry: 5", 9, 8),
    "comment-then-data-lf": (b"data: a\n\n: ping\ndata: b\n", 9, 15),
    "comment-then-data-crlf": (b"data: a\r\n\r\n: ping\r\ndata: b\r\n", 11, 17),
    "retry-then-data-lf": (b"data: a\n\nretry: 5\ndata: b\n", 9, 17),
    "long": (b"data: a\n\n" + b"data: " + b"x" * 100, 9, 106),
}


@pytest.mark.parametrize(("stream", "offset", "size"), UNTERMINATED.values(), ids=UNTERMINATED)
def test_unterminated_event_is_reported(stream: bytes, offset: int, size: int) -> None:
    expected = UnterminatedEvent(offset, size, stream[offset : offset + EXCERPT_BYTES])
    assert decode([stream])[1].unterminated == expected
    for chunks in splits(stream):
        assert decode(chunks)[1].unterminated == expected, [len(c) for c in chunks]


CLEAN_ENDS = {
    "empty": b"",
    "lf": b"data: a\n\n",
    "cr": b"data: a\r\r",
    "trailing-comment": b"data: a\n\n: bye\n",
    "trailing-retry": b"data: a\n\nretry: 5\n",
    "unknown-field": b"x\n",
}


@pytest.mark.parametrize("stream", CLEAN_ENDS.values(), ids=CLEAN_ENDS)
def test_clean_end_has_no_unterminated_report(stream: bytes) -> None:
    for chunks in splits(stream) if stream else [[]]:
        assert decode(chunks)[1].unterminated is None, chunks


def test_close_and_feed_after_close() -> None:
    decoder = SSEDecoder()
    decoder.feed(b"data: a\n\ndata: b")
    before_close = decoder.unterminated
    assert decoder.close() == []
    assert decoder.close() == []
    assert before_close is None  # only known after close()
    assert decoder.unterminated == UnterminatedEvent(offset=9, size=7, excerpt=b"data: b")
    assert decoder.bytes_fed == 16
    with pytest.raises(SSEError):
        decoder.feed(b"\n\n")


# -- max_event_size ----------------------------------------------------------------------------

LIMIT = 32
BIG = b"data: " + b"x" * (LIMIT + 1) + b"\n\n"


def feed_limited(chunks: list[bytes]) -> list[ServerSentEvent]:
    decoder = SSEDecoder(max_event_size=LIMIT)
    return [event for chunk in chunks for event in decoder.feed(chunk)]


def feed_until_too_large(
    decoder: SSEDecoder, chunks: list[bytes]
) -> tuple[list[ServerSentEvent], EventTooLargeError]:
    events: list[ServerSentEvent] = []
    for chunk in chunks:
        try:
            events += decoder.feed(chunk)
        except EventTooLargeError as error:
            return events, error
    pytest.fail(f"no EventTooLargeError for chunk sizes {[len(c) for c in chunks]}")


@pytest.mark.parametrize("step", [len(BIG) + 20, 7, 1], ids=["one-chunk", "7-byte-chunks", "bytes"])
def test_event_too_large(step: int) -> None:
    stream = b"data: a\n\n" + b"data: b\n\n" + BIG
    decoder = SSEDecoder(max_event_size=LIMIT)
    chunks = [stream[i : i + step] for i in range(0, len(stream), step)]
    events, error = feed_until_too_large(decoder, chunks)
    assert (error.limit, error.offset) == (LIMIT, 18)
    assert error.size > LIMIT
    assert error.excerpt
    assert BIG.startswith(error.excerpt)
    assert [e.data for e in events + error.events] == ["a", "b"]
    if len(chunks) == 1:
        assert [e.data for e in error.events] == ["a", "b"]
    with pytest.raises(SSEError):
        decoder.feed(b"data: c\n\n")  # the decoder is closed


def test_error_excerpt_is_the_start_of_the_event() -> None:
    stream = b"data: " + b"a" * 20 + b"\ndata: " + b"b" * 20 + b"\n\n"
    _, error = feed_until_too_large(SSEDecoder(max_event_size=LIMIT), [stream])
    assert error.excerpt
    assert stream.startswith(error.excerpt)


# At the limit: event data (len(raw_data)) of exactly LIMIT bytes, or a line of exactly LIMIT
# bytes plus the length of "data: " (so a data line of LIMIT bytes fits). One byte more is too
# large.
AT_LIMIT = {
    "line": b"data: " + b"x" * LIMIT + b"\n\n",
    "event-line": b"event: " + b"e" * (LIMIT - 1) + b"\ndata: x\n\n",
    "two-lines-buffer": b"data: " + b"a" * 15 + b"\ndata: " + b"b" * 16 + b"\n\n",
    "empty-lines-buffer": b"data\n" * (LIMIT + 1) + b"\n",
}
OVER_LIMIT = {
    "line": b"data: " + b"x" * (LIMIT + 1) + b"\n\n",
    "event-line": b"event: " + b"e" * LIMIT + b"\ndata: x\n\n",
    "two-lines-buffer": b"data: " + b"a" * 16 + b"\ndata: " + b"b" * 16 + b"\n\n",
    "empty-lines-buffer": b"data\n" * (LIMIT + 2) + b"\n",
}


@pytest.mark.parametrize("stream", AT_LIMIT.values(), ids=AT_LIMIT)
def test_event_at_limit_is_accepted_however_chunked(stream: bytes) -> None:
    for chunks in splits(stream):
        try:
            events = feed_limited(chunks)
        except EventTooLargeError as error:
            pytest.fail(f"chunk sizes {[len(c) for c in chunks]}: {error}")
        assert len(events) == 1


@pytest.mark.parametrize("stream", OVER_LIMIT.values(), ids=OVER_LIMIT)
def test_event_over_limit_is_rejected_however_chunked(stream: bytes) -> None:
    for chunks in splits(stream):
        feed_until_too_large(SSEDecoder(max_event_size=LIMIT), chunks)


def test_long_comment_outcome_does_not_depend_on_chunking() -> None:
    # The docstring bounds "any single line"; however a long comment is treated, the outcome
    # must not depend on where the chunks happen to be cut.
    stream = b": " + b"c" * LIMIT + b"\n\ndata: x\n\n"
    outcomes: dict[str, list[list[int]]] = {}
    for chunks in splits(stream):
        try:
            outcome = f"{len(feed_limited(chunks))} event(s)"
        except EventTooLargeError:
            outcome = "EventTooLargeError"
        outcomes.setdefault(outcome, []).append([len(c) for c in chunks])
    assert len(outcomes) == 1, outcomes


def test_many_small_events_are_not_limited() -> None:
    stream = b"data: 0123456789\n\n" * 1000
    for step in (len(stream), 5):
        chunks = [stream[i : i + step] for i in range(0, len(stream), step)]
        assert len(feed_limited(chunks)) == 1000


@pytest.mark.parametrize("limit", [0, -1])
def test_max_event_size_must_be_positive(limit: int) -> None:
    with pytest.raises(ValueError, match="max_event_size"):
        SSEDecoder(max_event_size=limit)


# -- input types -------------------------------------------------------------------------------


def test_feed_bytearray_and_memoryview() -> None:
    decoder = SSEDecoder()
    assert [e.data for e in decoder.feed(bytearray(b"data: a\n\n"))] == ["a"]
    assert [e.data for e in decoder.feed(memoryview(b"data: b\n\n"))] == ["b"]


def test_mutating_fed_bytearray_does_not_change_buffered_data() -> None:
    decoder = SSEDecoder()
    buffer = bytearray(b"event: e\ndata: hel")
    assert decoder.feed(buffer) == []
    buffer[:] = b"X" * len(buffer)
    view = bytearray(b"lo")
    decoder.feed(memoryview(view))
    view[:] = b"XX"
    assert decoder.feed(b"\n\n") == [ServerSentEvent("e", b"hello", has_event_field=True)]
