"""Pick out events by class (type checkers follow ``isinstance``) or by their ``type`` string."""

import anyio

from rillet import AsyncClient
from rillet.events import ResponseCompletedEvent, ResponseOutputItemDoneEvent


async def main() -> None:
    async with AsyncClient() as client:
        stream = await client.responses.create(
            model="gpt-5-mini", input="Tell me about rivers.", stream=True
        )
        async with stream:
            async for event in stream:
                if event.type.startswith("response.output_text."):  # the API's type strings
                    continue
                if isinstance(event, ResponseOutputItemDoneEvent):  # typed: event.item
                    print("item done:", event.item.type)
                elif isinstance(event, ResponseCompletedEvent):
                    usage = event.response.usage
                    print("completed:", usage.total_tokens if usage else None, "tokens")
                else:
                    print(event.type)


if __name__ == "__main__":
    anyio.run(main)
