"""rillet.gemini's clients over a real server on 127.0.0.1 (rillet's own, in a thread).

The server answers each request with the next scripted answer (a status, headers, a body in
chunks) and keeps what it received: the tests check the requests as sent (path, ``alt=sse``,
``x-goog-api-key``, the body) and the streams as read, corpus recordings included.
"""

from __future__ import annotations

import json
from typing import Any, assert_type

import pytest

from gemini_corpus import FILES, machine, outcome, read
from rillet import (
    BadRequestError,
    NotFoundError,
    RetryPolicy,
    RilletError,
    Router,
    ServerStreamError,
    StreamTruncatedError,
)
from rillet.events import Finished, TextDelta, ToolCallDone
from rillet.gemini import (
    AsyncClient,
    Client,
    Content,
    ContentDict,
    GenerateContentResponse,
    GenerateContentStream,
)
from scripted import JSON, Answer, Scripted, chunked

FAST = RetryPolicy(max_retries=2, initial_delay=0.01, max_delay=0.02)
STREAMS = [
    "text_long.sse",
    "thoughts_text_signature.sse",
    "function_call_parallel_finish_message.sse",
    "reframed/streamed_function_call_args_no_args_call.reframed.sse",
    "prompt_blocked_safety_unterminated.sse",
]


@pytest.fixture
def server(app: tuple[Scripted, str], monkeypatch: pytest.MonkeyPatch) -> tuple[Scripted, str]:
    for variable in ("GEMINI_API_KEY", "GOOGLE_API_KEY", "GOOGLE_GEMINI_BASE_URL"):
        monkeypatch.delenv(variable, raising=False)
    app[0].reset()
    return app


MODEL = "gemini-2.5-flash"


@pytest.mark.anyio
@pytest.mark.parametrize("name", STREAMS)
async def test_streams_give_the_chunks_events_and_result(
    server: tuple[Scripted, str], name: str
) -> None:
    scripted, url = server
    data = read(name)
    scripted.answers.append(Answer(chunks=chunked(data, 89)))
    async with AsyncClient(api_key="key-1", base_url=url) as client:
        stream = await client.models.generate_content(
            model=MODEL, contents="Hello", stream=True, config={"tools": [{"codeExecution": {}}]}
        )
        async with stream:
            chunks = [chunk async for chunk in stream]
            result = await stream.final_response()
            texts = [text async for text in stream.text_deltas()]
            everything = [event async for event in stream.events()]
    expected = machine([data]).result()
    assert result == expected
    assert result.to_dict() == expected.to_dict()
    assert all(type(chunk) is GenerateContentResponse for chunk in chunks)
    assert len(chunks) == len([e for e in everything if type(e) is GenerateContentResponse])
    assert "".join(texts) == result.text
    assert isinstance(everything[-1], Finished)
    assert [e.name for e in everything if isinstance(e, ToolCallDone)] == [
        call.name for call in result.function_calls
    ]
    (request,) = scripted.requests
    assert request["path"] == f"/v1beta/models/{MODEL}:streamGenerateContent"
    assert request["query"] == "alt=sse"
    assert request["headers"]["x-goog-api-key"] == "key-1"
    assert "authorization" not in request["headers"]
    assert json.loads(request["body"]) == {
        "contents": [{"role": "user", "parts": [{"text": "Hello"}]}],
        "tools": [{"codeExecution": {}}],
    }


@pytest.mark.anyio
@pytest.mark.parametrize("name", FILES)
async def test_every_recording_reads_over_the_network_as_sans_io(
    server: tuple[Scripted, str], name: str
) -> None:
    """Each corpus file, in small chunks over loopback: the result (or error) the sans-IO
    reading gives, which test_gemini_accumulate checks against google-genai's."""
    scripted, url = server
    data = read(name)
    scripted.answers.append(Answer(chunks=chunked(data, 61)))
    expected = outcome(machine([data]))
    async with AsyncClient(api_key="k", base_url=url) as client:
        stream = await client.models.generate_content(model=MODEL, contents="x", stream=True)
        async with stream:
            try:
                result: GenerateContentResponse | RilletError = await stream.final_response()
            except RilletError as error:
                result = error
    assert type(result) is type(expected)
    if isinstance(result, GenerateContentResponse):
        assert result == expected
    else:
        assert str(result).split(" after ")[0] == str(expected).split(" after ")[0]
        assert getattr(result, "partial", None) == getattr(expected, "partial", None)


@pytest.mark.anyio
async def test_the_mid_stream_error_raises_with_the_partial_response(
    server: tuple[Scripted, str],
) -> None:
    scripted, url = server
    scripted.answers.append(Answer(chunks=chunked(read("error_midstream_bare_json.sse"), 89)))
    async with AsyncClient(api_key="k", base_url=url) as client:
        stream = await client.models.generate_content(model=MODEL, contents="x", stream=True)
        texts: list[str] = []
        with pytest.raises(ServerStreamError) as caught:
            async for text in stream.text_deltas():
                texts.append(text)
    assert "".join(texts) == "First Second "
    assert (caught.value.code, caught.value.error_type) == (499, "CANCELLED")
    assert isinstance(caught.value.partial, GenerateContentResponse)
    assert caught.value.partial.text == "First Second "


