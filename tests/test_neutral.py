"""The provider-neutral events of OpenAI streams agree with their final results, on every file.

Every recording of the corpus is streamed from the emulator on 127.0.0.1 (asyncio, trio and the
blocking client); the neutral events ``events()`` yields are checked against the final result's
``neutral()``, and that against the recording's own JSON (read with ``json`` alone): the joined
text deltas are the text, each tool call starts and ends once with the arguments its deltas
make, one ``Finished`` comes last with the reason the recording's end maps to, and the usage is
the recording's.
"""

from __future__ import annotations

import itertools
import json
from collections import defaultdict
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import httpx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from clients import API_KEY, FAST
from conftest import Served
from corpus_files import manifest, read
from rillet import AsyncClient, Client, Router, ServerStreamError
from rillet._protocols import ChatProtocol, ResponsesProtocol, StreamProtocol
from rillet.events import (
    NEUTRAL_EVENT_TYPES,
    ChatCompletion,
    Event,
    Finished,
    NeutralEvent,
    NeutralResult,
    ReasoningDelta,
    Response,
    ResponseOutputTextDeltaEvent,
    TextDelta,
    TextDone,
    ToolCallArgumentsDelta,
    ToolCallDone,
    ToolCallStarted,
    UsageReported,
)
from rillet.sse import SSEDecoder
from rillet.testing import Emulator, ReplayTransport

RESPONSES = [e["file"] for e in manifest() if e["file"].startswith("responses/")]
CHATS = [e["file"] for e in manifest() if e["file"].startswith("chat/")]
ERRORS = {"responses/error_insufficient_quota_failed.sse"}  # an ``error`` event ends it


def payloads(name: str) -> list[Any]:
    """The JSON of each event of a recording, read with ``json`` alone (no rillet)."""
    found: list[Any] = []
    for block in read(name).decode().split("\n\n"):
        data = [line[6:] for line in block.split("\n") if line.startswith("data: ")]
        if data and data != ["[DONE]"]:
            found.append(json.loads("\n".join(data)))
    return found


# -- what the recordings say (json alone) ----------------------------------------------------


def recorded_responses(name: str) -> dict[str, Any]:
    """The end of a Responses recording: its reason, text, function calls and usage."""
    for payload in payloads(name):
        if payload["type"] == "error":
            error = payload.get("error") or payload  # nested in newer streams
            code = error.get("code") or error.get("type")
            return {"reason": "error", "provider_reason": code, "usage": None}
        if payload["type"] not in {"response.completed", "response.incomplete"}:
            continue
        response = payload["response"]
        output = response["output"]
        calls = [
            (item["call_id"], item["name"], item["arguments"])
            for item in output
            if item["type"] == "function_call"
        ]
        if response["status"] == "completed":
            reason, provider_reason = ("tool_calls" if calls else "stop"), "completed"
        else:
            provider_reason = response["incomplete_details"]["reason"]
            reason = {"max_output_tokens": "length"}.get(provider_reason, "other")
        text = "".join(
            part["text"]
            for item in output
            if item["type"] == "message"
            for part in item["content"]
            if part["type"] == "output_text"
        )
        reasoning = "".join(
            part["text"]
            for item in output
            if item["type"] == "reasoning"
            for part in [*item.get("summary", []), *(item.get("content") or [])]
        )
        return {
            "reason": reason,
            "provider_reason": provider_reason,
            "text": text,
            "reasoning": reasoning,
            "calls": calls,
            "usage": response.get("usage"),
        }
    pytest.fail(f"{name} has no end")


def recorded_chat(name: str) -> dict[str, Any]:
    """The first choice of a chat recording: its finish reason, text and tool calls; usage."""
    text, reason, usage = None, "", None
    calls: dict[int, list[str]] = {}
    for chunk in payloads(name):
        usage = chunk.get("usage") or usage
        for choice in chunk.get("choices", []):
            if choice["index"] != 0:
                continue
            delta = choice.get("delta") or {}
            if delta.get("content") is not None:
                text = (text or "") + delta["content"]
            for call in delta.get("tool_calls") or []:
                joined = calls.setdefault(call["index"], ["", "", ""])
                function = call.get("function") or {}
                joined[0] = call.get("id") or joined[0]
                joined[1] += function.get("name") or ""
                joined[2] += function.get("arguments") or ""
            reason = choice.get("finish_reason") or reason
    mapped = {"stop": "stop", "length": "length", "tool_calls": "tool_calls"}[reason]
    return {
        "reason": mapped,
        "provider_reason": reason,
        "text": text or "",
        "calls": [tuple(calls[index]) for index in sorted(calls)],
        "usage": usage,
    }


