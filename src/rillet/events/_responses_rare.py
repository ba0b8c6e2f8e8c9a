"""The Responses events that few streams carry: their classes are built on first use.

The progress of hosted tools (web search, file search, code interpreter, image generation, MCP),
shell calls, compaction and audio. The accumulator has no handler for them and most streams
never send one, so this module is imported only when one is needed (see
:mod:`rillet.events._registry`), not by ``import rillet``.
"""

from __future__ import annotations

from typing import Any, Literal

import attrs

from rillet.events._responses import DeltaEvent, ItemEvent, ResponseStreamEvent

__all__ = [
    "ResponseAudioDeltaEvent",
    "ResponseAudioDoneEvent",
    "ResponseAudioTranscriptDeltaEvent",
    "ResponseAudioTranscriptDoneEvent",
    "ResponseCodeInterpreterCallCompletedEvent",
    "ResponseCodeInterpreterCallInProgressEvent",
    "ResponseCodeInterpreterCallInterpretingEvent",
    "ResponseCompactionCompactingEvent",
    "ResponseFileSearchCallCompletedEvent",
    "ResponseFileSearchCallInProgressEvent",
    "ResponseFileSearchCallSearchingEvent",
    "ResponseImageGenerationCallCompletedEvent",
    "ResponseImageGenerationCallGeneratingEvent",
    "ResponseImageGenerationCallInProgressEvent",
    "ResponseMcpCallCompletedEvent",
    "ResponseMcpCallFailedEvent",
    "ResponseMcpCallInProgressEvent",
    "ResponseMcpListToolsCompletedEvent",
    "ResponseMcpListToolsFailedEvent",
    "ResponseMcpListToolsInProgressEvent",
    "ResponseShellCallCommandAddedEvent",
    "ResponseShellCallCommandDeltaEvent",
    "ResponseShellCallCommandDoneEvent",
    "ResponseShellCallOutputContentDeltaEvent",
    "ResponseShellCallOutputContentDoneEvent",
    "ResponseWebSearchCallCompletedEvent",
    "ResponseWebSearchCallInProgressEvent",
    "ResponseWebSearchCallSearchingEvent",
]


@attrs.frozen(kw_only=True)
class ResponseWebSearchCallInProgressEvent(ItemEvent):
    """A web search started (``response.web_search_call.in_progress``)."""

    type: Literal["response.web_search_call.in_progress"] = "response.web_search_call.in_progress"


@attrs.frozen(kw_only=True)
class ResponseWebSearchCallSearchingEvent(ItemEvent):
    """A web search is searching (``response.web_search_call.searching``)."""

    type: Literal["response.web_search_call.searching"] = "response.web_search_call.searching"


@attrs.frozen(kw_only=True)
class ResponseWebSearchCallCompletedEvent(ItemEvent):
    """A web search is complete (``response.web_search_call.completed``)."""

    type: Literal["response.web_search_call.completed"] = "response.web_search_call.completed"


@attrs.frozen(kw_only=True)
class ResponseFileSearchCallInProgressEvent(ItemEvent):
    """A file search started (``response.file_search_call.in_progress``)."""

    type: Literal["response.file_search_call.in_progress"] = "response.file_search_call.in_progress"


@attrs.frozen(kw_only=True)
class ResponseFileSearchCallSearchingEvent(ItemEvent):
    """A file search is searching (``response.file_search_call.searching``)."""

    type: Literal["response.file_search_call.searching"] = "response.file_search_call.searching"


@attrs.frozen(kw_only=True)
class ResponseFileSearchCallCompletedEvent(ItemEvent):
    """A file search is complete (``response.file_search_call.completed``)."""

    type: Literal["response.file_search_call.completed"] = "response.file_search_call.completed"


@attrs.frozen(kw_only=True)
class ResponseCodeInterpreterCallInProgressEvent(ItemEvent):
    """A code interpreter call started (``response.code_interpreter_call.in_progress``)."""

    type: Literal["response.code_interpreter_call.in_progress"] = (
        "response.code_interpreter_call.in_progress"
    )


@attrs.frozen(kw_only=True)
class ResponseCodeInterpreterCallInterpretingEvent(ItemEvent):
    """The code interpreter is running the code."""

    type: Literal["response.code_interpreter_call.interpreting"] = (
        "response.code_interpreter_call.interpreting"
    )


@attrs.frozen(kw_only=True)
class ResponseCodeInterpreterCallCompletedEvent(ItemEvent):
    """A code interpreter call is complete (``response.code_interpreter_call.completed``)."""

    type: Literal["response.code_interpreter_call.completed"] = (
        "response.code_interpreter_call.completed"
    )


@attrs.frozen(kw_only=True)
class ResponseImageGenerationCallInProgressEvent(ItemEvent):
    """An image generation started (``response.image_generation_call.in_progress``)."""

    type: Literal["response.image_generation_call.in_progress"] = (
        "response.image_generation_call.in_progress"
    )


@attrs.frozen(kw_only=True)
class ResponseImageGenerationCallGeneratingEvent(ItemEvent):
    """An image is being generated (``response.image_generation_call.generating``)."""

    type: Literal["response.image_generation_call.generating"] = (
        "response.image_generation_call.generating"
    )


