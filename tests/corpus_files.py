"""The recorded API streams of tests/corpus (provenance in tests/corpus/MANIFEST.md)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TypedDict

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
