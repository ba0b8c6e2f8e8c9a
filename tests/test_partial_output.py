"""Structured output and tool arguments as they stream: partial values from accumulators,
streams and handlers' context, equal at every delta to a fresh parse of the text so far."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from clients import in_process
from rillet import (
    ChatCompletionAccumulator,
    DispatchContext,
    PartialJSON,
    PartialJSONError,
    ResponseAccumulator,
    Router,
)
from rillet.events import (
    ChatCompletion,
    ChatToolCallArgumentsDeltaEvent,
    Response,
    ResponseFunctionCallArgumentsDeltaEvent,
    ResponseOutputTextDeltaEvent,
    parse_chat_chunk,
    parse_event_data,
)
from rillet.testing import Emulator
from rillet.testing._scenarios import encode

DOCUMENT = {
    "title": "Pancakes \u00e9\U0001f95e",
    "servings": 4,
    "steps": [{"n": 1, "say": 'mix "well"\\n'}, {"n": 2.5, "say": "fry"}],
    "vegan": False,
    "notes": None,
}
TEXT = json.dumps(DOCUMENT, ensure_ascii=False)
ARGUMENTS = json.dumps({"city": "Paris", "days": [1, 2, 3]})


def pieces(text: str, size: int) -> list[str]:
    return [text[i : i + size] for i in range(0, len(text), size)]


def fresh(text: str) -> Any:
    parser = PartialJSON()
    parser.feed(text)
    return parser.value if text else None


def responses_events(text_deltas: list[str], argument_deltas: list[str]) -> list[dict[str, Any]]:
    """A Responses stream: a message whose text is ``text_deltas``, then a function call."""
    response = {"id": "resp_1", "object": "response", "status": "in_progress", "output": []}
    message = {"type": "message", "id": "msg_1", "role": "assistant", "content": []}
    call = {"type": "function_call", "id": "fc_1", "call_id": "c1", "name": "weather"}
    where = {"item_id": "msg_1", "output_index": 0, "content_index": 0}
    events: list[dict[str, Any]] = [
        {"type": "response.created", "response": response},
        {"type": "response.output_item.added", "output_index": 0, "item": message},
        {
            "type": "response.content_part.added",
            **where,
            "part": {"type": "output_text", "text": ""},
        },
        *({"type": "response.output_text.delta", **where, "delta": d} for d in text_deltas),
        {
            "type": "response.output_item.added",
            "output_index": 1,
            "item": {**call, "arguments": ""},
        },
        *(
            {"type": "response.function_call_arguments.delta", "item_id": "fc_1"}
            | {"output_index": 1, "delta": d}
            for d in argument_deltas
        ),
        {"type": "response.completed", "response": {**response, "status": "completed"}},
    ]
    return [{**event, "sequence_number": number} for number, event in enumerate(events)]


def chat_chunks(text_deltas: list[str], argument_deltas: list[str]) -> list[dict[str, Any]]:
    """A chat stream: choice 0's content is ``text_deltas``, then a tool call's arguments."""
    base = {"id": "c", "object": "chat.completion.chunk", "created": 0, "model": "m"}

    def chunk(delta: dict[str, Any], finish: str | None = None) -> dict[str, Any]:
        return {**base, "choices": [{"index": 0, "delta": delta, "finish_reason": finish}]}

    call = {"index": 0, "id": "call_1", "type": "function", "function": {"name": "weather"}}
    return [
        chunk({"role": "assistant", "content": ""}),
        *(chunk({"content": d}) for d in text_deltas),
        chunk({"tool_calls": [{**call, "function": {"name": "weather", "arguments": ""}}]}),
        *(
            chunk({"tool_calls": [{"index": 0, "function": {"arguments": d}}]})
            for d in argument_deltas
        ),
        chunk({}, "tool_calls"),
    ]


@settings(max_examples=30)
@given(size=st.integers(1, 12))
def test_a_responses_accumulator_gives_the_partial_output_and_arguments(size: int) -> None:
    accumulator = ResponseAccumulator()
    text = arguments = ""
    for event in responses_events(pieces(TEXT, size), pieces(ARGUMENTS, size)):
        accumulator.add(parse_event_data(None, json.dumps(event).encode()))
        delta = event.get("delta", "")
        if event["type"] == "response.output_text.delta":
            text += delta
        elif event["type"] == "response.function_call_arguments.delta":
            arguments += delta
        assert accumulator.partial_output == fresh(text)
        assert accumulator.partial_arguments("fc_1") == fresh(arguments)
    assert accumulator.partial_output == DOCUMENT
    assert accumulator.partial_arguments("fc_1") == json.loads(ARGUMENTS)
    assert accumulator.partial_arguments("no such call") is None


@settings(max_examples=30)
@given(size=st.integers(1, 12))
def test_a_chat_accumulator_gives_the_partial_output_and_arguments(size: int) -> None:
    assert ChatCompletionAccumulator().partial_output is None
    accumulator = ChatCompletionAccumulator()
    text = arguments = ""
    for chunk in chat_chunks(pieces(TEXT, size), pieces(ARGUMENTS, size)):
        parsed = parse_chat_chunk(json.dumps(chunk).encode())
        accumulator.add(parsed)
        delta = chunk["choices"][0]["delta"]
        text += delta.get("content") or ""
        for call in delta.get("tool_calls", ()):
            arguments += call["function"].get("arguments", "")
        assert accumulator.partial_output == fresh(text)
        assert accumulator.partial_arguments(0) == fresh(arguments)
    assert accumulator.partial_output == DOCUMENT
    assert accumulator.partial_arguments(0) == json.loads(ARGUMENTS)
    assert accumulator.partial_arguments(1) is None


def test_output_that_is_not_json_raises_with_its_offset() -> None:
    accumulator = ResponseAccumulator()
    for event in responses_events(["Hello, ", "world"], []):
        accumulator.add(parse_event_data(None, json.dumps(event).encode()))
    with pytest.raises(PartialJSONError) as caught:
        _ = accumulator.partial_output
    assert caught.value.offset == 0


@pytest.mark.anyio
async def test_handlers_read_partial_values_from_their_context() -> None:
    body = encode(responses_events(pieces(TEXT, 7), pieces(ARGUMENTS, 5)))
    emulator = Emulator({"responses/structured.sse": body})
    outputs: list[Any] = []
    arguments: list[Any] = []
    router = Router()

    @router.on("response.output_text.delta")
    def output(event: ResponseOutputTextDeltaEvent, context: DispatchContext[Response]) -> None:
        outputs.append(json.dumps(context.partial_output))  # live: keep what it was then

    @router.on("response.function_call_arguments.delta")
    async def call(
        event: ResponseFunctionCallArgumentsDeltaEvent, context: DispatchContext[Response]
    ) -> None:
        arguments.append(json.dumps(context.partial_arguments(event)))

    headers = {"x-rillet-recording": "responses/structured.sse"}
    async with in_process(emulator, headers) as (client, _):
        stream = await client.responses.create(model="m", input="hi", stream=True)
        async with stream:
            await stream.dispatch(router)
            assert stream.partial_output == DOCUMENT
    assert [json.loads(o) for o in outputs] == [
        fresh(TEXT[: i + 7]) for i in range(0, len(TEXT), 7)
    ]
    assert json.loads(arguments[-1]) == json.loads(ARGUMENTS)
    assert len(arguments) == len(pieces(ARGUMENTS, 5))


@pytest.mark.anyio
async def test_a_chat_stream_gives_partial_arguments_by_event() -> None:
    frames: list[dict[str, Any] | str] = [*chat_chunks(pieces(TEXT, 9), pieces(ARGUMENTS, 4))]
    body = encode([*frames, "[DONE]"])
    emulator = Emulator({"chat/structured.sse": body})
    seen: list[Any] = []
    headers = {"x-rillet-recording": "chat/structured.sse"}
    async with in_process(emulator, headers) as (client, _):
        stream = await client.chat.completions.create(model="m", messages=[], stream=True)
        async with stream:
            async for event in stream.events():
                if isinstance(event, ChatToolCallArgumentsDeltaEvent):
                    seen.append(json.dumps(stream.partial_arguments(event)))
            completion = await stream.final_response()
            assert stream.partial_output == DOCUMENT
    assert isinstance(completion, ChatCompletion)
    assert json.loads(seen[-1]) == json.loads(ARGUMENTS)


def test_the_neutral_index_of_a_call_finds_its_arguments() -> None:
    """Neutral events count calls from 0 in the order they start, whatever the API's index."""
    responses = ResponseAccumulator()
    for event in responses_events(["{}"], pieces(ARGUMENTS, 3)):
        responses.add(parse_event_data(None, json.dumps(event).encode()))
    assert responses.function_call_id(0) == "fc_1"  # output item 1, after the message
    assert responses.function_call_id(1) is None
    chat = ChatCompletionAccumulator()
    base = {"id": "c", "object": "chat.completion.chunk", "created": 0, "model": "m"}
    deltas: list[dict[str, Any]] = [
        {"tool_calls": [{"index": 7, "id": "a", "function": {"name": "f", "arguments": "[1"}}]},
        {"tool_calls": [{"index": 3, "id": "b", "function": {"name": "g", "arguments": "[2]"}}]},
        {"tool_calls": [{"index": 7, "function": {"arguments": "]"}}]},
    ]
    for delta in deltas:
        choice = {"index": 0, "delta": delta, "finish_reason": None}
        chat.add(parse_chat_chunk(json.dumps({**base, "choices": [choice]}).encode()))
    assert [chat.partial_call_arguments(i) for i in range(3)] == [[1], [2], None]
    legacy = ChatCompletionAccumulator()
    for piece in ['{"city"', ': "Lima"']:
        choice = {"index": 0, "delta": {"function_call": {"name": "f", "arguments": piece}}}
        legacy.add(parse_chat_chunk(json.dumps({**base, "choices": [choice]}).encode()))
    assert legacy.partial_call_arguments(0) == {"city": "Lima"}
    assert legacy.partial_call_arguments(0, choice=1) is None
