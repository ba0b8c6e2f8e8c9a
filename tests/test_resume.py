"""Streams of background responses that resume themselves, and those that cannot."""

from __future__ import annotations

import json
import logging
from collections.abc import AsyncIterator, Iterator, Sequence
from contextlib import asynccontextmanager, contextmanager
from typing import Any

import attrs
import pytest

from clients import API_KEY, FAST, in_process
from rillet import (
    AsyncClient,
    Client,
    NotFoundError,
    ResumePosition,
    RetryPolicy,
    StreamTruncatedError,
)
from rillet.events import Event, Response, ResponseStreamEvent
from rillet.testing import Emulator, Fault, serve_in_thread

pytestmark = pytest.mark.anyio

QUICK = RetryPolicy(initial_delay=0.001, max_delay=0.002, max_resumes=3)
PROMPT = "Tell me about rivers"


@asynccontextmanager
async def client_of(
    emulator: Emulator, *, retry: RetryPolicy = QUICK, **headers: str
) -> AsyncIterator[AsyncClient]:
    async with in_process(emulator, headers, max_retries=retry) as (client, _):
        yield client


def numbers(events: Sequence[Event]) -> list[int | None]:
    assert all(isinstance(e, ResponseStreamEvent) for e in events)
    return [e.sequence_number for e in events if isinstance(e, ResponseStreamEvent)]


async def whole_stream(emulator: Emulator, **request: Any) -> list[Event]:
    """The stream as it is when nothing goes wrong."""
    async with client_of(emulator) as client:
        stream = await client.responses.create(
            model="rillet-reasoning", input=PROMPT, stream=True, **request
        )
        async with stream:
            return [event async for event in stream]


