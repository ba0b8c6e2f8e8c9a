"""The dispatcher alone, on an in-memory event source: no HTTP, no stream, both loops."""

from __future__ import annotations

import random
from collections.abc import Awaitable, Callable
from typing import Any

import anyio
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from event_sources import FakeSource, deltas, dispatch, dispatch_blocking, numbers
from rillet import DispatchContext, HandlerError, RilletError, Router, StreamTruncatedError
from rillet._dispatch import dispatching
from rillet.events import Event

pytestmark = pytest.mark.anyio


def number(event: Event) -> int:
    (found,) = numbers([event])
    return found


async def checkpoints(count: int) -> None:
    for _ in range(count):
        await anyio.lowlevel.checkpoint()


# -- ordering and concurrency ---------------------------------------------------------------


@settings(max_examples=25)
@given(seed=st.integers(0, 2**32), buffer=st.integers(1, 5))
async def test_every_handler_gets_its_events_once_each_in_order(seed: int, buffer: int) -> None:
    rng = random.Random(seed)
    seen: dict[str, list[Event]] = {"sync": [], "a": [], "b": []}
    router = Router(buffer=buffer)
    router.on("*")(seen["sync"].append)

    def slow(key: str) -> Callable[[Event], Awaitable[None]]:
        async def handle(event: Event) -> None:
            await checkpoints(rng.randint(0, 4))
            seen[key].append(event)

        return handle

    router.on("*")(slow("a"))
    router.on("*")(slow("b"))
    assert not await dispatch(router, FakeSource(deltas(30)))
    for key, events in seen.items():
        assert numbers(events) == list(range(30)), key


async def test_an_async_handler_gets_one_event_at_a_time() -> None:
    active = most = 0
    router = Router()

    @router.on("*")
    async def handle(event: Event) -> None:
        nonlocal active, most
        active += 1
        most = max(most, active)
        await checkpoints(3)
        active -= 1

    await dispatch(router, FakeSource(deltas(10)))
    assert most == 1


async def test_different_async_handlers_run_concurrently() -> None:
    a_saw, b_saw = anyio.Event(), anyio.Event()
    router = Router()

    @router.on("*")
    async def first(event: Event) -> None:
        a_saw.set()
        await b_saw.wait()  # would never return if the handlers ran one after the other

    @router.on("*")
    async def second(event: Event) -> None:
        b_saw.set()
        await a_saw.wait()

    with anyio.fail_after(5):
        await dispatch(router, FakeSource(deltas(1)))


@pytest.mark.parametrize(("router_buffer", "handler_buffer"), [(4, None), (1, None), (64, 2)])
async def test_reading_waits_while_a_handler_buffer_is_full(
    router_buffer: int, handler_buffer: int | None
) -> None:
    source = FakeSource(deltas(50))
    router = Router(buffer=router_buffer)
    holding, release = anyio.Event(), anyio.Event()
    handled: list[Event] = []
    quick: list[Event] = []

    @router.on("*", buffer=handler_buffer)
    async def blocked(event: Event) -> None:
        holding.set()
        await release.wait()
        handled.append(event)

    @router.on("*")
    async def unhurried(event: Event) -> None:
        quick.append(event)

    buffer = router_buffer if handler_buffer is None else handler_buffer
    with anyio.fail_after(5):
        async with anyio.create_task_group() as group:
            group.start_soon(dispatch, router, source)
            await holding.wait()
            await anyio.wait_all_tasks_blocked()
            pulled = source.pulled
            await checkpoints(50)
            # The event in hand, a full buffer, and one waiting to get in: no more was read.
            assert source.pulled == pulled == 1 + buffer + 1
            release.set()
    assert numbers(handled) == numbers(quick) == list(range(50))


# -- errors ----------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["sync", "async"])
async def test_with_the_raise_policy_a_handler_error_ends_the_dispatch(kind: str) -> None:
    source = FakeSource(deltas(10))
    router = Router()  # errors="raise" is the default
    errors: list[BaseException] = []
    router.on_error(errors.append)
    ends: list[str] = []
    router.on_end(lambda context: ends.append("end"))
    others_cancelled = anyio.Event()

    def failing(event: Event) -> None:
        if number(event) == 3:
            raise KeyError(number(event))

    async def failing_async(event: Event) -> None:
        failing(event)

    handler: Callable[[Event], Any] = failing if kind == "sync" else failing_async
    router.on("*")(handler)

    @router.on("*")
    async def waiting(event: Event) -> None:
        try:
            await anyio.sleep_forever()
        except anyio.get_cancelled_exc_class():
            others_cancelled.set()
            raise

    with anyio.fail_after(5), pytest.raises(HandlerError) as caught:
        await dispatch(router, source)
    error = caught.value
    assert isinstance(error.__cause__, KeyError)
    assert error.handler is handler
    assert error.event is not None
    assert number(error.event) == 3
    assert error.partial is not None
    if kind == "sync":  # inline: the partial result is the one after event 3
        assert error.partial.id == "after 4"
    assert others_cancelled.is_set()
    assert errors == [error]
    assert ends == ["end"]
    assert source.closes >= 1


