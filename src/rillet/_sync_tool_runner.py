"""The tool loop for blocking code: calls start in a thread pool while the stream is read.

The same decisions as the async runner (:mod:`rillet._tool_loop`), other I/O: the turn's
stream is read and dispatched in the calling thread (the user's sync handlers see every turn),
and each call is submitted to a ``ThreadPoolExecutor`` (``concurrency`` workers, one pool per
run) the moment the event that completes it is read, before the handlers see that event. The
turn ends when the stream has ended and every call has returned.

Threads cannot be cancelled. Under the ``"raise"`` policy a failed call is noticed at the next
event read (a blocking read is not interrupted), raised in the dispatch (so ``on_error`` sees
it and the stream is closed), or, after the stream's end, as soon as it fails; calls that have
not started are cancelled, and the ones running are waited for before the error is raised, so
no tool outlives the run.
"""

from __future__ import annotations

import concurrent.futures
import threading
from collections.abc import Callable, Iterable, Iterator
from typing import TYPE_CHECKING, Any, TypeVar, Unpack, cast

from rillet._dispatch import Router
from rillet._sync_stream import dispatch_through
from rillet._tool_loop import (
    ChatToolLoop,
    ResponsesToolLoop,
    ToolCall,
    ToolErrorPolicy,
    ToolLoop,
    reported,
    tool_failure,
)
from rillet._tool_runner import DEFAULT_CONCURRENCY, DEFAULT_TURNS
from rillet._tools import Tools
from rillet.events import ChatCompletion, Response

if TYPE_CHECKING:
    import rillet._client
    from rillet._sync_stream import SyncChatCompletionStream, SyncResponseStream
    from rillet.events import Event
    from rillet.params import ChatCompletionCreateParams, ResponseCreateParams

__all__ = ["run_chat_sync", "run_sync"]

R = TypeVar("R", Response, ChatCompletion)


def run_sync(
    client: rillet._client.Client,
    tools: Tools,
    /,
    *,
    router: Router | None = None,
    max_turns: int = DEFAULT_TURNS,
    concurrency: int = DEFAULT_CONCURRENCY,
    on_tool_error: ToolErrorPolicy = "report",
    **params: Unpack[ResponseCreateParams],
) -> Response:
    """:func:`run` for blocking code (a :class:`~rillet.Client`), the calls in threads.

    Each turn is streamed and dispatched through ``router`` in the calling thread (sync
    handlers only, as for any blocking stream). Each function call is submitted to a thread
    pool of ``concurrency`` workers as soon as its item is done, while the rest of the response
    is still streaming. A sync tool runs in its worker thread; an async one runs there in a new
    event loop of its own (``anyio.run``, on asyncio), one per call. The outputs go back as
    :func:`run` sends them.

    With ``on_tool_error="raise"``, a failing tool cancels the calls not yet started, closes
    the stream and raises a :class:`~rillet.HandlerError`; calls already running cannot be
    stopped (threads cannot be killed): they finish, and are waited for, first.

    Args:
        client: The blocking client.
        tools: The functions the model may call (added to the request's ``tools``).
        router: Sync handlers for the events of every turn.
        max_turns: How many responses to request at most.
        concurrency: How many calls may run at once (the pool's threads).
        on_tool_error: ``"report"`` or ``"raise"``, as for :func:`run`.
        **params: The request (``model``, ``input``, ...), as ``client.responses.create``.

    Returns:
        The final response (the first with no function calls).

    Raises:
        TurnLimitError: The ``max_turns``-th response still had calls.
        HandlerError: A handler raised, or (with ``on_tool_error="raise"``) a tool.
        RilletError: ``router`` has async handlers.
        StreamError: As ``get_final_response()``.
    """
    loop = ResponsesToolLoop(params, tools, max_turns=max_turns, concurrency=concurrency)

    def open_turn() -> SyncResponseStream:
        stream: SyncResponseStream = client.responses.create(
            stream=True, **cast("ResponseCreateParams", loop.request())
        )
        return stream

    return _run(loop, open_turn, router, tools, concurrency, on_tool_error)


