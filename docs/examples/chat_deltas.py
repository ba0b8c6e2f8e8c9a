"""Stream a Chat Completion: each chunk's ``choices[0].delta``, as with the official SDK."""

import anyio

from rillet import AsyncClient


async def main() -> None:
    async with AsyncClient() as client:
        stream = await client.chat.completions.create(
            model="gpt-5-mini",
            messages=[{"role": "user", "content": "Tell me about rivers."}],
            stream=True,
            stream_options={"include_usage": True},
        )
        async with stream:
            async for chunk in stream:
                if chunk.choices and chunk.choices[0].delta.content:
                    print(chunk.choices[0].delta.content, end="", flush=True)
            completion = await stream.final_response()  # the whole ChatCompletion
    print()
    usage = completion.usage
    print(completion.choices[0].finish_reason, usage.total_tokens if usage else None, "tokens")


if __name__ == "__main__":
    anyio.run(main)
