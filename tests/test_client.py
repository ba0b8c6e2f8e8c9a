"""The async client and streams, in-process against the emulator (no sockets)."""

from __future__ import annotations

import logging
import random

import anyio
import pytest

from clients import API_KEY, FAST, decoded, in_process
from rillet import (
    APITimeoutError,
    AsyncClient,
    AuthenticationError,
    BadRequestError,
    ChatCompletionStream,
    EventDecodeError,
    EventTooLargeError,
    InternalServerError,
    NotEventStreamError,
    NotFoundError,
    RateLimitError,
    ResponseStream,
    RilletError,
    ServerStreamError,
    StreamTruncatedError,
    Timeouts,
)
from rillet.events import (
    ChatCompletionChunk,
    ChatContentDeltaEvent,
    Event,
    InvalidEvent,
    Response,
    ResponseOutputTextDeltaEvent,
    ResponseStreamEvent,
)
from rillet.testing import Emulator, Fault

pytestmark = pytest.mark.anyio

TEXT = "responses/plain_text_sorted_keys_2026.sse"


@pytest.fixture
def emulator(emulator_recordings: dict[str, bytes]) -> Emulator:
    return Emulator(emulator_recordings)


def number(event: Event) -> int | None:
    assert isinstance(event, ResponseStreamEvent)
    return event.sequence_number


def recording(name: str) -> dict[str, str]:
    return {"x-rillet-recording": name}


RESPONSES = [
    "responses/plain_text_sorted_keys_2026.sse",
    "responses/function_call_parallel.sse",
    "responses/reasoning_summary_multi_part.sse",
    "responses/incomplete_max_output_tokens.sse",
    "responses/mcp_list_tools_three_servers.sse",
    "responses/plain_text_no_sequence_number_2025-05.sse",
]


@pytest.mark.parametrize("size", [0, 7, 1400])
@pytest.mark.parametrize("name", RESPONSES)
async def test_a_stream_gives_the_recordings_events_and_final_response(
    emulator: Emulator, emulator_recordings: dict[str, bytes], name: str, size: int
) -> None:
    headers = {**recording(name), "x-rillet-chunk-size": str(size)}
    expected = decoded(emulator_recordings[name])
    async with in_process(emulator, headers) as (client, transport):
        stream = await client.responses.create(model="m", input="hi", stream=True)
        async with stream:
            assert [e async for e in stream] == expected
            final = await stream.final_response()
        assert final == getattr(expected[-1], "response", None)
        assert stream.snapshot == final
        assert stream.response_id == final.id
        assert transport.open_bodies == 0


async def test_a_chat_stream_yields_chunks_and_derived_events(emulator: Emulator) -> None:
    async with in_process(emulator, recording("chat/tool_calls_parallel_streamed_args.sse")) as (
        client,
        _,
    ):
        stream = await client.chat.completions.create(model="m", messages=[], stream=True)
        async with stream:
            chunks = [chunk async for chunk in stream]
            assert all(isinstance(c, ChatCompletionChunk) for c in chunks)
            everything = [e async for e in stream.events()]
            completion = await stream.final_response()
    assert [e for e in everything if isinstance(e, ChatCompletionChunk)] == chunks
    assert len(everything) > len(chunks)  # the derived events, after their chunks
    calls = completion.choices[0].message.tool_calls or []
    assert [c.function.name for c in calls] == ["secret_retrieval_tool", "secret_retrieval_tool"]
    assert isinstance(stream, ChatCompletionStream)


async def test_iterating_again_replays_then_continues_after_a_break(emulator: Emulator) -> None:
    async with in_process(emulator, recording(TEXT)) as (client, _):
        async with await client.responses.create(model="m", input="hi", stream=True) as stream:
            first = []
            async for event in stream:
                first.append(event)
                if len(first) == 5:
                    break
            second = [e async for e in stream]
            third = [e async for e in stream]
    assert second == third
    assert second[:5] == first
    assert [number(e) for e in second] == list(range(len(second)))  # once, in order


