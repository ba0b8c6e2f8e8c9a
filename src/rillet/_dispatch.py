"""The dispatcher: handlers registered with ``@router.on(...)``, run as a stream's events arrive.

Sync handlers run inline, in registration order. Each async handler runs in its own task, fed by
a bounded buffer: it sees its events in stream order, one at a time, concurrently with the
other handlers; when its buffer is full, reading from the network waits (backpressure). All the
tasks belong to one task group owned by the dispatch call: nothing outlives it.

Routing is computed once per event class and type string, the first time they are seen, and
cached: dispatching an event is a dict lookup.

The dispatcher sits above the stream layer and does not import it: what it reads events from
is any object that has what :class:`DispatchSource` describes (a snapshot, statistics, and a
way to close it), so that it can be driven by an in-memory source as well as by a stream.
"""

from __future__ import annotations

import difflib
import fnmatch
import inspect
import logging
import warnings
from collections.abc import (
    AsyncGenerator,
    AsyncIterator,
    Awaitable,
    Callable,
    Iterable,
    Mapping,
)
from contextlib import asynccontextmanager
from typing import (
    TYPE_CHECKING,
    Any,
    Final,
    Generic,
    Literal,
    NoReturn,
    Protocol,
    Self,
    TypeAlias,
    TypeVar,
    Union,
    cast,
)

import anyio

# R: the result a source accumulates (covariant: a source, or a context, of Responses is one of
# Responses or ChatCompletions).
from rillet._errors import R, RilletError
from rillet._routing import Registering, Registrar
from rillet.events import (
    EVENT_TYPES,
    ChatToolCallArgumentsDeltaEvent,
    ChatToolCallArgumentsDoneEvent,
    Event,
    ResponseFunctionCallArgumentsDeltaEvent,
    ResponseFunctionCallArgumentsDoneEvent,
    ToolCallArgumentsDelta,
    ToolCallDone,
    ToolCallStarted,
    UnknownEvent,
)

if TYPE_CHECKING:
    # Annotations only: anyio imports its memory streams when a dispatch first makes one, and
    # ``import rillet`` is ~10 ms shorter without them; a provider's package is imported when
    # its user imports it.
    from anyio.streams.memory import MemoryObjectReceiveStream, MemoryObjectSendStream

    from rillet._machine import StreamStats
    from rillet.anthropic import (
        ContentBlockDeltaEvent,
        ContentBlockStartEvent,
        ContentBlockStopEvent,
    )

# Union[]: the providers' classes are named as strings (imported for type checkers only).
ArgumentsEvent: TypeAlias = Union[
    ToolCallStarted,
    ToolCallArgumentsDelta,
    ToolCallDone,
    ResponseFunctionCallArgumentsDeltaEvent,
    ResponseFunctionCallArgumentsDoneEvent,
    ChatToolCallArgumentsDeltaEvent,
    ChatToolCallArgumentsDoneEvent,
    "ContentBlockStartEvent",
    "ContentBlockDeltaEvent",
    "ContentBlockStopEvent",
]
"""An event about a tool call, whose arguments so far ``partial_arguments()`` gives.

A neutral tool call event (any stream), a Responses function call's or a chat tool call's
arguments event, or a Messages stream's ``content_block_*`` event of a tool block.
"""

__all__ = [
    "AsyncDispatchSource",
    "Delivering",
    "DispatchContext",
    "DispatchSource",
    "ErrorPolicy",
    "HandlerError",
    "Router",
    "SyncDispatchSource",
    "UnknownEventTypeWarning",
    "dispatch_sync",
    "dispatching",
]

logger = logging.getLogger("rillet")

H = TypeVar("H", bound=Callable[..., Any])
# Lifecycle functions, sync or async: with the context (or nothing), or with the error.
L = TypeVar("L", bound=Callable[["DispatchContext[Any]"], object] | Callable[[], object])
F = TypeVar("F", bound=Callable[[RilletError], object] | Callable[[], object])
T = TypeVar("T")
V = TypeVar("V", bound=Event)  # the events a dispatch delivers
Pattern = str | type[Event]
_Result = Any  # any provider's result
ErrorPolicy = Literal["raise", "continue"]
"""What a handler's exception does: ``"raise"`` ends the dispatch with a :class:`HandlerError`;
``"continue"`` reports it to the ``on_error`` handlers (or the ``rillet`` logger) and goes on."""

