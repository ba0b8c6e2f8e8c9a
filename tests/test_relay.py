"""The relay: publishing streams into channels, subscribing, resuming, cancelling, crashes."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator

import anyio
import pytest

from clients import in_process
from rillet import ResponseStream
from rillet.events import (
    NEUTRAL_EVENT_TYPES,
    ChatCompletionChunk,
    Event,
    ResponseCompletedEvent,
    TextDelta,
    parse_event_data,
)
from rillet.relay import (
    END_EVENT,
    PRODUCER_GONE,
    Entry,
    FellBehindError,
    MemoryBackend,
    Outcome,
    Relay,
    all_events,
    only,
    text,
)
from rillet.testing import Emulator

pytestmark = [pytest.mark.anyio, pytest.mark.json_independent]


def delta(n: int) -> TextDelta:
    return TextDelta(text=f"w{n} ")


async def listed(relay: Relay, channel: str, after: int = 0) -> tuple[list[Entry], Outcome | None]:
    subscription = relay.subscribe(channel, after=after)
    with anyio.fail_after(5):
        found = [entry async for entry in subscription]
    return found, subscription.outcome


async def test_a_late_joiner_gets_what_it_missed_then_live_entries_then_the_end() -> None:
    relay = Relay()
    half, more = anyio.Event(), anyio.Event()

    async def source() -> AsyncIterator[Event]:
        for n in range(3):
            yield delta(n)
        half.set()
        await more.wait()
        for n in range(3, 5):
            yield delta(n)

    async with anyio.create_task_group() as group:
        group.start_soon(lambda: relay.publish("late", source(), select=text))
        await half.wait()
        subscription = relay.subscribe("late")
        seen: list[str] = []
        with anyio.fail_after(5):
            async for entry in subscription:
                seen.append(json.loads(entry.data))
                if len(seen) == 3:
                    more.set()
    assert seen == [f"w{n} " for n in range(5)]
    assert subscription.outcome == Outcome("completed")
    assert subscription.last_id == 6  # five entries and the end


async def test_a_subscriber_that_stops_early_resumes_where_it_stopped() -> None:
    relay = Relay()

    async def source() -> AsyncIterator[Event]:
        for n in range(10):
            yield delta(n)

    await relay.publish("stopped", source(), select=text)
    first = relay.subscribe("stopped")
    async for entry in first:  # one read gets them all; the subscriber takes three
        if entry.id == 3:
            break
    assert first.last_id == 3
    found, _ = await listed(relay, "stopped", first.last_id)
    assert [entry.id for entry in found] == list(range(4, 11))


async def test_a_subscriber_resuming_after_an_id_gets_exactly_the_rest() -> None:
    relay = Relay()

    async def source() -> AsyncIterator[Event]:
        for n in range(600):  # more than one read's batch
            yield delta(n)

    assert await relay.publish("resume", source(), select=text) == Outcome("completed")
    for after in [0, 1, 255, 256, 257, 599, 600]:
        found, outcome = await listed(relay, "resume", after)
        assert [entry.id for entry in found] == list(range(after + 1, 601))
        assert [json.loads(e.data) for e in found] == [f"w{n - 1} " for n in range(after + 1, 601)]
        assert outcome == Outcome("completed")


async def test_a_second_producer_of_a_channel_is_not_started() -> None:
    relay = Relay()
    calls: list[str] = []

    async def source() -> AsyncIterator[Event]:
        calls.append("started")
        yield delta(0)

    assert await relay.publish("once", source) == Outcome("completed")
    assert await relay.publish("once", source) is None
    assert calls == ["started"]


async def test_a_responses_stream_relayed_decodes_back_to_its_events() -> None:
    relay = Relay()
    async with in_process(Emulator()) as (client, _):
        streams: list[ResponseStream] = []

        async def opened() -> ResponseStream:
            stream = await client.responses.create(
                model="rillet-text", input="relay this", stream=True
            )
            streams.append(stream)
            return stream

        for channel, selector in [
            ("all", all_events),
            ("only", only("response.output_text.delta", ResponseCompletedEvent, "text.done")),
            ("text", text),
        ]:
            outcome = await relay.publish(channel, opened, select=selector)
            assert outcome == Outcome("completed")
        everything = [event async for event in streams[0].events()]
        final = await streams[2].final_response()

    found, _ = await listed(relay, "all")
    relayed = [parse_event_data(entry.event, entry.data.encode()) for entry in found]
    assert relayed == [event for event in everything if event.type not in NEUTRAL_EVENT_TYPES]
    found, _ = await listed(relay, "only")
    types = [entry.event for entry in found]
    assert set(types) == {"response.output_text.delta", "response.completed", "text.done"}
    assert types[-1] == "response.completed"
    found, _ = await listed(relay, "text")
    assert {entry.event for entry in found} == {"text"}
    assert "".join(json.loads(entry.data) for entry in found) == final.output_text


async def test_a_chat_streams_entries_are_its_chunks() -> None:
    relay = Relay()
    async with in_process(Emulator()) as (client, _):
        stream = await client.chat.completions.create(
            model="rillet-text", messages=[{"role": "user", "content": "Hi!"}], stream=True
        )
        assert await relay.publish("chat", stream) == Outcome("completed")
        final = await stream.final_response()
    found, _ = await listed(relay, "chat")
    chunks = [ChatCompletionChunk.from_dict(json.loads(entry.data)) for entry in found]
    assert {entry.event for entry in found} == {chunks[0].type}
    content = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    assert content == final.choices[0].message.content


@pytest.mark.parametrize("scenario", ["failed", "error"])
async def test_a_failed_response_fails_the_channel_with_its_message(scenario: str) -> None:
    relay = Relay()
    async with in_process(Emulator()) as (client, _):
        stream = await client.responses.create(model=f"rillet-{scenario}", input="x", stream=True)
        outcome = await relay.publish("failed", stream)
    assert outcome is not None
    assert outcome.status == "failed"
    assert "server" in outcome.message  # the server's code or message
    assert (await listed(relay, "failed"))[1] == outcome


async def test_a_source_that_raises_ends_the_channel_in_error() -> None:
    relay = Relay()

    async def source() -> AsyncIterator[Event]:
        yield delta(0)
        msg = "the model went away"
        raise ConnectionResetError(msg)

    outcome = await relay.publish("broken", source(), select=text)
    assert outcome == Outcome("error", "ConnectionResetError: the model went away")
    found, relayed = await listed(relay, "broken")
    assert [json.loads(e.data) for e in found] == ["w0 "]
    assert relayed == outcome


async def test_any_async_iterable_of_the_users_own_events_is_relayed_by_its_selector() -> None:
    relay = Relay()

    async def progress() -> AsyncIterator[tuple[str, int]]:  # not rillet's events
        for step in range(3):
            yield "step", step

    def as_entries(event: tuple[str, int]) -> list[tuple[str, str]]:
        name, value = event
        return [(name, str(value))] * value  # zero or more entries per event

    outcome = await relay.publish("own", progress, select=as_entries)
    found, relayed = await listed(relay, "own")
    relayed_entries = [(e.id, e.event, e.data) for e in found]
    assert relayed_entries == [(1, "step", "1"), (2, "step", "2"), (3, "step", "2")]
    assert outcome == relayed == Outcome("completed")


async def test_a_cancel_from_a_subscriber_closes_the_model_stream() -> None:
    relay = Relay()
    closed = anyio.Event()
    async with in_process(Emulator()) as (client, transport):
        stream = await client.responses.create(
            model="rillet-text",
            input="a long answer " * 50,
            stream=True,
            extra_headers={"x-rillet-delay": "0.01"},
        )
        async with anyio.create_task_group() as group:

            async def publish() -> None:
                outcome = await relay.publish("stop", stream)
                assert outcome is not None
                assert outcome.status == "cancelled"
                closed.set()

            group.start_soon(publish)
            await anyio.sleep(0.05)  # the producer claims the channel
            subscription = relay.subscribe("stop")
            with anyio.fail_after(5):
                async for _ in subscription:
                    await relay.cancel("stop")  # after the first entry
                await closed.wait()
        assert transport.open_bodies == 0  # the model's stream was closed
    assert subscription.outcome is not None
    assert subscription.outcome.status == "cancelled"


async def test_a_producer_that_stopped_renewing_ends_its_subscribers_in_error() -> None:
    backend = MemoryBackend()
    relay = Relay(backend, producer_check=0.05)
    assert await backend.claim("crashed", 0.2)  # a producer that then died: no renewals
    await backend.append("crashed", [("e", "1")])
    started = anyio.current_time()
    found, outcome = await listed(relay, "crashed")
    assert [e.data for e in found] == ["1"]
    assert outcome == PRODUCER_GONE
    assert anyio.current_time() - started < 1


async def test_a_producer_renews_its_lease_while_it_streams() -> None:
    relay = Relay(producer_check=0.05)
    go = anyio.Event()

    async def source() -> AsyncIterator[Event]:
        await go.wait()
        yield delta(0)

    async with anyio.create_task_group() as group:
        group.start_soon(lambda: relay.publish("slow", source(), select=text, lease=0.3))
        await anyio.sleep(0.5)  # longer than the lease: renewed, subscribers wait
        assert await relay.backend.producing("slow")
        go.set()
        found, outcome = await listed(relay, "slow")
    assert [json.loads(e.data) for e in found] == ["w0 "]
    assert outcome == Outcome("completed")


async def test_a_subscriber_behind_the_bounded_log_is_told() -> None:
    relay = Relay(MemoryBackend(max_entries=10))

    async def source() -> AsyncIterator[Event]:
        for n in range(50):
            yield delta(n)

    await relay.publish("bounded", source(), select=text)
    with pytest.raises(FellBehindError):
        await listed(relay, "bounded")
    found, outcome = await listed(relay, "bounded", after=45)
    assert [e.id for e in found] == [46, 47, 48, 49, 50]
    assert outcome == Outcome("completed")


async def test_cancelling_the_producer_task_ends_the_channel() -> None:
    relay = Relay()

    async def source() -> AsyncIterator[Event]:
        yield delta(0)
        await anyio.sleep_forever()

    with anyio.move_on_after(0.1):
        await relay.publish("interrupted", source(), select=text)
    found, outcome = await listed(relay, "interrupted")
    assert [entry.event for entry in found] == ["text"]
    assert outcome == Outcome("cancelled", "the producer was cancelled")
    assert END_EVENT not in [entry.event for entry in found]
