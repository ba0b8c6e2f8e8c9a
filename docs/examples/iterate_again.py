"""A stream keeps its events: iterating it again replays them, so a ``break`` loses nothing."""

import anyio

from rillet import AsyncClient
from rillet.events import ResponseOutputTextDeltaEvent


async def main() -> None:
    async with AsyncClient() as client:
        stream = await client.responses.create(
            model="gpt-5-mini", input="Tell me about rivers.", stream=True
        )
        async with stream:
            async for event in stream:
                if isinstance(event, ResponseOutputTextDeltaEvent):
                    print("first word:", event.delta.strip())
                    break  # stop reading for now...
            async for text in stream.text_deltas():  # ...then all the text, from the start
                print(text, end="")
            print()
            # The stream has ended; one more pass replays every event from memory.
            print(sum([1 async for _ in stream]), "events")


if __name__ == "__main__":
    anyio.run(main)
