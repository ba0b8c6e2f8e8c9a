"""What the async and the blocking streams share: everything but the I/O.

A stream is a :class:`~rillet._machine.StreamMachine` and a loop that does what it says; the
questions users ask (headers, statistics, the result so far, the position) are answered from
the machine, the same way for both.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any, Generic, Protocol, TypeAlias, TypeVar, cast

from rillet._accumulate import ChatCompletionAccumulator, ResponseAccumulator
from rillet._dispatch import ArgumentsEvent, Router
from rillet._machine import StreamMachine, StreamStats
from rillet._policy import ResumePosition
from rillet._protocols import Item, ResponsesProtocol
from rillet._routing import Registering, Registrar
from rillet.events import (
    ChatCompletion,
    ChatCompletionChunk,
    ChatContentDeltaEvent,
    ChatToolCallArgumentsDeltaEvent,
    ChatToolCallArgumentsDoneEvent,
    CompletionUsage,
    Event,
    Response,
    ResponseFunctionCallArgumentsDeltaEvent,
    ResponseFunctionCallArgumentsDoneEvent,
    ResponseOutputTextDeltaEvent,
    ResponseUsage,
    TextDelta,
    ToolCallArgumentsDelta,
    ToolCallDone,
    ToolCallStarted,
)

if TYPE_CHECKING:
    # What events() yields (named in the streams' bases as strings: the unions build every class).
    from rillet.events import AnyNeutralEvent, ChatCompletionEvent, ResponseEvent

    AnyResponseEvent: TypeAlias = ResponseEvent | AnyNeutralEvent
    AnyChatEvent: TypeAlias = ChatCompletionEvent | AnyNeutralEvent

# The views are the bases of the streams of _stream.py and _sync_stream.py (private to rillet).
__all__ = [
    "_AccumulatorView",
    "_ChatView",
    "_EventsView",
    "_ResponseView",
    "_StreamView",
    "text_of",
]

R = TypeVar("R")
H = TypeVar("H", bound=Callable[..., Any])


class _StreamView(Generic[R]):
    """The questions a stream answers, from its machine."""

    _machine: StreamMachine[R]
    _clock: Callable[[], float]

    def __init__(self, machine: StreamMachine[R], clock: Callable[[], float]) -> None:
        self._machine = machine
        self._clock = clock

    @property
    def headers(self) -> Mapping[str, str]:
        """The response headers (rate limits, processing time...)."""
        return self._machine.headers

    @property
    def request_id(self) -> str | None:
        """The ``x-request-id`` of the request, for support."""
        return self._machine.headers.get("x-request-id")

    @property
    def stats(self) -> StreamStats[Any]:
        """Timings, event counts, bytes and usage, so far."""
        return self._machine.stats(self._clock())

    @property
    def snapshot(self) -> R | None:
        """The result accumulated so far (``None`` before the first event)."""
        return self._machine.snapshot

    @property
    def response_id(self) -> str | None:
        """The id of the response (or completion), once an event said it."""
        return self._machine.protocol.response_id


class _EventsView(_StreamView[R], Registering):
    """What a stream of typed events adds: handlers of its own (``on()``), and its text."""

    _router: Router | None = None  # handlers registered with on()

    def _register(
        self, patterns: tuple[str | type[Event], ...], buffer: int | None
    ) -> Registrar[Any]:
        if self._router is None:
            self._router = Router()
        return self._router._register(patterns, buffer)  # noqa: SLF001

    @property
    def partial_output(self) -> Any:  # noqa: ANN401 - JSON
        """The output so far parsed as JSON, as far as it goes (each kind of stream says which)."""
        raise NotImplementedError

    def partial_arguments(self, event: ArgumentsEvent) -> Any:  # noqa: ANN401 - JSON
        """The arguments so far of the tool call ``event`` is about, parsed as JSON."""
        raise NotImplementedError


class _PartialOutput(Protocol):
    """What an accumulator of a stream of typed events has (besides the result so far)."""

    @property
    def partial_output(self) -> Any:  # noqa: ANN401 - JSON
        ...


A = TypeVar("A", bound=_PartialOutput)  # the protocol's accumulator
U = TypeVar("U")  # the usage object of the result


class _AccumulatorView(_EventsView[R], Generic[R, A, U]):
    """What every provider's stream of typed events adds: its accumulator, and what it knows."""

    @property
    def accumulator(self) -> A:
        """The accumulator behind ``snapshot``."""
        protocol: Any = self._machine.protocol  # each provider's protocol has its accumulator
        return cast("A", protocol.accumulator)

    @property
    def stats(self) -> StreamStats[U]:
        """Timings, event counts, bytes and usage (the provider's own object), so far."""
        return self._machine.stats(self._clock())

    @property
    def partial_output(self) -> Any:  # noqa: ANN401 - JSON
        """The output text so far parsed as JSON, as far as it goes (structured output).

        The first message's text (Responses), the first choice's content (Chat Completions),
        the first text block (Messages), the first candidate's text (Gemini); live (see
        :class:`~rillet.PartialJSON`), ``None`` before it starts.

        Raises:
            PartialJSONError: The text is not JSON.
        """
        return self.accumulator.partial_output


