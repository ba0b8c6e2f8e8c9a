"""How OpenAI's results, reasons and usage map to the provider-neutral view (sans-IO tables).

One place for each mapping, used by the accumulators (the neutral events of a stream) and by
``Response.neutral()`` / ``ChatCompletion.neutral()``: so what a stream's ``Finished`` says and
what its result's ``neutral()`` says cannot disagree. Another provider's module follows the same
shape: a table of its reasons, a usage function, a result function.
"""

from __future__ import annotations

from typing import Final

from rillet.events._chat import ChatCompletion, CompletionChoice, CompletionUsage
from rillet.events._neutral import EndReason, NeutralResult, NeutralToolCall, NeutralUsage
from rillet.events._response import (
    FunctionCallItem,
    MessageItem,
    OutputTextContent,
    ReasoningItem,
    Response,
    ResponseUsage,
)

__all__ = [
    "CHAT_FINISH_REASONS",
    "INCOMPLETE_REASONS",
    "chat_end",
    "chat_result",
    "chat_usage",
    "response_end",
    "response_result",
    "response_usage",
]

INCOMPLETE_REASONS: Final[dict[str, EndReason]] = {
    "max_output_tokens": "length",
    "content_filter": "content_filter",
}
"""A Responses ``incomplete_details.reason``, as an end reason (any other: ``"other"``)."""

CHAT_FINISH_REASONS: Final[dict[str, EndReason]] = {
    "stop": "stop",
    "length": "length",
    "tool_calls": "tool_calls",
    "function_call": "tool_calls",
    "content_filter": "content_filter",
}
"""A chat choice's ``finish_reason``, as an end reason (any other: ``"other"``)."""


def response_end(
    response: Response, status: str | None = None
) -> tuple[EndReason, str | None] | None:
    """Why a response ended, and the API's own word for it; ``None`` while it has not.

    ``completed`` is ``"stop"``, or ``"tool_calls"`` when the output has function calls;
    ``incomplete`` is by its reason (``max_output_tokens``: ``"length"``); ``failed`` is
    ``"error"`` (the provider reason: the error's code); ``cancelled`` is ``"other"``.
    ``status`` stands for the response's own when it has none (the terminal event's kind).
    """
    status = response.status or status
    if status == "completed":
        calls = any(type(item) is FunctionCallItem for item in response.output)
        return ("tool_calls" if calls else "stop"), status
    if status == "incomplete":
        details = response.incomplete_details
        reason = details.reason if details is not None else None
        return INCOMPLETE_REASONS.get(reason or "", "other"), reason or status
    if status == "failed":
        error = response.error
        return "error", (error.code if error is not None else None) or status
    if status == "cancelled":
        return "other", status
    return None


def chat_end(choice: CompletionChoice | None) -> tuple[EndReason, str | None]:
    """Why a chat choice ended (``"other"`` with no provider reason when it did not say)."""
    if choice is None or choice.finish_reason is None:
        return "other", None
    reason = choice.finish_reason
    mapped = CHAT_FINISH_REASONS.get(reason, "other")
    message = choice.message
    if mapped == "stop" and (message.tool_calls or message.function_call is not None):
        mapped = "tool_calls"  # a server that says "stop" after asking for tool calls
    return mapped, reason


def response_usage(usage: ResponseUsage) -> NeutralUsage:
    """A response's usage, neutral."""
    inputs, outputs = usage.input_tokens_details, usage.output_tokens_details
    return NeutralUsage(
        input_tokens=usage.input_tokens,
        output_tokens=usage.output_tokens,
        total_tokens=usage.total_tokens,
        reasoning_tokens=None if outputs is None else outputs.reasoning_tokens,
        cached_input_tokens=None if inputs is None else inputs.cached_tokens,
    )


def chat_usage(usage: CompletionUsage) -> NeutralUsage:
    """A chat completion's usage, neutral."""
    prompt, completion = usage.prompt_tokens_details, usage.completion_tokens_details
    return NeutralUsage(
        input_tokens=usage.prompt_tokens,
        output_tokens=usage.completion_tokens,
        total_tokens=usage.total_tokens,
        reasoning_tokens=None if completion is None else completion.reasoning_tokens,
        cached_input_tokens=None if prompt is None else prompt.cached_tokens,
    )


def response_result(response: Response) -> NeutralResult:
    """``response.neutral()``: the output text, reasoning, function calls, usage and end."""
    text: list[str] = []
    reasoning: list[str] = []
    calls: list[NeutralToolCall] = []
    for item in response.output:
        if isinstance(item, MessageItem):
            text += (p.text for p in item.content if isinstance(p, OutputTextContent))
        elif isinstance(item, ReasoningItem):
            reasoning += (part.text for part in item.summary)
            reasoning += (part.text for part in item.content or ())
        elif isinstance(item, FunctionCallItem):
            calls.append(NeutralToolCall(id=item.call_id, name=item.name, arguments=item.arguments))
    end = response_end(response)
    return NeutralResult(
        provider="openai.responses",
        model=response.model or None,
        id=response.id or None,
        text="".join(text),
        reasoning="".join(reasoning),
        tool_calls=tuple(calls),
        usage=None if response.usage is None else response_usage(response.usage),
        finish_reason=None if end is None else end[0],
        provider_reason=None if end is None else end[1],
    )


def chat_result(completion: ChatCompletion) -> NeutralResult:
    """``completion.neutral()``: the first choice's text and tool calls, usage and end."""
    first = min(completion.choices, key=lambda choice: choice.index, default=None)
    calls: list[NeutralToolCall] = []
    text = reasoning = ""
    if first is not None:
        message = first.message
        text, reasoning = message.content or "", message.reasoning_content or ""
        calls += (
            NeutralToolCall(id=call.id, name=call.function.name, arguments=call.function.arguments)
            for call in message.tool_calls or ()
        )
        if message.function_call is not None:  # the legacy single function call
            function = message.function_call
            calls.append(NeutralToolCall(id="", name=function.name, arguments=function.arguments))
    reason, provider_reason = chat_end(first)
    ended = first is not None and first.finish_reason is not None
    return NeutralResult(
        provider="openai.chat",
        model=completion.model or None,
        id=completion.id or None,
        text=text,
        reasoning=reasoning,
        tool_calls=tuple(calls),
        usage=None if completion.usage is None else chat_usage(completion.usage),
        finish_reason=reason if ended else None,
        provider_reason=provider_reason,
    )
