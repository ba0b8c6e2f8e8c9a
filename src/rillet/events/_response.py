"""The ``Response`` object of the Responses API and everything it holds.

Only what users read is modelled field by field; deeper structures (tool definitions, web search
actions, code outputs) are kept as JSON values, and every model's ``to_dict()`` returns the whole
object the server sent, modelled or not. Enumerations (``status``, ``reason``...) are typed with
the values the API documents (``Literal`` types such as ``ResponseStatus``), but take any string:
a value the API adds tomorrow is kept as it comes, and does not break parsing today.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar, Final, Literal

import attrs

from rillet.events._literals import (
    ApplyPatchCallStatus,
    CodeInterpreterCallStatus,
    FileSearchCallStatus,
    ImageGenerationCallStatus,
    IncompleteReason,
    ItemStatus,
    McpCallStatus,
    MessagePhase,
    ResponseStatus,
    ServiceTier,
    Truncation,
    WebSearchCallStatus,
)
from rillet.events._model import Model, by_type, tagged_union

__all__ = [
    "Annotation",
    "ApplyPatchCallItem",
    "CodeInterpreterCallItem",
    "CompactionItem",
    "ComputerCallItem",
    "ContainerFileCitation",
    "ContentPart",
    "CustomToolCallItem",
    "FileCitation",
    "FilePathAnnotation",
    "FileSearchCallItem",
    "FunctionCallItem",
    "ImageGenerationCallItem",
    "IncompleteDetails",
    "InputTokensDetails",
    "LocalShellCallItem",
    "Logprob",
    "McpApprovalRequestItem",
    "McpCallItem",
    "McpListToolsItem",
    "MessageContent",
    "MessageItem",
    "OutputItem",
    "OutputTextContent",
    "OutputTokensDetails",
    "ReasoningItem",
    "ReasoningTextContent",
    "RefusalContent",
    "Response",
    "ResponseError",
    "ResponseUsage",
    "ShellCallItem",
    "ShellCallOutputItem",
    "SummaryTextContent",
    "TopLogprob",
    "URLCitation",
    "UnknownAnnotation",
    "UnknownContent",
    "UnknownItem",
    "WebSearchCallItem",
]


# -- annotations ------------------------------------------------------------------------------


@attrs.frozen(kw_only=True)
class FileCitation(Model):
    """A citation of a file (``file_citation``)."""

    type: Literal["file_citation"] = "file_citation"
    file_id: str
    filename: str | None = None
    index: int | None = None


@attrs.frozen(kw_only=True)
class URLCitation(Model):
    """A citation of a web page (``url_citation``), by character range of the text."""

    type: Literal["url_citation"] = "url_citation"
    url: str
    title: str | None = None
    start_index: int | None = None
    end_index: int | None = None


@attrs.frozen(kw_only=True)
class ContainerFileCitation(Model):
    """A citation of a file in a code interpreter container (``container_file_citation``)."""

    type: Literal["container_file_citation"] = "container_file_citation"
    container_id: str
    file_id: str
    filename: str | None = None
    start_index: int | None = None
    end_index: int | None = None


@attrs.frozen(kw_only=True)
class FilePathAnnotation(Model):
    """A path to a generated file (``file_path``)."""

    type: Literal["file_path"] = "file_path"
    file_id: str
    index: int | None = None


KIND_FIELDS: Final = frozenset(
    ("annotation_type", "part_type", "item_type", "block_type", "delta_type")
)
"""The fields of the unknown models that hold the ``type`` the server sent."""


class _UnknownKind(Model):
    """A model of a kind rillet does not know.

    Its ``type`` is ``"unknown"``; the field ``_kind_field`` names (one of :data:`KIND_FIELDS`)
    holds the ``type`` the server sent, which ``to_dict()`` gives back as ``type``.
    """

    __slots__ = ()
    _kind_field: ClassVar[str]

    @classmethod
    def _from_wire(cls, data: Mapping[str, Any]) -> Mapping[str, Any]:
        shaped = {key: value for key, value in data.items() if key != "type"}
        if "type" in data:
            shaped[cls._kind_field] = data["type"]
        return shaped

    @classmethod
    def _wire_path(cls, data: Mapping[str, Any], field: str) -> str:
        del data
        return "type" if field == cls._kind_field else field


@attrs.frozen(kw_only=True)
class UnknownAnnotation(_UnknownKind):
    """An annotation of a type rillet does not know yet; ``to_dict()`` has all of it.

    Its ``type`` is ``"unknown"``, so that ``annotation.type == "..."`` narrows the
    :data:`Annotation` union; ``annotation_type`` is the server's.
    """

    _kind_field = "annotation_type"
    type: Literal["unknown"] = "unknown"
    annotation_type: str


Annotation = (
    FileCitation | URLCitation | ContainerFileCitation | FilePathAnnotation | UnknownAnnotation
)
"""Any annotation of an ``output_text`` part."""

tagged_union(Annotation, by_type(*Annotation.__args__[:-1]), UnknownAnnotation)


# -- content parts ----------------------------------------------------------------------------


@attrs.frozen(kw_only=True)
class TopLogprob(Model):
    """One of the most likely tokens at a position."""

    token: str | None = None
    logprob: float | None = None
    bytes: list[int] | None = None


@attrs.frozen(kw_only=True)
class Logprob(Model):
    """The log probability of an output token, and the alternatives."""

    token: str
    logprob: float
    bytes: list[int] | None = None
    top_logprobs: list[TopLogprob] = attrs.Factory(list)  # pyright: ignore[reportUnknownVariableType]


@attrs.frozen(kw_only=True)
class OutputTextContent(Model):
    """Text the model wrote (``output_text``), with its annotations."""

    type: Literal["output_text"] = "output_text"
    text: str
    annotations: list[Annotation] = attrs.Factory(list)  # pyright: ignore[reportUnknownVariableType]
    logprobs: list[Logprob] | None = None


@attrs.frozen(kw_only=True)
class RefusalContent(Model):
    """A refusal to answer (``refusal``)."""

    type: Literal["refusal"] = "refusal"
    refusal: str


@attrs.frozen(kw_only=True)
class ReasoningTextContent(Model):
    """Reasoning text (``reasoning_text``), part of a reasoning item's ``content``."""

    type: Literal["reasoning_text"] = "reasoning_text"
    text: str