# -- the checks -------------------------------------------------------------------------------


def check_events(events: Sequence[Event], neutral: NeutralResult | None) -> list[NeutralEvent]:
    """The neutral events agree with each other, and with the result's ``neutral()``."""
    derived = [e for e in events if isinstance(e, NeutralEvent)]
    finished = [e for e in derived if isinstance(e, Finished)]
    assert len(finished) == 1
    assert events[-1] is finished[0]
    # Per choice: the text deltas joined are the whole texts.
    deltas: defaultdict[int, str] = defaultdict(str)
    dones: defaultdict[int, str] = defaultdict(str)
    for event in derived:
        if isinstance(event, TextDelta):
            deltas[event.choice] += event.text
        elif isinstance(event, TextDone):
            dones[event.choice] += event.text
    assert dict(deltas) == dict(dones)
    # Each tool call: one start, its deltas, one end with the arguments they make.
    starts = [e for e in derived if isinstance(e, ToolCallStarted)]
    ends = [e for e in derived if isinstance(e, ToolCallDone)]
    assert sorted((e.choice, e.index, e.id, e.name) for e in starts) == sorted(
        (e.choice, e.index, e.id, e.name) for e in ends
    )
    assert len({(e.choice, e.index) for e in starts}) == len(starts)
    for end in ends:
        pieces = [
            e.delta
            for e in derived
            if isinstance(e, ToolCallArgumentsDelta)
            and (e.choice, e.index) == (end.choice, end.index)
        ]
        assert "".join(pieces) == end.arguments
        assert derived.index(end) > derived.index(
            next(s for s in starts if (s.choice, s.index) == (end.choice, end.index))
        )
    usages = [e for e in derived if isinstance(e, UsageReported)]
    assert len(usages) <= 1
    if usages:
        assert derived[-2] is usages[0]
    if neutral is not None:
        assert deltas.get(0, "") == neutral.text
        reasoning = "".join(e.text for e in derived if isinstance(e, ReasoningDelta))
        assert reasoning == neutral.reasoning
        first = sorted((e for e in ends if e.choice == 0), key=lambda e: e.index)
        assert [(e.id, e.name, e.arguments) for e in first] == [
            (c.id, c.name, c.arguments) for c in neutral.tool_calls
        ]
        assert (finished[0].reason, finished[0].provider_reason) == (
            neutral.finish_reason,
            neutral.provider_reason,
        )
        assert (usages[0].usage if usages else None) == neutral.usage
    return derived


def check_against_recording(neutral: NeutralResult, expected: dict[str, Any]) -> None:
    """``neutral()`` says what the recording's JSON says."""
    assert neutral.finish_reason == expected["reason"]
    assert neutral.provider_reason == expected["provider_reason"]
    assert neutral.text == expected["text"]
    assert neutral.reasoning == expected.get("reasoning", "")
    assert [(c.id, c.name, c.arguments) for c in neutral.tool_calls] == expected["calls"]
    usage = expected["usage"]
    if usage is None:
        assert neutral.usage is None
        return
    assert neutral.usage is not None
    prefix = "input" if "input_tokens" in usage else "prompt"
    output = "output" if prefix == "input" else "completion"
    assert neutral.usage.input_tokens == usage[f"{prefix}_tokens"]
    assert neutral.usage.output_tokens == usage[f"{output}_tokens"]
    assert neutral.usage.total_tokens == usage["total_tokens"]
    details = usage.get(f"{output}_tokens_details") or {}
    assert neutral.usage.reasoning_tokens == details.get("reasoning_tokens")
    cached = usage.get(f"{prefix}_tokens_details") or {}
    assert neutral.usage.cached_input_tokens == cached.get("cached_tokens")


def check_responses(name: str, events: Sequence[Event], result: Response | None) -> None:
    expected = recorded_responses(name)
    if result is None:  # an error event ended it
        finished = check_events(events, None)[-1]
        assert isinstance(finished, Finished)
        assert (finished.reason, finished.provider_reason) == ("error", expected["provider_reason"])
        return
    neutral = result.neutral()
    assert neutral.provider == "openai.responses"
    assert (neutral.id, neutral.model) == (result.id, result.model)
    check_events(events, neutral)
    check_against_recording(neutral, expected)


