"""Kept responses and tool loops: the emulator answers tool outputs, so that a loop ends.

Through rillet's own client, over loopback, on asyncio and trio.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from conftest import Served
from rillet import AsyncClient, NotFoundError
from rillet.events import FunctionCallItem, Response
from schema_check import problems

pytestmark = pytest.mark.anyio

PARAMETERS: dict[str, Any] = {
    "type": "object",
    "properties": {
        "city": {"type": "string"},
        "days": {"type": "integer", "minimum": 1, "maximum": 7},
        "units": {"enum": ["metric", "imperial"]},
        "hours": {"type": "array", "items": {"type": "integer"}, "maxItems": 3},
    },
    "required": ["city", "days", "units", "hours"],
    "additionalProperties": False,
}
TOOLS: Any = [
    {"type": "function", "name": "forecast", "parameters": PARAMETERS, "strict": True},
    {"type": "function", "name": "alerts", "parameters": {"type": "object", "properties": {}}},
]
CHAT_TOOLS: Any = [
    {"type": "function", "function": {"name": t["name"], "parameters": t["parameters"]}}
    for t in TOOLS
]
PROMPT = "What is the weather in Lisbon and Porto?"


def client_of(served: Served) -> AsyncClient:
    return AsyncClient(api_key="sk-test", base_url=served.url, max_retries=0)


def calls_of(response: Response) -> list[FunctionCallItem]:
    return [item for item in response.output if isinstance(item, FunctionCallItem)]


def outputs_for(calls: list[FunctionCallItem]) -> list[Any]:
    return [
        {"type": "function_call_output", "call_id": c.call_id, "output": f'{{"sunny": "{c.name}"}}'}
        for c in calls
    ]


async def first_turn(client: AsyncClient, **options: Any) -> Response:
    response: Response = await client.responses.create(
        model="rillet-parallel_function_calls",
        input=PROMPT,
        tools=TOOLS,
        metadata={"rillet_tool_calls": "3"},
        **options,
    )
    calls = calls_of(response)
    assert [c.name for c in calls] == ["forecast", "alerts", "forecast"]
    for call in calls:
        schema = PARAMETERS if call.name == "forecast" else TOOLS[1]["parameters"]
        assert problems(json.loads(call.arguments), schema) == []
    return response


async def test_a_tool_loop_with_previous_response_id(served: Served) -> None:
    async with client_of(served) as client:
        response = await first_turn(client)
        stream = await client.responses.create(
            model="rillet-parallel_function_calls",
            input=outputs_for(calls_of(response)),
            previous_response_id=response.id,
            tools=TOOLS,
            stream=True,
        )
        async with stream:
            answer = await stream.final_response()
    assert [item.type for item in answer.output] == ["message"]
    assert answer.previous_response_id == response.id
    assert 'forecast returned {"sunny": "forecast"}' in answer.output_text
    assert 'alerts returned {"sunny": "alerts"}' in answer.output_text


async def test_a_tool_loop_with_store_false_and_the_whole_input(served: Served) -> None:
    async with client_of(served) as client:
        response = await first_turn(client, store=False)
        with pytest.raises(NotFoundError) as raised:  # not kept: nothing to continue from
            await client.responses.create(
                model="rillet-function_call",
                input=outputs_for(calls_of(response)),
                previous_response_id=response.id,
            )
        assert raised.value.status_code == 404
        whole: Any = [
            {"role": "user", "content": PROMPT},
            *calls_of(response),
            *outputs_for(calls_of(response)),
        ]
        answer = await client.responses.create(
            model="rillet-function_call", input=whole, tools=TOOLS, store=False
        )
    assert [item.type for item in answer.output] == ["message"]
    assert "forecast returned" in answer.output_text


async def test_an_unknown_previous_response_id_is_a_404(served: Served) -> None:
    async with client_of(served) as client:
        with pytest.raises(NotFoundError) as raised:
            await client.responses.create(
                model="rillet-text", input="Hi", previous_response_id="resp_unknown"
            )
    error = raised.value
    assert error.status_code == 404
    body = json.loads(served.emulator.requests[-1][3]) if served.emulator.requests else {}
    assert body.get("previous_response_id") == "resp_unknown"
    assert "resp_unknown" in str(error)


def test_the_404_has_the_api_error_shape() -> None:
    from rillet.testing import Emulator  # noqa: PLC0415

    request = {"model": "rillet-text", "input": "Hi", "previous_response_id": "resp_nope"}
    reply = Emulator().reply("POST", "/v1/responses", "", {}, json.dumps(request).encode())
    assert reply.status == 404
    error = json.loads(b"".join(s for s in reply.body if isinstance(s, bytes)))["error"]
    assert error == {
        "message": "Previous response with id 'resp_nope' not found.",
        "type": "invalid_request_error",
        "param": "previous_response_id",
        "code": "previous_response_not_found",
    }


def test_kept_responses_are_bounded_and_continue_a_conversation() -> None:
    from rillet.testing import Emulator  # noqa: PLC0415

    emulator = Emulator(keep=2)

    def create(**request: Any) -> tuple[int, dict[str, Any]]:
        body = json.dumps({"model": "rillet-function_call", **request}).encode()
        reply = emulator.reply("POST", "/v1/responses", "", {}, body)
        return reply.status, json.loads(b"".join(s for s in reply.body if isinstance(s, bytes)))

    _, first = create(input="Weather in Lima?")
    call = first["output"][0]
    output = {"type": "function_call_output", "call_id": call["call_id"], "output": "21C"}
    # The call's name comes from the kept history: the new input has only the output.
    status, second = create(input=[output], previous_response_id=first["id"])
    assert status == 200
    assert "get_weather returned 21C" in second["output"][0]["content"][0]["text"]
    # Answered outputs are not answered again: the loop goes on with calls.
    _, third = create(input=[], previous_response_id=second["id"])
    assert third["output"][0]["type"] == "function_call"
    create(input="one")
    create(input="two")
    status, _ = create(input="three", previous_response_id=first["id"])  # forgotten
    assert status == 404


async def test_a_chat_tool_loop(served: Served) -> None:
    async with client_of(served) as client:
        completion = await client.chat.completions.create(
            model="rillet-parallel_function_calls",
            messages=[{"role": "user", "content": PROMPT}],
            tools=CHAT_TOOLS,
        )
        message = completion.choices[0].message
        assert completion.choices[0].finish_reason == "tool_calls"
        calls = message.tool_calls or []
        assert [c.function.name for c in calls] == ["forecast", "alerts"]
        assert problems(json.loads(calls[0].function.arguments), PARAMETERS) == []
        messages: Any = [
            {"role": "user", "content": PROMPT},
            message,
            *(
                {"role": "tool", "tool_call_id": c.id, "content": f"ok {n}"}
                for n, c in enumerate(calls)
            ),
        ]
        stream = await client.chat.completions.create(
            model="rillet-parallel_function_calls", messages=messages, tools=CHAT_TOOLS, stream=True
        )
        async with stream:
            answer = await stream.final_response()
    choice = answer.choices[0]
    assert choice.finish_reason == "stop"
    assert choice.message.content is not None
    assert "forecast returned ok 0; alerts returned ok 1" in choice.message.content
