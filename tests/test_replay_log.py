"""The replay log and its compact store: every position replays to what was logged there."""

from __future__ import annotations

import sys
from typing import Any, cast

import pytest
from hypothesis import given
from hypothesis import strategies as st

from clients import background_stream, in_process
from corpus_files import CORPUS
from rillet import APIConnectionError, RetryPolicy, RilletError, Timeouts
from rillet._machine import Cursor, Open, StreamMachine
from rillet._protocols import ChatProtocol, Entry, Item, ResponsesProtocol, SSEProtocol
from rillet._replay_log import _BLOCK, EntryStore, ReplayLog
from rillet.events import Event
from rillet.sse import ServerSentEvent
from rillet.testing import Emulator, Fault

SSE = {"content-type": "text/event-stream"}
RESUME = RetryPolicy(initial_delay=0, max_delay=0, max_resumes=5)
TIMEOUTS = Timeouts(first_event=None, idle=None, total=None)


def unparsed(entry: tuple[str | None, bytes]) -> Any:
    """A replay that parses nothing: the entry the store gives back."""
    return entry


kinds = st.sampled_from([None, "", "a", "response.output_text.delta", "é"])
payload_entries = st.tuples(kinds, st.binary(max_size=300))
object_entries = st.builds(ServerSentEvent, st.text(max_size=5), st.binary(max_size=20))
entries_strategy = st.lists(st.one_of(payload_entries, payload_entries, object_entries))


@given(entries_strategy, st.randoms(use_true_random=False))
def test_every_position_gives_back_its_entry(entries: list[Entry], random: Any) -> None:
    store = EntryStore()
    for entry in entries:
        store.append(entry)
    assert len(store) == len(entries)
    positions = list(range(len(entries)))
    random.shuffle(positions)  # in any order, not only from the start
    for position in positions:
        entry, back = entries[position], store.event_at(position, unparsed)
        back = cast("Any", back)  # the entry itself, as ``unparsed`` gives it back
        if type(entry) is tuple:
            assert type(back) is tuple
            assert back == entry
            assert type(back[1]) is bytes
        else:
            assert back is entry  # an object is kept as it is


@given(entries_strategy, st.sets(st.integers(0, 50)))
def test_the_log_gives_fresh_events_and_replays_the_others(
    entries: list[Entry], reads: set[int]
) -> None:
    log = ReplayLog(cache=True)
    fresh = [object() for _ in entries]  # what the first pass made of each entry
    record = log.recorder()
    for position, entry in enumerate(entries):
        if position in reads:
            assert log.settle() == fresh[log.fresh_start : position]
            assert log.begin() == position
            record = log.recorder()
        record(fresh[position], entry)  # type: ignore[arg-type]
    log.settle()
    for position, entry in enumerate(entries):
        event = log.event_at(position, unparsed)
        if position >= log.fresh_start:
            assert event is fresh[position]
        elif type(entry) is tuple:
            assert event == entry
        else:
            assert event is entry


@given(sizes=st.lists(st.integers(min_value=0, max_value=3 * _BLOCK), min_size=1, max_size=12))
def test_payloads_across_many_blocks_give_back_their_bytes(sizes: list[int]) -> None:
    store = EntryStore()
    entries = [("k", bytes([index % 251]) * size) for index, size in enumerate(sizes)]
    for entry in entries:
        store.append(entry)
    for position, entry in enumerate(entries):
        assert store.event_at(position, unparsed) == entry


def test_a_cached_delta_costs_its_payload_and_eight_bytes() -> None:
    payload = b'{"type":"response.output_text.delta","sequence_number":12345,"delta":" word"}'
    store = EntryStore()
    count = 100_000
    for _ in range(count):
        store.append(("response.output_text.delta", payload))
    per_entry = sys.getsizeof(store) / count
    # The buffers grow by an eighth at a time: at most that much room is spare.
    assert len(payload) + 8 <= per_entry < (len(payload) + 8) * 1.13


def chunks_of(body: bytes, size: int = 97) -> list[bytes]:
    return [body[start : start + size] for start in range(0, len(body), size)]


def read_twice(
    machine: StreamMachine[Any], bodies: list[list[bytes]], only: type[Item]
) -> tuple[list[Item], list[Item]]:
    """Each chunk of each body a read of its own (as the stream loops do it), the connection
    dropped between bodies; the events as they arrive, and then a pass from the start."""
    first: list[Item] = []
    cursor = Cursor(machine, only)
    for number, chunks in enumerate(bodies):
        action = machine.next_action()
        assert isinstance(action, Open)
        assert (action.resume is None) == (number == 0)
        machine.receive_headers(200, SSE, action.at)
        for chunk in chunks:
            machine.log.begin()
            machine.receive_data(chunk, action.at)
            while (event := cursor.take()) is not None:
                first.append(event)
        if number < len(bodies) - 1:
            machine.receive_failure(APIConnectionError("dropped"), action.at)
        else:
            machine.receive_eof(action.at)
    machine.log.begin()
    again = Cursor(machine, only)
    second: list[Item] = []
    try:
        while (event := again.take()) is not None:
            second.append(event)
    except RilletError:
        pass  # the stream's failure comes after its events
    return first, second