@attrs.frozen(kw_only=True)
class ResponseImageGenerationCallCompletedEvent(ItemEvent):
    """An image generation is complete (``response.image_generation_call.completed``)."""

    type: Literal["response.image_generation_call.completed"] = (
        "response.image_generation_call.completed"
    )


@attrs.frozen(kw_only=True)
class ResponseMcpCallInProgressEvent(ItemEvent):
    """An MCP tool call started (``response.mcp_call.in_progress``)."""

    type: Literal["response.mcp_call.in_progress"] = "response.mcp_call.in_progress"


@attrs.frozen(kw_only=True)
class ResponseMcpCallCompletedEvent(ItemEvent):
    """An MCP tool call is complete (``response.mcp_call.completed``)."""

    type: Literal["response.mcp_call.completed"] = "response.mcp_call.completed"


@attrs.frozen(kw_only=True)
class ResponseMcpCallFailedEvent(ItemEvent):
    """An MCP tool call failed (``response.mcp_call.failed``)."""

    type: Literal["response.mcp_call.failed"] = "response.mcp_call.failed"


@attrs.frozen(kw_only=True)
class ResponseMcpListToolsInProgressEvent(ItemEvent):
    """Listing an MCP server's tools started (``response.mcp_list_tools.in_progress``)."""

    type: Literal["response.mcp_list_tools.in_progress"] = "response.mcp_list_tools.in_progress"


@attrs.frozen(kw_only=True)
class ResponseMcpListToolsCompletedEvent(ItemEvent):
    """An MCP server's tools are listed (``response.mcp_list_tools.completed``)."""

    type: Literal["response.mcp_list_tools.completed"] = "response.mcp_list_tools.completed"


@attrs.frozen(kw_only=True)
class ResponseMcpListToolsFailedEvent(ItemEvent):
    """Listing an MCP server's tools failed (``response.mcp_list_tools.failed``)."""

    type: Literal["response.mcp_list_tools.failed"] = "response.mcp_list_tools.failed"


@attrs.frozen(kw_only=True)
class ResponseShellCallCommandAddedEvent(ResponseStreamEvent):
    """A new shell command of a shell call (this event has no ``item_id``)."""

    type: Literal["response.shell_call_command.added"] = "response.shell_call_command.added"
    output_index: int
    command_index: int
    command: str = ""


@attrs.frozen(kw_only=True)
class ResponseShellCallCommandDeltaEvent(ResponseStreamEvent, DeltaEvent):
    """More of a shell command (``response.shell_call_command.delta``)."""

    type: Literal["response.shell_call_command.delta"] = "response.shell_call_command.delta"
    output_index: int
    command_index: int
    delta: str
    obfuscation: str | None = None


@attrs.frozen(kw_only=True)
class ResponseShellCallCommandDoneEvent(ResponseStreamEvent):
    """A shell command is complete (``response.shell_call_command.done``)."""

    type: Literal["response.shell_call_command.done"] = "response.shell_call_command.done"
    output_index: int
    command_index: int
    command: str


@attrs.frozen(kw_only=True)
class ResponseShellCallOutputContentDeltaEvent(ItemEvent):
    """More output of a shell command (``response.shell_call_output_content.delta``).

    ``delta`` has ``stdout`` and/or ``stderr``. Not a :class:`DeltaEvent`: its ``delta`` is an
    object, not text.
    """

    type: Literal["response.shell_call_output_content.delta"] = (
        "response.shell_call_output_content.delta"
    )
    command_index: int
    delta: dict[str, Any]


@attrs.frozen(kw_only=True)
class ResponseShellCallOutputContentDoneEvent(ItemEvent):
    """The output of a shell command is complete (``response.shell_call_output_content.done``)."""

    type: Literal["response.shell_call_output_content.done"] = (
        "response.shell_call_output_content.done"
    )
    command_index: int
    output: list[Any] = attrs.Factory(list)  # pyright: ignore[reportUnknownVariableType]


@attrs.frozen(kw_only=True)
class ResponseCompactionCompactingEvent(ItemEvent):
    """The conversation is being compacted (``response.compaction.compacting``)."""

    type: Literal["response.compaction.compacting"] = "response.compaction.compacting"


@attrs.frozen(kw_only=True)
class ResponseAudioDeltaEvent(ResponseStreamEvent, DeltaEvent):
    """More output audio (base64) (``response.audio.delta``)."""

    type: Literal["response.audio.delta"] = "response.audio.delta"
    delta: str


@attrs.frozen(kw_only=True)
class ResponseAudioDoneEvent(ResponseStreamEvent):
    """The output audio is complete (``response.audio.done``)."""

    type: Literal["response.audio.done"] = "response.audio.done"


@attrs.frozen(kw_only=True)
class ResponseAudioTranscriptDeltaEvent(ResponseStreamEvent, DeltaEvent):
    """More of the output audio's transcript (``response.audio.transcript.delta``)."""

    type: Literal["response.audio.transcript.delta"] = "response.audio.transcript.delta"
    delta: str


@attrs.frozen(kw_only=True)
class ResponseAudioTranscriptDoneEvent(ResponseStreamEvent):
    """The output audio's transcript is complete (``response.audio.transcript.done``)."""

    type: Literal["response.audio.transcript.done"] = "response.audio.transcript.done"