@attrs.frozen(kw_only=True)
class SummaryTextContent(Model):
    """A reasoning summary part (``summary_text``)."""

    type: Literal["summary_text"] = "summary_text"
    text: str


@attrs.frozen(kw_only=True)
class UnknownContent(_UnknownKind):
    """A content part of a type rillet does not know yet; ``to_dict()`` has all of it.

    Its ``type`` is ``"unknown"``, so that ``part.type == "..."`` narrows the unions of parts;
    ``part_type`` is the server's.
    """

    _kind_field = "part_type"
    type: Literal["unknown"] = "unknown"
    part_type: str


MessageContent = OutputTextContent | RefusalContent | UnknownContent
"""A part of a message's ``content``."""

ContentPart = OutputTextContent | RefusalContent | ReasoningTextContent | UnknownContent
"""A part announced by ``response.content_part.added`` / ``.done``."""

tagged_union(MessageContent, by_type(*MessageContent.__args__[:-1]), UnknownContent)
tagged_union(ContentPart, by_type(*ContentPart.__args__[:-1]), UnknownContent)


# -- output items -----------------------------------------------------------------------------


@attrs.frozen(kw_only=True)
class MessageItem(Model):
    """An assistant message (``message``): text and refusal parts."""

    type: Literal["message"] = "message"
    id: str
    role: Literal["assistant"] = "assistant"
    """Always ``"assistant"`` so far; any other value is kept as the server sent it."""
    status: ItemStatus | None = None
    """One of :data:`ItemStatus`; any other value is kept as the server sent it."""
    content: list[MessageContent] = attrs.Factory(list)  # pyright: ignore[reportUnknownVariableType]
    phase: MessagePhase | None = None
    """One of :data:`MessagePhase`; any other value is kept as the server sent it."""


@attrs.frozen(kw_only=True)
class ReasoningItem(Model):
    """The model's reasoning (``reasoning``): summary parts, reasoning text, or neither."""

    type: Literal["reasoning"] = "reasoning"
    id: str
    summary: list[SummaryTextContent] = attrs.Factory(list)  # pyright: ignore[reportUnknownVariableType]
    content: list[ReasoningTextContent] | None = None
    encrypted_content: str | None = None
    status: ItemStatus | None = None
    """One of :data:`ItemStatus`; any other value is kept as the server sent it."""


@attrs.frozen(kw_only=True)
class FunctionCallItem(Model):
    """A call of one of your functions (``function_call``); ``arguments`` is a JSON string."""

    type: Literal["function_call"] = "function_call"
    id: str | None = None
    call_id: str
    name: str
    arguments: str
    status: ItemStatus | None = None
    """One of :data:`ItemStatus`; any other value is kept as the server sent it."""
    namespace: str | None = None


