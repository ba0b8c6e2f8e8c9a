"""rillet.anthropic's clients over a real server on 127.0.0.1 (rillet's own, in a thread).

The server answers each request with the next scripted answer (a status, headers, a body in
chunks) and keeps what it received, so the tests check the requests as sent and the streams as
read: corpus recordings, error answers, a mid-stream ``error`` event, a cut body, retries.
"""

from __future__ import annotations

import json
from typing import Any

import anyio
import anyio.lowlevel
import pytest

from anthropic_corpus import FILES, final, machine, read
from rillet import (
    BadRequestError,
    InternalServerError,
    RetryPolicy,
    RilletError,
    ServerStreamError,
    StreamTruncatedError,
)
from rillet.anthropic import (
    AsyncClient,
    Client,
    ContentBlockDeltaEvent,
    Message,
    MessageStartEvent,
    PingEvent,
)
from rillet.events import Finished, TextDelta
from scripted import JSON, Answer, Scripted, chunked

FAST = RetryPolicy(max_retries=2, initial_delay=0.01, max_delay=0.02)
STREAMS = [
    "text_basic_no_trailing_newline.sse",
    "tool_use_parallel_two_calls.sse",
    "thinking_signature.sse",
    "reframed/tool_use_json_other_tool_many_pings.reframed.sse",
]


@pytest.fixture
def server(app: tuple[Scripted, str]) -> tuple[Scripted, str]:
    app[0].reset()
    return app


def overloaded_midstream() -> bytes:
    """The first events of a recording, then an ``overloaded_error`` event."""
    data = read("reframed/text.reframed.sse")
    blocks = data.split(b"\n\n")
    error = {"type": "error", "error": {"type": "overloaded_error", "message": "Overloaded"}}
    return (
        b"\n\n".join(blocks[:5])
        + b"\n\nevent: error\ndata: "
        + json.dumps(error).encode()
        + b"\n\n"
    )


ASK: dict[str, Any] = {
    "model": "claude-sonnet-4-5",
    "max_tokens": 64,
    "messages": [{"role": "user", "content": "Hi"}],
}

pytestmark = pytest.mark.anyio


@pytest.mark.parametrize("name", STREAMS)
async def test_streams_give_the_message_and_events(server: tuple[Scripted, str], name: str) -> None:
    scripted, url = server
    data = read(name)
    scripted.answers.append(Answer(chunks=chunked(data, 97)))
    async with AsyncClient(api_key="sk-test", base_url=url) as client:
        stream = await client.messages.create(stream=True, betas=["b-1", "b-2"], **ASK)
        async with stream:
            own = [event async for event in stream]
            message = await stream.get_final_message()
            texts = [text async for text in stream.text_deltas()]
            everything = [event async for event in stream.events()]
    expected = final([data])
    assert message == expected
    assert message.to_dict() == expected.to_dict()
    assert "".join(texts) == message.text
    assert isinstance(own[0], MessageStartEvent)
    assert not any(isinstance(event, TextDelta) for event in own)
    assert isinstance(everything[-1], Finished)
    assert stream.stats.usage == message.usage
    assert stream.stats.events_by_type["message_start"] == 1
    (request,) = scripted.requests
    assert request["path"] == "/v1/messages"
    headers = request["headers"]
    assert headers["x-api-key"] == "sk-test"
    assert headers["anthropic-version"] == "2023-06-01"
    assert headers["anthropic-beta"] == "b-1,b-2"
    assert "authorization" not in headers
    assert json.loads(request["body"]) == {**ASK, "stream": True}


async def test_pings_are_events_but_keep_nothing_alive(server: tuple[Scripted, str]) -> None:
    scripted, url = server
    scripted.answers.append(Answer(chunks=[read(STREAMS[3])]))
    async with AsyncClient(api_key="k", base_url=url) as client:
        stream = await client.messages.create(stream=True, **ASK)
        pings = [event async for event in stream if isinstance(event, PingEvent)]
    assert len(pings) == 5
    assert stream.stats.events_by_type["ping"] == 5


