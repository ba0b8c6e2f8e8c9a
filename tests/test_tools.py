"""rillet.tools: the registry (schemas, arguments) and the tool loop over a paced model."""

from __future__ import annotations

import dataclasses
import enum
import json
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any, Literal, TypedDict

import anyio
import attrs
import pytest

from conftest import Served
from rillet import AsyncClient, HandlerError, Router
from rillet.events import ResponseCompletedEvent, ResponseOutputTextDeltaEvent
from rillet.testing import serve
from rillet.tools import ToolArgumentsError, Tools, TurnLimitError, run, run_chat
from tool_model import ToolModel

# -- the registry -------------------------------------------------------------------------------


class Unit(enum.Enum):
    C = "C"
    F = "F"


@attrs.frozen
class Stop:
    name: str
    minutes: int = 5


@dataclasses.dataclass
class Window:
    start: int
    end: int


class Place(TypedDict):
    city: str
    country: str


def plan(
    place: Place,
    stops: list[Stop],
    window: Window | None,
    unit: Unit = Unit.C,
    mode: Literal["walk", "drive"] = "walk",
    *,
    budget: float = 10.0,
) -> dict[str, object]:
    """Plan a trip.

    The rest of the docstring is not the description.
    """
    return {"place": place, "stops": stops, "window": window, "unit": unit, "mode": mode}


def test_register_derives_name_description_and_strict_schema() -> None:
    tools = Tools(plan)
    (param,) = tools.to_params()
    assert param["type"] == "function"
    assert param["name"] == "plan"
    assert param["description"] == "Plan a trip."
    assert param["strict"] is True
    schema = param["parameters"]
    assert schema is not None
    assert schema["required"] == ["place", "stops", "window", "unit", "mode", "budget"]
    assert schema["additionalProperties"] is False
    properties: dict[str, Any] = schema["properties"]  # type: ignore[assignment]
    definitions: dict[str, Any] = schema["$defs"]  # type: ignore[assignment]
    assert properties["place"] == {"$ref": "#/$defs/Place"}
    assert definitions["Place"] == {
        "type": "object",
        "properties": {"city": {"type": "string"}, "country": {"type": "string"}},
        "required": ["city", "country"],
        "additionalProperties": False,
    }
    assert properties["stops"] == {"type": "array", "items": {"$ref": "#/$defs/Stop"}}
    assert definitions["Stop"]["required"] == ["name", "minutes"]  # as the class has it
    # A parameter with a default may be null (then the default applies).
    assert properties["unit"] == {"anyOf": [{"$ref": "#/$defs/Unit"}, {"type": "null"}]} or (
        properties["unit"] == {"anyOf": [{"type": "string", "enum": ["C", "F"]}, {"type": "null"}]}
    )
    assert properties["budget"] == {"anyOf": [{"type": "number"}, {"type": "null"}]}
    assert properties["window"]["anyOf"][1] == {"type": "null"}
    assert "description" not in schema
    (chat,) = tools.to_chat_params()
    assert chat["type"] == "function"
    assert chat["function"]["name"] == "plan"
    assert chat["function"]["parameters"] == schema


def test_parse_gives_typed_arguments_and_defaults_for_null() -> None:
    tools = Tools(plan)
    arguments = {
        "place": {"city": "Paris", "country": "FR"},
        "stops": [{"name": "Louvre", "minutes": 5}, {"name": "Orsay", "minutes": 30}],
        "window": {"start": 9, "end": 17},
        "unit": "F",
        "mode": None,
        "budget": 3,
    }
    parsed = tools.parse("plan", json.dumps(arguments))
    assert parsed == {
        "place": {"city": "Paris", "country": "FR"},
        "stops": [Stop("Louvre"), Stop("Orsay", 30)],
        "window": Window(9, 17),
        "unit": Unit.F,
        "budget": 3.0,
    }
    assert isinstance(parsed["budget"], float)


@pytest.mark.parametrize(
    ("name", "arguments", "argument", "reason"),
    [
        ("nope", "{}", None, "there is no such tool (the tools are: 'plan')"),
        ("plan", "{", None, "not valid JSON"),
        ("plan", "[]", None, "the arguments are not a JSON object but list"),
        ("plan", '{"place": {"city": "P", "country": "F"}}', "stops", "missing"),
        ("plan", '{"place": {"city": 1}}', "place.city", "expected a string, got a number (1)"),
        (
            "plan",
            '{"place": {"city": "P", "country": "F"}, "stops": [{"name": "a"}, {"name": 2}]}',
            "stops[1].name",
            "expected a string, got a number (2)",
        ),
        (
            "plan",
            '{"place": {"city": "P", "country": "F"}, "stops": [], "window": null, "mode": "fly"}',
            "mode",
            "a string ('fly') is none of",
        ),
        (
            "plan",
            '{"place": {"city": "P", "country": "F"}, "stops": [], "window": null, "x": 1}',
            None,
            "extra fields found (x)",
        ),
        (
            "plan",
            '{"place": {"city": "P", "country": "F"}, "stops": "3"}',
            "stops",
            "expected an array, got a string ('3')",
        ),
    ],
)
def test_parse_errors_say_which_argument_and_why(
    name: str, arguments: str, argument: str | None, reason: str
) -> None:
    with pytest.raises(ToolArgumentsError) as caught:
        Tools(plan).parse(name, arguments)
    assert caught.value.tool == name
    assert caught.value.arguments == arguments
    assert caught.value.argument == argument
    assert reason in caught.value.reason
    assert reason in str(caught.value)


