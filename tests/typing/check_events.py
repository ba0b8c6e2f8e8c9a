"""What type checkers see of events, handlers and errors: run by mypy --strict and pyright strict.

Not collected by pytest (nothing here runs): the checkers read it. Every ``assert_type`` must hold,
and every ``# type: ignore[...]`` (mypy's) and ``# pyright: ignore[...]`` must silence a real
error (mypy's ``warn_unused_ignores``, pyright's ``reportUnnecessaryTypeIgnoreComment``), so that
a spelling that stops narrowing, or a wrong handler that stops being rejected, fails the run.
"""

from __future__ import annotations

from typing import assert_type

from rillet import (
    AsyncClient,
    Client,
    DispatchContext,
    HandlerError,
    ResponseFailedError,
    Router,
    StreamError,
)
from rillet.events import (
    AnyNeutralEvent,
    ChatCompletion,
    ChatCompletionChunk,
    ChatCompletionEvent,
    ChatContentDeltaEvent,
    DeltaEvent,
    EndReason,
    Event,
    FinishReason,
    FunctionCallItem,
    InvalidEvent,
    NeutralEvent,
    NeutralResult,
    OutputTextContent,
    Response,
    ResponseCompletedEvent,
    ResponseEvent,
    ResponseFunctionCallArgumentsDoneEvent,
    ResponseOutputTextDeltaEvent,
    ResponseRefusalDeltaEvent,
    ResponseStatus,
    ResponseWebSearchCallCompletedEvent,
    TextDelta,
    ToolCallDone,
    UnknownEvent,
    UnknownItem,
)


async def iteration(client: AsyncClient) -> None:
    stream = await client.responses.create(model="m", input="hi", stream=True)
    async with stream:
        async for event in stream:
            assert_type(event, ResponseEvent)
            narrowing(event)
        async for any_event in stream.events():
            assert_type(any_event, ResponseEvent | AnyNeutralEvent)
            if any_event.type == "text.delta":  # a neutral event narrows like the others
                assert_type(any_event, TextDelta)
                assert_type(any_event.text, str)
            elif any_event.type == "finished":
                assert_type(any_event.reason, EndReason)
        neutral = (await stream.final_response()).neutral()
        assert_type(neutral, NeutralResult)
        async for text in stream.text_deltas():
            assert_type(text, str)
        final = await stream.final_response()
        assert_type(final, Response)
        assert_type(final.status, ResponseStatus | None)
        assert_type(stream.snapshot, Response | None)


def narrowing(event: ResponseEvent) -> None:
    if event.type == "response.output_text.delta":
        assert_type(event, ResponseOutputTextDeltaEvent)
        assert_type(event.delta, str)
    elif event.type == "response.completed":
        assert_type(event.response, Response)
    elif event.type == "response.web_search_call.completed":  # a class built on first use
        assert_type(event, ResponseWebSearchCallCompletedEvent)
    elif event.type == "unknown":
        assert_type(event, UnknownEvent)
        assert_type(event.event_type, str)
    elif event.type == "invalid":
        assert_type(event, InvalidEvent)
    if event.type != "invalid":
        assert_type(event.sequence_number, int | None)


def items(response: Response) -> None:
    for item in response.output:
        if item.type == "function_call":
            assert_type(item, FunctionCallItem)
            assert_type(item.call_id, str)
        elif item.type == "message":
            for part in item.content:
                if part.type == "output_text":
                    assert_type(part, OutputTextContent)
                elif part.type == "unknown":
                    assert_type(part.part_type, str)
        elif item.type == "unknown":
            assert_type(item, UnknownItem)
            assert_type(item.item_type, str)


def matching(event: ResponseEvent) -> None:
    match event.type:
        case "response.output_text.delta":
            assert_type(event, ResponseOutputTextDeltaEvent)
        case "response.completed" | "response.failed":
            assert_type(event.response, Response)
        case _:
            pass
    match event:
        case ResponseOutputTextDeltaEvent(delta=delta):
            assert_type(delta, str)
        case ResponseFunctionCallArgumentsDoneEvent(arguments=arguments, name=name):
            assert_type(arguments, str)
            assert_type(name, str | None)
        case _:
            pass
    if isinstance(event, DeltaEvent):
        assert_type(event.delta, str)
        kind: str = event.type
        assert kind


