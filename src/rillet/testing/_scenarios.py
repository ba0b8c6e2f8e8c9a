"""Generated streams: what the emulator answers when no recording is asked for.

Sans-IO and deterministic in their content: the same request gives the same text, calls and
token counts (ids and timestamps are fresh, as the API's are). Each scenario produces the events
the API sends for that case, in its order, with its fields and sequence numbers.
"""

from __future__ import annotations

import json
import random
import secrets
import string
import time
import zlib
from collections.abc import Mapping
from typing import Any, Final, Literal, cast, get_args

from rillet.testing._schema import JSON_OBJECT_SCHEMA, json_document, json_pieces, seed_of

__all__ = [
    "SCENARIOS",
    "Scenario",
    "answer_tokens",
    "chat_stream",
    "encode",
    "request_text",
    "response_stream",
]

Scenario = Literal[
    "text",
    "function_call",
    "parallel_function_calls",
    "reasoning",
    "refusal",
    "incomplete",
    "failed",
    "error",
]
"""The name of a stream the emulator generates: what the response does."""

SCENARIOS: Final[tuple[Scenario, ...]] = get_args(Scenario)
"""The scenarios the emulator generates, by name (asked for as ``model="rillet-<name>"``)."""

_SENTENCES: Final = (
    "A stream is a promise kept one small piece at a time.",
    "Each event says exactly what changed, and nothing more.",
    "The first word matters most, because it tells the reader the answer is on its way.",
    "Handlers see their events in order, even when they run side by side.",
    "When a consumer is slow, the producer waits instead of piling up memory.",
    "A truncated stream is not a finished one, and the difference deserves a name.",
    "Deltas add up to the same text that the done event finally states.",
    "Good errors say what went wrong, where it happened, and what was already received.",
    "Replaying a recording should look exactly like the original, byte for byte.",
    "Backpressure is politeness between two parts of a program.",
    "Under asyncio or trio, the same code streams the same way.",
    "Nothing that arrived is lost when the connection drops halfway.",
    "Sequence numbers let a reader resume precisely where it stopped.",
    "Small modules with one job each are easier to trust.",
    "A good emulator makes the real service boring to test against.",
    "The final response is just the sum of its events, checked as it grows.",
)
_REFUSAL: Final = "I'm sorry, but I can't help with that."
_DEFAULT_TOOL: Final = {
    "type": "function",
    "name": "get_weather",
    "description": "The current weather in a city.",
    "parameters": {
        "type": "object",
        "properties": {"city": {"type": "string"}},
        "required": ["city"],
        "additionalProperties": False,
    },
    "strict": True,
}
_PLACES: Final = ("Paris", "Tokyo", "Lagos", "Lima")
_INCOMPLETE_TOKENS: Final = 16


def request_text(request: Mapping[str, Any]) -> str:
    """The text a request gives the model: its ``input`` (Responses) or ``messages`` (Chat)."""
    parts: list[str] = []

    def collect(value: object) -> None:
        if isinstance(value, str):
            parts.append(value)
        elif isinstance(value, list):
            for item in cast("list[object]", value):
                collect(item)
        elif isinstance(value, dict):
            mapping = cast("dict[str, object]", value)
            for key in ("text", "content"):
                collect(mapping.get(key))

    collect(request.get("input", request.get("messages")))
    return " ".join(parts)


def _answer(prompt: str) -> str:
    """A few sentences, chosen and ordered by the prompt."""
    chooser = random.Random(zlib.crc32(prompt.encode()))  # noqa: S311 - not for security
    return " ".join(chooser.sample(_SENTENCES, 5))


def _reply(request: Mapping[str, Any], prompt: str, history: list[Any]) -> list[str]:
    """The deltas of the text answer to a Responses or Chat request (see :func:`answer_tokens`)."""
    size = _knob(request, "rillet_json_bytes") or 0
    outputs = _tool_outputs(request, history)
    return answer_tokens(prompt, outputs, _format_schema(request), size=size)


