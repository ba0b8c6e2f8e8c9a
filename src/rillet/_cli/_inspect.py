"""``rillet inspect``: what a recorded stream holds, and what is wrong with it."""

from __future__ import annotations

import itertools
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import attrs

from rillet._accumulate import ChatCompletionAccumulator, ResponseAccumulator
from rillet._cli._commands import is_chat, provider_of, read
from rillet._cli._output import Output
from rillet._errors import RilletError
from rillet._sse import ServerSentEvent, SSEDecoder
from rillet.events import (
    ChatCompletion,
    ChatCompletionChunk,
    ChatErrorEvent,
    Response,
    ResponseErrorEvent,
    UnknownEvent,
    parse_chat_chunk,
    parse_event,
)

_A = TypeVar("_A")
_T = TypeVar("_T")


@attrs.define
class Report:
    """What ``inspect`` found in a stream."""

    api: str
    size: int
    events_by_type: Counter[str] = attrs.Factory(Counter[str])
    result: object = None
    outcome: str = "truncated"
    problems: list[str] = attrs.Factory(list[str])


def examine(body: bytes, *, chat: bool, provider: str = "openai") -> Report:
    """Decode, type and accumulate ``body`` as a client would, noting every problem."""
    if provider == "gemini":
        return _gemini(body)
    api = {"anthropic": "Anthropic Messages"}.get(provider)
    report = Report(api or ("Chat Completions" if chat else "Responses"), len(body))
    decoder = SSEDecoder()
    try:
        decoded = [*decoder.feed(body), *decoder.close()]
    except RilletError as error:
        report.problems.append(f"the stream cannot be decoded: {error}")
        decoded = []
    if decoder.unterminated is not None:
        cut = decoder.unterminated
        report.problems.append(
            f"truncated: an event begins at byte {cut.offset} but never ends "
            f"({cut.size} bytes, {cut.excerpt[:40]!r})"
        )
    if provider == "anthropic":
        _anthropic(decoded, report)
    elif chat:
        _chat(decoded, report)
    else:
        _responses(decoded, report)
    return report


def _anthropic(decoded: list[ServerSentEvent], report: Report) -> None:
    from rillet.anthropic import (  # noqa: PLC0415 - a provider's package, when asked for
        AnthropicErrorEvent,
        MessageAccumulator,
        parse_anthropic_event,
    )

    accumulator = MessageAccumulator()
    for index, sse in enumerate(decoded, 1):
        event = _typed(report, index, lambda s: parse_anthropic_event(s.event, s.raw_data), sse)
        if event is None:
            continue
        report.events_by_type[event.type] += 1
        if isinstance(event, UnknownEvent):
            report.problems.append(f"event #{index}: unknown type {event.type!r} (kept as is)")
        try:
            accumulator.add(event)
        except RilletError as error:
            report.problems.append(f"event #{index} ({event.type}): {error}")
        if isinstance(event, AnthropicErrorEvent):
            report.problems.append(f"error event: {event.error.type}: {event.error.message}")
    report.result = accumulator.snapshot
    report.outcome = {"stopped": "completed", "failed": "error"}.get(
        accumulator.outcome, "truncated"
    )
    if report.outcome == "truncated":
        report.problems.append("truncated: no message_stop")