@attrs.frozen(kw_only=True)
class CustomToolCallItem(Model):
    """A call of a custom (free-form input) tool (``custom_tool_call``)."""

    type: Literal["custom_tool_call"] = "custom_tool_call"
    id: str | None = None
    call_id: str
    name: str
    input: str
    status: str | None = None
    namespace: str | None = None


@attrs.frozen(kw_only=True)
class WebSearchCallItem(Model):
    """A web search (``web_search_call``); ``action`` says what was searched or opened."""

    type: Literal["web_search_call"] = "web_search_call"
    id: str
    status: WebSearchCallStatus | None = None
    """One of :data:`WebSearchCallStatus`; any other value is kept as the server sent it."""
    action: Any = None


@attrs.frozen(kw_only=True)
class FileSearchCallItem(Model):
    """A file search (``file_search_call``)."""

    type: Literal["file_search_call"] = "file_search_call"
    id: str
    status: FileSearchCallStatus | None = None
    """One of :data:`FileSearchCallStatus`; any other value is kept as the server sent it."""
    queries: list[str] = attrs.Factory(list)  # pyright: ignore[reportUnknownVariableType]
    results: Any = None


@attrs.frozen(kw_only=True)
class CodeInterpreterCallItem(Model):
    """Code run by the code interpreter (``code_interpreter_call``)."""

    type: Literal["code_interpreter_call"] = "code_interpreter_call"
    id: str
    status: CodeInterpreterCallStatus | None = None
    """One of :data:`CodeInterpreterCallStatus`; any other value is kept as the server sent it."""
    container_id: str | None = None
    code: str | None = None
    outputs: Any = None


@attrs.frozen(kw_only=True)
class ImageGenerationCallItem(Model):
    """An image generation (``image_generation_call``); ``result`` is the base64 image."""

    type: Literal["image_generation_call"] = "image_generation_call"
    id: str
    status: ImageGenerationCallStatus | None = None
    """One of :data:`ImageGenerationCallStatus`; any other value is kept as the server sent it."""
    result: str | None = None
    revised_prompt: str | None = None
    size: str | None = None
    quality: str | None = None
    output_format: str | None = None
    background: str | None = None


@attrs.frozen(kw_only=True)
class ComputerCallItem(Model):
    """An action for your computer-use environment (``computer_call``)."""

    type: Literal["computer_call"] = "computer_call"
    id: str
    call_id: str
    status: ItemStatus | None = None
    """One of :data:`ItemStatus`; any other value is kept as the server sent it."""
    action: Any = None
    pending_safety_checks: Any = None


@attrs.frozen(kw_only=True)
class ShellCallItem(Model):
    """Commands for your shell tool (``shell_call``)."""

    type: Literal["shell_call"] = "shell_call"
    id: str
    call_id: str
    status: ItemStatus | None = None
    """One of :data:`ItemStatus`; any other value is kept as the server sent it."""
    action: Any = None


@attrs.frozen(kw_only=True)
class ShellCallOutputItem(Model):
    """The output of shell commands run by the hosted shell (``shell_call_output``)."""

    type: Literal["shell_call_output"] = "shell_call_output"
    id: str
    call_id: str
    status: ItemStatus | None = None
    """One of :data:`ItemStatus`; any other value is kept as the server sent it."""
    output: Any = None


@attrs.frozen(kw_only=True)
class LocalShellCallItem(Model):
    """A command for your local shell tool (``local_shell_call``)."""

    type: Literal["local_shell_call"] = "local_shell_call"
    id: str
    call_id: str
    status: ItemStatus | None = None
    """One of :data:`ItemStatus`; any other value is kept as the server sent it."""
    action: Any = None


@attrs.frozen(kw_only=True)
class ApplyPatchCallItem(Model):
    """A file edit for your apply-patch tool (``apply_patch_call``)."""

    type: Literal["apply_patch_call"] = "apply_patch_call"
    id: str
    call_id: str
    status: ApplyPatchCallStatus | None = None
    """One of :data:`ApplyPatchCallStatus`; any other value is kept as the server sent it."""
    operation: Any = None


@attrs.frozen(kw_only=True)
class McpCallItem(Model):
    """A call of a tool on a remote MCP server (``mcp_call``)."""

    type: Literal["mcp_call"] = "mcp_call"
    id: str
    server_label: str
    name: str
    arguments: str = ""
    output: str | None = None
    error: Any = None
    status: McpCallStatus | None = None
    """One of :data:`McpCallStatus`; any other value is kept as the server sent it."""
    approval_request_id: str | None = None


@attrs.frozen(kw_only=True)
class McpListToolsItem(Model):
    """The tools a remote MCP server offers (``mcp_list_tools``)."""

    type: Literal["mcp_list_tools"] = "mcp_list_tools"
    id: str
    server_label: str
    tools: list[Any] = attrs.Factory(list)  # pyright: ignore[reportUnknownVariableType]
    error: Any = None


