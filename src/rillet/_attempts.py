"""When to try a request again, and when to resume a broken stream (sans-IO)."""

from __future__ import annotations

from collections.abc import Callable

from rillet._errors import APIConnectionError, APIError, APIStatusError
from rillet._policy import RetryPolicy

__all__ = ["Attempts"]


class Attempts:
    """Tries of the request before its first event, and resumes of its body after."""

    __slots__ = ("idempotent", "policy", "resumes", "retries", "since_events")

    def __init__(self, policy: RetryPolicy, *, idempotent: bool) -> None:
        self.policy = policy
        self.idempotent = idempotent
        self.retries = 0  # tries again of the request
        self.resumes = 0  # resumes that succeeded
        self.since_events = 0  # resume attempts since events last arrived

    def retry_delay(self, error: APIError) -> float | None:
        """Seconds before trying the request again, or ``None`` if it must not be."""
        if self.retries >= self.policy.max_retries:
            return None
        if isinstance(error, APIStatusError):
            if not self.policy.retries_status(error.status_code, error.headers):
                return None
            delay = self.policy.delay(self.retries, error.headers)
        elif isinstance(error, APIConnectionError):
            if error.request_sent and not self.idempotent:
                return None  # it may have started a response: never a second, billed one
            delay = self.policy.delay(self.retries)
        else:
            return None
        self.retries += 1
        return delay

    def resume_delay(
        self, backoff: Callable[[int, RetryPolicy], float] | None = None
    ) -> float | None:
        """Seconds before the next resume attempt, or ``None`` past ``max_resumes`` in a row.

        ``backoff(attempt, policy)`` computes it when given, else the policy's ``delay``.
        """
        if self.since_events >= self.policy.max_resumes:
            return None
        self.since_events += 1
        if backoff is None:
            return self.policy.delay(self.since_events - 1)
        return backoff(self.since_events - 1, self.policy)
