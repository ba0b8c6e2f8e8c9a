"""What differs between kinds of stream, given to the one stream machine (sans-IO).

A protocol turns decoded server-sent events into its events (typing and accumulating them),
says when its stream has reached its own end, what the result is, and where a broken stream
could be resumed from. Everything else (reading, deadlines, retries, resumption, the replay
log, statistics) is the machine's, the same for every protocol.
"""

from __future__ import annotations

import json
import operator
from collections.abc import Callable, Iterable, Mapping
from typing import Any, Final, Generic, Protocol, TypeVar

import attrs
from cattrs.errors import ClassValidationError

from rillet._accumulate import ChatCompletionAccumulator, ResponseAccumulator
from rillet._errors import InvalidResponseError, StreamTruncatedError
from rillet._json import PayloadReader
from rillet._policy import ResumePosition, RetryPolicy
from rillet._sse import DEFAULT_MAX_EVENT_SIZE, ServerSentEvent, SSEDecoder, UnterminatedEvent
from rillet.events import (
    ChatCompletion,
    ChatContentDeltaEvent,
    Event,
    KeepaliveEvent,
    OnInvalid,
    Response,
    ResponseCompletedEvent,
    ResponseErrorEvent,
    ResponseFailedEvent,
    ResponseIncompleteEvent,
    ResponseOutputTextDeltaEvent,
    parse_chat_chunk,
    parse_event_data,
)
from rillet.events._direct import DIRECT
from rillet.events._model import converter
from rillet.events._parse import read_chunk, read_event

__all__ = [
    "ChatProtocol",
    "Decoder",
    "Entry",
    "Item",
    "JSONProtocol",
    "Record",
    "ResponsesProtocol",
    "SSEProtocol",
    "StreamProtocol",
    "Unresumable",
]

R = TypeVar("R")
M = TypeVar("M", Response, ChatCompletion)
Item = Event | ServerSentEvent
"""What a protocol yields: typed events, or (the generic SSE client's) the decoded events."""
Entry = Item | tuple[str | None, bytes]
"""A logged event: (routed type, raw payload) to parse again, or the event itself."""
Record = Callable[[Item, Entry], None]
"""Where a protocol puts each event it makes, with what replays it."""


class Decoder(Protocol):
    """What the machine needs of a body's decoder (an :class:`SSEDecoder`, or a JSON body)."""

    def feed(self, chunk: bytes) -> Iterable[ServerSentEvent]:
        """The events that ``chunk`` completes."""
        ...

    def close(self) -> object:
        """The body ended."""
        ...

    @property
    def unterminated(self) -> UnterminatedEvent | None:
        """What the end of the body cut off, if anything."""
        ...


@attrs.frozen
class Unresumable:
    """Why a broken stream cannot be resumed (what ``resume_position`` answers then)."""

    reason: str