def test_no_coercion_of_json_values() -> None:
    tools = Tools()

    @tools.register
    def count(n: int, flag: bool) -> int:
        """Count."""
        return n

    assert tools.parse("count", '{"n": 3, "flag": true}') == {"n": 3, "flag": True}
    for bad in ('{"n": "3", "flag": true}', '{"n": true, "flag": true}', '{"n": 3, "flag": 1}'):
        with pytest.raises(ToolArgumentsError):
            tools.parse("count", bad)


def test_register_with_a_name_and_description_returns_the_function() -> None:
    tools = Tools()

    @tools.register(name="weather", description="Now.")
    async def get_weather(city: str) -> str:
        return city

    assert get_weather.__name__ == "get_weather"
    assert "weather" in tools
    assert len(tools) == 1
    assert tools["weather"].description == "Now."
    assert tools["weather"].is_async
    assert [tool.name for tool in tools] == ["weather"]


def test_register_refuses_what_has_no_schema() -> None:
    tools = Tools()

    def untyped(city) -> str:  # type: ignore[no-untyped-def]  # noqa: ANN001
        return str(city)  # pyright: ignore[reportUnknownArgumentType]

    def star(*cities: str) -> str:
        return ""

    def opaque(thing: object) -> str:
        return ""

    with pytest.raises(TypeError, match="'city' has no annotation"):
        tools.register(untyped)  # pyright: ignore[reportUnknownArgumentType]
    with pytest.raises(TypeError, match="'cities' must be one that can be named"):
        tools.register(star)
    with pytest.raises(TypeError, match="tool 'opaque': parameter thing: object is not supported"):
        tools.register(opaque)
    tools.register(plan)
    with pytest.raises(ValueError, match="already registered"):
        tools.register(plan)


@pytest.mark.anyio
async def test_call_runs_sync_tools_in_a_thread_and_encodes_results() -> None:
    import threading  # noqa: PLC0415

    main = threading.get_ident()
    tools = Tools()

    @tools.register
    def where(city: str) -> Stop:
        """Where."""
        assert threading.get_ident() != main
        return Stop(city, 1)

    @tools.register
    async def text(city: str) -> str:
        """Text."""
        return city

    assert await tools.call("where", '{"city": "Rome"}') == '{"name":"Rome","minutes":1}'
    assert await tools.call("text", '{"city": "Rome"}') == "Rome"


# -- the loop -----------------------------------------------------------------------------------

pytestmark = pytest.mark.anyio


@asynccontextmanager
async def model_client(model: ToolModel) -> AsyncIterator[AsyncClient]:
    async with serve(model) as url, AsyncClient(api_key="t", base_url=f"{url}/v1") as client:
        yield client


class Log:
    """When each tool started and ended (perf_counter), and the most running at once."""

    def __init__(self) -> None:
        self.started: list[float] = []
        self.ended: list[float] = []
        self.running = 0
        self.most = 0


def weather_tools(log: Log, seconds: float = 0.0, *, fail: str | None = None) -> Tools:
    tools = Tools()

    @tools.register
    async def get_weather(city: str) -> str:
        """The weather in a city."""
        log.started.append(time.perf_counter())
        log.running += 1
        log.most = max(log.most, log.running)
        try:
            await anyio.sleep(seconds)
            if city == fail:
                msg = f"no weather for {city}"
                raise RuntimeError(msg)
        finally:
            log.running -= 1
        log.ended.append(time.perf_counter())
        return f"sunny in {city}"

    return tools


PROMPT = "Weather in Paris, Rome, Oslo and Lima?"


