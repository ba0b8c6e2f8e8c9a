"""Closing streams: the connection goes back to the pool, or is closed, whatever happens."""

import anyio

from rillet import AsyncClient


async def main() -> None:
    async with AsyncClient() as client:  # leaving this block closes every connection
        # 1. `async with stream`: closed however the block is left (break, return, an error).
        stream = await client.responses.create(
            model="gpt-5-mini", input="Tell me about rivers.", stream=True
        )
        seen = 0
        async with stream:
            async for event in stream:
                seen += 1
                if event.type == "response.output_item.added":
                    break  # enough: the rest is not read, the connection is closed
        print("closed after", seen, "events")

        # 2. By hand, when the stream outlives a block: `aclose()` (closing twice is fine).
        stream = await client.responses.create(
            model="gpt-5-mini", input="Tell me about rivers.", stream=True
        )
        try:
            text = [delta async for delta in stream.text_deltas()]
        finally:
            await stream.aclose()
        print("read", len(text), "deltas")

        # 3. Cancellation: a cancel scope (or a timeout) around the reading closes it too.
        with anyio.move_on_after(5) as scope:
            stream = await client.responses.create(
                model="gpt-5-mini", input="Tell me about rivers.", stream=True
            )
            async with stream:
                await stream.final_response()
        print("cancelled" if scope.cancelled_caught else "finished in time")


if __name__ == "__main__":
    anyio.run(main)
