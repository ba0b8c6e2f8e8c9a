"""The stream machine alone: bytes and a fake clock in, actions and events out, no I/O.

A small driver plays the emulator's reply (its steps: bytes, waits, drops, stalls) into the
machine with a fake clock, so timeouts and faults are decided in microseconds, with no sleeping
and nothing that races the machine's speed.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator
from typing import Any

import attrs
import pytest

from clients import FAST, background_stream, decoded
from corpus_files import CORPUS
from rillet import (
    APIConnectionError,
    APITimeoutError,
    EventDecodeError,
    EventTooLargeError,
    InternalServerError,
    RateLimitError,
    RetryPolicy,
    RilletError,
    StreamTruncatedError,
    Timeouts,
)
from rillet._machine import Cursor, Done, Fail, Open, Read, StreamMachine
from rillet._policy import ResumePosition
from rillet._protocols import ResponsesProtocol
from rillet.events import Event, Response
from rillet.testing import DROP, STALL, Emulator
from test_fault_matrix import BODIES, MATRIX, Case, reference
from test_fault_matrix import RETRY as MATRIX_RETRY

TEXT = "responses/plain_text_sorted_keys_2026.sse"
BODY = (CORPUS / TEXT).read_bytes()
EVENTS = decoded(BODY)
RETRY = RetryPolicy(max_retries=2, initial_delay=0.5, max_delay=1, max_resumes=3)


@attrs.define
class Run:
    """What a driven machine gave: its events, its result or error, and the fake time."""

    machine: StreamMachine[Response]
    events: list[Event]
    outcome: Response | RilletError
    now: float
    requests: int


def machine_for(
    timeouts: Timeouts = FAST, retry: RetryPolicy = RETRY, **options: Any
) -> StreamMachine[Response]:
    protocol = ResponsesProtocol(on_invalid="raise", strict=True)
    return StreamMachine(protocol, timeouts=timeouts, retry=retry, started=0.0, **options)


Answer = Callable[[object], tuple[int, dict[str, str], Iterable[Any]]]
"""What the server answers to a request (``None``) or to a resume from a position."""


def drive(machine: StreamMachine[Response], answer: Answer | Iterator[Any]) -> Run:
    """Do what the machine says with ``answer``'s replies (status, headers, steps), on a fake
    clock that starts at 0 and moves only with waits and deadlines."""
    now = 0.0
    steps = Steps([])
    requests = 0
    for _ in range(1_000_000):  # a machine that never ends fails the test, not the suite
        action = machine.next_action()
        if isinstance(action, Open):
            now = max(now, min(action.at, action.deadline))
            if now >= action.deadline:
                machine.receive_deadline(now)
                continue
            requests += 1
            status, headers, body = (
                next(answer) if isinstance(answer, Iterator) else answer(action.resume)
            )
            steps = Steps(body)
            machine.receive_headers(status, headers, now)
        elif isinstance(action, Read):
            now = play(machine, action, steps, now)
        else:
            assert isinstance(action, Done | Fail)
            break
    else:
        pytest.fail("the machine never ended")
    events = []
    cursor = Cursor(machine, Event)
    try:
        while (event := cursor.take()) is not None:
            events.append(event)
        outcome: Response | RilletError = machine.result()
    except RilletError as error:
        outcome = error
    return Run(machine, events, outcome, now, requests)


class Steps:
    """A body's steps, taken one at a time (it may be endless), with room to put one back."""

    def __init__(self, steps: Iterable[Any]) -> None:
        self._steps = iter(steps)
        self._back: list[Any] = []

    def take(self) -> Any:
        return self._back.pop() if self._back else next(self._steps, None)

    def put_back(self, step: Any) -> None:
        self._back.append(step)