_END_SECONDS: Final = 5.0  # how long on_end handlers may take, shielded from cancellation
_GLOB: Final = frozenset("*?[")
_UNTYPED: Final = frozenset(("unknown", "invalid"))  # the types of events rillet could not type


class UnknownEventTypeWarning(UserWarning):
    """A handler was registered for a type string that matches no known event type."""


class HandlerError(RilletError, Generic[R]):
    """A handler raised; the original exception is the ``__cause__``.

    Generic in the stream's result, as :class:`~rillet.StreamError` is.

    Attributes:
        handler: The handler that raised.
        event: The event it was handling (``None`` for ``on_start``/``on_end`` handlers).
        partial: The stream's result so far.
    """

    def __init__(
        self,
        handler: Callable[..., Any],
        event: Event | None,
        partial: R | None,
        cause: BaseException,
    ) -> None:
        self.handler = handler
        self.event = event
        self.partial = partial
        name = getattr(handler, "__qualname__", repr(handler))
        about = f" handling {event.type!r}" if event is not None else ""
        super().__init__(f"handler {name}{about} raised {type(cause).__name__}: {cause}")
        self.__cause__ = cause


class DispatchSource(Protocol[R]):
    """What the dispatcher reads from the source of the events it dispatches (a stream).

    ``R`` is the result the source accumulates: a ``Response`` or a ``ChatCompletion``.
    """

    @property
    def snapshot(self) -> R | None:
        """The result so far (``None`` before the first event)."""
        ...

    @property
    def stats(self) -> StreamStats[Any]:
        """The statistics so far."""
        ...

    @property
    def partial_output(self) -> Any:  # noqa: ANN401 - JSON
        """The output parsed as JSON as far as it has come (structured output)."""
        ...

    def partial_arguments(self, event: ArgumentsEvent) -> Any:  # noqa: ANN401 - JSON
        """The arguments of the tool call ``event`` is about, parsed as far as they have come."""
        ...


class AsyncDispatchSource(DispatchSource[R], Protocol[R]):
    """A source :func:`dispatching` can close: a stream of the async client."""

    async def aclose(self) -> None:
        """Stop reading and release the connection (called more than once, it does nothing)."""
        ...


class SyncDispatchSource(DispatchSource[R], Protocol[R]):
    """A source :func:`dispatch_sync` can close: a stream of the blocking client."""

    def close(self) -> None:
        """Stop reading and release the connection (called more than once, it does nothing)."""
        ...


class DispatchContext(Generic[R]):
    """What a handler that takes a second parameter gets: the stream, and a way to stop it.

    Generic in the stream's result: ``DispatchContext[Response]`` on a Responses stream,
    ``DispatchContext[ChatCompletion]`` on a Chat Completions stream.
    """

    def __init__(self, stream: DispatchSource[R]) -> None:
        self._stream = stream
        self.stopped = False
        """Whether :meth:`stop` was called."""

    @property
    def stream(self) -> DispatchSource[R]:
        """The stream being dispatched."""
        return self._stream

    @property
    def snapshot(self) -> R | None:
        """The stream's result so far (``None`` before the first event)."""
        return self._stream.snapshot

    @property
    def stats(self) -> StreamStats[Any]:
        """The stream's statistics so far."""
        return self._stream.stats

    @property
    def partial_output(self) -> Any:  # noqa: ANN401 - JSON
        """The output so far parsed as JSON, as far as it goes (structured output as it streams).

        Live (see :class:`~rillet.PartialJSON`); ``None`` before the output starts.

        Raises:
            PartialJSONError: The output is not JSON.
        """
        return self._stream.partial_output

    def partial_arguments(self, event: ArgumentsEvent) -> Any:  # noqa: ANN401 - JSON
        """The arguments so far of the tool call ``event`` is about, parsed as JSON.

        ``event`` is a neutral tool call event (``ToolCallStarted``, ``ToolCallArgumentsDelta``,
        ``ToolCallDone``: the same on every stream), or a provider's own arguments event;
        ``None`` before the arguments start.

        Raises:
            PartialJSONError: The arguments are not JSON.
        """
        return self._stream.partial_arguments(event)

    def stop(self) -> None:
        """Stop the stream now: the rest is not read, and the dispatch returns.

        From this call on, no handler is called again, sync or async: not the handlers after
        this one for this event, nor the async handlers for the events waiting in their
        buffers. (A handler already running, in another task, goes on to its end.)
        """
        self.stopped = True


