"""Sending a request with retries, and turning HTTP failures into rillet's errors."""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Mapping
from typing import Any, Final

import anyio
import httpx

from rillet._errors import (
    APIConnectionError,
    APIStatusError,
    APITimeoutError,
    AuthenticationError,
    BadRequestError,
    ConflictError,
    InternalServerError,
    NotFoundError,
    PermissionDeniedError,
    RateLimitError,
    UnprocessableEntityError,
)
from rillet._policy import RetryPolicy, Timeouts

__all__ = [
    "httpx_timeout",
    "is_event_stream",
    "send",
    "send_sync",
    "status_error",
    "transport_error",
]

logger = logging.getLogger("rillet")

_STATUS_ERRORS: Final[dict[int, type[APIStatusError]]] = {
    400: BadRequestError,
    401: AuthenticationError,
    403: PermissionDeniedError,
    404: NotFoundError,
    409: ConflictError,
    422: UnprocessableEntityError,
    429: RateLimitError,
}


def is_event_stream(response: httpx.Response) -> bool:
    """Whether the response's MIME type is ``text/event-stream`` (parameters ignored)."""
    content_type: str = response.headers.get("content-type", "")
    return content_type.partition(";")[0].strip().lower() == "text/event-stream"


def httpx_timeout(timeouts: Timeouts) -> httpx.Timeout:
    """The part of ``timeouts`` that httpx enforces."""
    return httpx.Timeout(
        connect=timeouts.connect, read=timeouts.read, write=timeouts.write, pool=timeouts.pool
    )


async def send(
    http: httpx.AsyncClient, request: httpx.Request, *, retry: RetryPolicy, stream: bool
) -> tuple[httpx.Response, int]:
    """Send ``request``, retrying as ``retry`` allows; return the response and the retry count.

    With ``stream=True`` the body is not read: the caller owns the open response.

    Raises:
        APIStatusError: The API answered with an error status (a subclass per status).
        APIConnectionError: The API could not be reached (``APITimeoutError`` on a timeout).
    """
    retries = 0
    while True:
        try:
            response = await http.send(request, stream=True)
        except httpx.TransportError as error:
            outcome = _sent_failure(request, error)
        else:
            if response.status_code < 400:
                if not stream:
                    try:
                        await response.aread()
                    finally:
                        await response.aclose()
                return response, retries
            try:
                body = await response.aread()
            except httpx.TransportError as error:
                body = _unreadable(error)
            finally:
                await response.aclose()
            outcome = _status_failure(response, body, retry)
        delay = _next_try(request, retry, retries, outcome)
        retries += 1
        await anyio.sleep(delay)


def send_sync(
    http: httpx.Client, request: httpx.Request, *, retry: RetryPolicy, stream: bool
) -> tuple[httpx.Response, int]:
    """:func:`send` for a blocking ``httpx.Client``."""
    retries = 0
    while True:
        try:
            response = http.send(request, stream=True)
        except httpx.TransportError as error:
            outcome = _sent_failure(request, error)
        else:
            if response.status_code < 400:
                if not stream:
                    try:
                        response.read()
                    finally:
                        response.close()
                return response, retries
            try:
                body = response.read()
            except httpx.TransportError as error:
                body = _unreadable(error)
            finally:
                response.close()
            outcome = _status_failure(response, body, retry)
        delay = _next_try(request, retry, retries, outcome)
        retries += 1
        time.sleep(delay)


# A failed attempt: the error to raise, whether another try may help, the response headers.
_Outcome = tuple[Exception, bool, Mapping[str, str]]


def _sent_failure(request: httpx.Request, error: httpx.TransportError) -> _Outcome:
    """A transport failure: retryable if the request never left, or is idempotent."""
    never_left = isinstance(error, httpx.ConnectError | httpx.ConnectTimeout | httpx.PoolTimeout)
    idempotent = request.method == "GET" or "idempotency-key" in request.headers
    return transport_error(error), never_left or idempotent, {}


def _status_failure(response: httpx.Response, body: bytes, retry: RetryPolicy) -> _Outcome:
    headers = response.headers
    failure = status_error(response.status_code, headers, body)
    return failure, retry.retries_status(response.status_code, headers), headers


def _unreadable(error: httpx.TransportError) -> bytes:
    return f"(the error body could not be read: {error})".encode()


def _next_try(request: httpx.Request, retry: RetryPolicy, retries: int, outcome: _Outcome) -> float:
    """How long to wait before trying again, or raise the failure when that is not allowed."""
    failure, retryable, headers = outcome
    if not retryable or retries >= retry.max_retries:
        raise failure
    delay = retry.delay(retries, headers)
    logger.info(
        "retrying %s %s in %.2f s (retry %d of %d): %s",
        request.method,
        request.url.path,
        delay,
        retries + 1,
        retry.max_retries,
        failure,
    )
    return delay


def status_error(status: int, headers: Mapping[str, str], body: bytes) -> APIStatusError:
    """The typed error for an error response, with what the API said about it."""
    parsed: Any = body.decode("utf-8", "replace")
    error: Mapping[str, Any] = {}
    try:
        parsed = json.loads(body)
    except ValueError:
        pass
    else:
        if isinstance(parsed, dict) and isinstance(parsed.get("error"), dict):
            error = parsed["error"]
    message = error.get("message") or (parsed if isinstance(parsed, str) and parsed else None)
    cls = _STATUS_ERRORS.get(status)
    if cls is None:
        cls = InternalServerError if status >= 500 else APIStatusError
    return cls(
        str(message or f"the server answered {status}")[:2000],
        status_code=status,
        code=error.get("code"),
        error_type=error.get("type"),
        param=error.get("param"),
        request_id=headers.get("x-request-id"),
        body=parsed,
        headers=dict(headers),
    )


def transport_error(error: httpx.TransportError) -> APIConnectionError:
    """The rillet error for an httpx transport failure (the httpx error is the ``__cause__``)."""
    kinds: dict[type[httpx.TransportError], str] = {
        httpx.ConnectTimeout: "connect",
        httpx.ReadTimeout: "read",
        httpx.WriteTimeout: "write",
        httpx.PoolTimeout: "pool",
    }
    kind = kinds.get(type(error))
    detail = str(error) or type(error).__name__
    if kind is not None:
        converted: APIConnectionError = APITimeoutError(
            f"the {kind} timeout expired ({detail})", kind=kind
        )
    else:
        converted = APIConnectionError(f"connection failed: {detail}")
    converted.__cause__ = error
    return converted