def answer_tokens(
    prompt: str,
    results: list[tuple[str, str]],
    schema: Mapping[str, Any] | None,
    *,
    size: int = 0,
) -> list[str]:
    """The deltas of a text answer: JSON when there is a schema to follow, else words.

    Either quotes the tool ``results`` ((name, output) pairs) handed back, if any.
    """
    quote = "; ".join(f"{name} returned {output}" for name, output in results) or None
    if schema is None:
        return _tokens(f"From the tools: {quote}. {_answer(prompt)}" if quote else _answer(prompt))
    seed = seed_of(prompt, schema)
    document = json_document(schema, seed, size=size, words=_names(prompt), quote=quote)
    return json_pieces(json.dumps(document, ensure_ascii=False), seed)


def _format_schema(request: Mapping[str, Any]) -> Mapping[str, Any] | None:
    """The schema the answer must follow (``text.format`` or chat's ``response_format``)."""
    text: Mapping[str, Any] = request.get("text") or {}
    found: Mapping[str, Any] = text.get("format") or request.get("response_format") or {}
    if found.get("type") == "json_object":
        return JSON_OBJECT_SCHEMA
    if found.get("type") != "json_schema":
        return None
    nested: Mapping[str, Any] = found.get("json_schema") or found  # chat nests it
    schema = nested.get("schema")
    return cast("Mapping[str, Any]", schema) if isinstance(schema, dict) else {}


def needs_generating(request: Mapping[str, Any]) -> bool:
    """Whether no recording can answer ``request``.

    It asks for JSON of a format, goes on from a previous response, or hands tool outputs back.
    """
    return (
        _format_schema(request) is not None
        or request.get("previous_response_id") is not None
        or bool(_tool_outputs(request, []))
    )


def _knob(request: Mapping[str, Any], name: str) -> int | None:
    """A number asked for in the request's ``metadata`` (a string, as metadata values are)."""
    metadata: Mapping[str, Any] = request.get("metadata") or {}
    try:
        return int(metadata[name])
    except (KeyError, TypeError, ValueError):
        return None


def _tool_outputs(request: Mapping[str, Any], history: list[Any]) -> list[tuple[str, str]]:
    """(tool name, output) of the tool results the request hands back.

    They are the ``function_call_output`` items (Responses) or ``tool`` messages (Chat) after
    the conversation's last message. Names come from the calls, in the request or its history.
    """
    items = request.get("input", request.get("messages"))
    if not isinstance(items, list):
        return []
    everything: list[object] = [*history, *cast("list[object]", items)]
    conversation = [cast("dict[str, Any]", i) for i in everything if isinstance(i, dict)]
    names: dict[str, str] = {}
    pending: list[tuple[str, str]] = []
    for item in conversation:
        if item.get("type") == "function_call":
            names[str(item.get("call_id"))] = str(item.get("name"))
        calls: list[dict[str, Any]] = item.get("tool_calls") or []
        for call in calls:
            function: dict[str, Any] = call.get("function") or {}
            names[str(call.get("id"))] = str(function.get("name"))
        if item.get("role") in ("user", "assistant"):
            pending = []  # a new question, or the outputs already answered
        elif item.get("type") == "function_call_output":
            pending.append((str(item.get("call_id")), _output_text(item.get("output"))))
        elif item.get("role") == "tool":
            pending.append((str(item.get("tool_call_id")), _output_text(item.get("content"))))
    return [(names.get(call_id, call_id), output) for call_id, output in pending]


def _output_text(output: object) -> str:
    """A tool output as text (a string, or a list of content parts)."""
    if isinstance(output, list):
        parts: list[Mapping[str, Any]] = [
            cast("dict[str, Any]", p) for p in cast("list[object]", output) if isinstance(p, dict)
        ]
        return " ".join(str(p.get("text", "")) for p in parts)
    return str(output)


def _tokens(text: str) -> list[str]:
    """Word by word, each after its space, as the API's deltas come."""
    words = text.split(" ")
    return [words[0], *(f" {word}" for word in words[1:])]


