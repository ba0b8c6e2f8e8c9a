"""The closed sets of values the API documents (statuses, roles, reasons), as ``Literal`` types.

Type checkers see only the documented values, so ``if response.status == "complete"`` is
flagged. At run time a field typed with one of these takes any string: a value the API adds
later is kept exactly as the server sent it, never refused or changed. The sets are those of
the OpenAPI description of the API (``openai-openapi.yml``, version 2.3.0).
"""

from __future__ import annotations

from typing import Literal

from rillet.events._model import open_set

__all__ = [
    "ApplyPatchCallStatus",
    "ChatRole",
    "CodeInterpreterCallStatus",
    "FileSearchCallStatus",
    "FinishReason",
    "ImageGenerationCallStatus",
    "IncompleteReason",
    "ItemStatus",
    "McpCallStatus",
    "MessagePhase",
    "ResponseStatus",
    "ServiceTier",
    "Truncation",
    "WebSearchCallStatus",
]

# -- the Responses API ------------------------------------------------------------------------

ResponseStatus = Literal["queued", "in_progress", "completed", "incomplete", "failed", "cancelled"]
"""The status of a response (``Response.status``); others are kept as they come."""

ItemStatus = Literal["in_progress", "completed", "incomplete"]
"""The status of a message, reasoning, function call, computer call or shell item."""

WebSearchCallStatus = Literal["in_progress", "searching", "completed", "failed"]
"""The status of a ``web_search_call`` item."""

FileSearchCallStatus = Literal["in_progress", "searching", "completed", "incomplete", "failed"]
"""The status of a ``file_search_call`` item."""

CodeInterpreterCallStatus = Literal[
    "in_progress", "interpreting", "completed", "incomplete", "failed"
]
"""The status of a ``code_interpreter_call`` item."""

ImageGenerationCallStatus = Literal["in_progress", "generating", "completed", "failed"]
"""The status of an ``image_generation_call`` item."""

McpCallStatus = Literal["in_progress", "calling", "completed", "incomplete", "failed"]
"""The status of an ``mcp_call`` item."""

ApplyPatchCallStatus = Literal["in_progress", "completed"]
"""The status of an ``apply_patch_call`` item."""

MessagePhase = Literal["commentary", "final_answer"]
"""What an assistant message is (``MessageItem.phase``): commentary, or the final answer."""

IncompleteReason = Literal["max_output_tokens", "content_filter"]
"""Why a response is incomplete (``IncompleteDetails.reason``)."""

Truncation = Literal["auto", "disabled"]
"""The truncation strategy of a response (``Response.truncation``)."""

ServiceTier = Literal["auto", "default", "flex", "scale", "priority", "fast", "ultrafast"]
"""The tier that served a response or chat completion (``ultrafast``: Responses API only)."""

# -- Chat Completions -------------------------------------------------------------------------

FinishReason = Literal["stop", "length", "tool_calls", "content_filter", "function_call"]
"""Why a chat choice stopped (``finish_reason``)."""

ChatRole = Literal["developer", "system", "user", "assistant", "tool"]
"""The role in a chat chunk's delta (``ChoiceDelta.role``)."""

open_set(
    ResponseStatus,
    ItemStatus,
    WebSearchCallStatus,
    FileSearchCallStatus,
    CodeInterpreterCallStatus,
    ImageGenerationCallStatus,
    McpCallStatus,
    ApplyPatchCallStatus,
    MessagePhase,
    IncompleteReason,
    Truncation,
    ServiceTier,
    FinishReason,
    ChatRole,
    Literal["assistant"],  # the role of an output message item, of a chat completion's message
)