def play(machine: StreamMachine[Response], action: Read, steps: Steps, now: float) -> float:
    """Play the next step of a body into the machine; the time after it."""
    step = steps.take()
    if step is None:
        machine.receive_eof(now)
        return now
    if step is DROP:
        machine.receive_failure(APIConnectionError("dropped"), now)
        return now
    if isinstance(step, float | _Stall):
        wait = step if isinstance(step, float) else action.deadline - now
        assert wait < float("inf"), "a stall with no deadline hangs"
        if now + wait < action.deadline:
            return now + wait
        steps.put_back(step if isinstance(step, _Stall) else now + wait - action.deadline)
        machine.receive_deadline(action.deadline)
        return action.deadline
    machine.receive_data(step, now)
    return now


SSE = {"content-type": "text/event-stream"}
_Stall = type(STALL)


def replies(*bodies: list[Any], status: int = 200, headers: dict[str, str] = SSE) -> Iterator[Any]:
    for body in bodies:
        yield status, headers, body


def chunks(body: bytes, size: int) -> list[bytes]:
    return [body[i : i + size] for i in range(0, len(body), size)]


def test_a_whole_stream_completes() -> None:
    run = drive(machine_for(), replies(chunks(BODY, 100)))
    assert run.events == EVENTS
    assert isinstance(run.outcome, Response)
    assert run.outcome.status == "completed"


def test_valid_events_before_a_malformed_one_in_the_same_read_are_delivered() -> None:
    bad = b'event: response.output_text.delta\ndata: {"type": "response.output_text.delta", \n\n'
    third = [i for i in range(len(BODY)) if BODY.startswith(b"\n\n", i)][3] + 2
    body = BODY[:third] + bad + BODY[third:]
    run = drive(machine_for(), replies([body]))  # one read holds events, the bad one, more
    assert run.events == EVENTS[:4]
    assert isinstance(run.outcome, EventDecodeError)
    assert isinstance(run.machine.failure, EventDecodeError)


def test_events_before_an_oversized_one_in_the_same_read_are_delivered() -> None:
    third = [i for i in range(len(BODY)) if BODY.startswith(b"\n\n", i)][2] + 2
    huge = b"data: " + b"x" * (17 << 20)
    run = drive(machine_for(), replies([BODY[:third] + huge]))
    assert run.events == EVENTS[:3]
    assert isinstance(run.outcome, EventTooLargeError)


@pytest.mark.parametrize(
    "after",
    [
        b"data: [DONE]\n\n",
        b"data: {not json\n\n",
        b"\x00\xff junk",
        (
            b'event: response.failed\ndata: {"type":"response.failed","sequence_number":999,'
            b'"response":{"id":"x","status":"failed"}}\n\n'
        ),
        b"data: " + b"x" * (17 << 20),
    ],
    ids=["DONE", "bad JSON", "junk", "response.failed", "oversized"],
)
@pytest.mark.parametrize("how", ["same read", "next read", "then dropped"])
def test_nothing_after_the_terminal_event_changes_the_outcome(after: bytes, how: str) -> None:
    bodies: dict[str, list[Any]] = {
        "same read": [BODY + after],
        "next read": [BODY, after],
        "then dropped": [BODY, after, DROP],
    }
    body = bodies[how]
    run = drive(machine_for(), replies(body))
    assert run.events == EVENTS
    assert isinstance(run.outcome, Response)
    assert run.outcome.status == "completed"


def test_the_drain_after_the_end_is_bounded() -> None:
    run = drive(machine_for(), replies([BODY, STALL]))
    assert isinstance(run.outcome, Response)
    assert run.now == pytest.approx(2.0)  # the drain, not the read timeout


@pytest.mark.parametrize("kind", ["first_event", "total"])
def test_deadlines_hold_while_the_request_is_retried(kind: str) -> None:
    """429s with a long Retry-After: the retries wait, but not past first_event or total."""
    timeouts = attrs.evolve(FAST, **{"first_event": None, kind: 10.0})
    busy = {"retry-after": "8", "content-type": "application/json"}
    answers = replies(*[[b'{"error": {"message": "slow down"}}']] * 5, status=429, headers=busy)
    run = drive(machine_for(timeouts, RetryPolicy(max_retries=5)), answers)
    assert isinstance(run.outcome, APITimeoutError)
    assert run.outcome.kind == kind
    assert run.now == 10.0
    assert run.requests == 2  # at 0 and 8; the third would be at 16


