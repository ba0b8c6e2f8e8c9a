"""The emulator's generated streams and kept responses, through the client, on both loops."""

from __future__ import annotations

import json
import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import anyio
import pytest

from clients import in_process
from rillet import (
    AsyncClient,
    BadRequestError,
    InternalServerError,
    ResponseAccumulator,
    ResponseFailedError,
    ServerStreamError,
    StreamTruncatedError,
)
from rillet.events import (
    ChatCompletion,
    Event,
    ResponseCreatedEvent,
    ResponseOutputItemDoneEvent,
    UnknownEvent,
)
from rillet.params import ChatCompletionToolParam, FunctionToolParam
from rillet.testing import SCENARIOS, Emulator

pytestmark = pytest.mark.anyio

PROMPT = "What should I know about the weather in Lisbon tomorrow?"
PARAMETERS: dict[str, dict[str, object]] = {
    "forecast": {
        "type": "object",
        "properties": {"city": {"type": "string"}, "days": {"type": "integer"}},
    },
    "alerts": {"type": "object", "properties": {"region": {"type": "string"}}},
}
TOOLS: list[FunctionToolParam] = [
    {"type": "function", "name": name, "parameters": schema} for name, schema in PARAMETERS.items()
]
CHAT_TOOLS: list[ChatCompletionToolParam] = [
    {"type": "function", "function": {"name": name, "parameters": schema}}
    for name, schema in PARAMETERS.items()
]
# What each scenario ends as, and the kinds of its output items.
EXPECTED = {
    "text": ("completed", ["message"]),
    "function_call": ("completed", ["function_call"]),
    "parallel_function_calls": ("completed", ["function_call", "function_call"]),
    "reasoning": ("completed", ["reasoning", "message"]),
    "refusal": ("completed", ["message"]),
    "incomplete": ("incomplete", ["message"]),
    "failed": ("failed", []),
    "error": ("error", []),
}
HEX_ID = re.compile(r"^(resp|msg|fc|rs)_[0-9a-f]{50}$")


@asynccontextmanager
async def generating(**options: Any) -> AsyncIterator[AsyncClient]:
    """A client of an emulator with no recordings: every answer is generated."""
    async with in_process(Emulator(**options), max_retries=0) as (client, _):
        yield client


async def streamed(client: AsyncClient, scenario: str, **request: Any) -> list[Event]:
    request.setdefault("input", PROMPT)
    stream = await client.responses.create(model=f"rillet-{scenario}", stream=True, **request)
    async with stream:
        return [event async for event in stream]


def test_the_expectations_cover_every_scenario() -> None:
    assert set(EXPECTED) == set(SCENARIOS)


@pytest.mark.parametrize("scenario", SCENARIOS)
async def test_each_scenario_streams_as_the_api_does(scenario: str) -> None:
    async with generating() as client:
        events = await streamed(client, scenario, tools=TOOLS)
    assert not [e for e in events if isinstance(e, UnknownEvent)]
    assert [e.sequence_number for e in events] == list(range(len(events)))  # type: ignore[attr-defined]
    accumulator = ResponseAccumulator()  # strict: every .done must agree with its deltas
    for event in events:
        accumulator.add(event)
    accumulator.close()
    outcome, kinds = EXPECTED[scenario]
    assert accumulator.outcome == outcome
    snapshot = accumulator.snapshot
    assert snapshot is not None
    assert HEX_ID.match(snapshot.id)
    assert [item.type for item in snapshot.output] == kinds
    for event in events:  # each item as its done event states it, in the final response
        if isinstance(event, ResponseOutputItemDoneEvent):
            assert snapshot.output[event.output_index] == event.item
            assert HEX_ID.match(event.item.id or "")
    if accumulator.final is not None:
        assert snapshot == accumulator.final
        assert snapshot.usage is not None
        assert snapshot.usage.total_tokens == (
            snapshot.usage.input_tokens + snapshot.usage.output_tokens
        )


