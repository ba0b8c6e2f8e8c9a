"""What type checkers make of typed requests: mypy and pyright (strict) check this file.

It never runs (pytest collects ``test_*.py`` only). Each ``assert_type`` fails the check when a
call's type is not the one written; each ``# type: ignore[...]`` marks a call that must stay an
error (an ignore that nothing needs is itself an error, for both checkers).
"""

from __future__ import annotations

from typing import assert_type

from rillet import (
    AsyncClient,
    ChatCompletionStream,
    Client,
    ResponseStream,
    SyncChatCompletionStream,
    SyncResponseStream,
)
from rillet.events import ChatCompletion, Response
from rillet.params import (
    ChatCompletionCreateParams,
    ChatCompletionRequestMessageParam,
    FunctionToolParam,
    InputItemParam,
    ResponseCreateParams,
    ToolParam,
)

WEATHER: FunctionToolParam = {
    "type": "function",
    "name": "get_weather",
    "description": "The weather in a city.",
    "parameters": {"type": "object", "properties": {"city": {"type": "string"}}},
    "strict": True,
}
TOOLS: list[ToolParam] = [
    WEATHER,
    {"type": "function", "name": "now"},  # as a request takes it: no parameters, no strict
    {"type": "web_search"},
    {"type": "file_search", "vector_store_ids": ["vs_1"]},
    {"type": "mcp", "server_label": "docs", "server_url": "https://example.com/mcp"},
]


async def check_async_responses(client: AsyncClient, flag: bool) -> None:
    assert_type(await client.responses.create(model="gpt-5", input="Hi."), Response)
    streamed = await client.responses.create(model="gpt-5", input="Hi.", stream=True)
    assert_type(streamed, ResponseStream)
    whole = await client.responses.create(model="gpt-5", input="Hi.", stream=False)
    assert_type(whole, Response)
    either = await client.responses.create(model="gpt-5", input="Hi.", stream=flag)
    assert_type(either, ResponseStream | Response)
    response = await client.responses.create(
        model="gpt-5",
        instructions="Answer briefly.",
        input=[
            {"role": "user", "content": "What is the weather in Paris?"},
            {"role": "user", "content": [{"type": "input_text", "text": "And in Rome?"}]},
            {
                "role": "user",
                "content": [{"type": "input_image", "image_url": "https://example.com/rome.png"}],
            },
        ],
        tools=TOOLS,
        tool_choice="auto",
        text={
            "format": {
                "type": "json_schema",
                "name": "weather",
                "schema": {"type": "object", "properties": {"celsius": {"type": "number"}}},
                "strict": True,
            },
            "verbosity": "low",
        },
        reasoning={"effort": "low", "summary": "auto"},
        include=["reasoning.encrypted_content", "web_search_call.action.sources"],
        metadata={"user": "42"},
        max_output_tokens=500,
        stream_options={"include_obfuscation": False},
        timeout=30.0,
        extra_body={"a_parameter_newer_than_rillet": 1},
    )
    assert_type(response, Response)
    # What came out goes back in: output items and new messages in one list.
    again = await client.responses.create(
        model="gpt-5",
        input=[*response.output, {"role": "user", "content": "And tomorrow?"}],
        tool_choice={"type": "function", "name": "get_weather"},
        previous_response_id=response.id,
    )
    assert_type(again, Response)
    history: list[InputItemParam] = [{"role": "user", "content": "Hi."}]
    history += response.output
    history.append({"type": "function_call_output", "call_id": "call_1", "output": "18 C"})
    await client.responses.create(model="gpt-5", input=history)
    params: ResponseCreateParams = {"model": "gpt-5", "input": "Hi.", "max_retries": 0}
    assert_type(await client.responses.create(**params), Response)

    retrieved = await client.responses.retrieve("resp_1", include=["message.output_text.logprobs"])
    assert_type(retrieved, Response)
    replayed = await client.responses.retrieve(
        "resp_1", stream=True, starting_after=3, include_obfuscation=False, cache=False
    )
    assert_type(replayed, ResponseStream)

    # A misspelt parameter, a value of the wrong type, a value the API does not know of.
    await client.responses.create(model="gpt-5", input="Hi.", temprature=0.2)  # type: ignore[call-overload]  # pyright: ignore[reportCallIssue]
    await client.responses.create(model="gpt-5", input=42)  # type: ignore[call-overload]  # pyright: ignore[reportArgumentType]
    await client.responses.create(model="gpt-5", reasoning={"effort": "most"})  # type: ignore[call-overload]  # pyright: ignore[reportArgumentType]
    await client.responses.create(model="gpt-5", include=["everything"])  # type: ignore[list-item]  # pyright: ignore[reportArgumentType]
    await client.responses.retrieve("resp_1", include_obfuscation=False)  # type: ignore[call-overload]  # pyright: ignore[reportCallIssue]