async def test_calls_start_before_the_response_ends_and_outputs_go_back() -> None:
    model = ToolModel(calls=4, delay=0.02)
    log = Log()
    texts: list[str] = []
    completed: list[float] = []
    router = Router()

    @router.on("response.output_text.delta")
    def show(event: ResponseOutputTextDeltaEvent) -> None:
        texts.append(event.delta)

    @router.on("response.completed")
    def done(event: ResponseCompletedEvent) -> None:
        completed.append(time.perf_counter())

    async with model_client(model) as client:
        response = await run(
            client, weather_tools(log, 0.05), router=router, model="m", input=PROMPT
        )
    assert response.output_text.startswith("Done")
    assert "".join(texts) == response.output_text  # the router saw every turn
    assert len(completed) == 2
    assert len(log.started) == 4
    assert all(start < completed[0] for start in log.started)  # all started while streaming
    assert log.started == sorted(log.started)
    first, second = model.requests
    assert [t["name"] for t in second["tools"]] == ["get_weather"]
    assert second["previous_response_id"] in model.kept
    outputs = second["input"]
    assert [o["type"] for o in outputs] == ["function_call_output"] * 4
    assert [o["output"] for o in outputs] == [
        "sunny in Paris",
        "sunny in Rome",
        "sunny in Oslo",
        "sunny in Lima",
    ]
    assert first["input"] == PROMPT


async def test_store_false_sends_the_whole_conversation() -> None:
    model = ToolModel(calls=2)
    log = Log()
    async with model_client(model) as client:
        response = await run(client, weather_tools(log), model="m", input=PROMPT, store=False)
    assert response.output_text.startswith("Done")
    second = model.requests[1]
    assert "previous_response_id" not in second
    assert second["store"] is False
    items = second["input"]
    assert items[0] == {"role": "user", "content": PROMPT}
    assert [i["type"] for i in items[1:]] == ["function_call"] * 2 + ["function_call_output"] * 2
    assert [i["call_id"] for i in items[1:3]] == [i["call_id"] for i in items[3:]]


async def test_concurrency_limit_is_honoured() -> None:
    model = ToolModel(calls=6)  # no pacing: all six calls arrive at once
    log = Log()
    async with model_client(model) as client:
        await run(client, weather_tools(log, 0.05), model="m", input=PROMPT, concurrency=2)
    assert len(log.started) == 6
    assert log.most == 2


async def test_a_failing_tool_is_reported_to_the_model() -> None:
    model = ToolModel(calls=2)
    log = Log()
    async with model_client(model) as client:
        response = await run(
            client, weather_tools(log, fail="Rome"), model="m", input="Weather in Paris, Rome?"
        )
    assert response.output_text.startswith("Done")
    outputs = [o["output"] for o in model.requests[1]["input"]]
    assert outputs[0] == "sunny in Paris"
    assert json.loads(outputs[1]) == {"error": "RuntimeError: no weather for Rome"}


async def test_bad_arguments_are_reported_to_the_model() -> None:
    model = ToolModel(calls=1)
    tools = Tools()

    @tools.register
    def get_weather(city: str, days: Literal[1, 2]) -> str:
        """Weather."""
        return city

    # The emulator's writer gives the first value of an enum: change the schema it sees.
    tools["get_weather"].parameters["properties"]["days"] = {"type": "integer"}
    async with model_client(model) as client:
        await run(client, tools, model="m", input=PROMPT)
    (output,) = model.requests[1]["input"]
    error = json.loads(output["output"])["error"]
    assert error.startswith("ToolArgumentsError: tool 'get_weather' argument 'days'")


async def test_a_failing_tool_raises_with_the_raise_policy() -> None:
    model = ToolModel(calls=4, delay=0.05)
    log = Log()
    errors: list[object] = []
    router = Router()
    router.on_error(errors.append)
    async with model_client(model) as client:
        with pytest.raises(HandlerError) as caught:
            await run(
                client,
                weather_tools(log, 0.0, fail="Paris"),
                router=router,
                model="m",
                input=PROMPT,
                on_tool_error="raise",
            )
        await wait_for(lambda: model.closed_early == 1)
    assert isinstance(caught.value.__cause__, RuntimeError)
    assert getattr(caught.value.handler, "__name__", None) == "get_weather"
    assert errors == [caught.value]  # the router's on_error saw it
    assert len(model.requests) == 1
    assert model.completed_at == []  # the stream was closed before it ended
    assert len(log.started) == 1


async def test_the_turn_limit_raises_with_the_last_response() -> None:
    model = ToolModel(calls=1)

    log = Log()
    async with model_client(model) as client:
        with pytest.raises(TurnLimitError) as caught:
            await run(client, weather_tools(log), model="m", input=PROMPT, max_turns=1)
    assert caught.value.turns == 1
    assert caught.value.response.id
    assert len(log.started) == 1
    assert len(model.requests) == 1


