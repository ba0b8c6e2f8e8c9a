"""What type checkers see of the views every provider's streams share: stats and tool arguments.

Not collected by pytest (nothing here runs): mypy --strict and pyright strict read it. Every
``assert_type`` must hold, and every ignore comment must silence a real error.
"""

from __future__ import annotations

from typing import Any, assert_type

from rillet import (
    AsyncClient,
    ChatCompletionAccumulator,
    Client,
    DispatchContext,
    ResponseAccumulator,
    Router,
    StreamStats,
    anthropic,
    gemini,
)
from rillet.events import (
    ChatToolCallArgumentsDeltaEvent,
    CompletionUsage,
    ResponseFunctionCallArgumentsDeltaEvent,
    ResponseUsage,
    TextDelta,
    ToolCallArgumentsDelta,
    ToolCallDone,
    ToolCallStarted,
)

ASK: list[anthropic.MessageParam] = [{"role": "user", "content": "hi"}]


async def usage_of_each_stream(
    openai: AsyncClient, claude: anthropic.AsyncClient, google: gemini.AsyncClient
) -> None:
    async with await openai.responses.create(model="m", input="hi", stream=True) as responses:
        assert_type(responses.stats, StreamStats[ResponseUsage])
        assert_type(responses.stats.usage, ResponseUsage | None)
        assert_type(responses.accumulator, ResponseAccumulator)
    chat = await openai.chat.completions.create(model="m", messages=[], stream=True)
    async with chat:
        assert_type(chat.stats.usage, CompletionUsage | None)
        assert_type(chat.accumulator, ChatCompletionAccumulator)
    messages = await claude.messages.create(model="m", max_tokens=1, messages=ASK, stream=True)
    async with messages:
        assert_type(messages.stats.usage, anthropic.Usage | None)
        assert_type(messages.accumulator, anthropic.MessageAccumulator)
    chunks = await google.models.generate_content(model="m", contents="hi", stream=True)
    async with chunks:
        assert_type(chunks.stats.usage, gemini.UsageMetadata | None)
        assert_type(chunks.accumulator, gemini.GeminiAccumulator)


def usage_of_each_blocking_stream(
    openai: Client, claude: anthropic.Client, google: gemini.Client
) -> None:
    with openai.responses.create(model="m", input="hi", stream=True) as responses:
        assert_type(responses.stats.usage, ResponseUsage | None)
    with openai.chat.completions.create(model="m", messages=[], stream=True) as chat:
        assert_type(chat.stats.usage, CompletionUsage | None)
    with claude.messages.create(model="m", max_tokens=1, messages=ASK, stream=True) as messages:
        assert_type(messages.stats.usage, anthropic.Usage | None)
    with google.models.generate_content(model="m", contents="hi", stream=True) as chunks:
        assert_type(chunks.stats.usage, gemini.UsageMetadata | None)


def any_stats(stats: StreamStats) -> None:
    """Unparametrized (a handler's context, a user's annotation): any provider's usage."""
    assert_type(stats.usage, Any | None)


router = Router()


@router.on(ToolCallStarted, ToolCallArgumentsDelta, ToolCallDone)
def neutral_arguments(
    event: ToolCallStarted | ToolCallArgumentsDelta | ToolCallDone,
    context: DispatchContext[object],
) -> None:
    """A provider-neutral handler: the same call on every stream."""
    context.partial_arguments(event)
    assert_type(context.stats, StreamStats[Any])


@router.on(anthropic.ContentBlockDeltaEvent)
def anthropic_arguments(
    event: anthropic.ContentBlockDeltaEvent, context: DispatchContext[anthropic.Message]
) -> None:
    context.partial_arguments(event)


@router.on(ResponseFunctionCallArgumentsDeltaEvent, ChatToolCallArgumentsDeltaEvent)
def openai_arguments(
    event: ResponseFunctionCallArgumentsDeltaEvent | ChatToolCallArgumentsDeltaEvent,
    context: DispatchContext[object],
) -> None:
    context.partial_arguments(event)


@router.on(TextDelta)
def not_about_arguments(event: TextDelta, context: DispatchContext[object]) -> None:
    context.partial_arguments(event)  # type: ignore[arg-type]  # pyright: ignore[reportArgumentType]


async def on_each_stream(
    openai: AsyncClient, claude: anthropic.AsyncClient, google: gemini.AsyncClient
) -> None:
    done = ToolCallDone(index=0, id="call", name="f", arguments="{}")
    responses = await openai.responses.create(model="m", input="hi", stream=True)
    responses.partial_arguments(done)
    chat = await openai.chat.completions.create(model="m", messages=[], stream=True)
    chat.partial_arguments(done)
    messages = await claude.messages.create(model="m", max_tokens=1, messages=ASK, stream=True)
    messages.partial_arguments(done)
    chunks = await google.models.generate_content(model="m", contents="hi", stream=True)
    chunks.partial_arguments(done)
    chunks.partial_arguments(TextDelta(text="t"))  # type: ignore[arg-type]  # pyright: ignore[reportArgumentType]
