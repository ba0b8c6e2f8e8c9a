"""Sending a request with retries, and turning HTTP failures into rillet's errors."""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Callable, Mapping

import anyio
import httpx

from rillet._errors import APIConnectionError, APITimeoutError, status_error
from rillet._machine import ERROR_BODY_LIMIT
from rillet._policy import RetryPolicy, Timeouts

__all__ = [
    "bound_reads",
    "httpx_timeout",
    "is_event_stream",
    "remaining",
    "send",
    "send_sync",
    "transport_error",
]

logger = logging.getLogger("rillet")


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
            response = await http.send(request, stream=True, follow_redirects=False)
        except httpx.TransportError as error:
            outcome = _sent_failure(request, error)
        else:
            if response.status_code < 300:
                if not stream:
                    try:
                        await response.aread()
                    finally:
                        await response.aclose()
                return response, retries
            body = bytearray()
            try:
                async for chunk in response.aiter_bytes():
                    body += chunk
                    if len(body) >= ERROR_BODY_LIMIT:
                        break
            except httpx.TransportError as error:
                body += _unreadable(error)
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
            response = http.send(request, stream=True, follow_redirects=False)
        except httpx.TransportError as error:
            outcome = _sent_failure(request, error)
        else:
            if response.status_code < 300:
                if not stream:
                    try:
                        response.read()
                    finally:
                        response.close()
                return response, retries
            body = bytearray()
            try:
                for chunk in response.iter_bytes():
                    body += chunk
                    if len(body) >= ERROR_BODY_LIMIT:
                        break
            except httpx.TransportError as error:
                body += _unreadable(error)
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
    failure = transport_error(error)
    return failure, not failure.request_sent or is_idempotent(request), {}


def is_idempotent(request: httpx.Request) -> bool:
    """Whether sending ``request`` twice does no harm: a GET, or one with an Idempotency-Key."""
    return request.method == "GET" or "idempotency-key" in request.headers


def remaining(deadline: float, now: Callable[[], float] = time.monotonic) -> float | None:
    """Seconds left before ``deadline`` (``None``: no deadline)."""
    return None if deadline == math.inf else max(0.0, deadline - now())


def bound_reads(response: httpx.Response, deadline: list[float]) -> None:
    """Make each socket read of a blocking ``response`` wait no longer than ``deadline[0]``.

    A blocking read cannot be cancelled; httpcore gives each read of the network stream a
    timeout, which this shortens to the time left (the stream's deadlines move as events
    arrive, so the list is read at each read). An in-process transport has no network stream:
    its reads are bounded by httpx's ``read`` timeout alone.
    """
    stream = response.extensions.get("network_stream")
    if stream is None:
        return
    read = stream.read

    def bounded(max_bytes: int, timeout: float | None = None) -> bytes:
        left = deadline[0] - time.monotonic()
        if left < math.inf:
            timeout = max(left, 0.001) if timeout is None else min(timeout, max(left, 0.001))
        data: bytes = read(max_bytes, timeout)
        return data

    stream.read = bounded


def _status_failure(response: httpx.Response, body: bytearray, retry: RetryPolicy) -> _Outcome:
    headers = response.headers
    failure = status_error(response.status_code, headers, bytes(body[:ERROR_BODY_LIMIT]))
    return failure, retry.retries_status(response.status_code, headers), headers


def _unreadable(error: httpx.TransportError) -> bytes:
    return f" (the rest could not be read: {error})".encode()


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
    sent = not isinstance(error, httpx.ConnectError | httpx.ConnectTimeout | httpx.PoolTimeout)
    if kind is not None:
        converted: APIConnectionError = APITimeoutError(
            f"the {kind} timeout expired ({detail})", kind=kind, request_sent=sent
        )
    else:
        converted = APIConnectionError(f"connection failed: {detail}", request_sent=sent)
    converted.__cause__ = error
    return converted