async def test_environment_and_default_headers(
    server: tuple[Scripted, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    scripted, url = server
    monkeypatch.setenv("ANTHROPIC_API_KEY", "sk-env")
    monkeypatch.setenv("ANTHROPIC_BASE_URL", url)
    scripted.answers.append(Answer(chunks=[read(STREAMS[0])]))
    async with AsyncClient(default_headers={"anthropic-beta": "from-client"}) as client:
        stream = await client.messages.create(stream=True, betas=["b-3"], **ASK)
        await stream.final_response()
    headers = scripted.requests[0]["headers"]
    assert headers["x-api-key"] == "sk-env"
    assert headers["anthropic-beta"] == "from-client,b-3"  # betas= adds to the client's
    scripted.answers.append(Answer(chunks=[read(STREAMS[0])]))
    async with AsyncClient() as client:
        await (await client.messages.create(stream=True, betas=["b-3"], **ASK)).final_response()
    assert scripted.requests[1]["headers"]["anthropic-beta"] == "b-3"


def test_no_key_is_an_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("ANTHROPIC_API_KEY", raising=False)
    monkeypatch.delenv("ANTHROPIC_BASE_URL", raising=False)
    with pytest.raises(RilletError, match="ANTHROPIC_API_KEY"):
        Client()


async def test_a_whole_message(server: tuple[Scripted, str]) -> None:
    scripted, url = server
    whole = final([read(STREAMS[1])]).to_dict()
    scripted.answers.append(Answer(200, JSON, [json.dumps(whole).encode()]))
    async with AsyncClient(api_key="k", base_url=url) as client:
        message = await client.messages.create(**ASK)
    assert isinstance(message, Message)
    assert message.to_dict() == whole
    assert message.content[1].type == "tool_use"
    assert json.loads(scripted.requests[0]["body"]) == ASK
    assert scripted.requests[0]["headers"]["accept"] == "application/json"


async def test_error_answers_are_typed_and_readable(server: tuple[Scripted, str]) -> None:
    scripted, url = server
    body = {
        "type": "error",
        "error": {"type": "invalid_request_error", "message": "max_tokens: Field required"},
        "request_id": "req_011",
    }
    headers = [*JSON, (b"request-id", b"req_011")]
    scripted.answers.append(Answer(400, headers, [json.dumps(body).encode()]))
    async with AsyncClient(api_key="k", base_url=url, max_retries=FAST) as client:
        with pytest.raises(BadRequestError) as raised:
            await client.messages.create(stream=True, **ASK)
    error = raised.value
    assert error.message == "max_tokens: Field required"
    assert error.error_type == "invalid_request_error"
    assert error.request_id == "req_011"
    assert "max_tokens: Field required" in str(error)


async def test_overloaded_and_rate_limited_answers_are_retried(
    server: tuple[Scripted, str],
) -> None:
    scripted, url = server
    overloaded = {"type": "error", "error": {"type": "overloaded_error", "message": "Overloaded"}}
    scripted.answers += [
        Answer(529, JSON, [json.dumps(overloaded).encode()]),
        Answer(429, [*JSON, (b"retry-after", b"0")], [b'{"type":"error","error":{}}']),
        Answer(chunks=[read(STREAMS[0])]),
    ]
    async with AsyncClient(api_key="k", base_url=url, max_retries=FAST) as client:
        stream = await client.messages.create(stream=True, **ASK)
        message = await stream.final_response()
    assert message.text == "Hello there!"
    assert stream.stats.retries == 2
    scripted.answers += [Answer(529, JSON, [json.dumps(overloaded).encode()])] * 3
    async with AsyncClient(api_key="k", base_url=url, max_retries=FAST) as client:
        with pytest.raises(InternalServerError) as raised:
            await client.messages.create(stream=True, **ASK)
    assert raised.value.status_code == 529
    assert raised.value.error_type == "overloaded_error"


async def test_a_midstream_error_keeps_the_partial_message(server: tuple[Scripted, str]) -> None:
    scripted, url = server
    scripted.answers.append(Answer(chunks=chunked(overloaded_midstream(), 50)))
    async with AsyncClient(api_key="k", base_url=url) as client:
        stream = await client.messages.create(stream=True, **ASK)
        seen: list[Any] = []
        with pytest.raises(ServerStreamError) as raised:
            async for event in stream.events():
                seen.append(event)
    error = raised.value
    assert error.error_type == "overloaded_error"
    assert error.message == "Overloaded"
    partial = error.partial
    assert isinstance(partial, Message)
    assert partial.text == "".join(e.text for e in seen if isinstance(e, TextDelta))
    assert partial.text
    assert seen[-1] == Finished(reason="error", provider_reason="overloaded_error")
    assert seen[-2].type == "error"
    with pytest.raises(ServerStreamError):
        await stream.final_response()


async def test_a_cut_body_is_truncated(server: tuple[Scripted, str]) -> None:
    scripted, url = server
    data = read("tool_use_parallel_two_calls.sse")
    cut = data[: data.index(b"event: message_delta")]
    scripted.answers.append(Answer(chunks=chunked(cut, 97)))
    async with AsyncClient(api_key="k", base_url=url) as client:
        stream = await client.messages.create(stream=True, **ASK)
        with pytest.raises(StreamTruncatedError) as raised:
            await stream.final_response()
    partial = raised.value.partial
    assert isinstance(partial, Message)
    assert [block.type for block in partial.content] == ["text", "tool_use", "tool_use"]
    assert partial.stop_reason is None
    assert "no message_stop" in str(raised.value)


async def test_partial_arguments_while_streaming(server: tuple[Scripted, str]) -> None:
    scripted, url = server
    scripted.answers.append(Answer(chunks=chunked(read("tool_use_input_json_delta.sse"), 40)))
    seen: list[Any] = []
    async with AsyncClient(api_key="k", base_url=url) as client:
        stream = await client.messages.create(stream=True, **ASK)
        async for event in stream:
            if isinstance(event, ContentBlockDeltaEvent) and event.delta.type == "input_json_delta":
                seen.append(stream.partial_arguments(event))
        await anyio.lowlevel.checkpoint()
    block = final([read("tool_use_input_json_delta.sse")]).content[1]
    assert block.type == "tool_use"
    assert seen[-1] == block.input


def test_the_blocking_client(app: tuple[Scripted, str]) -> None:
    scripted, url = app
    scripted.answers.clear()
    scripted.requests.clear()
    data = read(STREAMS[2])
    scripted.answers += [
        Answer(chunks=chunked(data, 97)),
        Answer(chunks=chunked(overloaded_midstream(), 97)),
    ]
    with Client(api_key="sk-sync", base_url=url) as client:
        with client.messages.create(stream=True, **ASK) as stream:
            events = list(stream)
            message = stream.get_final_message()
            text = "".join(stream.text_deltas())
        assert message.to_dict() == final([data]).to_dict()
        assert text == message.text
        assert isinstance(events[0], MessageStartEvent)
        stream = client.messages.create(stream=True, **ASK)
        with pytest.raises(ServerStreamError) as raised:
            stream.get_final_message()
        assert isinstance(raised.value.partial, Message)
    assert scripted.requests[0]["headers"]["x-api-key"] == "sk-sync"


async def test_one_router_for_own_and_neutral_events(server: tuple[Scripted, str]) -> None:
    from rillet import Router  # noqa: PLC0415

    scripted, url = server
    data = read("tool_use_input_json_delta.sse")
    scripted.answers.append(Answer(chunks=chunked(data, 97)))
    router = Router()
    texts: list[str] = []
    deltas: list[str] = []
    done: list[str] = []

    @router.on(TextDelta)
    def text(event: TextDelta) -> None:
        texts.append(event.text)

    @router.on("content_block_delta")
    def delta(event: ContentBlockDeltaEvent) -> None:
        deltas.append(event.delta.type)

    @router.on("tool_call.done")
    def tool(event: Any) -> None:
        done.append(event.arguments)

    async with AsyncClient(api_key="k", base_url=url) as client:
        stream = await client.messages.create(stream=True, **ASK)
        message = await stream.dispatch(router)
    assert "".join(texts) == message.text
    assert deltas.count("input_json_delta") == data.count(b'"input_json_delta"')
    call = message.content[1]
    assert call.type == "tool_use"
    assert [json.loads(arguments) for arguments in done] == [call.input]


@pytest.mark.parametrize("name", FILES)
async def test_every_corpus_file_over_loopback(server: tuple[Scripted, str], name: str) -> None:
    """The async stream gives what the sans-IO machine gives (the SDK's message, see
    test_anthropic_accumulate), on both event loops, the body in small chunks."""
    scripted, url = server
    data = read(name)
    scripted.answers.append(Answer(chunks=chunked(data, 211)))
    async with AsyncClient(api_key="k", base_url=url) as client:
        stream = await client.messages.create(stream=True, **ASK)
        async with stream:
            if name == "synthetic/spliced_two_messages.reframed.sse":
                with pytest.raises(StreamTruncatedError):
                    await stream.final_response()
                return
            message = await stream.final_response()
            events = [event async for event in stream.events()]
    expected = machine([data])
    assert message.to_dict() == expected.result().to_dict()
    assert events == [
        expected.log.event_at(i, expected.protocol.replay) for i in range(len(events))
    ]
    assert len(events) == expected.log.count


async def test_partial_output_of_a_json_answer(server: tuple[Scripted, str]) -> None:
    scripted, url = server
    data = read("reframed/text_json_output_format.reframed.sse")
    scripted.answers.append(Answer(chunks=chunked(data, 64)))
    seen: list[Any] = []
    async with AsyncClient(api_key="k", base_url=url) as client:
        stream = await client.messages.create(stream=True, **ASK)
        async for event in stream.events():
            if isinstance(event, TextDelta):
                seen.append(json.dumps(stream.partial_output))
        message = await stream.final_response()
    assert json.loads(seen[-1]) == json.loads(message.text)
    assert len(set(seen)) > 10  # it grew as the text came
