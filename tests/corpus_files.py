"""The recorded API streams of tests/corpus (provenance in tests/corpus/MANIFEST.md)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TypedDict, TypeVar

from rillet._machine import StreamMachine
from rillet._policy import RetryPolicy, Timeouts
from rillet._protocols import StreamProtocol

R = TypeVar("R")
CORPUS = Path(__file__).parent / "corpus"


class Entry(TypedDict):
    """One manifest row (the fields the tests use)."""

    file: str
    events: int
    ends_with_blank_line: bool


def manifest() -> list[Entry]:
    """Every corpus file with its expected event count."""
    entries: list[Entry] = json.loads((CORPUS / "manifest.json").read_text(encoding="utf-8"))
    return entries


def read(name: str) -> bytes:
    """The bytes of one corpus file, e.g. ``"responses/mcp_call.sse"``."""
    return (CORPUS / name).read_bytes()


def provider_files(provider: str) -> list[str]:
    """The names (``anthropic/...``) of one provider's recorded streams, re-framed ones too."""
    return sorted(str(path.relative_to(CORPUS)) for path in (CORPUS / provider).rglob("*.sse"))


def fed_machine(protocol: StreamProtocol[R], chunks: list[bytes]) -> StreamMachine[R]:
    """A stream machine of ``protocol`` fed ``chunks`` as one body, then its end (no I/O)."""
    fed = StreamMachine(protocol, timeouts=Timeouts(), retry=RetryPolicy(), started=0)
    fed.next_action()
    fed.receive_headers(200, {"content-type": "text/event-stream"}, 0)
    for chunk in chunks:
        fed.receive_data(chunk, 0)
    fed.receive_eof(0)
    return fed