class StreamProtocol(Generic[R]):
    """The rules of one kind of stream; the machine asks, the protocol answers."""

    text_type: type[Item]
    """The event class that carries the output text (for ``time_to_first_text``)."""

    keepalive: type[Item] = KeepaliveEvent
    """The event class that only keeps the connection alive (it does not hold off ``idle``)."""

    kind_of: Callable[[Item], str] = operator.attrgetter("type")
    """The type of an event, for the counts by type."""

    ends_with_no_content = False
    """Whether a 204 answer ends the stream (else it is not an event stream: an error)."""

    def accepts(self, status: int, headers: Mapping[str, str]) -> bool:
        """Whether an answer is the body to read (else it is an error, read as one)."""
        content_type = headers.get("content-type", "")
        event_stream = content_type.partition(";")[0].strip().lower() == "text/event-stream"
        return status < 300 and event_stream

    def decoder(self) -> Decoder:
        """A decoder for the next body (asked once per body)."""
        return SSEDecoder()

    def receive_all(self, chunk: bytes, events: Iterable[ServerSentEvent], record: Record) -> bool:
        """Type and accumulate the events decoded from ``chunk``; ``record`` each they make.

        Returns whether one was the stream's own end (then the ones after it are not taken:
        nothing after the end counts). Given a chunk's events at once, not one at a time: the
        per-event work is a loop with its names bound once.
        """
        raise NotImplementedError

    @property
    def ended(self) -> bool:
        """Whether the stream's own end arrived (after it, nothing can change the outcome)."""
        raise NotImplementedError

    @property
    def snapshot(self) -> R | None:
        """The result accumulated so far."""
        raise NotImplementedError

    @property
    def last_sequence_number(self) -> int | None:
        """The last event's sequence number, if the stream has them."""
        return None

    @property
    def usage(self) -> Any:  # noqa: ANN401 - each provider's own usage object
        """The token usage reported so far (the result's own object), if any."""
        return getattr(self.snapshot, "usage", None)

    @property
    def response_id(self) -> str | None:
        """The id of the result, once an event said it."""
        return getattr(self.snapshot, "id", None) or None

    def replay(self, entry: tuple[str | None, bytes]) -> Event:
        """The event a log entry holds, parsed again."""
        raise NotImplementedError

    def result(self, cut: str) -> R:
        """The final result, or the error that says why there is none.

        ``cut`` says where the body ended, for a truncation error.
        """
        raise NotImplementedError

    def receive_eof(self, record: Record) -> None:
        """The body ended (``ended`` then says whether that was the stream's own end).

        ``record`` takes the events the end completes, if any (a protocol may raise a
        :class:`~rillet.RilletError` saying why the end is not a proper one).
        """

    def resume_position(self) -> object:
        """Where a broken stream can continue from, or :class:`Unresumable` saying why not."""
        return Unresumable("only Responses API streams can be resumed")

    def resume_delay(self, attempt: int, policy: RetryPolicy) -> float:
        """Seconds before resume attempt number ``attempt`` (0 for the first) in a row."""
        return policy.delay(attempt)

    def resumed(self) -> None:
        """A new body continues the stream from its resume position."""


class ResponsesProtocol(StreamProtocol[Response]):
    """A Responses API stream: typed events, sequence numbers, resumable when in background."""

    text_type = ResponseOutputTextDeltaEvent

    def __init__(self, *, on_invalid: OnInvalid, strict: bool) -> None:
        self.on_invalid: OnInvalid = on_invalid
        # A stream that starts after the beginning (retrieve with starting_after), or that goes
        # on past invalid events, has events about items it never saw added: those are
        # skipped (and listed in accumulator.problems), not errors.
        self.accumulator = ResponseAccumulator(strict=strict and on_invalid == "raise")
        self._payloads = PayloadReader()
        self._resumed = False  # events may repeat or skip: check each one
        self._response_id = ""

    def receive_all(self, chunk: bytes, events: Iterable[ServerSentEvent], record: Record) -> bool:
        """Type, check, accumulate and record each event; whether one ended the stream."""
        on_invalid, accumulator = self.on_invalid, self.accumulator
        # With msgspec most events never read their JSON this way: the chunk is looked at only
        # if one does.
        payloads = self._payloads
        read = payloads.reader(chunk) if DIRECT else payloads.scan(chunk)
        add, resumed = accumulator.add, self._resumed
        for name, data, _, _, named in events:  # unpacked: cheaper than three attributes
            routed = name if named else None
            event = read_event(routed, data, on_invalid, read)
            if resumed and self._repeated(event):
                continue
            add(event)
            record(event, (routed, data))
            if type(event) in _ENDING and accumulator.outcome != "streaming":
                return True
        return False

    def resumed(self) -> None:
        """The next events may repeat the last ones (skipped), not skip any or change response."""
        self._resumed = True

    def _repeated(self, event: Event) -> bool:
        """Whether a resumed body sent ``event`` again (else it must go on from the last one).

        Raises:
            StreamTruncatedError: Events are missing, or it is another response.
        """
        number: int | None = getattr(event, "sequence_number", None)
        last = self.accumulator.last_sequence_number
        last = -1 if last is None else last
        if number is not None and number <= last:
            return True  # delivered already
        if number is not None and number > last + 1:
            reason = (
                f"the resumed stream went on at event #{number}, not #{last + 1}: "
                f"{number - last - 1} event(s) are missing"
            )
            raise StreamTruncatedError(reason, partial=self.snapshot, code="sequence_gap")
        other = getattr(getattr(event, "response", None), "id", "")
        if other and other != self._response_id:
            reason = f"the resumed stream is of another response ({other}, not {self._response_id})"
            raise StreamTruncatedError(reason, partial=self.snapshot, code="other_response")
        return False

    @property
    def ended(self) -> bool:
        """Whether a terminal event (or an ``error`` event) arrived."""
        return self.accumulator.outcome != "streaming"

    @property
    def snapshot(self) -> Response | None:
        """The response accumulated so far."""
        return self.accumulator.snapshot

    @property
    def last_sequence_number(self) -> int | None:
        """The last event's sequence number."""
        return self.accumulator.last_sequence_number

    def replay(self, entry: tuple[str | None, bytes]) -> Event:
        """Parse a logged event again."""
        return parse_event_data(entry[0], entry[1], on_invalid="return")

    def resume_position(self) -> ResumePosition | Unresumable:
        """Where to resume from, or why this stream cannot be resumed."""
        snapshot = self.snapshot
        if snapshot is None or not snapshot.id:
            return Unresumable("no event said which response this is")
        if snapshot.background is not True:
            why = "the response was not created with background=true (only those are kept)"
            return Unresumable(why)
        last = self.accumulator.last_sequence_number
        if last is None:
            return Unresumable("its events have no sequence numbers to resume from")
        self._response_id = snapshot.id
        return ResumePosition(response_id=snapshot.id, sequence_number=last)

    def result(self, cut: str) -> Response:
        """The final response, or the error that says why there is none."""
        accumulator = self.accumulator
        if accumulator.close() == "truncated":
            raise StreamTruncatedError(cut, partial=accumulator.snapshot)
        return accumulator.result()