@pytest.mark.anyio
@pytest.mark.parametrize(
    ("name", "status", "error"),
    [
        ("error_http_400_api_key_bare_json.sse", 400, BadRequestError),
        ("error_http_404_not_found_bare_json.sse", 404, NotFoundError),
    ],
)
async def test_error_answers_are_status_errors_with_the_message(
    server: tuple[Scripted, str], name: str, status: int, error: type[RilletError]
) -> None:
    scripted, url = server
    body = read(name)
    scripted.answers.append(Answer(status, JSON, [body]))
    async with AsyncClient(api_key="k", base_url=url, max_retries=FAST) as client:
        with pytest.raises(error) as caught:
            await client.models.generate_content(model=MODEL, contents="x", stream=True)
    message = json.loads(body)["error"]["message"]
    assert str(caught.value).startswith(f"HTTP {status}: {message}")
    assert getattr(caught.value, "error_type", None) == json.loads(body)["error"]["status"]


@pytest.mark.anyio
async def test_the_same_error_body_in_a_200_stream_is_a_stream_error(
    server: tuple[Scripted, str],
) -> None:
    scripted, url = server
    scripted.answers.append(Answer(chunks=[read("error_http_400_api_key_bare_json.sse")]))
    async with AsyncClient(api_key="k", base_url=url) as client:
        stream = await client.models.generate_content(model=MODEL, contents="x", stream=True)
        with pytest.raises(ServerStreamError, match="API key not valid"):
            await stream.final_response()


@pytest.mark.anyio
async def test_a_body_with_no_finish_reason_is_truncated(server: tuple[Scripted, str]) -> None:
    scripted, url = server
    scripted.answers.append(Answer(chunks=[read("text_escaped_quotes_truncated_lf.sse")]))
    async with AsyncClient(api_key="k", base_url=url) as client:
        stream = await client.models.generate_content(model=MODEL, contents="x", stream=True)
        with pytest.raises(StreamTruncatedError) as caught:
            await stream.final_response()
    assert caught.value.partial is not None
    assert "bananas" in caught.value.partial.text


@pytest.mark.anyio
async def test_not_streamed_is_one_json_answer(server: tuple[Scripted, str]) -> None:
    scripted, url = server
    whole = machine([read("function_call_parallel_finish_message.sse")]).result().to_dict()
    scripted.answers.append(Answer(200, JSON, [json.dumps(whole).encode()]))
    async with AsyncClient(api_key="k", base_url=url) as client:
        result = await client.models.generate_content(
            model=f"models/{MODEL}",
            contents=["one", "two"],
            config={"systemInstruction": "Be brief.", "generationConfig": {"temperature": 0.5}},
        )
    assert result.to_dict() == whole
    assert [call.args for call in result.function_calls] == [
        {"password": "mellon"},
        {"password": "radiance"},
    ]
    (request,) = scripted.requests
    assert request["path"] == f"/v1beta/models/{MODEL}:generateContent"
    assert request["query"] == ""
    assert json.loads(request["body"]) == {
        "contents": [{"role": "user", "parts": [{"text": "one"}, {"text": "two"}]}],
        "systemInstruction": {"parts": [{"text": "Be brief."}]},
        "generationConfig": {"temperature": 0.5},
    }


@pytest.mark.anyio
async def test_a_response_content_goes_back_in_the_wire_names(
    server: tuple[Scripted, str],
) -> None:
    scripted, url = server
    first = machine([read("thought_signature.sse")]).result()
    scripted.answers.append(Answer(chunks=[read("text_short.sse")]))
    content = first.candidates[0].content
    assert content is not None
    contents: list[ContentDict | Content] = [{"role": "user", "parts": [{"text": "q"}]}, content]
    async with AsyncClient(api_key="k", base_url=url) as client:
        stream = await client.models.generate_content(model=MODEL, contents=contents, stream=True)
        await stream.final_response()
    sent = json.loads(scripted.requests[0]["body"])["contents"][1]
    assert sent == content.to_dict()
    assert "thoughtSignature" in sent["parts"][0]
    assert "functionCall" in sent["parts"][0]


