"""AnthropicProtocol in the stream machine, without I/O: keepalives, ends, unterminated events."""

from __future__ import annotations

import pytest

from anthropic_corpus import machine, read
from rillet import APITimeoutError, StreamTruncatedError
from rillet._machine import Read, StreamMachine
from rillet._policy import RetryPolicy, Timeouts
from rillet.anthropic import AnthropicProtocol, Message

PING = b'event: ping\ndata: {"type": "ping"}\n\n'


def started(idle: float) -> tuple[StreamMachine[Message], bytes]:
    fed = StreamMachine(
        AnthropicProtocol(), timeouts=Timeouts(idle=idle), retry=RetryPolicy(), started=0
    )
    fed.next_action()
    fed.receive_headers(200, {"content-type": "text/event-stream"}, 0)
    data = read("reframed/text.reframed.sse")
    return fed, data


def test_pings_do_not_hold_off_the_idle_timeout() -> None:
    fed, data = started(idle=1.0)
    first = data[: data.index(b"\n\n") + 2]  # message_start
    fed.receive_data(first, 0.0)
    for now in (0.4, 0.8):
        fed.receive_data(PING, now)
    action = fed.next_action()
    assert isinstance(action, Read)
    assert action.deadline == 1.0  # from message_start, not from the last ping
    fed.receive_deadline(1.0)
    assert isinstance(fed.failure, APITimeoutError)
    assert fed.failure.kind == "idle"
    assert isinstance(fed.failure.partial, Message)


def test_an_event_holds_off_the_idle_timeout() -> None:
    fed, data = started(idle=1.0)
    blocks = data.split(b"\n\n")
    fed.receive_data(blocks[0] + b"\n\n", 0.0)
    fed.receive_data(blocks[1] + b"\n\n", 0.8)  # content_block_start
    action = fed.next_action()
    assert isinstance(action, Read)
    assert action.deadline == pytest.approx(1.8)


def test_only_a_whole_message_stop_is_taken_from_an_unterminated_end() -> None:
    data = read("text_basic_no_trailing_newline.sse")
    assert not data.endswith(b"\n")
    assert machine([data]).result().text == "Hello there!"
    cut = data[: data.rindex(b"event: message_stop")]
    cut_end = cut + b'event: message_delta\ndata: {"type":"message_delta","delta":{}'
    for body in (cut, cut_end, cut + b"event: message_stop\ndata: {"):
        fed = machine([body])
        with pytest.raises(StreamTruncatedError) as raised:
            fed.result()
        assert isinstance(raised.value.partial, Message)
        assert raised.value.partial.text == "Hello there!"


def test_nothing_after_message_stop_counts() -> None:
    data = read("reframed/text.reframed.sse")
    more = b'event: content_block_delta\ndata: {"type":"content_block_delta","index":0,'
    more += b'"delta":{"type":"text_delta","text":"late"}}\n\n'
    fed = machine([data + more])
    assert fed.failure is None
    assert "late" not in fed.result().text