def test_with_the_raise_policy_a_blocking_dispatch_raises() -> None:
    source = FakeSource(deltas(10))
    router = Router()
    errors: list[BaseException] = []
    router.on_error(errors.append)
    ends: list[str] = []
    router.on_end(lambda context: ends.append("end"))
    seen: list[Event] = []

    @router.on("*")
    def failing(event: Event) -> None:
        if number(event) == 3:
            raise KeyError(number(event))

    router.on("*")(seen.append)
    with pytest.raises(HandlerError) as caught:
        dispatch_blocking(router, source)
    error = caught.value
    assert isinstance(error.__cause__, KeyError)
    assert error.event is not None
    assert number(error.event) == 3
    assert error.partial is not None
    assert error.partial.id == "after 4"
    assert numbers(seen) == [0, 1, 2]  # nothing after the failing handler
    assert source.pulled == 4
    assert source.closes == 1
    assert errors == [error]
    assert ends == ["end"]


@pytest.mark.parametrize("kind", ["sync", "async"])
async def test_with_the_continue_policy_errors_are_reported_and_the_rest_is_handled(
    kind: str,
) -> None:
    router = Router(errors="continue")
    errors: list[RilletError] = []
    router.on_error(errors.append)
    everything: list[Event] = []

    def odd_fails(event: Event) -> None:
        if number(event) % 2:
            raise ValueError(number(event))

    async def odd_fails_async(event: Event) -> None:
        odd_fails(event)

    router.on("*")(odd_fails if kind == "sync" else odd_fails_async)
    router.on("*")(everything.append)
    assert not await dispatch(router, FakeSource(deltas(10)))
    assert numbers(everything) == list(range(10))
    handled = [error for error in errors if isinstance(error, HandlerError)]
    assert len(handled) == len(errors)
    assert [number(error.event) for error in handled if error.event] == [1, 3, 5, 7, 9]
    assert all(isinstance(error.__cause__, ValueError) for error in errors)


def test_with_the_continue_policy_a_blocking_dispatch_goes_on() -> None:
    router = Router(errors="continue")
    errors: list[RilletError] = []
    router.on_error(errors.append)
    everything: list[Event] = []

    @router.on("*")
    def odd_fails(event: Event) -> None:
        if number(event) % 2:
            raise ValueError(number(event))

    router.on("*")(everything.append)
    assert not dispatch_blocking(router, FakeSource(deltas(10)))
    assert numbers(everything) == list(range(10))
    handled = [error for error in errors if isinstance(error, HandlerError)]
    assert len(handled) == len(errors)
    assert [number(error.event) for error in handled if error.event] == [1, 3, 5, 7, 9]


@pytest.mark.parametrize("blocking", [False, True], ids=["async", "blocking"])
async def test_errors_nobody_sees_are_logged(
    blocking: bool, caplog: pytest.LogCaptureFixture
) -> None:
    router = Router(errors="continue")
    router.on("*")(lambda event: 1 / 0)
    source = FakeSource(deltas(2))
    with caplog.at_level("ERROR", logger="rillet"):
        if blocking:
            dispatch_blocking(router, source)
        else:
            await dispatch(router, source)
    assert [record.getMessage().count("raised ZeroDivisionError") for record in caplog.records] == [
        1,
        1,
    ]


async def test_a_stream_error_is_raised_once_the_handlers_have_what_they_were_given() -> None:
    broken = StreamTruncatedError("cut", partial=None)
    source = FakeSource(deltas(10), fail_after=5, error=broken)
    router = Router()
    handled: list[Event] = []
    errors: list[BaseException] = []
    router.on_error(errors.append)

    @router.on("*")
    async def slow(event: Event) -> None:
        await checkpoints(10)  # far behind the source, which breaks at once
        handled.append(event)

    with pytest.raises(StreamTruncatedError) as caught:
        await dispatch(router, source)
    assert caught.value is broken
    assert numbers(handled) == [0, 1, 2, 3, 4]
    assert errors == [broken]
    assert source.closes >= 1


def test_a_stream_error_ends_a_blocking_dispatch() -> None:
    broken = RilletError("the connection broke")
    source = FakeSource(deltas(10), fail_after=5, error=broken)
    router = Router()
    handled: list[Event] = []
    errors: list[BaseException] = []
    router.on_error(errors.append)
    router.on("*")(handled.append)
    with pytest.raises(RilletError) as caught:
        dispatch_blocking(router, source)
    assert caught.value is broken
    assert numbers(handled) == [0, 1, 2, 3, 4]
    assert errors == [broken]
    assert source.closes == 1


