"""The error hierarchy: everything rillet raises is a :class:`RilletError`."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Final, Generic, Literal, cast

import attrs
from typing_extensions import TypeVar

if TYPE_CHECKING:
    from rillet._sse import ServerSentEvent
    from rillet.events import ChatCompletion, Event, Response, ResponseError

__all__ = [
    "APIConnectionError",
    "APIError",
    "APIStatusError",
    "APITimeoutError",
    "AuthenticationError",
    "BadRequestError",
    "ConflictError",
    "EventDecodeError",
    "EventTooLargeError",
    "InconsistentStreamError",
    "InternalServerError",
    "InvalidResponseError",
    "NotEventStreamError",
    "NotFoundError",
    "PartialJSONError",
    "PermissionDeniedError",
    "RateLimitError",
    "RequestBodyError",
    "ResponseFailedError",
    "RilletError",
    "SSEError",
    "ServerStreamError",
    "StreamError",
    "StreamProgress",
    "StreamTruncatedError",
    "StructuredOutputError",
    "TruncationCode",
    "UnprocessableEntityError",
]

EXCERPT_BYTES = 64

# What an error's ``partial`` is: ``StreamError[Response]`` on a Responses stream. Defaults to
# either, so that ``except StreamError as error`` gives a typed ``error.partial``. (Named R,
# not R_co: the docs ignore one-letter type variables.)
R = TypeVar("R", default="Response | ChatCompletion", covariant=True)  # noqa: PLC0105


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


class StructuredOutputError(RilletError, ValueError):
    """The model's output is not a value of the requested format (``text_format``...).

    Attributes:
        problems: What is wrong, each with where (``"expected an integer, got a string ('3')
            @ $.steps[0].minutes"``).
        text: The output text that was parsed, when there was one.
        response: The whole ``Response`` or ``ChatCompletion`` the text came from, when known:
            the result stays reachable.
    """

    def __init__(
        self,
        message: str,
        *,
        problems: list[str] | None = None,
        text: str | None = None,
        response: Response | ChatCompletion | None = None,
    ) -> None:
        self.problems: list[str] = problems if problems is not None else [message]
        self.text = text
        self.response = response
        super().__init__(message)


class RequestBodyError(RilletError, TypeError, ValueError):
    """A call's parameters cannot be sent as JSON; nothing was sent.

    A value of a type JSON has no place for (rillet's own models are welcome: they are sent as
    the JSON they came from), a float that is not a number (``nan``, ``inf``), a dict key that
    cannot be a JSON string, text that is not Unicode (a lone surrogate), or a list or dict that
    contains itself. It is a ``TypeError`` and a ``ValueError``, as the standard library's
    ``json`` raises one or the other for these.

    Attributes:
        path: Where the value is in the request body: keys and list indices, from a
            parameter's name (``("input", 2, "content")``).
        reason: What is wrong with it.
    """

    def __init__(self, *, path: tuple[str | int, ...], reason: str) -> None:
        self.path = path
        self.reason = reason
        super().__init__(f"cannot send {self.location} as JSON: {reason}")

    @property
    def location(self) -> str:
        """The path written as Python reads it, e.g. ``input[2].content``."""
        where = ""
        for key in self.path:
            if isinstance(key, str) and key.isidentifier():
                where += f".{key}" if where else key
            else:
                where += f"[{key!r}]"
        return where or "the request body"


class PartialJSONError(RilletError, ValueError):
    """Text fed to :class:`~rillet.PartialJSON` cannot be (the start of) a JSON document.

    A ``ValueError``, as ``json.loads`` raises one for malformed JSON.

    Attributes:
        offset: The character offset, in the whole document, of the first character that
            cannot continue a JSON document (the document's length when it ended too soon).
        reason: What was expected there, and what came.
        excerpt: The text around the offset.
    """

    def __init__(self, *, offset: int, reason: str, excerpt: str) -> None:
        self.offset = offset
        self.reason = reason
        self.excerpt = excerpt
        super().__init__(f"invalid JSON at offset {offset}: {reason} ({excerpt!r})")


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


@attrs.frozen(kw_only=True)
class StreamProgress:
    """How far a stream got before an error: what it received, and where it was.

    Attributes:
        bytes_received: Bytes of the body (or bodies, when resumed) read.
        events_received: Events received (keepalives included).
        last_sequence_number: The last event's ``sequence_number``, if the stream has them.
        reconnects: How many times the stream was resumed.
    """

    bytes_received: int = 0
    events_received: int = 0
    last_sequence_number: int | None = None
    reconnects: int = 0


class StreamError(RilletError, Generic[R]):
    """The stream ended without a usable result; ``partial`` is the best result so far.

    Generic in what it carries: ``StreamError[Response]`` on a Responses stream,
    ``StreamError[ChatCompletion]`` on a chat one (an ``except StreamError`` clause sees either).

    Attributes:
        partial: What was accumulated before the stream ended: a ``Response`` or a
            ``ChatCompletion`` (``None`` if nothing arrived).
        progress: How far the stream got (``None`` when raised outside a stream).
    """

    progress: StreamProgress | None = None

    def __init__(self, message: str, *, partial: R | None) -> None:
        self.partial = partial
        super().__init__(message)


class ResponseFailedError(StreamError["Response"]):
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


class ServerStreamError(StreamError[R]):
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
        partial: R | None,
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


TruncationCode = Literal[
    "body_ended",
    "connection_broken",
    "cancelled",
    "resume_refused",
    "resume_failed",
    "other_response",
    "sequence_gap",
]
"""Why a stream was cut: ``"body_ended"`` (no terminal event), ``"connection_broken"``,
``"cancelled"`` (reading was cancelled or interrupted), ``"resume_refused"``,
``"resume_failed"`` (every attempt failed), ``"other_response"`` (a resume answered with
another response's events), ``"sequence_gap"`` (events were missing)."""


class StreamTruncatedError(StreamError[R]):
    """The stream ended before its end: no terminal event (Responses), or choices unfinished.

    Attributes:
        reason: Where and how the stream was cut.
        code: Why, as a code (see :data:`TruncationCode`).
        excerpt: The start of what was discarded (an unterminated event), if anything.
    """

    def __init__(
        self,
        reason: str,
        *,
        partial: R | None,
        code: TruncationCode = "body_ended",
        excerpt: bytes = b"",
    ) -> None:
        self.reason = reason
        self.code = code
        self.excerpt = excerpt
        super().__init__(f"the stream was truncated: {reason}", partial=partial)


class APIError(RilletError):
    """A request to the API failed: base of the HTTP status, connection and timeout errors."""


class APIStatusError(APIError):
    """The API answered with an error status.

    Attributes:
        status_code: The HTTP status.
        message: The API's error message (or the status line).
        code: The API's error code (``"rate_limit_exceeded"``...), if it sent one.
        error_type: The API's error type (``"invalid_request_error"``; Gemini's status,
            ``"INVALID_ARGUMENT"``...), if it sent one.
        param: The parameter the error is about, if any.
        request_id: The ``x-request-id`` of the failed request, for support.
        body: The response body: the parsed JSON, or the text.
        headers: The response headers (``retry-after``, rate limits...).
    """

    def __init__(
        self,
        message: str,
        *,
        status_code: int,
        code: object = None,
        error_type: str | None = None,
        param: str | None = None,
        request_id: str | None = None,
        body: object = None,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        self.status_code = status_code
        self.message = message
        self.code = code
        self.error_type = error_type
        self.param = param
        self.request_id = request_id
        self.body = body
        self.headers: Mapping[str, str] = headers or {}
        detail = f" (code {code!r})" if code else ""
        request = f" [request {request_id}]" if request_id else ""
        super().__init__(f"HTTP {status_code}: {message}{detail}{request}")


class BadRequestError(APIStatusError):
    """400: the request was malformed or had invalid parameters."""


class AuthenticationError(APIStatusError):
    """401: the API key is missing, wrong or revoked."""


class PermissionDeniedError(APIStatusError):
    """403: the key may not use this model or resource."""


class NotFoundError(APIStatusError):
    """404: no such model, response or endpoint."""


class ConflictError(APIStatusError):
    """409: the resource is in a conflicting state."""


class UnprocessableEntityError(APIStatusError):
    """422: the request was well formed but could not be processed."""


class RateLimitError(APIStatusError):
    """429: too many requests or tokens, or the quota is exhausted."""


class InternalServerError(APIStatusError):
    """5xx: the server failed."""


class APIConnectionError(APIError):
    """The API could not be reached, or the connection broke.

    Attributes:
        request_sent: Whether the request may have reached the server (``False``: it
            certainly did not, so trying again cannot repeat it).
        progress: When it happened mid-stream: how far the stream got.
    """

    progress: StreamProgress | None = None

    def __init__(self, message: str, *, request_sent: bool = True) -> None:
        self.request_sent = request_sent
        super().__init__(message)


class APITimeoutError(APIConnectionError, Generic[R]):
    """A timeout expired: connecting, reading, waiting for an event, or the total deadline.

    Attributes:
        kind: Which timeout: ``"connect"``, ``"read"``, ``"first_event"``, ``"idle"``,
            ``"total"`` (or ``"write"``, ``"pool"``).
        seconds: Its value, in seconds, when known.
        partial: When it expired mid-stream: the result accumulated until then.
    """

    def __init__(
        self,
        message: str,
        *,
        kind: str,
        seconds: float | None = None,
        partial: R | None = None,
        request_sent: bool = True,
    ) -> None:
        self.kind = kind
        self.seconds = seconds
        self.partial = partial
        super().__init__(message, request_sent=request_sent)


class InvalidResponseError(APIError):
    """A successful answer that is not what the API sends (not JSON, or not the expected object).

    Attributes:
        status_code: The HTTP status.
        content_type: The answer's content type.
        body: The start of the body.
    """

    def __init__(self, reason: str, *, status_code: int, content_type: str, body: bytes) -> None:
        self.status_code = status_code
        self.content_type = content_type
        self.body = body
        super().__init__(
            f"HTTP {status_code} answered {content_type or 'no content type'!r} that is not "
            f"a valid API object: {reason} ({body[:80]!r})"
        )


class NotEventStreamError(APIError):
    """A streaming request got a successful answer that is not ``text/event-stream``.

    Attributes:
        content_type: What the server sent instead.
        body: The start of the body.
    """

    def __init__(self, content_type: str, body: bytes) -> None:
        self.content_type = content_type
        self.body = body
        super().__init__(
            f"expected a text/event-stream response, got {content_type or 'no content type'!r}: "
            f"did the server ignore stream=True? ({body[:80]!r})"
        )


_STATUS_ERRORS: Final[dict[int, type[APIStatusError]]] = {
    400: BadRequestError,
    401: AuthenticationError,
    403: PermissionDeniedError,
    404: NotFoundError,
    409: ConflictError,
    422: UnprocessableEntityError,
    429: RateLimitError,
}


def _error_object(parsed: object) -> Mapping[str, Any]:
    """The ``error`` object of an error body's JSON, or an empty one."""
    # A JSON object is a dict[str, Any]: isinstance() leaves its types unknown to pyright.
    if isinstance(parsed, dict):
        found = cast("dict[str, Any]", parsed).get("error")
        if isinstance(found, dict):
            return cast("dict[str, Any]", found)
    return {}


def status_error(status: int, headers: Mapping[str, str], body: bytes) -> APIStatusError:
    """The typed error for an error response, with what the API said about it."""
    parsed: Any = body.decode("utf-8", "replace")
    error: Mapping[str, Any] = {}
    try:
        parsed = json.loads(body)
    except (ValueError, RecursionError):
        pass
    else:
        error = _error_object(parsed)
    message = error.get("message") or (parsed if isinstance(parsed, str) and parsed else None)
    cls = _STATUS_ERRORS.get(status)
    if cls is None:
        cls = InternalServerError if status >= 500 else APIStatusError
    return cls(
        str(message or f"the server answered {status}")[:2000],
        status_code=status,
        code=error.get("code"),
        error_type=error.get("type") or error.get("status"),  # Gemini's is its status
        param=error.get("param"),
        request_id=headers.get("x-request-id") or headers.get("request-id"),
        body=parsed,
        headers=dict(headers),
    )
