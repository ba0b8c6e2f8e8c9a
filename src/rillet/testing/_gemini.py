"""Generated Gemini ``generateContent`` streams, and the API's errors.

Sans-IO, like :mod:`rillet.testing._scenarios` (whose text, function arguments and thoughts it
reuses): the same request gives the same content. Frames are ``data: <json>`` and CRLF line
ends, in the JSON style of the API (a space after each colon, none after commas), with
``usageMetadata`` on every frame and ``finishReason`` on the last; an error is a bare,
pretty-printed JSON object, without ``data:``, as the API sends it.
"""

from __future__ import annotations

import base64
import json
import re
import secrets
import string
from collections.abc import Mapping
from typing import Any, Final, cast

from rillet.testing._scenarios import (
    _DEFAULT_TOOL,
    _INCOMPLETE_TOKENS,
    Scenario,
    _calls,
    _count,
    _summaries,
    answer_tokens,
)
from rillet.testing._schema import JSON_OBJECT_SCHEMA

__all__ = [
    "encode_gemini",
    "function_results",
    "gemini_error",
    "gemini_stream",
    "prompt_text",
]

_STATUSES: Final = {
    400: "INVALID_ARGUMENT",
    401: "UNAUTHENTICATED",
    403: "PERMISSION_DENIED",
    404: "NOT_FOUND",
    429: "RESOURCE_EXHAUSTED",
    499: "CANCELLED",
    500: "INTERNAL",
    503: "UNAVAILABLE",
    504: "DEADLINE_EXCEEDED",
}
OVERLOADED: Final = (503, "The model is overloaded. Please try again later.")
"""The error of the ``error`` scenario (mid-stream)."""
INTERNAL: Final = (
    500,
    "An internal error has occurred. Please retry or report in https://developers.generativeai.google/guide/troubleshooting",
)
"""The error of the ``failed`` scenario (the whole answer, HTTP 500)."""
_WORDS_PER_FRAME: Final = 4
_CATEGORIES: Final = (
    "HARM_CATEGORY_SEXUALLY_EXPLICIT",
    "HARM_CATEGORY_HATE_SPEECH",
    "HARM_CATEGORY_HARASSMENT",
    "HARM_CATEGORY_DANGEROUS_CONTENT",
)


def _field(mapping: Mapping[str, Any], name: str) -> Any:  # noqa: ANN401 - a JSON value
    """A field by its JSON name or its proto name (``maxOutputTokens``, ``max_output_tokens``).

    The API takes both, as proto3 JSON does (google-genai sends some fields snake_case).
    """
    if name in mapping:
        return mapping[name]
    return mapping.get(re.sub(r"[A-Z]", lambda m: "_" + m.group().lower(), name))


def prompt_text(request: Mapping[str, Any]) -> str:
    """The text of the request's ``contents`` (every text part, in order)."""
    texts: list[str] = []
    for content in request.get("contents") or ():
        if isinstance(content, dict):
            parts: list[dict[str, Any]] = cast("dict[str, Any]", content).get("parts") or []
            texts.extend(str(p["text"]) for p in parts if "text" in p)
    return " ".join(texts)


