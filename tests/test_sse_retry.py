"""The ``retry`` field: any run of ASCII digits sets the reconnection time, and none raises."""

from __future__ import annotations

import sys

import pytest
from hypothesis import given
from hypothesis import strategies as st

from rillet.sse import SSEDecoder
from sse_reference import reference_decode

CAP = 9_999_999_999  # ms: the documented cap, 10 significant digits (about 115 days)


def capped(digits: bytes) -> int:
    """The value as the spec reads it, capped: an oracle free of int()'s digit limit."""
    limit = sys.get_int_max_str_digits()
    sys.set_int_max_str_digits(0)
    try:
        return min(int(digits), CAP)
    finally:
        sys.set_int_max_str_digits(limit)


def feeds(stream: bytes) -> list[list[bytes]]:
    """The stream whole, in 100-byte chunks, and with CRLF line ends: every decoding path."""
    return [
        [stream],
        [stream[i : i + 100] for i in range(0, len(stream), 100)],
        [stream.replace(b"\n", b"\r\n")],
    ]


def retries(chunks: list[bytes]) -> tuple[list[int | None], int | None]:
    decoder = SSEDecoder()
    events = [event for chunk in chunks for event in decoder.feed(chunk)]
    return [event.retry for event in events], decoder.retry


LONG = [
    (b"9" * 10, CAP),
    (b"1" + b"0" * 10, CAP),
    (b"9" * 4301, CAP),  # past int()'s default limit of 4,300 digits
    (b"0" * 5000 + b"42", 42),  # leading zeros are not significant
    (b"0" * 5000, 0),
]


@pytest.mark.parametrize(("value", "expected"), LONG, ids=[f"{len(v)} digits" for v, _ in LONG])
def test_long_retry_values_are_capped_on_every_path(value: bytes, expected: int) -> None:
    stream = b"retry: " + value + b"\ndata: x\n\n"
    for chunks in feeds(stream):
        assert retries(chunks) == ([expected], expected)
    events, _, retry = reference_decode(stream)
    assert [event.retry for event in events] == [retry] == [expected]


@given(digits=st.text("0123456789", min_size=1, max_size=6000).map(str.encode))
def test_any_run_of_ascii_digits_is_the_capped_value(digits: bytes) -> None:
    expected = capped(digits)
    for chunks in feeds(b"data: a\n\nretry:" + digits + b"\ndata: b\n\n"):
        assert retries(chunks) == ([None, expected], expected)