def test_the_first_event_deadline_holds_while_an_error_body_trickles() -> None:
    trickle = [b"{"] + [1.0, b" "] * 100
    headers = {"content-type": "application/json"}
    timeouts = attrs.evolve(FAST, first_event=5.0)
    run = drive(machine_for(timeouts), replies(trickle, status=500, headers=headers))
    assert isinstance(run.outcome, APITimeoutError)
    assert run.outcome.kind == "first_event"
    assert run.now == 5.0


def test_an_error_body_is_read_only_as_far_as_needed() -> None:
    message = json.dumps({"error": {"message": "down", "code": "x"}}).encode()
    huge = [message[:-1] + b" " * 1024] + [b" " * 65536] * 3200  # 200 MiB
    headers = {"content-type": "application/json"}
    run = drive(
        machine_for(retry=RetryPolicy(max_retries=0)), replies(huge, status=503, headers=headers)
    )
    assert isinstance(run.outcome, InternalServerError)
    assert run.outcome.status_code == 503


def test_a_rate_limited_request_is_retried_then_succeeds() -> None:
    limited = {"retry-after": "1", "content-type": "application/json"}
    answers = iter(
        [
            (429, limited, [b'{"error": {"message": "slow down"}}']),
            (200, SSE, [BODY]),
        ]
    )
    run = drive(machine_for(), answers)
    assert isinstance(run.outcome, Response)
    assert run.now == 1.0
    assert run.machine.stats(run.now).retries == 1


def test_a_rate_limit_past_the_retries_is_raised() -> None:
    limited = {"retry-after": "1", "content-type": "application/json"}
    answers = replies(*[[b'{"error": {"message": "slow down"}}']] * 3, status=429, headers=limited)
    run = drive(machine_for(), answers)
    assert isinstance(run.outcome, RateLimitError)
    assert run.requests == 3


RESUMABLE = background_stream()
RESUMABLE_ENDS = [i + 2 for i in range(len(RESUMABLE)) if RESUMABLE.startswith(b"\n\n", i)]


def test_a_resumed_stream_continues_without_repeats() -> None:
    cut = RESUMABLE_ENDS[5]
    again = RESUMABLE[RESUMABLE_ENDS[3] :]  # the server repeats two events: they are skipped
    run = drive(machine_for(resumable=True), replies([RESUMABLE[:cut], DROP], [again]))
    assert run.events == decoded(RESUMABLE)
    assert isinstance(run.outcome, Response)
    assert run.machine.stats(run.now).reconnects == 1


def test_a_resume_that_skips_events_is_an_error() -> None:
    cut = RESUMABLE_ENDS[5]
    later = RESUMABLE[RESUMABLE_ENDS[8] :]  # events 6 to 8 are missing
    run = drive(machine_for(resumable=True), replies([RESUMABLE[:cut], DROP], [later]))
    assert isinstance(run.outcome, StreamTruncatedError)
    assert run.outcome.code == "sequence_gap"
    assert run.events == decoded(RESUMABLE)[:6]
    assert run.outcome.progress is not None
    assert run.outcome.progress.last_sequence_number == 5


def test_a_resume_answered_by_another_response_is_an_error() -> None:
    cut = RESUMABLE_ENDS[5]
    other = RESUMABLE[RESUMABLE_ENDS[5] :].replace(b'"id":"resp_', b'"id":"resp_other')
    other = other.replace(b'"id": "resp_', b'"id": "resp_other')
    run = drive(machine_for(resumable=True), replies([RESUMABLE[:cut], DROP], [other]))
    assert isinstance(run.outcome, StreamTruncatedError)
    assert run.outcome.code == "other_response"
    assert isinstance(run.outcome.partial, Response)
    assert run.outcome.partial.status != "completed"  # nothing of the other response spliced in


