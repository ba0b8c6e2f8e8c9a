"""SSEDecoder against the WHATWG HTML "interpreting an event stream" rules (notes/sse.md 1.3)."""

from __future__ import annotations

import pytest
from sse_reference import reference_decode

from rillet import EventTooLargeError, SSEError
from rillet.sse import SSEDecoder, ServerSentEvent, UnterminatedEvent

BOM = b"\xef\xbb\xbf"


def decode(
    chunks: list[bytes], *, last_event_id: str = ""
) -> tuple[list[ServerSentEvent], SSEDecoder]:
    decoder = SSEDecoder(last_event_id=last_event_id)
    events = [event for chunk in chunks for event in decoder.feed(chunk)]
    assert decoder.close() == []
    return events, decoder


def emitted_at(chunks: list[bytes]) -> list[int]:
    """The index of the chunk whose feed() returned each event."""
    decoder = SSEDecoder()
    return [i for i, chunk in enumerate(chunks) for _ in decoder.feed(chunk)]


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
    assert (decoded(events), decoder.last_event_id, decoder.retry) == (
        decoded(expected),
        committed_id,
        retry,
    )
    return events


# Each case: stream, then the expected (event type, data, id) of every dispatched event.
SEMANTICS = [
    # R10: the four examples of the spec.
    (b"data: YHOO\ndata: +2\ndata: 10\n\n", [("message", "YHOO\n+2\n10", "")], "spec-1"),
    (
        b": test stream\n\ndata: first event\nid: 1\n\n"
        b"data:second event\nid\n\ndata:  third event\n\n",
        [("message", "first event", "1"), ("message", "second event", "")]
        + [("message", " third event", "")],
        "spec-2",
    ),
    (b"data\n\ndata\ndata\n\ndata:", [("message", "", ""), ("message", "\n", "")], "spec-3"),
    (b"data:test\n\ndata: test\n\n", [("message", "test", ""), ("message", "test", "")], "spec-4"),
    # R2: the BOM.
    (BOM + b"data: x\n\n", [("message", "x", "")], "bom-stripped"),
    (BOM + BOM + b"data: x\n\ndata: y\n\n", [("message", "y", "")], "bom-second-kept"),
    (b"data: x\n\n" + BOM + b"data: y\n\n", [("message", "x", "")], "bom-later-event-kept"),
    (b"\xff\xfedata: x\n\ndata: y\n\n", [("message", "y", "")], "bom-utf16-le-is-content"),
    (b"data: \xff\xfe\n\n", [("message", "\ufffd\ufffd", "")], "bom-utf16-replaced"),
    # R3: line endings.
    (b"data: a\ndata: b\n\n", [("message", "a\nb", "")], "lf"),
    (b"data: a\rdata: b\r\r", [("message", "a\nb", "")], "cr"),
    (b"data: a\r\ndata: b\r\n\r\n", [("message", "a\nb", "")], "crlf"),
    (b"data: a\n\r\ndata: b\n\n", [("message", "a", ""), ("message", "b", "")], "mixed-lf-crlf"),
    (b"data: a\r\n\rdata: b\n\r", [("message", "a", ""), ("message", "b", "")], "mixed-crlf-cr"),
    (b"data: a\r\r\ndata: b\n\n", [("message", "a", ""), ("message", "b", "")], "mixed-cr-crlf"),
    (b"data: a\n\n\n\n\r\n\r\ndata: b\n\n", [("message", "a", ""), ("message", "b", "")], "blanks"),
    # R5: comments, colons, the one optional space.
    (b": ping\n\n:\n\ndata: x\n\n", [("message", "x", "")], "comments"),
    (b"id: 5\ndata: x\n\n: ping\n\n", [("message", "x", "5")], "ping-after-id"),
    (b"id: 5\n\n: ping\n\n:\r\n\r\n", [], "ping-after-bare-id-block"),
    (b"data\ndata: x\n\n", [("message", "\nx", "")], "no-colon-data"),
    (b"data:x\n\n", [("message", "x", "")], "no-space"),
    (b"data:\tx\n\n", [("message", "\tx", "")], "tab-kept"),
    (b"data:  x\n\n", [("message", " x", "")], "second-space-kept"),
    (b"data: x \n\n", [("message", "x ", "")], "trailing-space-kept"),
    (b"data: a:b: c\n\n", [("message", "a:b: c", "")], "first-colon-splits"),
    (b"data: \n\n", [("message", "", "")], "empty-value"),
    # R6: field names are literal; unknown fields are ignored.
    (b"Data: x\n\nDATA: x\n\ndata : x\n\n data: x\n\n", [], "names-case-sensitive"),
    (b"foo: bar\nfoo\ndata: x\n\n", [("message", "x", "")], "unknown-field"),
    (b"Event: e\ndata: x\n\n", [("message", "x", "")], "event-name-case-sensitive"),
    (b"event: e\ndata: x\n\n", [("e", "x", "")], "event"),
    (b"event:  e\ndata: x\n\n", [(" e", "x", "")], "event-second-space-kept"),
    (b"event: e\nevent: f\ndata: x\n\n", [("f", "x", "")], "event-last-wins"),
    (b"event: e\nevent:\ndata: x\n\n", [("message", "x", "")], "event-empty-resets"),
    # R8: dispatch.
    (b"event: foo\n\ndata: x\n\n", [("message", "x", "")], "empty-block-resets-type"),
    (b"event: foo\nid: 1\nretry: 5\n\n", [], "no-data-no-event"),
    (b"id: 1\ndata: a\n\ndata: b\n\n", [("message", "a", "1"), ("message", "b", "1")], "id-sticky"),
    (b"id: 1\n\nid\ndata: b\n\n", [("message", "b", "")], "bare-id-resets"),
    (b"id: 1\n\nid:\ndata: b\n\n", [("message", "b", "")], "empty-id-resets"),
    (b"id: 1\n\nid: a\x00b\ndata: x\n\n", [("message", "x", "1")], "id-with-nul-ignored"),
    (b"id: 3\ndata: x\nid: 4\n\n", [("message", "x", "4")], "id-read-before-dispatch"),
    (b"data: x\n\n\ndata: y\n", [("message", "x", "")], "unterminated-not-dispatched"),
    (b"data: x\n", [], "only-unterminated"),
    # R1: always UTF-8, invalid bytes become U+FFFD.
    (b"data: \xed\xa0\x80\xc0\xaf\n\n", [("message", "\ufffd" * 5, "")], "invalid-data"),
    (b"event: \xff\ndata: x\n\n", [("\ufffd", "x", "")], "invalid-event"),
    (b"id: \xf0\x9f\x98\ndata: x\n\n", [("message", "x", "\ufffd")], "invalid-id"),
    (b"data: \xe2\x80\ndata: x\n\n", [("message", "\ufffd\nx", "")], "truncated-before-lf"),
    (b"data: caf\xc3\xa9 \xe2\x9c\x93\n\n", [("message", "café ✓", "")], "valid-utf8"),
]