_DONE: Final = b"[DONE]"
_ENDING: Final = frozenset(
    {ResponseCompletedEvent, ResponseIncompleteEvent, ResponseFailedEvent, ResponseErrorEvent}
)


class ChatProtocol(StreamProtocol[ChatCompletion]):
    """A Chat Completions stream: chunks, the events derived from them, and ``[DONE]``."""

    text_type = ChatContentDeltaEvent

    def __init__(self, *, on_invalid: OnInvalid) -> None:
        self.on_invalid: OnInvalid = on_invalid
        self.accumulator = ChatCompletionAccumulator()
        self._payloads = PayloadReader()
        self.done = False  # [DONE] arrived

    def receive_all(self, chunk: bytes, events: Iterable[ServerSentEvent], record: Record) -> bool:
        """Type, accumulate and record each chunk, then what it derives; whether [DONE] came."""
        on_invalid, add, read = self.on_invalid, self.accumulator.add, self._payloads.scan(chunk)
        for sse in events:
            data = sse.raw_data
            if data == _DONE:
                self.done = True
                return True
            completion_chunk = read_chunk(data, on_invalid, read)
            derived = add(completion_chunk)
            record(completion_chunk, (None, data))
            for event in derived:
                record(event, event)
        return False

    @property
    def ended(self) -> bool:
        """Whether ``[DONE]`` arrived."""
        return self.done

    @property
    def snapshot(self) -> ChatCompletion | None:
        """The completion accumulated so far."""
        return self.accumulator.snapshot

    def replay(self, entry: tuple[str | None, bytes]) -> Event:
        """Parse a logged chunk again."""
        return parse_chat_chunk(entry[1], on_invalid="return")

    def result(self, cut: str) -> ChatCompletion:
        """The whole completion, or the error that says why there is none."""
        self.accumulator.close()
        try:
            return self.accumulator.result()
        except StreamTruncatedError as error:
            if self.done:
                raise
            reason = f"{cut}, with no [DONE]: {error.reason}"
            raise StreamTruncatedError(reason, partial=error.partial) from None


class _EndsWithBody(StreamProtocol[R]):
    """A stream whose body ending normally is its end, and that accumulates nothing."""

    _ended = False

    def receive_eof(self, record: Record) -> None:
        """A body that ends normally ends the stream."""
        del record
        self._ended = True

    @property
    def ended(self) -> bool:
        """Whether a body ended normally."""
        return self._ended

    @property
    def snapshot(self) -> None:
        """Nothing accumulates."""


