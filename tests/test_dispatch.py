"""The dispatcher: routing, ordering, concurrency, backpressure, errors, lifecycle, context."""

from __future__ import annotations

import random
import warnings
from typing import Any

import anyio
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from clients import decoded, in_process
from event_sources import FakeSource, deltas, dispatch, dispatch_blocking
from rillet import (
    DispatchContext,
    HandlerError,
    ResponseFailedError,
    RilletError,
    Router,
    ServerStreamError,
    StreamError,
    StreamTruncatedError,
    UnknownEventTypeWarning,
)
from rillet.events import (
    ChatCompletionChunk,
    ChatContentDeltaEvent,
    DeltaEvent,
    Event,
    KeepaliveEvent,
    NeutralEvent,
    Response,
    ResponseOutputTextDeltaEvent,
    ResponseStreamEvent,
    TextDelta,
    UnknownEvent,
)
from rillet.testing import Emulator, Fault

pytestmark = pytest.mark.anyio

TEXT = "responses/plain_text_sorted_keys_2026.sse"
LONG = "responses/reasoning_summary_multi_part.sse"


@pytest.fixture
def emulator(emulator_recordings: dict[str, bytes]) -> Emulator:
    return Emulator(emulator_recordings)


def recording(name: str, **more: str) -> dict[str, str]:
    return {"x-rillet-recording": name, **more}


def number(event: Event) -> int | None:
    assert isinstance(event, ResponseStreamEvent)
    return event.sequence_number


RESPONSES = [
    "responses/function_call_parallel.sse",
    "responses/web_search_url_citations.sse",
    "responses/code_interpreter.sse",
    "responses/mcp_list_tools_three_servers.sse",
    TEXT,
]


@pytest.mark.parametrize("name", RESPONSES)
async def test_each_handler_sees_exactly_what_it_subscribed_to(
    emulator: Emulator, emulator_recordings: dict[str, bytes], name: str
) -> None:
    expected = decoded(emulator_recordings[name])
    seen: dict[str, list[Event]] = {}
    router = Router()

    def keep(key: str, *patterns: Any) -> None:
        seen[key] = []

        @router.on(*patterns)
        def sync_handler(event: Event) -> None:
            seen[key].append(event)

        seen[f"async {key}"] = []

        @router.on(*patterns)
        async def async_handler(event: Event) -> None:
            seen[f"async {key}"].append(event)

    keep("exact", "response.output_text.delta")
    keep("glob", "response.output_item.*")
    keep("class", DeltaEvent)
    keep("all", "*")
    keep("several", "response.completed", "response.*", ResponseStreamEvent)  # once each
    async with in_process(emulator, recording(name)) as (client, _):
        stream = await client.responses.create(model="m", input="hi", stream=True)
        async with stream:
            response = await stream.dispatch(router)
            every = [event async for event in stream.events()]
    assert response == getattr(expected[-1], "response", None)
    # "*" sees the stream's every event: the API's, each followed by its neutral events.
    assert [e for e in every if not isinstance(e, NeutralEvent)] == expected
    assert any(isinstance(e, NeutralEvent) for e in every)
    wanted = {
        "exact": [e for e in expected if e.type == "response.output_text.delta"],
        "glob": [e for e in expected if e.type.startswith("response.output_item.")],
        "class": [e for e in expected if isinstance(e, DeltaEvent)],
        "all": every,
        "several": expected,
    }
    for key, events in wanted.items():
        assert seen[key] == events, key
        assert seen[f"async {key}"] == events, key


@pytest.mark.parametrize("blocking", [False, True], ids=["async", "blocking"])
async def test_sync_handlers_run_in_registration_order_and_routers_compose(
    blocking: bool,
) -> None:
    calls: list[str] = []
    first, second, third = Router(), Router(), Router()
    first.on("*")(lambda event: calls.append(f"a {event.type}"))
    second.on("*")(lambda event: calls.append(f"b {event.type}"))
    third.on(DeltaEvent)(lambda event: calls.append(f"c {event.type}"))
    first.on("keepalive")(lambda event: calls.append(f"d {event.type}"))
    second.include(third)
    first.include(second)  # the included routers' handlers run after the router's own
    with pytest.raises(ValueError, match="itself"):
        first.include(first)
    source = FakeSource([KeepaliveEvent(), *deltas(1)])
    if blocking:
        dispatch_blocking(first, source)
    else:
        await dispatch(first, source)
    assert calls == [
        "a keepalive",
        "d keepalive",
        "b keepalive",
        "a response.output_text.delta",
        "b response.output_text.delta",
        "c response.output_text.delta",
    ]


