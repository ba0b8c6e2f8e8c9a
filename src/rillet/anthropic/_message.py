"""The ``Message`` of the Anthropic Messages API and the content blocks it holds.

As for the OpenAI models, every model keeps the JSON it came from: ``to_dict()`` gives the API's
JSON back, fields rillet does not model included. Deeper structures (citations, search results,
code outputs, containers) are kept as JSON values. A content block of a type rillet does not
know is an :class:`UnknownBlock` (``type == "unknown"``, the server's type in ``block_type``),
so that ``block.type == "tool_use"`` narrows :data:`ContentBlock` for type checkers.
"""

from __future__ import annotations

import json
from typing import Any, ClassVar, Literal

import attrs

from rillet.events._model import Model, by_type, open_set, tagged_union
from rillet.events._neutral import EndReason, NeutralResult, NeutralToolCall, NeutralUsage
from rillet.events._response import _UnknownKind

__all__ = [
    "AdvisorToolResultBlock",
    "BashCodeExecutionToolResultBlock",
    "CodeExecutionToolResultBlock",
    "CompactionBlock",
    "ContentBlock",
    "McpToolResultBlock",
    "McpToolUseBlock",
    "Message",
    "RedactedThinkingBlock",
    "ServerToolUseBlock",
    "StopReason",
    "TextBlock",
    "TextEditorCodeExecutionToolResultBlock",
    "ThinkingBlock",
    "ToolSearchToolResultBlock",
    "ToolUseBlock",
    "UnknownBlock",
    "Usage",
    "WebFetchToolResultBlock",
    "WebSearchToolResultBlock",
    "end_reason",
    "neutral_usage",
]

StopReason = Literal[
    "end_turn",
    "max_tokens",
    "stop_sequence",
    "tool_use",
    "pause_turn",
    "refusal",
    "model_context_window_exceeded",
]
"""Why the model stopped (``Message.stop_reason``); other values are kept as they come."""

open_set(StopReason)


@attrs.frozen(kw_only=True)
class Usage(Model):
    """Token usage of a message (cumulative: ``message_delta`` events update it)."""

    input_tokens: int = 0
    """Input tokens not read from or written to the prompt cache."""
    output_tokens: int = 0
    cache_creation_input_tokens: int | None = None
    cache_read_input_tokens: int | None = None
    cache_creation: dict[str, Any] | None = None
    server_tool_use: dict[str, Any] | None = None
    """Counts of server tool requests (``web_search_requests``...)."""
    service_tier: str | None = None
    output_tokens_details: dict[str, Any] | None = None
    iterations: list[Any] | None = None
    fallback_credit: dict[str, Any] | None = None


def _no_input() -> dict[str, Any]:
    return {}


# -- content blocks ---------------------------------------------------------------------------


@attrs.frozen(kw_only=True)
class TextBlock(Model):
    """Text (``text``), with the citations that back it, if any (JSON objects)."""

    type: Literal["text"] = "text"
    text: str = ""
    citations: list[Any] | None = None


@attrs.frozen(kw_only=True)
class ThinkingBlock(Model):
    """The model's visible reasoning (``thinking``) and the signature that verifies it."""

    type: Literal["thinking"] = "thinking"
    thinking: str = ""
    signature: str = ""


@attrs.frozen(kw_only=True)
class RedactedThinkingBlock(Model):
    """Reasoning the safety systems encrypted (``redacted_thinking``): send it back as is."""

    type: Literal["redacted_thinking"] = "redacted_thinking"
    data: str = ""


@attrs.frozen(kw_only=True)
class ToolUseBlock(Model):
    """A call of one of the user's tools (``tool_use``): run it, send a ``tool_result``."""

    type: Literal["tool_use"] = "tool_use"
    id: str
    name: str
    input: Any = attrs.Factory(_no_input)
    """The arguments (a JSON object), parsed from the streamed JSON."""
    caller: dict[str, Any] | None = None
    """Who made the call (``direct``, or code execution for programmatic tool calling)."""


