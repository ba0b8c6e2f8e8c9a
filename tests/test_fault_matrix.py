"""The fault matrix: for each fault the emulator injects, what the user sees.

Each case runs in-process and over loopback (rillet's server on 127.0.0.1), on asyncio and trio:
the events delivered (a prefix of the real stream: none lost, none twice), then the final
response or the typed error with the partial response, and nothing left open. docs/reliability.md
shows the same table.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import anyio
import attrs
import httpx
import pytest

from clients import API_KEY, FAST, decoded, in_process
from corpus_files import CORPUS
from rillet import (
    APITimeoutError,
    AsyncClient,
    EventDecodeError,
    EventTooLargeError,
    InternalServerError,
    RetryPolicy,
    ServerStreamError,
    StreamError,
    StreamTruncatedError,
    Timeouts,
)
from rillet.events import Event
from rillet.testing import Emulator, serve

pytestmark = pytest.mark.anyio

TEXT = "responses/plain_text_sorted_keys_2026.sse"
UTF8 = "responses/code_interpreter_with_reasoning_summary.sse"
CRLF = "responses/crlf.sse"
BODIES = {TEXT: (CORPUS / TEXT).read_bytes(), UTF8: (CORPUS / UTF8).read_bytes()}
BODIES[CRLF] = BODIES[TEXT].replace(b"\n", b"\r\n")
RETRY = RetryPolicy(max_retries=2, initial_delay=0.001, max_delay=0.002, max_resumes=3)


def ends(body: bytes) -> list[int]:
    """The offset just after each event's blank line."""
    separator = b"\r\n\r\n" if b"\r\n" in body else b"\n\n"
    return [i + len(separator) for i in range(len(body)) if body.startswith(separator, i)]


def whole_before(body: bytes, cut: int) -> int:
    return sum(end <= cut for end in ends(body))


FIRST_NON_ASCII = next(i for i, byte in enumerate(BODIES[UTF8]) if byte >= 0x80)


@attrs.frozen
class Case:
    """A fault, and what the user sees: how many events, then which error (None: it completes)."""

    name: str
    headers: dict[str, str]
    delivered: int | None  # events delivered, from the recording's start (None: all of them)
    error: type[Exception] | None
    recording: str = TEXT
    timeouts: Timeouts = FAST
    model: str = "m"
    request: dict[str, Any] = attrs.field(factory=dict)


def fault(spec: str, recording: str = TEXT, **headers: str) -> dict[str, str]:
    return {"x-rillet-fault": spec, "x-rillet-recording": recording, **headers}


CUT = ends(BODIES[TEXT])[5]
MATRIX = [
    Case("drop at an event boundary", fault(f"drop-after-bytes={CUT}"), 6, StreamTruncatedError),
    Case("drop mid-event", fault(f"drop-after-bytes={CUT + 7}"), 6, StreamTruncatedError),
    Case(
        "drop mid-UTF-8 character",
        fault(f"drop-after-bytes={FIRST_NON_ASCII + 1}", UTF8),
        whole_before(BODIES[UTF8], FIRST_NON_ASCII + 1),
        StreamTruncatedError,
        recording=UTF8,
    ),
    Case(
        "drop mid-CRLF (after the CR of the blank line)",
        fault(f"drop-after-bytes={ends(BODIES[CRLF])[5] - 1}", CRLF),
        6,  # a CR ends a line: the event is complete
        StreamTruncatedError,
        recording=CRLF,
    ),
    Case(
        "stall after events (idle timeout 0.2 s)",
        fault("stall-after-events=4"),
        4,
        APITimeoutError,
        timeouts=attrs.evolve(FAST, idle=0.2),
    ),
    Case(
        "keep-alive comments only (first-event timeout 0.3 s)",
        fault("keepalive-only"),
        0,
        APITimeoutError,
        timeouts=attrs.evolve(FAST, first_event=0.3),
    ),
    Case("429 before the first byte, once", fault("fail-first=1; status=429"), None, None),
    Case("500 before the first byte, always", fault("status=500"), 0, InternalServerError),
    Case("malformed JSON at event 5", fault("malformed-json-at=5"), 4, EventDecodeError),
    Case("oversized event (17 MiB)", fault(f"oversized-event={17 << 20}"), 0, EventTooLargeError),
    Case("one-byte trickle", fault("", **{"x-rillet-chunk-size": "1"}), None, None),
    Case(
        "error event after events",
        {"x-rillet-scenario": "error"},
        3,
        ServerStreamError,
        recording="",
        model="rillet-error",
    ),
    Case(
        "drop every 5 events, background=true: resumed",
        {"x-rillet-fault": "drop-after-events=5", "x-rillet-scenario": "text"},
        None,
        None,
        recording="",
        request={"background": True},
    ),
]