def _gemini(body: bytes) -> Report:
    from rillet.gemini import (  # noqa: PLC0415 - a provider's package, when asked for
        GeminiAccumulator,
        GeminiErrorEvent,
        GenerateContentResponse,
        parse_gemini_frame,
    )
    from rillet.gemini._decoder import GeminiDecoder  # noqa: PLC0415

    report = Report("Gemini", len(body))
    decoder = GeminiDecoder()
    try:
        decoded = [*decoder.feed(body), *decoder.close(), *decoder.tail]
    except RilletError as error:
        report.problems.append(f"the stream cannot be decoded: {error}")
        decoded = []
    accumulator = GeminiAccumulator()
    failed = False
    for index, sse in enumerate(decoded, 1):
        frame = _typed(report, index, parse_gemini_frame, sse.raw_data)
        if isinstance(frame, GeminiErrorEvent):
            failed = True
            report.events_by_type[frame.type] += 1
            said = frame.error
            report.problems.append(
                f"frame #{index}: error {said.code} {said.status}: {said.message}"
            )
        elif isinstance(frame, GenerateContentResponse):
            report.events_by_type["gemini.chunk"] += 1
            try:
                accumulator.add(frame)
            except RilletError as error:
                report.problems.append(f"frame #{index}: {error}")
    report.result = accumulator.snapshot
    if failed:
        report.outcome = "error"
    elif accumulator.blocked:
        report.outcome = "blocked"
    elif accumulator.finished:
        report.outcome = "completed"
    else:
        report.problems.append("truncated: no finishReason at the end")
    return report


def _responses(decoded: list[ServerSentEvent], report: Report) -> None:
    strict: ResponseAccumulator | None = ResponseAccumulator()
    lenient = ResponseAccumulator(strict=False)
    numbers: list[int] = []
    for index, sse in enumerate(decoded, 1):
        event = _typed(report, index, parse_event, sse)
        if event is None:
            continue
        report.events_by_type[event.type] += 1
        if isinstance(event, UnknownEvent):
            report.problems.append(f"event #{index}: unknown type {event.type!r} (kept as is)")
        number = getattr(event, "sequence_number", None)
        if number is not None:
            numbers.append(number)
        lenient.add(event)
        if strict is not None:
            try:
                strict.add(event)
            except RilletError as error:
                report.problems.append(f"event #{index} ({event.type}): {error}")
                strict = None  # its state is off from here: one report is enough
    report.outcome = lenient.close()
    report.result = lenient.snapshot
    if report.outcome == "truncated":
        report.problems.append("truncated: no terminal event (response.completed, ...)")
    if report.outcome == "error" and isinstance(lenient.error, ResponseErrorEvent):
        report.problems.append(f"error event: {lenient.error.message}")
    jumps = [(a, b) for a, b in itertools.pairwise(numbers) if b != a + 1]
    if jumps:
        a, b = jumps[0]
        report.problems.append(f"sequence numbers jump {len(jumps)} time(s), first from {a} to {b}")


def _chat(decoded: list[ServerSentEvent], report: Report) -> None:
    accumulator = ChatCompletionAccumulator()
    done = False
    for index, sse in enumerate(decoded, 1):
        if sse.raw_data == b"[DONE]":
            done = True
            continue
        chunk = _typed(report, index, parse_chat_chunk, sse.raw_data)
        if chunk is None:
            continue
        if isinstance(chunk, ChatErrorEvent):
            report.events_by_type["error"] += 1
            report.problems.append(f"event #{index}: error payload: {chunk.error.message}")
            continue
        report.events_by_type["chat.completion.chunk"] += 1
        if isinstance(chunk, ChatCompletionChunk):
            try:
                accumulator.add(chunk)
            except RilletError as error:
                report.problems.append(f"event #{index}: {error}")
    report.result = accumulator.snapshot
    report.outcome = "completed" if done else "truncated"
    if not done:
        report.problems.append("truncated: no [DONE] at the end")


def _typed(report: Report, index: int, parse: Callable[[_A], _T], argument: _A) -> _T | None:
    try:
        return parse(argument)
    except RilletError as error:
        report.events_by_type["(invalid)"] += 1
        report.problems.append(f"event #{index}: {error}")
        return None


