"""What the relay's parts agree on: entries, a channel's outcome, errors, the backend interface.

Sans-IO: nothing here does I/O. A channel is a log of entries with ids 1, 2, 3...; its producer
appends, any number of subscribers read from any id. The channel's last entry is its end
(:data:`END_EVENT`, the :class:`Outcome` as JSON). Backends store entries and nothing more; what
the entries mean is decided in ``rillet.relay._channel``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal, Protocol, TypeAlias

import attrs

from rillet._errors import RilletError

__all__ = [
    "END_EVENT",
    "Backend",
    "ChannelNotFoundError",
    "Entry",
    "FellBehindError",
    "Outcome",
    "RelayError",
    "Status",
]

END_EVENT = "relay.end"
"""The event name of a channel's last entry; its data is the :class:`Outcome` as JSON."""

Status: TypeAlias = Literal["completed", "failed", "error", "cancelled"]
"""How a channel ended.

``completed``: the producer's stream ended normally; ``failed``: the model reported a failure
(``response.failed``, an error event); ``error``: the producer broke (its stream raised, or its
process stopped without ending the channel); ``cancelled``: a subscriber cancelled it.
"""


@attrs.frozen
class Entry:
    """One entry of a channel: an SSE ``id:``, ``event:`` and ``data:``."""

    id: int
    event: str
    data: str


@attrs.frozen
class Outcome:
    """How a channel ended, with the error's message when it did not complete."""

    status: Status
    message: str = ""


class RelayError(RilletError):
    """A relay operation failed."""


class ChannelNotFoundError(RelayError, LookupError):
    """No channel has this id (never created, or expired after its end)."""

    def __init__(self, channel: str) -> None:
        super().__init__(f"no relay channel {channel!r} (never created, or expired after its end)")
        self.channel = channel


class FellBehindError(RelayError):
    """The entries after ``after`` were trimmed from the bounded log before they were read.

    The reader fell behind by more than the log keeps.
    """

    def __init__(self, channel: str, after: int, first_kept: int) -> None:
        super().__init__(
            f"relay channel {channel!r}: entries after {after} are gone, the log now starts"
            f" at {first_kept} (the reader fell behind by more than the log keeps)"
        )
        self.channel = channel
        self.after = after
        self.first_kept = first_kept


class Backend(Protocol):
    """Where channels live: in memory (one process) or in Redis (any number of processes).

    All methods are safe to call concurrently from many tasks. Ids are assigned by the backend:
    1 for a channel's first entry, then one more for each.
    """

    async def claim(self, channel: str, lease: float) -> bool:
        """Create ``channel`` and become its only producer, for ``lease`` seconds.

        False when the channel exists already: someone else produces it. The lease is renewed
        with :meth:`renew`.
        """
        ...

    async def renew(self, channel: str, lease: float) -> None:
        """Extend the producer's lease: the channel's producer is alive."""
        ...

    async def append(self, channel: str, entries: Sequence[tuple[str, str]]) -> int:
        """Append ``(event, data)`` entries; return the id of the last.

        Appending an :data:`END_EVENT` entry ends the channel: the lease is released and the
        channel expires after the backend's retention time.
        """
        ...

    async def read(self, channel: str, after: int, *, limit: int, wait: float) -> Sequence[Entry]:
        """Up to ``limit`` entries with ids above ``after``, in order.

        When there are none yet, wait up to ``wait`` seconds for the first (an empty result:
        none came).

        Raises:
            ChannelNotFoundError: No such channel.
            FellBehindError: Entry ``after + 1`` was trimmed from the bounded log.
        """
        ...

    async def producing(self, channel: str) -> bool:
        """Whether the channel's producer holds its lease (a stopped process's lease expires)."""
        ...

    async def cancel(self, channel: str) -> None:
        """Ask the channel's producer, in whichever process it runs, to stop."""
        ...

    async def wait_cancelled(self, channel: str) -> None:
        """Return once :meth:`cancel` was called for ``channel`` (from any process)."""
        ...

    async def aclose(self) -> None:
        """Release the backend's resources (connections)."""
        ...