class _Handler:
    __slots__ = ("buffer", "call", "is_async", "wants_context")

    def __init__(self, call: Callable[..., Any], buffer: int) -> None:
        self.call = call
        self.is_async = inspect.iscoroutinefunction(call)
        self.wants_context = _parameters(call) >= 2
        self.buffer = buffer


class Router(Registering):
    """Handlers for stream events, by type string, glob or event class.

    Example:
        >>> router = Router()
        >>> @router.on("response.output_text.delta")
        ... def show(event: ResponseOutputTextDeltaEvent) -> None:
        ...     print(event.delta, end="")

    Args:
        strict: Make a type string that matches no known event type an error, not a warning.
        errors: What a handler's exception does: ``"raise"`` ends the dispatch with a
            :class:`HandlerError`; ``"continue"`` reports it to the ``on_error`` handlers (or
            the ``rillet`` logger) and goes on.
        buffer: How many events an async handler may have waiting (the backpressure bound).
    """

    def __init__(
        self, *, strict: bool = False, errors: ErrorPolicy = "raise", buffer: int = 64
    ) -> None:
        if buffer < 1:
            msg = f"buffer must be at least 1, not {buffer}"
            raise ValueError(msg)
        self.strict = strict
        self.errors: ErrorPolicy = errors
        self.buffer = buffer
        self._entries: list[tuple[Pattern, _Handler]] = []
        self._included: list[Router] = []
        self._lifecycle: dict[str, list[Callable[..., Any]]] = {
            "start": [],
            "end": [],
            "error": [],
            "cancel": [],
        }

    on = Registering.on  # (here for the reference docs: rillet._routing types it per pattern)

    def _register(self, patterns: tuple[Pattern, ...], buffer: int | None) -> Registrar[Any]:
        if not patterns:
            msg = 'on() needs a pattern: a type string, a glob ("*" for all) or an event class'
            raise ValueError(msg)
        if buffer is not None and buffer < 1:
            msg = f"buffer must be at least 1, not {buffer}"
            raise ValueError(msg)
        for pattern in patterns:
            if isinstance(pattern, str):
                self._check(pattern)

        def register(function: H) -> H:
            handler = _Handler(function, self.buffer if buffer is None else buffer)
            self._entries.extend((pattern, handler) for pattern in patterns)
            return function

        return cast("Registrar[Any]", register)

    def on_start(self, function: L) -> L:
        """Register a function called before the first event (with the context, if it takes it)."""
        self._lifecycle["start"].append(function)
        return function

    def on_end(self, function: L) -> L:
        """Register a function called at the very end, however the dispatch ends (shielded)."""
        self._lifecycle["end"].append(function)
        return function

    def on_error(self, function: F) -> F:
        """Register a function called with each :class:`HandlerError` or stream error."""
        self._lifecycle["error"].append(function)
        return function

    def on_cancel(self, function: L) -> L:
        """Register a function called when the dispatch is cancelled from outside (shielded)."""
        self._lifecycle["cancel"].append(function)
        return function

    @staticmethod
    def combine(*routers: Router | None) -> Router:
        """One router running the handlers of all the given ones, in order."""
        given = [router for router in routers if router is not None]
        if len(given) == 1:
            return given[0]
        combined = Router(errors=given[0].errors if given else "raise")
        for router in given:
            combined.include(router)
        return combined

    def include(self, other: Router) -> None:
        """Add every handler of ``other`` (and of what it includes), after this router's own."""
        if other is self:
            msg = "a router cannot include itself"
            raise ValueError(msg)
        self._included.append(other)

    def _check(self, pattern: str) -> None:
        if _GLOB & set(pattern):
            if any(fnmatch.fnmatchcase(known, pattern) for known in EVENT_TYPES):
                return
            close: list[str] = []
        elif pattern in EVENT_TYPES or pattern in _UNTYPED:
            return
        else:
            close = difflib.get_close_matches(pattern, EVENT_TYPES, n=1)
        hint = f"; did you mean {close[0]!r}?" if close else ""
        message = f"{pattern!r} matches no known event type{hint}"
        if self.strict:
            raise ValueError(message)
        warnings.warn(message, UnknownEventTypeWarning, stacklevel=4)  # on()'s caller

    def sees(self, kinds: Mapping[str, type[Event]]) -> bool:
        """Whether a handler would be given events of any of ``kinds`` (type strings, classes).

        A stream that derives its neutral events per pass derives them for a dispatch only
        when a handler would see them.
        """
        for pattern, _ in self._all():
            if isinstance(pattern, str):
                if any(fnmatch.fnmatchcase(name, pattern) for name in kinds):
                    return True
            elif any(issubclass(kind, pattern) for kind in kinds.values()):
                return True
        return False

    def _all(self) -> Iterable[tuple[Pattern, _Handler]]:
        yield from self._entries
        for other in self._included:
            yield from other._all()  # noqa: SLF001

    def _lifecycle_all(self, kind: str) -> list[Callable[..., Any]]:
        functions = list(self._lifecycle[kind])
        for other in self._included:
            functions += other._lifecycle_all(kind)  # noqa: SLF001
        return functions