def test_resume_attempts_hold_the_total_deadline() -> None:
    """A resume that never answers: bounded by the total deadline, not read x resumes."""
    cut = RESUMABLE_ENDS[5]
    timeouts = attrs.evolve(FAST, total=30.0)
    answers = replies([RESUMABLE[:cut], DROP], *[[STALL]] * 10)
    run = drive(machine_for(timeouts, resumable=True), answers)
    assert isinstance(run.outcome, APITimeoutError)
    assert run.outcome.kind == "total"
    assert run.now == 30.0


def test_every_error_has_typed_progress() -> None:
    run = drive(machine_for(), replies([BODY[:500], DROP]))
    assert isinstance(run.outcome, StreamTruncatedError)
    assert run.outcome.code == "connection_broken"
    assert run.outcome.progress is not None
    assert run.outcome.progress.bytes_received == 500
    assert run.outcome.progress.events_received == len(run.events)


def test_questions_do_not_change_state() -> None:
    machine = machine_for()
    first = machine.next_action()
    assert machine.next_action() == first
    machine.receive_headers(200, SSE, 0.0)
    machine.receive_data(BODY[:300], 0.1)
    before = (machine.next_action(), machine.log.count, machine.snapshot, machine.progress())
    machine.stats(5.0)
    assert (
        machine.next_action(),
        machine.log.count,
        machine.snapshot,
        machine.progress(),
    ) == before


def emulated(emulator: Emulator, headers: dict[str, str], **request: Any) -> Answer:
    """The emulator's answers: to the request, then to each resume (GET starting_after)."""
    body = json.dumps({"model": "m", "input": "hi", "stream": True, **request}).encode()

    def answer(resume: object) -> tuple[int, dict[str, str], Iterable[Any]]:
        if isinstance(resume, ResumePosition):
            path = f"/v1/responses/{resume.response_id}"
            query = f"stream=true&starting_after={resume.sequence_number}"
            reply = emulator.reply("GET", path, query, headers, b"")
        else:
            reply = emulator.reply("POST", "/v1/responses", "", headers, body)
        return reply.status, {k.decode(): v.decode() for k, v in reply.headers}, reply.body

    return answer


@pytest.mark.parametrize("case", MATRIX, ids=[case.name for case in MATRIX])
def test_the_fault_matrix_against_the_machine_alone(case: Case) -> None:
    """Each fault of docs/reliability.md's table, on a fake clock: the same outcome."""
    headers = {k: v for k, v in case.headers.items() if v}
    protocol = ResponsesProtocol(on_invalid="raise", strict=True)
    machine = StreamMachine(
        protocol, timeouts=case.timeouts, retry=MATRIX_RETRY, started=0.0, resumable=True
    )
    run = drive(machine, emulated(Emulator(BODIES), headers, model=case.model, **case.request))
    expected = reference(case)
    if expected is not None:
        count = len(expected) if case.delivered is None else case.delivered
        assert run.events == expected[:count]
    else:
        numbers = [e.sequence_number for e in run.events]  # type: ignore[attr-defined]
        assert numbers == list(range(len(run.events)))
        if case.delivered is not None:
            assert len(run.events) == case.delivered
    if case.error is None:
        assert isinstance(run.outcome, Response), run.outcome
        assert run.outcome.status == "completed"
    else:
        assert isinstance(run.outcome, case.error), run.outcome


def test_a_body_cut_mid_event_says_where_with_typed_fields() -> None:
    cut = RESUMABLE_ENDS[5] + 20  # inside the seventh event
    run = drive(machine_for(), replies([RESUMABLE[:cut]]))
    assert isinstance(run.outcome, StreamTruncatedError)
    assert run.outcome.code == "body_ended"
    assert run.outcome.excerpt == RESUMABLE[RESUMABLE_ENDS[5] : cut][:64]
    assert run.outcome.progress is not None
    assert run.outcome.progress.events_received == 6
    assert run.outcome.progress.bytes_received == cut
