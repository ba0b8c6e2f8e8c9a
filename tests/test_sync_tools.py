"""rillet.tools for blocking code: run_sync/run_chat_sync over loopback, the calls in threads."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import anyio
import pytest

from conftest import Served
from rillet import Client, HandlerError, RilletError, Router
from rillet.events import ResponseCompletedEvent, ResponseCreatedEvent, ResponseOutputTextDeltaEvent
from rillet.testing import serve_in_thread
from rillet.tools import Tools, TurnLimitError, run_chat_sync, run_sync
from tool_model import ToolModel

PROMPT = "Weather in Paris, Rome, Oslo and Lima?"


@contextmanager
def model_client(model: ToolModel) -> Iterator[Client]:
    with serve_in_thread(model) as url, Client(api_key="t", base_url=f"{url}/v1") as client:
        yield client


class Log:
    """When each tool started and ended (perf_counter), in which thread; the most at once."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.started: list[float] = []
        self.ended: list[float] = []
        self.threads: set[int] = set()
        self.running = 0
        self.most = 0

    def start(self) -> None:
        with self.lock:
            self.started.append(time.perf_counter())
            self.threads.add(threading.get_ident())
            self.running += 1
            self.most = max(self.most, self.running)

    def end(self, *, returned: bool) -> None:
        with self.lock:
            self.running -= 1
            if returned:
                self.ended.append(time.perf_counter())


def weather_tools(
    log: Log, seconds: float = 0.0, *, fail: str | None = None, use_async: bool = False
) -> Tools:
    """``get_weather``: sync (sleeps in its thread) or async (in its own event loop)."""
    tools = Tools()

    def answer(city: str) -> str:
        if city == fail:
            msg = f"no weather for {city}"
            raise RuntimeError(msg)
        return f"sunny in {city}"

    if use_async:

        @tools.register(name="get_weather")
        async def get_weather_async(city: str) -> str:
            """The weather in a city."""
            log.start()
            returned = False
            try:
                await anyio.sleep(seconds)
                text = answer(city)
                returned = True
            finally:
                log.end(returned=returned)
            return text

    else:

        @tools.register
        def get_weather(city: str) -> str:
            """The weather in a city."""
            log.start()
            returned = False
            try:
                time.sleep(seconds)
                text = answer(city)
                returned = True
            finally:
                log.end(returned=returned)
            return text

    return tools


def wait_for(condition: Callable[[], bool], seconds: float = 5.0) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.01)


@pytest.mark.parametrize("use_async", [False, True])
def test_calls_start_before_the_response_ends_and_outputs_go_back(use_async: bool) -> None:
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

    tools = weather_tools(log, 0.05, use_async=use_async)
    with model_client(model) as client:
        response = run_sync(client, tools, router=router, model="m", input=PROMPT)
    assert response.output_text.startswith("Done")
    assert "".join(texts) == response.output_text  # the router saw every turn
    assert len(completed) == 2
    assert len(log.started) == 4
    assert all(start < completed[0] for start in log.started)  # all started while streaming
    assert all(start < model.completed_at[0] for start in log.started)  # before it was sent
    assert threading.get_ident() not in log.threads  # in the pool
    first, second = model.requests
    assert first["input"] == PROMPT
    assert [t["name"] for t in first["tools"]] == ["get_weather"]
    assert second["previous_response_id"] in model.kept
    outputs = second["input"]
    assert [o["type"] for o in outputs] == ["function_call_output"] * 4
    assert [o["output"] for o in outputs] == [
        "sunny in Paris",
        "sunny in Rome",
        "sunny in Oslo",
        "sunny in Lima",
    ]


def test_store_false_sends_the_whole_conversation() -> None:
    model = ToolModel(calls=2)
    with model_client(model) as client:
        response = run_sync(client, weather_tools(Log()), model="m", input=PROMPT, store=False)
    assert response.output_text.startswith("Done")
    second = model.requests[1]
    assert "previous_response_id" not in second
    assert second["store"] is False
    items = second["input"]
    assert items[0] == {"role": "user", "content": PROMPT}
    assert [i["type"] for i in items[1:]] == ["function_call"] * 2 + ["function_call_output"] * 2
    assert [i["call_id"] for i in items[1:3]] == [i["call_id"] for i in items[3:]]


def test_concurrency_is_the_pools_size() -> None:
    model = ToolModel(calls=6)  # no pacing: all six calls arrive at once
    log = Log()
    with model_client(model) as client:
        run_sync(client, weather_tools(log, 0.05), model="m", input=PROMPT, concurrency=2)
    assert len(log.started) == 6
    assert log.most == 2


def test_a_failing_tool_is_reported_to_the_model() -> None:
    model = ToolModel(calls=2)
    with model_client(model) as client:
        response = run_sync(
            client, weather_tools(Log(), fail="Rome"), model="m", input="Weather in Paris, Rome?"
        )
    assert response.output_text.startswith("Done")
    outputs = [o["output"] for o in model.requests[1]["input"]]
    assert outputs[0] == "sunny in Paris"
    assert json.loads(outputs[1]) == {"error": "RuntimeError: no weather for Rome"}


def test_a_failing_tool_raises_while_streaming_with_the_raise_policy() -> None:
    model = ToolModel(calls=4, delay=0.05)
    log = Log()
    errors: list[object] = []
    router = Router()
    router.on_error(errors.append)
    with model_client(model) as client:
        with pytest.raises(HandlerError) as caught:
            run_sync(
                client,
                weather_tools(log, fail="Paris"),
                router=router,
                model="m",
                input=PROMPT,
                on_tool_error="raise",
            )
        wait_for(lambda: model.closed_early == 1)
    assert isinstance(caught.value.__cause__, RuntimeError)
    assert getattr(caught.value.handler, "__name__", None) == "get_weather"
    assert caught.value.event is not None
    assert caught.value.event.type == "response.output_item.done"
    assert errors == [caught.value]  # the router's on_error saw it
    assert len(model.requests) == 1
    assert model.completed_at == []  # the stream was closed before it ended
    assert len(log.started) == 1