class _Route:
    """The handlers of one event class and type: sync ones in order, then async ones."""

    __slots__ = ("asynchronous", "synchronous")

    def __init__(self, synchronous: list[_Handler], asynchronous: list[int]) -> None:
        self.synchronous = synchronous
        self.asynchronous = asynchronous


class _Dispatch:
    """One dispatch of one stream: routes, workers, lifecycle and the error policy."""

    def __init__(self, router: Router, source: DispatchSource[_Result]) -> None:
        self.router = router
        self.source = source
        self.context = DispatchContext(source)
        self.entries = list(router._all())  # noqa: SLF001
        handlers: list[_Handler] = []
        for _, handler in self.entries:
            if handler.is_async and handler not in handlers:
                handlers.append(handler)
        self.workers = handlers
        self.sends: list[MemoryObjectSendStream[Event]] = []
        self.routes: dict[tuple[type, str], _Route] = {}

    def route(self, event: Event) -> _Route:
        cls = type(event)
        key = (cls, cast("UnknownEvent", event).event_type if cls is UnknownEvent else event.type)
        route = self.routes.get(key)
        if route is None:
            matched: list[_Handler] = []
            for pattern, handler in self.entries:
                if handler not in matched and _matches(pattern, event):
                    matched.append(handler)
            route = self.routes[key] = _Route(
                [h for h in matched if not h.is_async],
                [self.workers.index(h) for h in matched if h.is_async],
            )
        return route

    async def call(self, handler: _Handler, event: Event) -> None:
        """Run an async handler on ``event``."""
        try:
            if handler.wants_context:
                await handler.call(event, self.context)
            else:
                await handler.call(event)
        except Exception as error:  # noqa: BLE001 - every handler error is reported or raised
            await self.failed(HandlerError(handler.call, event, self.source.snapshot, error))

    def call_sync(self, handler: _Handler, event: Event) -> None:
        try:
            if handler.wants_context:
                handler.call(event, self.context)
            else:
                handler.call(event)
        except Exception as error:
            failure = HandlerError(handler.call, event, self.source.snapshot, error)
            if self.router.errors == "raise":
                raise failure from error
            self.report_sync(failure, raised=False)

    def deliver_sync(self, event: Event) -> None:
        """Give ``event`` to its (sync) handlers; none of them after one stops the dispatch."""
        for handler in self.route(event).synchronous:
            if self.context.stopped:
                return
            self.call_sync(handler, event)

    def report_sync(self, error: RilletError, *, raised: bool) -> None:
        """Tell the ``on_error`` functions; log an error that is not raised if there are none."""
        functions = self.router._lifecycle_all("error")  # noqa: SLF001
        if not functions and not raised:
            logger.error("%s", error, exc_info=error)
        for function in functions:
            function(error)

    async def failed(self, error: HandlerError) -> None:
        """A handler raised: raise it, or report it and go on, as the policy says."""
        if self.router.errors == "raise":
            raise error
        await self.report(error, raised=False)

    async def report(self, error: RilletError, *, raised: bool) -> None:
        """Tell the ``on_error`` functions; log an error that is not raised if there are none."""
        functions = self.router._lifecycle_all("error")  # noqa: SLF001
        if not functions and not raised:
            logger.error("%s", error, exc_info=error)
        for function in functions:
            await _call(function, error)

    async def worker(self, handler: _Handler, receive: MemoryObjectReceiveStream[Event]) -> None:
        async with receive:
            while True:
                try:
                    event = receive.receive_nowait()
                except anyio.WouldBlock:
                    try:
                        event = await receive.receive()
                    except anyio.EndOfStream:
                        return
                except anyio.EndOfStream:
                    return
                if not self.context.stopped:  # after a stop, the rest is taken, not handled
                    await self.call(handler, event)

    async def send(self, route: _Route, event: Event) -> None:
        """Give ``event`` to the async handlers of its route (each has its buffer)."""
        for index in route.asynchronous:
            if self.context.stopped:
                return
            send = self.sends[index]
            try:
                send.send_nowait(event)  # no checkpoint: workers catch up at the next read
            except anyio.WouldBlock:
                await send.send(event)  # the buffer is full: wait (backpressure)