@pytest.mark.parametrize(("stream", "expected"), [c[:2] for c in SEMANTICS], ids=[c[2] for c in SEMANTICS])  # fmt: skip
def test_semantics(stream: bytes, expected: list[tuple[str, str, str]]) -> None:
    events = check_against_reference(stream)
    assert [(e.event, e.data, e.id) for e in events] == expected


@pytest.mark.parametrize("stream", [c[0] for c in SEMANTICS], ids=[c[2] for c in SEMANTICS])
def test_chunking_does_not_change_events(stream: bytes) -> None:
    expected = decode([stream])
    for chunks in splits(stream):
        events, decoder = decode(chunks)
        assert (events, decoder.last_event_id, decoder.retry) == (
            expected[0],
            expected[1].last_event_id,
            expected[1].retry,
        ), chunks


def test_raw_data_keeps_original_bytes() -> None:
    (event,) = check_against_reference(b"data: \xff\xfe ok\r\ndata: \xc0\n\n")
    assert event.raw_data == b"\xff\xfe ok\n\xc0"
    assert event.data == "\ufffd\ufffd ok\n\ufffd"


@pytest.mark.parametrize(
    ("stream", "expected"),
    [
        (b"data: x\n\n", False),
        (b"event: e\ndata: x\n\n", True),
        (b"event:e\r\ndata: x\r\n\r\n", True),
        (b"event:\ndata: x\n\n", False),
        (b"event\ndata: x\n\n", False),
        (b"event: message\ndata: x\n\n", True),
    ],
    ids=["none", "set", "set-crlf", "empty-value", "no-colon", "explicit-message"],
)
def test_has_event_field(stream: bytes, expected: bool) -> None:
    (event,) = check_against_reference(stream)
    assert event.has_event_field is expected


