"""The blocking client against the emulator over loopback; client options on the wire."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any

import httpx
import pytest

from clients import API_KEY, decoded
from conftest import Served
from rillet import (
    APITimeoutError,
    AuthenticationError,
    AzureClient,
    BadRequestError,
    Client,
    HandlerError,
    NotEventStreamError,
    RateLimitError,
    ResponseFailedError,
    RilletError,
    Router,
    StreamTruncatedError,
    SyncChatCompletionStream,
    SyncResponseStream,
    Timeouts,
)
from rillet.events import ChatCompletionChunk, Event, ResponseStreamEvent
from rillet.testing import Emulator, Fault

TEXT = "responses/plain_text_sorted_keys_2026.sse"
FAST = Timeouts(connect=5, read=5, write=5, pool=5, first_event=5)


@contextmanager
def blocking(
    served: Served, headers: Mapping[str, str] | None = None, **options: Any
) -> Iterator[Client]:
    with httpx.Client(headers=dict(headers or {})) as http:
        options.setdefault("timeout", FAST)
        yield Client(api_key=API_KEY, base_url=served.url, http_client=http, **options)


def numbers(events: Sequence[Event]) -> list[int | None]:
    return [e.sequence_number for e in events if isinstance(e, ResponseStreamEvent)]


@pytest.mark.parametrize(
    "name",
    [TEXT, "responses/function_call_parallel.sse", "responses/code_interpreter.sse"],
)
def test_each_stream_gives_the_recorded_events(
    served: Served, emulator_recordings: dict[str, bytes], name: str
) -> None:
    expected = decoded(emulator_recordings[name])
    with blocking(served, {"x-rillet-recording": name}) as client:
        with client.responses.create(model="m", input="hi", stream=True) as stream:
            assert isinstance(stream, SyncResponseStream)
            assert list(stream) == expected
            assert list(stream) == expected  # again, from the cache
            final = stream.get_final_response()
        assert final == getattr(expected[-1], "response", None)
        assert stream.response_id == final.id


def test_a_chat_stream_and_non_streaming_calls(served: Served) -> None:
    with blocking(served) as client:
        with client.chat.completions.create(model="m", messages=[], stream=True) as chat:
            assert isinstance(chat, SyncChatCompletionStream)
            chunks = list(chat)
            assert all(isinstance(c, ChatCompletionChunk) for c in chunks)
            text = "".join(chat.text_deltas())
            completion = chat.get_final_response()
        assert text == completion.choices[0].message.content
        assert client.chat.completions.create(model="m", messages=[]).choices
    with blocking(served, {"x-rillet-recording": TEXT}) as client:
        response = client.responses.create(model="m", input="hi")
        assert client.responses.retrieve(response.id) == response
        with pytest.raises(BadRequestError, match="background=true"):
            client.responses.cancel(response.id)
        with client.responses.retrieve(response.id, stream=True, starting_after=10) as again:
            assert numbers(list(again)) == [11, 12]


def test_break_then_iterate_again_and_close(served: Served) -> None:
    with blocking(served, {"x-rillet-recording": TEXT}) as client:
        stream = client.responses.create(model="m", input="hi", stream=True)
        first = []
        for event in stream:
            first.append(event)
            if len(first) == 3:
                break
        everything = list(stream)
        assert everything[:3] == first
        assert numbers(everything) == list(range(13))
        stream.close()
        stream.close()  # twice is fine


def test_without_the_cache_iteration_continues(served: Served) -> None:
    with blocking(served, {"x-rillet-recording": TEXT}) as client:
        with client.responses.create(model="m", input="hi", stream=True, cache=False) as stream:
            head = [e for _, e in zip(range(4), stream, strict=False)]
            rest = list(stream)
    assert numbers(head + rest) == list(range(13))


@pytest.mark.parametrize(
    ("fault", "error"),
    [
        ("status=401", AuthenticationError),
        ("status=429", RateLimitError),
        ("non-sse", NotEventStreamError),
    ],
)
def test_errors_before_the_stream(served: Served, fault: str, error: type[Exception]) -> None:
    with blocking(served, {"x-rillet-fault": fault}, max_retries=0) as client:
        with pytest.raises(error):
            client.responses.create(model="m", input="hi", stream=True)


def test_retries_with_retry_after(served: Served, caplog: pytest.LogCaptureFixture) -> None:
    fault = Fault(kind="fail-first", count=2, status=503, retry_after=0.01)
    headers = {"x-rillet-fault": str(fault), "x-rillet-key": str(uuid.uuid4())}
    with blocking(served, headers) as client, caplog.at_level(logging.INFO, logger="rillet"):
        with client.responses.create(model="m", input="hi", stream=True) as stream:
            assert stream.get_final_response().status == "completed"
            assert stream.stats.retries == 2
    assert len(caplog.records) == 2


@pytest.mark.parametrize(
    ("fault", "timeouts", "error", "kind"),
    [
        ("drop-after-events=4", FAST, StreamTruncatedError, None),
        ("keepalive-only", Timeouts(first_event=0.2, read=5), APITimeoutError, "first_event"),
        ("stall-after-events=3", Timeouts(read=0.2), APITimeoutError, "read"),
    ],
)
def test_faults_mid_stream(
    served: Served, fault: str, timeouts: Timeouts, error: type[Exception], kind: str | None
) -> None:
    with blocking(
        served, {"x-rillet-recording": TEXT, "x-rillet-fault": fault}, timeout=timeouts
    ) as client:
        with client.responses.create(model="m", input="hi", stream=True) as stream:
            with pytest.raises(error) as caught:
                stream.get_final_response()
    assert getattr(caught.value, "kind", None) == kind
    partial = getattr(caught.value, "partial", None)
    assert (partial is None) == (fault == "keepalive-only")  # what arrived is kept


def test_sync_handlers_dispatch_and_async_ones_are_refused(served: Served) -> None:
    texts: list[str] = []
    router = Router()
    router.on("response.output_text.delta")(lambda event: texts.append(event.delta))
    with blocking(served, {"x-rillet-recording": TEXT}) as client:
        with client.responses.create(model="m", input="hi", stream=True) as stream:
            response = stream.dispatch(router)
        assert "".join(texts) == response.output_text
        failing = Router()
        failing.on("response.completed")(lambda event: 1 / 0)
        with client.responses.create(model="m", input="hi", stream=True) as stream:
            with pytest.raises(HandlerError) as caught:
                stream.dispatch(failing)
        assert isinstance(caught.value.__cause__, ZeroDivisionError)
        asynchronous = Router()

        @asynchronous.on("*")
        async def handler(event: Event) -> None: ...

        with client.responses.create(model="m", input="hi", stream=True) as stream:
            with pytest.raises(RilletError, match="async client"):
                stream.dispatch(asynchronous)
        reports_async = Router()

        @reports_async.on_error
        async def report(error: RilletError) -> None: ...

        with client.responses.create(model="m", input="hi", stream=True) as stream:
            with pytest.raises(RilletError, match="async client"):
                stream.dispatch(reports_async)


def test_a_failed_response_is_reported_to_on_error_before_on_end(rillet_client: Client) -> None:
    order: list[str] = []
    router = Router()
    router.on("*")(lambda event: order.append("event"))
    router.on_error(lambda error: order.append(f"error {type(error).__name__}"))
    router.on_end(lambda context: order.append("end"))
    with rillet_client.responses.create(model="rillet-failed", input="hi", stream=True) as stream:
        with pytest.raises(ResponseFailedError) as caught:
            stream.dispatch(router)
    assert caught.value.partial is not None
    assert order[-2:] == ["error ResponseFailedError", "end"]
    assert set(order[:-2]) == {"event"}


def last_request(served: Served, marker: str) -> tuple[str, str, dict[str, str], bytes]:
    return next(r for r in reversed(served.emulator.requests) if r[2].get("x-marker") == marker)


def test_organization_and_project_come_from_the_environment_as_in_the_official_sdk(
    rillet_emulator: Emulator, rillet_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OPENAI_ORG_ID", "org-env")
    monkeypatch.setenv("OPENAI_PROJECT_ID", "proj-env")
    with Client(api_key=API_KEY, base_url=rillet_url) as client:
        client.responses.create(model="m", input="hi")
    with Client(api_key=API_KEY, base_url=rillet_url, organization="org-arg") as client:
        client.responses.create(model="m", input="hi")
    (_, _, from_env, _), (_, _, given, _) = rillet_emulator.requests
    assert (from_env["openai-organization"], from_env["openai-project"]) == ("org-env", "proj-env")
    assert (given["openai-organization"], given["openai-project"]) == ("org-arg", "proj-env")


def test_client_options_reach_the_wire(served: Served) -> None:
    marker = str(uuid.uuid4())
    with httpx.Client() as http:
        client = Client(
            api_key=API_KEY,
            base_url=served.url,
            http_client=http,
            organization="org-1",
            project="proj-1",
            default_headers={"x-marker": marker, "x-default": "d"},
            default_query={"q": "default"},
        )
        client.responses.create(
            model="m",
            input="hi",
            extra_headers={"x-extra": "e"},
            extra_query={"extra": "1"},
            extra_body={"metadata": {"from": "extra_body"}},
        )
        method, path, headers, body = last_request(served, marker)
        assert (method, path) == ("POST", "/v1/responses?q=default&extra=1")
        assert headers["openai-organization"] == "org-1"
        assert headers["openai-project"] == "proj-1"
        assert (headers["x-default"], headers["x-extra"]) == ("d", "e")
        assert headers["authorization"] == f"Bearer {API_KEY}"
        assert (
            b'"metadata": {"from": "extra_body"}' in body
            or b'"metadata":{"from":"extra_body"}' in body
        )
        other = client.with_options(
            timeout=7.0, max_retries=0, default_headers={"x-marker": marker}
        )
        assert other._http is http
        assert (other.timeouts.read, other.retry.max_retries) == (7.0, 0)
        assert other.project == "proj-1"
        other.close()  # does not close the shared client
        assert not http.is_closed


def test_azure_configuration(served: Served) -> None:
    marker = str(uuid.uuid4())
    endpoint = served.url.removesuffix("/v1")
    with httpx.Client(headers={"x-marker": marker}) as http:
        client = AzureClient(
            azure_endpoint=endpoint,
            azure_deployment="gpt-4o-mini",
            api_version="2024-10-21",
            api_key=API_KEY,
            http_client=http,
        )
        with client.chat.completions.create(model="m", messages=[], stream=True) as chat:
            assert chat.get_final_response().choices
        _, path, headers, _ = last_request(served, marker)
        assert path == "/openai/deployments/gpt-4o-mini/chat/completions?api-version=2024-10-21"
        assert headers["api-key"] == API_KEY
        assert "authorization" not in headers
        assert client.with_options(max_retries=1).default_query == {"api-version": "2024-10-21"}
    with pytest.raises(RilletError, match="api_version"):
        AzureClient(azure_endpoint=endpoint, api_key="k")


def test_the_api_key_never_leaks(served: Served, caplog: pytest.LogCaptureFixture) -> None:
    with blocking(served, {"x-rillet-fault": "status=401"}, max_retries=0) as client:
        assert API_KEY not in repr(client)
        with caplog.at_level(logging.DEBUG), pytest.raises(AuthenticationError) as caught:
            client.responses.create(model="m", input="hi", stream=True)
    assert API_KEY not in str(caught.value)
    assert API_KEY not in repr(caught.value)
    assert all(API_KEY not in record.getMessage() for record in caplog.records)
