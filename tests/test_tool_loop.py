"""The tool loop's decisions (sans-IO): no server, no threads, no event loop."""

from __future__ import annotations

import json

import pytest

from rillet import HandlerError
from rillet._tool_loop import ChatToolLoop, ResponsesToolLoop, ToolCall, reported, tool_failure
from rillet.events import Event, Response, ResponseOutputItemDoneEvent
from rillet.tools import Tools, TurnLimitError

tools = Tools()


@tools.register
def get_weather(city: str) -> str:
    """Weather."""
    return city


def call_item(call_id: str) -> dict[str, object]:
    return {
        "type": "function_call",
        "id": f"fc_{call_id}",
        "call_id": call_id,
        "name": "get_weather",
        "arguments": '{"city": "Paris"}',
        "status": "completed",
    }


def response(*items: dict[str, object]) -> Response:
    return Response.from_dict(
        {"id": "resp_1", "object": "response", "status": "completed", "output": list(items)}
    )


def done(item: dict[str, object]) -> Event:
    return ResponseOutputItemDoneEvent.from_dict(
        {"type": "response.output_item.done", "output_index": 0, "sequence_number": 3, "item": item}
    )


def test_responses_call_and_previous_response_id() -> None:
    loop = ResponsesToolLoop(
        {"model": "m", "input": "hi", "tools": [{"type": "web_search"}]},
        tools,
        max_turns=2,
        concurrency=1,
    )
    first = loop.request()
    assert [t["type"] for t in first["tools"]] == ["web_search", "function"]
    call = loop.call_in(done(call_item("c1")))
    assert call is not None
    assert (call.call_id, call.name, call.arguments) == ("c1", "get_weather", '{"city": "Paris"}')
    assert (
        loop.call_in(
            done(
                {
                    "type": "message",
                    "id": "m",
                    "role": "assistant",
                    "status": "completed",
                    "content": [],
                }
            )
        )
        is None
    )
    assert not loop.finish(response(call_item("c1")), [call], {"c1": "sunny"})
    second = loop.request()
    assert second["previous_response_id"] == "resp_1"
    assert second["input"] == [{"type": "function_call_output", "call_id": "c1", "output": "sunny"}]
    assert first["input"] == "hi"  # an earlier request is not changed
    with pytest.raises(TurnLimitError) as caught:
        loop.finish(response(call_item("c2")), [call], {"c1": "sunny"})
    assert caught.value.turns == 2
    assert loop.finish(response(), [], {})


def test_store_false_keeps_the_whole_conversation() -> None:
    loop = ResponsesToolLoop(
        {"model": "m", "input": "hi", "store": False}, tools, max_turns=3, concurrency=1
    )
    loop.request()
    call = ToolCall("c1", "get_weather", "{}", done(call_item("c1")))
    answer = response(call_item("c1"))
    loop.finish(answer, [call], {"c1": "out"})
    items = loop.request()["input"]
    assert "previous_response_id" not in loop.request()
    assert items[0] == {"role": "user", "content": "hi"}
    assert items[1] is answer.output[0]
    assert items[2] == {"type": "function_call_output", "call_id": "c1", "output": "out"}


def test_limits_and_failures() -> None:
    with pytest.raises(ValueError, match="max_turns"):
        ChatToolLoop({}, tools, max_turns=0, concurrency=1)
    with pytest.raises(ValueError, match="concurrency"):
        ResponsesToolLoop({}, tools, max_turns=1, concurrency=0)
    assert json.loads(reported(RuntimeError("no"))) == {"error": "RuntimeError: no"}
    event = done(call_item("c1"))
    failure = tool_failure(tools, ToolCall("c1", "get_weather", "{}", event), None, KeyError("k"))
    assert isinstance(failure, HandlerError)
    assert failure.handler is get_weather
    assert failure.event is event
    unknown = tool_failure(tools, ToolCall("c1", "nope", "{}", event), None, KeyError("k"))
    assert unknown.handler == tools.call