async def test_two_tasks_iterating_at_once_both_see_every_event(emulator: Emulator) -> None:
    seen: list[list[int | None]] = [[], []]  # sequence numbers, as each task saw them
    async with in_process(emulator, {**recording(TEXT), "x-rillet-delay": "0.001"}) as (client, _):
        async with await client.responses.create(model="m", input="hi", stream=True) as stream:

            async def read(index: int) -> None:
                async for event in stream:
                    seen[index].append(number(event))
                    await anyio.lowlevel.checkpoint()

            async with anyio.create_task_group() as group:
                group.start_soon(read, 0)
                group.start_soon(read, 1)
    assert seen[0] == seen[1] == list(range(13))


async def test_without_the_cache_iteration_continues_and_memory_stays_flat(
    emulator: Emulator,
) -> None:
    async with in_process(emulator, {**recording(TEXT), "x-rillet-chunk-size": "64"}) as (
        client,
        _,
    ):
        stream = await client.responses.create(model="m", input="hi", stream=True, cache=False)
        async with stream:
            numbers = []
            async for event in stream:
                numbers.append(number(event))
                assert len(stream._machine.log.fresh) <= 2  # what one chunk decoded, no more
                assert not stream._machine.log.entries  # no replay cache
                if len(numbers) == 4:
                    break
            numbers += [number(e) async for e in stream]  # continues, no replay
            assert numbers == list(range(13))
            assert (await stream.final_response()).status == "completed"

            refused: list[RilletError] = []

            async def other_task() -> None:
                try:
                    async for _ in stream:
                        pass
                except RilletError as error:
                    refused.append(error)

            async with anyio.create_task_group() as group:
                group.start_soon(other_task)
            assert "one task only" in str(refused[0])


async def test_stream_extras_text_deltas_stats_and_headers(emulator: Emulator) -> None:
    async with in_process(emulator, recording(TEXT)) as (client, _):
        async with await client.responses.create(model="m", input="hi", stream=True) as stream:
            text = "".join([delta async for delta in stream.text_deltas()])
            final = await stream.final_response()
            stats = stream.stats
        assert text == final.output_text
        assert stream.request_id is not None
        assert stream.headers["content-type"].startswith("text/event-stream")
        assert stats.events_by_type["response.output_text.delta"] == 5
        assert stats.time_to_first_event is not None
        assert stats.time_to_first_text is not None
        assert stats.time_to_first_text >= stats.time_to_first_event
        assert stats.bytes_received == len(emulator._recordings[TEXT].body)
        assert stats.usage == final.usage
        with pytest.raises(NotFoundError, match="no recording"):  # not a chat recording
            await client.chat.completions.create(model="m", messages=[], stream=True)
    async with in_process(emulator) as (client, _):
        chat = await client.chat.completions.create(model="m", messages=[], stream=True)
        async with chat:
            assert "".join([d async for d in chat.text_deltas()]).startswith("Hello")


async def test_non_streaming_calls_return_whole_objects(emulator: Emulator) -> None:
    async with in_process(emulator, recording(TEXT)) as (client, _):
        response = await client.responses.create(model="m", input="hi")
        assert isinstance(response, Response)
        assert response.status == "completed"
        again = await client.responses.retrieve(response.id)
        assert again == response
        with pytest.raises(BadRequestError, match="background=true"):
            await client.responses.cancel(response.id)
        with pytest.raises(NotFoundError):
            await client.responses.retrieve("resp_unknown")
    async with in_process(emulator) as (client, _):
        completion = await client.chat.completions.create(model="m", messages=[])
        assert completion.choices[0].message.content


