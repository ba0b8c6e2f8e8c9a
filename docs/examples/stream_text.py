"""Stream a response and print its text as it arrives."""

import anyio

from rillet import AsyncClient
from rillet.events import ResponseOutputTextDeltaEvent


async def main() -> None:
    async with AsyncClient() as client:  # OPENAI_API_KEY and OPENAI_BASE_URL from the environment
        stream = await client.responses.create(
            model="gpt-5-mini", input="Tell me about rivers.", stream=True
        )
        async with stream:  # closes the HTTP response however the block is left
            async for event in stream:
                if isinstance(event, ResponseOutputTextDeltaEvent):
                    print(event.delta, end="", flush=True)
    print()


if __name__ == "__main__":
    anyio.run(main)  # or anyio.run(main, backend="trio")
