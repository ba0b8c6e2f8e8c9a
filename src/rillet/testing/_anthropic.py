"""Generated Anthropic Messages streams, and the API's errors.

Sans-IO, like :mod:`rillet.testing._scenarios` (whose text, tool arguments and thinking it
reuses): the same request gives the same content. The events have the API's order, fields and
framing (``event: <type>`` + compact JSON ``data:``, a ``ping`` after the first block starts).
"""

from __future__ import annotations

import base64
import json
import secrets
import string
from collections.abc import Mapping
from typing import Any, Final, cast

from rillet.testing._scenarios import (
    _DEFAULT_TOOL,
    _INCOMPLETE_TOKENS,
    _REFUSAL,
    Scenario,
    _calls,
    _count,
    _pieces,
    _summaries,
    _tokens,
    answer_tokens,
    request_text,
)

__all__ = ["anthropic_error", "encode_messages", "message_stream", "tool_results"]

_ERROR_TYPES: Final = {
    400: "invalid_request_error",
    401: "authentication_error",
    403: "permission_error",
    404: "not_found_error",
    413: "request_too_large",
    429: "rate_limit_error",
    529: "overloaded_error",
}
OVERLOADED: Final = {"type": "overloaded_error", "message": "Overloaded"}
"""The error of the ``error`` scenario (sent mid-stream, or as an HTTP 529)."""
_API_ERROR: Final = {"type": "api_error", "message": "Internal server error"}


def _base62_id(prefix: str) -> str:
    alphabet = string.ascii_letters + string.digits
    return prefix + "01" + "".join(secrets.choice(alphabet) for _ in range(22))