async def test_retrieve_streams_from_after_an_event(emulator: Emulator) -> None:
    async with in_process(emulator, recording(TEXT)) as (client, _):
        response_id = (await client.responses.create(model="m", input="hi")).id
        stream = await client.responses.retrieve(response_id, stream=True, starting_after=4)
        async with stream:
            assert [number(e) async for e in stream] == list(range(5, 13))


@pytest.mark.parametrize(
    ("fault", "error", "status"),
    [
        (Fault(kind="status", status=401), AuthenticationError, 401),
        (Fault(kind="status", status=429), RateLimitError, 429),
        (Fault(kind="status", status=503), InternalServerError, 503),
    ],
)
async def test_error_statuses_are_typed_errors(
    emulator: Emulator, fault: Fault, error: type[Exception], status: int
) -> None:
    async with in_process(emulator, {"x-rillet-fault": str(fault)}, max_retries=0) as (client, _):
        with pytest.raises(error) as caught:
            await client.responses.create(model="m", input="hi", stream=True)
    assert getattr(caught.value, "status_code", None) == status
    assert "injected fault" in str(caught.value)


async def test_retries_honour_retry_after_and_are_logged(
    emulator: Emulator, caplog: pytest.LogCaptureFixture
) -> None:
    fault = Fault(kind="fail-first", count=2, status=429, retry_after=0.001)
    headers = {**recording(TEXT), "x-rillet-fault": str(fault)}
    async with in_process(emulator, headers) as (client, _):
        with caplog.at_level(logging.INFO, logger="rillet"):
            stream = await client.responses.create(model="m", input="hi", stream=True)
        async with stream:
            assert (await stream.final_response()).status == "completed"
    assert stream.stats.retries == 2
    assert [r.getMessage().split(" in ")[0] for r in caplog.records] == [
        "retrying POST /v1/responses"
    ] * 2
    assert "0.00 s" in caplog.records[0].getMessage()  # the server's Retry-After, not backoff
    assert all(API_KEY not in r.getMessage() for r in caplog.records)


async def test_500_then_success_but_not_forever(emulator: Emulator) -> None:
    fault = Fault(kind="fail-first", count=1, status=500)
    async with in_process(emulator, {"x-rillet-fault": str(fault)}) as (client, _):
        client.retry = client.retry.__class__(max_retries=2, initial_delay=0.001)
        assert (await client.responses.create(model="m", input="x")).status == "completed"
    fault = Fault(kind="fail-first", count=5, status=500)
    async with in_process(emulator, {"x-rillet-fault": str(fault)}) as (client, _):
        client.retry = client.retry.__class__(max_retries=1, initial_delay=0.001)
        with pytest.raises(InternalServerError):
            await client.responses.create(model="m", input="x")


async def test_a_body_that_is_not_an_event_stream_is_a_clear_error(emulator: Emulator) -> None:
    async with in_process(emulator, {"x-rillet-fault": "non-sse"}) as (client, transport):
        with pytest.raises(NotEventStreamError, match="application/json") as caught:
            await client.responses.create(model="m", input="hi", stream=True)
        assert caught.value.content_type == "application/json"
        assert transport.open_bodies == 0


async def test_a_dropped_connection_keeps_the_partial_response(emulator: Emulator) -> None:
    fault = Fault(kind="drop-after-events", count=9)
    async with in_process(emulator, {**recording(TEXT), "x-rillet-fault": str(fault)}) as (
        client,
        transport,
    ):
        async with await client.responses.create(model="m", input="hi", stream=True) as stream:
            events = []
            with pytest.raises(StreamTruncatedError) as caught:
                async for event in stream:
                    events.append(event)
            with pytest.raises(StreamTruncatedError):
                await stream.final_response()
        assert len(events) == 9
        assert caught.value.code == "connection_broken"
        assert caught.value.progress is not None
        assert caught.value.progress.events_received == 9
        assert caught.value.progress.last_sequence_number == 8
        partial = caught.value.partial
        assert isinstance(partial, Response)
        texts = [e.delta for e in events if isinstance(e, ResponseOutputTextDeltaEvent)]
        assert partial.output_text == "".join(texts)
        assert transport.open_bodies == 0