@pytest.mark.parametrize(
    ("variables", "expected"),
    [
        ({"GEMINI_API_KEY": "from-gemini", "GOOGLE_API_KEY": "from-google"}, "from-gemini"),
        ({"GOOGLE_API_KEY": "from-google"}, "from-google"),
    ],
)
def test_the_blocking_client_takes_the_key_from_the_environment(
    server: tuple[Scripted, str],
    monkeypatch: pytest.MonkeyPatch,
    variables: dict[str, str],
    expected: str,
) -> None:
    scripted, url = server
    for name, value in variables.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("GOOGLE_GEMINI_BASE_URL", url)
    scripted.answers.append(Answer(chunks=chunked(read("text_three_frames.sse"), 7)))
    with Client() as client:
        stream = client.models.generate_content(model=MODEL, contents="Hi", stream=True)
        with stream:
            texts = list(stream.text_deltas())
            result = stream.get_final_response()
            events = list(stream.events())
    assert "".join(texts) == result.text == "The capital of France is Paris.\n"
    assert [e.text for e in events if isinstance(e, TextDelta)] == texts
    assert scripted.requests[0]["headers"]["x-goog-api-key"] == expected


def test_the_blocking_client_retries_and_reads_json(server: tuple[Scripted, str]) -> None:
    scripted, url = server
    whole = machine([read("text_single_frame.sse")]).result().to_dict()
    scripted.answers.append(Answer(503, JSON, [b'{"error": {"code": 503, "message": "busy"}}']))
    scripted.answers.append(Answer(200, JSON, [json.dumps(whole).encode()]))
    with Client(api_key="k", base_url=url, max_retries=FAST) as client:
        result = client.models.generate_content(model=MODEL, contents="Hi")
    assert result.text == "Paris"
    assert len(scripted.requests) == 2


def test_no_key_for_the_real_api_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    for variable in ("GEMINI_API_KEY", "GOOGLE_API_KEY", "GOOGLE_GEMINI_BASE_URL"):
        monkeypatch.delenv(variable, raising=False)
    with pytest.raises(RilletError, match="GEMINI_API_KEY or GOOGLE_API_KEY"):
        Client()


@pytest.mark.anyio
async def test_partial_output_and_arguments_grow_while_streaming(
    server: tuple[Scripted, str],
) -> None:
    scripted, url = server
    scripted.answers.append(Answer(chunks=[read("json_output_after_function_response.sse")]))
    scripted.answers.append(
        Answer(
            chunks=[read("reframed/streamed_function_call_args_array_no_terminator.reframed.sse")]
        )
    )
    async with AsyncClient(api_key="k", base_url=url) as client:
        stream = await client.models.generate_content(model=MODEL, contents="x", stream=True)
        seen: list[Any] = []
        async with stream:
            async for _ in stream:
                seen.append(stream.partial_output)
            result = await stream.final_response()
        assert seen[-1] == json.loads(result.text)
        stream = await client.models.generate_content(model=MODEL, contents="x", stream=True)
        async with stream:
            arguments = [
                stream.partial_arguments(event)
                async for event in stream.events()
                if isinstance(event, ToolCallDone)
            ]
            result = await stream.final_response()
    assert arguments == [call.args for call in result.function_calls]
    assert arguments[0]["operations"][1]["price"] == 0.3


@pytest.mark.anyio
async def test_an_invalid_chunk_can_be_returned_instead_of_raised(
    server: tuple[Scripted, str],
) -> None:
    scripted, url = server
    bad = b'data: {"candidates": [{"index": "zero"}]}\r\n\r\n'
    scripted.answers.append(Answer(chunks=[bad, read("text_single_frame.sse")]))
    scripted.answers.append(Answer(chunks=[bad]))
    async with AsyncClient(api_key="k", base_url=url) as client:
        stream = await client.models.generate_content(
            model=MODEL, contents="x", stream=True, on_invalid="return"
        )
        async with stream:
            kinds = [event.type async for event in stream.events()]
            result = await stream.final_response()
        assert kinds[0] == "invalid"
        assert result.text == "Paris"
        stream = await client.models.generate_content(model=MODEL, contents="x", stream=True)
        with pytest.raises(RilletError, match=r"candidates\[0\]\.index"):
            await stream.final_response()


@pytest.mark.anyio
async def test_the_calls_and_handlers_are_typed(server: tuple[Scripted, str]) -> None:
    """mypy checks the assert_type lines (this file is type-checked with the tests)."""
    scripted, url = server
    scripted.answers.append(Answer(chunks=[read("text_three_frames.sse")]))
    whole = machine([read("text_single_frame.sse")]).result().to_dict()
    scripted.answers.append(Answer(200, JSON, [json.dumps(whole).encode()]))
    router = Router()
    chunks: list[GenerateContentResponse] = []

    @router.on("gemini.chunk")
    def chunk(event: GenerateContentResponse) -> None:
        chunks.append(event)

    async with AsyncClient(api_key="k", base_url=url) as client:
        stream = await client.models.generate_content(model=MODEL, contents="x", stream=True)
        assert_type(stream, GenerateContentStream)
        async with stream:
            result = await stream.dispatch(router)
        assert_type(result, GenerateContentResponse)
        response = await client.models.generate_content(model=MODEL, contents="x")
        assert_type(response, GenerateContentResponse)
    assert len(chunks) == 3
    assert result.text == "".join(c.text for c in chunks)
    assert response.text == "Paris"