class SSEProtocol(_EndsWithBody[None]):
    """Any event stream (the generic SSE client): its events are the decoded events, as is.

    The end of a body is a normal end; a 204 answer ends the stream; a broken stream resumes
    from the last event ID (sent as ``Last-Event-ID``), after the server's ``retry`` time (else
    the policy's ``initial_delay``), doubled after each failure in a row, at most ``max_delay``.
    """

    text_type = ServerSentEvent
    kind_of = operator.attrgetter("event")
    ends_with_no_content = True

    def __init__(
        self, *, last_event_id: str = "", max_event_size: int = DEFAULT_MAX_EVENT_SIZE
    ) -> None:
        self.max_event_size = max_event_size
        self._decoder = SSEDecoder(last_event_id=last_event_id, max_event_size=max_event_size)
        self._retry: int | None = None  # the retry of the bodies before the current one

    @property
    def last_event_id(self) -> str:
        """The last event ID (the spec's, committed at each blank line)."""
        return self._decoder.last_event_id

    @property
    def retry(self) -> int | None:
        """The reconnection time the server asked for, in milliseconds, if it did."""
        retry = self._decoder.retry
        return self._retry if retry is None else retry

    def decoder(self) -> SSEDecoder:
        """A decoder that goes on from the last event ID (and keeps the server's ``retry``)."""
        self._retry = self.retry
        self._decoder = SSEDecoder(
            last_event_id=self.last_event_id, max_event_size=self.max_event_size
        )
        return self._decoder

    def receive_all(self, chunk: bytes, events: Iterable[ServerSentEvent], record: Record) -> bool:
        """Record the events, as they are (none ends the stream: the end of the body does)."""
        del chunk  # its events are all there is to it
        for sse in events:
            record(sse, sse)
        return False

    def result(self, cut: str) -> None:
        """No result accumulates."""
        del cut

    def resume_position(self) -> str:
        """The last event ID ("" when none came: reconnect without one)."""
        return self.last_event_id

    def resume_delay(self, attempt: int, policy: RetryPolicy) -> float:
        """The server's ``retry`` (else ``initial_delay``), doubled per attempt, capped."""
        cap = policy.max_delay
        # A server's retry may be any number of digits: bounded before any float arithmetic.
        base = policy.initial_delay if self.retry is None else min(self.retry, cap * 1000) / 1000
        return float(min(base * 2.0 ** min(attempt, 64), cap))


class _Body:
    """The "decoder" of a JSON answer: it keeps the body, and decodes no events."""

    unterminated = None

    def __init__(self) -> None:
        self.content = bytearray()

    def feed(self, chunk: bytes) -> tuple[()]:
        self.content += chunk
        return ()

    def close(self) -> None:
        pass


class JSONProtocol(_EndsWithBody[M]):
    """A non-streaming answer: one JSON object, read whole, structured as ``kind``.

    Everything else (retries, error bodies, redirects not followed) is the machine's, as for a
    stream; an answer that is not the expected object is an :class:`InvalidResponseError`.
    """

    text_type = Event

    def __init__(self, kind: type[M]) -> None:
        self.kind: type[M] = kind
        self._body = _Body()
        self._status = 0
        self._content_type = ""

    def accepts(self, status: int, headers: Mapping[str, str]) -> bool:
        """Any success is the answer (whatever its content type: the result says)."""
        self._status, self._content_type = status, headers.get("content-type", "")
        return status < 300

    def decoder(self) -> _Body:
        """Where the body goes."""
        self._body = _Body()
        return self._body

    def receive_all(self, chunk: bytes, events: Iterable[ServerSentEvent], record: Record) -> bool:
        """A JSON body has no events: its decoder keeps the bytes, and gives none."""
        del chunk, events, record
        return False

    def result(self, cut: str) -> M:
        """The API object the body holds, or an error that says what came instead."""
        del cut
        content = bytes(self._body.content)
        try:
            result: M = converter.structure(json.loads(content), self.kind)
        except (ValueError, TypeError, RecursionError, ClassValidationError) as error:
            raise InvalidResponseError(
                str(error).splitlines()[0] if str(error) else type(error).__name__,
                status_code=self._status,
                content_type=self._content_type,
                body=content[:200],
            ) from error
        return result