def _pieces(text: str, size: int = 6) -> list[str]:
    return [text[i : i + size] for i in range(0, len(text), size)] or [""]


def _count(text: str) -> int:
    return max(1, len(text.split()))


def _hex_id(prefix: str) -> str:
    return prefix + secrets.token_hex(25)


def _call_id() -> str:
    alphabet = string.ascii_letters + string.digits
    return "call_" + "".join(secrets.choice(alphabet) for _ in range(24))


def _names(prompt: str) -> tuple[str, ...]:
    """Names in the prompt (capitalized words, past the first): plausible argument values."""
    names = [w.strip(".,;:!?\"'") for w in prompt.split()[1:] if w[:1].isupper()]
    return tuple(w for w in names if len(w) > 1) or _PLACES


def _call_count(request: Mapping[str, Any], scenario: Scenario) -> int:
    """How many calls: 1, or 2 for ``parallel_function_calls``.

    ``metadata.rillet_tool_calls`` asks for another number; ``parallel_tool_calls: false``
    and ``max_tool_calls`` cap it.
    """
    if scenario not in ("function_call", "parallel_function_calls"):
        return 0
    count = _knob(request, "rillet_tool_calls") or (2 if scenario != "function_call" else 1)
    if request.get("parallel_tool_calls") is False:
        count = 1
    cap = request.get("max_tool_calls")
    return max(1, min(count, cap)) if isinstance(cap, int) else max(1, count)


def _calls(request: Mapping[str, Any], prompt: str, count: int) -> list[tuple[str, str]]:
    """(name, arguments) of ``count`` calls to the request's function tools (or a default).

    The arguments validate against each tool's ``parameters``; a ``tool_choice`` naming a
    function calls that one.
    """
    tools = _functions(request) or [_DEFAULT_TOOL]
    choice: object = request.get("tool_choice")
    if isinstance(choice, dict):
        chosen = cast("dict[str, Any]", choice)
        name = (chosen.get("function") or chosen).get("name")
        tools = [t for t in tools if t.get("name") == name] or tools
    words = _names(prompt)
    calls: list[tuple[str, str]] = []
    for index in range(count):
        tool = tools[index % len(tools)]
        schema: Mapping[str, Any] = tool.get("parameters") or {"type": "object"}
        rotated = words[index % len(words) :] + words[: index % len(words)]
        seed = seed_of(prompt, tool["name"], index)
        arguments = json_document(schema, seed, size=1, words=rotated)
        arguments_text = json.dumps(arguments, separators=(",", ":"), ensure_ascii=False)
        calls.append((tool["name"], arguments_text))
    return calls