async def test_cancellation_stops_the_tools_and_closes_the_stream() -> None:
    model = ToolModel(calls=4, delay=0.05)
    log = Log()
    cancelled: list[bool] = []
    router = Router()
    router.on_cancel(lambda: cancelled.append(True))
    tools = weather_tools(log, 10.0)
    async with model_client(model) as client:

        async def loop() -> None:
            await run(client, tools, router=router, model="m", input=PROMPT)

        async with anyio.create_task_group() as group:
            group.start_soon(loop)
            await wait_for(lambda: len(log.started) == 1)  # the stream is far from its end
            group.cancel_scope.cancel()
        await wait_for(lambda: model.closed_early == 1)
    assert len(log.started) == 1
    assert log.ended == []
    assert log.running == 0  # every started call was cancelled
    assert cancelled == [True]
    assert model.completed_at == []


async def test_run_checks_its_limits() -> None:
    async with model_client(ToolModel()) as client:
        with pytest.raises(ValueError, match="max_turns"):
            await run(client, Tools(), model="m", input="x", max_turns=0)
        with pytest.raises(ValueError, match="concurrency"):
            await run_chat(client, Tools(), model="m", messages=[], concurrency=0)


async def test_chat_runs_the_calls_and_sends_tool_messages() -> None:
    model = ToolModel()
    log = Log()
    async with model_client(model) as client:
        completion = await run_chat(
            client,
            weather_tools(log),
            model="m",
            messages=[{"role": "user", "content": "Weather in Paris and Rome?"}],
        )
    assert completion.choices[0].message.content
    assert len(log.started) == 2
    first, second = model.requests
    assert first["tools"][0]["function"]["name"] == "get_weather"
    messages = second["messages"]
    assert [m["role"] for m in messages] == ["user", "assistant", "tool", "tool"]
    calls = messages[1]["tool_calls"]
    assert [m["tool_call_id"] for m in messages[2:]] == [c["id"] for c in calls]
    assert [m["content"] for m in messages[2:]] == ["sunny in Paris", "sunny in Rome"]


async def wait_for(condition: Any, seconds: float = 5.0) -> None:
    with anyio.fail_after(seconds):
        while not condition():  # noqa: ASYNC110 - the server's counters, no event to wait on
            await anyio.sleep(0.01)


async def test_chat_raise_policy_and_sync_tools() -> None:
    model = ToolModel()
    tools = Tools()

    @tools.register
    def get_weather(city: str) -> str:  # sync: in a worker thread
        """Weather."""
        msg = f"no weather for {city}"
        raise LookupError(msg)

    async with model_client(model) as client:
        with pytest.raises(HandlerError) as caught:
            await run_chat(
                client,
                tools,
                model="m",
                messages=[{"role": "user", "content": "Weather in Paris?"}],
                on_tool_error="raise",
            )
    assert isinstance(caught.value.__cause__, LookupError)
    assert len(model.requests) == 1


async def test_a_handler_error_cancels_the_running_tools() -> None:
    model = ToolModel(calls=4, delay=0.05)
    log = Log()
    router = Router()

    @router.on("response.function_call_arguments.done")
    def refuse(event: object) -> None:
        if len(log.started) == 2:
            msg = "enough"
            raise RuntimeError(msg)

    async with model_client(model) as client:
        with pytest.raises(HandlerError) as caught:
            await run(client, weather_tools(log, 10.0), router=router, model="m", input=PROMPT)
        await wait_for(lambda: model.closed_early == 1)
    assert str(caught.value.__cause__) == "enough"
    assert len(log.started) == 2
    assert log.running == 0
    assert log.ended == []


# -- against the emulator, over loopback --------------------------------------------------------


@pytest.mark.parametrize("store", [True, False])
async def test_the_emulator_loop_starts_calls_while_streaming(served: Served, store: bool) -> None:
    log = Log()
    completed: list[float] = []
    router = Router()

    @router.on("response.completed")
    def done(event: ResponseCompletedEvent) -> None:
        completed.append(time.perf_counter())

    async with AsyncClient(api_key="t", base_url=served.url) as client:
        response = await run(
            client,
            weather_tools(log, 0.01),
            router=router,
            model="rillet-parallel_function_calls",
            input=PROMPT,
            metadata={"rillet_tool_calls": "4"},
            extra_headers={"x-rillet-delay": "0.005"},
            store=store,
        )
    assert response.status == "completed"
    assert "returned sunny in Paris" in response.output_text  # the outputs went back
    assert len(log.started) == 4
    assert len(completed) == 2
    assert all(start < completed[0] for start in log.started)
    await served.no_open_bodies()


async def test_the_emulator_chat_loop(served: Served) -> None:
    log = Log()
    async with AsyncClient(api_key="t", base_url=served.url) as client:
        completion = await run_chat(
            client,
            weather_tools(log),
            model="rillet-parallel_function_calls",
            messages=[{"role": "user", "content": "Weather in Paris and Rome?"}],
            metadata={"rillet_tool_calls": "3"},
        )
    assert completion.choices[0].finish_reason == "stop"
    assert "returned sunny in Paris" in (completion.choices[0].message.content or "")
    assert len(log.started) == 3
