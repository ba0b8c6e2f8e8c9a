"""The tool loop's decisions, shared by the async runner and the blocking one (sans-IO).

Which event completes a call, what the next turn's request is (``previous_response_id``, or the
whole conversation with ``store=False``; for chat, the assistant message and a ``tool`` message
per call), when the turn limit is reached, and what a failed tool becomes: decided here, once.
The runners only move bytes and time: they open each turn's stream with :meth:`ToolLoop.request`,
pass every event to :meth:`ToolLoop.call_in` and start what it returns, and, when the stream has
ended and the calls have returned, ask :meth:`ToolLoop.finish` whether the run is over.
No anyio, no threads, no httpx here.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from typing import Any, Generic, Literal, TypeVar, cast

import attrs

from rillet._dispatch import HandlerError
from rillet._errors import RilletError
from rillet._tools import Tools
from rillet.events import (
    ChatCompletion,
    ChatToolCallArgumentsDoneEvent,
    Event,
    FunctionCallItem,
    Response,
    ResponseOutputItemDoneEvent,
)

__all__ = [
    "ChatToolLoop",
    "ResponsesToolLoop",
    "ToolCall",
    "ToolErrorPolicy",
    "ToolLoop",
    "TurnLimitError",
    "check_limits",
    "reported",
    "tool_failure",
]

ToolErrorPolicy = Literal["report", "raise"]
"""What a tool's exception (or bad arguments) does: ``"report"`` sends ``{"error": "..."}`` to
the model as the call's output; ``"raise"`` ends the run with a :class:`~rillet.HandlerError`."""

R = TypeVar("R", Response, ChatCompletion)


class TurnLimitError(RilletError):
    """The model was still calling tools after ``max_turns`` responses.

    Attributes:
        response: The last response (a ``Response``, or a ``ChatCompletion`` for
            :func:`run_chat`), whose calls were made but not sent back.
        turns: How many responses were requested.
    """

    def __init__(self, response: Response | ChatCompletion, turns: int) -> None:
        self.response = response
        self.turns = turns
        super().__init__(f"the model still called tools after {turns} turns (max_turns)")


@attrs.frozen
class ToolCall:
    """A call whose arguments are complete: the runner starts it now."""

    call_id: str
    name: str
    arguments: str
    event: Event  # the event that completed it (a HandlerError names it)


def reported(error: Exception) -> str:
    """A failed call's output under the ``"report"`` policy: ``{"error": "Type: message"}``."""
    return json.dumps({"error": f"{type(error).__name__}: {error}"}, ensure_ascii=False)


def tool_failure(
    tools: Tools, call: ToolCall, partial: Response | ChatCompletion | None, error: Exception
) -> HandlerError[Any]:
    """A failed call under the ``"raise"`` policy: its tool (or the registry) as the handler."""
    handler: Callable[..., Any] = tools[call.name].function if call.name in tools else tools.call
    return HandlerError(handler, call.event, partial, error)


def check_limits(max_turns: int, concurrency: int) -> None:
    """Refuse a run that could never make a request, or never run a call."""
    if max_turns < 1:
        msg = f"max_turns must be at least 1, not {max_turns}"
        raise ValueError(msg)
    if concurrency < 1:
        msg = f"concurrency must be at least 1, not {concurrency}"
        raise ValueError(msg)


class ToolLoop(Generic[R]):
    """One run's state between turns: the request to send, the turns made."""

    def __init__(self, params: Mapping[str, Any], *, max_turns: int, concurrency: int) -> None:
        check_limits(max_turns, concurrency)
        self.max_turns = max_turns
        self.turns = 0
        self._body: dict[str, Any] = dict(params)

    def request(self) -> dict[str, Any]:
        """The next turn's request parameters (a new dict: the runner may keep it)."""
        self.turns += 1
        return dict(self._body)

    def call_in(self, event: Event) -> ToolCall | None:  # pragma: no cover - abstract
        """The call ``event`` completes, if it completes one."""
        raise NotImplementedError

    def finish(self, result: R, calls: Sequence[ToolCall], outputs: Mapping[str, str]) -> bool:
        """The turn's stream ended and its calls returned: ``True`` if ``result`` is the answer.

        Otherwise the next request is ready (the outputs in call order).

        Raises:
            TurnLimitError: There were calls, and this was the ``max_turns``-th turn.
        """
        if not calls:
            return True
        if self.turns >= self.max_turns:
            raise TurnLimitError(result, self.turns)
        self._advance(result, [(call.call_id, outputs[call.call_id]) for call in calls])
        return False

    def _advance(self, result: R, outputs: list[tuple[str, str]]) -> None:  # pragma: no cover
        raise NotImplementedError


class ResponsesToolLoop(ToolLoop[Response]):
    """The Responses API: a call is done at its ``response.output_item.done``."""

    def __init__(
        self, params: Mapping[str, Any], tools: Tools, *, max_turns: int, concurrency: int
    ) -> None:
        super().__init__(params, max_turns=max_turns, concurrency=concurrency)
        body = self._body
        body["tools"] = [*body.get("tools", ()), *tools.to_params()]
        self._keep_history = body.get("store") is False
        self._history: list[Any] = _items(body.get("input", ()))

    def call_in(self, event: Event) -> ToolCall | None:
        if isinstance(event, ResponseOutputItemDoneEvent) and isinstance(
            event.item, FunctionCallItem
        ):
            item = event.item
            return ToolCall(item.call_id, item.name, item.arguments, event)
        return None

    def _advance(self, result: Response, outputs: list[tuple[str, str]]) -> None:
        items = [
            {"type": "function_call_output", "call_id": call_id, "output": output}
            for call_id, output in outputs
        ]
        if self._keep_history:  # store=False: nothing is kept server-side, send it all
            self._history = [*self._history, *result.output, *items]
            self._body["input"] = self._history
        else:
            self._body["input"] = items
            self._body["previous_response_id"] = result.id


class ChatToolLoop(ToolLoop[ChatCompletion]):
    """Chat Completions: a call is done at its ``chat.tool_call.arguments.done`` (choice 0)."""

    def __init__(
        self, params: Mapping[str, Any], tools: Tools, *, max_turns: int, concurrency: int
    ) -> None:
        super().__init__(params, max_turns=max_turns, concurrency=concurrency)
        body = self._body
        body["tools"] = [*body.get("tools", ()), *tools.to_chat_params()]
        body["messages"] = list(body.get("messages", ()))

    def call_in(self, event: Event) -> ToolCall | None:
        if (
            isinstance(event, ChatToolCallArgumentsDoneEvent)
            and event.choice_index == 0
            and event.name is not None
        ):
            return ToolCall(event.id or f"call_{event.index}", event.name, event.arguments, event)
        return None

    def _advance(self, result: ChatCompletion, outputs: list[tuple[str, str]]) -> None:
        self._body["messages"] = [
            *self._body["messages"],
            result.choices[0].message,
            *(
                {"role": "tool", "tool_call_id": call_id, "content": output}
                for call_id, output in outputs
            ),
        ]


def _items(given: object) -> list[Any]:
    """A request's ``input`` as a list of items (a string is one user message)."""
    if isinstance(given, str):
        return [{"role": "user", "content": given}]
    if isinstance(given, Mapping):
        return [given]
    return list(cast("Sequence[Any]", given))