@pytest.mark.parametrize("every", [1, 5, 17])
async def test_a_stream_that_drops_every_few_events_is_delivered_whole(every: int) -> None:
    emulator = Emulator()
    fault = Fault(kind="drop-after-events", count=every).headers()
    async with client_of(emulator, retry=attrs.evolve(QUICK, max_resumes=2)) as client:
        stream = await client.responses.create(
            model="rillet-reasoning",
            input=PROMPT,
            stream=True,
            background=True,
            extra_headers=fault,
        )
        async with stream:
            events = [event async for event in stream]
            final = await stream.final_response()
    expected = await whole_stream(emulator, background=True)
    assert numbers(events) == list(range(len(expected)))  # none twice, none missing, in order
    assert [e.type for e in events] == [e.type for e in expected]
    assert final.status == "completed"
    assert final.output_text == expected[-1].response.output_text  # type: ignore[attr-defined]
    assert stream.stats.reconnects == -(-len(expected) // every) - 1
    gets = [path for method, path, _, _ in emulator.requests if method == "GET"]
    assert len(gets) == stream.stats.reconnects
    assert gets[0].endswith(f"stream=true&starting_after={every - 1}")


async def test_a_cut_in_the_middle_of_an_event_resumes_after_the_last_whole_one() -> None:
    emulator = Emulator()
    expected = await whole_stream(emulator, background=True)
    # Every connection is cut mid-event (the cut must pass the largest event, response.completed).
    fault = Fault(kind="drop-after-bytes", count=9000).headers()
    async with client_of(emulator, retry=attrs.evolve(QUICK, max_resumes=1)) as client:
        stream = await client.responses.create(
            model="rillet-reasoning",
            input=PROMPT,
            stream=True,
            background=True,
            extra_headers=fault,
        )
        async with stream:
            final = await stream.final_response()
            events = [event async for event in stream]  # the replay cache: one stream
    assert numbers(events) == list(range(len(expected)))
    assert final.output_text == expected[-1].response.output_text  # type: ignore[attr-defined]
    assert stream.stats.reconnects >= 2


async def test_a_stalled_stream_resumes_when_the_idle_timeout_expires(
    caplog: pytest.LogCaptureFixture,
) -> None:
    emulator = Emulator()
    stall = Fault(kind="stall-after-events", count=8).headers()
    async with client_of(emulator) as client:
        stream = await client.responses.create(
            model="rillet-text",
            input=PROMPT,
            stream=True,
            background=True,
            extra_headers=stall,
            timeout=attrs.evolve(FAST, idle=0.2),
        )
        async with stream:
            final = await stream.final_response()
            events = [event async for event in stream]
    assert final.status == "completed"
    assert numbers(events) == list(range(len(events)))
    assert stream.stats.reconnects >= 1
    assert "resuming response resp_" in caplog.text
    assert "idle timeout" in caplog.text


async def test_handlers_see_one_continuous_stream() -> None:
    emulator = Emulator()
    fault = Fault(kind="drop-after-events", count=7).headers()
    seen: list[int | None] = []
    async with client_of(emulator, retry=attrs.evolve(QUICK, max_resumes=1)) as client:
        stream = await client.responses.create(
            model="rillet-text", input=PROMPT, stream=True, background=True, extra_headers=fault
        )
        stream.on(ResponseStreamEvent)(lambda event: seen.append(event.sequence_number))
        async with stream:
            final = await stream.dispatch()
    assert final.status == "completed"
    assert seen == list(range(len(seen)))
    assert len(seen) > 7


@pytest.mark.parametrize(
    ("request_options", "why"),
    [
        ({}, "not created with background=true"),
        ({"background": True, "max_resumes": 0}, "0 attempts in a row failed"),
    ],
)
async def test_streams_that_are_not_resumed_say_why(
    request_options: dict[str, Any], why: str
) -> None:
    request_options = dict(request_options)  # (shared by the parametrized runs)
    max_resumes = request_options.pop("max_resumes", 3)
    fault = Fault(kind="drop-after-events", count=5).headers()
    retry = attrs.evolve(QUICK, max_resumes=max_resumes)
    async with client_of(Emulator(), retry=retry) as client:
        stream = await client.responses.create(
            model="rillet-text", input=PROMPT, stream=True, extra_headers=fault, **request_options
        )
        async with stream:
            with pytest.raises(StreamTruncatedError, match=why) as caught:
                await stream.final_response()
    assert caught.value.partial is not None
    assert stream.stats.reconnects == 0


async def test_a_stream_without_sequence_numbers_is_not_resumed(corpus_body: bytes) -> None:
    emulator = Emulator({"responses/old.sse": corpus_body})
    fault = Fault(kind="drop-after-events", count=4).headers()
    async with client_of(emulator, retry=QUICK, **fault) as client:
        stream = await client.responses.create(model="m", input=PROMPT, stream=True)
        async with stream:
            with pytest.raises(StreamTruncatedError, match="not resumed") as caught:
                await stream.final_response()
    assert caught.value.partial is not None
    assert caught.value.code == "connection_broken"
    assert caught.value.progress is not None
    assert caught.value.progress.events_received == 4
    assert caught.value.progress.reconnects == 0


async def test_a_refusal_to_resume_ends_the_stream_with_the_reason() -> None:
    emulator = Emulator(keep=1)  # the next response makes the server forget this one
    fault = Fault(kind="drop-after-events", count=5).headers()
    async with client_of(emulator) as client:
        stream = await client.responses.create(
            model="rillet-text", input=PROMPT, stream=True, background=True, extra_headers=fault
        )
        async with stream:
            with pytest.raises(StreamTruncatedError) as caught:
                async for event in stream:
                    if event.type != "invalid" and event.sequence_number == 2:
                        await client.responses.create(model="rillet-text", input="another")
    assert caught.value.code == "resume_refused"
    assert isinstance(caught.value.__cause__, NotFoundError)
    assert caught.value.partial is not None
    assert isinstance(caught.value.partial, Response)
    assert [item.type for item in caught.value.partial.output] == ["message"]


async def test_a_saved_position_resumes_later() -> None:
    emulator = Emulator()
    async with client_of(emulator) as client:
        stream = await client.responses.create(
            model="rillet-text", input=PROMPT, stream=True, background=True
        )
        async with stream:
            async for event in stream:
                if event.type != "invalid" and event.sequence_number == 9:
                    break
        position = stream.position
        assert position is not None
        saved = json.dumps(attrs.asdict(position))
        later = await client.responses.resume(ResumePosition(**json.loads(saved)))
        async with later:
            rest = [event async for event in later]
            final = await later.final_response()
    assert position.sequence_number == 9
    assert numbers(rest)[0] == 10
    assert final.status == "completed"


@contextmanager
def blocking(emulator: Emulator) -> Iterator[Client]:
    with (
        serve_in_thread(emulator) as url,
        Client(api_key=API_KEY, base_url=f"{url}/v1", timeout=FAST, max_retries=QUICK) as client,
    ):
        yield client


def test_the_blocking_client_resumes_too(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.WARNING, "rillet")
    emulator = Emulator()
    fault = Fault(kind="drop-after-events", count=9).headers()
    with blocking(emulator) as client:
        with client.responses.create(
            model="rillet-reasoning",
            input=PROMPT,
            stream=True,
            background=True,
            extra_headers=fault,
        ) as stream:
            events = list(stream)
            final = stream.get_final_response()
        position = stream.position
        assert position is not None
        with client.responses.resume(attrs.evolve(position, sequence_number=5)) as again:
            assert numbers(list(again))[0] == 6
    assert numbers(events) == list(range(len(events)))
    assert final.status == "completed"
    assert stream.stats.reconnects == len(events) // 9
    assert caplog.text.count("resuming response") == stream.stats.reconnects


@pytest.fixture
def corpus_body() -> bytes:
    from corpus_files import CORPUS  # noqa: PLC0415

    return (CORPUS / "responses" / "plain_text_no_sequence_number_2025-05.sse").read_bytes()


async def test_a_retrieved_stream_keeps_its_query_when_it_resumes() -> None:
    emulator = Emulator()
    fault = Fault(kind="drop-after-events", count=4).headers()
    async with client_of(emulator) as client:
        stream = await client.responses.create(
            model="rillet-text", input=PROMPT, stream=True, background=True
        )
        async with stream:
            first = await anext(aiter(stream))
        assert first.type == "response.created"
        response_id = first.response.id
        again = await client.responses.retrieve(
            response_id,
            stream=True,
            starting_after=0,
            include_obfuscation=False,
            extra_headers=fault,
        )
        async with again:
            rest = [event async for event in again]
    assert numbers(rest)[:5] == [1, 2, 3, 4, 5]
    assert again.stats.reconnects >= 1
    gets = [path for method, path, _, _ in emulator.requests if method == "GET"]
    assert gets[0].endswith("?stream=true&starting_after=0&include_obfuscation=false")
    assert gets[1].endswith("?stream=true&starting_after=4&include_obfuscation=false")