def test_the_raise_policy_cancels_the_calls_not_started() -> None:
    model = ToolModel(calls=4)  # the stream ends at once; the first call fails later
    log = Log()
    with model_client(model) as client, pytest.raises(HandlerError) as caught:
        run_sync(
            client,
            weather_tools(log, 0.1, fail="Paris"),
            model="m",
            input=PROMPT,
            concurrency=1,
            on_tool_error="raise",
        )
    assert str(caught.value.__cause__) == "no weather for Paris"
    assert len(log.started) == 1  # the three others were cancelled before they began
    assert log.running == 0
    assert len(model.requests) == 1


def test_running_calls_finish_before_a_handler_error_is_raised() -> None:
    model = ToolModel(calls=4, delay=0.05)
    log = Log()
    router = Router()

    @router.on("response.function_call_arguments.done")
    def refuse(event: object) -> None:
        if len(log.started) == 2:
            msg = "enough"
            raise RuntimeError(msg)

    with model_client(model) as client:
        with pytest.raises(HandlerError) as caught:
            run_sync(client, weather_tools(log, 0.2), router=router, model="m", input=PROMPT)
        assert log.running == 0  # threads cannot be killed: the run waited for them
        wait_for(lambda: model.closed_early == 1)
    assert str(caught.value.__cause__) == "enough"
    assert len(log.started) == 2
    assert len(log.ended) == 2


def test_the_turn_limit_raises_with_the_last_response() -> None:
    model = ToolModel(calls=1)
    log = Log()
    with model_client(model) as client, pytest.raises(TurnLimitError) as caught:
        run_sync(client, weather_tools(log), model="m", input=PROMPT, max_turns=1)
    assert caught.value.turns == 1
    assert caught.value.response.id
    assert len(log.started) == 1
    assert len(model.requests) == 1


def test_limits_and_async_handlers_are_refused() -> None:
    router = Router()

    @router.on("response.completed")
    async def later(event: object) -> None: ...

    with model_client(ToolModel()) as client:
        with pytest.raises(ValueError, match="max_turns"):
            run_sync(client, Tools(), model="m", input="x", max_turns=0)
        with pytest.raises(ValueError, match="concurrency"):
            run_chat_sync(client, Tools(), model="m", messages=[], concurrency=0)
        with pytest.raises(RilletError, match="async handlers"):
            run_sync(client, Tools(), router=router, model="m", input="x")


def test_chat_runs_the_calls_and_sends_tool_messages() -> None:
    model = ToolModel()
    log = Log()
    with model_client(model) as client:
        completion = run_chat_sync(
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


def test_chat_raise_policy() -> None:
    model = ToolModel()
    with model_client(model) as client, pytest.raises(HandlerError) as caught:
        run_chat_sync(
            client,
            weather_tools(Log(), fail="Paris", use_async=True),
            model="m",
            messages=[{"role": "user", "content": "Weather in Paris?"}],
            on_tool_error="raise",
        )
    assert isinstance(caught.value.__cause__, RuntimeError)
    assert len(model.requests) == 1


# -- against the emulator, over loopback --------------------------------------------------------


def no_open_bodies(served: Served) -> None:
    wait_for(lambda: not served.emulator.open_bodies)


@pytest.mark.parametrize("store", [True, False])
def test_the_emulator_loop_starts_calls_while_streaming(served: Served, store: bool) -> None:
    log = Log()
    completed: list[float] = []
    turns: list[str] = []
    router = Router()

    @router.on("response.created")
    def created(event: ResponseCreatedEvent) -> None:
        turns.append(event.response.id)

    @router.on("response.completed")
    def done(event: ResponseCompletedEvent) -> None:
        completed.append(time.perf_counter())

    with Client(api_key="t", base_url=served.url) as client:
        response = run_sync(
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
    assert turns[-1] == response.id  # the router saw both turns
    assert len(turns) == 2
    assert all(start < completed[0] for start in log.started)
    no_open_bodies(served)


def test_the_emulator_chat_loop(served: Served) -> None:
    log = Log()
    with Client(api_key="t", base_url=served.url) as client:
        completion = run_chat_sync(
            client,
            weather_tools(log),
            model="rillet-parallel_function_calls",
            messages=[{"role": "user", "content": "Weather in Paris and Rome?"}],
            metadata={"rillet_tool_calls": "3"},
        )
    assert completion.choices[0].finish_reason == "stop"
    assert "returned sunny in Paris" in (completion.choices[0].message.content or "")
    assert len(log.started) == 3
    no_open_bodies(served)


def test_the_emulator_loop_raises_and_closes(served: Served) -> None:
    log = Log()
    with (
        Client(api_key="t", base_url=served.url) as client,
        pytest.raises(HandlerError) as caught,
    ):
        run_sync(
            client,
            weather_tools(log, fail="Paris"),
            model="rillet-parallel_function_calls",
            input=PROMPT,
            metadata={"rillet_tool_calls": "4"},
            extra_headers={"x-rillet-delay": "0.01"},
            on_tool_error="raise",
        )
    assert isinstance(caught.value.__cause__, RuntimeError)
    assert len(log.started) < 4  # noticed while streaming: the later calls never began
    no_open_bodies(served)