def test_a_type_string_that_matches_nothing_is_caught_at_registration() -> None:
    router = Router()
    with pytest.warns(UnknownEventTypeWarning, match="did you mean 'response.output_text.delta'"):
        router.on("response.output_text.deltas")(print)
    with pytest.warns(UnknownEventTypeWarning, match="matches no known event type"):
        router.on("reponse.*")(print)
    with pytest.raises(ValueError, match=r"response\.output_text\.deltas"):
        Router(strict=True).on("response.output_text.deltas")
    with pytest.raises(ValueError, match="needs a pattern"):
        router.on()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        router.on("response.*", "chat.content.delta", "keepalive", "*", Event)(print)


async def test_unknown_types_from_the_server_still_route(emulator: Emulator) -> None:
    body = (
        b'event: response.rate_limits.updated\ndata: {"type":"response.rate_limits.updated",'
        b'"sequence_number":0}\n\n'
    )
    emulator = Emulator({"responses/unknown.sse": body})
    seen: list[str] = []
    router = Router()
    with pytest.warns(UnknownEventTypeWarning):
        router.on("response.rate_limits.updated")(lambda e: seen.append("exact"))
    with pytest.warns(UnknownEventTypeWarning):
        router.on("response.rate_limits.*")(lambda e: seen.append("glob"))
    router.on("*")(lambda e: seen.append("all"))
    router.on("unknown")(lambda e: seen.append(f"unknown {e.event_type}"))
    router.on(UnknownEvent)(lambda e: seen.append("class"))
    router.on("response.completed", "invalid", ResponseStreamEvent)(lambda e: seen.append("base"))
    router.on("response.completed", "invalid")(lambda e: seen.append("none"))
    async with in_process(emulator) as (client, _):
        stream = await client.responses.create(model="m", input="hi", stream=True)
        async with stream:
            with pytest.raises(StreamTruncatedError):  # no terminal event in this recording
                await stream.dispatch(router)
    assert seen == [
        "exact",
        "glob",
        "all",
        "unknown response.rate_limits.updated",
        "class",
        "base",
    ]


@settings(max_examples=25)
@given(seed=st.integers(0, 2**32))
async def test_each_handler_gets_its_events_in_order_under_any_interleaving(
    seed: int, emulator_recordings: dict[str, bytes]
) -> None:
    rng = random.Random(seed)
    emulator = Emulator(emulator_recordings)
    orders: list[list[Event]] = [[], [], []]
    router = Router(buffer=rng.randint(1, 8))

    def handler(index: int) -> Any:
        async def handle(event: Event) -> None:
            for _ in range(rng.randint(0, 3)):
                await anyio.lowlevel.checkpoint()
            orders[index].append(event)

        return handle

    for index in range(3):
        router.on("*")(handler(index))
    async with in_process(emulator, recording(TEXT, **{"x-rillet-chunk-size": "97"})) as (
        client,
        _,
    ):
        async with await client.responses.create(model="m", input="hi", stream=True) as stream:
            await stream.dispatch(router)
            every = [event async for event in stream.events()]
    assert orders == [every] * 3
    own = [number(event) for event in every if not isinstance(event, NeutralEvent)]
    assert own == list(range(13))


async def test_different_handlers_run_concurrently(emulator: Emulator) -> None:
    a_saw, b_saw = anyio.Event(), anyio.Event()
    router = Router()

    @router.on("response.created")
    async def first(event: Event) -> None:
        a_saw.set()
        await b_saw.wait()  # would deadlock if handlers ran one after the other

    @router.on("response.created")
    async def second(event: Event) -> None:
        b_saw.set()
        await a_saw.wait()

    with anyio.fail_after(10):
        async with in_process(emulator, recording(TEXT)) as (client, _):
            async with await client.responses.create(model="m", input="hi", stream=True) as stream:
                assert (await stream.dispatch(router)).status == "completed"


async def test_a_slow_handler_holds_the_stream_back_within_its_buffer(emulator: Emulator) -> None:
    buffer = 4
    delivered = 0
    behind: list[int] = []
    router = Router(buffer=buffer)

    @router.on("*")
    def count(event: Event) -> None:  # sync handlers run as each event is delivered
        nonlocal delivered
        delivered += 1

    handled = 0

    @router.on("*")
    async def slow(event: Event) -> None:
        nonlocal handled
        behind.append(delivered - handled)
        for _ in range(20):
            await anyio.lowlevel.checkpoint()
        handled += 1

    async with in_process(emulator, recording(LONG, **{"x-rillet-chunk-size": "256"})) as (
        client,
        _,
    ):
        async with await client.responses.create(model="m", input="hi", stream=True) as stream:
            await stream.dispatch(router)
            every = [event async for event in stream.events()]
    assert handled == delivered == len(every)  # the neutral events too
    assert len([e for e in every if not isinstance(e, NeutralEvent)]) == 676
    assert max(behind) <= buffer + 1  # the buffer, and one waiting to get in: never more
    assert max(behind) == buffer + 1  # the bound was reached: the reader did wait


