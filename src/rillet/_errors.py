"""The error hierarchy: everything rillet raises is a :class:`RilletError`."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from rillet._sse import ServerSentEvent

__all__ = ["EventDecodeError", "EventTooLargeError", "RilletError", "SSEError"]

EXCERPT_BYTES = 64


def excerpt(data: bytes | bytearray | memoryview, limit: int = EXCERPT_BYTES) -> bytes:
    """The first ``limit`` bytes of ``data``, for error messages."""
    return bytes(data[:limit])


class RilletError(Exception):
    """Base class of every error rillet raises."""


class SSEError(RilletError):
    """The event stream could not be decoded, or the decoder was misused."""


class EventTooLargeError(SSEError):
    """An event grew past the decoder's ``max_event_size``.

    The decoder stops here instead of buffering without bound. Events decoded from the same
    chunk before the oversized one are kept in ``events``, so nothing already received
    is lost.

    Attributes:
        size: How many bytes of the event were buffered when the limit was crossed.
        limit: The configured maximum, in bytes.
        offset: Stream byte offset at which the oversized event began.
        excerpt: The first bytes of the oversized event.
        events: Events completed earlier in the same ``feed()`` call.
    """

    def __init__(
        self,
        *,
        size: int,
        limit: int,
        offset: int,
        excerpt: bytes,
        events: list[ServerSentEvent] | None = None,
    ) -> None:
        self.size = size
        self.limit = limit
        self.offset = offset
        self.excerpt = excerpt
        self.events: list[ServerSentEvent] = events if events is not None else []
        super().__init__(
            f"SSE event starting at byte {offset} exceeds max_event_size: "
            f"{size} bytes buffered, limit {limit} ({excerpt!r}...)"
        )


class EventDecodeError(RilletError):
    """An event's data could not be turned into its typed event.

    Attributes:
        event_type: The event's type string, when it is known.
        field: Where in the JSON the problem is (``"output_index"``, ``"item.content[0]"``), or
            ``None`` when it is the payload as a whole.
        reason: What was wrong.
        excerpt: The first bytes of the payload.
    """

    def __init__(
        self, *, event_type: str | None, field: str | None, reason: str, excerpt: bytes
    ) -> None:
        self.event_type = event_type
        self.field = field
        self.reason = reason
        self.excerpt = excerpt
        where = f" at {field}" if field else ""
        super().__init__(
            f"cannot decode {event_type or 'untyped'!r} event{where}: {reason} (data: {excerpt!r})"
        )
