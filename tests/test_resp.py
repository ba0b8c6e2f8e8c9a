"""The RESP2 codec: replies from any chunking, errors as values, bad bytes as rillet's error."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from rillet.relay._resp import (
    RedisProtocolError,
    RedisReplyError,
    Reply,
    RespParser,
    encode_command,
    encode_commands,
)

pytestmark = pytest.mark.json_independent


def encode_reply(reply: Reply) -> bytes:
    """How Redis writes ``reply`` (an independent encoder: the parser's oracle)."""
    if reply is None:
        return b"$-1\r\n"
    if isinstance(reply, RedisReplyError):
        return b"-" + reply.reply.encode() + b"\r\n"
    if isinstance(reply, str):
        return b"+" + reply.encode() + b"\r\n"
    if isinstance(reply, bytes):
        return b"$" + str(len(reply)).encode() + b"\r\n" + reply + b"\r\n"
    if isinstance(reply, int):
        return b":" + str(reply).encode() + b"\r\n"
    return b"*" + str(len(reply)).encode() + b"\r\n" + b"".join(map(encode_reply, reply))


def plain(reply: Reply) -> object:
    """``reply`` with errors as comparable tuples."""
    if isinstance(reply, RedisReplyError):
        return ("error", reply.kind, reply.reply)
    if isinstance(reply, list):
        return [plain(item) for item in reply]
    return reply


line = st.text(
    st.characters(codec="utf-8", exclude_characters="\r\n", exclude_categories=["Cs"]), max_size=20
)
replies: st.SearchStrategy[Reply] = st.recursive(
    st.none()
    | st.binary(max_size=40)
    | st.integers(-(2**63), 2**63 - 1)
    | line
    | line.map(lambda text: RedisReplyError("ERR " + text)),
    lambda children: st.lists(children, max_size=5),
    max_leaves=30,
)


def chunked(data: bytes, cuts: list[int]) -> list[bytes]:
    points = sorted({cut % (len(data) + 1) for cut in cuts})
    return [data[a:b] for a, b in zip([0, *points], [*points, len(data)], strict=True)]


def feed_all(chunks: list[bytes]) -> list[Reply]:
    parser = RespParser()
    out: list[Reply] = []
    for chunk in chunks:
        out += parser.feed(chunk)
    assert not parser.pending
    return out


@given(st.lists(replies, max_size=6), st.lists(st.integers(0, 10_000), max_size=12))
def test_any_chunking_gives_the_same_replies(sequence: list[Reply], cuts: list[int]) -> None:
    data = b"".join(map(encode_reply, sequence))
    expected = [plain(reply) for reply in sequence]
    assert [plain(reply) for reply in feed_all(chunked(data, cuts))] == expected
    assert [plain(reply) for reply in feed_all([bytes([byte]) for byte in data])] == expected


def protocol_error(chunks: list[bytes]) -> RedisProtocolError | None:
    parser = RespParser()
    try:
        for chunk in chunks:
            parser.feed(chunk)
    except RedisProtocolError as error:
        return error
    return None


@given(st.binary(max_size=200), st.lists(st.integers(0, 200), max_size=6))
def test_arbitrary_bytes_raise_only_the_protocol_error(data: bytes, cuts: list[int]) -> None:
    error = protocol_error(chunked(data, cuts))
    if error is not None:  # it says where: the bytes there are the excerpt's
        assert data[error.offset :].startswith(error.excerpt)
        assert error.excerpt


def test_known_redis_reply_bytes() -> None:
    # An XREAD reply as Redis 7 writes it, then a pipeline's OK, error, integer and nulls.
    xread = (
        b"*1\r\n*2\r\n$10\r\nrillet:c:1\r\n*2\r\n"
        b'*2\r\n$3\r\n0-1\r\n*4\r\n$5\r\nevent\r\n$4\r\ntext\r\n$4\r\ndata\r\n$4\r\n"hi"\r\n'
        b"*2\r\n$3\r\n0-2\r\n*4\r\n$5\r\nevent\r\n$9\r\nrelay.end\r\n$4\r\ndata\r\n$0\r\n\r\n"
    )
    rest = b"+OK\r\n-WRONGTYPE Operation against a key\r\n:-3\r\n$-1\r\n*-1\r\n*0\r\n"
    first, ok, error, number, null_bulk, null_array, empty = RespParser().feed(xread + rest)
    assert first == [
        [
            b"rillet:c:1",
            [
                [b"0-1", [b"event", b"text", b"data", b'"hi"']],
                [b"0-2", [b"event", b"relay.end", b"data", b""]],
            ],
        ]
    ]
    assert (ok, number, null_bulk, null_array, empty) == ("OK", -3, None, None, [])
    assert isinstance(error, RedisReplyError)
    assert error.kind == "WRONGTYPE"


@pytest.mark.parametrize(
    ("data", "offset", "reason"),
    [
        (b"+OK\r\n!oops\r\n", 5, "unknown reply type"),
        (b":12a\r\n", 0, "not an integer"),
        (b"*1\r\n$3\r\nabcd\r\n", 4, "longer than announced"),
        (b"$-2\r\n", 0, "negative length"),
        (b"*1\r\n:1.5\r\n", 4, "not an integer"),
        (b"*-3\r\n", 0, "negative length"),
    ],
)
def test_bad_bytes_say_what_and_where(data: bytes, offset: int, reason: str) -> None:
    with pytest.raises(RedisProtocolError, match=reason) as caught:
        RespParser().feed(data)
    assert caught.value.offset == offset


def test_commands_are_arrays_of_bulk_strings() -> None:
    assert (
        encode_command(["SET", b"k\r\n", 12]) == b"*3\r\n$3\r\nSET\r\n$3\r\nk\r\n\r\n$2\r\n12\r\n"
    )
    assert (
        encode_commands([["PING"], ["GET", "é"]])
        == b"*1\r\n$4\r\nPING\r\n*2\r\n$3\r\nGET\r\n$2\r\n\xc3\xa9\r\n"
    )
    # What the encoder writes, the parser reads back (as Redis's own arrays of bulk strings).
    assert RespParser().feed(encode_command(["XADD", "k", 7])) == [[b"XADD", b"k", b"7"]]
