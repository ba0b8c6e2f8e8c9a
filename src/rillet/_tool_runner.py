"""The tool loop: each call starts as soon as its arguments are complete.

Stream a turn, start its calls, send the outputs back, and go on until the model answers
without calling anything.

A call starts while the model is still writing the rest of the response: the stream is read
by the dispatch (the user's handlers see every turn), and the runner starts each call in a task
group around the dispatch, so a slow tool never holds up the delivery of the next events; a
``CapacityLimiter`` bounds how many run at once. The turn ends when the stream has ended *and*
every call has returned. A tool that fails under the ``"raise"`` policy ends the read of the
stream from inside the dispatch (so the user's ``on_error`` handlers see it, and the connection
is closed), cancels the other calls, and is raised as a :class:`~rillet.HandlerError`.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, Final, Literal, Unpack, cast

import anyio

from rillet._dispatch import HandlerError, Router, _unwrap
from rillet._errors import RilletError
from rillet._tools import Tools
from rillet.events import (
    ChatCompletion,
    ChatToolCallArgumentsDoneEvent,
    FunctionCallItem,
    Response,
    ResponseOutputItemDoneEvent,
)

if TYPE_CHECKING:
    from rillet._client import AsyncClient
    from rillet._stream import ChatCompletionStream, ResponseStream
    from rillet.events import Event
    from rillet.params import ChatCompletionCreateParams, ResponseCreateParams

__all__ = ["ToolErrorPolicy", "TurnLimitError", "run", "run_chat"]

ToolErrorPolicy = Literal["report", "raise"]
"""What a tool's exception (or bad arguments) does: ``"report"`` sends ``{"error": "..."}`` to
the model as the call's output; ``"raise"`` ends the run with a :class:`~rillet.HandlerError`."""

_DEFAULT_TURNS: Final = 10
_DEFAULT_CONCURRENCY: Final = 8


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


class _Turn:
    """The calls of one turn: started as they arrive, their outputs kept in call order."""

    def __init__(
        self,
        tools: Tools,
        group: anyio.abc.TaskGroup,
        limiter: anyio.CapacityLimiter,
        policy: ToolErrorPolicy,
        snapshot: Callable[[], Response | ChatCompletion | None],
    ) -> None:
        self.tools = tools
        self.group = group
        self.limiter = limiter
        self.policy = policy
        self.snapshot = snapshot
        self.calls: list[tuple[str, str]] = []  # (call id, name)
        self.outputs: dict[str, str] = {}
        self.scopes: list[anyio.CancelScope] = []
        self.reading: anyio.CancelScope | None = None
        self.failure: HandlerError[Any] | None = None

    def start(self, call_id: str, name: str, arguments: str, event: Event) -> None:
        self.calls.append((call_id, name))
        self.group.start_soon(self._call, call_id, name, arguments, event, name=f"tool {name}")

    async def _call(self, call_id: str, name: str, arguments: str, event: Event) -> None:
        with anyio.CancelScope() as scope:
            self.scopes.append(scope)
            if self.failure is not None:
                return
            async with self.limiter:
                try:
                    self.outputs[call_id] = await self.tools.call(name, arguments)
                except Exception as error:  # noqa: BLE001 - reported to the model or raised
                    if self.policy == "report":
                        text = f"{type(error).__name__}: {error}"
                        self.outputs[call_id] = json.dumps({"error": text}, ensure_ascii=False)
                        return
                    tool = self.tools[name].function if name in self.tools else self.tools.call
                    self.fail(HandlerError(tool, event, self.snapshot(), error))

    def fail(self, failure: HandlerError[Any]) -> None:
        """Keep the first failure; stop reading the stream and cancel the other calls."""
        if self.failure is None:
            self.failure = failure
        if self.reading is not None:
            self.reading.cancel()
        for scope in self.scopes:
            scope.cancel()


async def run(
    client: AsyncClient,
    tools: Tools,
    /,
    *,
    router: Router | None = None,
    max_turns: int = _DEFAULT_TURNS,
    concurrency: int = _DEFAULT_CONCURRENCY,
    on_tool_error: ToolErrorPolicy = "report",
    **params: Unpack[ResponseCreateParams],
) -> Response:
    """Run the model with ``tools`` over the Responses API until it answers without calls.

    Each turn is streamed and dispatched through ``router``, so its handlers see every turn.
    Each function call starts as soon as its item is done (``response.output_item.done``),
    while the rest of the response is still streaming, at most ``concurrency`` at once. When
    the stream has ended and every call has returned, the outputs go back with
    ``previous_response_id`` (or, with ``store=False``, after the whole conversation so far:
    the input, then each response's output items and the calls' outputs).

    Args:
        client: The client.
        tools: The functions the model may call (added to the request's ``tools``).
        router: Handlers for the events of every turn.
        max_turns: How many responses to request at most.
        concurrency: How many calls may run at once.
        on_tool_error: ``"report"``: a failing tool (or bad arguments) is an
            ``{"error": "..."}`` output for the model; ``"raise"``: it cancels the other
            calls, closes the stream and raises a :class:`~rillet.HandlerError`.
        **params: The request (``model``, ``input``, ...), as ``client.responses.create``.

    Returns:
        The final response (the first with no function calls).

    Raises:
        TurnLimitError: The ``max_turns``-th response still had calls.
        HandlerError: A handler raised, or (with ``on_tool_error="raise"``) a tool.
        StreamError: As ``final_response()``.
    """
    _check(max_turns, concurrency)
    body: dict[str, Any] = dict(params)
    body["tools"] = [*body.get("tools", ()), *tools.to_params()]
    keep_history = body.get("store") is False
    history: list[Any] = _items(body.get("input", ()))
    limiter = anyio.CapacityLimiter(concurrency)
    for turn in range(1, max_turns + 1):
        stream: ResponseStream = await client.responses.create(
            stream=True, **cast("ResponseCreateParams", body)
        )
        async with stream:

            def on_event(event: Event, turn_calls: _Turn) -> None:
                if isinstance(event, ResponseOutputItemDoneEvent) and isinstance(
                    event.item, FunctionCallItem
                ):
                    item = event.item
                    turn_calls.start(item.call_id, item.name, item.arguments, event)

            calls = await _stream_turn(stream, router, tools, limiter, on_tool_error, on_event)
            response = await stream.final_response()
        if not calls.calls:
            return response
        if turn == max_turns:
            raise TurnLimitError(response, turn)
        outputs = [
            {"type": "function_call_output", "call_id": call_id, "output": calls.outputs[call_id]}
            for call_id, _ in calls.calls
        ]
        if keep_history:
            history += [*response.output, *outputs]
            body["input"] = history
        else:
            body["input"] = outputs
            body["previous_response_id"] = response.id
    msg = "unreachable"  # pragma: no cover - the loop returns or raises
    raise AssertionError(msg)  # pragma: no cover