async def test_a_stall_raises_the_idle_timeout_with_the_partial_response(
    emulator: Emulator,
) -> None:
    fault = Fault(kind="stall-after-events", count=6)
    timeouts = Timeouts(first_event=5, idle=0.05)
    async with in_process(emulator, {**recording(TEXT), "x-rillet-fault": str(fault)}) as (
        client,
        transport,
    ):
        stream = await client.responses.create(model="m", input="hi", stream=True, timeout=timeouts)
        async with stream:
            with pytest.raises(APITimeoutError) as caught:
                await stream.final_response()
        assert caught.value.kind == "idle"
        assert isinstance(caught.value.partial, Response)
        assert transport.open_bodies == 0


async def test_keepalive_comments_do_not_count_as_events(emulator: Emulator) -> None:
    timeouts = Timeouts(first_event=0.1)
    async with in_process(emulator, {"x-rillet-fault": "keepalive-only"}) as (client, transport):
        stream = await client.responses.create(model="m", input="hi", stream=True, timeout=timeouts)
        async with stream:
            with pytest.raises(APITimeoutError) as caught:
                async for _ in stream:
                    pass
        assert caught.value.kind == "first_event"
        assert stream.stats.bytes_received > 0  # comments arrived: they did not reset the clock
        assert transport.open_bodies == 0


async def test_the_total_deadline(emulator: Emulator) -> None:
    headers = {**recording(TEXT), "x-rillet-delay": "0.02"}
    async with in_process(emulator, headers) as (client, _):
        stream = await client.responses.create(
            model="m", input="hi", stream=True, timeout=Timeouts(total=0.05)
        )
        async with stream:
            with pytest.raises(APITimeoutError) as caught:
                await stream.final_response()
        assert caught.value.kind == "total"


async def test_invalid_data_raises_or_is_yielded_as_the_policy_says(emulator: Emulator) -> None:
    headers = {**recording(TEXT), "x-rillet-fault": "malformed-json-at=3"}
    async with in_process(emulator, headers) as (client, _):
        async with await client.responses.create(model="m", input="hi", stream=True) as stream:
            with pytest.raises(EventDecodeError):
                async for _ in stream:
                    pass
        stream = await client.responses.create(
            model="m", input="x", stream=True, on_invalid="return"
        )
        async with stream:
            events = [e async for e in stream]
            assert (await stream.final_response()).status == "completed"
    assert [type(e) for e in events].count(InvalidEvent) == 1
    assert isinstance(events[2], InvalidEvent)


async def test_an_oversized_event_is_a_clear_error(emulator: Emulator) -> None:
    headers = {**recording(TEXT), "x-rillet-fault": f"oversized-event={17 << 20}"}
    async with in_process(emulator, headers) as (client, transport):
        async with await client.responses.create(model="m", input="hi", stream=True) as stream:
            with pytest.raises(EventTooLargeError, match="exceeds max_event_size"):
                await stream.final_response()
        assert transport.open_bodies == 0


async def test_an_error_event_raises_at_the_end(emulator: Emulator) -> None:
    headers = recording("responses/error_insufficient_quota_failed.sse")
    async with in_process(emulator, headers) as (client, _):
        async with await client.responses.create(model="m", input="hi", stream=True) as stream:
            with pytest.raises(ServerStreamError, match="exceeded your current quota"):
                await stream.final_response()


async def test_the_api_key_never_leaks(
    emulator: Emulator, caplog: pytest.LogCaptureFixture
) -> None:
    async with in_process(emulator, {"x-rillet-fault": "status=401"}, max_retries=0) as (client, _):
        assert API_KEY not in repr(client)
        with caplog.at_level(logging.DEBUG), pytest.raises(AuthenticationError) as caught:
            await client.responses.create(model="m", input="hi", stream=True)
    assert API_KEY not in str(caught.value)
    assert API_KEY not in repr(caught.value)
    assert all(API_KEY not in r.getMessage() for r in caplog.records)
    sent = emulator.requests[-1][2]
    assert sent["authorization"] == f"Bearer {API_KEY}"  # it is sent, only there