# -- BOM split across chunks ----------------------------------------------------------------


def bom_chunkings() -> list[list[bytes]]:
    stream = BOM + b"data: x\n\n"
    cuts = [[stream[:i], stream[i:j], stream[j:]] for i in range(4) for j in range(i, 5)]
    return [*cuts, [stream[i : i + 1] for i in range(len(stream))], [b"", b"\xef", b"", stream[1:]]]


@pytest.mark.parametrize("chunks", bom_chunkings(), ids=lambda c: "|".join(map(repr, c)))
def test_bom_split_across_chunks_is_stripped(chunks: list[bytes]) -> None:
    events, decoder = decode(chunks)
    assert [e.data for e in events] == ["x"]
    assert decoder.unterminated is None


@pytest.mark.parametrize("stream", [b"\xef", b"\xef\xbb"], ids=["1-byte", "2-bytes"])
def test_stream_of_partial_bom_then_close(stream: bytes) -> None:
    events, decoder = decode([stream])
    assert events == []
    assert decoder.unterminated == UnterminatedEvent(offset=0, size=len(stream), excerpt=stream)


def test_stream_of_exactly_a_bom_then_close() -> None:
    events, decoder = decode([BOM])
    assert events == []
    assert decoder.unterminated is None


# -- dispatch latency (notes 2.8): an event comes out of the feed() that completes it --------


@pytest.mark.parametrize(
    ("chunks", "expected"),
    [
        ([b"data: 1\r\r", b"data: 2\r\r", b"data: 3\r\r"], [0, 1, 2]),
        ([b"data: 1\r\n\r", b"\ndata: 2\r\n\r", b"\n"], [0, 1]),
        ([b"data: 1\n\n", b"data: 2\n\n", b"data: 3\n\n"], [0, 1, 2]),
        ([b"data: 1\r", b"\r"], [1]),
        ([b"data: 1\r\n", b"\r\n"], [1]),
        ([b"data: 1\n", b"\n"], [1]),
        ([b"data: 1\r", b"", b"\n", b"\r"], [3]),
        ([b"data: 1", b"\r", b"\r", b"data: 2\r", b"\r\n"], [2, 4]),
    ],
    ids=[
        "cr-only",
        "crlf-split-after-cr",
        "lf",
        "cr|cr",
        "crlf|crlf",
        "lf|lf",
        "cr|-|lf|cr",
        "cr-byte-chunks",
    ],  # fmt: skip
)
def test_dispatch_latency(chunks: list[bytes], expected: list[int]) -> None:
    assert emitted_at(chunks) == expected


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
    events, decoder = decode([stream])
    assert [(e.data, e.id) for e in events] == [("a", "1")]
    assert decoder.last_event_id == "1"
    assert reference_decode(stream)[1] == "1"


def test_initial_last_event_id() -> None:
    decoder = SSEDecoder(last_event_id="41")
    assert decoder.last_event_id == "41"
    assert decoder.feed(b"data: x\n\nid: 42\ndata: y\n\n") == [
        ServerSentEvent(raw_data=b"x", id="41"),
        ServerSentEvent(raw_data=b"y", id="42"),
    ]
    assert check_against_reference(b"data: x\n\n", last_event_id="41")[0].id == "41"


# -- retry -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (b"1000", 1000),
        (b"03000", 3000),
        (b"0", 0),
        (b"", None),
        (b" 1000", None),
        (b"+5", None),
        (b"-1", None),
        (b"1_000", None),
        ("١٢".encode(), None),
        ("²".encode(), None),
        (b"1000 ", None),
        (b"1.5", None),
        (b"1e3", None),
    ],
    ids=lambda v: repr(v) if isinstance(v, bytes) else None,
)
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