def assert_same(first: list[Item], second: list[Item]) -> None:
    assert second == first
    assert [type(event) for event in second] == [type(event) for event in first]
    dicts = [event.to_dict() for event in first if isinstance(event, Event)]
    assert [event.to_dict() for event in second if isinstance(event, Event)] == dicts
    if len(first) > 1:
        assert any(a is not b for a, b in zip(first, second, strict=True))  # parsed again


def machine_of(protocol: Any, *, cache: bool = True) -> StreamMachine[Any]:
    return StreamMachine(
        protocol, timeouts=TIMEOUTS, retry=RESUME, started=0.0, cache=cache, resumable=True
    )


CHAT = sorted((CORPUS / "chat").glob("*.sse"))
RESPONSES = sorted((CORPUS / "responses").glob("*.sse"))


@pytest.mark.parametrize("path", RESPONSES, ids=lambda path: path.stem)
def test_a_responses_stream_replays_the_same_events(path: Any) -> None:
    machine = machine_of(ResponsesProtocol(on_invalid="return", strict=False))
    first, second = read_twice(machine, [chunks_of(path.read_bytes())], Event)
    assert first
    assert_same(first, second)


@pytest.mark.parametrize("path", CHAT, ids=lambda path: path.stem)
def test_a_chat_stream_replays_the_same_chunks_and_derived_events(path: Any) -> None:
    machine = machine_of(ChatProtocol(on_invalid="return"))
    first, second = read_twice(machine, [chunks_of(path.read_bytes())], Event)
    assert first
    assert_same(first, second)


def test_a_resumed_responses_stream_replays_the_same_events() -> None:
    body = background_stream()
    events = body.split(b"\n\n")[:-1]
    cut = len(events) // 2
    # The second body repeats two events (skipped) and goes on; the first is cut mid-event.
    bodies = [
        chunks_of(b"".join(event + b"\n\n" for event in events[:cut]) + events[cut][:10]),
        chunks_of(b"".join(event + b"\n\n" for event in events[cut - 2 :])),
    ]
    machine = machine_of(ResponsesProtocol(on_invalid="raise", strict=True))
    first, second = read_twice(machine, bodies, Event)
    assert len(first) == len(events)
    assert machine.attempts.resumes == 1
    assert machine.result().status == "completed"
    assert_same(first, second)


def test_a_reconnected_sse_stream_replays_the_same_events() -> None:
    def body(numbers: range) -> bytes:
        return b"".join(
            b'id: %d\nevent: tick\ndata: {"n": %d}\ndata: line two\n\n' % (n, n) for n in numbers
        )

    bodies = [chunks_of(b"retry: 0\n\n" + body(range(1, 40)), 13), chunks_of(body(range(40, 90)))]
    machine = machine_of(SSEProtocol())
    first, second = read_twice(machine, bodies, ServerSentEvent)
    assert [event.id for event in first] == [str(n) for n in range(1, 90)]  # type: ignore[union-attr]
    assert second == first
    assert all(type(event) is ServerSentEvent for event in second)


@pytest.mark.parametrize("path", [*CHAT[:2], *RESPONSES[:2]], ids=lambda path: path.stem)
def test_without_the_cache_the_store_keeps_nothing(path: Any) -> None:
    protocol = ChatProtocol(on_invalid="return") if "chat" in path.parts else None
    machine = machine_of(
        protocol or ResponsesProtocol(on_invalid="return", strict=False), cache=False
    )
    first, _ = read_twice(machine, [chunks_of(path.read_bytes())], Event)
    assert first
    assert machine.log.count >= len(first)
    assert len(machine.log.entries) == 0
    assert sys.getsizeof(machine.log.entries) == sys.getsizeof(EntryStore())


@pytest.mark.anyio
async def test_a_stream_that_reconnected_replays_the_same_events() -> None:
    emulator = Emulator()
    fault = Fault(kind="drop-after-events", count=7).headers()
    retry = RetryPolicy(initial_delay=0.001, max_delay=0.002, max_resumes=2)
    async with in_process(emulator, fault, max_retries=retry) as (client, _):
        stream = await client.responses.create(
            model="rillet-reasoning", input="Tell me about rivers", stream=True, background=True
        )
        async with stream:
            first = [event async for event in stream]
            second = [event async for event in stream]
    assert stream.stats.reconnects >= 2
    assert_same(first, second)  # type: ignore[arg-type]


def test_the_derived_events_of_a_chat_stream_are_kept_as_they_are() -> None:
    machine = machine_of(ChatProtocol(on_invalid="raise"))
    body = (CORPUS / "chat" / "plain_text_include_usage.sse").read_bytes()
    first, _ = read_twice(machine, [chunks_of(body)], Event)
    store = machine.log.entries
    kept: list[Any] = [store.event_at(n, unparsed) for n in range(len(store))]
    derived = [event for event in first if event.type != "chat.completion.chunk"]  # type: ignore[union-attr]
    assert derived
    assert [event for event in kept if type(event) is not tuple] == derived