@attrs.frozen(kw_only=True)
class ServerToolUseBlock(Model):
    """A call of a tool the API runs itself (``server_tool_use``: web search, code execution...)."""

    type: Literal["server_tool_use"] = "server_tool_use"
    id: str
    name: str
    input: Any = attrs.Factory(_no_input)
    caller: dict[str, Any] | None = None


@attrs.frozen(kw_only=True)
class McpToolUseBlock(Model):
    """A call of a tool of a remote MCP server (``mcp_tool_use``), made by the API."""

    type: Literal["mcp_tool_use"] = "mcp_tool_use"
    id: str
    name: str
    server_name: str = ""
    input: Any = attrs.Factory(_no_input)


@attrs.frozen(kw_only=True)
class McpToolResultBlock(Model):
    """What an MCP server's tool returned (``mcp_tool_result``)."""

    type: Literal["mcp_tool_result"] = "mcp_tool_result"
    tool_use_id: str
    is_error: bool = False
    content: Any = None


@attrs.frozen(kw_only=True)
class WebSearchToolResultBlock(Model):
    """The results of a web search (``web_search_tool_result``)."""

    type: Literal["web_search_tool_result"] = "web_search_tool_result"
    tool_use_id: str
    content: Any = None
    caller: dict[str, Any] | None = None


@attrs.frozen(kw_only=True)
class WebFetchToolResultBlock(Model):
    """A fetched web page or document (``web_fetch_tool_result``)."""

    type: Literal["web_fetch_tool_result"] = "web_fetch_tool_result"
    tool_use_id: str
    content: Any = None
    caller: dict[str, Any] | None = None


@attrs.frozen(kw_only=True)
class CodeExecutionToolResultBlock(Model):
    """The output of code execution (``code_execution_tool_result``)."""

    type: Literal["code_execution_tool_result"] = "code_execution_tool_result"
    tool_use_id: str
    content: Any = None
    caller: dict[str, Any] | None = None


@attrs.frozen(kw_only=True)
class BashCodeExecutionToolResultBlock(Model):
    """The output of a shell command in the code execution container."""

    type: Literal["bash_code_execution_tool_result"] = "bash_code_execution_tool_result"
    tool_use_id: str
    content: Any = None
    caller: dict[str, Any] | None = None


@attrs.frozen(kw_only=True)
class TextEditorCodeExecutionToolResultBlock(Model):
    """The result of a file view or edit in the code execution container."""

    type: Literal["text_editor_code_execution_tool_result"] = (
        "text_editor_code_execution_tool_result"
    )
    tool_use_id: str
    content: Any = None
    caller: dict[str, Any] | None = None


@attrs.frozen(kw_only=True)
class ToolSearchToolResultBlock(Model):
    """The tools a tool search found (``tool_search_tool_result``)."""

    type: Literal["tool_search_tool_result"] = "tool_search_tool_result"
    tool_use_id: str
    content: Any = None
    caller: dict[str, Any] | None = None


@attrs.frozen(kw_only=True)
class AdvisorToolResultBlock(Model):
    """The advice of the advisor tool (``advisor_tool_result``)."""

    type: Literal["advisor_tool_result"] = "advisor_tool_result"
    tool_use_id: str
    content: Any = None
    caller: dict[str, Any] | None = None


@attrs.frozen(kw_only=True)
class CompactionBlock(Model):
    """A summary of earlier context (``compaction``), to send back instead of it."""

    type: Literal["compaction"] = "compaction"
    content: str | None = None
    encrypted_content: str | None = None


@attrs.frozen(kw_only=True)
class UnknownBlock(_UnknownKind):
    """A content block of a type rillet does not know (yet); ``to_dict()`` has all of it.

    Its ``type`` is ``"unknown"``, so that ``block.type == "..."`` narrows
    :data:`ContentBlock`; ``block_type`` is the server's (``"fallback"``...).
    """

    _kind_field: ClassVar[str] = "block_type"
    type: Literal["unknown"] = "unknown"
    block_type: str


