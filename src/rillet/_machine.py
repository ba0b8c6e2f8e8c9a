"""The stream machine: every decision about one stream, and no I/O (in the manner of h11).

An I/O loop asks :meth:`StreamMachine.next_action` what to do, does it, and tells the machine
what happened (``receive_headers``, ``receive_data``, ``receive_eof``, ``receive_failure``,
``receive_deadline``), with the time. The loops (async, blocking, the generic SSE client) only
move bytes and time; which deadline applies, whether a drop is a loss, whether and where to
resume, when draining ends, and which error, with what partial result, are decided here, once.

The machine's parts each do one job, in modules of their own: the protocol (typing and
accumulation of one kind of stream, ``_protocols``), the replay log (``_replay_log``), the
deadlines (``_deadlines``) and the attempts (retries of the request, resumes of the body,
``_attempts``). Questions (``next_action``, ``snapshot``, ``stats``) never change state.
"""

from __future__ import annotations

import logging
from collections import Counter, deque
from collections.abc import Mapping
from typing import Any, Final, Generic, Protocol, cast

import attrs
from typing_extensions import TypeVar

from rillet._accumulate._responses_neutral import Derivers
from rillet._attempts import Attempts
from rillet._deadlines import Deadlines
from rillet._errors import (
    APIConnectionError,
    APIError,
    APITimeoutError,
    EventDecodeError,
    NotEventStreamError,
    RilletError,
    StreamError,
    StreamProgress,
    StreamTruncatedError,
    TruncationCode,
    status_error,
)
from rillet._policy import ResumePosition, RetryPolicy, Timeouts
from rillet._protocols import Item, StreamProtocol, Unresumable
from rillet._replay_log import ReplayLog
from rillet.events import NEUTRAL_EVENT_TYPES, Event

__all__ = [
    "DONE",
    "Action",
    "Cursor",
    "Done",
    "Fail",
    "Open",
    "Read",
    "Recorder",
    "StreamMachine",
    "StreamStats",
]

R = TypeVar("R")
E = TypeVar("E", bound=Item)
U = TypeVar("U", default=Any)  # a provider's usage object

DRAIN_SECONDS: Final = 2.0
"""After the stream's own end, how long to wait for the rest of the body before closing."""
ERROR_BODY_LIMIT: Final = 64 * 1024
"""How much of an error response's body is read: enough for any API error, bounded."""
_NO_CONTENT: Final = 204
_log = logging.getLogger("rillet")
_NEUTRAL: Final = frozenset(NEUTRAL_EVENT_TYPES)
"""Not counted by type: derived alike by every stream (in its log, or per pass)."""


# -- actions ----------------------------------------------------------------------------------


@attrs.frozen
class Open:
    """Send the request (``resume`` is ``None``) or resume the stream from ``resume``.

    Not before ``at``; the wait, the headers and an error body must all be done by ``deadline``
    (``timeout`` names it).
    """

    resume: object
    at: float
    deadline: float
    timeout: str


@attrs.frozen
class Read:
    """Read the next chunk of the body by ``deadline`` (``timeout`` names it)."""

    deadline: float
    timeout: str


@attrs.frozen
class Done:
    """The stream is over: close the body (events already received stay readable)."""


@attrs.frozen
class Fail:
    """The stream failed: close the body, and raise ``error`` to whoever reads past the end."""

    error: RilletError


DONE: Final = Done()
Action = Open | Read | Done | Fail


# -- statistics -------------------------------------------------------------------------------