@pytest.mark.parametrize("kind", ["sync", "async"])
async def test_a_handler_error_cancels_everything_and_carries_its_cause(
    emulator: Emulator, kind: str
) -> None:
    router = Router()
    other_cancelled = anyio.Event()
    errors: list[BaseException] = []
    router.on_error(errors.append)

    async def failing_async(event: Event) -> None:
        raise KeyError(event.type)

    def failing_sync(event: Event) -> None:
        raise KeyError(event.type)

    router.on("response.output_text.delta")(failing_sync if kind == "sync" else failing_async)

    @router.on("*")
    async def waiting(event: Event) -> None:
        try:
            await anyio.sleep_forever()
        except anyio.get_cancelled_exc_class():
            other_cancelled.set()
            raise

    async with in_process(emulator, recording(TEXT)) as (client, transport):
        async with await client.responses.create(model="m", input="hi", stream=True) as stream:
            with pytest.raises(HandlerError) as caught:
                await stream.dispatch(router)
            assert transport.open_bodies == 0  # closed before the block was left
    error = caught.value
    assert isinstance(error.__cause__, KeyError)
    assert error.event is not None
    assert error.event.type == "response.output_text.delta"
    assert isinstance(error.partial, Response)
    assert other_cancelled.is_set()
    assert errors == [error]


async def test_with_the_continue_policy_the_rest_of_the_stream_is_handled(
    emulator: Emulator,
) -> None:
    router = Router(errors="continue")
    errors: list[RilletError] = []
    router.on_error(errors.append)
    texts: list[str] = []

    @router.on(ResponseOutputTextDeltaEvent)
    async def sometimes_fails(event: ResponseOutputTextDeltaEvent) -> None:
        if len(texts) % 2:
            texts.append("")
            raise RuntimeError("odd")
        texts.append(event.delta)

    async with in_process(emulator, recording(TEXT)) as (client, _):
        async with await client.responses.create(model="m", input="hi", stream=True) as stream:
            response = await stream.dispatch(router)
    assert response.status == "completed"
    assert len(texts) == 5
    assert [str(e.__cause__) for e in errors] == ["odd", "odd"]


async def test_cancellation_from_outside_passes_through_and_closes(emulator: Emulator) -> None:
    lifecycle: list[str] = []
    router = Router()
    router.on_cancel(lambda context: lifecycle.append("cancel"))
    router.on_end(lambda context: lifecycle.append("end"))
    started = anyio.Event()

    @router.on("response.in_progress")
    async def block(event: Event) -> None:
        started.set()
        await anyio.sleep_forever()

    async with in_process(emulator, recording(TEXT)) as (client, transport):
        with anyio.CancelScope() as scope:
            async with await client.responses.create(model="m", input="hi", stream=True) as stream:
                async with anyio.create_task_group() as group:
                    group.start_soon(stream.dispatch, router)
                    await started.wait()
                    scope.cancel()
        assert scope.cancelled_caught
        assert transport.open_bodies == 0
    assert lifecycle == ["cancel", "end"]


async def test_a_handler_can_stop_the_stream_and_read_the_context(emulator: Emulator) -> None:
    router = Router()
    looked: list[tuple[str | None, int]] = []

    @router.on("response.output_text.delta")
    def enough(event: Event, context: DispatchContext[Response]) -> None:
        snapshot = context.snapshot
        assert snapshot is not None
        looked.append((snapshot.output_text, context.stats.events_by_type[event.type]))
        if len(looked) == 2:
            context.stop()

    async with in_process(emulator, recording(TEXT)) as (client, transport):
        async with await client.responses.create(model="m", input="hi", stream=True) as stream:
            partial = await stream.dispatch(router)
        assert transport.open_bodies == 0
    assert partial.status == "in_progress"
    assert partial.output_text == looked[-1][0]
    assert [count for _, count in looked] == [1, 2]


async def test_lifecycle_order(emulator: Emulator) -> None:
    order: list[str] = []
    router = Router()
    router.on_start(lambda context: order.append("start"))
    router.on_end(lambda context: order.append("end"))

    @router.on("response.completed")
    async def last(event: Event) -> None:
        await anyio.lowlevel.checkpoint()
        order.append("completed")

    router.on("response.created")(lambda event: order.append("created"))
    async with in_process(emulator, recording(TEXT)) as (client, _):
        async with await client.responses.create(model="m", input="hi", stream=True) as stream:
            await stream.dispatch(router)
    assert order == ["start", "created", "completed", "end"]


