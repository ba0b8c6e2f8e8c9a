"""Every event of the Responses API stream, as a frozen, slotted attrs class.

Class names follow the API's type strings: ``response.output_text.delta`` is
:class:`ResponseOutputTextDeltaEvent`. Small base classes group them so that handlers can
subscribe to families: :class:`Event` (everything), :class:`ResponseStreamEvent` (every
Responses event), :class:`ResponseLifecycleEvent` (the ones that carry the whole ``response``),
:class:`DeltaEvent` (every event with a text ``delta``), :class:`ItemEvent` (events about one
output item) and :class:`ContentEvent` (events about one content part).

The events few streams carry (hosted tools' progress, shell calls, compaction, audio) are in
:mod:`rillet.events._responses_rare`, whose classes are built on first use.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal

import attrs

from rillet.events._model import Model
from rillet.events._response import (
    Annotation,
    ContentPart,
    Logprob,
    OutputItem,
    Response,
    SummaryTextContent,
)

__all__ = [
    "ContentEvent",
    "DeltaEvent",
    "Event",
    "ItemEvent",
    "KeepaliveEvent",
    "ResponseCodeInterpreterCallCodeDeltaEvent",
    "ResponseCodeInterpreterCallCodeDoneEvent",
    "ResponseCompletedEvent",
    "ResponseContentPartAddedEvent",
    "ResponseContentPartDoneEvent",
    "ResponseCreatedEvent",
    "ResponseCustomToolCallInputDeltaEvent",
    "ResponseCustomToolCallInputDoneEvent",
    "ResponseErrorEvent",
    "ResponseFailedEvent",
    "ResponseFunctionCallArgumentsDeltaEvent",
    "ResponseFunctionCallArgumentsDoneEvent",
    "ResponseImageGenerationCallPartialImageEvent",
    "ResponseInProgressEvent",
    "ResponseIncompleteEvent",
    "ResponseLifecycleEvent",
    "ResponseMcpCallArgumentsDeltaEvent",
    "ResponseMcpCallArgumentsDoneEvent",
    "ResponseOutputItemAddedEvent",
    "ResponseOutputItemDoneEvent",
    "ResponseOutputTextAnnotationAddedEvent",
    "ResponseOutputTextDeltaEvent",
    "ResponseOutputTextDoneEvent",
    "ResponseQueuedEvent",
    "ResponseReasoningSummaryPartAddedEvent",
    "ResponseReasoningSummaryPartDoneEvent",
    "ResponseReasoningSummaryTextDeltaEvent",
    "ResponseReasoningSummaryTextDoneEvent",
    "ResponseReasoningTextDeltaEvent",
    "ResponseReasoningTextDoneEvent",
    "ResponseRefusalDeltaEvent",
    "ResponseRefusalDoneEvent",
    "ResponseStreamEvent",
    "UnknownEvent",
]


@attrs.frozen(kw_only=True)
class Event(Model):
    """Base of every event rillet yields: Responses events, chat chunks and chat events."""

    type: str


class DeltaEvent(Event):
    """Base of every event that carries a piece of text (or base64) as ``delta``.

    A plain class (not an attrs one): its subclasses also derive from the base of their
    family, which has the fields.
    """

    __slots__ = ()
    delta: str


@attrs.frozen(kw_only=True)
class ResponseStreamEvent(Event):
    """Base of every event of a Responses API stream.

    ``sequence_number`` increases by one per event of a response; streams recorded before mid
    2025 do not have it (``None``).
    """

    sequence_number: int | None = None


@attrs.frozen(kw_only=True)
class ResponseLifecycleEvent(ResponseStreamEvent):
    """An event that carries the whole ``response`` as it stands (created ... completed)."""

    response: Response


@attrs.frozen(kw_only=True)
class ItemEvent(ResponseStreamEvent):
    """An event about one output item: ``item_id`` at ``output_index`` in the output."""

    item_id: str
    output_index: int


@attrs.frozen(kw_only=True)
class ContentEvent(ItemEvent):
    """An event about one content part (``content_index``) of an output item."""

    content_index: int


@attrs.frozen(kw_only=True)
class KeepaliveEvent(ResponseStreamEvent):
    """A ``{"type": "keepalive"}`` event some servers send while the model is silent.

    Undocumented but real. Yielded like any event; accumulation ignores it. (SSE comments, the
    other kind of keep-alive, are never events.)
    """

    type: Literal["keepalive"] = "keepalive"


@attrs.frozen(kw_only=True)
class UnknownEvent(ResponseStreamEvent):
    """An event of a type rillet does not know (yet): kept, never dropped or mis-typed.

    Its ``type`` is ``"unknown"``, so that ``event.type == "..."`` narrows a stream's events
    for type checkers (an unknown event's type is none of the known ones); ``event_type`` is
    the type the server gave it, which routes it to handlers of that type string. ``data`` is
    the whole JSON object the server sent (what ``to_dict()`` returns).
    """

    type: Literal["unknown"] = "unknown"
    event_type: str = ""
    data: dict[str, Any] = attrs.field(factory=dict, repr=False)  # pyright: ignore[reportUnknownVariableType]

    def __attrs_post_init__(self) -> None:
        object.__setattr__(self, "_source", self.data)  # to_dict() is what the server sent


# The nested error object's own "type" is the error's type, not the event's.
_FLAT: dict[str, str] = {"type": "error_type"}


@attrs.frozen(kw_only=True)
class ResponseErrorEvent(ResponseStreamEvent):
    """An error in the stream (``error``): data first; a stream's final response raises it.

    ``message``, ``code`` and ``param`` are read from the top of the event or from its nested
    ``error`` object, whichever the server sent; ``error_type`` is the nested object's type.
    """

    type: Literal["error"] = "error"
    message: str = ""
    code: str | None = None
    param: str | None = None
    error_type: str | None = None

    @classmethod
    def _from_wire(cls, data: Mapping[str, Any]) -> Mapping[str, Any]:
        # The API reference puts message, code and param at the top; real streams nest them
        # in an "error" object with its own "type". Both read the same here.
        nested = data.get("error")
        if type(nested) is not dict or "message" in data:
            return data
        flat = {key: value for key, value in data.items() if key != "error"}
        # A JSON object (pyright's `type(x) is dict` leaves its key and value types unknown).
        flat.update((_FLAT.get(str(key), str(key)), value) for key, value in nested.items())  # pyright: ignore[reportUnknownArgumentType, reportUnknownVariableType]
        return flat

    @classmethod
    def _wire_path(cls, data: Mapping[str, Any], field: str) -> str:
        if type(data.get("error")) is dict and "message" not in data:
            nested = {flat: wire for wire, flat in _FLAT.items()}.get(field, field)
            if nested in data["error"]:
                return f"error.{nested}"
        return field


@attrs.frozen(kw_only=True)
class ResponseCreatedEvent(ResponseLifecycleEvent):
    """The response was created (``response.created``)."""

    type: Literal["response.created"] = "response.created"


@attrs.frozen(kw_only=True)
class ResponseQueuedEvent(ResponseLifecycleEvent):
    """A background response is queued (``response.queued``)."""

    type: Literal["response.queued"] = "response.queued"


@attrs.frozen(kw_only=True)
class ResponseInProgressEvent(ResponseLifecycleEvent):
    """The response is being generated (``response.in_progress``)."""

    type: Literal["response.in_progress"] = "response.in_progress"


@attrs.frozen(kw_only=True)
class ResponseCompletedEvent(ResponseLifecycleEvent):
    """The response is complete; ``response`` is the final response (``response.completed``)."""

    type: Literal["response.completed"] = "response.completed"


@attrs.frozen(kw_only=True)
class ResponseFailedEvent(ResponseLifecycleEvent):
    """The response failed; ``response.error`` says why (``response.failed``)."""

    type: Literal["response.failed"] = "response.failed"


@attrs.frozen(kw_only=True)
class ResponseIncompleteEvent(ResponseLifecycleEvent):
    """The response ended early (``response.incomplete``); ``incomplete_details`` says why."""

    type: Literal["response.incomplete"] = "response.incomplete"


@attrs.frozen(kw_only=True)
class ResponseOutputItemAddedEvent(ResponseStreamEvent):
    """A new output item, at ``output_index`` (``response.output_item.added``)."""

    type: Literal["response.output_item.added"] = "response.output_item.added"
    output_index: int
    item: OutputItem


@attrs.frozen(kw_only=True)
class ResponseOutputItemDoneEvent(ResponseStreamEvent):
    """An output item is complete: ``item`` is its final form (``response.output_item.done``)."""

    type: Literal["response.output_item.done"] = "response.output_item.done"
    output_index: int
    item: OutputItem


@attrs.frozen(kw_only=True)
class ResponseContentPartAddedEvent(ContentEvent):
    """A new content part of a message or reasoning item (``response.content_part.added``)."""

    type: Literal["response.content_part.added"] = "response.content_part.added"
    part: ContentPart


@attrs.frozen(kw_only=True)
class ResponseContentPartDoneEvent(ContentEvent):
    """A content part is complete (``response.content_part.done``)."""

    type: Literal["response.content_part.done"] = "response.content_part.done"
    part: ContentPart


@attrs.frozen(kw_only=True)
class ResponseOutputTextDeltaEvent(ContentEvent, DeltaEvent):
    """More output text (``response.output_text.delta``)."""

    type: Literal["response.output_text.delta"] = "response.output_text.delta"
    delta: str
    logprobs: list[Logprob] = attrs.Factory(list)  # pyright: ignore[reportUnknownVariableType]
    obfuscation: str | None = None


@attrs.frozen(kw_only=True)
class ResponseOutputTextDoneEvent(ContentEvent):
    """An output text part is complete: ``text`` is all of it (``response.output_text.done``)."""

    type: Literal["response.output_text.done"] = "response.output_text.done"
    text: str
    logprobs: list[Logprob] = attrs.Factory(list)  # pyright: ignore[reportUnknownVariableType]


@attrs.frozen(kw_only=True)
class ResponseOutputTextAnnotationAddedEvent(ContentEvent):
    """An annotation (a citation, say) was added to an output text part."""

    type: Literal["response.output_text.annotation.added"] = "response.output_text.annotation.added"
    annotation_index: int
    annotation: Annotation | None = None


@attrs.frozen(kw_only=True)
class ResponseRefusalDeltaEvent(ContentEvent, DeltaEvent):
    """More refusal text (``response.refusal.delta``)."""

    type: Literal["response.refusal.delta"] = "response.refusal.delta"
    delta: str


@attrs.frozen(kw_only=True)
class ResponseRefusalDoneEvent(ContentEvent):
    """A refusal is complete (``response.refusal.done``)."""

    type: Literal["response.refusal.done"] = "response.refusal.done"
    refusal: str


@attrs.frozen(kw_only=True)
class ResponseFunctionCallArgumentsDeltaEvent(ItemEvent, DeltaEvent):
    """More of a function call's JSON arguments (``response.function_call_arguments.delta``)."""

    type: Literal["response.function_call_arguments.delta"] = (
        "response.function_call_arguments.delta"
    )
    delta: str


@attrs.frozen(kw_only=True)
class ResponseFunctionCallArgumentsDoneEvent(ItemEvent):
    """A function call's arguments are complete (``response.function_call_arguments.done``)."""

    type: Literal["response.function_call_arguments.done"] = "response.function_call_arguments.done"
    arguments: str
    name: str | None = None


@attrs.frozen(kw_only=True)
class ResponseCustomToolCallInputDeltaEvent(ItemEvent, DeltaEvent):
    """More of a custom tool call's input (``response.custom_tool_call_input.delta``)."""

    type: Literal["response.custom_tool_call_input.delta"] = "response.custom_tool_call_input.delta"
    delta: str


@attrs.frozen(kw_only=True)
class ResponseCustomToolCallInputDoneEvent(ItemEvent):
    """A custom tool call's input is complete (``response.custom_tool_call_input.done``)."""

    type: Literal["response.custom_tool_call_input.done"] = "response.custom_tool_call_input.done"
    input: str


@attrs.frozen(kw_only=True)
class ResponseReasoningSummaryPartAddedEvent(ItemEvent):
    """A new reasoning summary part (``response.reasoning_summary_part.added``)."""

    type: Literal["response.reasoning_summary_part.added"] = "response.reasoning_summary_part.added"
    summary_index: int
    part: SummaryTextContent


@attrs.frozen(kw_only=True)
class ResponseReasoningSummaryPartDoneEvent(ItemEvent):
    """A reasoning summary part is complete (``response.reasoning_summary_part.done``)."""

    type: Literal["response.reasoning_summary_part.done"] = "response.reasoning_summary_part.done"
    summary_index: int
    part: SummaryTextContent
    status: str | None = None


@attrs.frozen(kw_only=True)
class ResponseReasoningSummaryTextDeltaEvent(ItemEvent, DeltaEvent):
    """More reasoning summary text (``response.reasoning_summary_text.delta``)."""

    type: Literal["response.reasoning_summary_text.delta"] = "response.reasoning_summary_text.delta"
    summary_index: int
    delta: str


@attrs.frozen(kw_only=True)
class ResponseReasoningSummaryTextDoneEvent(ItemEvent):
    """A reasoning summary text is complete (``response.reasoning_summary_text.done``)."""

    type: Literal["response.reasoning_summary_text.done"] = "response.reasoning_summary_text.done"
    summary_index: int
    text: str


@attrs.frozen(kw_only=True)
class ResponseReasoningTextDeltaEvent(ContentEvent, DeltaEvent):
    """More reasoning text (``response.reasoning_text.delta``)."""

    type: Literal["response.reasoning_text.delta"] = "response.reasoning_text.delta"
    delta: str


@attrs.frozen(kw_only=True)
class ResponseReasoningTextDoneEvent(ContentEvent):
    """A reasoning text is complete (``response.reasoning_text.done``)."""

    type: Literal["response.reasoning_text.done"] = "response.reasoning_text.done"
    text: str


@attrs.frozen(kw_only=True)
class ResponseCodeInterpreterCallCodeDeltaEvent(ItemEvent, DeltaEvent):
    """More of the code for the code interpreter (``response.code_interpreter_call_code.delta``)."""

    type: Literal["response.code_interpreter_call_code.delta"] = (
        "response.code_interpreter_call_code.delta"
    )
    delta: str


@attrs.frozen(kw_only=True)
class ResponseCodeInterpreterCallCodeDoneEvent(ItemEvent):
    """The code for the code interpreter is complete."""

    type: Literal["response.code_interpreter_call_code.done"] = (
        "response.code_interpreter_call_code.done"
    )
    code: str


@attrs.frozen(kw_only=True)
class ResponseImageGenerationCallPartialImageEvent(ItemEvent):
    """A partial image (base64) while the image is being generated."""

    type: Literal["response.image_generation_call.partial_image"] = (
        "response.image_generation_call.partial_image"
    )
    partial_image_b64: str
    partial_image_index: int
    background: str | None = None
    output_format: str | None = None
    quality: str | None = None
    size: str | None = None


@attrs.frozen(kw_only=True)
class ResponseMcpCallArgumentsDeltaEvent(ItemEvent, DeltaEvent):
    """More of an MCP tool call's JSON arguments (``response.mcp_call_arguments.delta``)."""

    type: Literal["response.mcp_call_arguments.delta"] = "response.mcp_call_arguments.delta"
    delta: str


@attrs.frozen(kw_only=True)
class ResponseMcpCallArgumentsDoneEvent(ItemEvent):
    """An MCP tool call's arguments are complete (``response.mcp_call_arguments.done``)."""

    type: Literal["response.mcp_call_arguments.done"] = "response.mcp_call_arguments.done"
    arguments: str
