"""``rillet inspect``: what a recorded stream holds, and what is wrong with it."""

from __future__ import annotations

import itertools
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

import attrs

from rillet._accumulate import ChatCompletionAccumulator, ResponseAccumulator
from rillet._cli._commands import is_chat, read
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
    result: Response | ChatCompletion | None = None
    outcome: str = "truncated"
    problems: list[str] = attrs.Factory(list[str])


def examine(body: bytes, *, chat: bool) -> Report:
    """Decode, type and accumulate ``body`` as a client would, noting every problem."""
    report = Report("Chat Completions" if chat else "Responses", len(body))
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
    if chat:
        _chat(decoded, report)
    else:
        _responses(decoded, report)
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
    report = examine(body, chat=is_chat(body))
    output.line(f"{path}  ({report.size:,} bytes, {report.api})", "bold")
    result = report.result
    rows: list[tuple[str, ...]] = [("outcome", report.outcome)]
    if isinstance(result, Response):
        rows += [("response", f"{result.id}  model {result.model}"), ("status", str(result.status))]
    elif isinstance(result, ChatCompletion):
        rows.append(("completion", f"{result.id}  model {result.model}"))
    usage = getattr(result, "usage", None)
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


def _items(result: Response | ChatCompletion | None) -> list[tuple[str, ...]]:
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
    return []


def _excerpt(text: str | None, size: int = 48) -> str:
    if not text:
        return ""
    flat = " ".join(text.split())
    return repr(flat if len(flat) <= size else flat[: size - 3] + "...")