def check_chat(name: str, events: Sequence[Event], result: ChatCompletion) -> None:
    neutral = result.neutral()
    assert neutral.provider == "openai.chat"
    check_events(events, neutral)
    check_against_recording(neutral, recorded_chat(name))
    # Every choice (n=2): its text and tool calls, as its message has them.
    derived = [e for e in events if isinstance(e, NeutralEvent)]
    for choice in result.choices:
        text = "".join(
            e.text for e in derived if isinstance(e, TextDelta) and e.choice == choice.index
        )
        assert text == (choice.message.content or "")
        ends = sorted(
            (e for e in derived if isinstance(e, ToolCallDone) and e.choice == choice.index),
            key=lambda e: e.index,
        )
        calls = choice.message.tool_calls or []
        assert [(e.id, e.name, e.arguments) for e in ends] == [
            (c.id, c.function.name, c.function.arguments) for c in calls
        ]


# -- streamed from the emulator ---------------------------------------------------------------


@pytest.mark.anyio
@pytest.mark.parametrize("name", RESPONSES)
async def test_responses_neutral_events_agree_with_the_result(served: Served, name: str) -> None:
    async with httpx.AsyncClient() as http:
        client = AsyncClient(api_key=API_KEY, base_url=served.url, http_client=http, timeout=FAST)
        headers = {"x-rillet-recording": name}
        async with await client.responses.create(
            model="m", input="hi", stream=True, extra_headers=headers
        ) as stream:
            own = [event async for event in stream]
            events = [event async for event in stream.events()]
            result = None
            if name in ERRORS:
                with pytest.raises(ServerStreamError):
                    await stream.final_response()
            else:
                result = await stream.final_response()
    # Iteration yields the API's events only; events() adds the neutral ones after them.
    assert not any(isinstance(event, NeutralEvent) for event in own)
    assert [e for e in events if not isinstance(e, NeutralEvent)] == own
    assert [e["type"] for e in payloads(name)][: len(own)] == [e.type for e in own]
    check_responses(name, events, result)


@pytest.mark.anyio
@pytest.mark.parametrize("name", CHATS)
async def test_chat_neutral_events_agree_with_the_result(served: Served, name: str) -> None:
    async with httpx.AsyncClient() as http:
        client = AsyncClient(api_key=API_KEY, base_url=served.url, http_client=http, timeout=FAST)
        async with await client.chat.completions.create(
            model="m",
            messages=[{"role": "user", "content": "hi"}],
            stream=True,
            extra_headers={"x-rillet-recording": name},
        ) as stream:
            events = [event async for event in stream.events()]
            result = await stream.final_response()
            counts = stream.stats.events_by_type
    check_chat(name, events, result)
    # Counted by type: the chunks and chat events, not the neutral events every stream derives.
    assert not set(counts) & set(NEUTRAL_EVENT_TYPES)
    assert sum(counts.values()) == len([e for e in events if not isinstance(e, NeutralEvent)])


@contextmanager
def blocking(served: Served) -> Iterator[Client]:
    with httpx.Client() as http:
        yield Client(api_key=API_KEY, base_url=served.url, http_client=http, timeout=FAST)


@pytest.mark.parametrize("name", RESPONSES)
def test_responses_neutral_events_from_the_blocking_client(served: Served, name: str) -> None:
    with (
        blocking(served) as client,
        client.responses.create(
            model="m", input="hi", stream=True, extra_headers={"x-rillet-recording": name}
        ) as stream,
    ):
        events = list(stream.events())
        assert not any(isinstance(event, NeutralEvent) for event in stream)
        result = None
        if name in ERRORS:
            with pytest.raises(ServerStreamError):
                stream.get_final_response()
        else:
            result = stream.get_final_response()
    check_responses(name, events, result)


@pytest.mark.parametrize("name", CHATS)
def test_chat_neutral_events_from_the_blocking_client(served: Served, name: str) -> None:
    with (
        blocking(served) as client,
        client.chat.completions.create(
            model="m",
            messages=[{"role": "user", "content": "hi"}],
            stream=True,
            extra_headers={"x-rillet-recording": name},
        ) as stream,
    ):
        events = list(stream.events())
        result = stream.get_final_response()
    check_chat(name, events, result)


# -- sans-IO: any chunking --------------------------------------------------------------------


