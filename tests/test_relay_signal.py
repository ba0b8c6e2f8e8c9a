"""The relay's shared-timer signal: every waiter wakes at a notify, and none past its deadline."""

from __future__ import annotations

import anyio
import pytest

from rillet.relay._signal import Signal

pytestmark = [pytest.mark.anyio, pytest.mark.json_independent]


class Waited:
    """What the tasks wait for (as a reader waits for an entry), and how each stopped waiting."""

    def __init__(self) -> None:
        self.signal = Signal()
        self.ready = False
        self.woken: list[str] = []

    def notify(self) -> None:
        self.ready = True
        self.signal.notify()

    async def wait(self, timeout: float, name: str) -> None:
        """Wait as a reader does: again after an early wake, until ready or the deadline."""
        deadline = anyio.current_time() + timeout
        while not self.ready:
            if not await self.signal.wait_until(deadline):
                self.woken.append(f"{name}: deadline")
                return
        self.woken.append(f"{name}: notified")


async def test_a_notify_wakes_every_waiting_task() -> None:
    waited = Waited()
    async with anyio.create_task_group() as group:
        for index in range(100):
            group.start_soon(waited.wait, 30.0, str(index))
        await anyio.wait_all_tasks_blocked()
        waited.notify()
    assert sorted(waited.woken) == sorted(f"{index}: notified" for index in range(100))


async def test_each_task_leaves_at_its_own_deadline_whoever_runs_the_timer() -> None:
    waited = Waited()
    started = anyio.current_time()
    left: dict[str, float] = {}

    async def timed(name: str, timeout: float) -> None:
        await waited.wait(timeout, name)
        left[name] = anyio.current_time() - started

    async with anyio.create_task_group() as group:
        group.start_soon(timed, "long", 0.6)  # runs the first timer
        await anyio.wait_all_tasks_blocked()
        group.start_soon(timed, "short", 0.1)  # earlier than that timer: runs its own
        group.start_soon(timed, "middle", 0.3)  # shares the short one's, then runs its own
    assert sorted(waited.woken) == ["long: deadline", "middle: deadline", "short: deadline"]
    assert 0.1 <= left["short"] < left["middle"] < left["long"]
    assert left["middle"] >= 0.3
    assert left["long"] >= 0.6


async def test_a_task_whose_timer_others_share_is_cancelled_the_others_still_leave() -> None:
    waited = Waited()
    with anyio.fail_after(5):  # the follower, left without a timer, would wait forever
        async with anyio.create_task_group() as group:
            leader = anyio.CancelScope()

            async def lead() -> None:
                with leader:
                    await waited.signal.wait_until(anyio.current_time() + 0.3)

            group.start_soon(lead)
            await anyio.wait_all_tasks_blocked()
            group.start_soon(waited.wait, 0.5, "follower")  # shares the leader's timer
            await anyio.wait_all_tasks_blocked()
            leader.cancel()
    assert waited.woken == ["follower: deadline"]
