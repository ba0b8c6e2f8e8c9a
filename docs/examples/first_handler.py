"""Handlers: functions registered for the events they care about, run by the stream."""

import anyio

from rillet import AsyncClient, Router
from rillet.events import ResponseCompletedEvent, ResponseOutputTextDeltaEvent

router = Router()


@router.on("response.output_text.delta")
def show(event: ResponseOutputTextDeltaEvent) -> None:  # sync: runs inline, in order
    print(event.delta, end="", flush=True)


@router.on(ResponseCompletedEvent)
async def record_usage(event: ResponseCompletedEvent) -> None:  # async: its own task
    usage = event.response.usage
    print(f"\n[{usage.total_tokens if usage else '?'} tokens]")


async def main() -> None:
    async with AsyncClient() as client:
        stream = await client.responses.create(
            model="gpt-5-mini", input="Tell me about rivers.", stream=True
        )
        async with stream:
            response = await stream.dispatch(router)  # runs the handlers to the end
    print(response.status)


if __name__ == "__main__":
    anyio.run(main)