async def test_the_text_is_derived_from_the_input_word_by_word() -> None:
    async with generating() as client:
        first = await client.responses.create(model="rillet-text", input=PROMPT)
        again = await client.responses.create(model="rillet-text", input=PROMPT)
        other = await client.responses.create(model="rillet-text", input="Something else")
        deltas = [e for e in await streamed(client, "text") if e.type.endswith("text.delta")]
    assert first.output_text == again.output_text != other.output_text
    assert first.id != again.id
    assert len(deltas) == len(first.output_text.split())
    assert all(d.delta.strip() and " " not in d.delta.strip() for d in deltas)  # type: ignore[attr-defined]


async def test_function_calls_call_the_request_tools_with_arguments_for_them() -> None:
    async with generating() as client:
        response = await client.responses.create(
            model="rillet-parallel-function-calls", input=PROMPT, tools=TOOLS
        )
        default = await client.responses.create(model="rillet-function_call", input=PROMPT)
    calls = [item for item in response.output if item.type == "function_call"]
    assert [call.name for call in calls] == ["forecast", "alerts"]
    assert set(json.loads(calls[0].arguments)) == {"city", "days"}
    assert isinstance(json.loads(calls[0].arguments)["days"], int)
    assert len({call.call_id for call in calls}) == 2
    # With no tools given, a default one is called, and shown among the response's tools.
    assert default.output[0].name == default.tools[0]["name"]  # type: ignore[union-attr]


async def test_incomplete_stops_at_max_output_tokens() -> None:
    async with generating() as client:
        cut = await client.responses.create(model="rillet-text", input=PROMPT, max_output_tokens=5)
        forced = await client.responses.create(model="rillet-incomplete", input=PROMPT)
    assert cut.status == forced.status == "incomplete"
    assert cut.incomplete_details is not None
    assert cut.incomplete_details.reason == "max_output_tokens"
    assert len(cut.output_text.split()) == cut.usage.output_tokens == 5  # type: ignore[union-attr]


async def test_failed_and_error_streams_raise_typed_errors_with_what_arrived() -> None:
    async with generating() as client:
        stream = await client.responses.create(model="rillet-failed", input=PROMPT, stream=True)
        async with stream:
            with pytest.raises(ResponseFailedError, match="server_error") as failed:
                await stream.final_response()
        assert failed.value.partial is not None
        stream = await client.responses.create(model="rillet-error", input=PROMPT, stream=True)
        async with stream:
            with pytest.raises(ServerStreamError, match="server had an error"):
                await stream.final_response()
        with pytest.raises(InternalServerError):
            await client.responses.create(model="rillet-error", input=PROMPT)


async def test_the_header_chooses_the_scenario_and_unknown_ones_are_refused() -> None:
    emulator = Emulator()
    async with in_process(emulator, {"x-rillet-scenario": "refusal"}) as (client, _):
        response = await client.responses.create(model="gpt-5", input=PROMPT)
        assert response.output[0].content[0].type == "refusal"  # type: ignore[union-attr,index]
    async with generating() as client:
        with pytest.raises(BadRequestError, match=r"unknown scenario 'poetry'.*text"):
            await client.responses.create(model="rillet-poetry", input=PROMPT)


@pytest.mark.parametrize("scenario", SCENARIOS)
async def test_each_scenario_as_chat_completions(scenario: str) -> None:
    async with generating() as client:
        stream = await client.chat.completions.create(
            model=f"rillet-{scenario}",
            messages=[{"role": "user", "content": PROMPT}],
            tools=CHAT_TOOLS,
            stream=True,
            stream_options={"include_usage": True},
        )
        async with stream:
            if scenario in ("failed", "error"):  # an error payload mid-stream, after some text
                with pytest.raises(ServerStreamError) as caught:
                    await stream.final_response()
                partial = caught.value.partial
                assert isinstance(partial, ChatCompletion)
                assert partial.choices[0].message.content
                return
            completion = await stream.final_response()
    choice = completion.choices[0]
    finish = {
        "function_call": "tool_calls",
        "parallel_function_calls": "tool_calls",
        "incomplete": "length",
    }
    assert choice.finish_reason == finish.get(scenario, "stop")
    calls = {"function_call": 1, "parallel_function_calls": 2}.get(scenario, 0)
    assert len(choice.message.tool_calls or []) == calls
    assert bool(choice.message.refusal) == (scenario == "refusal")
    assert completion.usage is not None
    assert completion.usage.completion_tokens >= 1


