"""The part of a stream that does no I/O, shared by the async and the sync streams.

A core takes the body's chunks as they come (:meth:`StreamCore.feed`) and keeps everything the
streams offer: the typed events of the last chunk, the replay cache, the accumulated result,
the statistics and the deadlines. The async and sync streams only read chunks and wait.

The replay cache keeps each event as its raw payload (parsed again when replayed), not as a
typed object: that costs less memory, and the garbage collector need not walk every event.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable, Mapping
from typing import Any, Final, Generic, TypeVar

import attrs

from rillet._accumulate import ChatCompletionAccumulator, ResponseAccumulator
from rillet._errors import (
    APIConnectionError,
    APIError,
    APITimeoutError,
    RilletError,
    StreamError,
    StreamTruncatedError,
)
from rillet._policy import ResumePosition, Timeouts
from rillet._sse import ServerSentEvent, SSEDecoder
from rillet.events import (
    ChatCompletion,
    CompletionUsage,
    Event,
    KeepaliveEvent,
    OnInvalid,
    Response,
    ResponseCompletedEvent,
    ResponseFailedEvent,
    ResponseIncompleteEvent,
    ResponseOutputTextDeltaEvent,
    ResponseUsage,
    parse_chat_chunk,
    parse_event_data,
)

__all__ = ["ChatCore", "ResponseCore", "StreamCore", "StreamStats"]

R = TypeVar("R", Response, ChatCompletion)
Entry = Event | tuple[str | None, bytes]
"""A cached event: (routed type, raw payload) to parse again, or the event itself."""

# After the terminal event, how long to wait for the rest of the body before closing.
DRAIN_SECONDS: Final = 2.0
_log = logging.getLogger("rillet")
_TERMINAL: Final = frozenset({ResponseCompletedEvent, ResponseIncompleteEvent, ResponseFailedEvent})
# What a chunk brought, as bits: any event, an event other than a keepalive, text, the end.
_ANY, _ACTIVE, _TEXT, _END = 1, 2, 4, 8


@attrs.frozen(kw_only=True)
class StreamStats:
    """What a stream did so far.

    Attributes:
        time_to_first_event: Seconds from sending the request to the first event.
        time_to_first_text: Seconds from sending the request to the first text delta.
        events_by_type: How many events of each type arrived.
        bytes_received: Bytes of the body read so far.
        duration: Seconds from sending the request to the end of the stream (or to now).
        retries: How many times the request was retried before it succeeded.
        usage: Token usage, once the server reported it.
        reconnects: How many times the stream was resumed after its connection dropped.
    """

    time_to_first_event: float | None
    time_to_first_text: float | None
    events_by_type: Mapping[str, int]
    bytes_received: int
    duration: float
    retries: int
    usage: ResponseUsage | CompletionUsage | None
    reconnects: int = 0


class StreamCore(Generic[R]):
    """Decoding, typing, accumulation, cache, statistics and deadlines of one stream."""

    def __init__(
        self,
        *,
        timeouts: Timeouts,
        started: float,
        cache: bool = True,
        on_invalid: OnInvalid = "raise",
        retries: int = 0,
    ) -> None:
        self.decoder = SSEDecoder()
        self.timeouts = timeouts
        self.started = started
        self.cache = cache
        self.on_invalid: OnInvalid = on_invalid
        self.retries = retries
        self.count = 0  # events so far
        self.fresh: list[Event] = []  # the events of the last chunk: positions fresh_start...
        self.fresh_start = 0
        self.log: list[Entry] = []  # the replay cache
        self.consumed = 0  # with cache=False: how far the iteration got
        self.finished = False  # no more events will arrive
        self.failure: BaseException | None = None  # what ended the stream, raised again
        self.first_event_at: float | None = None
        self.first_text_at: float | None = None
        self.last_event_at: float | None = None
        self.ended_at: float | None = None
        self.drain_deadline = math.inf
        self.counts: dict[str, int] = {}
        self.bytes = 0
        self.arrived = 0  # what the chunk being read brought: _ANY | _ACTIVE | _TEXT | _END
        self.reconnects = 0
        self.unresumable: str | None = None  # why a broken stream was not resumed
        self.attempts = 0  # resumes tried since events last arrived
        self.resumed_at = -1  # how many events there were at the last resume

    # -- what subclasses define -----------------------------------------------------------

    @property
    def snapshot(self) -> R | None:
        """The result accumulated so far."""
        raise NotImplementedError

    def on_event(self, sse: ServerSentEvent) -> None:
        """Type, accumulate and record one decoded event."""
        raise NotImplementedError

    def replay(self, entry: tuple[str | None, bytes]) -> Event:
        """The event a cache entry holds, parsed again."""
        raise NotImplementedError

    def result(self) -> R:
        """The final result, or the error that says why there is none."""
        raise NotImplementedError

    def dispatched(self, stopped: bool) -> R:
        """What a dispatch returns: the result so far if a handler stopped it, else the final."""
        snapshot = self.snapshot
        if stopped and snapshot is not None:
            return snapshot
        return self.result()

    # -- reading --------------------------------------------------------------------------

    def begin(self) -> None:
        """A new read: the fresh events so far are now only in the cache."""
        self.fresh = []
        self.fresh_start = self.count

    def feed(self, chunk: bytes, now: Callable[[], float]) -> None:
        """Decode a chunk of the body; ``now`` reads the clock (once, if events arrived)."""
        self.bytes += len(chunk)
        for sse in self.decoder.feed(chunk):
            self.on_event(sse)
        if self.arrived:
            self.clock(now())

    def end(self, now: float) -> None:
        """The body ended."""
        self.decoder.close()
        self.finish(now)

    def finish(self, now: float) -> None:
        """No more events will arrive."""
        if not self.finished:
            self.finished = True
            self.ended_at = now

    def record(self, event: Event, entry: Entry) -> None:
        """Keep ``event``, and ``entry`` (what replays it) in the cache."""
        self.arrived |= _ANY if type(event) is KeepaliveEvent else _ACTIVE
        self.counts[event.type] = self.counts.get(event.type, 0) + 1
        self.fresh.append(event)
        if self.cache:
            self.log.append(entry)
        self.count += 1

    def event_at(self, position: int) -> Event:
        """The event at ``position`` (below ``count``): fresh, or replayed from the cache."""
        fresh = position - self.fresh_start
        if fresh >= 0:
            return self.fresh[fresh]
        entry = self.log[position]
        return self.replay(entry) if type(entry) is tuple else entry  # type: ignore[return-value]

    def clock(self, now: float) -> None:
        """Time what the last chunk brought."""
        arrived = self.arrived
        if self.first_event_at is None:
            self.first_event_at = now
        if arrived & _ACTIVE:
            self.last_event_at = now
        if arrived & _TEXT and self.first_text_at is None:
            self.first_text_at = now
        if arrived & _END:
            self.drain_deadline = now + DRAIN_SECONDS
        self.arrived = 0

    # -- deadlines and errors --------------------------------------------------------------

    def deadline(self) -> tuple[float, str]:
        """The earliest deadline for the next chunk, and which timeout (or "drain") it is."""
        timeouts = self.timeouts
        candidates = [(self.drain_deadline, "drain")]
        if timeouts.total is not None:
            candidates.append((self.started + timeouts.total, "total"))
        if self.first_event_at is None:
            if timeouts.first_event is not None:
                candidates.append((self.started + timeouts.first_event, "first_event"))
        elif timeouts.idle is not None and self.last_event_at is not None:
            candidates.append((self.last_event_at + timeouts.idle, "idle"))
        return min(candidates)

    def timed_out(self, kind: str) -> APITimeoutError:
        """The error for an expired timeout: which, and after how much."""
        seconds: float = getattr(self.timeouts, kind)
        events = sum(self.counts.values())
        message = f"the {kind} timeout ({seconds} s) expired after {self.bytes} bytes"
        message += f" and {events} events"
        return APITimeoutError(message, kind=kind, seconds=seconds, partial=self.snapshot)

    def broken(self, cause: APIConnectionError) -> StreamError | APITimeoutError:
        """The error for a connection that broke mid-stream: it says where, and keeps what came.

        httpx's own timeouts (``read``...) are timeouts: they stay :class:`APITimeoutError`.
        """
        events = sum(self.counts.values())
        if isinstance(cause, APITimeoutError):
            message = f"{cause} after {self.bytes} bytes and {events} events"
            timeout = APITimeoutError(message, kind=cause.kind, partial=self.snapshot)
            timeout.__cause__ = cause.__cause__
            return timeout
        reason = f"the connection broke after {self.bytes} bytes and {events} events ({cause})"
        error = StreamTruncatedError(reason, partial=self.snapshot)
        error.__cause__ = cause
        return error

    def cancelled(self) -> StreamError:
        """What later readers get when reading was cancelled."""
        reason = f"reading was cancelled after {self.bytes} bytes"
        return StreamTruncatedError(reason, partial=self.snapshot)

    def cut(self) -> str:
        """Where and how the body ended, for a truncation error."""
        where = f"the body ended after {self.bytes} bytes and {sum(self.counts.values())} events"
        tail = self.decoder.unterminated
        if tail is not None:
            where += (
                f"; an unterminated event of {tail.size} bytes at byte {tail.offset} "
                f"was discarded ({tail.excerpt!r})"
            )
        return where + self.not_resumed()

    def not_resumed(self) -> str:
        """Why the stream was not resumed, for an error message (empty if it was not tried)."""
        return f"; not resumed: {self.unresumable}" if self.unresumable else ""

    def ended(self) -> bool:
        """Whether the stream's own end arrived (a terminal event, ``[DONE]``)."""
        raise NotImplementedError

    def explain(self, error: StreamTruncatedError | APITimeoutError) -> RilletError:
        """``error`` again, saying why the stream was not resumed (when that was considered)."""
        if not self.unresumable:
            return error
        if isinstance(error, APITimeoutError):
            message = f"{error}{self.not_resumed()}"
            return APITimeoutError(
                message, kind=error.kind, seconds=error.seconds, partial=error.partial
            )
        return StreamTruncatedError(error.reason + self.not_resumed(), partial=error.partial)

    def refused(self, refusal: APIError) -> StreamTruncatedError:
        """The error for a broken stream whose resumption the server refused."""
        self.unresumable = f"the server refused ({refusal})"
        events = sum(self.counts.values())
        reason = f"the stream broke after {self.bytes} bytes and {events} events"
        return StreamTruncatedError(reason + self.not_resumed(), partial=self.snapshot)

    def resume_position(self) -> tuple[str, int] | str:
        """Where to resume the stream from (response id, sequence number), or why it cannot be."""
        return "only Responses API streams can be resumed"

    def resumable(self, error: APIConnectionError | StreamError | None) -> tuple[str, int] | None:
        """Where to resume a broken stream from; ``None`` (``unresumable`` says why) if not.

        Resumed: a dropped connection, a stall past the idle or read timeout (not the total
        one: the caller's deadline), and a body that ended before the terminal event (once: a
        resumed body that ends again with nothing new means the server has nothing more).
        """
        if self.ended() or (isinstance(error, APITimeoutError) and error.kind == "total"):
            return None
        position = self.resume_position()
        if isinstance(position, str):
            self.unresumable = position
            return None
        if error is None and self.count == self.resumed_at:
            self.unresumable = "the resumed stream ended again with nothing new (cancelled?)"
            return None
        if self.count != self.resumed_at:  # events came since the last resume: start afresh
            self.attempts = 0
        return position

    def next_attempt(self, limit: int) -> int | None:
        """The number of the next resume attempt (from 1), or ``None`` past ``limit``."""
        if self.attempts >= limit:
            self.unresumable = f"{self.attempts} attempts in a row failed"
            return None
        self.attempts += 1
        return self.attempts

    def restart(self) -> None:
        """A new body continues the stream (after a resume): decode it from its start."""
        self.decoder = SSEDecoder()
        self.reconnects += 1
        self.resumed_at = self.count
        self.drain_deadline = math.inf

    def stats(self, now: float) -> StreamStats:
        """The statistics so far."""
        end = self.ended_at if self.ended_at is not None else now
        first_event, first_text = self.first_event_at, self.first_text_at
        snapshot = self.snapshot
        return StreamStats(
            time_to_first_event=None if first_event is None else first_event - self.started,
            time_to_first_text=None if first_text is None else first_text - self.started,
            events_by_type=dict(self.counts),
            bytes_received=self.bytes,
            duration=end - self.started,
            retries=self.retries,
            usage=snapshot.usage if snapshot is not None else None,
            reconnects=self.reconnects,
        )


