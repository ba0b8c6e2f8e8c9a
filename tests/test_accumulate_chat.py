"""ChatCompletionAccumulator: differential against the openai package, events, edge cases."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from openai._models import construct_type
from openai.lib.streaming.chat import ChatCompletionStreamState
from openai.types.chat import ChatCompletionChunk as OpenAIChunk

from corpus_files import manifest, read
from rillet import ChatCompletionAccumulator, ServerStreamError, StreamTruncatedError
from rillet.events import (
    ChatCompletion,
    ChatCompletionChunk,
    ChatContentDeltaEvent,
    ChatContentDoneEvent,
    ChatEvent,
    ChatToolCallArgumentsDeltaEvent,
    ChatToolCallArgumentsDoneEvent,
    ChoiceDelta,
    ChoiceDeltaFunctionCall,
    ChoiceDeltaToolCall,
    ChunkChoice,
    FinishReason,
    parse_chat_chunk,
)
from rillet.sse import SSEDecoder

CHATS = [e["file"] for e in manifest() if e["file"].startswith("chat/")]


def payloads(name: str) -> list[bytes]:
    events = SSEDecoder().feed(read(name))
    assert events[-1].raw_data == b"[DONE]"
    return [e.raw_data for e in events[:-1]]


def accumulate(name: str) -> tuple[ChatCompletionAccumulator, list[ChatEvent]]:
    accumulator = ChatCompletionAccumulator()
    derived: list[ChatEvent] = []
    for data in payloads(name):  # the chat events (the neutral ones: test_neutral.py)
        derived += [e for e in accumulator.add(parse_chat_chunk(data)) if isinstance(e, ChatEvent)]
    accumulator.close()
    return accumulator, derived


def openai_snapshot(name: str) -> dict[str, Any]:
    state: ChatCompletionStreamState[object] = ChatCompletionStreamState()
    for data in payloads(name):
        chunk = construct_type(type_=OpenAIChunk, value=json.loads(data))
        assert isinstance(chunk, OpenAIChunk)
        state.handle_chunk(chunk)
    snapshot: dict[str, Any] = state.current_completion_snapshot.model_dump()
    return snapshot


def without_nulls(value: Any) -> Any:
    """JSON with null members dropped: the SDK's model_dump adds them for fields never sent."""
    if isinstance(value, dict):
        return {k: without_nulls(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [without_nulls(v) for v in value]
    return value


def comparable(completion: dict[str, Any]) -> dict[str, Any]:
    choices = []
    for choice in sorted(completion["choices"], key=lambda c: c["index"]):
        message = choice["message"]
        choices.append(
            {
                "index": choice["index"],
                "finish_reason": choice["finish_reason"],
                "role": message.get("role"),
                "content": message.get("content"),
                "refusal": message.get("refusal"),
                "tool_calls": [
                    (
                        call["id"],
                        call["type"],
                        call["function"]["name"],
                        call["function"]["arguments"],
                    )
                    for call in message.get("tool_calls") or []
                ],
                "logprobs": without_nulls(choice.get("logprobs")),
            }
        )
    fields = ("id", "model", "created", "system_fingerprint", "service_tier", "usage")
    return {**{k: without_nulls(completion.get(k)) for k in fields}, "choices": choices}


# Where the SDK's snapshot is wrong, and why (rillet's value is what the server sent):
SDK_BUGS: dict[str, set[str]] = {
    # A later chunk with "usage": null erases the usage reported just before it.
    "chat/moderation_chunk_2026.sse": {"usage"},
    # Azure's first chunk is a content-filter result with an empty id, model and created:
    # the SDK takes the completion's identity from it, so its completion has id "".
    "chat/azure_prompt_filter_results.sse": {"id", "model", "created"},
}


@pytest.mark.parametrize("name", CHATS)
def test_the_completion_equals_the_openai_packages_field_for_field(name: str) -> None:
    accumulator, _ = accumulate(name)
    mine = comparable(accumulator.result().to_dict())
    theirs = comparable(openai_snapshot(name))
    differing = {key for key in mine if mine[key] != theirs[key]}
    assert differing == SDK_BUGS.get(name, set())
    if "usage" in differing:
        assert mine["usage"] is not None
        assert theirs["usage"] is None
    if "id" in differing:
        assert theirs["id"] == ""
        assert mine["id"].startswith("chatcmpl-")


@pytest.mark.parametrize("name", CHATS)
def test_derived_events_add_up_to_the_completion(name: str) -> None:
    accumulator, derived = accumulate(name)
    completion = accumulator.result()
    for choice in completion.choices:
        mine = [e for e in derived if e.choice_index == choice.index]
        content = "".join(e.delta for e in mine if isinstance(e, ChatContentDeltaEvent))
        assert content == (choice.message.content or "")
        done = [e for e in mine if isinstance(e, ChatContentDoneEvent)]
        assert [e.content for e in done] == ([content] if content else [])
        if done:  # a done event comes after all of its deltas
            deltas = [i for i, e in enumerate(derived) if isinstance(e, ChatContentDeltaEvent)]
            assert derived.index(done[0]) > max(deltas)
        calls = choice.message.tool_calls or []
        finished = [e for e in mine if isinstance(e, ChatToolCallArgumentsDoneEvent)]
        assert [(e.id, e.name, e.arguments) for e in finished] == [
            (c.id, c.function.name, c.function.arguments) for c in calls
        ]
        for call_index, call in enumerate(calls):
            pieces = [
                e.delta
                for e in mine
                if isinstance(e, ChatToolCallArgumentsDeltaEvent) and e.index == call_index
            ]
            assert "".join(pieces) == call.function.arguments


def test_parallel_tool_calls_finish_in_order_as_the_next_one_starts() -> None:
    _, derived = accumulate("chat/tool_calls_parallel_streamed_args.sse")
    kinds = [(type(e).__name__, getattr(e, "index", None)) for e in derived]
    first_done = kinds.index(("ChatToolCallArgumentsDoneEvent", 0))
    second_delta = kinds.index(("ChatToolCallArgumentsDeltaEvent", 1))
    assert first_done < second_delta  # call 0 is done when call 1 starts, not at the end


def test_usage_is_not_erased_by_a_later_null() -> None:
    accumulator, _ = accumulate("chat/moderation_chunk_2026.sse")
    usage = accumulator.result().usage
    assert usage is not None
    assert usage.total_tokens > 0


def test_an_error_payload_is_a_typed_error_with_the_partial_completion() -> None:
    accumulator = ChatCompletionAccumulator()
    for data in payloads("chat/plain_text_no_usage.sse")[:4]:
        accumulator.add(parse_chat_chunk(data))
    error = parse_chat_chunk(b'{"error":{"message":"overloaded","type":"server_error"}}')
    with pytest.raises(ServerStreamError, match="overloaded") as caught:
        accumulator.add(error)
    assert caught.value.error_type == "server_error"
    assert isinstance(caught.value.partial, ChatCompletion)
    assert caught.value.partial.choices[0].message.content


def test_a_stream_cut_before_finish_reason_is_truncated() -> None:
    accumulator = ChatCompletionAccumulator()
    with pytest.raises(StreamTruncatedError, match="no choices"):
        accumulator.result()
    for data in payloads("chat/n2_choices_text.sse")[:30]:
        accumulator.add(parse_chat_chunk(data))
    accumulator.close()
    with pytest.raises(StreamTruncatedError, match="have no finish_reason") as caught:
        accumulator.result()
    assert isinstance(caught.value.partial, ChatCompletion)
    assert len(caught.value.partial.choices) == 2


def test_the_legacy_function_call_is_merged() -> None:
    accumulator = ChatCompletionAccumulator()
    steps: list[tuple[str | None, str | None, FinishReason | None]] = [
        ("get_", None, None),
        ("weather", '{"ci', None),
        (None, 'ty":1}', "function_call"),
    ]
    for name, arguments, finish in steps:
        accumulator.add(
            ChatCompletionChunk(
                id="c",
                choices=[
                    ChunkChoice(
                        index=0,
                        delta=ChoiceDelta(
                            function_call=ChoiceDeltaFunctionCall(name=name, arguments=arguments)
                        ),
                        finish_reason=finish,
                    )
                ],
            )
        )
    call = accumulator.result().choices[0].message.function_call
    assert call is not None
    assert (call.name, call.arguments) == ("get_weather", '{"city":1}')


fragments = st.lists(st.text(max_size=6), max_size=8)


@given(
    contents=st.lists(fragments, min_size=1, max_size=3),
    calls=st.lists(st.tuples(st.text(min_size=1, max_size=5), fragments), max_size=3),
)
def test_generated_chunks_accumulate_to_their_joined_fragments(
    contents: list[list[str]], calls: list[tuple[str, list[str]]]
) -> None:
    accumulator = ChatCompletionAccumulator()
    derived: list[ChatEvent] = []

    def add(index: int, delta: ChoiceDelta, finish: FinishReason | None = None) -> None:
        chunk = ChatCompletionChunk(
            id="c", choices=[ChunkChoice(index=index, delta=delta, finish_reason=finish)]
        )
        derived.extend(e for e in accumulator.add(chunk) if isinstance(e, ChatEvent))

    for index, pieces in enumerate(contents):  # n > 1 choices, content in fragments
        add(index, ChoiceDelta(role="assistant", content=""))
        for piece in pieces:
            add(index, ChoiceDelta(content=piece))
    for call_index, (name, pieces) in enumerate(calls):  # tool calls on the first choice
        first = ChoiceDeltaToolCall(
            index=call_index,
            id=f"call_{call_index}",
            type="function",
            function=ChoiceDeltaFunctionCall(name=name, arguments=""),
        )
        add(0, ChoiceDelta(tool_calls=[first]))
        for piece in pieces:
            fragment = ChoiceDeltaToolCall(
                index=call_index, function=ChoiceDeltaFunctionCall(arguments=piece)
            )
            add(0, ChoiceDelta(tool_calls=[fragment]))
    for index in range(len(contents)):
        add(index, ChoiceDelta(), "stop")
    completion = accumulator.result()
    assert [c.message.content for c in completion.choices] == ["".join(p) for p in contents]
    tools = completion.choices[0].message.tool_calls or []
    assert [(t.function.name, t.function.arguments) for t in tools] == [
        (name, "".join(pieces)) for name, pieces in calls
    ]
    done = [e for e in derived if isinstance(e, ChatToolCallArgumentsDoneEvent)]
    assert [e.index for e in done] == list(range(len(calls)))
