"""Timeouts that catch a stalled or slow stream, and typed errors that keep what was received."""

import anyio

from rillet import APIStatusError, APITimeoutError, AsyncClient, StreamError, Timeouts


async def main() -> None:
    # idle: at most 5 s between two events; total: 1 s for the whole stream, whatever happens.
    async with AsyncClient(timeout=Timeouts(idle=5, total=1)) as client:
        try:
            stream = await client.responses.create(
                model="gpt-5-mini",
                input="Tell me about rivers.",
                stream=True,
                extra_headers={"x-rillet-delay": "0.1"},  # asks the emulator for a slow stream
            )
            async with stream:
                try:
                    response = await stream.final_response()
                    print(response.output_text)
                except APITimeoutError as error:  # what arrived is kept
                    so_far = stream.snapshot.output_text if stream.snapshot else ""
                    print(f"{error.kind} timeout after {len(so_far.split())} words: {so_far!r}")
                except StreamError as error:  # cut, failed, or an error event: error.partial
                    print("stream error:", error)
        except APIStatusError as error:  # a 4xx/5xx answer (after retries), with its details
            print(error.status_code, error.code, error.message)


if __name__ == "__main__":
    anyio.run(main)
