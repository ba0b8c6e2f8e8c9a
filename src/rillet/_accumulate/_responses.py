r"""Folds Responses API stream events into a live ``Response`` snapshot, and the final result.

Mutable state is kept per output item and content part (text in :class:`TextBuffer`\\ s); the
frozen ``Response`` is built when someone reads :attr:`ResponseAccumulator.snapshot`, reusing
every item that has not changed since the last read. Appending a delta is O(len(delta)), and a
handler that reads the snapshot after every delta stays linear overall.

The final result is the server's: when a terminal event (``response.completed``, ``incomplete``
or ``failed``) carries the response, that object is returned unchanged.
"""

from __future__ import annotations

from typing import Any, Final, Literal

from rillet._accumulate._partial import PartialValues
from rillet._accumulate._text import TextBuffer
from rillet._errors import (
    InconsistentStreamError,
    ResponseFailedError,
    ServerStreamError,
    StreamTruncatedError,
)
from rillet.events import (
    CodeInterpreterCallItem,
    ContentEvent,
    ContentPart,
    CustomToolCallItem,
    Event,
    FunctionCallItem,
    ImageGenerationCallItem,
    ItemEvent,
    McpCallItem,
    MessageItem,
    OutputItem,
    OutputTextContent,
    ReasoningItem,
    ReasoningTextContent,
    RefusalContent,
    Response,
    ResponseCodeInterpreterCallCodeDeltaEvent,
    ResponseCodeInterpreterCallCodeDoneEvent,
    ResponseCompletedEvent,
    ResponseContentPartAddedEvent,
    ResponseContentPartDoneEvent,
    ResponseCustomToolCallInputDeltaEvent,
    ResponseCustomToolCallInputDoneEvent,
    ResponseErrorEvent,
    ResponseFailedEvent,
    ResponseFunctionCallArgumentsDeltaEvent,
    ResponseFunctionCallArgumentsDoneEvent,
    ResponseImageGenerationCallPartialImageEvent,
    ResponseIncompleteEvent,
    ResponseLifecycleEvent,
    ResponseMcpCallArgumentsDeltaEvent,
    ResponseMcpCallArgumentsDoneEvent,
    ResponseOutputItemAddedEvent,
    ResponseOutputItemDoneEvent,
    ResponseOutputTextAnnotationAddedEvent,
    ResponseOutputTextDeltaEvent,
    ResponseOutputTextDoneEvent,
    ResponseReasoningSummaryPartAddedEvent,
    ResponseReasoningSummaryPartDoneEvent,
    ResponseReasoningSummaryTextDeltaEvent,
    ResponseReasoningSummaryTextDoneEvent,
    ResponseReasoningTextDeltaEvent,
    ResponseReasoningTextDoneEvent,
    ResponseRefusalDeltaEvent,
    ResponseRefusalDoneEvent,
    ResponseStreamEvent,
    SummaryTextContent,
)
from rillet.events import (
    Logprob as _Logprob,
)
from rillet.events._model import evolve

__all__ = ["ResponseAccumulator", "ResponseOutcome"]

ResponseOutcome = Literal["streaming", "completed", "incomplete", "failed", "error", "truncated"]
"""How a Responses stream ended, or ``"streaming"`` while it has not."""

# The field of an item that a delta stream fills, by item class.
_STREAMED_FIELD: Final[dict[type, str]] = {
    FunctionCallItem: "arguments",
    CustomToolCallItem: "input",
    McpCallItem: "arguments",
    CodeInterpreterCallItem: "code",
}
# The text field of each kind of content part.
_PART_TEXT: Final[dict[type, str]] = {
    OutputTextContent: "text",
    RefusalContent: "refusal",
    ReasoningTextContent: "text",
    SummaryTextContent: "text",
}
# Item status events: response.<item kind>.<status> with no other fields.
_STATUS_WORDS: Final = frozenset(
    {"in_progress", "searching", "interpreting", "generating", "completed", "failed"}
)