def test_a_blocking_dispatch_refuses_async_handlers() -> None:
    router = Router()

    @router.on("*")
    async def handle(event: Event) -> None: ...

    source = FakeSource(deltas(1))
    with pytest.raises(RilletError, match="async handlers need the async client"):
        dispatch_blocking(router, source)
    assert source.pulled == 0


# -- lifecycle, cancellation -------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["sync", "async"])
async def test_lifecycle_functions_run_first_and_last_with_the_context(kind: str) -> None:
    order: list[str] = []

    def lifecycle(name: str) -> Callable[[DispatchContext[Any]], Any]:
        def record(context: DispatchContext[Any]) -> None:
            snapshot = context.snapshot
            order.append(f"{name} {snapshot.id if snapshot else None}")

        async def record_async(context: DispatchContext[Any]) -> None:
            await anyio.lowlevel.checkpoint()
            record(context)

        return record if kind == "sync" else record_async

    router = Router()
    router.on_start(lifecycle("start"))
    router.on_end(lifecycle("end"))

    @router.on("*")
    async def handle(event: Event) -> None:
        await checkpoints(2)
        order.append(f"event {number(event)}")

    await dispatch(router, FakeSource(deltas(3)))
    assert order == ["start None", "event 0", "event 1", "event 2", "end after 3"]


def test_lifecycle_functions_of_a_blocking_dispatch() -> None:
    order: list[str] = []
    router = Router()
    router.on_start(lambda: order.append("start"))  # the context is optional
    router.on_end(lambda context: order.append(f"end {context.snapshot.id}"))
    router.on("*")(lambda event: order.append(f"event {number(event)}"))
    dispatch_blocking(router, FakeSource(deltas(2)))
    assert order == ["start", "event 0", "event 1", "end after 2"]


@pytest.mark.parametrize("kind", ["sync", "async"])
async def test_cancellation_from_outside_passes_through(kind: str) -> None:
    order: list[str] = []

    def on_cancel(context: DispatchContext[Any]) -> None:
        order.append("cancel")

    async def on_cancel_async(context: DispatchContext[Any]) -> None:
        await anyio.lowlevel.checkpoint()  # shielded: a checkpoint does not raise here
        order.append("cancel")

    router = Router()
    router.on_cancel(on_cancel if kind == "sync" else on_cancel_async)
    router.on_end(lambda context: order.append("end"))
    started = anyio.Event()

    @router.on("*")
    async def block(event: Event) -> None:
        started.set()
        try:
            await anyio.sleep_forever()
        finally:
            order.append("handler ended")

    with anyio.fail_after(5), anyio.CancelScope() as scope:
        async with anyio.create_task_group() as group:
            group.start_soon(dispatch, router, FakeSource(deltas(5)))
            await started.wait()
            scope.cancel()
    assert scope.cancelled_caught
    assert order == ["handler ended", "cancel", "end"]


# -- the context, and stopping ---------------------------------------------------------------


async def test_the_context_reads_the_source() -> None:
    source = FakeSource(deltas(3))
    looked: list[tuple[str, int, bool]] = []
    router = Router()

    @router.on("*")
    def look(event: Event, context: DispatchContext[Any]) -> None:
        snapshot = context.snapshot
        assert snapshot is not None
        counts = context.stats.events_by_type
        looked.append((snapshot.id, counts[event.type], context.stream is source))

    await dispatch(router, source)
    assert looked == [("after 1", 1, True), ("after 2", 2, True), ("after 3", 3, True)]


class Recorder:
    """Handlers around one that stops the dispatch; which calls began after the stop."""

    def __init__(self) -> None:
        self.seen: dict[str, list[int]] = {}
        self.late: list[tuple[str, int]] = []

    def record(self, name: str, event: Event, context: DispatchContext[Any]) -> None:
        if context.stopped:
            self.late.append((name, number(event)))
        self.seen.setdefault(name, []).append(number(event))

    def router(self, stopper: Callable[..., Any]) -> Router:
        """Sync handlers before and after ``stopper``, and an async one."""
        router = Router()
        router.on("*")(lambda event, context: self.record("before", event, context))
        router.on("*")(stopper)
        router.on("*")(lambda event, context: self.record("after", event, context))

        @router.on("*")
        async def beside(event: Event, context: DispatchContext[Any]) -> None:
            self.record("async", event, context)

        return router


async def test_after_a_sync_handler_stops_no_handler_receives_another_event() -> None:
    source = FakeSource(deltas(20))
    recorder = Recorder()

    def stop_at_two(event: Event, context: DispatchContext[Any]) -> None:
        recorder.record("stopper", event, context)
        if number(event) == 2:
            context.stop()

    with anyio.fail_after(5):
        assert await dispatch(recorder.router(stop_at_two), source)
    assert recorder.late == []
    assert recorder.seen["stopper"] == recorder.seen["before"] == [0, 1, 2]
    assert recorder.seen["after"] == [0, 1]  # stop() takes effect at once
    assert recorder.seen.get("async", []) in ([], [0], [0, 1])
    assert source.pulled == 3
    assert source.closes >= 1


