"""A channel's entries as ``text/event-stream`` bytes, and where a reconnecting client resumes.

Sans-IO. Each entry is one event: ``id:``, ``event:`` and a ``data:`` line per line of its data
(any line break: LF, CR or CRLF, as the SSE decoder splits them). A channel's end goes out as
its entry (``event: relay.end``); an end with no entry (a producer that was gone) goes out with
no ``id:``, so a reconnecting client resumes from the last real entry.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from urllib.parse import parse_qs

from rillet.relay._channel import encode_outcome
from rillet.relay._types import END_EVENT, Entry, Outcome, RelayError

__all__ = [
    "ERROR_EVENT",
    "KEEPALIVE",
    "encode_end",
    "encode_entries",
    "encode_error",
    "encode_retry",
    "resume_point",
]

ERROR_EVENT = "relay.error"
"""The event sent before closing when a client cannot be served (it fell behind the log)."""

KEEPALIVE = b": keepalive\n\n"
"""A comment: keeps proxies from closing an idle connection; clients ignore it."""

_LINE_BREAK = re.compile(r"\r\n|\r|\n")


def _event(name: str, data: str, entry_id: int | None) -> str:
    if "\n" in name or "\r" in name:
        msg = f"an SSE event name cannot contain a line break: {name[:64]!r}"
        raise RelayError(msg)
    lines = "".join(f"data: {line}\n" for line in _LINE_BREAK.split(data))
    head = f"id: {entry_id}\n" if entry_id is not None else ""
    return f"{head}event: {name}\n{lines}\n"


def encode_entries(entries: Iterable[Entry]) -> bytes:
    """The events of ``entries``, each with its id."""
    return "".join(_event(entry.event, entry.data, entry.id) for entry in entries).encode()


def encode_end(outcome: Outcome) -> bytes:
    """A channel's end that has no entry (its producer was gone), with no ``id:``."""
    return _event(END_EVENT, encode_outcome(outcome), None).encode()


def encode_error(message: str) -> bytes:
    """A :data:`ERROR_EVENT` with ``message`` (the client cannot be served)."""
    return _event(ERROR_EVENT, encode_outcome(Outcome("error", message)), None).encode()


def encode_retry(milliseconds: int) -> bytes:
    """The reconnection delay a client should use."""
    return f"retry: {milliseconds}\n\n".encode()


def resume_point(last_event_id: str | None, query_string: bytes = b"") -> int | None:
    """The id a client resumes after (0: from the start; ``None``: not an entry id).

    Its ``Last-Event-ID`` header, else its ``lastEventId`` query parameter.
    """
    if last_event_id is None:
        values = parse_qs(query_string.decode("latin-1")).get("lastEventId")
        last_event_id = values[0] if values else None
    value = (last_event_id or "0").strip()
    return int(value) if value.isascii() and value.isdigit() else None