def _functions(request: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    """The request's function declarations, in the Responses shape (lower-case types)."""
    found: list[Mapping[str, Any]] = []
    for tool in request.get("tools") or ():
        declarations = _field(cast("dict[str, Any]", tool), "functionDeclarations") or ()
        for declaration in cast("list[dict[str, Any]]", declarations):
            schema = _field(declaration, "parametersJsonSchema") or declaration.get("parameters")
            parameters: object = _lower_types(schema) if schema else {"type": "object"}
            found.append(
                {"type": "function", "name": declaration["name"], "parameters": parameters}
            )
    return found


def _lower_types(schema: object) -> object:
    """A schema with the API's upper-case ``type`` names (``"OBJECT"``) in JSON schema's case."""
    if isinstance(schema, list):
        return [_lower_types(item) for item in cast("list[object]", schema)]
    if not isinstance(schema, dict):
        return schema
    return {
        key: value.lower() if key == "type" and isinstance(value, str) else _lower_types(value)
        for key, value in cast("dict[str, object]", schema).items()
    }


def _response_schema(config: Mapping[str, Any]) -> Mapping[str, Any] | None:
    """The schema of JSON output, if the request asks for JSON.

    ``responseJsonSchema`` or ``responseSchema``; some object for ``responseMimeType:
    application/json`` alone.
    """
    schema: object = _field(config, "responseJsonSchema") or _field(config, "responseSchema")
    if isinstance(schema, dict):
        return cast("dict[str, Any]", _lower_types(cast("dict[str, Any]", schema)))
    if _field(config, "responseMimeType") == "application/json":
        return JSON_OBJECT_SCHEMA
    return None


def function_results(request: Mapping[str, Any]) -> list[tuple[str, str]]:
    """(name, response) of the ``functionResponse`` parts of the last turn."""
    contents = [cast("dict[str, Any]", c) for c in request.get("contents") or ()]
    if not contents:
        return []
    parts = [cast("dict[str, Any]", p) for p in contents[-1].get("parts") or ()]
    results = [_field(p, "functionResponse") for p in parts]
    results = [cast("dict[str, Any]", r) for r in results if isinstance(r, dict)]
    return [
        (str(r.get("name")), json.dumps(r.get("response"), ensure_ascii=False)) for r in results
    ]


class _Candidate:
    """Writes one answer's frames, keeping its usage as the API does."""

    def __init__(self, request: Mapping[str, Any], model: str) -> None:
        alphabet = string.ascii_letters + string.digits + "-_"
        self.model = model
        self.response_id = "".join(secrets.choice(alphabet) for _ in range(23))
        self.prompt_tokens = _count(prompt_text(request))
        self.candidates_tokens = 0
        self.thoughts_tokens = 0
        self.frames: list[dict[str, Any]] = []

    def usage(self) -> dict[str, Any]:
        usage: dict[str, Any] = {"promptTokenCount": self.prompt_tokens}
        if self.candidates_tokens:
            usage["candidatesTokenCount"] = self.candidates_tokens
        total = self.prompt_tokens + self.candidates_tokens + self.thoughts_tokens
        usage["totalTokenCount"] = total
        usage["promptTokensDetails"] = [{"modality": "TEXT", "tokenCount": self.prompt_tokens}]
        if self.thoughts_tokens:
            usage["thoughtsTokenCount"] = self.thoughts_tokens
        return usage

    def frame(self, parts: list[dict[str, Any]], finish: str | None = None) -> None:
        candidate: dict[str, Any] = {"content": {"parts": parts, "role": "model"}}
        if finish is not None:
            candidate["finishReason"] = finish
        candidate["index"] = 0
        self.frames.append(self._wrap({"candidates": [candidate]}))

    def _wrap(self, payload: dict[str, Any]) -> dict[str, Any]:
        return {
            **payload,
            "usageMetadata": self.usage(),
            "modelVersion": self.model,
            "responseId": self.response_id,
        }

    def thoughts(self, summaries: list[str]) -> None:
        for summary in summaries:
            self.thoughts_tokens += 4 * _count(summary)
            self.frame([{"text": summary + "\n\n\n", "thought": True}])

    def text(self, tokens: list[str], *, finish: str | None, signed: bool = False) -> None:
        frames = [
            "".join(tokens[i : i + _WORDS_PER_FRAME])
            for i in range(0, len(tokens), _WORDS_PER_FRAME)
        ] or [""]
        for number, text in enumerate(frames):
            self.candidates_tokens += _count(text)
            part: dict[str, Any] = {"text": text}
            if signed and number == 0:
                part["thoughtSignature"] = _signature()
            self.frame([part], finish if number == len(frames) - 1 else None)

    def calls(self, calls: list[tuple[str, str]], *, signed: bool) -> None:
        parts: list[dict[str, Any]] = []
        for name, arguments in calls:
            part: dict[str, Any] = {"functionCall": {"name": name, "args": json.loads(arguments)}}
            if signed and not parts:
                part["thoughtSignature"] = _signature()
            parts.append(part)
            self.candidates_tokens += _count(arguments)
        self.frame(parts, "STOP")

    def blocked(self) -> None:
        ratings = [
            {"category": c, "probability": "HIGH" if n == 1 else "NEGLIGIBLE"}
            for n, c in enumerate(_CATEGORIES)
        ]
        feedback = {"blockReason": "SAFETY", "safetyRatings": ratings}
        self.frames.append(self._wrap({"promptFeedback": feedback}))


def _signature() -> str:
    return base64.b64encode(secrets.token_bytes(120)).decode()


def gemini_stream(
    scenario: Scenario, request: Mapping[str, Any], model: str
) -> list[dict[str, Any]]:
    """The frames of a ``streamGenerateContent`` answer to ``request`` in ``scenario``.

    ``function_call`` and ``parallel_function_calls`` call the request's function
    declarations (``args`` follow their schema); ``reasoning`` (or ``thinkingConfig``
    with ``includeThoughts``) adds thought summaries and a ``thoughtSignature``; ``refusal``
    blocks the prompt (``promptFeedback.blockReason``); ``incomplete``, or a text longer than
    ``maxOutputTokens`` words, ends with ``MAX_TOKENS``; ``error`` ends with a bare error object
    after two frames (``failed`` is an HTTP 500: see :data:`INTERNAL`). A request that hands
    function responses back is answered with text that quotes them.
    """
    prompt = prompt_text(request)
    writer = _Candidate(request, model)
    if scenario == "refusal":
        writer.blocked()
        return writer.frames
    config: Mapping[str, Any] = _field(request, "generationConfig") or {}
    thinking: Mapping[str, Any] = _field(config, "thinkingConfig") or {}
    thoughtful = scenario == "reasoning" or bool(_field(thinking, "includeThoughts"))
    if thoughtful:
        writer.thoughts(_summaries(prompt))
    results = function_results(request)
    if not results and scenario in ("function_call", "parallel_function_calls"):
        count = 1 if scenario == "function_call" else 2
        functions = _functions(request) or [_DEFAULT_TOOL]
        writer.calls(_calls({"tools": functions}, prompt, count), signed=thoughtful)
        return writer.frames
    tokens = answer_tokens(prompt, results, _response_schema(config))
    limit = _field(config, "maxOutputTokens")
    if scenario == "incomplete":
        limit = min(limit, _INCOMPLETE_TOKENS) if isinstance(limit, int) else _INCOMPLETE_TOKENS
    if scenario == "error":
        writer.text(tokens[: 2 * _WORDS_PER_FRAME], finish=None, signed=thoughtful)
        code, message = OVERLOADED
        return [*writer.frames, _error_object(code, message)]
    if isinstance(limit, int) and len(tokens) > limit:
        writer.text(tokens[:limit], finish="MAX_TOKENS", signed=thoughtful)
    else:
        writer.text(tokens, finish="STOP", signed=thoughtful)
    return writer.frames


def _error_object(code: int, message: str) -> dict[str, Any]:
    status = _STATUSES.get(code, "INTERNAL" if code >= 500 else "INVALID_ARGUMENT")
    return {"error": {"code": code, "message": message, "status": status}}


def encode_gemini(frames: list[dict[str, Any]]) -> bytes:
    """Frame as the API does: ``data: <json>`` + CRLF CRLF; an error object bare, pretty."""
    out: list[str] = []
    for frame in frames:
        if "error" in frame:
            out.append(json.dumps(frame, indent=2, ensure_ascii=False) + "\n")
        else:
            out.append(f"data: {json.dumps(frame, separators=(',', ': '), ensure_ascii=False)}")
            out.append("\r\n\r\n")
    return "".join(out).encode()


def gemini_error(code: int, message: str) -> bytes:
    """The API's error body: pretty-printed JSON, as the API sends it."""
    return json.dumps(_error_object(code, message), indent=2).encode() + b"\n"