def neutral_events(protocol: StreamProtocol[Any], body: bytes, cuts: list[int]) -> list[Event]:
    """The neutral events of ``body``, cut at ``cuts``: recorded, or derived as a pass would."""
    decoder = SSEDecoder()
    derivers = protocol.derivers()  # Responses: per pass; chat: None (they are in the log)
    neutral: list[Event] = []

    def record(event: object, entry: object) -> None:
        del entry
        if isinstance(event, NeutralEvent):
            neutral.append(event)
        elif derivers is not None and (derive := derivers.get(type(event))) is not None:
            derive(event, neutral.append)

    bounds = [0, *sorted(set(cuts)), len(body)]
    for start, end in itertools.pairwise(bounds):
        chunk = body[start:end]
        try:
            if protocol.receive_all(chunk, decoder.feed(chunk), record):
                break
        except ServerStreamError:
            break
    return neutral


@settings(max_examples=60)
@given(name=st.sampled_from([*RESPONSES, *CHATS]), data=st.data())
def test_neutral_events_do_not_depend_on_the_chunking(name: str, data: st.DataObject) -> None:
    body = read(name)
    cuts = data.draw(st.lists(st.integers(0, len(body)), max_size=30))

    def protocol() -> StreamProtocol[Any]:
        if name.startswith("chat/"):
            return ChatProtocol(on_invalid="raise")
        return ResponsesProtocol(on_invalid="raise", strict=True)

    whole = neutral_events(protocol(), body, [])
    assert any(isinstance(event, Finished) for event in whole)
    assert neutral_events(protocol(), body, cuts) == whole


# -- one router, both kinds of stream ---------------------------------------------------------


def neutral_router() -> tuple[Router, dict[str, list[Any]]]:
    """A router of neutral handlers (by class, type string, base class and ``"*"``)."""
    router = Router()
    seen: dict[str, list[Any]] = {"class": [], "string": [], "base": [], "all": [], "async": []}

    @router.on(TextDelta)
    def by_class(event: TextDelta) -> None:
        seen["class"].append(event.text)

    @router.on("text.delta")
    def by_string(event: TextDelta) -> None:
        seen["string"].append(event.text)

    @router.on(NeutralEvent)
    def by_base(event: NeutralEvent) -> None:
        seen["base"].append(event)

    @router.on("*")
    def every(event: Event) -> None:
        seen["all"].append(event)

    @router.on("tool_call.done")
    async def tool_call(event: ToolCallDone) -> None:
        seen["async"].append((event.id, event.name, event.arguments))

    return router, seen


def check_dispatched(
    seen: dict[str, list[Any]], events: list[Event], neutral: NeutralResult
) -> None:
    assert "".join(seen["class"]) == "".join(seen["string"]) == neutral.text
    assert seen["base"] == [e for e in events if isinstance(e, NeutralEvent)]
    assert seen["all"] == events  # "*" sees the neutral events, as they come
    assert seen["async"] == [(c.id, c.name, c.arguments) for c in neutral.tool_calls]
    assert isinstance(seen["base"][-1], Finished)


@pytest.mark.anyio
@pytest.mark.parametrize(
    ("responses", "chat"),
    [
        ("responses/function_call_parallel.sse", "chat/tool_calls_parallel_streamed_args.sse"),
        ("responses/plain_text_sorted_keys_2026.sse", "chat/plain_text_include_usage.sse"),
    ],
)
async def test_one_router_serves_a_responses_stream_and_a_chat_stream(
    served: Served, responses: str, chat: str
) -> None:
    router, seen = neutral_router()
    async with httpx.AsyncClient() as http:
        client = AsyncClient(api_key=API_KEY, base_url=served.url, http_client=http, timeout=FAST)
        async with await client.responses.create(
            model="m", input="hi", stream=True, extra_headers={"x-rillet-recording": responses}
        ) as stream:
            response = await stream.dispatch(router)
            events: list[Event] = [event async for event in stream.events()]
        check_dispatched(seen, events, response.neutral())
        for values in seen.values():
            values.clear()
        async with await client.chat.completions.create(
            model="m",
            messages=[{"role": "user", "content": "hi"}],
            stream=True,
            extra_headers={"x-rillet-recording": chat},
        ) as chat_stream:
            completion = await chat_stream.dispatch(router)
            events = [event async for event in chat_stream.events()]
        check_dispatched(seen, events, completion.neutral())


