"""Streams' OpenTelemetry spans and metrics (rillet._telemetry), into the SDK's in-memory exporters.

Every stream is served by the emulator over loopback. The providers are the client's own (the
global ones can be set once per process: that, and OpenTelemetry absent, run in subprocesses).
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import attrs
import pytest
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import HistogramDataPoint, InMemoryMetricReader
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind, StatusCode

import rillet
from rillet import AsyncClient, Client, StreamTruncatedError
from rillet.anthropic import AsyncClient as AnthropicClient
from rillet.gemini import AsyncClient as GeminiClient
from rillet.testing import Emulator, serve_in_thread

pytestmark = pytest.mark.json_independent

SAY: list[Any] = [{"role": "user", "content": "Hi"}]


@attrs.define
class Exported:
    """A tracer and a meter provider, and what they exported."""

    spans: InMemorySpanExporter
    reader: InMemoryMetricReader
    options: dict[str, Any]

    def span(self) -> ReadableSpan:
        """The one span exported."""
        (span,) = self.spans.get_finished_spans()
        return span

    def attributes(self) -> Mapping[str, Any]:
        return self.span().attributes or {}

    def points(self, name: str) -> list[Any]:
        """The data points of the metric ``name``."""
        data = self.reader.get_metrics_data()
        assert data is not None
        return [
            point
            for resource in data.resource_metrics
            for scope in resource.scope_metrics
            for metric in scope.metrics
            if metric.name == name
            for point in metric.data.data_points
        ]


@pytest.fixture
def exported() -> Exported:
    spans = InMemorySpanExporter()
    tracer_provider = TracerProvider()
    tracer_provider.add_span_processor(SimpleSpanProcessor(spans))
    reader = InMemoryMetricReader()
    options = {"tracer_provider": tracer_provider, "meter_provider": MeterProvider([reader])}
    return Exported(spans, reader, options)


@pytest.fixture(scope="module")
def url() -> Iterator[str]:
    with serve_in_thread(Emulator()) as served:
        yield served


@pytest.mark.anyio
async def test_a_responses_stream_is_one_span_and_its_measurements(
    url: str, exported: Exported
) -> None:
    async with AsyncClient(api_key="k", base_url=f"{url}/v1", **exported.options) as client:
        stream = await client.responses.create(model="rillet-text", input="Hi", stream=True)
        async with stream:
            response = await stream.final_response()
        stats = stream.stats
    span = exported.span()
    assert span.name == "chat rillet-text"
    assert span.kind is SpanKind.CLIENT
    assert span.status.status_code is StatusCode.UNSET
    attributes = exported.attributes()
    assert response.usage is not None
    host, port = url.removeprefix("http://").split(":")
    assert attributes == {
        "gen_ai.operation.name": "chat",
        "gen_ai.provider.name": "openai",
        "gen_ai.request.model": "rillet-text",
        "gen_ai.request.stream": True,
        "server.address": host,
        "server.port": int(port),
        "gen_ai.response.model": response.model,
        "gen_ai.response.id": response.id,
        "gen_ai.response.finish_reasons": ("stop",),
        "gen_ai.response.time_to_first_chunk": stats.time_to_first_event,
        "gen_ai.usage.input_tokens": response.usage.input_tokens,
        "gen_ai.usage.output_tokens": response.usage.output_tokens,
        "gen_ai.usage.reasoning.output_tokens": 0,
        "gen_ai.usage.cache_read.input_tokens": 0,
    }
    assert stats.time_to_first_event is not None
    assert 0 < stats.time_to_first_event < stats.duration
    assert span.end_time is not None
    assert span.start_time is not None
    assert span.end_time - span.start_time == round(stats.duration * 1e9)

    (duration,) = exported.points("gen_ai.client.inference.duration")
    assert isinstance(duration, HistogramDataPoint)
    assert (duration.count, duration.sum) == (1, stats.duration)
    assert duration.attributes is not None
    assert "error.type" not in duration.attributes
    assert duration.attributes["gen_ai.response.model"] == response.model
    (first,) = exported.points("gen_ai.client.inference.time_to_first_chunk")
    assert first.sum == stats.time_to_first_event
    (per_chunk,) = exported.points("gen_ai.client.inference.time_per_output_chunk")
    assert 0 <= per_chunk.sum <= stats.duration - stats.time_to_first_event
    (tokens,) = exported.points("gen_ai.client.inference.usage.output_tokens")
    assert tokens.value == response.usage.output_tokens
    assert tokens.attributes["gen_ai.token.modality"] == "unknown"
    (histogram,) = exported.points("gen_ai.client.inference.operation.input_tokens")
    assert histogram.sum == response.usage.input_tokens


@pytest.mark.anyio
async def test_chat_anthropic_and_gemini_streams_say_their_provider_and_reason(
    url: str, exported: Exported
) -> None:
    options = exported.options
    async with AsyncClient(api_key="k", base_url=f"{url}/v1", **options) as openai:
        chat = await openai.chat.completions.create(
            model="rillet-text", messages=SAY, stream=True, stream_options={"include_usage": True}
        )
        async with chat:
            completion = await chat.final_response()
    async with AnthropicClient(api_key="k", base_url=url, **options) as anthropic:
        stream = await anthropic.messages.create(
            model="rillet-text", max_tokens=64, messages=SAY, stream=True
        )
        async with stream:
            message = await stream.final_response()
    async with GeminiClient(api_key="k", base_url=url, **options) as gemini:
        generating = await gemini.models.generate_content(
            model="rillet-incomplete", contents="Hi", stream=True
        )
        async with generating:
            generated = await generating.final_response()
    seen = [
        (
            span.name,
            (span.attributes or {})["gen_ai.provider.name"],
            (span.attributes or {})["gen_ai.response.finish_reasons"],
            (span.attributes or {})["gen_ai.usage.output_tokens"],
        )
        for span in exported.spans.get_finished_spans()
    ]
    assert completion.usage is not None
    assert generated.usage_metadata is not None
    assert seen == [
        ("chat rillet-text", "openai", ("stop",), completion.usage.completion_tokens),
        ("chat rillet-text", "anthropic", ("end_turn",), message.usage.output_tokens),
        (
            "generate_content rillet-incomplete",
            "gcp.gemini",
            ("MAX_TOKENS",),
            generated.usage_metadata.candidates_token_count,
        ),
    ]
    durations = exported.points("gen_ai.client.inference.duration")
    assert sorted(dict(point.attributes)["gen_ai.provider.name"] for point in durations) == [
        "anthropic",
        "gcp.gemini",
        "openai",
    ]


@pytest.mark.anyio
async def test_a_broken_stream_ends_its_span_in_error(url: str, exported: Exported) -> None:
    fault = {"x-rillet-fault": "drop-after-events=3"}
    async with AsyncClient(api_key="k", base_url=f"{url}/v1", **exported.options) as client:
        stream = await client.responses.create(
            model="rillet-text", input="Hi", stream=True, extra_headers=fault
        )
        with pytest.raises(StreamTruncatedError) as raised:
            async with stream:
                await stream.final_response()
    span = exported.span()
    assert span.status.status_code is StatusCode.ERROR
    assert span.status.description == str(raised.value)
    attributes = exported.attributes()
    assert attributes["gen_ai.response.finish_reasons"] == ("error",)
    assert attributes["error.type"] == "StreamTruncatedError"
    (duration,) = exported.points("gen_ai.client.inference.duration")
    assert duration.attributes["error.type"] == "StreamTruncatedError"
    (tokens,) = exported.points("gen_ai.client.inference.usage.input_tokens")
    assert tokens.value == 0  # none reported: recorded as 0, as the conventions ask


@pytest.mark.anyio
async def test_an_error_answer_is_typed_by_its_status(url: str, exported: Exported) -> None:
    fault = {"x-rillet-fault": "status=503"}
    options = {**exported.options, "max_retries": 0}
    async with AsyncClient(api_key="k", base_url=f"{url}/v1", **options) as client:
        with pytest.raises(rillet.APIStatusError):
            await client.responses.create(
                model="rillet-text", input="Hi", stream=True, extra_headers=fault
            )
    assert exported.attributes()["error.type"] == "503"
    assert exported.span().status.status_code is StatusCode.ERROR


def test_a_stream_closed_early_is_no_error_but_did_not_finish(url: str, exported: Exported) -> None:
    with Client(api_key="k", base_url=f"{url}/v1", **exported.options) as client:
        with client.responses.create(model="rillet-text", input="Hi", stream=True) as stream:
            next(iter(stream))
            assert not exported.spans.get_finished_spans()  # open while the stream is
    span = exported.span()
    assert span.status.status_code is StatusCode.UNSET
    assert exported.attributes()["gen_ai.response.finish_reasons"] == ("error",)
    assert "error.type" not in exported.attributes()


def run(code: str) -> str:
    """Run ``code`` in a fresh interpreter, with an emulator served in process; its output."""
    env = {**os.environ, "PYTHONPATH": str(Path(rillet.__file__).parents[1])}
    prelude = """
