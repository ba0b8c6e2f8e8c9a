"""What starting tool calls while the response is still streaming saves.

The emulator (``rillet.testing``, served on 127.0.0.1) answers a first turn with N function
calls (``metadata.rillet_tool_calls``), one event every ``DELAY`` seconds (``x-rillet-delay``),
and the second turn (with the outputs) with text, at the same pace. Each tool sleeps ``TOOL``
seconds. Time to the final answer:

* ``early``: ``rillet.tools.run``: each call starts at its ``response.output_item.done``;
* ``after``: the usual loop: ``final_response()``, then the calls (as concurrently as the
  same limit allows), then the outputs back.

With as many calls at once as there are calls, the last call still starts near the end of the
response, so what starting early saves is bounded by how long the stream goes on after a call
is complete; with a limit (one at a time: a rate-limited API, a single connection), the calls
that wait for a slot overlap the rest of the stream instead of following it; and when the
first call is the slow one (the others take a fifth of its time), it runs while the others are
being written.
Run: ``python benchmarks/bench_tools.py`` (asyncio; ``--trio`` for trio too).
"""

from __future__ import annotations

import statistics
import sys
import time
from typing import Any

import anyio

from _results import Results
from rillet import AsyncClient
from rillet.events import FunctionCallItem
from rillet.testing import Emulator, serve
from rillet.tools import Tools, run

DELAY = 0.01  # seconds between events
TOOL = 0.25  # seconds each tool takes
REPEATS = 3
CALLS = (1, 4, 8)
PROMPT = "Weather in Paris, Rome, Oslo, Lima, Kyiv, Pune, Baku and Nice?"


def weather_tools(*, slow_first: bool = False) -> Tools:
    """Calls take ``TOOL`` s; with ``slow_first``, only the first (Paris): the others a fifth."""
    tools = Tools()

    @tools.register
    async def get_weather(city: str) -> str:
        """The weather in a city."""
        await anyio.sleep(TOOL if city == "Paris" or not slow_first else TOOL / 5)
        return f"sunny in {city}"

    return tools


MODEL = "rillet-parallel_function_calls"
HEADERS = {"x-rillet-delay": str(DELAY)}


async def early(client: AsyncClient, tools: Tools, limit: int, calls: int) -> str:
    response = await run(
        client,
        tools,
        model=MODEL,
        input=PROMPT,
        concurrency=limit,
        metadata=_metadata(calls),
        extra_headers=HEADERS,
    )
    return response.output_text


def _metadata(calls: int) -> dict[str, str]:
    return {"rillet_tool_calls": str(calls)}


async def after(client: AsyncClient, tools: Tools, limit: int, calls: int) -> str:
    """The loop without early starts: the whole response, then the calls, then the outputs."""
    stream = await client.responses.create(
        model=MODEL,
        input=PROMPT,
        tools=tools.to_params(),
        metadata=_metadata(calls),
        extra_headers=HEADERS,
        stream=True,
    )
    async with stream:
        response = await stream.final_response()
    made = [item for item in response.output if isinstance(item, FunctionCallItem)]
    outputs: dict[str, str] = {}
    limiter = anyio.CapacityLimiter(limit)

    async def call(item: FunctionCallItem) -> None:
        async with limiter:
            outputs[item.call_id] = await tools.call(item.name, item.arguments)

    async with anyio.create_task_group() as group:
        for item in made:
            group.start_soon(call, item)
    back: list[Any] = [
        {"type": "function_call_output", "call_id": item.call_id, "output": outputs[item.call_id]}
        for item in made
    ]
    stream = await client.responses.create(
        model=MODEL,
        input=back,
        metadata=_metadata(calls),
        extra_headers=HEADERS,
        previous_response_id=response.id,
        tools=tools.to_params(),
        stream=True,
    )
    async with stream:
        final = await stream.final_response()
    return final.output_text


async def measure(backend: str, figures: Results) -> None:
    for calls in CALLS:
        async with (
            serve(Emulator()) as url,
            AsyncClient(api_key="b", base_url=f"{url}/v1") as client,
        ):
            cases = (
                (calls, "all at once", weather_tools()),
                (1, "one at a time", weather_tools()),
                (calls, "all at once, first call slow", weather_tools(slow_first=True)),
            )
            for limit, label, tools in cases:
                seconds: dict[str, float] = {}
                for name, loop in (("after", after), ("early", early)):
                    times = []
                    for _ in range(REPEATS):
                        start = time.perf_counter()
                        text = await loop(client, tools, limit, calls)
                        times.append(time.perf_counter() - start)
                        assert "sunny in Paris" in text, text
                    seconds[name] = statistics.median(times)
                    figures.add(f"{backend}, {calls} calls, {label}", name, seconds[name])
                saved = seconds["after"] - seconds["early"]
                print(
                    f"| {backend} | {calls} | {label} | {seconds['after']:.3f} "
                    f"| {seconds['early']:.3f} | {saved:.3f} "
                    f"| {saved / seconds['after']:.0%} |"
                )


def main() -> None:
    backends = ["asyncio", "trio"] if "--trio" in sys.argv else ["asyncio"]
    print(
        f"one event every {DELAY * 1000:.0f} ms; each tool {TOOL * 1000:.0f} ms; "
        f"median of {REPEATS}"
    )
    print()
    print("| backend | calls | concurrency | after (s) | early (s) | saved (s) | saved |")
    print("|---|---:|---|---:|---:|---:|---:|")
    figures = Results(
        "tools",
        "Time to the final answer: tool calls started early, and after the response",
        "s",
        baseline="after",
        higher_is_better=False,
    )
    for backend in backends:
        anyio.run(measure, backend, figures, backend=backend)
    figures.save()


if __name__ == "__main__":
    main()