def log_resume(response_id: str, after: int, attempt: int, limit: int, reason: str) -> None:
    """Say on the ``rillet`` logger that a stream is being resumed, and why."""
    _log.warning(
        "resuming response %s after event %d (attempt %d of %d): %s",
        *(response_id, after, attempt, limit, reason),
    )


class ResponseCore(StreamCore[Response]):
    """The core of a Responses API stream."""

    def __init__(self, *, strict: bool = True, **options: Any) -> None:  # noqa: ANN401
        super().__init__(**options)
        # A stream that starts after the beginning (retrieve with starting_after), or that goes
        # on past invalid events, has events about items it never saw added: those are
        # skipped (and listed in accumulator.problems), not errors.
        self.accumulator = ResponseAccumulator(strict=strict and self.on_invalid == "raise")
        self.last_sequence = -1  # the highest sequence number so far (-1: none yet)

    @property
    def snapshot(self) -> Response | None:
        """The response accumulated so far."""
        return self.accumulator.snapshot

    def on_event(self, sse: ServerSentEvent) -> None:
        """Type, accumulate and record one event."""
        routed = sse.event if sse.has_event_field else None
        event = parse_event_data(routed, sse.raw_data, on_invalid=self.on_invalid)
        number = getattr(event, "sequence_number", None)
        if number is not None:
            if number <= self.last_sequence and self.reconnects:
                return  # a resumed stream sent it again: it was delivered already
            self.last_sequence = number
        self.accumulator.add(event)
        kind = type(event)
        if kind is ResponseOutputTextDeltaEvent:
            self.arrived |= _TEXT
        elif kind in _TERMINAL:
            self.arrived |= _END  # then read what follows, but not for long
        self.record(event, (routed, sse.raw_data))

    def replay(self, entry: tuple[str | None, bytes]) -> Event:
        """Parse a cached event again."""
        return parse_event_data(entry[0], entry[1], on_invalid="return")

    def ended(self) -> bool:
        """Whether a terminal event (or an ``error`` event) arrived."""
        return self.accumulator.outcome != "streaming"

    def resume_position(self) -> tuple[str, int] | str:
        """Where to resume from, or why this stream cannot be resumed."""
        snapshot = self.snapshot
        if snapshot is None or not snapshot.id:
            return "no event said which response this is"
        if snapshot.background is not True:
            return "the response was not created with background=true (only those are kept)"
        if self.last_sequence < 0:
            return "its events have no sequence numbers to resume from"
        return snapshot.id, self.last_sequence

    def position(self) -> ResumePosition | None:
        """The stream's position: the response and its last event's sequence number."""
        snapshot = self.snapshot
        if snapshot is None or not snapshot.id or self.last_sequence < 0:
            return None
        return ResumePosition(response_id=snapshot.id, sequence_number=self.last_sequence)

    def result(self) -> Response:
        """The final response, or the error that says why there is none."""
        accumulator = self.accumulator
        if accumulator.close() == "truncated":
            raise StreamTruncatedError(self.cut(), partial=accumulator.snapshot)
        return accumulator.result()