@attrs.frozen(kw_only=True)
class McpApprovalRequestItem(Model):
    """A request for your approval of an MCP tool call (``mcp_approval_request``)."""

    type: Literal["mcp_approval_request"] = "mcp_approval_request"
    id: str
    server_label: str
    name: str
    arguments: str = ""


@attrs.frozen(kw_only=True)
class CompactionItem(Model):
    """Compacted conversation state (``compaction``)."""

    type: Literal["compaction"] = "compaction"
    id: str
    encrypted_content: str | None = None


@attrs.frozen(kw_only=True)
class UnknownItem(_UnknownKind):
    """An output item of a kind rillet does not model; ``to_dict()`` has all of it.

    Its ``type`` is ``"unknown"``, so that ``item.type == "function_call"`` narrows the
    :data:`OutputItem` union (an unknown item's type is none of the known ones); ``item_type``
    is the server's.
    """

    _kind_field = "item_type"
    type: Literal["unknown"] = "unknown"
    item_type: str
    id: str | None = None


OutputItem = (
    MessageItem
    | ReasoningItem
    | FunctionCallItem
    | CustomToolCallItem
    | WebSearchCallItem
    | FileSearchCallItem
    | CodeInterpreterCallItem
    | ImageGenerationCallItem
    | ComputerCallItem
    | ShellCallItem
    | ShellCallOutputItem
    | LocalShellCallItem
    | ApplyPatchCallItem
    | McpCallItem
    | McpListToolsItem
    | McpApprovalRequestItem
    | CompactionItem
    | UnknownItem
)
"""Any item of ``Response.output``."""

OUTPUT_ITEM_TYPES: dict[str, type[Model]] = by_type(*OutputItem.__args__[:-1])
tagged_union(OutputItem, OUTPUT_ITEM_TYPES, UnknownItem)


# -- the response -----------------------------------------------------------------------------


@attrs.frozen(kw_only=True)
class InputTokensDetails(Model):
    """A breakdown of the input tokens."""

    cached_tokens: int = 0


@attrs.frozen(kw_only=True)
class OutputTokensDetails(Model):
    """A breakdown of the output tokens."""

    reasoning_tokens: int = 0


@attrs.frozen(kw_only=True)
class ResponseUsage(Model):
    """Token usage of a response."""

    input_tokens: int
    output_tokens: int
    total_tokens: int
    input_tokens_details: InputTokensDetails | None = None
    output_tokens_details: OutputTokensDetails | None = None


@attrs.frozen(kw_only=True)
class ResponseError(Model):
    """Why a response failed (``Response.error``)."""

    code: str | None = None
    message: str = ""


@attrs.frozen(kw_only=True)
class IncompleteDetails(Model):
    """Why a response is incomplete, e.g. ``reason="max_output_tokens"``."""

    reason: IncompleteReason | None = None
    """One of :data:`IncompleteReason`; any other value is kept as the server sent it."""


@attrs.frozen(kw_only=True)
class Response(Model):
    """A model response: its status, output items and usage."""

    id: str
    object: str = "response"
    created_at: float | None = None
    completed_at: float | None = None
    status: ResponseStatus | None = None
    """One of :data:`ResponseStatus`; any other value is kept as the server sent it."""
    model: str = ""
    output: list[OutputItem] = attrs.Factory(list)  # pyright: ignore[reportUnknownVariableType]
    usage: ResponseUsage | None = None
    error: ResponseError | None = None
    incomplete_details: IncompleteDetails | None = None
    background: bool | None = None
    instructions: Any = None
    max_output_tokens: int | None = None
    metadata: dict[str, Any] | None = None
    parallel_tool_calls: bool | None = None
    previous_response_id: str | None = None
    reasoning: Any = None
    service_tier: ServiceTier | None = None
    """One of :data:`ServiceTier`; any other value is kept as the server sent it."""
    temperature: float | None = None
    text: Any = None
    tool_choice: Any = None
    tools: list[Any] = attrs.Factory(list)  # pyright: ignore[reportUnknownVariableType]
    top_p: float | None = None
    truncation: Truncation | None = None
    """One of :data:`Truncation`; any other value is kept as the server sent it."""
    user: str | None = None

    @property
    def output_text(self) -> str:
        """The text of every ``output_text`` part of every message, joined (``""`` if none)."""
        return "".join(
            part.text
            for item in self.output
            if isinstance(item, MessageItem)
            for part in item.content
            if isinstance(part, OutputTextContent)
        )
