"""The decoder on every real recorded API stream of the corpus."""

from __future__ import annotations

import pytest

from corpus_files import Entry, manifest, read
from rillet.sse import ServerSentEvent, SSEDecoder

pytestmark = pytest.mark.json_independent

ENTRIES = manifest()
TRUNCATED = "responses/error_insufficient_quota_failed.sse"


def decode(chunks: list[bytes]) -> tuple[list[ServerSentEvent], SSEDecoder]:
    decoder = SSEDecoder()
    events = [event for chunk in chunks for event in decoder.feed(chunk)]
    events += decoder.close()
    return events, decoder


def cut(body: bytes, size: int) -> list[bytes]:
    return [body[i : i + size] for i in range(0, len(body), size)]


@pytest.mark.parametrize("entry", ENTRIES, ids=[e["file"] for e in ENTRIES])
def test_every_file_decodes_to_the_events_its_manifest_counts(entry: Entry) -> None:
    events, decoder = decode([read(entry["file"])])
    if entry["file"] == TRUNCATED:
        assert not entry["ends_with_blank_line"]
        assert len(events) == entry["events"] - 1
    else:
        assert len(events) == entry["events"]
        assert decoder.unterminated is None
    # Responses streams name every event; chat streams never do, and end with [DONE].
    if entry["file"].startswith("chat/"):
        assert all(not e.has_event_field and e.event == "message" for e in events)
        assert events[-1].raw_data == b"[DONE]"
    else:
        assert all(e.has_event_field for e in events)
        assert all(e.raw_data.startswith(b'{"type":"' + e.event.encode()) for e in events)


def test_a_final_event_without_its_blank_line_is_reported_not_dispatched() -> None:
    body = read(TRUNCATED)
    events, decoder = decode([body])
    assert [e.event for e in events] == ["response.created", "response.in_progress", "error"]
    tail = decoder.unterminated
    assert tail is not None
    assert tail.offset + tail.size == len(body)
    assert body[tail.offset :].startswith(b"event: response.failed\n")
    assert tail.excerpt == body[tail.offset : tail.offset + len(tail.excerpt)]
    # Terminated, the same bytes give the fourth event.
    events, decoder = decode([body + b"\n\n"])
    assert events[-1].event == "response.failed"
    assert decoder.unterminated is None


@pytest.mark.parametrize("ending", [b"\r\n", b"\r"], ids=["CRLF", "CR"])
@pytest.mark.parametrize("entry", ENTRIES, ids=[e["file"] for e in ENTRIES])
def test_crlf_and_cr_versions_decode_identically(entry: Entry, ending: bytes) -> None:
    body = read(entry["file"])
    expected, lf_decoder = decode([body])
    events, decoder = decode([body.replace(b"\n", ending)])
    assert events == expected
    assert (decoder.unterminated is None) == (lf_decoder.unterminated is None)


@pytest.mark.parametrize("size", [1, 2, 7, 64, 1400, 16384])
@pytest.mark.parametrize("entry", ENTRIES, ids=[e["file"] for e in ENTRIES])
def test_any_chunk_size_gives_the_same_events(entry: Entry, size: int) -> None:
    body = read(entry["file"])
    expected, whole = decode([body])
    events, decoder = decode(cut(body, size))
    assert events == expected
    assert decoder.unterminated == whole.unterminated
