"""JSON documents that validate against a JSON schema: the emulator's structured output.

Sans-IO and deterministic: the same schema and seed give the same document. The generator
covers the keywords structured outputs and function tools use (``type`` and type lists,
``properties``/``required``/``additionalProperties``, ``items`` with ``minItems``/``maxItems``,
``enum``, ``const``, ``anyOf``/``oneOf``, ``allOf`` of objects, ``$ref`` into ``$defs`` or
``definitions``, string lengths, number bounds). Recursion through ``$ref`` is bounded: past
``_DEPTH`` levels it takes what ends it (an optional property left out, an empty array, the
``null`` or non-recursive branch), as a model does. A schema with no finite instance has no
valid document, and the generator does not look for one.

Generated strings hold non-ASCII letters, quotes, backslashes and newlines, so that the JSON
text has escapes and multi-byte characters for a stream's deltas to split.
"""

from __future__ import annotations

import json
import random
import zlib
from collections.abc import Mapping
from typing import Any, Final, cast

__all__ = ["JSON_OBJECT_SCHEMA", "json_document", "json_pieces", "seed_of"]

_DEPTH: Final = 10
_SPREAD_DEPTH: Final = 3
_MAX_SPREAD: Final = 1 << 20
_WORDS: Final = (
    "stream", "delta", "event", "river", "signal", "buffer", "café", "naïve", "Zürich",
    "São Paulo", "日本語", "Ελληνικά", "🌊 wave", "“quoted”", 'say "hi"', "back\\slash",
    "line\nbreak", "tab\there", "¿qué?", "Привет",
)  # fmt: skip
JSON_OBJECT_SCHEMA: Final[Mapping[str, Any]] = {
    "type": "object",
    "properties": {
        "answer": {"type": "string"},
        "points": {"type": "array", "items": {"type": "string"}, "minItems": 1},
        "confidence": {"type": "number", "minimum": 0, "maximum": 1},
        "sources": {
            "type": "array",
            "items": {
                "type": "object",
                "properties": {"title": {"type": "string"}, "year": {"type": "integer"}},
            },
        },
    },
    "required": ["answer", "points", "confidence", "sources"],
}
"""What ``json_object`` output follows: some JSON object."""


def seed_of(*parts: object) -> int:
    """A seed from the parts (their JSON, keys sorted): the same request gives the same seed."""
    return zlib.crc32(json.dumps(parts, sort_keys=True, default=str).encode())