@pytest.mark.parametrize(
    ("stream", "offset", "size"),
    [
        (b"data: a", 0, 7),
        (b"data: a\n", 0, 8),
        (b"data: a\n\ndata: b\nid: 3", 9, 13),
        (b"data: a\r\n\r\nevent: e\r\n", 11, 10),
        (b"data: a\n\n\n\nid: 3\n", 11, 6),
        (BOM + b"data: a", 3, 7),
        (b"data: a\n\n: ping", 9, 6),
        (b"data: a\n\nretry: 5", 9, 8),
        (b"data: a\n\n: ping\ndata: b\n", 16, 8),
        (b"data: a\r\n\r\n: ping\r\ndata: b\r\n", 19, 9),
        (b"data: a\n\nretry: 5\ndata: b\n", 18, 8),
    ],
    ids=[
        "no-line-end",
        "no-blank-line",
        "after-event",
        "crlf",
        "after-extra-blank",
        "after-bom",
        "partial-comment",
        "partial-retry",
        "comment-then-data-lf",
        "comment-then-data-crlf",
        "retry-then-data-lf",
    ],  # fmt: skip
)
def test_unterminated_event_is_reported(stream: bytes, offset: int, size: int) -> None:
    # The discarded event starts at its first field line: a comment or a retry line before it
    # was fully processed, not discarded. Chunking and line-end style must not move it.
    _, decoder = decode([stream])
    assert decoder.unterminated == UnterminatedEvent(offset, size, stream[offset:])
    for chunks in splits(stream):
        _, decoder = decode(chunks)
        report = decoder.unterminated
        assert report is not None
        assert (report.offset, report.size) == (offset, size), chunks
        assert report.excerpt
        assert stream[offset:].startswith(report.excerpt), chunks


@pytest.mark.parametrize(
    "stream",
    [b"", b"data: a\n\n", b"data: a\r\r", b"data: a\n\n: bye\n", b"data: a\n\nretry: 5\n", b"x\n"],
    ids=["empty", "lf", "cr", "trailing-comment", "trailing-retry", "unknown-field"],
)
def test_clean_end_has_no_unterminated_report(stream: bytes) -> None:
    for chunks in splits(stream):
        _, decoder = decode(chunks)
        assert decoder.unterminated is None, chunks


def test_close_and_feed_after_close() -> None:
    decoder = SSEDecoder()
    decoder.feed(b"data: a\n\ndata: b")
    assert decoder.unterminated is None  # only known after close()
    assert decoder.close() == []
    assert decoder.close() == []
    assert decoder.unterminated == UnterminatedEvent(offset=9, size=7, excerpt=b"data: b")
    assert decoder.bytes_fed == 16
    with pytest.raises(SSEError):
        decoder.feed(b"\n\n")


# -- max_event_size ------------------------------------------------------------------------------

LIMIT = 32
BIG = b"data: " + b"x" * LIMIT + b"\n\n"


def feed_all(decoder: SSEDecoder, chunks: list[bytes]) -> list[ServerSentEvent]:
    return [event for chunk in chunks for event in decoder.feed(chunk)]


@pytest.mark.parametrize("step", [len(BIG) + 20, 7, 1], ids=["one-chunk", "7-byte-chunks", "bytes"])
def test_event_too_large(step: int) -> None:
    stream = b"data: a\n\n" + b"data: b\n\n" + BIG
    chunks = [stream[i : i + step] for i in range(0, len(stream), step)]
    decoder = SSEDecoder(max_event_size=LIMIT)
    events: list[ServerSentEvent] = []
    with pytest.raises(EventTooLargeError) as info:
        for chunk in chunks:
            events += decoder.feed(chunk)
    error = info.value
    assert (error.limit, error.offset) == (LIMIT, 18)
    assert error.size > LIMIT
    assert error.excerpt
    assert BIG.startswith(error.excerpt)
    assert [e.data for e in events + error.events] == ["a", "b"]
    if step > len(stream):
        assert [e.data for e in error.events] == ["a", "b"]
    with pytest.raises(SSEError):
        decoder.feed(b"data: c\n\n")  # the decoder is closed


def test_error_excerpt_is_the_start_of_the_event() -> None:
    stream = b"data: " + b"a" * 20 + b"\ndata: " + b"b" * 20 + b"\n\n"
    with pytest.raises(EventTooLargeError) as info:
        SSEDecoder(max_event_size=LIMIT).feed(stream)
    assert info.value.excerpt == stream[: len(info.value.excerpt)]


