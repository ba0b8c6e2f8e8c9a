"""A signal that wakes every waiting task at once, each waiting until its own deadline at most.

A channel's subscribers all wait for its next entry, each with a deadline (when it asks
whether the producer lives, or sends a keepalive). A timer per waiting read, as an anyio cancel
scope with a deadline, costs more than the rest of a wake: with 1,000 subscribers it tripled
the time to deliver an entry. So the waiting tasks share their timers: a task starts one only
when no running timer fires before its own deadline. When a timer fires, or its task leaves
early, every waiting task wakes and looks again: at its deadline, at the channel.
"""

from __future__ import annotations

import math

import anyio

__all__ = ["Signal"]


class Signal:
    """Wakes all the tasks waiting in :meth:`wait_until` at each :meth:`notify`."""

    __slots__ = ("_event", "_fired", "_timer_at")

    def __init__(self) -> None:
        self._event = anyio.Event()
        self._timer_at = math.inf  # when the earliest timer a waiting task runs fires
        self._fired = -math.inf  # the deadline of the last timer that fired

    def notify(self) -> None:
        """Wake every waiting task."""
        event, self._event = self._event, anyio.Event()
        event.set()

    async def wait_until(self, deadline: float) -> bool:
        """Wait for a :meth:`notify`, or until ``deadline`` (anyio's clock): False at the deadline.

        A True return may come early (another task's timer fired): the caller looks at what
        it waits for, and waits again if it is not there.
        """
        event = self._event
        if self._timer_at <= deadline:  # a running timer wakes this task in time
            await event.wait()
            # A timer that fired at or after this deadline: the deadline has passed. (No clock
            # read: with a thousand waiting tasks, they add up.)
            return self._fired < deadline
        self._timer_at = deadline
        timer = anyio.CancelScope(deadline=deadline)
        try:
            with timer:
                await event.wait()
        finally:
            if self._timer_at == deadline:
                self._timer_at = math.inf
            if timer.cancelled_caught:
                self._fired = max(self._fired, deadline)
            if not event.is_set():  # fired, or this task was cancelled: the others look again
                self.notify()
        return not timer.cancelled_caught
