"""Showing a stream as it arrives (text, reasoning, calls, or every event) and summing it up."""

from __future__ import annotations

import json
from typing import Literal

from rillet._cli._output import Output
from rillet._dispatch import Router
from rillet._machine import StreamStats
from rillet.events import (
    ChatCompletionChunk,
    ChatContentDeltaEvent,
    ChatRefusalDeltaEvent,
    CompletionUsage,
    Event,
    Finished,
    FunctionCallItem,
    NeutralEvent,
    ReasoningDelta,
    Response,
    ResponseCompletedEvent,
    ResponseIncompleteEvent,
    ResponseOutputItemDoneEvent,
    ResponseOutputTextDeltaEvent,
    ResponseReasoningSummaryPartDoneEvent,
    ResponseReasoningSummaryTextDeltaEvent,
    ResponseRefusalDeltaEvent,
    ResponseUsage,
    TextDelta,
    ToolCallDone,
)

Mode = Literal["text", "events", "json"]


def neutral_router(output: Output, mode: Mode) -> Router:
    """Handlers that show any provider's stream by its provider-neutral events.

    Its text, thinking and calls (every event, in ``events`` and ``json`` modes).
    """
    if mode != "text":
        return live_router(output, mode)
    router = Router()

    @router.on(ReasoningDelta)
    def thinking(event: ReasoningDelta) -> None:
        output.write(event.text, "dim")
        output.thought = True

    @router.on(TextDelta)
    def answer(event: TextDelta) -> None:
        if output.thought:  # the answer starts below the thinking
            output.end_line()
            output.write("\n")
            output.thought = False

        output.write(event.text)

    @router.on(ToolCallDone)
    def call(event: ToolCallDone) -> None:
        output.line(f"-> {event.name}({event.arguments})", "cyan")

    @router.on(Finished)
    def finished(event: Finished) -> None:
        output.end_line()
        if event.reason not in ("stop", "tool_calls"):
            output.note(f"finished: {event.reason} ({event.provider_reason})")

    return router


def live_router(output: Output, mode: Mode) -> Router:
    """Handlers that show a Responses stream as it arrives, in ``mode``."""
    return {"text": _text, "events": _events, "json": _json}[mode](output)


def _json(output: Output) -> Router:
    router = Router()

    @router.on("*")
    def as_json(event: Event) -> None:
        if not isinstance(event, NeutralEvent):  # the API's events, as it sent them
            output.line(_json_line(event))

    return router


def _events(output: Output) -> Router:
    router = Router()

    @router.on("*")
    def each(event: Event) -> None:
        if isinstance(event, NeutralEvent):  # the API's events (the neutral ones repeat them)
            return
        number = getattr(event, "sequence_number", None)
        prefix = f"{number:>5} " if number is not None else "      "
        output.line(prefix + _event_line(output, event))

    return router


def _json_line(event: Event) -> str:
    return json.dumps(event.to_dict(), ensure_ascii=False)


def _event_line(output: Output, event: Event) -> str:
    """The event's type, and its delta if it has one."""
    delta = getattr(event, "delta", None)
    detail = f"  {delta!r}" if isinstance(delta, str) else ""
    return output.style(event.type, "cyan") + detail


def _text(output: Output) -> Router:
    router = Router()

    @router.on("response.reasoning_summary_text.delta")
    def thinking(event: ResponseReasoningSummaryTextDeltaEvent) -> None:
        output.write(event.delta, "dim")

    @router.on("response.reasoning_summary_part.done")
    def thought(_: ResponseReasoningSummaryPartDoneEvent) -> None:
        output.end_line()
        output.write("\n")

    @router.on("response.output_text.delta")
    def text(event: ResponseOutputTextDeltaEvent) -> None:
        output.write(event.delta)

    @router.on("response.refusal.delta")
    def refusal(event: ResponseRefusalDeltaEvent) -> None:
        output.write(event.delta, "yellow")

    @router.on("response.output_item.done")
    def call(event: ResponseOutputItemDoneEvent) -> None:
        item = event.item
        if isinstance(item, FunctionCallItem):
            output.line(f"-> {item.name}({item.arguments})", "cyan")

    @router.on(ResponseCompletedEvent, ResponseIncompleteEvent)
    def finished(_: Event) -> None:
        output.end_line()

    return router


def show_chat(output: Output, event: Event, mode: Mode) -> None:
    """Show one event of a Chat Completions stream (chunks, and the events derived from them)."""
    if mode == "json":
        if isinstance(event, ChatCompletionChunk):
            output.line(_json_line(event))
    elif mode == "events":
        if not isinstance(event, NeutralEvent):
            output.line(_event_line(output, event))
    elif isinstance(event, ChatContentDeltaEvent):
        output.write(event.delta)
    elif isinstance(event, ChatRefusalDeltaEvent):
        output.write(event.delta, "yellow")


def summary(output: Output, stats: StreamStats, result: object) -> None:
    """Events by type, time to first token, tokens per second and usage."""
    output.end_line()
    output.line()
    output.line("summary", "bold")
    rows: list[tuple[str, ...]] = []
    if isinstance(result, Response):
        rows.append(("status", result.status or "?"))
    first = stats.time_to_first_event
    if first is not None:
        rows.append(("first event", f"{first * 1000:.0f} ms"))
    if stats.time_to_first_text is not None:
        rows.append(("first text token", f"{stats.time_to_first_text * 1000:.0f} ms"))
    rows.append(("duration", f"{stats.duration:.2f} s"))
    usage = stats.usage
    output_tokens = _output_tokens(usage)
    if output_tokens and first is not None and stats.duration > first:
        # All output tokens (reasoning too) over the time the stream was flowing.
        rows.append(("tokens/s", f"{output_tokens / (stats.duration - first):.1f}"))
    if usage is not None:
        rows.append(("usage", _usage(usage)))
    total = sum(stats.events_by_type.values())
    rows.append(("events", f"{total} ({stats.bytes_received:,} bytes)"))
    output.table(rows)
    by_count = sorted(stats.events_by_type.items(), key=lambda kv: (-kv[1], kv[0]))
    output.table([(f"{count:>6}", kind) for kind, count in by_count], indent=4)


def _output_tokens(usage: object) -> int:
    if isinstance(usage, ResponseUsage):
        return usage.output_tokens
    if isinstance(usage, CompletionUsage):
        return usage.completion_tokens
    return 0


def _usage(usage: object) -> str:
    if not isinstance(usage, ResponseUsage | CompletionUsage):  # another provider's: its counts
        fields: dict[str, object] = getattr(usage, "to_dict", dict)()
        return ", ".join(f"{k} {v}" for k, v in fields.items() if isinstance(v, int))
    if isinstance(usage, CompletionUsage):
        used, made = usage.prompt_tokens, f"{usage.completion_tokens} out"
    else:
        details = usage.output_tokens_details
        thought = details.reasoning_tokens if details else 0
        used, made = usage.input_tokens, f"{usage.output_tokens} out"
        made += f" ({thought} reasoning)" if thought else ""
    return f"{used} in, {made}, {usage.total_tokens} total"
