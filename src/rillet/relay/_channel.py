"""What a channel's entries mean, decided without I/O: outcomes, and how a subscription follows.

The producer's side: :class:`Ending` turns how its stream went (a last :class:`~rillet.events.
Finished`, an exception, a cancellation) into the channel's :class:`Outcome`, and
:func:`end_entry` writes it. The subscriber's side: :class:`Follower` keeps a reader's position,
reads the end, and tells a channel whose producer is gone from one that ended.
"""

from __future__ import annotations

import json
from collections.abc import Sequence

from rillet._errors import ResponseFailedError, ServerStreamError
from rillet.events._neutral import Finished
from rillet.relay._types import END_EVENT, Entry, Outcome

__all__ = [
    "PRODUCER_GONE",
    "Ending",
    "Follower",
    "decode_outcome",
    "encode_outcome",
    "end_entry",
    "outcome_of_error",
]

PRODUCER_GONE = Outcome("error", "the producer stopped without ending the channel")
"""A channel's outcome when its producer's lease expired and no end was appended."""

_INTERRUPTED = Outcome("cancelled", "the producer was cancelled")
_CANCELLED = Outcome("cancelled", "a subscriber cancelled the channel")


def encode_outcome(outcome: Outcome) -> str:
    """The data of a channel's end entry: ``{"status": ..., "message": ...}``."""
    return json.dumps({"status": outcome.status, "message": outcome.message}, ensure_ascii=False)


def decode_outcome(data: str) -> Outcome:
    """The :class:`Outcome` in an end entry's data (an ``error`` outcome if it is not one)."""
    try:
        value = json.loads(data)
    except ValueError:
        value = None
    if isinstance(value, dict):
        status, message = value.get("status"), value.get("message", "")  # pyright: ignore[reportUnknownMemberType, reportUnknownVariableType]
        if status in ("completed", "failed", "error", "cancelled") and isinstance(message, str):
            return Outcome(status, message)
    return Outcome("error", f"the channel's end is not an outcome: {data[:64]!r}")


def end_entry(outcome: Outcome) -> tuple[str, str]:
    """The ``(event, data)`` that ends a channel with ``outcome``."""
    return END_EVENT, encode_outcome(outcome)


def outcome_of_error(error: BaseException) -> Outcome:
    """The outcome of a producer whose stream raised ``error``.

    The model's own failures (``response.failed``, an error event) are ``failed``, with their
    message; anything else is ``error``, with the exception's type and message. A group of one
    exception (from a task group) is that exception.
    """
    error = _sole(error)
    message = str(error)
    if isinstance(error, ResponseFailedError | ServerStreamError):
        return Outcome("failed", message)
    return Outcome("error", f"{type(error).__name__}: {message}")


def _sole(error: BaseException) -> BaseException:
    """A group of one exception (a task group's) is that exception."""
    inner: tuple[BaseException, ...] = getattr(error, "exceptions", ())
    return (
        _sole(inner[0])
        if issubclass(type(error), BaseExceptionGroup) and len(inner) == 1
        else error
    )


class Ending:
    """How a producer's stream is going, then how it went: the channel's :class:`Outcome`.

    The first decisive report wins (a cancellation, an error, the end); until one comes, the
    producer was interrupted.
    """

    __slots__ = ("_failed", "_outcome")

    def __init__(self) -> None:
        self._outcome: Outcome | None = None
        self._failed: Outcome | None = None  # a stream that said it ended in error

    @property
    def outcome(self) -> Outcome:
        """The channel's outcome (``cancelled`` while nothing decided it)."""
        return self._outcome or _INTERRUPTED

    def see(self, event: object) -> None:
        """Note an event of the stream: a neutral ``finished`` with reason ``error`` fails it."""
        if isinstance(event, Finished) and event.reason == "error":
            why = f" ({event.provider_reason})" if event.provider_reason else ""
            self._failed = Outcome("failed", f"the stream ended with an error{why}")

    def completed(self) -> None:
        """The stream ended by itself."""
        self._settle(self._failed or Outcome("completed"))

    def raised(self, error: BaseException) -> None:
        """The stream (or the backend) raised ``error``."""
        self._settle(outcome_of_error(error))

    def cancelled(self) -> None:
        """A subscriber cancelled the channel."""
        self._settle(_CANCELLED)

    def _settle(self, outcome: Outcome) -> None:
        if self._outcome is None:
            self._outcome = outcome


class Follower:
    """A subscriber's position in a channel: which entries are new, and how the channel ended.

    After a read that waited in vain, the subscription asks the backend whether the producer
    still holds its lease. When not, it reads once more from :attr:`look_back` (one entry back:
    the end may be the entry the subscriber resumed after) and gives that to :meth:`confirm`:
    with neither a new entry nor the end, the producer is gone (:data:`PRODUCER_GONE`).
    """

    __slots__ = ("end_id", "last_id", "outcome")

    def __init__(self, after: int) -> None:
        self.last_id = after
        """The id of the last entry taken (the position to read after)."""
        self.outcome: Outcome | None = None
        """How the channel ended, once known."""
        self.end_id: int | None = None
        """The id of the channel's end entry, once read (``None`` when the producer is gone)."""

    @property
    def finished(self) -> bool:
        """Whether the channel's outcome is known: nothing more to read."""
        return self.outcome is not None

    @property
    def look_back(self) -> int:
        """Where the confirming read starts: so that it returns the entry at :attr:`last_id`."""
        return max(self.last_id - 1, 0)

    def take(self, entries: Sequence[Entry]) -> list[Entry]:
        """The entries not taken yet, in order, up to and with the end (which sets the outcome)."""
        new: list[Entry] = []
        for entry in entries:
            if entry.id <= self.last_id or self.finished:
                continue
            new.append(entry)
            self.last_id = entry.id
            if entry.event == END_EVENT:
                self.outcome, self.end_id = decode_outcome(entry.data), entry.id
        return new

    def confirm(self, entries: Sequence[Entry]) -> list[Entry]:
        """:meth:`take` for the read from :attr:`look_back` once the producer was found gone."""
        for entry in entries:
            if entry.id == self.last_id and entry.event == END_EVENT:
                self.outcome, self.end_id = decode_outcome(entry.data), entry.id
                return []
        new = self.take(entries)
        if not new:
            self.outcome = PRODUCER_GONE
        return new