async def chat(client: AsyncClient) -> None:
    stream = await client.chat.completions.create(
        model="m", messages=[{"role": "user", "content": "hi"}], stream=True
    )
    async with stream:
        async for chunk in stream:
            assert_type(chunk, ChatCompletionChunk)
        async for event in stream.events():
            assert_type(event, ChatCompletionEvent | AnyNeutralEvent)
            if event.type == "chat.content.delta":
                assert_type(event, ChatContentDeltaEvent)
                assert_type(event.choice_index, int)
            elif event.type == "text.delta":
                assert_type(event, TextDelta)
                assert_type(event.choice, int)
            elif event.type == "tool_call.done":
                assert_type(event, ToolCallDone)
        completion = await stream.final_response()
        assert_type(completion, ChatCompletion)
        assert_type(completion.choices[0].finish_reason, FinishReason | None)


def blocking(client: Client) -> None:
    with client.responses.create(model="m", input="hi", stream=True) as stream:
        for event in stream:
            assert_type(event, ResponseEvent)
            if event.type == "response.output_text.delta":
                assert_type(event.delta, str)
        assert_type(stream.get_final_response(), Response)
    with client.chat.completions.create(model="m", messages=[], stream=True) as chat_stream:
        for chat_event in chat_stream.events():
            assert_type(chat_event, ChatCompletionEvent | AnyNeutralEvent)
        assert_type(chat_stream.get_final_response().neutral(), NeutralResult)


router = Router()


@router.on("response.output_text.delta")
def by_type_string(event: ResponseOutputTextDeltaEvent) -> None: ...


@router.on("response.output_text.delta")
async def by_type_string_with_context(
    event: ResponseOutputTextDeltaEvent, context: DispatchContext[Response]
) -> None:
    assert_type(context.snapshot, Response | None)


@router.on("response.completed")  # type: ignore[arg-type]  # pyright: ignore[reportArgumentType, reportCallIssue, reportUntypedFunctionDecorator]
def for_another_type(event: ResponseOutputTextDeltaEvent) -> None: ...


@router.on("response.completed")  # type: ignore[arg-type]  # pyright: ignore[reportArgumentType, reportCallIssue, reportUntypedFunctionDecorator]
def not_a_handler(a: int, b: int, c: int) -> None: ...


@router.on(ResponseCompletedEvent)
def by_class(event: ResponseCompletedEvent) -> None: ...


@router.on(ResponseCompletedEvent)  # type: ignore[arg-type]  # pyright: ignore[reportArgumentType, reportCallIssue, reportUntypedFunctionDecorator]
def by_another_class(event: ResponseOutputTextDeltaEvent) -> None: ...


@router.on(ResponseOutputTextDeltaEvent, ResponseRefusalDeltaEvent)
def by_two_classes(event: ResponseOutputTextDeltaEvent | ResponseRefusalDeltaEvent) -> None: ...


@router.on(DeltaEvent)
def by_base_class(event: DeltaEvent) -> None:
    assert_type(event.delta, str)


@router.on("response.*")
def by_glob(event: Event) -> None: ...


@router.on("response.*")  # type: ignore[arg-type]  # pyright: ignore[reportArgumentType, reportCallIssue, reportUntypedFunctionDecorator]
def by_glob_too_narrow(event: ResponseOutputTextDeltaEvent) -> None: ...


@router.on("unknown")
def unknown_events(event: UnknownEvent) -> None: ...


@router.on(TextDelta)
def neutral_by_class(event: TextDelta) -> None:
    assert_type(event.text, str)


@router.on("text.delta")
def neutral_by_type_string(event: TextDelta, context: DispatchContext[object]) -> None: ...


@router.on("text.delta")  # type: ignore[arg-type]  # pyright: ignore[reportArgumentType, reportCallIssue, reportUntypedFunctionDecorator]
def neutral_for_another_type(event: ResponseOutputTextDeltaEvent) -> None: ...


@router.on("tool_call.done")
def neutral_tool_call(event: ToolCallDone) -> None:
    assert_type(event.arguments, str)


@router.on(NeutralEvent)
def any_neutral(event: NeutralEvent) -> None: ...


delta = ResponseOutputTextDeltaEvent(item_id="i", output_index=0, content_index=0, delta="d")
assert_type(by_type_string(delta), None)


@router.on_start
def started(context: DispatchContext[Response]) -> None: ...


@router.on_error
def failed(error: Exception) -> None: ...


@router.on_end
def ended() -> None: ...


async def errors(client: AsyncClient) -> None:
    stream = await client.responses.create(model="m", input="hi", stream=True)
    try:
        await stream.final_response()
    except ResponseFailedError as error:
        assert_type(error.partial, Response | None)
    except StreamError as error:
        # pyright applies the type variable's default here; mypy, Any.
        partial: Response | ChatCompletion | None = error.partial
        assert partial
    except HandlerError as error:
        assert_type(error.event, Event | None)


def on_a_responses_stream(error: StreamError[Response]) -> None:
    assert_type(error.partial, Response | None)
