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

from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any, Final, TypeVar, Unpack, cast

import anyio

from rillet._dispatch import HandlerError, Router, _unwrap
from rillet._tool_loop import (
    ChatToolLoop,
    ResponsesToolLoop,
    ToolCall,
    ToolErrorPolicy,
    ToolLoop,
    TurnLimitError,
    reported,
    tool_failure,
)
from rillet._tools import Tools

if TYPE_CHECKING:
    import rillet._client
    from rillet._stream import ChatCompletionStream, ResponseStream
    from rillet.events import ChatCompletion, Response
    from rillet.params import ChatCompletionCreateParams, ResponseCreateParams

__all__ = ["ToolErrorPolicy", "TurnLimitError", "run", "run_chat"]

R = TypeVar("R", "Response", "ChatCompletion")

DEFAULT_TURNS: Final = 10
DEFAULT_CONCURRENCY: Final = 8


class _Turn:
    """The calls of one turn: started as they arrive, their outputs kept by call id."""

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
        self.calls: list[ToolCall] = []
        self.outputs: dict[str, str] = {}
        self.scopes: list[anyio.CancelScope] = []
        self.reading: anyio.CancelScope | None = None
        self.failure: HandlerError[Any] | None = None

    def start(self, call: ToolCall) -> None:
        self.calls.append(call)
        self.group.start_soon(self._call, call, name=f"tool {call.name}")

    async def _call(self, call: ToolCall) -> None:
        with anyio.CancelScope() as scope:
            self.scopes.append(scope)
            if self.failure is not None:
                return
            async with self.limiter:
                try:
                    self.outputs[call.call_id] = await self.tools.call(call.name, call.arguments)
                except Exception as error:  # noqa: BLE001 - reported to the model or raised
                    if self.policy == "report":
                        self.outputs[call.call_id] = reported(error)
                        return
                    self.fail(tool_failure(self.tools, call, self.snapshot(), error))

    def fail(self, failure: HandlerError[Any]) -> None:
        """Keep the first failure; stop reading the stream and cancel the other calls."""
        if self.failure is None:
            self.failure = failure
        if self.reading is not None:
            self.reading.cancel()
        for scope in self.scopes:
            scope.cancel()


async def run(
    client: rillet._client.AsyncClient,
    tools: Tools,
    /,
    *,
    router: Router | None = None,
    max_turns: int = DEFAULT_TURNS,
    concurrency: int = DEFAULT_CONCURRENCY,
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
    loop = ResponsesToolLoop(params, tools, max_turns=max_turns, concurrency=concurrency)

    async def open_turn() -> ResponseStream:
        stream: ResponseStream = await client.responses.create(
            stream=True, **cast("ResponseCreateParams", loop.request())
        )
        return stream

    return await _run(loop, open_turn, router, tools, concurrency, on_tool_error)


async def run_chat(
    client: rillet._client.AsyncClient,
    tools: Tools,
    /,
    *,
    router: Router | None = None,
    max_turns: int = DEFAULT_TURNS,
    concurrency: int = DEFAULT_CONCURRENCY,
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
    loop = ChatToolLoop(params, tools, max_turns=max_turns, concurrency=concurrency)

    async def open_turn() -> ChatCompletionStream:
        stream: ChatCompletionStream = await client.chat.completions.create(
            stream=True, **cast("ChatCompletionCreateParams", loop.request())
        )
        return stream

    return await _run(loop, open_turn, router, tools, concurrency, on_tool_error)


async def _run(  # noqa: PLR0917 - private, called twice
    loop: ToolLoop[R],
    open_turn: Callable[[], Awaitable[Any]],
    router: Router | None,
    tools: Tools,
    concurrency: int,
    policy: ToolErrorPolicy,
) -> R:
    """The loop of :func:`run` and :func:`run_chat`: ``open_turn`` opens each turn's stream."""
    limiter = anyio.CapacityLimiter(concurrency)
    while True:
        stream = await open_turn()
        async with stream:
            calls = await _stream_turn(stream, router, tools, limiter, policy, loop)
            result: R = await stream.final_response()
        if loop.finish(result, calls.calls, calls.outputs):
            return result


async def _stream_turn(  # noqa: PLR0917 - private, called twice
    stream: Any,  # noqa: ANN401 - a ResponseStream or a ChatCompletionStream
    router: Router | None,
    tools: Tools,
    limiter: anyio.CapacityLimiter,
    policy: ToolErrorPolicy,
    loop: ToolLoop[Any],
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
                        if (call := loop.call_in(event)) is not None:
                            turn.start(call)
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