def run_chat_sync(
    client: rillet._client.Client,
    tools: Tools,
    /,
    *,
    router: Router | None = None,
    max_turns: int = DEFAULT_TURNS,
    concurrency: int = DEFAULT_CONCURRENCY,
    on_tool_error: ToolErrorPolicy = "report",
    **params: Unpack[ChatCompletionCreateParams],
) -> ChatCompletion:
    """:func:`run_chat` for blocking code: :func:`run_sync` over Chat Completions.

    Returns:
        The final completion (the first whose message has no tool calls).

    Raises:
        TurnLimitError: The ``max_turns``-th completion still had calls.
        HandlerError: A handler raised, or (with ``on_tool_error="raise"``) a tool.
        RilletError: ``router`` has async handlers.
        StreamError: As ``get_final_response()``.
    """
    loop = ChatToolLoop(params, tools, max_turns=max_turns, concurrency=concurrency)

    def open_turn() -> SyncChatCompletionStream:
        stream: SyncChatCompletionStream = client.chat.completions.create(
            stream=True, **cast("ChatCompletionCreateParams", loop.request())
        )
        return stream

    return _run(loop, open_turn, router, tools, concurrency, on_tool_error)


def _run(  # noqa: PLR0917 - private, called twice
    loop: ToolLoop[R],
    open_turn: Callable[[], Any],
    router: Router | None,
    tools: Tools,
    concurrency: int,
    policy: ToolErrorPolicy,
) -> R:
    """The loop of :func:`run_sync` and :func:`run_chat_sync`: ``open_turn`` opens each turn."""
    with _Pool(concurrency) as pool:
        while True:
            with open_turn() as stream:
                turn = _Turn(tools, pool, policy)
                result: R = _stream_turn(stream, router, loop, turn)
            if loop.finish(result, turn.calls, turn.outputs):
                return result


class _Pool(concurrent.futures.ThreadPoolExecutor):
    """The run's workers; leaving it cancels the calls not started, waits for the others."""

    def __init__(self, concurrency: int) -> None:
        super().__init__(max_workers=concurrency, thread_name_prefix="rillet-tool")

    def __exit__(self, *exc_info: object) -> None:
        self.shutdown(wait=True, cancel_futures=True)


class _Turn:
    """The calls of one turn, each submitted as it arrives; the first failure kept."""

    def __init__(
        self, tools: Tools, pool: concurrent.futures.Executor, policy: ToolErrorPolicy
    ) -> None:
        self.tools = tools
        self.pool = pool
        self.policy = policy
        self.calls: list[ToolCall] = []
        self.futures: list[concurrent.futures.Future[str]] = []
        self.outputs: dict[str, str] = {}
        self._lock = threading.Lock()
        self._failed: tuple[ToolCall, Exception] | None = None  # set by a worker

    def start(self, call: ToolCall) -> None:
        self.calls.append(call)
        self.futures.append(self.pool.submit(self._call, call))

    def _call(self, call: ToolCall) -> str:  # in a worker thread
        if self._failed is not None:  # taken by this worker before the main thread cancelled
            return ""
        try:
            return self.tools.call_sync(call.name, call.arguments)
        except Exception as error:
            if self.policy == "report":
                return reported(error)
            with self._lock:
                if self._failed is None:
                    self._failed = (call, error)
            raise

    def check(self, partial: Response | ChatCompletion | None) -> None:
        """Raise the first failure, if a call has failed; cancel the calls not started."""
        with self._lock:
            failed = self._failed
        if failed is None:
            return
        for future in self.futures:
            future.cancel()
        call, error = failed
        raise tool_failure(self.tools, call, partial, error)

    def gather(self, partial: Response | ChatCompletion | None) -> None:
        """Wait for every call (or the first failure); keep the outputs by call id."""
        concurrent.futures.wait(self.futures, return_when=concurrent.futures.FIRST_EXCEPTION)
        self.check(partial)
        for call, future in zip(self.calls, self.futures, strict=True):
            self.outputs[call.call_id] = future.result()


def _stream_turn(
    stream: Any,  # noqa: ANN401 - a SyncResponseStream or a SyncChatCompletionStream
    router: Router | None,
    loop: ToolLoop[R],
    turn: _Turn,
) -> R:
    """Dispatch one turn's stream, starting its calls; return when all of them are done."""

    def watched(events: Iterable[Event]) -> Iterator[Event]:
        for event in events:
            turn.check(stream.snapshot)  # in the dispatch: on_error sees it, the stream closes
            if (call := loop.call_in(event)) is not None:
                turn.start(call)
            yield event
        turn.check(stream.snapshot)

    result: R = dispatch_through(stream, router, watched(stream.events()))
    turn.gather(stream.snapshot)
    return result