async def test_a_background_response_runs_on_and_resumes_after_any_event() -> None:
    async with generating(delay=0.005) as client:
        stream = await client.responses.create(
            model="rillet-text", input=PROMPT, background=True, stream=True
        )
        async with stream:
            first = []
            async for event in stream:
                first.append(event)
                if len(first) == 5:
                    break
        created = first[0]
        assert isinstance(created, ResponseCreatedEvent)
        assert created.response.status == "queued"
        assert [e.type for e in first[:3]] == [
            "response.created",
            "response.queued",
            "response.in_progress",
        ]
        response_id = stream.response_id
        assert response_id is not None
        resumed = await client.responses.retrieve(response_id, stream=True, starting_after=4)
        async with resumed:
            rest = [event async for event in resumed]
            final = await resumed.final_response()
        everything = await streamed(client, "text", background=True)
        kept = await client.responses.retrieve(final.id)
    numbers = [e.sequence_number for e in rest if e.type != "invalid"]
    assert numbers == list(range(5, 5 + len(rest)))
    assert [e.type for e in first + rest] == [e.type for e in everything]
    assert final.status == "completed"
    assert final == kept


async def test_a_background_response_is_polled_then_cancelled() -> None:
    async with generating(delay=0.05) as client:
        queued = await client.responses.create(model="rillet-text", input=PROMPT, background=True)
        assert queued.status == "queued"
        await anyio.sleep(0.3)
        running = await client.responses.retrieve(queued.id)
        assert running.status == "in_progress"
        cancelled = await client.responses.cancel(queued.id)
        assert cancelled.status == "cancelled"
        await anyio.sleep(0.1)
        later = await client.responses.retrieve(queued.id)
        assert later.status == "cancelled"
        assert later.output_text == cancelled.output_text  # it stopped where it was
        stream = await client.responses.retrieve(queued.id, stream=True)
        async with stream:
            with pytest.raises(StreamTruncatedError):
                await stream.final_response()
        assert stream.snapshot is not None
        assert stream.snapshot.output_text == later.output_text


async def test_cancelling_is_for_background_responses_and_a_finished_one_stays_finished() -> None:
    async with generating() as client:
        done = await client.responses.create(model="rillet-text", input=PROMPT, background=True)
        assert (await client.responses.cancel(done.id)).status == "completed"
        foreground = await client.responses.create(model="rillet-text", input=PROMPT)
        with pytest.raises(BadRequestError, match="background=true"):
            await client.responses.cancel(foreground.id)


def test_background_responses_run_at_their_pace_on_the_emulators_clock() -> None:
    """A fake clock drives the emulator: no sleeping, and every state is reachable at will."""
    now = [0.0]
    emulator = Emulator(clock=lambda: now[0], delay=1.0)

    def answer(method: str, path: str, body: dict[str, object] | None = None) -> Any:
        reply = emulator.reply(method, path, "", {}, json.dumps(body).encode() if body else b"")
        return json.loads(b"".join(step for step in reply.body if isinstance(step, bytes)))

    request = {"model": "rillet-text", "input": "one two three four five six", "background": True}
    response_id = answer("POST", "/v1/responses", request)["id"]
    seen = []
    for moment in (0.0, 3.5, 8.0):
        now[0] = moment
        snapshot = answer("GET", f"/v1/responses/{response_id}")
        seen.append((snapshot["status"], len(json.dumps(snapshot["output"]))))
    assert [status for status, _ in seen] == ["queued", "in_progress", "in_progress"]
    assert seen[0][1] < seen[1][1] < seen[2][1]  # more of it exists as the clock moves
    assert answer("POST", f"/v1/responses/{response_id}/cancel")["status"] == "cancelled"
    now[0] = 1000.0
    after = answer("GET", f"/v1/responses/{response_id}")
    assert after["status"] == "cancelled"
    assert len(json.dumps(after["output"])) == seen[2][1]  # nothing ran after the cancel