@asynccontextmanager
async def dispatching(
    router: Router, source: AsyncDispatchSource[_Result], events: AsyncIterator[V]
) -> AsyncGenerator[Delivering[V], None]:
    """Run ``router``'s handlers on ``events``, read from ``source``, as the caller iterates them.

    ``source`` (a stream) gives the handlers' context its snapshot and statistics, and is
    closed when a handler or the stream fails, or when a handler stops the dispatch.

    The handlers' task group lives exactly as long as the ``async with`` block: leaving it
    lets the async handlers finish the events they already have, then ends them. So does a
    stream error (a broken connection, a failed response): it is raised once they are done.
    A handler's error (with the ``"raise"`` policy) cancels them instead. After a handler
    calls :meth:`DispatchContext.stop`, no handler is called again: the events still waiting
    in the async handlers' buffers are dropped, and the iteration ends.
    """
    run = _Dispatch(router, source)
    try:
        async with _handlers_running(run, source):
            for function in router._lifecycle_all("start"):  # noqa: SLF001
                await _call(function, run.context)
            yield Delivering(run, events, source)
    except anyio.get_cancelled_exc_class():
        with anyio.CancelScope(shield=True):
            for function in router._lifecycle_all("cancel"):  # noqa: SLF001
                await _call(function, run.context)
        raise
    except BaseException as error:  # noqa: BLE001 - unwrapped from the group and raised
        problem = _unwrap(error)
        with anyio.CancelScope(shield=True):
            await source.aclose()  # a handler or the stream failed: close the connection now
            if isinstance(problem, RilletError):
                await run.report(problem, raised=True)
        raise problem from problem.__cause__
    finally:
        with anyio.CancelScope(shield=True) as scope:
            scope.deadline = anyio.current_time() + _END_SECONDS
            for function in router._lifecycle_all("end"):  # noqa: SLF001
                await _call(function, run.context)


@asynccontextmanager
async def _handlers_running(
    run: _Dispatch, source: AsyncDispatchSource[_Result]
) -> AsyncGenerator[None, None]:
    """The async handlers' tasks, fed while the block runs, done when it ends.

    A stream error raised in the block is raised after they have handled what they were
    given; a handler's error cancels them.
    """
    stream_error: RilletError | None = None
    async with anyio.create_task_group() as group:
        for handler in run.workers:
            send, receive = anyio.create_memory_object_stream[Event](handler.buffer)
            run.sends.append(send)
            group.start_soon(run.worker, handler, receive)
        try:
            yield
        except HandlerError:
            raise
        except RilletError as error:
            stream_error = error
            await source.aclose()  # the connection now; the handlers may take a while
        finally:
            for send in run.sends:
                send.close()
    if stream_error is not None:
        raise stream_error


class Delivering(Generic[V]):
    """The events of a dispatch: each is delivered to the handlers as it is taken."""

    __slots__ = ("_events", "_run", "_source")

    def __init__(
        self, run: _Dispatch, events: AsyncIterator[V], source: AsyncDispatchSource[_Result]
    ) -> None:
        self._run = run
        self._events = events
        self._source = source

    @property
    def stopped(self) -> bool:
        """Whether a handler stopped the stream."""
        return self._run.context.stopped

    def __aiter__(self) -> Self:
        return self

    async def __anext__(self) -> V:
        run = self._run
        context = run.context
        if not context.stopped:
            event = await self._events.__anext__()
            # An async handler may have stopped the dispatch while the event was read.
            if not context.stopped:
                # Delivered here, not by a method of the dispatch: a coroutine per event would
                # cost more than a sync handler's call. No handler runs after one stops it.
                route = run.route(event)
                for handler in route.synchronous:
                    try:
                        if handler.wants_context:
                            handler.call(event, context)
                        else:
                            handler.call(event)
                    except Exception as error:  # noqa: BLE001 - reported or raised, by the policy
                        await run.failed(
                            HandlerError(handler.call, event, run.source.snapshot, error)
                        )
                    if self.stopped:
                        return event
                if route.asynchronous:
                    await run.send(route, event)
                return event
        return await self._end()

    async def _end(self) -> NoReturn:
        await self._source.aclose()
        raise StopAsyncIteration