async def test_after_an_async_handler_stops_no_handler_receives_another_event() -> None:
    source = FakeSource(deltas(20))
    recorder = Recorder()

    async def stop_at_two(event: Event, context: DispatchContext[Any]) -> None:
        recorder.record("stopper", event, context)
        if number(event) == 2:
            while source.pulled < 8:  # let the stream run ahead: events wait in the buffers
                await anyio.lowlevel.checkpoint()
            context.stop()

    with anyio.fail_after(5):
        assert await dispatch(recorder.router(stop_at_two), source)
    assert recorder.late == []
    assert recorder.seen["stopper"] == [0, 1, 2]
    assert source.pulled < 20
    assert source.closes >= 1


async def test_an_event_read_while_a_handler_stops_is_delivered_to_no_one() -> None:
    gate = anyio.Event()
    source = FakeSource(deltas(10), gates={2: gate})  # reading event 2 waits for the gate
    recorder = Recorder()

    async def stop_at_one(event: Event, context: DispatchContext[Any]) -> None:
        recorder.record("stopper", event, context)
        if number(event) == 1:
            context.stop()
            gate.set()  # the read in progress now returns event 2

    taken: list[Event] = []
    with anyio.fail_after(5):
        async with dispatching(recorder.router(stop_at_one), source, source.reader()) as events:
            async for event in events:
                taken.append(event)
    assert recorder.late == []
    assert source.pulled == 3
    assert numbers(taken) == [0, 1]  # nor does the loop see it


async def test_stop_closes_the_source_at_once_even_when_a_handler_is_behind() -> None:
    source = FakeSource(deltas(10))
    router = Router(buffer=1)
    release = anyio.Event()
    handled: list[Event] = []

    @router.on("*")
    async def behind(event: Event) -> None:
        await release.wait()
        handled.append(event)

    @router.on("*")
    def stop_at_two(event: Event, context: DispatchContext[Any]) -> None:
        if number(event) == 2:
            context.stop()  # with event 0 in the handler's hands and event 1 in its buffer

    with anyio.fail_after(5):
        async with anyio.create_task_group() as group:
            group.start_soon(dispatch, router, source)
            while not source.closes:  # not waiting for room in the full buffer
                await anyio.lowlevel.checkpoint()
            assert not handled
            release.set()
    assert numbers(handled) == [0]  # the event in hand is handled; the one waiting is not
    assert source.pulled == 3


@pytest.mark.parametrize("kind", ["sync", "async"])
async def test_stop_in_on_start_delivers_nothing(kind: str) -> None:
    source = FakeSource(deltas(5))
    router = Router()
    router.on_start(lambda context: context.stop())
    seen: list[Event] = []

    async def keep(event: Event) -> None:
        seen.append(event)

    router.on("*")(seen.append if kind == "sync" else keep)
    assert await dispatch(router, source)
    assert seen == []
    assert source.pulled == 0


def test_after_stop_a_blocking_dispatch_delivers_nothing() -> None:
    source = FakeSource(deltas(20))
    router = Router()
    seen: dict[str, list[Event]] = {"stopper": [], "after": []}

    @router.on("*")
    def stop_at_two(event: Event, context: DispatchContext[Any]) -> None:
        seen["stopper"].append(event)
        if number(event) == 2:
            context.stop()

    router.on("*")(seen["after"].append)
    assert dispatch_blocking(router, source)
    assert numbers(seen["stopper"]) == [0, 1, 2]
    assert numbers(seen["after"]) == [0, 1]
    assert source.pulled == 3
    assert source.closes == 1


def test_stop_in_on_start_of_a_blocking_dispatch_reads_nothing() -> None:
    source = FakeSource(deltas(5))
    router = Router()
    router.on_start(lambda context: context.stop())
    seen: list[Event] = []
    router.on("*")(seen.append)
    assert dispatch_blocking(router, source)
    assert seen == []
    assert source.pulled == 0
    assert source.closes == 1


async def test_iterating_a_dispatch_ends_after_a_stop() -> None:
    source = FakeSource(deltas(20))
    router = Router()

    @router.on("*")
    def stop_at_two(event: Event, context: DispatchContext[Any]) -> None:
        if number(event) == 2:
            context.stop()

    taken: list[Event] = []
    async with dispatching(router, source, source.reader()) as events:
        async for event in events:
            taken.append(event)
        assert events.stopped
    assert numbers(taken) == [0, 1, 2]  # the loop sees the event the handler stopped on
    assert source.closes >= 1
