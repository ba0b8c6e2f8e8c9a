"""OpenTelemetry spans and metrics of streams, by the GenAI semantic conventions.

Nothing is imported and nothing is done unless OpenTelemetry is in use: when its request is
sent, a stream asks once whether a tracer or meter provider is configured (the client's own,
else the global ones: not the API's no-op default). If none is, the stream carries no recorder
and costs nothing more. A recorder reads one clock, the wall clock, when the span starts; every
other time is the stream machine's own (its :class:`~rillet._machine.StreamStats`), and it is
told once, when the stream ends.
"""

from __future__ import annotations

import logging
import sys
import time
from typing import TYPE_CHECKING, Any, Final

from rillet._errors import RilletError
from rillet._version import __version__

if TYPE_CHECKING:
    import httpx
    from opentelemetry.metrics import Counter, Histogram, MeterProvider
    from opentelemetry.trace import Span, Tracer, TracerProvider

    from rillet._machine import StreamMachine, StreamStats
    from rillet.events import NeutralResult, NeutralUsage

__all__ = ["StreamRecorder", "Telemetry"]

_SCOPE: Final = "rillet"
_SECONDS: Final = (0.01, 0.02, 0.04, 0.08, 0.16, 0.32, 0.64, 1.28, 2.56, 5.12, 10.24, 20.48)
_BUCKETS: Final = (*_SECONDS, 40.96, 81.92)
"""The conventions' bucket boundaries of every time histogram."""
_TOKEN_BUCKETS: Final = tuple(4**power for power in range(14))
_TRACE: Final = "opentelemetry.trace"
_METRICS: Final = "opentelemetry.metrics"
_log = logging.getLogger("rillet")


def _global_tracer_provider() -> TracerProvider | None:
    """The global tracer provider, if one was set (not the API's no-op default)."""
    if _TRACE not in sys.modules:  # nothing imported OpenTelemetry: nothing configured it
        return None
    from opentelemetry import trace  # noqa: PLC0415 - only once something imported it

    provider = trace.get_tracer_provider()
    if isinstance(provider, trace.ProxyTracerProvider | trace.NoOpTracerProvider):
        return None
    return provider


def _global_meter_provider() -> MeterProvider | None:
    """The global meter provider, if one was set (not the API's no-op default)."""
    if _METRICS not in sys.modules:
        return None
    from opentelemetry import metrics  # noqa: PLC0415 - only once something imported it

    provider = metrics.get_meter_provider()
    # The default is a private proxy class: told apart by its name.
    if isinstance(provider, metrics.NoOpMeterProvider) or type(provider).__name__.startswith(
        "_Proxy"
    ):
        return None
    return provider


class _Instruments:
    """The tracer and the metric instruments of one tracer and meter provider."""

    __slots__ = (
        "duration",
        "input_tokens",
        "operation_input_tokens",
        "operation_output_tokens",
        "output_tokens",
        "time_per_output_chunk",
        "time_to_first_chunk",
        "tracer",
    )

    def __init__(
        self, tracer_provider: TracerProvider | None, meter_provider: MeterProvider | None
    ) -> None:
        self.tracer: Tracer | None = None
        if tracer_provider is not None:
            self.tracer = tracer_provider.get_tracer(_SCOPE, __version__)
        self.duration: Histogram | None = None
        if meter_provider is None:
            return
        meter = meter_provider.get_meter(_SCOPE, __version__)

        def seconds(name: str, description: str) -> Histogram:
            return meter.create_histogram(
                f"gen_ai.client.inference.{name}",
                unit="s",
                description=description,
                explicit_bucket_boundaries_advisory=_BUCKETS,
            )

        def tokens(name: str, description: str) -> Histogram:
            return meter.create_histogram(
                f"gen_ai.client.inference.operation.{name}",
                unit="{token}",
                description=description,
                explicit_bucket_boundaries_advisory=_TOKEN_BUCKETS,
            )

        self.duration = seconds("duration", "GenAI client inference operation duration.")
        self.time_to_first_chunk = seconds(
            "time_to_first_chunk", "Time from sending the request to the first chunk."
        )
        self.time_per_output_chunk = seconds(
            "time_per_output_chunk", "Time per output chunk after the first (a stream's mean)."
        )
        self.operation_input_tokens = tokens("input_tokens", "Input tokens per operation.")
        self.operation_output_tokens = tokens("output_tokens", "Output tokens per operation.")
        self.input_tokens: Counter = meter.create_counter(
            "gen_ai.client.inference.usage.input_tokens",
            unit="{token}",
            description="Input (prompt) tokens used, cached ones included.",
        )
        self.output_tokens: Counter = meter.create_counter(
            "gen_ai.client.inference.usage.output_tokens",
            unit="{token}",
            description="Output (completion) tokens used, reasoning ones included.",
        )