class ChatCore(StreamCore[ChatCompletion]):
    """The core of a Chat Completions stream: chunks, and the events derived from them."""

    def __init__(self, **options: Any) -> None:  # noqa: ANN401
        super().__init__(**options)
        self.accumulator = ChatCompletionAccumulator()
        self.done = False  # [DONE] arrived

    @property
    def snapshot(self) -> ChatCompletion | None:
        """The completion accumulated so far."""
        return self.accumulator.snapshot

    def on_event(self, sse: ServerSentEvent) -> None:
        """Type, accumulate and record one chunk, then what it derives."""
        if self.done:
            return
        if sse.raw_data == b"[DONE]":
            self.done = True
            self.arrived |= _END
            return
        chunk = parse_chat_chunk(sse.raw_data, on_invalid=self.on_invalid)
        derived = self.accumulator.add(chunk)
        if derived:
            self.arrived |= _TEXT
        self.record(chunk, (None, sse.raw_data))
        for event in derived:
            self.record(event, event)

    def ended(self) -> bool:
        """Whether ``[DONE]`` arrived."""
        return self.done

    def replay(self, entry: tuple[str | None, bytes]) -> Event:
        """Parse a cached chunk again."""
        return parse_chat_chunk(entry[1], on_invalid="return")

    def result(self) -> ChatCompletion:
        """The whole completion, or the error that says why there is none."""
        self.accumulator.close()
        try:
            return self.accumulator.result()
        except StreamTruncatedError as error:
            if self.done:
                raise
            reason = f"{self.cut()}, with no [DONE]: {error.reason}"
            raise StreamTruncatedError(reason, partial=error.partial) from None