_PartModel = ContentPart | SummaryTextContent


class _Part:
    """A content or summary part being streamed."""

    __slots__ = ("annotations", "built", "done", "logprobs", "model", "text")

    def __init__(self, model: _PartModel) -> None:
        self.model = model
        self.text = TextBuffer(_part_text(model))
        self.annotations: list[Any] = list(getattr(model, "annotations", ()))
        logprobs = getattr(model, "logprobs", None)
        self.logprobs: list[_Logprob] | None = None if logprobs is None else list(logprobs)
        self.done = False
        self.built: _PartModel | None = None

    def finish(self, model: _PartModel) -> None:
        """The part's ``.done`` event: its final model is the part from now on."""
        self.model = model
        self.done = True

    def build(self) -> _PartModel:
        if self.built is None:
            if self.done:
                self.built = self.model
            else:
                changes: dict[str, Any] = {}
                field = _PART_TEXT.get(type(self.model))
                if field is not None:
                    changes[field] = self.text.value()
                if isinstance(self.model, OutputTextContent):
                    changes["annotations"] = list(self.annotations)
                    if self.logprobs is not None:
                        changes["logprobs"] = list(self.logprobs)
                self.built = evolve(self.model, **changes) if changes else self.model
        return self.built


def _append_part(parts: list[_Part], index: int, field: str, model: _PartModel) -> None:
    """Add the part a ``.added`` event announces at ``index``, which must be the next one."""
    if index != len(parts):
        msg = f"{field} {index}, but {len(parts)} part(s) so far"
        raise _Mismatch(msg)
    parts.append(_Part(model))


class _Item:
    """An output item being streamed: its latest model and what its deltas added."""

    __slots__ = (
        "_model",
        "built",
        "content",
        "done",
        "id",
        "image",
        "status",
        "streamed",
        "summary",
    )

    def __init__(self, model: OutputItem) -> None:
        self.model = model
        self.done = False
        self.built: OutputItem | None = None
        self.content: list[_Part] = [_Part(p) for p in getattr(model, "content", None) or ()]
        self.summary: list[_Part] = [_Part(p) for p in getattr(model, "summary", None) or ()]
        field = _STREAMED_FIELD.get(type(model))
        self.streamed = TextBuffer(getattr(model, field) or "") if field else None
        self.image: str | None = None
        self.status: str | None = None

    @property
    def model(self) -> OutputItem:
        return self._model

    @model.setter
    def model(self, model: OutputItem) -> None:
        self._model = model
        self.id: str | None = getattr(model, "id", None)

    def build(self) -> OutputItem:
        if self.built is None:
            if self.done:
                self.built = self.model
            else:
                self.built = evolve(self.model, **self._changes())
        return self.built

    def _changes(self) -> dict[str, Any]:
        model = self.model
        changes: dict[str, Any] = {}
        if isinstance(model, MessageItem):
            changes["content"] = [part.build() for part in self.content]
        elif isinstance(model, ReasoningItem):
            changes["summary"] = [part.build() for part in self.summary]
            if self.content:
                changes["content"] = [part.build() for part in self.content]
        field = _STREAMED_FIELD.get(type(model))
        if field is not None and self.streamed is not None:
            changes[field] = self.streamed.value()
        if self.image is not None and isinstance(model, ImageGenerationCallItem):
            changes["result"] = self.image
        if self.status is not None and hasattr(model, "status"):
            changes["status"] = self.status
        return changes