@asynccontextmanager
async def client_at(where: str, emulator: Emulator, case: Case) -> AsyncIterator[AsyncClient]:
    headers = {k: v for k, v in case.headers.items() if v}
    options: dict[str, Any] = {"timeout": case.timeouts, "max_retries": RETRY}
    if where == "in-process":
        async with in_process(emulator, headers, **options) as (client, _):
            yield client
    else:
        async with serve(emulator) as url, httpx.AsyncClient(headers=headers) as http:
            yield AsyncClient(api_key=API_KEY, base_url=f"{url}/v1", http_client=http, **options)


def reference(case: Case) -> list[Event] | None:
    return decoded(BODIES[case.recording]) if case.recording else None


@pytest.mark.parametrize("where", ["in-process", "loopback"])
@pytest.mark.parametrize("case", MATRIX, ids=[case.name for case in MATRIX])
async def test_what_the_user_sees(case: Case, where: str) -> None:
    emulator = Emulator(BODIES)
    tasks_before = len(anyio.get_running_tasks())
    events: list[Event] = []
    caught: BaseException | None = None
    async with client_at(where, emulator, case) as client:
        try:
            stream = await client.responses.create(
                model=case.model, input="hi", stream=True, **case.request
            )
            async with stream:
                async for event in stream:
                    events.append(event)
                final = await stream.final_response()
        except Exception as error:  # noqa: BLE001 - the outcome under test
            caught = error
    expected = reference(case)
    if expected is not None:
        count = len(expected) if case.delivered is None else case.delivered
        assert events == expected[:count]  # a prefix: none lost, none twice, in order
    else:
        numbers = [e.sequence_number for e in events]  # type: ignore[attr-defined]
        assert numbers == list(range(len(events)))
        if case.delivered is not None:
            assert len(events) == case.delivered
    if case.error is None:
        assert caught is None, caught
        assert final.status == "completed"
    else:
        assert isinstance(caught, case.error), caught
        if isinstance(caught, StreamError | APITimeoutError) and events:
            assert caught.partial is not None
    with anyio.fail_after(5):  # every body finished or dropped, every task done (they may be
        # finishing still: a server notices a client gone only when it next reads or writes)
        while emulator.open_bodies or len(anyio.get_running_tasks()) > tasks_before:  # noqa: ASYNC110
            await anyio.sleep(0.01)


def test_the_docs_show_every_case() -> None:
    table = (Path(__file__).parent.parent / "docs" / "reliability.md").read_text()
    for case in MATRIX:
        assert f"| {case.name} |" in table, case.name


def test_every_test_the_promises_name_exists() -> None:
    """docs/reliability.md says which test proves each promise: each must be a real test."""
    tests = Path(__file__).parent
    table = (tests.parent / "docs" / "reliability.md").read_text()
    named = re.findall(r"`(test_\w+\.py)(?:::(\w+))?", table)
    assert len(named) > 20
    for file, prefix in named:
        source = (tests / file).read_text()
        if prefix:
            assert re.search(rf"def {prefix}", source), f"{file}::{prefix}"
    for prefix in re.findall(r"`\.\.\.(\w+)", table):  # `..._rest`: a test of the file before
        assert any(prefix in path.read_text() for path in tests.glob("test_*.py")), prefix