def json_document(
    schema: Mapping[str, Any] | bool,
    seed: int,
    *,
    size: int = 0,
    words: tuple[str, ...] = (),
    quote: str | None = None,
) -> object:
    """A value that validates against ``schema``.

    Args:
        schema: A JSON schema (the root that ``$ref`` resolves against).
        seed: The same seed gives the same value.
        size: Bytes to aim at (0: a few hundred to a few thousand, chosen by the seed). Arrays
            with no ``maxItems`` grow until the document is this big; a schema without them
            keeps its natural size.
        words: Words to use first in strings (the prompt's names make plausible arguments).
        quote: A text to put in the first free string (one with no enum, format or pattern).
    """
    target = size or random.Random(seed).randint(300, 3000)  # noqa: S311 - not for security

    def generate(spread: int) -> tuple[object, int]:
        value = _Generator(schema, seed, spread, words, quote).value(schema, 0)
        return value, len(json.dumps(value, ensure_ascii=False))

    spread = 2
    value, length = generate(spread)
    stalled = 0
    while length < target and spread < _MAX_SPREAD:
        spread *= 2
        grown, size_then = generate(spread)
        if size_then <= length:  # a smaller draw, or nothing grows with the spread
            stalled += 1
            if stalled == 3:  # nothing grows: this is its size
                return value
            continue
        value, length, stalled = grown, size_then, 0
    low, high = spread // 2, spread  # the first spread that is big enough: closer, by halves
    while spread > 2 and high - low > max(1, spread // 16):
        middle = (low + high) // 2
        candidate, size_then = generate(middle)
        if size_then >= target:
            high, value = middle, candidate
        else:
            low = middle
    return value


def json_pieces(text: str, seed: int) -> list[str]:
    """``text`` in deltas of 1 to 12 characters, so that escapes are split now and then."""
    chooser = random.Random(seed)  # noqa: S311 - not for security
    pieces: list[str] = []
    start = 0
    while start < len(text):
        end = start + chooser.randint(1, 12)
        pieces.append(text[start:end])
        start = end
    return pieces or [""]


class _Generator:
    def __init__(
        self,
        root: Mapping[str, Any] | bool,
        seed: int,
        spread: int,
        words: tuple[str, ...],
        quote: str | None,
    ) -> None:
        self.root = root
        self.chooser = random.Random(seed)  # noqa: S311 - not for security
        self.spread = spread  # how many items an unbounded array gets (about)
        self.words = words + _WORDS
        self.used = 0
        self.quote = quote

    def value(self, schema: Mapping[str, Any] | bool, depth: int) -> object:  # noqa: C901, PLR0911, PLR0912 - one per keyword
        if schema is True or schema is False or not schema:
            return self.string({})
        if "$ref" in schema:
            return self.value(self.resolve(str(schema["$ref"])), depth + 1)
        if "const" in schema:
            return schema["const"]
        if schema.get("enum"):
            return self.chooser.choice(list(schema["enum"]))
        branches = schema.get("anyOf") or schema.get("oneOf")
        if branches:
            return self.value(self.branch(list(branches), depth), depth + 1)
        if schema.get("allOf"):
            return self.value(self.merged(schema), depth)
        kinds = schema.get("type")
        if isinstance(kinds, list):
            kind = self.kind(cast("list[str]", kinds), depth)
        elif isinstance(kinds, str):
            kind = kinds
        else:
            kind = _implied(schema)
        match kind:
            case "object":
                return self.an_object(schema, depth)
            case "array":
                return self.an_array(schema, depth)
            case "integer":
                return self.integer(schema)
            case "number":
                return self.number(schema)
            case "boolean":
                return self.chooser.random() < 0.5
            case "null":
                return None
            case _:
                return self.string(schema)

    def resolve(self, reference: str) -> Mapping[str, Any] | bool:
        if not reference.startswith("#"):
            return {}
        found: object = self.root
        for part in filter(None, reference[1:].split("/")):
            key = part.replace("~1", "/").replace("~0", "~")
            if isinstance(found, list):
                found = cast("list[object]", found)[int(key)]
            elif isinstance(found, dict):
                found = cast("dict[str, object]", found).get(key, {})
        return cast("Mapping[str, Any] | bool", found)

    def branch(self, branches: list[Any], depth: int) -> Any:  # noqa: ANN401
        """A branch: any, or past the depth bound one that does not recurse."""
        if depth >= _DEPTH:
            for branch in branches:
                if not self.recurses(branch):
                    return branch
        return self.chooser.choice(branches)

    def recurses(self, schema: object) -> bool:
        return "$ref" in json.dumps(schema)

    def merged(self, schema: Mapping[str, Any]) -> dict[str, Any]:
        """``allOf`` of objects as one object schema (each part's properties and required)."""
        merged: dict[str, Any] = {k: v for k, v in schema.items() if k != "allOf"}
        for part in schema["allOf"]:
            resolved = self.resolve(part["$ref"]) if "$ref" in part else part
            if isinstance(resolved, Mapping):
                part_map = cast("Mapping[str, Any]", resolved)
                for key in ("properties", "required"):
                    old = merged.get(key, {} if key == "properties" else [])
                    new = part_map.get(key, {} if key == "properties" else [])
                    merged[key] = {**old, **new} if key == "properties" else [*old, *new]
                merged.setdefault("type", part_map.get("type", "object"))
        return merged

    def kind(self, kinds: list[str], depth: int) -> str:
        if depth >= _DEPTH:
            for simple in ("null", "string", "integer", "number", "boolean"):
                if simple in kinds:
                    return simple
        # null only now and then: a model fills most nullable fields
        useful = [k for k in kinds if k != "null"] or kinds
        return self.chooser.choice(kinds if self.chooser.random() < 0.2 else useful)

    def an_object(self, schema: Mapping[str, Any], depth: int) -> dict[str, object]:
        properties: Mapping[str, Any] = schema.get("properties") or {}
        required: set[str] = set(schema.get("required") or ())
        result: dict[str, object] = {}
        for name, spec in properties.items():
            if depth >= _DEPTH and name not in required:
                continue
            result[name] = self.value(spec, depth + 1)
        extra = schema.get("additionalProperties")
        if not properties and isinstance(extra, dict) and depth < _DEPTH:
            for number in range(self.count(0, None, depth)):
                key = f"{self.word()} {number}"
                result[key] = self.value(cast("dict[str, Any]", extra), depth + 1)
        return result

    def an_array(self, schema: Mapping[str, Any], depth: int) -> list[object]:
        low = int(schema.get("minItems", 0))
        high = schema.get("maxItems")
        count = low if depth >= _DEPTH else self.count(low, high, depth)
        items = schema.get("items", {})
        return [self.value(items, depth + 1) for _ in range(count)]

    def count(self, low: int, high: int | None, depth: int) -> int:
        """How many items: up to ``maxItems``, or growing with the size asked for.

        Unbounded ones grow near the top only, so that nested arrays do not multiply out.
        """
        if high is not None:
            return self.chooser.randint(low, max(low, min(int(high), low + 2 * self.spread)))
        if depth > _SPREAD_DEPTH:
            return self.chooser.randint(low, low + 2)
        return self.chooser.randint(max(low, self.spread // 2), max(low, self.spread))

    def integer(self, schema: Mapping[str, Any]) -> int:
        low, high = _bounds(schema, 0, 1000)
        return self.chooser.randint(int(-(-low // 1)), max(int(-(-low // 1)), int(high // 1)))

    def number(self, schema: Mapping[str, Any]) -> float:
        low, high = _bounds(schema, -100.0, 1000.0)
        value = round(self.chooser.uniform(low, high), 3)
        return min(max(value, low), high)

    def string(self, schema: Mapping[str, Any]) -> str:
        free = not any(k in schema for k in ("format", "pattern", "enum", "const"))
        if free and self.quote is not None:
            text, self.quote = self.quote, None
        elif free and self.used < len(self.words) - len(_WORDS):
            text = self.word()  # the prompt's names, one at a time, come first
        else:
            text = _FORMATS.get(str(schema.get("format")), "")
            if not text:
                text = " ".join(self.word() for _ in range(self.chooser.randint(1, 5)))
        shortest = int(schema.get("minLength", 0))
        if len(text) < shortest:
            text += "x" * (shortest - len(text))
        longest = schema.get("maxLength")
        return text[: int(longest)] if longest is not None else text

    def word(self) -> str:
        if self.used < len(self.words) - len(_WORDS):
            self.used += 1
            return self.words[self.used - 1]
        return self.chooser.choice(self.words)


_FORMATS: Final = {
    "date-time": "2025-06-01T12:30:00Z",
    "date": "2025-06-01",
    "time": "12:30:00Z",
    "email": "ada@example.com",
    "uri": "https://example.com/a",
    "uuid": "2f1c6f4e-8a4b-4c1e-9a59-3f1f0b1e2d3c",
}


def _implied(schema: Mapping[str, Any]) -> str:
    """The type a schema without ``type`` implies by its keywords."""
    if "properties" in schema or "additionalProperties" in schema:
        return "object"
    if "items" in schema:
        return "array"
    return "string"


def _bounds(schema: Mapping[str, Any], low: float, high: float) -> tuple[float, float]:
    """The range to draw from: the schema's bounds, else the defaults (moved to fit one)."""
    has_low = "minimum" in schema or "exclusiveMinimum" in schema
    has_high = "maximum" in schema or "exclusiveMaximum" in schema
    if "minimum" in schema:
        low = float(schema["minimum"])
    if "exclusiveMinimum" in schema:
        low = float(schema["exclusiveMinimum"]) + 1
    if "maximum" in schema:
        high = float(schema["maximum"])
    if "exclusiveMaximum" in schema:
        high = float(schema["exclusiveMaximum"]) - 1
    if high < low and has_low and not has_high:
        high = low + 1000
    elif high < low and has_high and not has_low:
        low = high - 1000
    return low, high
