"""A trio service that answers many questions at once, each with its own deadline.

Every question gets a task in one nursery; a ``CapacityLimiter`` bounds how many streams are
open at a time, and ``trio.move_on_after`` gives each stream its deadline. A stream that runs
out of time is closed and its answer so far is kept. Results go out on a channel as each stream
finishes, so the slowest question delays no one.

Run it with ``python trio_service.py "first question" "second question" ...``; it prints a JSON
line per answer (``OPENAI_BASE_URL`` may point at ``rillet serve``).
"""

import json
import sys
from dataclasses import asdict, dataclass

import trio

from rillet import AsyncClient, ResponseStream, RilletError


@dataclass(frozen=True)
class Job:
    """A question, and how many seconds its answer may take."""

    question: str
    deadline: float = 30.0


@dataclass(frozen=True)
class Answer:
    """What became of a job: ``completed``, ``incomplete``, ``timed out`` or ``failed``."""

    question: str
    status: str
    text: str
    output_tokens: int | None = None


async def answer(client: AsyncClient, job: Job, limiter: trio.CapacityLimiter) -> Answer:
    """Stream one answer, within the job's deadline; on time out, the text so far."""
    stream: ResponseStream | None = None
    with trio.move_on_after(job.deadline):
        async with limiter:
            try:
                stream = await client.responses.create(
                    model="gpt-5-mini", input=job.question, stream=True
                )
                async with stream:
                    response = await stream.final_response()
            except RilletError as error:
                return Answer(job.question, "failed", str(error))
        usage = response.usage
        tokens = usage.output_tokens if usage else None
        return Answer(job.question, response.status or "completed", response.output_text, tokens)
    so_far = stream.snapshot if stream else None  # the stream is closed; what it read is kept
    return Answer(job.question, "timed out", so_far.output_text if so_far else "")


async def answer_all(
    client: AsyncClient,
    jobs: list[Job],
    results: trio.MemorySendChannel[Answer],
    *,
    concurrency: int = 100,
) -> None:
    """Answer every job concurrently; send each answer to ``results`` as soon as it is ready."""
    limiter = trio.CapacityLimiter(concurrency)

    async def one(job: Job) -> None:
        await results.send(await answer(client, job, limiter))

    async with results, trio.open_nursery() as nursery:
        for job in jobs:
            nursery.start_soon(one, job)


async def main() -> None:
    jobs = [Job(question, deadline=10) for question in sys.argv[1:]] or [Job("Hi!")]
    send, receive = trio.open_memory_channel[Answer](0)
    async with AsyncClient() as client, trio.open_nursery() as nursery:
        nursery.start_soon(answer_all, client, jobs, send)
        async with receive:
            async for result in receive:
                print(json.dumps(asdict(result)))


if __name__ == "__main__":
    trio.run(main)