ContentBlock = (
    TextBlock
    | ThinkingBlock
    | RedactedThinkingBlock
    | ToolUseBlock
    | ServerToolUseBlock
    | McpToolUseBlock
    | McpToolResultBlock
    | WebSearchToolResultBlock
    | WebFetchToolResultBlock
    | CodeExecutionToolResultBlock
    | BashCodeExecutionToolResultBlock
    | TextEditorCodeExecutionToolResultBlock
    | ToolSearchToolResultBlock
    | AdvisorToolResultBlock
    | CompactionBlock
    | UnknownBlock
)
"""Any block of a message's ``content``."""

BLOCK_TYPES: dict[str, type[Model]] = by_type(*ContentBlock.__args__[:-1])
"""Each known content block type string, and its class."""

tagged_union(ContentBlock, BLOCK_TYPES, UnknownBlock)


# -- the message ------------------------------------------------------------------------------


@attrs.frozen(kw_only=True)
class Message(Model):
    """A message of the Messages API (what ``messages.create`` returns, or a stream builds)."""

    id: str
    type: Literal["message"] = "message"
    role: Literal["assistant"] = "assistant"
    model: str = ""
    content: list[ContentBlock] = attrs.Factory(list)  # pyright: ignore[reportUnknownVariableType]
    stop_reason: StopReason | None = None
    """One of :data:`StopReason`; any other value is kept as the server sent it."""
    stop_sequence: str | None = None
    stop_details: dict[str, Any] | None = None
    """Details of a refusal (its category, an explanation...), if any."""
    usage: Usage = attrs.Factory(Usage)
    container: dict[str, Any] | None = None
    """The code execution container used, if any (its id and expiry)."""
    context_management: dict[str, Any] | None = None

    @property
    def text(self) -> str:
        """The text of the message's text blocks, joined."""
        return "".join(block.text for block in self.content if block.type == "text")

    def neutral(self) -> NeutralResult:
        """The message seen as any provider's result (text, tool calls, usage, finish reason)."""
        calls = tuple(
            NeutralToolCall(id=block.id, name=block.name, arguments=_arguments(block.input))
            for block in self.content
            if block.type == "tool_use"
        )
        reasoning = "".join(b.thinking for b in self.content if b.type == "thinking")
        return NeutralResult(
            provider="anthropic",
            model=self.model or None,
            id=self.id or None,
            text=self.text,
            reasoning=reasoning,
            tool_calls=calls,
            usage=neutral_usage(self.usage),
            finish_reason=None if self.stop_reason is None else end_reason(self.stop_reason, calls),
            provider_reason=self.stop_reason,
        )


def _arguments(value: object) -> str:
    return json.dumps(value, ensure_ascii=False)


_END_REASONS: dict[str, EndReason] = {
    "end_turn": "stop",
    "stop_sequence": "stop",
    "max_tokens": "length",
    "model_context_window_exceeded": "length",
    "tool_use": "tool_calls",
    "refusal": "content_filter",
}


def end_reason(stop_reason: str | None, tool_calls: object) -> EndReason:
    """The neutral reason of ``stop_reason`` (``tool_calls``: whether client tools were called)."""
    reason = _END_REASONS.get(stop_reason or "", "other")
    return "tool_calls" if reason == "stop" and tool_calls else reason


def neutral_usage(usage: Usage) -> NeutralUsage:
    """Anthropic's counts, the neutral way: input tokens include those of the prompt cache."""
    cache_read = usage.cache_read_input_tokens
    input_tokens = usage.input_tokens + (usage.cache_creation_input_tokens or 0) + (cache_read or 0)
    return NeutralUsage(
        input_tokens=input_tokens,
        output_tokens=usage.output_tokens,
        total_tokens=input_tokens + usage.output_tokens,
        cached_input_tokens=cache_read,
    )