class ResponseAccumulator:
    """Builds the whole ``Response`` from Responses API stream events.

    Sans-IO: feed it events from anywhere with :meth:`add`, read :attr:`snapshot` at any time,
    call :meth:`close` when the stream ends, then :meth:`result`.

    Args:
        strict: Raise :class:`~rillet.InconsistentStreamError` on events that contradict the
            ones before (a delta for an item never added, a wrong index). With
            ``strict=False`` such events are skipped and described in :attr:`problems`.
    """

    def __init__(self, *, strict: bool = True) -> None:
        self.strict = strict
        self.problems: list[str] = []
        """What ``strict=False`` skipped, one line per event."""
        self.last_sequence_number: int | None = None
        """The ``sequence_number`` of the last event added (for resuming a stream)."""
        self.backfilled: list[int] = []
        """Output indexes whose items were finished only by the terminal ``response``.

        The API sometimes sends no ``output_item.done`` for an item (with several MCP servers,
        for instance) and gives it only in ``response.completed``. (The terminal response's
        items replace all accumulated ones: they are the server's final word, and reasoning
        items' ``encrypted_content`` differs there from their ``output_item.done``.)"""
        self._base: Response | None = None
        self._final: Response | None = None
        self._error: ResponseErrorEvent | None = None
        self._outcome: ResponseOutcome = "streaming"
        self._items: list[_Item] = []
        self._snapshot: Response | None = None
        self._partials: PartialValues[str | None] = PartialValues()

    # -- reading ----------------------------------------------------------------------------

    @property
    def outcome(self) -> ResponseOutcome:
        """How the stream ended (``"truncated"`` only after :meth:`close`)."""
        return self._outcome

    @property
    def final(self) -> Response | None:
        """The response of the terminal event, exactly as the server sent it, once it came."""
        return self._final

    @property
    def error(self) -> ResponseErrorEvent | None:
        """The ``error`` event, if the server sent one."""
        return self._error

    @property
    def snapshot(self) -> Response | None:
        """The response as accumulated so far (``None`` before anything arrived)."""
        if self._snapshot is None and (self._base is not None or self._items):
            base = self._base if self._base is not None else Response(id="")
            output = [item.build() for item in self._items]
            self._snapshot = evolve(base, output=output)
        return self._snapshot

    @property
    def partial_output(self) -> Any:  # noqa: ANN401 - JSON
        """The output text parsed as JSON as far as it has come (structured output).

        The text of the first message's first ``output_text`` part, as a partial value (see
        :class:`~rillet.PartialJSON`): ``None`` until it starts. Parsed when read, only what
        arrived since the last read; the value is live (it changes as the text grows).

        Raises:
            PartialJSONError: The output text is not JSON.
        """
        for item in self._items:
            if isinstance(item.model, MessageItem):
                for part in item.content:
                    if isinstance(part.model, OutputTextContent):
                        return self._partials.read(None, part.text)
        return None

    def partial_arguments(self, item_id: str) -> Any:  # noqa: ANN401 - JSON
        """A function call's arguments parsed as JSON as far as they have come.

        ``item_id`` is the call's item id (``event.item_id`` of its argument events); ``None``
        until the call and its arguments start. Live, as :attr:`partial_output` is.

        Raises:
            PartialJSONError: The arguments are not JSON.
        """
        for item in self._items:
            if item.id == item_id and item.streamed is not None:
                return self._partials.read(item_id, item.streamed)
        return None

    def function_call_id(self, call: int) -> str | None:
        """The item id of function call number ``call`` of the output (the neutral events' index).

        ``None`` until that call starts.
        """
        calls = [item.id for item in self._items if type(item.model) is FunctionCallItem]
        return calls[call] if 0 <= call < len(calls) else None

    def result(self) -> Response:
        """The final response: the terminal event's, unchanged, for completed or incomplete.

        Raises:
            ResponseFailedError: The response failed (``response.failed``).
            ServerStreamError: The server sent an ``error`` event.
            StreamTruncatedError: The stream ended with no terminal event (see :meth:`close`),
                or has not ended yet.

        Each error carries the best partial response as ``partial``.
        """
        if self._outcome in ("completed", "incomplete") and self._final is not None:
            return self._final
        if self._outcome == "failed" and self._final is not None:
            raise ResponseFailedError(self._final, partial=self.snapshot)
        if self._error is not None:
            error = self._error
            raise ServerStreamError(
                message=error.message,
                code=error.code,
                error_type=error.error_type,
                param=error.param,
                event=error,
                partial=self.snapshot,
            )
        where = (
            f"after event #{self.last_sequence_number}"
            if self.last_sequence_number is not None
            else f"after {len(self._items)} output item(s)"
        )
        state = "ended" if self._outcome == "truncated" else "has not ended"
        reason = f"the stream {state} with no terminal event, {where}"
        raise StreamTruncatedError(reason, partial=self.snapshot)

    # -- folding ----------------------------------------------------------------------------

    def close(self) -> ResponseOutcome:
        """Note that the stream ended; with no terminal event, the outcome is ``"truncated"``."""
        if self._outcome == "streaming":
            self._outcome = "truncated"
        return self._outcome

    def add(self, event: Event) -> None:
        """Fold one event into the snapshot. Keepalive and unknown events are ignored."""
        handler = _HANDLERS.get(type(event))
        if handler is None:
            if isinstance(event, ResponseStreamEvent):
                if event.sequence_number is not None:
                    self.last_sequence_number = event.sequence_number
                if isinstance(event, ItemEvent) and event.type.rsplit(".", 1)[-1] in _STATUS_WORDS:
                    self._item_status(event)
            return
        stream_event: Any = event  # only stream events have handlers
        number: int | None = stream_event.sequence_number
        if number is not None:
            self.last_sequence_number = number
        try:
            handler(self, event)
        except _Mismatch as mismatch:
            if self.strict:
                raise InconsistentStreamError(
                    event_type=event.type, sequence_number=number, reason=str(mismatch)
                ) from None
            where = "" if number is None else f" #{number}"
            self.problems.append(f"{event.type}{where}: {mismatch}")
            return
        self._snapshot = None

    def _lifecycle(self, event: ResponseLifecycleEvent) -> None:
        self._base = event.response
        outcome = _TERMINAL.get(type(event))
        if outcome is not None:
            self._final = event.response
            self._outcome = outcome
            self._backfill(event.response.output)

    def _backfill(self, output: list[OutputItem]) -> None:
        """Take every item the terminal response lists: it is the server's final word."""
        for index, final_item in enumerate(output):
            if index < len(self._items):
                item = self._items[index]
            else:
                item = _Item(final_item)
                self._items.append(item)
            if not item.done:
                self.backfilled.append(index)
            item.model = final_item
            item.done = True
            item.built = None

    def _error_event(self, event: ResponseErrorEvent) -> None:
        self._error = event
        if self._outcome == "streaming":
            self._outcome = "error"

    def _item_added(self, event: ResponseOutputItemAddedEvent) -> None:
        if event.output_index != len(self._items):
            msg = f"output_index {event.output_index}, but {len(self._items)} item(s) so far"
            raise _Mismatch(msg)
        self._items.append(_Item(event.item))

    def _item_done(self, event: ResponseOutputItemDoneEvent) -> None:
        item = self._item(event.output_index, getattr(event.item, "id", None))
        item.model = event.item
        item.done = True
        item.built = None

    def _item(self, index: int, item_id: str | None) -> _Item:
        if not 0 <= index < len(self._items):
            msg = f"no output item at output_index {index} ({len(self._items)} so far)"
            raise _Mismatch(msg)
        item = self._items[index]
        known = item.id
        if item_id is not None and known is not None and known != item_id:
            msg = f"item_id {item_id!r}, but the item at output_index {index} is {known!r}"
            raise _Mismatch(msg)
        item.built = None  # about to change
        return item

    def _item_status(self, event: ItemEvent) -> None:
        try:
            item = self._item(event.output_index, event.item_id)
        except _Mismatch:
            return  # a status event needs no accumulation: nothing is lost
        item.status = event.type.rsplit(".", 1)[-1]
        self._snapshot = None

    def _part(self, event: ContentEvent) -> _Part:
        items = self._items
        index = event.output_index
        if 0 <= index < len(items) and items[index].id == event.item_id:  # the usual case
            item = items[index]
            item.built = None
        else:
            item = self._item(index, event.item_id)
        if not 0 <= event.content_index < len(item.content):
            msg = f"no part at content_index {event.content_index} ({len(item.content)} so far)"
            raise _Mismatch(msg)
        part = item.content[event.content_index]
        part.built = None
        return part

    def _part_added(self, event: ResponseContentPartAddedEvent) -> None:
        item = self._item(event.output_index, event.item_id)
        _append_part(item.content, event.content_index, "content_index", event.part)

    def _part_done(self, event: ResponseContentPartDoneEvent) -> None:
        self._part(event).finish(event.part)

    def _text_delta(self, event: ResponseOutputTextDeltaEvent) -> None:
        part = self._part(event)
        part.text.append(event.delta)
        if event.logprobs:
            if part.logprobs is None:
                part.logprobs = []
            part.logprobs.extend(event.logprobs)  # our own list: snapshots get copies

    def _text_done(
        self, event: ResponseOutputTextDoneEvent | ResponseReasoningTextDoneEvent
    ) -> None:
        self._check_done(self._part(event).text, event.text, "text")

    def _delta(self, event: ResponseRefusalDeltaEvent | ResponseReasoningTextDeltaEvent) -> None:
        self._part(event).text.append(event.delta)

    def _refusal_done(self, event: ResponseRefusalDoneEvent) -> None:
        self._check_done(self._part(event).text, event.refusal, "refusal")

    def _annotation(self, event: ResponseOutputTextAnnotationAddedEvent) -> None:
        part = self._part(event)
        if event.annotation is not None:
            part.annotations.insert(event.annotation_index, event.annotation)

    def _summary_part_added(self, event: ResponseReasoningSummaryPartAddedEvent) -> None:
        item = self._item(event.output_index, event.item_id)
        _append_part(item.summary, event.summary_index, "summary_index", event.part)

    def _summary_part_done(self, event: ResponseReasoningSummaryPartDoneEvent) -> None:
        self._summary(event, event.summary_index).finish(event.part)

    def _summary_delta(self, event: ResponseReasoningSummaryTextDeltaEvent) -> None:
        self._summary(event, event.summary_index).text.append(event.delta)

    def _summary_done(self, event: ResponseReasoningSummaryTextDoneEvent) -> None:
        self._check_done(self._summary(event, event.summary_index).text, event.text, "text")

    def _summary(self, event: ItemEvent, index: int) -> _Part:
        item = self._item(event.output_index, event.item_id)
        if not 0 <= index < len(item.summary):
            msg = f"no summary part at summary_index {index} ({len(item.summary)} so far)"
            raise _Mismatch(msg)
        part = item.summary[index]
        part.built = None
        return part

    def _streamed(self, event: ItemEvent) -> TextBuffer:
        item = self._item(event.output_index, event.item_id)
        if item.streamed is None:
            msg = f"a {event.type} event for a {item.model.type} item"
            raise _Mismatch(msg)
        return item.streamed

    def _streamed_delta(
        self,
        event: ResponseFunctionCallArgumentsDeltaEvent
        | ResponseCustomToolCallInputDeltaEvent
        | ResponseMcpCallArgumentsDeltaEvent
        | ResponseCodeInterpreterCallCodeDeltaEvent,
    ) -> None:
        self._streamed(event).append(event.delta)

    def _arguments_done(
        self, event: ResponseFunctionCallArgumentsDoneEvent | ResponseMcpCallArgumentsDoneEvent
    ) -> None:
        self._check_done(self._streamed(event), event.arguments, "arguments")

    def _input_done(self, event: ResponseCustomToolCallInputDoneEvent) -> None:
        self._check_done(self._streamed(event), event.input, "input")

    def _code_done(self, event: ResponseCodeInterpreterCallCodeDoneEvent) -> None:
        self._check_done(self._streamed(event), event.code, "code")

    def _partial_image(self, event: ResponseImageGenerationCallPartialImageEvent) -> None:
        self._item(event.output_index, event.item_id).image = event.partial_image_b64

    @staticmethod
    def _check_done(buffer: TextBuffer, final: str, name: str) -> None:
        """The done event's text is the truth: adopt it, and report deltas that disagree."""
        if buffer.value() != final:
            msg = (
                f"the deltas add up to {len(buffer)} characters of {name}, but the done event "
                f"has {len(final)}: deltas were lost or repeated"
            )
            buffer.replace(final)
            raise _Mismatch(msg)