import sys
import anyio
from rillet import AsyncClient
from rillet.testing import Emulator, serve


async def stream() -> object:
    async with serve(Emulator()) as url, AsyncClient(api_key="k", base_url=f"{url}/v1") as client:
        async with await client.responses.create(model="rillet-text", input="Hi", stream=True) as s:
            await s.final_response()
            return s._machine._recorder
"""
    done = subprocess.run(  # noqa: S603 - our own interpreter, our own code
        [sys.executable, "-c", prelude + code],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


def test_without_opentelemetry_streams_work_and_record_nothing() -> None:
    absent = "sys.modules['opentelemetry'] = None  # not installed\n"
    out = run(absent + "print(anyio.run(stream), [m for m in sys.modules if 'opentelemetry' in m])")
    assert out == "None ['opentelemetry']"


def test_global_providers_are_used_once_set() -> None:
    code = """
from opentelemetry import trace
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

unconfigured = anyio.run(stream)  # the API's no-op default: no recorder
spans = InMemorySpanExporter()
provider = TracerProvider()
provider.add_span_processor(SimpleSpanProcessor(spans))
trace.set_tracer_provider(provider)
anyio.run(stream)
print(unconfigured, [span.name for span in spans.get_finished_spans()])
"""
    assert run(code) == "None ['chat rillet-text']"


class Failing(SimpleSpanProcessor):
    """A span processor whose export fails (as a broken exporter's would)."""

    def on_end(self, span: ReadableSpan) -> None:
        del span
        msg = "the exporter is down"
        raise RuntimeError(msg)


def test_telemetry_that_fails_does_not_break_the_stream(
    url: str, caplog: pytest.LogCaptureFixture
) -> None:
    tracer_provider = TracerProvider()
    tracer_provider.add_span_processor(Failing(InMemorySpanExporter()))
    with Client(api_key="k", base_url=f"{url}/v1", tracer_provider=tracer_provider) as client:
        with client.responses.create(model="rillet-text", input="Hi", stream=True) as stream:
            response = stream.get_final_response()
    assert response.status == "completed"
    assert "reporting a stream to OpenTelemetry failed" in caplog.text
