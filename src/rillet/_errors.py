"""The error hierarchy: everything rillet raises is a :class:`RilletError`."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from rillet._sse import ServerSentEvent
    from rillet.events import ChatCompletion, Event, Response, ResponseError

__all__ = [
    "EventDecodeError",
    "EventTooLargeError",
    "InconsistentStreamError",
    "ResponseFailedError",
    "RilletError",
    "SSEError",
    "ServerStreamError",
    "StreamError",
    "StreamTruncatedError",
]

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


class InconsistentStreamError(RilletError):
    """Events that contradict each other: a delta for an item never added, a wrong index...

    Attributes:
        event_type: The type of the event that did not fit.
        sequence_number: Its sequence number, if the stream has them.
        reason: What did not fit.
    """

    def __init__(self, *, event_type: str, sequence_number: int | None, reason: str) -> None:
        self.event_type = event_type
        self.sequence_number = sequence_number
        self.reason = reason
        number = "" if sequence_number is None else f" #{sequence_number}"
        super().__init__(f"inconsistent stream at {event_type!r} event{number}: {reason}")


class StreamError(RilletError):
    """The stream ended without a usable result; ``partial`` is the best result so far.

    Attributes:
        partial: What was accumulated before the stream ended: a ``Response`` or a
            ``ChatCompletion`` (``None`` if nothing arrived).
    """

    def __init__(self, message: str, *, partial: Response | ChatCompletion | None) -> None:
        self.partial = partial
        super().__init__(message)


class ResponseFailedError(StreamError):
    """The response failed (``response.failed``).

    Attributes:
        response: The failed response, as the server sent it.
        error: Why it failed (``response.error``), if the server said.
    """

    def __init__(self, response: Response, *, partial: Response | None) -> None:
        self.response = response
        self.error: ResponseError | None = response.error
        why = f": {self.error.message} ({self.error.code})" if self.error else ""
        super().__init__(f"response {response.id} failed{why}", partial=partial)


class ServerStreamError(StreamError):
    """The server reported an error in the stream (an ``error`` event, or an ``error`` payload).

    Attributes:
        message: The server's message.
        code: Its error code, if any (``"insufficient_quota"``...).
        error_type: Its error type, if any (``"server_error"``...).
        param: The parameter it is about, if any.
        event: The event that carried it.
    """

    def __init__(
        self,
        *,
        message: str,
        code: object,
        error_type: str | None,
        param: str | None,
        event: Event,
        partial: Response | ChatCompletion | None,
    ) -> None:
        self.message = message
        self.code = code
        self.error_type = error_type
        self.param = param
        self.event = event
        detail = ", ".join(
            f"{name}={value!r}"
            for name, value in (("code", code), ("type", error_type), ("param", param))
            if value is not None
        )
        super().__init__(
            f"the server reported an error: {message}" + (f" ({detail})" if detail else ""),
            partial=partial,
        )


class StreamTruncatedError(StreamError):
    """The stream ended before its end: no terminal event (Responses), or choices unfinished.

    Attributes:
        reason: Where and how the stream was cut.
    """

    def __init__(self, reason: str, *, partial: Response | ChatCompletion | None) -> None:
        self.reason = reason
        super().__init__(f"the stream was truncated: {reason}", partial=partial)