async def test_one_router_serves_chat_streams_and_dispatching_iterates_too(
    emulator: Emulator,
) -> None:
    chunks: list[ChatCompletionChunk] = []
    texts: list[str] = []
    router = Router()
    router.on(ChatCompletionChunk)(chunks.append)
    router.on("chat.content.delta")(lambda event: texts.append(event.delta))
    async with in_process(emulator) as (client, _):
        stream = await client.chat.completions.create(model="m", messages=[], stream=True)
        async with stream:
            seen = []
            async with stream.dispatching(router) as events:
                async for event in events:
                    seen.append(event)
            completion = await stream.final_response()
    assert [e for e in seen if isinstance(e, ChatCompletionChunk)] == chunks
    assert [e.delta for e in seen if isinstance(e, ChatContentDeltaEvent)] == texts
    assert "".join(texts) == completion.choices[0].message.content


async def test_handlers_of_one_stream_with_on(emulator: Emulator) -> None:
    texts: list[str] = []
    async with in_process(emulator, recording(TEXT)) as (client, _):
        async with await client.responses.create(model="m", input="hi", stream=True) as stream:
            stream.on("response.output_text.delta")(lambda event: texts.append(event.delta))
            shared = Router()
            counted: list[Event] = []
            shared.on("*")(counted.append)
            response = await stream.dispatch(shared)
    assert "".join(texts) == response.output_text
    assert len([event for event in counted if not isinstance(event, NeutralEvent)]) == 13
    assert "".join(e.text for e in counted if isinstance(e, TextDelta)) == response.output_text


@pytest.mark.parametrize(
    ("model", "error"),
    [("rillet-failed", ResponseFailedError), ("rillet-error", ServerStreamError)],
)
async def test_a_stream_that_ends_badly_is_reported_then_ends_the_dispatch(
    model: str, error: type[Exception]
) -> None:
    order: list[str] = []
    router = Router()
    router.on_error(lambda problem: order.append(f"error {type(problem).__name__}"))
    router.on_end(lambda context: order.append("end"))

    @router.on("*")
    async def record(event: Event) -> None:
        order.append("event")

    async with in_process(Emulator(), {}) as (client, transport):
        async with await client.responses.create(model=model, input="hi", stream=True) as stream:
            with pytest.raises(error) as caught:
                await stream.dispatch(router)
        assert transport.open_bodies == 0
    assert isinstance(caught.value, StreamError)
    assert caught.value.partial is not None
    assert order[-2:] == [f"error {error.__name__}", "end"]
    assert order[:-2] == ["event"] * (len(order) - 2)


async def test_handlers_finish_the_events_they_were_given_when_the_stream_breaks() -> None:
    delivered = 10
    router = Router(buffer=delivered + 1)
    handled: list[int | None] = []
    errors: list[Exception] = []
    router.on_error(errors.append)

    @router.on(ResponseStreamEvent)
    async def slow(event: Event) -> None:
        await anyio.sleep(0.01)  # far behind the stream, which breaks at once
        handled.append(number(event))

    drop = Fault(kind="drop-after-events", count=delivered).headers()
    async with in_process(Emulator(), drop) as (client, transport):
        stream = await client.responses.create(model="rillet-text", input="hi", stream=True)
        async with stream:
            with pytest.raises(StreamTruncatedError):
                await stream.dispatch(router)
        assert transport.open_bodies == 0
    assert handled == list(range(delivered))
    assert [type(e) for e in errors] == [StreamTruncatedError]


def test_a_buffer_below_one_is_refused() -> None:
    with pytest.raises(ValueError, match="buffer must be at least 1, not 0"):
        Router().on("*", buffer=0)


async def test_errors_nobody_would_see_are_logged_and_raised_ones_are_not(
    emulator: Emulator, caplog: pytest.LogCaptureFixture
) -> None:
    logged: dict[str, list[str]] = {}
    for policy in ("continue", "raise"):
        router = Router(errors=policy)
        router.on("response.completed")(lambda event: 1 / 0)
        caplog.clear()
        async with in_process(emulator, recording(TEXT)) as (client, _):
            async with await client.responses.create(model="m", input="hi", stream=True) as s:
                with caplog.at_level("ERROR", logger="rillet"):
                    if policy == "raise":
                        with pytest.raises(HandlerError, match="raised ZeroDivisionError"):
                            await s.dispatch(router)
                    else:
                        await s.dispatch(router)
        logged[policy] = [record.getMessage() for record in caplog.records]
    assert logged["raise"] == []  # raised to the caller: not logged as well
    (message,) = logged["continue"]  # swallowed: logged, since no on_error function saw it
    assert "raised ZeroDivisionError" in message
