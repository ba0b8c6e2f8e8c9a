"""The per-call options of the clients' calls (light: ``rillet.params`` builds on them)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypedDict

from rillet._policy import Timeouts
from rillet.events import OnInvalid

__all__ = ["CallOptions", "StreamCallOptions"]


class CallOptions(TypedDict, total=False):
    """What one call may change of the client's configuration (every key may be left out).

    Attributes:
        timeout: This call's timeouts, instead of the client's (a :class:`~rillet.Timeouts`,
            or seconds for connect, read, write and pool; ``None``: no limit).
        max_retries: This call's retries, instead of the client's.
        extra_headers: Headers to add to this request.
        extra_query: Query parameters to add to this request.
        extra_body: JSON members to add to the request body (for parameters newer than
            ``rillet.params``, rillet's types of the request bodies).
    """

    timeout: Timeouts | float | None
    max_retries: int | None
    extra_headers: Mapping[str, str] | None
    extra_query: Mapping[str, Any] | None
    extra_body: Mapping[str, Any] | None


class StreamCallOptions(CallOptions, total=False):
    """:class:`CallOptions`, and those of a streaming call.

    Attributes:
        cache: Keep the events for another pass (``False``: flat memory, one pass; default
            ``True``).
        on_invalid: What to do with an event whose data is invalid: ``"raise"`` (the default)
            an :class:`~rillet.EventDecodeError`, or ``"return"`` (yield) an
            :class:`~rillet.events.InvalidEvent`.
    """

    cache: bool
    on_invalid: OnInvalid
