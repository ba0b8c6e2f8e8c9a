"""Timeouts and retries: plain values and pure functions, shared by the async and sync clients."""

from __future__ import annotations

import random
import time
from collections.abc import Mapping
from typing import Final

import attrs

__all__ = ["ResumePosition", "RetryPolicy", "Timeouts"]

_RETRY_STATUSES: Final = frozenset({408, 409, 429})


@attrs.frozen(kw_only=True)
class Timeouts:
    """Every timeout of a request and its stream, in seconds; ``None`` means no limit.

    Attributes:
        connect: Establishing the connection (10 s).
        read: Between any two bytes of the response, SSE comments included (300 s). It catches a
            dead TCP connection, not a silent model: see ``idle``.
        write: Sending the request (30 s).
        pool: Waiting for a free connection of the pool (30 s).
        first_event: From sending the request to the first event of the stream (120 s).
        idle: Between two events (off by default: reasoning models are silent for minutes).
            Keep-alive comments and ``keepalive`` events do not reset it.
        total: A deadline for the whole stream (off by default).
    """

    connect: float | None = 10.0
    read: float | None = 300.0
    write: float | None = 30.0
    pool: float | None = 30.0
    first_event: float | None = 120.0
    idle: float | None = None
    total: float | None = None

    @classmethod
    def of(cls, value: Timeouts | float | None) -> Timeouts:
        """``value`` as Timeouts: a number sets connect, read, write and pool, as in httpx."""
        if isinstance(value, Timeouts):
            return value
        return cls(connect=value, read=value, write=value, pool=value)


@attrs.frozen(kw_only=True)
class RetryPolicy:
    """When and how long to wait before trying a request again.

    Retried: connection failures before the request was sent, HTTP 408, 409, 429 and 5xx (or
    whatever ``x-should-retry`` says), only before the first event of a stream is delivered.
    A request that may have reached the server (the connection broke after it was sent) is
    retried only when it is idempotent: a GET, or a request with an ``Idempotency-Key``
    header; a POST could otherwise start a second, billed response.

    A stream of a ``background=true`` response that drops, stalls past the idle or read
    timeout, or ends before its terminal event is resumed from after its last event, up to
    ``max_resumes`` attempts in a row (with the same backoff).

    Attributes:
        max_retries: How many times to try again (2: three attempts in all).
        initial_delay: The first wait, doubled at each retry (seconds).
        max_delay: The longest wait between attempts.
        max_retry_after: The longest ``Retry-After`` honoured; longer ones are not waited for.
        max_resumes: How many times in a row to try resuming a broken background stream
            (0: never).
    """

    max_retries: int = 2
    initial_delay: float = 0.5
    max_delay: float = 8.0
    max_retry_after: float = 60.0
    max_resumes: int = 5

    def retries_status(self, status: int, headers: Mapping[str, str]) -> bool:
        """Whether a response with this status (and headers) is worth another try."""
        should = headers.get("x-should-retry")
        if should in ("true", "false"):
            return should == "true"
        return status in _RETRY_STATUSES or status >= 500

    def delay(
        self,
        retry: int,
        headers: Mapping[str, str] | None = None,
        *,
        rng: random.Random | None = None,
    ) -> float:
        """Seconds to wait before retry number ``retry`` (0 for the first).

        ``Retry-After`` (seconds or an HTTP date) or ``retry-after-ms`` wins when the server
        sends one no longer than ``max_retry_after``; otherwise exponential backoff with
        jitter (each wait between 75% and 100% of ``initial_delay * 2**retry``, capped).
        """
        asked = _retry_after(headers or {})
        if asked is not None and 0 <= asked <= self.max_retry_after:
            return asked
        backoff: float = min(self.initial_delay * 2**retry, self.max_delay)
        jitter: float = (rng or random).random()
        return backoff * (1 - 0.25 * jitter)


@attrs.frozen(kw_only=True)
class ResumePosition:
    """Where a stream of a background response is: enough to continue it later, elsewhere.

    Plain data (``attrs.asdict(position)`` is JSON): save it, then give it to
    ``client.responses.resume(position)``.

    Attributes:
        response_id: The response.
        sequence_number: The last event received; the stream continues after it.
    """

    response_id: str
    sequence_number: int


def _retry_after(headers: Mapping[str, str]) -> float | None:
    milliseconds = headers.get("retry-after-ms")
    if milliseconds is not None:
        try:
            return float(milliseconds) / 1000
        except ValueError:
            pass
    value = headers.get("retry-after")
    if value is None:
        return None
    try:
        return float(value)
    except ValueError:
        pass
    import email.utils  # noqa: PLC0415 - rarely needed, and ~8 ms of import time (socket...)

    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    seconds: float = when.timestamp() - time.time()
    return seconds