# At the limit: one line of exactly LIMIT bytes; a data buffer (values + one LF each, as the
# spec builds it) of exactly LIMIT bytes. One more byte is too large.
AT_LIMIT = [
    (b"data: " + b"x" * (LIMIT - 6) + b"\n\n", "line"),
    (b"data: " + b"a" * 15 + b"\ndata: " + b"b" * 15 + b"\n\n", "two-lines-buffer"),
    (b"data\n" * LIMIT + b"\n", "empty-lines-buffer"),
    (b"event: " + b"e" * (LIMIT - 7) + b"\ndata: x\n\n", "event-line"),
]


@pytest.mark.parametrize("stream", [c[0] for c in AT_LIMIT], ids=[c[1] for c in AT_LIMIT])
def test_event_at_limit_is_accepted_however_chunked(stream: bytes) -> None:
    for chunks in splits(stream):
        try:
            events = feed_all(SSEDecoder(max_event_size=LIMIT), chunks)
        except EventTooLargeError as error:
            pytest.fail(f"chunk sizes {[len(c) for c in chunks]}: {error}")
        assert len(events) == 1


OVER_LIMIT = [
    (b"data: " + b"x" * (LIMIT - 5) + b"\n\n", "line"),
    (b"data: " + b"a" * 15 + b"\ndata: " + b"b" * 16 + b"\n\n", "two-lines-buffer"),
    (b"data\n" * (LIMIT + 1) + b"\n", "empty-lines-buffer"),
    (b"event: " + b"e" * (LIMIT - 6) + b"\ndata: x\n\n", "event-line"),
]


@pytest.mark.parametrize("stream", [c[0] for c in OVER_LIMIT], ids=[c[1] for c in OVER_LIMIT])
def test_event_over_limit_is_rejected_however_chunked(stream: bytes) -> None:
    for chunks in splits(stream):
        with pytest.raises(EventTooLargeError):
            feed_all(SSEDecoder(max_event_size=LIMIT), chunks)


def test_long_comment_outcome_does_not_depend_on_chunking() -> None:
    # The docstring bounds "any single line"; whichever way a long comment is treated, the
    # outcome must not depend on where the chunks happen to be cut.
    stream = b": " + b"c" * LIMIT + b"\n\ndata: x\n\n"
    outcomes = set()
    for chunks in splits(stream):
        try:
            outcomes.add(len(feed_all(SSEDecoder(max_event_size=LIMIT), chunks)))
        except EventTooLargeError:
            outcomes.add(-1)
    assert len(outcomes) == 1, outcomes


def test_many_small_events_are_not_limited() -> None:
    stream = b"data: 0123456789\n\n" * 1000
    for step in (len(stream), 5):
        decoder = SSEDecoder(max_event_size=LIMIT)
        chunks = [stream[i : i + step] for i in range(0, len(stream), step)]
        assert len(feed_all(decoder, chunks)) == 1000


@pytest.mark.parametrize("limit", [0, -1])
def test_max_event_size_must_be_positive(limit: int) -> None:
    with pytest.raises(ValueError, match="max_event_size"):
        SSEDecoder(max_event_size=limit)


# -- input types ---------------------------------------------------------------------------------


def test_feed_bytearray_and_memoryview() -> None:
    decoder = SSEDecoder()
    assert [e.data for e in decoder.feed(bytearray(b"data: a\n\n"))] == ["a"]  # type: ignore[arg-type]
    assert [e.data for e in decoder.feed(memoryview(b"data: b\n\n"))] == ["b"]  # type: ignore[arg-type]


def test_mutating_fed_bytearray_does_not_change_buffered_data() -> None:
    decoder = SSEDecoder()
    buffer = bytearray(b"event: e\ndata: hel")
    assert decoder.feed(buffer) == []  # type: ignore[arg-type]
    buffer[:] = b"X" * len(buffer)
    view = bytearray(b"lo")
    decoder.feed(memoryview(view))  # type: ignore[arg-type]
    view[:] = b"XX"
    assert decoder.feed(b"\n\n") == [ServerSentEvent("e", b"hello", has_event_field=True)]
