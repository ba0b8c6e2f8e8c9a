"""The Gemini streams of tests/corpus/gemini, read by rillet's machine with no I/O."""

from __future__ import annotations

import json
from typing import Any

from corpus_files import CORPUS, fed_machine
from rillet._errors import RilletError
from rillet._machine import StreamMachine
from rillet._protocols import Item
from rillet.gemini import GeminiProtocol, GenerateContentResponse

ROOT = CORPUS / "gemini"
FILES = sorted(str(path.relative_to(ROOT)) for path in ROOT.rglob("*.sse"))
"""Every Gemini stream: raw recordings, re-framed ones, synthetic fixtures."""

ORACLE: dict[str, dict[str, Any]] = {
    name: row["oracle"]
    for name, row in json.loads((ROOT / "oracle.json").read_text("utf-8")).items()
}
"""Per file: what google-genai 3.6.1 produced (providers.json's oracle)."""


def read(name: str) -> bytes:
    """The bytes of one Gemini corpus file (``"reframed/...reframed.sse"``)."""
    return (ROOT / name).read_bytes()


def machine(chunks: list[bytes]) -> StreamMachine[GenerateContentResponse]:
    """A stream machine fed ``chunks`` as one body, then its end (no I/O)."""
    return fed_machine(GeminiProtocol(), chunks)


def events_of(fed: StreamMachine[Any]) -> list[Item]:
    """Every event the machine logged, derived ones included."""
    return [fed.log.event_at(i, fed.protocol.replay) for i in range(fed.log.count)]


def outcome(fed: StreamMachine[GenerateContentResponse]) -> GenerateContentResponse | RilletError:
    """The final response, or the error the stream ends with."""
    if fed.failure is not None:
        return fed.failure
    try:
        return fed.result()
    except RilletError as error:
        return error


def oracle_view(response: GenerateContentResponse) -> dict[str, Any]:
    """What the oracle records of a response, read from rillet's accumulated one."""
    candidates: dict[str, Any] = {}
    for position, candidate in enumerate(response.candidates):
        parts = candidate.parts
        known = ("text", "functionCall", "thought", "thoughtSignature")
        other = sorted({key for p in parts for key in p.to_dict() if key not in known})
        candidates[str(candidate.index if candidate.index is not None else position)] = {
            "text": candidate.text,
            "thought_text": candidate.thoughts,
            "thought_signatures": sum(1 for p in parts if p.thought_signature),
            "finish_reason": candidate.finish_reason,
            "function_calls": [call.to_dict() for call in candidate.function_calls],
            "other_parts": other,
        }
    return {"candidates": candidates, "prompt_block_reason": response.block_reason}


def oracle_expected(oracle: dict[str, Any]) -> dict[str, Any]:
    """The same view of the oracle (other_parts as a sorted set)."""
    candidates = {
        index: {
            "text": c["text"],
            "thought_text": c["thought_text"],
            "thought_signatures": c["thought_signatures"],
            "finish_reason": c["finish_reason"],
            "function_calls": c["function_calls"],
            "other_parts": sorted(set(c["other_parts"])),
        }
        for index, c in oracle.get("candidates", {}).items()
    }
    return {"candidates": candidates, "prompt_block_reason": oracle["prompt_block_reason"]}