class _Mismatch(Exception):  # noqa: N818 - internal signal, reported as InconsistentStreamError
    """An event that does not fit the state: strict mode raises, lenient mode skips it."""


_TERMINAL: Final[dict[type, ResponseOutcome]] = {
    ResponseCompletedEvent: "completed",
    ResponseIncompleteEvent: "incomplete",
    ResponseFailedEvent: "failed",
}
_R = ResponseAccumulator
_HANDLERS: Final[dict[type, Any]] = {
    **dict.fromkeys(ResponseLifecycleEvent.__subclasses__(), _R._lifecycle),  # noqa: SLF001
    ResponseErrorEvent: _R._error_event,  # noqa: SLF001
    ResponseOutputItemAddedEvent: _R._item_added,  # noqa: SLF001
    ResponseOutputItemDoneEvent: _R._item_done,  # noqa: SLF001
    ResponseContentPartAddedEvent: _R._part_added,  # noqa: SLF001
    ResponseContentPartDoneEvent: _R._part_done,  # noqa: SLF001
    ResponseOutputTextDeltaEvent: _R._text_delta,  # noqa: SLF001
    ResponseOutputTextDoneEvent: _R._text_done,  # noqa: SLF001
    ResponseOutputTextAnnotationAddedEvent: _R._annotation,  # noqa: SLF001
    ResponseRefusalDeltaEvent: _R._delta,  # noqa: SLF001
    ResponseRefusalDoneEvent: _R._refusal_done,  # noqa: SLF001
    ResponseReasoningTextDeltaEvent: _R._delta,  # noqa: SLF001
    ResponseReasoningTextDoneEvent: _R._text_done,  # noqa: SLF001
    ResponseReasoningSummaryPartAddedEvent: _R._summary_part_added,  # noqa: SLF001
    ResponseReasoningSummaryPartDoneEvent: _R._summary_part_done,  # noqa: SLF001
    ResponseReasoningSummaryTextDeltaEvent: _R._summary_delta,  # noqa: SLF001
    ResponseReasoningSummaryTextDoneEvent: _R._summary_done,  # noqa: SLF001
    ResponseFunctionCallArgumentsDeltaEvent: _R._streamed_delta,  # noqa: SLF001
    ResponseFunctionCallArgumentsDoneEvent: _R._arguments_done,  # noqa: SLF001
    ResponseCustomToolCallInputDeltaEvent: _R._streamed_delta,  # noqa: SLF001
    ResponseCustomToolCallInputDoneEvent: _R._input_done,  # noqa: SLF001
    ResponseMcpCallArgumentsDeltaEvent: _R._streamed_delta,  # noqa: SLF001
    ResponseMcpCallArgumentsDoneEvent: _R._arguments_done,  # noqa: SLF001
    ResponseCodeInterpreterCallCodeDeltaEvent: _R._streamed_delta,  # noqa: SLF001
    ResponseCodeInterpreterCallCodeDoneEvent: _R._code_done,  # noqa: SLF001
    ResponseImageGenerationCallPartialImageEvent: _R._partial_image,  # noqa: SLF001
}


def _part_text(model: _PartModel) -> str:
    field = _PART_TEXT.get(type(model))
    return getattr(model, field) if field else ""