def dispatch_sync(
    router: Router,
    source: SyncDispatchSource[_Result],
    events: Iterable[Event],
    finish: Callable[[bool], T],
) -> T:
    """Run ``router``'s sync handlers on ``events``, read from ``source`` (blocking code).

    ``source`` (a stream) gives the handlers' context its snapshot and statistics, and is
    closed when a handler or the stream fails, or when a handler stops the dispatch. Returns
    ``finish(stopped)``: ``finish`` gives the result, told whether a handler stopped the
    stream; its errors (a failed response) are reported to the ``on_error`` functions as the
    stream's are.

    Raises:
        RilletError: The router has async handlers (or async lifecycle functions).
        HandlerError: A handler raised (with the ``"raise"`` policy).
    """
    run = _Dispatch(router, source)
    lifecycle = {
        kind: router._lifecycle_all(kind)  # noqa: SLF001
        for kind in ("start", "end", "error")
    }
    if run.workers or any(
        inspect.iscoroutinefunction(function)
        for functions in lifecycle.values()
        for function in functions
    ):
        msg = "async handlers need the async client: blocking streams run sync handlers only"
        raise RilletError(msg)
    try:
        for function in lifecycle["start"]:
            function(run.context) if _parameters(function) >= 1 else function()
        iterator = iter(events)
        while not run.context.stopped:  # (an on_start function may have stopped it)
            event = next(iterator, None)
            if event is None:
                break
            run.deliver_sync(event)
        if run.context.stopped:
            source.close()
        return finish(run.context.stopped)
    except RilletError as problem:
        source.close()
        run.report_sync(problem, raised=True)
        raise
    finally:
        for function in lifecycle["end"]:
            function(run.context) if _parameters(function) >= 1 else function()


def _matches(pattern: Pattern, event: Event) -> bool:
    if isinstance(pattern, str):
        # An unknown event answers to "unknown" and to the type the server gave it.
        names = (event.type, event.event_type) if type(event) is UnknownEvent else (event.type,)
        if _GLOB & set(pattern):
            return any(fnmatch.fnmatchcase(name, pattern) for name in names)
        return pattern in names
    return isinstance(event, pattern)


def _unwrap(error: BaseException) -> BaseException:
    """The error to raise from a task group's: the first handler error, else the first error."""
    if not isinstance(error, BaseExceptionGroup):
        return error
    leaves: list[BaseException] = []
    pending: list[BaseException] = [error]
    while pending:
        current = pending.pop(0)
        if isinstance(current, BaseExceptionGroup):
            # pyright narrows to BaseExceptionGroup[Unknown]: the members are BaseExceptions.
            pending[:0] = current.exceptions  # pyright: ignore[reportUnknownMemberType]
        else:
            leaves.append(current)
    cancelled = anyio.get_cancelled_exc_class()
    for kind in (HandlerError, Exception, BaseException):
        for leaf in leaves:
            # The last kind, BaseException, takes any leaf that is not a cancellation.
            if isinstance(leaf, kind) and not isinstance(leaf, cancelled):  # pyright: ignore[reportUnnecessaryIsInstance]
                return leaf  # pyright: ignore[reportUnknownVariableType] - HandlerError[Unknown]
    return leaves[0] if leaves else error  # pyright: ignore[reportUnknownVariableType]


def _parameters(function: Callable[..., Any]) -> int:
    """How many positional arguments ``function`` takes (2 or more if it takes ``*args``)."""
    try:
        parameters = inspect.signature(function).parameters.values()
    except (TypeError, ValueError):
        return 1
    count = 0
    for parameter in parameters:
        if parameter.kind is parameter.VAR_POSITIONAL:
            return max(count, 2)
        if parameter.kind in (parameter.POSITIONAL_ONLY, parameter.POSITIONAL_OR_KEYWORD):
            count += 1
    return count


async def _call(function: Callable[..., Any], argument: object) -> None:
    result = function(argument) if _parameters(function) >= 1 else function()
    if isinstance(result, Awaitable):
        await result