async def check_async_chat(client: AsyncClient, flag: bool) -> None:
    messages: list[ChatCompletionRequestMessageParam] = [
        {"role": "developer", "content": "Answer briefly."},
        {"role": "user", "content": "What is the weather in Paris?"},
    ]
    completion = await client.chat.completions.create(model="gpt-5", messages=messages)
    assert_type(completion, ChatCompletion)
    stream = await client.chat.completions.create(model="gpt-5", messages=messages, stream=True)
    assert_type(stream, ChatCompletionStream)
    same = await client.chat.completions.create(model="gpt-5", messages=messages, stream=False)
    assert_type(same, ChatCompletion)
    either = await client.chat.completions.create(model="gpt-5", messages=messages, stream=flag)
    assert_type(either, ChatCompletionStream | ChatCompletion)
    streamed = await client.chat.completions.create(
        model="gpt-5",
        messages=messages,
        stream=True,
        stream_options={"include_usage": True},
        tools=[
            {
                "type": "function",
                "function": {
                    "name": "get_weather",
                    "parameters": {"type": "object", "properties": {}},
                },
            }
        ],
        tool_choice={"type": "function", "function": {"name": "get_weather"}},
        response_format={
            "type": "json_schema",
            "json_schema": {"name": "weather", "schema": {"type": "object"}, "strict": True},
        },
        reasoning_effort="low",
        metadata={"user": "42"},
        stop=["\n\n"],
        temperature=0.2,
        cache=False,
    )
    assert_type(streamed, ChatCompletionStream)
    # What came out goes back in: the assistant's message, and its tool calls.
    message = completion.choices[0].message
    await client.chat.completions.create(model="gpt-5", messages=[*messages, message])
    messages.append(message)
    messages.append({"role": "assistant", "content": None, "tool_calls": message.tool_calls or []})
    messages.append({"role": "tool", "tool_call_id": "call_1", "content": "18 C"})
    params: ChatCompletionCreateParams = {"model": "gpt-5", "messages": messages}
    assert_type(await client.chat.completions.create(**params), ChatCompletion)

    await client.chat.completions.create(model="gpt-5", messages=[], temprature=0.2)  # type: ignore[call-overload]  # pyright: ignore[reportCallIssue]
    await client.chat.completions.create(model="gpt-5")  # type: ignore[call-overload]  # pyright: ignore[reportCallIssue]
    await client.chat.completions.create(model="gpt-5", messages=[{"role": "robot"}])  # type: ignore[list-item]  # pyright: ignore[reportArgumentType]


def check_blocking(client: Client, flag: bool) -> None:
    assert_type(client.responses.create(model="gpt-5", input="Hi."), Response)
    assert_type(
        client.responses.create(model="gpt-5", input="Hi.", stream=True), SyncResponseStream
    )
    assert_type(client.responses.create(model="gpt-5", input="Hi.", stream=False), Response)
    either = client.responses.create(model="gpt-5", input="Hi.", stream=flag)
    assert_type(either, SyncResponseStream | Response)
    response = client.responses.create(model="gpt-5", input="Hi.", tools=TOOLS)
    client.responses.create(
        model="gpt-5", input=[*response.output, {"role": "user", "content": "Go on."}]
    )
    assert_type(client.responses.retrieve("resp_1", include=["file_search_call.results"]), Response)
    assert_type(client.responses.retrieve("resp_1", stream=flag), SyncResponseStream | Response)

    messages: list[ChatCompletionRequestMessageParam] = [{"role": "user", "content": "Hi."}]
    completion = client.chat.completions.create(model="gpt-5", messages=messages)
    assert_type(completion, ChatCompletion)
    chunks = client.chat.completions.create(model="gpt-5", messages=messages, stream=True)
    assert_type(chunks, SyncChatCompletionStream)
    assert_type(
        client.chat.completions.create(model="gpt-5", messages=messages, stream=False),
        ChatCompletion,
    )
    maybe = client.chat.completions.create(model="gpt-5", messages=messages, stream=flag)
    assert_type(maybe, SyncChatCompletionStream | ChatCompletion)
    messages.append(completion.choices[0].message)
    client.chat.completions.create(model="gpt-5", messages=messages, max_completion_tokens=100)

    client.responses.create(model="gpt-5", input="Hi.", temprature=0.2)  # type: ignore[call-overload]  # pyright: ignore[reportCallIssue]
    client.chat.completions.create(model="gpt-5", messages=messages, stream_option={})  # type: ignore[call-overload]  # pyright: ignore[reportCallIssue]