def _tools(request: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    """The request's client tools (those with an ``input_schema``), in the Responses shape."""
    tools = [cast("dict[str, Any]", t) for t in request.get("tools") or () if isinstance(t, dict)]
    return [
        {"type": "function", "name": t.get("name", ""), "parameters": t["input_schema"]}
        for t in tools
        if isinstance(t.get("input_schema"), dict)
    ]


def tool_results(request: Mapping[str, Any]) -> list[tuple[str, str]]:
    """(tool name, result) of the ``tool_result`` blocks of the last user message."""
    listed: list[Any] = request.get("messages") or []
    messages = [cast("dict[str, Any]", m) for m in listed if isinstance(m, dict)]
    names: dict[str, str] = {}
    pending: list[tuple[str, str]] = []
    for message in messages:
        content: object = message.get("content")
        listed = cast("list[object]", content) if isinstance(content, list) else []
        blocks = [cast("dict[str, Any]", b) for b in listed if isinstance(b, dict)]
        if message.get("role") == "assistant":
            names.update({str(b.get("id")): str(b.get("name")) for b in blocks})
            pending = []
            continue
        pending = [
            (str(b.get("tool_use_id")), _result_text(b.get("content")))
            for b in blocks
            if b.get("type") == "tool_result"
        ]
    return [(names.get(tool_id, tool_id), result) for tool_id, result in pending]


def _result_text(content: object) -> str:
    if isinstance(content, list):
        blocks = [cast("dict[str, Any]", b) for b in cast("list[object]", content)]
        return " ".join(str(b.get("text", "")) for b in blocks)
    return str(content)


def _output_schema(request: Mapping[str, Any]) -> Mapping[str, Any] | None:
    """The JSON schema of structured output, if the request asks for it.

    In ``output_config.format``, or the beta's ``output_format``.
    """
    config: Mapping[str, Any] = request.get("output_config") or {}
    found: Mapping[str, Any] = config.get("format") or request.get("output_format") or {}
    schema: object = found.get("schema")
    if found.get("type") != "json_schema" or not isinstance(schema, dict):
        return None
    return cast("dict[str, Any]", schema)


def _wants_thinking(request: Mapping[str, Any]) -> bool:
    thinking: object = request.get("thinking")
    return isinstance(thinking, dict) and cast("dict[str, Any]", thinking).get("type") in (
        "enabled",
        "adaptive",
    )


class _Message:
    """Writes one message's events, keeping its usage as the API does."""

    def __init__(self, request: Mapping[str, Any]) -> None:
        self.events: list[dict[str, Any]] = []
        self.blocks = 0
        self.output_tokens = 0
        self.usage: dict[str, Any] = {
            "input_tokens": _count(request_text(request)),
            "cache_creation_input_tokens": 0,
            "cache_read_input_tokens": 0,
            "output_tokens": 1,
            "service_tier": "standard",
        }
        message: dict[str, Any] = {
            "model": request.get("model", "rillet-text"),
            "id": _base62_id("msg_"),
            "type": "message",
            "role": "assistant",
            "content": [],
            "stop_reason": None,
            "stop_sequence": None,
            "usage": dict(self.usage),
        }
        self.events.append({"type": "message_start", "message": message})

    def block(self, start: dict[str, Any], deltas: list[dict[str, Any]]) -> None:
        index = self.blocks
        self.blocks += 1
        self.events.append({"type": "content_block_start", "index": index, "content_block": start})
        if index == 0:
            self.events.append({"type": "ping"})
        for delta in deltas:
            self.events.append({"type": "content_block_delta", "index": index, "delta": delta})
        self.events.append({"type": "content_block_stop", "index": index})

    def text(self, tokens: list[str]) -> None:
        deltas = [{"type": "text_delta", "text": token} for token in tokens]
        self.block({"type": "text", "text": ""}, deltas)
        self.output_tokens += len(tokens)

    def thinking(self, text: str) -> None:
        tokens = _tokens(text)
        deltas = [{"type": "thinking_delta", "thinking": token} for token in tokens]
        signature = base64.b64encode(secrets.token_bytes(180)).decode()
        deltas.append({"type": "signature_delta", "signature": signature})
        self.block({"type": "thinking", "thinking": "", "signature": ""}, deltas)
        self.output_tokens += 4 * len(tokens)  # the hidden thinking is longer than shown

    def tool_use(self, name: str, arguments: str) -> None:
        start: dict[str, Any] = {"type": "tool_use", "id": _base62_id("toolu_"), "name": name}
        start["input"] = {}
        pieces = ["", *_pieces(arguments, 11)]  # an empty first chunk, then cut anywhere
        self.block(start, [{"type": "input_json_delta", "partial_json": p} for p in pieces])
        self.output_tokens += len(pieces)

    def error(self, error: Mapping[str, str]) -> list[dict[str, Any]]:
        self.events.append({"type": "error", "error": dict(error)})
        return self.events

    def finish(self, stop_reason: str) -> list[dict[str, Any]]:
        delta = {"stop_reason": stop_reason, "stop_sequence": None}
        usage = {"output_tokens": max(1, self.output_tokens)}
        self.events.append({"type": "message_delta", "delta": delta, "usage": usage})
        self.events.append({"type": "message_stop"})
        return self.events


def message_stream(  # noqa: C901 - one branch per scenario
    scenario: Scenario, request: Mapping[str, Any]
) -> list[dict[str, Any]]:
    """The events of a Messages stream for ``request`` in ``scenario``.

    ``function_call`` and ``parallel_function_calls`` call the request's tools (arguments
    follow their ``input_schema``); ``reasoning`` (or ``thinking`` enabled in the request) adds
    a thinking block with its signature; ``refusal`` stops with ``refusal``; ``incomplete``, or
    a text longer than ``max_tokens`` words, stops with ``max_tokens``; ``error`` sends an
    ``overloaded_error`` event after a few words, ``failed`` an ``api_error`` before any.
    A request that hands tool results back is answered with text that quotes them.
    """
    prompt = request_text(request)
    writer = _Message(request)
    if scenario == "failed":
        return writer.error(_API_ERROR)
    results = tool_results(request)
    tools = _tools(request)
    calls = 0
    if not results and scenario in ("function_call", "parallel_function_calls"):
        calls = 1 if scenario == "function_call" else 2
        if request.get("tool_choice", {}).get("disable_parallel_tool_use"):
            calls = 1
    if scenario == "reasoning" or _wants_thinking(request):
        writer.thinking("\n\n".join(_summaries(prompt)))
    if calls:
        # tool_choice {"type": "tool", "name": ...} names the tool as the Responses API's does
        chosen = _calls({**request, "tools": tools or [_DEFAULT_TOOL]}, prompt, calls)
        names = " and ".join(sorted({name for name, _ in chosen}))
        writer.text(_tokens(f"I'll use {names} for this."))
        for name, arguments in chosen:
            writer.tool_use(name, json.dumps(json.loads(arguments), ensure_ascii=False))
        return writer.finish("tool_use")
    if scenario == "refusal":
        writer.text(_tokens(_REFUSAL))
        return writer.finish("refusal")
    tokens = answer_tokens(prompt, results, _output_schema(request))
    limit = request.get("max_tokens")
    if scenario == "incomplete":
        limit = min(limit, _INCOMPLETE_TOKENS) if isinstance(limit, int) else _INCOMPLETE_TOKENS
    if scenario == "error":
        writer.text(tokens[:3])
        return writer.error(OVERLOADED)
    if isinstance(limit, int) and len(tokens) > limit:
        writer.text(tokens[:limit])
        return writer.finish("max_tokens")
    writer.text(tokens)
    return writer.finish("end_turn")


def encode_messages(events: list[dict[str, Any]]) -> bytes:
    """Frame events as the API does: ``event: <type>`` and one compact ``data:`` line."""
    out: list[str] = []
    for event in events:
        if event["type"] == "ping":
            data = '{"type": "ping"}'  # the API's ping comes from another serializer
        else:
            data = json.dumps(event, separators=(",", ":"), ensure_ascii=False)
        out.append(f"event: {event['type']}\ndata: {data}\n\n")
    return "".join(out).encode()


def anthropic_error(
    status: int, error: Mapping[str, str] | None = None, message: str = ""
) -> bytes:
    """The API's error body for ``status`` (or for ``error``: its type and message)."""
    if error is None:
        kind = _ERROR_TYPES.get(status, "api_error" if status >= 500 else "invalid_request_error")
        error = {"type": kind, "message": message}
    body = {"type": "error", "error": dict(error), "request_id": _base62_id("req_")}
    return json.dumps(body, separators=(",", ":")).encode()