async def run_chat(
    client: AsyncClient,
    tools: Tools,
    /,
    *,
    router: Router | None = None,
    max_turns: int = _DEFAULT_TURNS,
    concurrency: int = _DEFAULT_CONCURRENCY,
    on_tool_error: ToolErrorPolicy = "report",
    **params: Unpack[ChatCompletionCreateParams],
) -> ChatCompletion:
    """:func:`run` over Chat Completions.

    Each call starts at its ``chat.tool_call.arguments.done`` (of the first choice); the
    assistant message and a ``tool`` message per call are appended to ``messages`` for the
    next turn.

    Returns:
        The final completion (the first whose message has no tool calls).

    Raises:
        TurnLimitError: The ``max_turns``-th completion still had calls.
        HandlerError: A handler raised, or (with ``on_tool_error="raise"``) a tool.
        StreamError: As ``final_response()``.
    """
    _check(max_turns, concurrency)
    body: dict[str, Any] = dict(params)
    body["tools"] = [*body.get("tools", ()), *tools.to_chat_params()]
    messages: list[Any] = list(body.get("messages", ()))
    limiter = anyio.CapacityLimiter(concurrency)
    for turn in range(1, max_turns + 1):
        body["messages"] = messages
        stream: ChatCompletionStream = await client.chat.completions.create(
            stream=True, **cast("ChatCompletionCreateParams", body)
        )
        async with stream:

            def on_event(event: Event, turn_calls: _Turn) -> None:
                if (
                    isinstance(event, ChatToolCallArgumentsDoneEvent)
                    and event.choice_index == 0
                    and event.name is not None
                ):
                    call_id = event.id or f"call_{event.index}"
                    turn_calls.start(call_id, event.name, event.arguments, event)

            calls = await _stream_turn(stream, router, tools, limiter, on_tool_error, on_event)
            completion = await stream.final_response()
        if not calls.calls:
            return completion
        if turn == max_turns:
            raise TurnLimitError(completion, turn)
        messages += [
            completion.choices[0].message,
            *(
                {"role": "tool", "tool_call_id": call_id, "content": calls.outputs[call_id]}
                for call_id, _ in calls.calls
            ),
        ]
    msg = "unreachable"  # pragma: no cover - the loop returns or raises
    raise AssertionError(msg)  # pragma: no cover


async def _stream_turn(  # noqa: PLR0917 - private, called twice
    stream: Any,  # noqa: ANN401 - a ResponseStream or a ChatCompletionStream
    router: Router | None,
    tools: Tools,
    limiter: anyio.CapacityLimiter,
    policy: ToolErrorPolicy,
    on_event: Callable[[Event, _Turn], None],
) -> _Turn:
    """Dispatch one turn's stream, starting its calls; return when all of them are done."""
    turn: _Turn | None = None
    try:
        async with anyio.create_task_group() as group:
            turn = _Turn(tools, group, limiter, policy, lambda: stream.snapshot)
            async with stream.dispatching(router) as events:
                with anyio.CancelScope() as reading:
                    turn.reading = reading
                    async for event in events:
                        on_event(event, turn)
                turn.reading = None
                if turn.failure is not None:
                    raise turn.failure  # in the dispatch: closes the stream, on_error sees it
    except BaseExceptionGroup as group_error:
        problem = _unwrap(group_error)
        raise problem from problem.__cause__
    assert turn is not None  # noqa: S101 - the group's block made it
    if turn.failure is not None:  # a call failed after the stream had ended
        raise turn.failure
    return turn


def _items(given: object) -> list[Any]:
    """A request's ``input`` as a list of items (a string is one user message)."""
    if isinstance(given, str):
        return [{"role": "user", "content": given}]
    if isinstance(given, Mapping):
        return [given]
    return list(cast("Sequence[Any]", given))


def _check(max_turns: int, concurrency: int) -> None:
    if max_turns < 1:
        msg = f"max_turns must be at least 1, not {max_turns}"
        raise ValueError(msg)
    if concurrency < 1:
        msg = f"concurrency must be at least 1, not {concurrency}"
        raise ValueError(msg)