def _functions(request: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    """The request's function tools, in the Responses shape (Chat nests them in ``function``)."""
    tools = [cast("dict[str, Any]", t) for t in request.get("tools") or () if isinstance(t, dict)]
    return [t.get("function", t) for t in tools if t.get("type") == "function"]


# -- the Responses API --------------------------------------------------------------------------


class _Responses:
    """Writes one response's events, keeping its state as the API does."""

    def __init__(self, request: Mapping[str, Any]) -> None:
        self.events: list[dict[str, Any]] = []
        self.output: list[dict[str, Any]] = []
        self.background = bool(request.get("background"))
        tools = [dict(tool) for tool in _functions(request)]
        self.response: dict[str, Any] = {
            "id": _hex_id("resp_"),
            "object": "response",
            "created_at": int(time.time()),
            "status": "queued" if self.background else "in_progress",
            "background": self.background,
            "error": None,
            "incomplete_details": None,
            "instructions": request.get("instructions"),
            "max_output_tokens": request.get("max_output_tokens"),
            "max_tool_calls": request.get("max_tool_calls"),
            "model": request.get("model", "rillet-text"),
            "output": [],
            "parallel_tool_calls": request.get("parallel_tool_calls", True),
            "previous_response_id": request.get("previous_response_id"),
            "reasoning": request.get("reasoning") or {"effort": None, "summary": None},
            "service_tier": "default",
            "store": request.get("store", True),
            "temperature": request.get("temperature", 1.0),
            "text": request.get("text") or {"format": {"type": "text"}, "verbosity": "medium"},
            "tool_choice": request.get("tool_choice", "auto"),
            "tools": tools,
            "top_p": request.get("top_p", 1.0),
            "truncation": request.get("truncation", "disabled"),
            "usage": None,
            "user": None,
            "metadata": request.get("metadata") or {},
        }
        self.input_tokens = _count(request_text(request))
        self.output_tokens = 0
        self.reasoning_tokens = 0

    def emit(self, kind: str, **fields: Any) -> None:  # noqa: ANN401
        self.events.append({"type": kind, "sequence_number": len(self.events), **fields})

    def start(self) -> None:
        self.emit("response.created", response=dict(self.response))
        if self.background:
            self.emit("response.queued", response=dict(self.response))
            self.response["status"] = "in_progress"
        self.emit("response.in_progress", response=dict(self.response))

    def message(
        self, tokens: list[str], *, refusal: bool = False, limit: int | None = None
    ) -> bool:
        """Stream a message, delta by delta; False when ``limit`` cuts it short (incomplete)."""
        complete = limit is None or len(tokens) <= limit
        tokens = tokens if complete else tokens[:limit]
        item: dict[str, Any] = {
            "id": _hex_id("msg_"),
            "type": "message",
            "status": "in_progress",
            "content": [],
            "role": "assistant",
        }
        index = self._add(item)
        where = {"item_id": item["id"], "output_index": index, "content_index": 0}
        kind = "refusal" if refusal else "output_text"
        empty = {"type": "refusal", "refusal": ""} if refusal else _text_part("")
        self.emit("response.content_part.added", **where, part=empty)
        for token in tokens:
            extra: dict[str, Any] = (
                {} if refusal else {"logprobs": [], "obfuscation": _padding(token)}
            )
            self.emit(f"response.{kind}.delta", **where, delta=token, **extra)
        streamed = "".join(tokens)
        if refusal:
            self.emit("response.refusal.done", **where, refusal=streamed)
            part = {"type": "refusal", "refusal": streamed}
        else:
            self.emit("response.output_text.done", **where, text=streamed, logprobs=[])
            part = _text_part(streamed)
        self.emit("response.content_part.done", **where, part=part)
        self._done(index, {**item, "status": "completed" if complete else "incomplete"}, [part])
        self.output_tokens += len(tokens)
        return complete

    def function_call(self, name: str, arguments: str) -> None:
        item = {
            "id": _hex_id("fc_"),
            "type": "function_call",
            "status": "in_progress",
            "arguments": "",
            "call_id": _call_id(),
            "name": name,
        }
        index = self._add(item)
        where = {"item_id": item["id"], "output_index": index}
        for piece in _pieces(arguments):
            self.emit("response.function_call_arguments.delta", **where, delta=piece)
        self.emit("response.function_call_arguments.done", **where, arguments=arguments)
        self._done(index, {**item, "status": "completed", "arguments": arguments})
        self.output_tokens += len(_pieces(arguments))

    def reasoning(self, summaries: list[str]) -> None:
        item: dict[str, Any] = {"id": _hex_id("rs_"), "type": "reasoning", "summary": []}
        index = self._add(item)
        parts: list[dict[str, str]] = []
        for number, summary in enumerate(summaries):
            where = {"item_id": item["id"], "output_index": index, "summary_index": number}
            empty = {"type": "summary_text", "text": ""}
            self.emit("response.reasoning_summary_part.added", **where, part=empty)
            for token in _tokens(summary):
                delta = {"delta": token, "obfuscation": _padding(token)}
                self.emit("response.reasoning_summary_text.delta", **where, **delta)
            self.emit("response.reasoning_summary_text.done", **where, text=summary)
            part = {"type": "summary_text", "text": summary}
            self.emit("response.reasoning_summary_part.done", **where, part=part)
            parts.append(part)
        self.reasoning_tokens = _reasoning_tokens(summaries)
        self._done(index, {**item, "summary": parts})

    def finish(self, status: str, **fields: Any) -> None:  # noqa: ANN401
        output = self.output_tokens + self.reasoning_tokens
        usage = {
            "input_tokens": self.input_tokens,
            "input_tokens_details": {"cached_tokens": 0},
            "output_tokens": output,
            "output_tokens_details": {"reasoning_tokens": self.reasoning_tokens},
            "total_tokens": self.input_tokens + output,
        }
        self.response.update(status=status, output=self.output, usage=usage, **fields)
        self.emit(f"response.{status}", response=self.response)

    def _add(self, item: dict[str, Any]) -> int:
        index = len(self.output)
        self.output.append(item)
        self.emit("response.output_item.added", output_index=index, item=dict(item))
        return index

    def _done(self, index: int, item: dict[str, Any], content: list[Any] | None = None) -> None:
        if content is not None:
            item["content"] = content
        self.output[index] = item
        self.emit("response.output_item.done", output_index=index, item=item)


def _text_part(text: str) -> dict[str, Any]:
    return {"type": "output_text", "annotations": [], "logprobs": [], "text": text}


def _padding(token: str) -> str:
    """The ``obfuscation`` field: random padding that hides the token's length."""
    return secrets.token_urlsafe(12)[: max(1, 16 - len(token))]


def _summaries(prompt: str) -> list[str]:
    words = prompt.split()
    topic = " ".join(words[:12]) + (" ..." if len(words) > 12 else "")
    return [
        f'**Reading the question**\n\nThe question is "{topic}". A few sentences will do.',
        "**Planning the answer**\n\nI'll keep it to a handful of plain sentences.",
    ]


def _reasoning_tokens(summaries: list[str]) -> int:
    """The hidden reasoning is longer than its summary."""
    return 4 * sum(_count(summary) for summary in summaries)


def response_stream(  # noqa: C901 - one branch per scenario
    scenario: Scenario, request: Mapping[str, Any], history: list[Any] | None = None
) -> list[dict[str, Any]]:
    """The events of a Responses stream for ``request`` in ``scenario``.

    ``history`` is the conversation before it (the items of the ``previous_response_id``
    chain): a request that hands tool outputs back is answered with text that quotes them,
    whatever the scenario, so that a tool loop ends.
    """
    history = history or []
    prompt = request_text(request)
    calls = 0 if _tool_outputs(request, history) else _call_count(request, scenario)
    if scenario in ("function_call", "parallel_function_calls") and not calls:
        scenario = "text"
    if calls and not _functions(request):
        request = {**request, "tools": [_DEFAULT_TOOL]}
    writer = _Responses(request)
    writer.start()
    if scenario == "failed":
        error = {"code": "server_error", "message": "The model failed to generate a response."}
        writer.finish("failed", error=error)
        return writer.events
    if scenario == "error":
        message = "The server had an error while processing your request."
        writer.emit("error", code="server_error", message=message, param=None)
        return writer.events
    if calls:
        for name, arguments in _calls(request, prompt, calls):
            writer.function_call(name, arguments)
    elif scenario == "refusal":
        writer.message(_tokens(_REFUSAL), refusal=True)
    else:
        if scenario == "reasoning":
            writer.reasoning(_summaries(prompt))
        limit = request.get("max_output_tokens")
        if scenario == "incomplete":
            limit = limit or _INCOMPLETE_TOKENS
        if not writer.message(_reply(request, prompt, history), limit=limit):
            writer.finish("incomplete", incomplete_details={"reason": "max_output_tokens"})
            return writer.events
    writer.finish("completed")
    return writer.events


# -- Chat Completions ---------------------------------------------------------------------------


def chat_stream(  # noqa: C901, PLR0915 - one branch per scenario
    scenario: Scenario, request: Mapping[str, Any]
) -> list[dict[str, Any] | str]:
    """The chunks of a Chat Completions stream for ``request`` in ``scenario``, then ``[DONE]``.

    Chat has no reasoning items: ``reasoning`` answers with text and counts reasoning tokens;
    ``failed`` and ``error`` send the ``{"error": ...}`` payload the API sends mid-stream.
    """
    prompt = request_text(request)
    alphabet = string.ascii_letters + string.digits
    base = {
        "id": "chatcmpl-" + "".join(secrets.choice(alphabet) for _ in range(29)),
        "object": "chat.completion.chunk",
        "created": int(time.time()),
        "model": request.get("model", "rillet-text"),
        "service_tier": "default",
        "system_fingerprint": "fp_" + secrets.token_hex(5),
    }
    stream_options: Mapping[str, Any] = request.get("stream_options") or {}
    usage_wanted = bool(stream_options.get("include_usage"))

    def chunk(delta: dict[str, Any], finish: str | None = None) -> dict[str, Any]:
        choice = {"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish}
        extra = {"usage": None} if usage_wanted else {}
        return {**base, "choices": [choice], **extra}

    chunks: list[dict[str, Any] | str] = []
    completion = 0
    limit = request.get("max_completion_tokens") or request.get("max_tokens")
    if scenario == "incomplete":
        limit = limit or _INCOMPLETE_TOKENS
    count = 0 if _tool_outputs(request, []) else _call_count(request, scenario)
    if scenario in ("function_call", "parallel_function_calls") and not count:
        scenario = "text"
    if count:
        chunks.append(chunk({"role": "assistant", "content": None}))
        calls = _calls(request, prompt, count)
        for index, (name, arguments) in enumerate(calls):
            opening = {"name": name, "arguments": ""}
            call = {"index": index, "id": _call_id(), "type": "function", "function": opening}
            chunks.append(chunk({"tool_calls": [call]}))
            for piece in _pieces(arguments):
                more = {"index": index, "function": {"arguments": piece}}
                chunks.append(chunk({"tool_calls": [more]}))
                completion += 1
        finish = "tool_calls"
    else:
        field = "refusal" if scenario == "refusal" else "content"
        whole = _tokens(_REFUSAL) if scenario == "refusal" else _reply(request, prompt, [])
        tokens = whole
        if scenario in ("failed", "error"):
            tokens = tokens[:3]
        elif limit is not None:
            tokens = tokens[:limit]
        first = {"role": "assistant", "content": None, "refusal": ""}
        chunks.append(chunk(first if field == "refusal" else {**first, "content": ""}))
        chunks.extend(chunk({field: token}) for token in tokens)
        completion = len(tokens)
        if scenario in ("failed", "error"):
            message = "The server had an error while processing your request."
            error = {"message": message, "type": "server_error", "param": None, "code": None}
            return [*chunks, {"error": error}]
        full = limit is None or len(whole) <= limit
        finish = "stop" if full else "length"
    chunks.append(chunk({}, finish))
    if usage_wanted:
        prompt_tokens = _count(prompt)
        reasoning = _reasoning_tokens(_summaries(prompt)) if scenario == "reasoning" else 0
        usage = {
            "prompt_tokens": prompt_tokens,
            "completion_tokens": completion + reasoning,
            "total_tokens": prompt_tokens + completion + reasoning,
            "prompt_tokens_details": {"cached_tokens": 0},
            "completion_tokens_details": {"reasoning_tokens": reasoning},
        }
        chunks.append({**base, "choices": [], "usage": usage})
    chunks.append("[DONE]")
    return chunks


def encode(events: list[dict[str, Any]] | list[dict[str, Any] | str]) -> bytes:
    """Frame events as the API does: ``event:`` + ``data:`` for Responses, ``data:`` for Chat."""
    out: list[str] = []
    for event in events:
        if isinstance(event, str):
            out.append(f"data: {event}\n\n")
            continue
        data = json.dumps(event, separators=(",", ":"), ensure_ascii=False)
        kind = event.get("type")
        is_response_event = isinstance(kind, str) and "sequence_number" in event
        out.append(f"event: {kind}\ndata: {data}\n\n" if is_response_event else f"data: {data}\n\n")
    return "".join(out).encode()