class _ResponseView(_AccumulatorView[Response, ResponseAccumulator, ResponseUsage]):
    """What a Responses API stream adds: its position."""

    _yields: type[Item] = Event  # its log holds its own events (events() derives the others)

    @property
    def _protocol(self) -> ResponsesProtocol:
        return cast("ResponsesProtocol", self._machine.protocol)

    @property
    def position(self) -> ResumePosition | None:
        """The stream's position, which ``client.responses.resume()`` takes to continue it.

        ``None`` until an event with a sequence number said which response this is.
        """
        snapshot = self._machine.snapshot
        number = self._protocol.last_sequence_number
        if snapshot is None or not snapshot.id or number is None:
            return None
        return ResumePosition(response_id=snapshot.id, sequence_number=number)

    def partial_arguments(self, event: ArgumentsEvent) -> Any:  # noqa: ANN401 - JSON
        """The arguments so far of the function call ``event`` is about, parsed as JSON.

        ``event`` is a neutral tool call event or a function call's arguments event; any other
        gives ``None``.

        Raises:
            PartialJSONError: The arguments are not JSON.
        """
        accumulator = self.accumulator
        if isinstance(event, ToolCallStarted | ToolCallArgumentsDelta | ToolCallDone):
            item_id = accumulator.function_call_id(event.index)
            return None if item_id is None else accumulator.partial_arguments(item_id)
        if isinstance(
            event, ResponseFunctionCallArgumentsDeltaEvent | ResponseFunctionCallArgumentsDoneEvent
        ):
            return accumulator.partial_arguments(event.item_id)
        return None


class _ChatView(_AccumulatorView[ChatCompletion, ChatCompletionAccumulator, CompletionUsage]):
    """What a Chat Completions stream adds: it yields chunks."""

    _yields: type[Item] = ChatCompletionChunk

    def partial_arguments(self, event: ArgumentsEvent) -> Any:  # noqa: ANN401 - JSON
        """The arguments so far of the tool call ``event`` is about, parsed as JSON.

        ``event`` is a neutral tool call event or a chat tool call's arguments event; any other
        gives ``None``.

        Raises:
            PartialJSONError: The arguments are not JSON.
        """
        accumulator = self.accumulator
        if isinstance(event, ToolCallStarted | ToolCallArgumentsDelta | ToolCallDone):
            return accumulator.partial_call_arguments(event.index, event.choice)
        if isinstance(event, ChatToolCallArgumentsDeltaEvent | ChatToolCallArgumentsDoneEvent):
            return accumulator.partial_arguments(event.index, event.choice_index)
        return None


def text_of(event: object) -> str | None:
    """The text a stream's text iterator takes from an event: output text, or choice 0's content."""
    if type(event) is ResponseOutputTextDeltaEvent:
        return event.delta
    if type(event) is ChatContentDeltaEvent and event.choice_index == 0:
        return event.delta
    if type(event) is TextDelta and event.choice == 0:  # streams whose own events have no text
        return event.text
    return None
