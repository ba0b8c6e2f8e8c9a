"""Which deadline a stream must hold next (sans-IO): first event, idle, total, or the drain."""

from __future__ import annotations

import math

from rillet._policy import Timeouts

__all__ = ["Deadlines"]


class Deadlines:
    """Which deadline applies next: first event, idle, total, or the drain after the end."""

    __slots__ = ("drain_until", "first_event_at", "last_event_at", "started", "timeouts")

    def __init__(self, timeouts: Timeouts, started: float) -> None:
        self.timeouts = timeouts
        self.started = started
        self.first_event_at: float | None = None
        self.last_event_at: float | None = None
        self.drain_until = math.inf

    def next(self) -> tuple[float, str]:
        """The earliest deadline, and its name (``""``: none)."""
        timeouts = self.timeouts
        candidates = [(self.drain_until, "drain")]
        if timeouts.total is not None:
            candidates.append((self.started + timeouts.total, "total"))
        if self.first_event_at is None:
            if timeouts.first_event is not None:
                candidates.append((self.started + timeouts.first_event, "first_event"))
        elif timeouts.idle is not None and self.last_event_at is not None:
            candidates.append((self.last_event_at + timeouts.idle, "idle"))
        deadline, name = min(candidates)
        return deadline, name if deadline < math.inf else ""
