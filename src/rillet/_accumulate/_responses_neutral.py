"""The provider-neutral events of a Responses stream, derived event by event (sans-IO).

A pass over a stream's events (``events()``, a dispatch) yields each event, then what
:attr:`ResponseNeutralEvents.derivers` derives from it (looked up by the event's class: most
events derive nothing), with a fresh deriver per pass: a pure fold over the events, so every
pass, live or replayed, sees the same neutral events, and plain iteration (the library's
fastest path) pays nothing for them.

Text and reasoning deltas map one to one. A function call is started by its
``output_item.added`` and done by whichever of ``function_call_arguments.done`` and
``output_item.done`` comes first; a stream that shows neither (one that starts after the
beginning, or a call only the terminal response lists) has its calls started and done by the
terminal event, before ``UsageReported`` and the one ``Finished``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, Final

from rillet.events import (
    Finished,
    FunctionCallItem,
    NeutralEvent,
    ReasoningDelta,
    ResponseCompletedEvent,
    ResponseErrorEvent,
    ResponseFailedEvent,
    ResponseFunctionCallArgumentsDeltaEvent,
    ResponseFunctionCallArgumentsDoneEvent,
    ResponseIncompleteEvent,
    ResponseLifecycleEvent,
    ResponseOutputItemAddedEvent,
    ResponseOutputItemDoneEvent,
    ResponseOutputTextDeltaEvent,
    ResponseOutputTextDoneEvent,
    ResponseReasoningSummaryTextDeltaEvent,
    ResponseReasoningTextDeltaEvent,
    TextDelta,
    TextDone,
    ToolCallArgumentsDelta,
    ToolCallDone,
    ToolCallStarted,
    UsageReported,
)
from rillet.events._model import maker
from rillet.events._neutral_views import response_end, response_usage

__all__ = ["Derivers", "Emit", "ResponseNeutralEvents"]

Emit = Callable[[NeutralEvent], None]
"""Where derived events go."""
Derivers = Mapping[type, Callable[[Any, Emit], None]]
"""What each kind of event derives: ``derivers[type(event)](event, emit)``."""

# Made by setting their slots: the keyword __init__ would cost more than the rest of a delta.
_text_delta = maker(TextDelta, "text")
_reasoning_delta = maker(ReasoningDelta, "text")
_arguments_delta = maker(ToolCallArgumentsDelta, "index", "id", "name", "delta")

_TERMINAL_STATUS: Final[dict[type, str]] = {
    ResponseCompletedEvent: "completed",
    ResponseIncompleteEvent: "incomplete",
    ResponseFailedEvent: "failed",
}


def _text(event: ResponseOutputTextDeltaEvent, emit: Emit) -> None:
    emit(_text_delta(event.delta))


def _text_done(event: ResponseOutputTextDoneEvent, emit: Emit) -> None:
    emit(TextDone(text=event.text))


def _reasoning(
    event: ResponseReasoningSummaryTextDeltaEvent | ResponseReasoningTextDeltaEvent, emit: Emit
) -> None:
    emit(_reasoning_delta(event.delta))


class _Call:
    """A function call of the stream: its neutral index, id and name, and whether it is done."""

    __slots__ = ("done", "id", "index", "name")

    def __init__(self, index: int, item: FunctionCallItem) -> None:
        self.index = index
        self.id = item.call_id
        self.name = item.name
        self.done = False


class ResponseNeutralEvents:
    """Derives a Responses stream's neutral events: ``derivers[type(event)](event, emit)``."""

    def __init__(self) -> None:
        self._calls: dict[int, _Call] = {}  # by output_index
        self.finished = False
        """Whether ``Finished`` was derived (it is, once)."""
        self.derivers: Derivers = {
            ResponseOutputTextDeltaEvent: _text,
            ResponseOutputTextDoneEvent: _text_done,
            ResponseReasoningSummaryTextDeltaEvent: _reasoning,
            ResponseReasoningTextDeltaEvent: _reasoning,
            ResponseOutputItemAddedEvent: self._item_added,
            ResponseFunctionCallArgumentsDeltaEvent: self._arguments_delta,
            ResponseFunctionCallArgumentsDoneEvent: self._arguments_done,
            ResponseOutputItemDoneEvent: self._item_done,
            **dict.fromkeys(_TERMINAL_STATUS, self._terminal),
            ResponseErrorEvent: self._error,
        }
        """What each kind of event derives (events of other kinds derive nothing)."""

    def _start(self, output_index: int, item: FunctionCallItem, emit: Emit) -> _Call:
        call = self._calls.get(output_index)
        if call is None:
            call = self._calls[output_index] = _Call(len(self._calls), item)
            emit(ToolCallStarted(index=call.index, id=call.id, name=call.name))
        return call

    @staticmethod
    def _done(call: _Call, arguments: str, emit: Emit) -> None:
        if not call.done:
            call.done = True
            emit(ToolCallDone(index=call.index, id=call.id, name=call.name, arguments=arguments))

    def _item_added(self, event: ResponseOutputItemAddedEvent, emit: Emit) -> None:
        if type(event.item) is FunctionCallItem:
            self._start(event.output_index, event.item, emit)

    def _arguments_delta(self, event: ResponseFunctionCallArgumentsDeltaEvent, emit: Emit) -> None:
        call = self._calls.get(event.output_index)
        if call is not None and not call.done:  # else a call whose start the stream did not show
            emit(_arguments_delta(call.index, call.id, call.name, event.delta))

    def _arguments_done(self, event: ResponseFunctionCallArgumentsDoneEvent, emit: Emit) -> None:
        call = self._calls.get(event.output_index)
        if call is not None:  # else its output_item.done (or the terminal response) has it all
            self._done(call, event.arguments, emit)

    def _item_done(self, event: ResponseOutputItemDoneEvent, emit: Emit) -> None:
        item = event.item
        if type(item) is FunctionCallItem:
            self._done(self._start(event.output_index, item, emit), item.arguments, emit)

    def _terminal(self, event: ResponseLifecycleEvent, emit: Emit) -> None:
        if self.finished:
            return
        response = event.response
        for index, item in enumerate(response.output):
            if type(item) is FunctionCallItem:
                self._done(self._start(index, item, emit), item.arguments, emit)
        if response.usage is not None:
            emit(UsageReported(usage=response_usage(response.usage)))
        end = response_end(response, _TERMINAL_STATUS[type(event)])
        reason, provider_reason = end if end is not None else ("other", response.status)
        self._finish(Finished(reason=reason, provider_reason=provider_reason), emit)

    def _error(self, event: ResponseErrorEvent, emit: Emit) -> None:
        if not self.finished:
            reason = event.code or event.error_type or "error"
            self._finish(Finished(reason="error", provider_reason=reason), emit)

    def _finish(self, finished: Finished, emit: Emit) -> None:
        self.finished = True
        emit(finished)
