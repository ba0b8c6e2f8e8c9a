"""Faults the emulator injects on demand, named by the ``x-rillet-fault`` request header."""

from __future__ import annotations

from typing import Final, Literal

import attrs

__all__ = ["Fault", "FaultKind"]

FaultKind = Literal[
    "drop-after-bytes",
    "drop-after-events",
    "stall-after-events",
    "keepalive-only",
    "status",
    "fail-first",
    "malformed-json-at",
    "oversized-event",
    "non-sse",
]
"""The kinds of fault."""

_KINDS: Final = frozenset(FaultKind.__args__)  # type: ignore[attr-defined]


@attrs.frozen(kw_only=True)
class Fault:
    """A fault for one request: send it as ``x-rillet-fault: <str(fault)>``.

    ==========================  ==========================================================
    spec                        what the emulator does
    ==========================  ==========================================================
    ``drop-after-bytes=N``      sends N bytes of the stream, then drops the connection
    ``drop-after-events=N``     sends N whole events, then drops the connection
    ``stall-after-events=N``    sends N events, then nothing, connection open
    ``keepalive-only``          sends only ``: keepalive`` comments, forever
    ``status=S``                answers HTTP S (``retry-after=SECONDS`` adds the header)
    ``fail-first=K; status=S``  answers HTTP S to the first K requests with this fault
    ``malformed-json-at=N``     breaks the JSON of event N (counting from 1)
    ``oversized-event=BYTES``   sends an event of BYTES bytes of data first
    ``non-sse``                 answers 200 with JSON, as a server ignoring stream=true
    ==========================  ==========================================================
    """

    kind: FaultKind
    count: int = 0
    status: int = 500
    retry_after: float | None = None

    def __str__(self) -> str:
        if self.kind in {"keepalive-only", "non-sse"}:
            return self.kind
        if self.kind == "status":
            spec = f"status={self.status}"
        elif self.kind == "fail-first":
            spec = f"fail-first={self.count}; status={self.status}"
        else:
            spec = f"{self.kind}={self.count}"
        if self.retry_after is not None:
            spec += f"; retry-after={self.retry_after}"
        return spec

    def headers(self) -> dict[str, str]:
        """The request headers that ask the emulator for this fault (for ``extra_headers=``)."""
        return {"x-rillet-fault": str(self)}

    @classmethod
    def parse(cls, spec: str) -> Fault:
        """The fault a header value names.

        Raises:
            ValueError: ``spec`` names no fault.
        """
        values: dict[str, str] = {}
        kind = ""
        for part in spec.split(";"):
            name, _, value = part.strip().partition("=")
            kind = kind or name
            values[name] = value
        if kind not in _KINDS:
            msg = f"unknown fault {spec!r}: one of {sorted(_KINDS)}"
            raise ValueError(msg)
        retry_after = values.get("retry-after")
        count = values.get(kind, "")
        return cls(
            kind=kind,  # type: ignore[arg-type]  # pyright: ignore[reportArgumentType] - in _KINDS
            count=int(count) if count and kind != "status" else 0,
            status=int(values["status"]) if values.get("status") else 500,
            retry_after=float(retry_after) if retry_after else None,
        )