def inspect(output: Output, path: Path) -> bool:
    """Print what ``path`` holds; False when it has problems."""
    body = read(path)
    report = examine(body, chat=is_chat(body), provider=provider_of(body))
    output.line(f"{path}  ({report.size:,} bytes, {report.api})", "bold")
    result = report.result
    rows: list[tuple[str, ...]] = [("outcome", report.outcome)]
    if isinstance(result, Response):
        rows += [("response", f"{result.id}  model {result.model}"), ("status", str(result.status))]
    elif isinstance(result, ChatCompletion):
        rows.append(("completion", f"{result.id}  model {result.model}"))
    else:
        rows += _other_rows(result)
    usage = getattr(result, "usage", None) or getattr(result, "usage_metadata", None)
    if usage is not None:
        fields = [f"{k} {v}" for k, v in usage.to_dict().items() if isinstance(v, int)]
        rows.append(("usage", ", ".join(fields)))
    output.table(rows)
    output.line()
    output.line("events by type", "bold")
    counts = sorted(report.events_by_type.items(), key=lambda kv: (-kv[1], kv[0]))
    output.table([(f"{n:>6}", kind) for kind, n in counts])
    output.table([(f"{sum(report.events_by_type.values()):>6}", "in all")])
    output.line()
    output.line("output", "bold")
    output.table(_items(result) or [("(none)",)])
    output.line()
    output.line("problems", "bold")
    for problem in report.problems:
        output.line(f"  {output.style('!', 'red')} {problem}")
    if not report.problems:
        output.line("  none", "green")
    return not report.problems


def _other_rows(result: object) -> list[tuple[str, ...]]:
    """The id, model and end of an Anthropic Message or a Gemini response."""
    if result is None:
        return []
    wire: dict[str, Any] = getattr(result, "to_dict", dict)()
    if "candidates" in wire or "promptFeedback" in wire:
        candidates: list[dict[str, Any]] = wire.get("candidates") or []
        reasons = [str(c.get("finishReason")) for c in candidates]
        feedback: dict[str, Any] = wire.get("promptFeedback") or {}
        blocked = feedback.get("blockReason")
        rows = [("response", f"{wire.get('responseId')}  model {wire.get('modelVersion')}")]
        return [*rows, ("finish", ", ".join(reasons) or f"blocked: {blocked}")]
    return [
        ("message", f"{wire.get('id')}  model {wire.get('model')}"),
        ("stop reason", str(wire.get("stop_reason"))),
    ]


def _items(result: object) -> list[tuple[str, ...]]:
    if isinstance(result, Response):
        return [
            (
                str(i),
                item.type,
                getattr(item, "id", None) or "",
                getattr(item, "status", None) or "",
            )
            for i, item in enumerate(result.output)
        ]
    if isinstance(result, ChatCompletion):
        return [
            (str(c.index), "choice", c.finish_reason or "(unfinished)", _excerpt(c.message.content))
            for c in result.choices
        ]
    wire: dict[str, Any] = getattr(result, "to_dict", dict)()
    if "content" in wire:  # an Anthropic Message: its content blocks
        blocks: list[dict[str, Any]] = wire["content"]
        return [
            (str(i), b["type"], b.get("name") or _excerpt(b.get("text")))
            for i, b in enumerate(blocks)
        ]
    candidates: list[dict[str, Any]] = wire.get("candidates") or []
    rows: list[tuple[str, ...]] = []
    for candidate in candidates:
        content: dict[str, Any] = candidate.get("content") or {}
        parts: list[dict[str, Any]] = content.get("parts") or []
        number = str(candidate.get("index", 0))
        rows += [(number, _part_kind(p), _excerpt(p.get("text"))) for p in parts]
    return rows


def _part_kind(part: dict[str, Any]) -> str:
    if "functionCall" in part:
        return f"functionCall {part['functionCall'].get('name')}"
    kind = next((k for k in part if k not in ("thought", "thoughtSignature")), "part")
    return f"{kind} (thought)" if part.get("thought") else kind


def _excerpt(text: str | None, size: int = 48) -> str:
    if not text:
        return ""
    flat = " ".join(text.split())
    return repr(flat if len(flat) <= size else flat[: size - 3] + "...")