def test_one_router_serves_blocking_streams(served: Served) -> None:
    router = Router()
    texts: list[str] = []
    router.on("text.delta")(lambda event: texts.append(event.text))
    with blocking(served) as client:
        headers = {"x-rillet-recording": "responses/two_message_items.sse"}
        with client.responses.create(
            model="m", input="hi", stream=True, extra_headers=headers
        ) as stream:
            response = stream.dispatch(router)
        assert "".join(texts) == response.output_text
        texts.clear()
        with client.chat.completions.create(
            model="m",
            messages=[],
            stream=True,
            extra_headers={"x-rillet-recording": "chat/finish_length.sse"},
        ) as chat_stream:
            completion = chat_stream.dispatch(router)
        assert "".join(texts) == completion.choices[0].message.content


@pytest.mark.anyio
async def test_text_deltas_do_not_double_the_text(served: Served) -> None:
    async with httpx.AsyncClient() as http:
        client = AsyncClient(api_key=API_KEY, base_url=served.url, http_client=http, timeout=FAST)
        headers = {"x-rillet-recording": "responses/two_message_items.sse"}
        async with await client.responses.create(
            model="m", input="hi", stream=True, extra_headers=headers
        ) as stream:
            text = "".join([piece async for piece in stream.text_deltas()])
            response = await stream.final_response()
    assert text == response.output_text
    assert text


def test_a_chat_error_payload_finishes_with_error_before_it_is_raised() -> None:
    protocol = ChatProtocol(on_invalid="raise")
    chunk = b'{"id":"c","choices":[{"index":0,"delta":{"content":"Hi"}}]}'
    error = b'{"error":{"message":"overloaded","type":"server_error","code":"overloaded"}}'
    body = b"data: " + chunk + b"\n\ndata: " + error + b"\n\n"
    recorded: list[object] = []
    with pytest.raises(ServerStreamError, match="overloaded"):
        protocol.receive_all(body, SSEDecoder().feed(body), lambda event, _: recorded.append(event))
    neutral = [event for event in recorded if isinstance(event, NeutralEvent)]
    assert neutral == [TextDelta(text="Hi"), Finished(reason="error", provider_reason="overloaded")]
    assert type(recorded[-2]).__name__ == "ChatErrorEvent"


@pytest.mark.parametrize(
    ("pattern", "sees"),
    [
        ("*", True),
        ("text.*", True),
        ("tool_call.done", True),
        (TextDelta, True),
        (NeutralEvent, True),
        (Event, True),
        ("response.output_text.delta", False),
        ("response.*", False),
        (ResponseOutputTextDeltaEvent, False),
    ],
)
def test_a_dispatch_derives_per_pass_only_what_a_handler_would_see(
    pattern: Any, sees: bool
) -> None:
    router = Router()
    router.on(pattern)(lambda event: None)
    assert router.sees(NEUTRAL_EVENT_TYPES) is sees


@pytest.mark.anyio
@pytest.mark.parametrize("field", ["reasoning_content", "reasoning"])
async def test_compatible_servers_reasoning_text_is_reasoning(field: str) -> None:
    def chunk(delta: dict[str, Any], finish: str | None = None) -> bytes:
        choice = {"index": 0, "delta": delta, "finish_reason": finish}
        return b"data: " + json.dumps({"id": "c", "choices": [choice]}).encode() + b"\n\n"

    body = b"".join(
        [
            chunk({"role": "assistant", field: "Think"}),
            chunk({field: "ing."}),
            chunk({"content": "Done."}, "stop"),
            b"data: [DONE]\n\n",
        ]
    )
    emulator = Emulator({"chat/reasoning.sse": body})
    headers = {"x-rillet-recording": "chat/reasoning.sse"}
    async with httpx.AsyncClient(transport=ReplayTransport(emulator), headers=headers) as http:
        client = AsyncClient(api_key=API_KEY, base_url="http://emulator/v1", http_client=http)
        async with await client.chat.completions.create(
            model="m", messages=[], stream=True
        ) as stream:
            events = [event async for event in stream.events()]
            completion = await stream.final_response()
    reasoning = [e.text for e in events if isinstance(e, ReasoningDelta)]
    assert reasoning == ["Think", "ing."]
    assert completion.choices[0].message.reasoning_content == "Thinking."
    assert completion.neutral().reasoning == "Thinking."
    assert completion.neutral().text == "Done."
