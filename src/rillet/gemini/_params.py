"""The request of ``generateContent``, as the REST API names it (a concise, typed subset).

Anything newer goes in the same dicts (they are sent as they are) or in ``extra_body``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, TypeAlias, TypedDict

from rillet.gemini._types import Content

__all__ = [
    "ContentDict",
    "Contents",
    "GenerateContentConfig",
    "GenerationConfig",
    "PartDict",
    "ThinkingConfig",
    "contents_of",
]

PartDict: TypeAlias = Mapping[str, Any]
"""A part, as the REST API writes it: ``{"text": ...}``, ``{"functionResponse": {...}}``..."""


class ContentDict(TypedDict, total=False):
    """A message: ``{"role": "user", "parts": [{"text": "Hello"}]}``."""

    role: str
    parts: Sequence[PartDict]


Contents: TypeAlias = str | Sequence[str] | Sequence[ContentDict | Mapping[str, Any] | Content]
"""A prompt: a string, strings (the parts of one user message), or REST ``Content`` dicts and
:class:`Content` objects (a response's ``candidates[0].content``, sent back as it came)."""


class ThinkingConfig(TypedDict, total=False):
    """How much the model thinks, and whether it shows its thought summaries."""

    thinkingBudget: int
    thinkingLevel: str
    includeThoughts: bool


class GenerationConfig(TypedDict, total=False):
    """The REST API's ``generationConfig`` (the common members)."""

    temperature: float
    topP: float
    topK: int
    candidateCount: int
    maxOutputTokens: int
    stopSequences: Sequence[str]
    seed: int
    presencePenalty: float
    frequencyPenalty: float
    responseMimeType: str
    responseSchema: Mapping[str, Any]
    responseJsonSchema: Mapping[str, Any]
    thinkingConfig: ThinkingConfig


class GenerateContentConfig(TypedDict, total=False):
    """The rest of a ``generateContent`` request beside ``contents``, in the REST API's names."""

    systemInstruction: ContentDict | Mapping[str, Any] | str
    generationConfig: GenerationConfig
    tools: Sequence[Mapping[str, Any]]
    toolConfig: Mapping[str, Any]
    safetySettings: Sequence[Mapping[str, Any]]
    cachedContent: str


def contents_of(contents: Contents) -> list[Any]:
    """The REST ``contents`` of a prompt: a string or strings become one user message."""
    if isinstance(contents, str):
        return [{"role": "user", "parts": [{"text": contents}]}]
    items: list[Any] = list(contents)
    if items and all(isinstance(item, str) for item in items):
        return [{"role": "user", "parts": [{"text": item} for item in items]}]
    return [
        {"role": "user", "parts": [{"text": item}]} if isinstance(item, str) else item
        for item in items
    ]


def instruction_of(instruction: object) -> object:
    """A ``systemInstruction``: a string becomes a Content of one text part."""
    if isinstance(instruction, str):
        return {"parts": [{"text": instruction}]}
    return instruction
