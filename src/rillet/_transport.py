"""What the loops need of httpx: its timeouts, bounded blocking reads, errors for its failures."""

from __future__ import annotations

import math
import time
from collections.abc import Callable

import httpx

from rillet._errors import APIConnectionError, APITimeoutError
from rillet._policy import Timeouts

__all__ = [
    "bound_reads",
    "httpx_timeout",
    "remaining",
    "request_error",
]


def httpx_timeout(timeouts: Timeouts) -> httpx.Timeout:
    """The part of ``timeouts`` that httpx enforces."""
    return httpx.Timeout(
        connect=timeouts.connect, read=timeouts.read, write=timeouts.write, pool=timeouts.pool
    )


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


def request_error(error: httpx.RequestError) -> APIConnectionError:
    """The rillet error for an httpx failure (the httpx error is the ``__cause__``)."""
    if not isinstance(error, httpx.TransportError):  # a body it cannot decode, redirect loops
        failure = APIConnectionError(f"the request failed: {str(error) or type(error).__name__}")
        failure.__cause__ = error
        return failure
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
