"""Wait for the whole response: the text, the output items, the usage."""

import anyio

from rillet import AsyncClient


async def main() -> None:
    async with AsyncClient() as client:
        stream = await client.responses.create(
            model="gpt-5-mini", input="Tell me about rivers.", stream=True
        )
        async with stream:
            response = await stream.final_response()  # reads the rest of the stream
    print(response.output_text)
    print(response.status, response.usage.output_tokens if response.usage else None)


if __name__ == "__main__":
    anyio.run(main)
