"""What type checkers see of rillet.tools: run by mypy --strict and pyright strict (not by pytest).

A registered function keeps its own type; the loops return the API's objects; a misspelt
request parameter or a wrong policy is an error.
"""

from __future__ import annotations

from typing import Any, assert_type

from rillet import AsyncClient, Client, Router
from rillet.events import ChatCompletion, Response
from rillet.params import ChatCompletionToolParam, FunctionToolParam
from rillet.tools import Tool, Tools, TurnLimitError, run, run_chat, run_chat_sync, run_sync

tools = Tools()


@tools.register
def get_weather(city: str, days: int = 1) -> str:
    """The weather."""
    return city


@tools.register(name="time", description="The time.")
async def local_time(city: str) -> str:
    return city


assert_type(get_weather("Paris", days=2), str)  # the function is returned as it is
get_weather(3)  # type: ignore[arg-type]  # pyright: ignore[reportArgumentType]
assert_type(tools.to_params(), list[FunctionToolParam])
assert_type(tools.to_chat_params(), list[ChatCompletionToolParam])
assert_type(tools.parse("time", "{}"), dict[str, Any])
assert_type(tools["time"], Tool)


async def loops(client: AsyncClient) -> None:
    assert_type(await local_time("Paris"), str)
    assert_type(await run(client, tools, model="m", input="hi", max_turns=3), Response)
    assert_type(await run_chat(client, tools, model="m", messages=[]), ChatCompletion)
    await run(client, tools, model="m", input="hi", on_tool_error="ignore")  # type: ignore[arg-type]  # pyright: ignore[reportArgumentType]
    await run(client, tools, model="m", imput="hi")  # type: ignore[call-arg]  # pyright: ignore[reportCallIssue]
    try:
        await run(client, tools, model="m", input="hi")
    except TurnLimitError as error:
        assert_type(error.response, Response | ChatCompletion)


def blocking_loops(client: Client) -> None:
    assert_type(tools.call_sync("time", '{"city": "Paris"}'), str)
    assert_type(run_sync(client, tools, model="m", input="hi", max_turns=3), Response)
    assert_type(
        run_chat_sync(client, tools, router=Router(), model="m", messages=[], concurrency=2),
        ChatCompletion,
    )
    run_sync(client, tools, model="m", input="hi", on_tool_error="ignore")  # type: ignore[arg-type]  # pyright: ignore[reportArgumentType]
    run_sync(client, tools, model="m", imput="hi")  # type: ignore[call-arg]  # pyright: ignore[reportCallIssue]
    run_chat_sync(client, tools, model="m", input="hi")  # type: ignore[call-arg]  # pyright: ignore[reportCallIssue]
    run_sync(AsyncClient(), tools, model="m", input="hi")  # type: ignore[arg-type]  # pyright: ignore[reportArgumentType]