async def test_a_missing_key_for_the_openai_api_is_a_clear_error(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    monkeypatch.delenv("OPENAI_BASE_URL", raising=False)
    with pytest.raises(RilletError, match="OPENAI_API_KEY"):
        AsyncClient()
    monkeypatch.setenv("OPENAI_BASE_URL", "http://127.0.0.1:9/v1")
    client = AsyncClient()
    assert str(client.base_url) == "http://127.0.0.1:9/v1/"
    await client.aclose()


# -- sweeps -------------------------------------------------------------------------------------


async def test_a_sweep_of_cut_points_and_chunkings(
    emulator: Emulator, emulator_recordings: dict[str, bytes]
) -> None:
    """Cut the stream at many byte offsets: every whole event before the cut, then a typed error."""
    rng = random.Random(7)
    body = emulator_recordings[TEXT]
    expected = decoded(body)
    ends = [i + 2 for i in range(len(body)) if body.startswith(b"\n\n", i)]
    for cut in sorted(rng.sample(range(1, len(body)), 40)):
        whole = sum(end <= cut for end in ends)
        size = rng.choice([0, 1, 13, 256, 4096])
        fault = Fault(kind="drop-after-bytes", count=cut)
        headers = {
            **recording(TEXT),
            "x-rillet-fault": str(fault),
            "x-rillet-chunk-size": str(size),
        }
        async with in_process(emulator, headers) as (client, transport):
            stream = await client.responses.create(model="m", input="hi", stream=True)
            events = []
            async with stream:
                with pytest.raises(StreamTruncatedError):
                    async for event in stream:
                        events.append(event)
            assert events == expected[:whole], (cut, size)
            assert transport.open_bodies == 0


async def test_cancelling_streams_at_random_points_leaks_nothing(emulator: Emulator) -> None:
    rng = random.Random(11)
    tasks_before = len(anyio.get_running_tasks())
    async with in_process(emulator, {**recording(TEXT), "x-rillet-delay": "0"}) as (
        client,
        transport,
    ):
        for _ in range(1000):
            stop_after = rng.randrange(0, 14)
            with anyio.CancelScope() as scope:
                async with await client.responses.create(
                    model="m", input="hi", stream=True
                ) as stream:
                    seen = 0
                    async for _ in stream:
                        seen += 1
                        if seen >= stop_after:
                            scope.cancel()
                            await anyio.lowlevel.checkpoint()
            assert transport.open_bodies == 0
    assert len(anyio.get_running_tasks()) == tasks_before


async def test_timeouts_of_a_call_override_the_clients(emulator: Emulator) -> None:
    async with in_process(emulator, recording(TEXT), timeout=3.0) as (client, _):
        assert client.timeouts == Timeouts.of(3.0)
        assert client.timeouts.first_event == Timeouts().first_event  # numbers set httpx's four
        stream = await client.responses.create(model="m", input="hi", stream=True, timeout=FAST)
        async with stream:
            assert stream._machine.deadlines.timeouts == FAST
    assert isinstance(stream, ResponseStream)


async def test_chat_content_events_are_derived_in_order(emulator: Emulator) -> None:
    async with in_process(emulator, recording("chat/plain_text_include_usage.sse")) as (client, _):
        stream = await client.chat.completions.create(model="m", messages=[], stream=True)
        async with stream:
            deltas = [
                e.delta async for e in stream.events() if isinstance(e, ChatContentDeltaEvent)
            ]
            completion = await stream.final_response()
    assert "".join(deltas) == completion.choices[0].message.content