class Telemetry:
    """Where a client's streams report: its own providers, else the global ones.

    Args:
        tracer_provider: Where spans go (``None``: the global tracer provider, if set).
        meter_provider: Where measurements go (``None``: the global meter provider, if set).
        provider: ``gen_ai.provider.name`` (``openai``, ``anthropic``, ``gcp.gemini``).
        operation: ``gen_ai.operation.name`` (``chat``, ``generate_content``).
    """

    __slots__ = (
        "_cached",
        "_providers",
        "meter_provider",
        "operation",
        "provider",
        "tracer_provider",
    )

    def __init__(
        self,
        tracer_provider: TracerProvider | None,
        meter_provider: MeterProvider | None,
        *,
        provider: str,
        operation: str,
    ) -> None:
        self.tracer_provider = tracer_provider
        self.meter_provider = meter_provider
        self.provider = provider
        self.operation = operation
        self._providers: tuple[object, object] = (None, None)
        self._cached: _Instruments | None = None

    def start(self, model: str | None, url: httpx.URL, started: float) -> StreamRecorder | None:
        """The recorder of a stream of ``model`` sent to ``url`` at ``started`` (machine time).

        ``None`` when nothing is configured to receive what it would record.
        """
        tracer_provider = self.tracer_provider or _global_tracer_provider()
        meter_provider = self.meter_provider or _global_meter_provider()
        if tracer_provider is None and meter_provider is None:
            return None
        instruments = self._cached
        if instruments is None or self._providers != (tracer_provider, meter_provider):
            instruments = self._cached = _Instruments(tracer_provider, meter_provider)
            self._providers = (tracer_provider, meter_provider)
        attributes: dict[str, str | int] = {
            "gen_ai.operation.name": self.operation,
            "gen_ai.provider.name": self.provider,
            "server.address": url.host,
            "server.port": url.port or (443 if url.scheme == "https" else 80),
        }
        if model:
            attributes["gen_ai.request.model"] = model
        return StreamRecorder(instruments, attributes, started)