@attrs.frozen(kw_only=True)
class StreamStats(Generic[U]):
    """What a stream did so far; ``U`` is the provider's usage object.

    ``U`` is the result's own usage class: ``ResponseUsage`` on a Responses stream,
    ``CompletionUsage`` on a Chat Completions stream, ``rillet.anthropic.Usage`` on a Messages
    stream, ``rillet.gemini.UsageMetadata`` on a Gemini stream.

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
    usage: U | None
    reconnects: int = 0


class Recorder(Protocol):
    """What is told once, when a stream ends (rillet._telemetry's, for OpenTelemetry)."""

    def ended(self, machine: StreamMachine[Any], now: float) -> None:
        """The stream ended (done or failed) at ``now``."""
        ...


# -- reading ----------------------------------------------------------------------------------


class Cursor(Generic[E]):
    """One pass over a machine's events of one class: the log first, then what arrives."""

    __slots__ = ("_log", "_machine", "_only", "index")

    def __init__(self, machine: StreamMachine[Any], only: type[E]) -> None:
        self._machine = machine
        self._log = log = machine.log
        self._only = only
        self.index = 0 if log.cache else log.consumed

    def take(self) -> E | None:
        """The next event of the class, if it has arrived; raise the failure past the end."""
        log, only = self._log, self._only
        index = self.index
        while index < log.count:
            fresh = index - log.fresh_start  # the common case, inline: the last read's events
            if fresh >= 0:
                event = log.fresh[fresh]
            else:
                event = log.event_at(index, self._machine.protocol.replay)
            index += 1
            if isinstance(event, only):
                self.index = index
                if not log.cache:
                    log.consumed = index
                return event
        self.index = index
        if not log.cache:
            log.consumed = index
        machine = self._machine
        if machine.finished and machine.failure is not None:
            raise machine.failure
        return None


class DerivingCursor(Cursor[Event]):
    """A pass over every event, each followed by the neutral events ``derivers`` make of it.

    For a protocol whose neutral events are not in the log (see
    :meth:`~rillet._protocols.StreamProtocol.derivers`): each pass derives them as it reads.
    """

    __slots__ = ("_derivers", "_emit", "_pending")

    def __init__(self, machine: StreamMachine[Any], derivers: Derivers) -> None:
        super().__init__(machine, Event)
        self._derivers = derivers
        self._pending: deque[Event] = deque()
        self._emit = self._pending.append

    def take(self) -> Event | None:
        """The next event: a derived one waiting, else the log's next and then what it derives."""
        if self._pending:
            return self._pending.popleft()
        event = super().take()
        if event is not None and (derive := self._derivers.get(type(event))) is not None:
            derive(event, self._emit)
        return event


# -- the machine ------------------------------------------------------------------------------


class StreamMachine(Generic[R]):
    """Every decision about one stream, fed bytes, ends, failures and the time.

    Args:
        protocol: The kind of stream (its events, its end, its result, where it resumes).
        timeouts: The deadlines (``first_event``, ``idle``, ``total``) to hold in every phase.
        retry: Retries before the first event, resumes after.
        started: When the call started (the clock of ``now`` arguments).
        cache: Keep every event for another pass.
        resumable: Whether the caller can resume a broken stream (``Open(resume=...)``).
        idempotent: Whether the request may be sent again after it may have arrived.
        label: What the request is, for log lines.
        recorder: What reports the stream to OpenTelemetry (told once, when it ends), if any.
    """

    def __init__(
        self,
        protocol: StreamProtocol[R],
        *,
        timeouts: Timeouts,
        retry: RetryPolicy,
        started: float,
        cache: bool = True,
        resumable: bool = False,
        idempotent: bool = False,
        label: str = "the request",
        recorder: Recorder | None = None,
    ) -> None:
        self.protocol = protocol
        self.label = label
        """What the request is, for log lines (``POST /v1/responses``)."""
        self.log = ReplayLog(cache=cache)
        self.deadlines = Deadlines(timeouts, started)
        self.attempts = Attempts(retry, idempotent=idempotent)
        self._decoder = protocol.decoder()
        self._resumable = resumable
        self._counts: Counter[str] = Counter()
        self._bytes = 0
        self._first_text_at: float | None = None
        self._ended_at: float | None = None
        self._unresumable = ""  # why a broken stream was not resumed
        self._resumed_at = -1  # how many events there were at the last resume
        # The phase: "open" (an Open is due), "headers" (an error body is being read),
        # "body", "done", "failed".
        self._phase = "open"
        self._open = Open(None, started, *self.deadlines.next())
        self._error_status = 0
        self._error_headers: Mapping[str, str] = {}
        self._error_body = bytearray()
        self._failure: RilletError | None = None
        self.headers: Mapping[str, str] = {}
        """The headers of the response being read."""
        self.closed = False
        """Whether the reader closed the stream before its own end."""
        self._recorder = recorder

    # -- questions ---------------------------------------------------------------------------

    def next_action(self) -> Action:
        """What the I/O loop must do next."""
        phase = self._phase
        if phase in {"body", "headers"}:
            return Read(*self.deadlines.next())
        if phase == "open":
            return self._open
        if phase == "failed":
            assert self._failure is not None  # noqa: S101 - set with the phase
            return Fail(self._failure)
        return DONE

    @property
    def opening(self) -> bool:
        """Whether the request is still being sent (retries and error bodies included)."""
        return self._phase in ("open", "headers") and self._open.resume is None

    def cursor(self, only: type[E], *, derived: bool = False) -> Cursor[E]:
        """A pass over the events of class ``only``.

        ``derived``: over every event, the neutral ones included also when the protocol derives
        them per pass rather than in the log.
        """
        derivers = self.protocol.derivers() if derived else None
        if derivers is None:
            return Cursor(self, only)
        return cast("Cursor[E]", DerivingCursor(self, derivers))

    def awaits(self, count: int) -> bool:
        """Whether a reader that has seen ``count`` events must wait for the network."""
        return self.log.count == count and self._phase not in ("done", "failed")

    @property
    def finished(self) -> bool:
        """Whether no more events will arrive."""
        return self._phase in ("done", "failed")

    @property
    def failure(self) -> RilletError | None:
        """What ended the stream, if it failed."""
        return self._failure

    @property
    def snapshot(self) -> R | None:
        """The result accumulated so far."""
        return self.protocol.snapshot

    def progress(self) -> StreamProgress:
        """How far the stream got."""
        return StreamProgress(
            bytes_received=self._bytes,
            events_received=self.log.count,
            last_sequence_number=self.protocol.last_sequence_number,
            reconnects=self.attempts.resumes,
        )

    def stats(self, now: float) -> StreamStats[Any]:
        """The statistics so far."""
        deadlines = self.deadlines
        started = deadlines.started
        end = self._ended_at if self._ended_at is not None else now
        first_event, first_text = deadlines.first_event_at, self._first_text_at
        return StreamStats(
            time_to_first_event=None if first_event is None else first_event - started,
            time_to_first_text=None if first_text is None else first_text - started,
            events_by_type={
                kind: count for kind, count in self._counts.items() if kind not in _NEUTRAL
            },
            bytes_received=self._bytes,
            duration=end - started,
            retries=self.attempts.retries,
            usage=self.protocol.usage,
            reconnects=self.attempts.resumes,
        )

    def result(self) -> R:
        """The final result, or the error that says why there is none (with its context)."""
        try:
            return self.protocol.result(self._cut())
        except StreamError as error:
            error.progress = self.progress()
            tail = self._decoder.unterminated
            if isinstance(error, StreamTruncatedError) and tail is not None:
                error.excerpt = tail.excerpt
            raise

    def dispatched(self, stopped: bool) -> R:
        """What a dispatch returns: the result so far if a handler stopped it, else the final."""
        snapshot = self.protocol.snapshot
        if stopped and snapshot is not None:
            return snapshot
        return self.result()

    # -- what happened -----------------------------------------------------------------------

    def receive_headers(self, status: int, headers: Mapping[str, str], now: float) -> None:
        """The answer to an ``Open`` arrived: an event stream to read, or an error to read."""
        self.headers = headers
        if status == _NO_CONTENT and self.protocol.ends_with_no_content:
            self._finish(now)
            return
        if self.protocol.accepts(status, headers):
            self._phase = "body"
            if self._open.resume is not None:
                self._decoder = self.protocol.decoder()
                self.attempts.resumes += 1
                self._resumed_at = self.log.count
                self.protocol.resumed()
            return
        self._phase = "headers"
        self._error_status = status
        self._error_headers = headers
        self._error_body = bytearray()
        del now

    def receive_data(self, chunk: bytes, now: float) -> None:
        """A chunk of the body arrived."""
        phase = self._phase
        if phase == "headers":
            self._error_body += chunk[: ERROR_BODY_LIMIT - len(self._error_body)]
            if len(self._error_body) >= ERROR_BODY_LIMIT:
                self._answered(now)
            return
        if phase == "body":
            self._bytes += len(chunk)
            if not self.protocol.ended:  # after the stream's own end nothing changes the outcome
                self._decode(chunk, now)

    def receive_eof(self, now: float) -> None:
        """The body ended."""
        if self._phase == "headers":
            self._answered(now)
        elif self._phase == "body":
            self._decoder.close()
            try:  # what the end completes (a last event a provider's streams leave unterminated)
                self.protocol.receive_eof(self.log.recorder())
            except RilletError as failure:
                self._settle(now)
                self._fail(failure, now)
                return
            self._settle(now)
            if self.protocol.ended:
                self._finish(now)
            else:
                self._lost(None, now)

    def receive_failure(self, error: APIConnectionError, now: float) -> None:
        """Sending the request, or reading the body, failed."""
        phase = self._phase
        if phase == "open":
            self._open_failed(error, now)
        elif phase == "headers":
            self._error_body += f" (the rest could not be read: {error})".encode()
            self._answered(now)
        elif phase == "body":
            if self.protocol.ended:
                self._finish(now)  # the response is whole: what happens after is no loss
            else:
                self._lost(self._broken(error), now)

    def receive_deadline(self, now: float) -> None:
        """The deadline of the last ``Read`` or ``Open`` passed."""
        deadline, name = self.deadlines.next()
        if self._phase not in ("open", "headers", "body") or now < deadline:
            return
        if name == "drain" or (self._phase == "body" and self.protocol.ended):
            self._finish(now)
            return
        seconds: float | None = getattr(self.deadlines.timeouts, name, None)
        message = f"the {name} timeout ({seconds} s) expired after {self._bytes} bytes"
        message += f" and {self.log.count} events"
        timeout = APITimeoutError(message, kind=name, seconds=seconds, partial=self.snapshot)
        if self._phase == "body" and name != "total":
            self._lost(timeout, now)  # a stall: resume when possible
        else:
            self._fail(timeout, now)

    def close(self, now: float) -> None:
        """The reader closed the stream: no more events will be read."""
        if not self.finished:
            self.closed = not self.protocol.ended  # after the stream's own end: no loss
            self._finish(now)

    def interrupt(self, why: str, now: float) -> None:
        """Reading was cancelled or interrupted (``why``): later readers get an error."""
        if not self.finished:
            reason = f"reading was {why} after {self._bytes} bytes"
            self._fail(StreamTruncatedError(reason, partial=self.snapshot, code="cancelled"), now)

    # -- decisions ---------------------------------------------------------------------------

    def _decode(self, chunk: bytes, now: float) -> None:
        """Decode, type and log a chunk's events; a bad event fails the stream after them."""
        failure: RilletError | None = None
        try:
            events = self._decoder.feed(chunk)
        except RilletError as raised:  # events decoded before the bad bytes come first
            events, failure = getattr(raised, "events", []), raised
        try:
            if self.protocol.receive_all(chunk, events, self.log.recorder()):
                failure = None  # the stream's own end came first: what follows is no loss
        except RilletError as raised:
            failure = raised
        except RecursionError:
            reason = "an event is nested too deeply to decode"
            failure = EventDecodeError(
                event_type=None, field=None, reason=reason, excerpt=chunk[:64]
            )
        self._settle(now)
        if failure is not None:
            self._fail(failure, now)

    def _settle(self, now: float) -> None:
        """Count and time the events recorded since the last time."""
        new = self.log.settle()
        if new:
            self._clock(new, now)

    def _clock(self, fresh: list[Item], now: float) -> None:
        """Count and time the events the last chunk brought."""
        self._counts.update(map(self.protocol.kind_of, fresh))
        deadlines = self.deadlines
        if deadlines.first_event_at is None:
            deadlines.first_event_at = now
        keepalive = self.protocol.keepalive
        if any(type(event) is not keepalive for event in fresh):
            deadlines.last_event_at = now
            self.attempts.since_events = 0
        if self._first_text_at is None:
            text = self.protocol.text_type
            if any(type(event) is text for event in fresh):
                self._first_text_at = now
        if self.protocol.ended:
            deadlines.drain_until = now + DRAIN_SECONDS
            self._ended_at = now  # the drain is not the stream's time

    def _answered(self, now: float) -> None:
        """An error answer (or one that is not an event stream) was read as far as needed."""
        body = bytes(self._error_body)
        status = self._error_status
        error: APIError
        if status >= 300:
            error = status_error(status, self._error_headers, body)
        else:
            error = NotEventStreamError(self._error_headers.get("content-type", ""), body)
        self._open_failed(error, now)

    def _open_failed(self, error: APIError, now: float) -> None:
        """An ``Open`` failed: try again, resume again, or fail."""
        if self._open.resume is None:
            delay = self.attempts.retry_delay(error)
            if delay is not None:
                self._schedule(None, now, delay, str(error))
                return
            self._fail(error, now)
            return
        if isinstance(error, APIConnectionError):
            self._lost(error, now)
            return
        self._unresumable = f"the server refused ({error})"
        reason = f"the stream broke after {self._bytes} bytes and {self.log.count} events"
        truncated = StreamTruncatedError(
            reason + self._not_resumed(), partial=self.snapshot, code="resume_refused"
        )
        truncated.__cause__ = error
        self._fail(truncated, now)

    def _lost(self, error: APIConnectionError | None, now: float) -> None:
        """The body broke, stalled or ended early: resume it, end, or fail."""
        position = self._resume_position(error)
        if position is None:
            if error is None:
                self._finish(now)  # iteration ends; result() says the stream was cut
            else:
                self._fail(self._explained(error), now)
            return
        delay = self.attempts.resume_delay(self.protocol.resume_delay)
        if delay is None:
            self._unresumable = f"{self.attempts.since_events} attempts in a row failed"
            if error is None:
                reason = self._cut()
                self._fail(
                    StreamTruncatedError(reason, partial=self.snapshot, code="resume_failed"),
                    now,
                )
            else:
                self._fail(self._explained(error, "resume_failed"), now)
            return
        why = "the body ended before the response did" if error is None else str(error)
        self._schedule(position, now, delay, why)

    def _resume_position(self, error: APIConnectionError | None) -> object | None:
        """Where to resume from; ``None`` (``_unresumable`` says why) if the stream cannot be."""
        if not self._resumable:
            return None
        if isinstance(error, APITimeoutError) and error.kind == "total":
            return None
        position = self.protocol.resume_position()
        if isinstance(position, Unresumable):
            self._unresumable = position.reason
            return None
        if error is None and self.log.count == self._resumed_at:
            self._unresumable = "the resumed stream ended again with nothing new (cancelled?)"
            return None
        return position

    def _schedule(self, resume: object, now: float, delay: float, why: str) -> None:
        if resume is not None and self.deadlines.last_event_at is not None:
            # A resumed body has ``idle`` seconds from the attempt to bring events again.
            self.deadlines.last_event_at = now + delay
        deadline, name = self.deadlines.next()
        self._open = Open(resume, now + delay, deadline, name)
        self._phase = "open"
        policy = self.attempts.policy
        if resume is None:
            _log.info(
                "retrying %s in %.2f s (retry %d of %d): %s",
                *(self.label, delay, self.attempts.retries, policy.max_retries, why),
            )
        elif isinstance(resume, ResumePosition):
            _log.warning(
                "resuming response %s after event %d (attempt %d of %d): %s",
                *(resume.response_id, resume.sequence_number),
                *(self.attempts.since_events, policy.max_resumes, why),
            )
        else:
            _log.warning(
                "reconnecting to %s in %.2f s (Last-Event-ID %r): %s",
                *(self.label, delay, resume, why),
            )

    def _broken(self, cause: APIConnectionError) -> APIConnectionError:
        """The error for a connection that broke mid-stream: it says where; timeouts stay so."""
        where = f"after {self._bytes} bytes and {self.log.count} events"
        if isinstance(cause, APITimeoutError):
            broken: APIConnectionError = APITimeoutError(
                f"{cause} {where}", kind=cause.kind, seconds=cause.seconds, partial=self.snapshot
            )
        else:
            broken = APIConnectionError(f"the connection broke {where} ({cause})")
        broken.__cause__ = cause.__cause__ or cause
        return broken

    def _explained(
        self, error: APIConnectionError, code: TruncationCode = "connection_broken"
    ) -> RilletError:
        """The error a broken stream raises, saying why it was not resumed."""
        if isinstance(error, APITimeoutError):
            timeout = APITimeoutError(
                f"{error}{self._not_resumed()}",
                kind=error.kind,
                seconds=error.seconds,
                partial=self.snapshot,
            )
            timeout.__cause__ = error.__cause__
            return timeout
        truncated = StreamTruncatedError(
            f"{error}{self._not_resumed()}".removeprefix("the stream was truncated: "),
            partial=self.snapshot,
            code=code,
        )
        truncated.__cause__ = error.__cause__ or error
        return truncated

    def _cut(self) -> str:
        """Where and how the body ended, for a truncation error."""
        where = f"the body ended after {self._bytes} bytes and {self.log.count} events"
        tail = self._decoder.unterminated
        if tail is not None:
            where += (
                f"; an unterminated event of {tail.size} bytes at byte {tail.offset} "
                f"was discarded ({tail.excerpt!r})"
            )
        return where + self._not_resumed()

    def _not_resumed(self) -> str:
        return f"; not resumed: {self._unresumable}" if self._unresumable else ""

    def _finish(self, now: float) -> None:
        if not self.finished:
            self._phase = "done"
            self._ended(now)

    def _fail(self, error: RilletError, now: float) -> None:
        if self.finished:
            return
        if isinstance(error, StreamError | APIConnectionError):
            error.progress = self.progress()
        self._failure = error
        self._phase = "failed"
        self._ended(now)

    def _ended(self, now: float) -> None:
        """The stream is over (done or failed): its time stops, its recorder is told."""
        if self._ended_at is None:
            self._ended_at = now
        if self._recorder is not None:
            self._recorder.ended(self, now)