class StreamRecorder:
    """The span and the measurements of one stream: started with its request, ended once."""

    __slots__ = ("_attributes", "_instruments", "_span", "_started", "_wall_start")

    def __init__(
        self, instruments: _Instruments, attributes: dict[str, str | int], started: float
    ) -> None:
        self._instruments = instruments
        self._attributes = attributes
        self._started = started
        self._wall_start = time.time_ns()
        self._span: Span | None = None
        tracer = instruments.tracer
        if tracer is not None:
            from opentelemetry.trace import SpanKind  # noqa: PLC0415 - imported by the tracer

            model = attributes.get("gen_ai.request.model")
            operation = attributes["gen_ai.operation.name"]
            name = f"{operation} {model}" if model else str(operation)
            self._span = tracer.start_span(
                name,
                kind=SpanKind.CLIENT,
                attributes={**attributes, "gen_ai.request.stream": True},
                start_time=self._wall_start,
            )

    def ended(self, machine: StreamMachine[Any], now: float) -> None:
        """The stream ended (``machine`` says how): end the span, record the measurements.

        Whatever goes wrong here is logged, never raised: telemetry does not break a stream.
        """
        try:
            self._end(machine, now)
        except Exception:  # noqa: BLE001 - an exporter's or a processor's, say
            _log.warning("reporting a stream to OpenTelemetry failed", exc_info=True)

    def _end(self, machine: StreamMachine[Any], now: float) -> None:
        stats = machine.stats(now)
        neutral, error = _outcome(machine)
        usage = neutral.usage if neutral is not None else None
        ended: dict[str, Any] = {}
        if neutral is not None and neutral.model:
            ended["gen_ai.response.model"] = neutral.model
        if error is not None:
            ended["error.type"] = _error_type(error)
        if self._instruments.duration is not None:
            last = machine.deadlines.last_event_at
            self._record(stats, last, usage, {**self._attributes, **ended})
        span = self._span
        if span is None:
            return
        from opentelemetry.trace import StatusCode  # noqa: PLC0415 - imported by the tracer

        if neutral is not None and neutral.id:
            ended["gen_ai.response.id"] = neutral.id
        ended["gen_ai.response.finish_reasons"] = [_finish_reason(neutral, error, machine)]
        if stats.time_to_first_event is not None:
            ended["gen_ai.response.time_to_first_chunk"] = stats.time_to_first_event
        if usage is not None:
            ended.update(_usage_attributes(usage))
        if error is not None:
            span.set_status(StatusCode.ERROR, str(error))
        span.set_attributes(ended)
        span.end(end_time=self._wall_start + round(stats.duration * 1e9))

    def _record(
        self,
        stats: StreamStats[Any],
        last_event_at: float | None,
        usage: NeutralUsage | None,
        attributes: dict[str, Any],
    ) -> None:
        """Record a stream's measurements (``attributes``: with ``error.type`` if it failed)."""
        instruments = self._instruments
        assert instruments.duration is not None  # noqa: S101 - with a meter provider only
        instruments.duration.record(stats.duration, attributes)
        attributes.pop("error.type", None)  # the duration's alone
        first = stats.time_to_first_event
        if first is not None:
            instruments.time_to_first_chunk.record(first, attributes)
            chunks = sum(stats.events_by_type.values())
            if last_event_at is not None and chunks > 1:
                # One measurement per stream, the mean, rather than one per chunk (the
                # conventions'): so that nothing is done per chunk.
                last = last_event_at - self._started
                instruments.time_per_output_chunk.record((last - first) / (chunks - 1), attributes)
        tokens = {**attributes, "gen_ai.token.modality": "unknown"}  # no split by modality
        instruments.input_tokens.add(usage.input_tokens if usage else 0, tokens)
        instruments.output_tokens.add(usage.output_tokens if usage else 0, tokens)
        if usage is not None:
            instruments.operation_input_tokens.record(usage.input_tokens, attributes)
            instruments.operation_output_tokens.record(usage.output_tokens, attributes)


def _outcome(machine: StreamMachine[Any]) -> tuple[NeutralResult | None, RilletError | None]:
    """A finished stream's result (as any provider's), and the error it ended with, if any."""
    error = machine.failure
    result: Any = None
    if error is None and not machine.closed:
        try:
            result = machine.result()
        except RilletError as failed:  # a failed response, a body cut short...
            error = failed
    whole = result if result is not None else machine.snapshot
    return (None if whole is None else whole.neutral()), error


def _usage_attributes(usage: NeutralUsage) -> dict[str, int]:
    """The span's ``gen_ai.usage.*`` attributes."""
    attributes = {
        "gen_ai.usage.input_tokens": usage.input_tokens,
        "gen_ai.usage.output_tokens": usage.output_tokens,
    }
    if usage.reasoning_tokens is not None:
        attributes["gen_ai.usage.reasoning.output_tokens"] = usage.reasoning_tokens
    if usage.cached_input_tokens is not None:
        attributes["gen_ai.usage.cache_read.input_tokens"] = usage.cached_input_tokens
    return attributes


def _error_type(error: RilletError) -> str:
    """``error.type``: the HTTP status of an API's error answer, else the error's class."""
    status = getattr(error, "status_code", None)
    return str(status) if isinstance(status, int) else type(error).__name__


def _finish_reason(
    neutral: NeutralResult | None, error: RilletError | None, machine: StreamMachine[Any]
) -> str:
    """The provider's own reason the generation ended; ``error`` when it did not end properly."""
    if error is not None or machine.closed or neutral is None or neutral.finish_reason is None:
        return "error"
    if neutral.provider == "openai.responses":  # its status is no finish reason: the mapped one
        return neutral.finish_reason
    return neutral.provider_reason or neutral.finish_reason
