"""What every provider's client shares: configuration, requests, and the loop of each call.

Everything but the I/O is written once: the configuration and the building of requests
(:class:`_Base`), the resources (generic in what a call returns), and the plan of each call
(:class:`_Plan`: what to send, and which protocol of the stream machine reads the answer). Every
call, streaming or not, is a :class:`~rillet._machine.StreamMachine` and a loop over it: a
stream, or for a JSON answer the same loop with no events. So retries, deadlines, bounded error
bodies and redirects (never followed) are the machine's, for every provider. A provider's client
says only what differs: where requests go, how it authenticates, which protocol reads each kind
of answer, and which stream class wraps it.
"""

from __future__ import annotations

import functools
import os
import time
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, ClassVar, Final, Generic, Self, TypeVar, cast

import anyio
import attrs
import httpx

from rillet._body import encode_body
from rillet._closing import AsyncClosing, Closing
from rillet._errors import RilletError
from rillet._machine import StreamMachine
from rillet._options import CallOptions, StreamCallOptions
from rillet._policy import RetryPolicy, Timeouts
from rillet._pool import ShardedTransport
from rillet._protocols import JSONProtocol, StreamProtocol
from rillet._stream import _Stream
from rillet._structured import parse_result
from rillet._sync_stream import _SyncStream
from rillet._telemetry import Telemetry
from rillet._transport import httpx_timeout
from rillet._version import __version__
from rillet.events import OnInvalid

if TYPE_CHECKING:
    from opentelemetry.metrics import MeterProvider
    from opentelemetry.trace import TracerProvider

__all__ = [
    "NOT_GIVEN",
    "USER_AGENT",
    "AsyncBase",
    "Base",
    "Call",
    "Plan",
    "Resource",
    "StreamOptions",
    "SyncBase",
    "options_of",
    "reading_of",
]

H = TypeVar("H", bound=httpx.AsyncClient | httpx.Client)
S = TypeVar("S")  # what a streaming call returns (a coroutine of it, with the async client)
J = TypeVar("J")  # what a call answered by one JSON object returns (likewise)
Headers = Mapping[str, str]
Query = Mapping[str, Any]
Body = Mapping[str, Any]
Model = type[Any]  # the class of a call's result (Response, Message...): what picks its stream

# From the source: importlib.metadata is slow to import (7 to 20 ms here, with what it imports).
USER_AGENT: Final = f"rillet/{__version__}"
NOT_GIVEN: Final[Any] = object()

_OPTION_NAMES: Final = StreamCallOptions.__optional_keys__


def _check_key(key: object, origin: str) -> None:
    """Refuse a key that cannot go in a header, saying why but showing none of it.

    Sent, such a key would be quoted by httpx's error, by rillet's retry log line and by
    httpcore's debug log, or escape as a ``UnicodeEncodeError``.
    """
    if not isinstance(key, str):
        problem = f"must be a str, not {type(key).__name__}"
    elif key != key.strip():
        problem = "has leading or trailing whitespace (a newline from a file?)"
    elif key.isascii() and key.isprintable():
        return
    else:
        at = next(i for i, c in enumerate(key) if not (c.isascii() and c.isprintable()))
        kind = "non-ASCII" if not key[at].isascii() else "control"
        problem = f"contains a {kind} character at position {at + 1}"
    msg = f"the API key{origin} {problem}"
    raise RilletError(msg)


@functools.lru_cache(maxsize=256)
def _joined(base: httpx.URL, path: str) -> httpx.URL:
    """``base`` joined with ``path``: a client calls the same few, and httpx's join is slow."""
    return base.join(path)


# -- what one call is -------------------------------------------------------------------------


@attrs.frozen
class StreamOptions:
    """How a stream's answer is read."""

    cache: bool = True
    on_invalid: OnInvalid = "raise"
    strict: bool = True  # the stream starts at its beginning (not after some event)


@attrs.frozen
class Call:
    """What one call adds to the client's configuration."""

    timeouts: Timeouts
    retry: RetryPolicy
    headers: Headers
    query: Query

    def timeout_within(self, seconds: float | None) -> httpx.Timeout:
        """The httpx timeouts of this call, none longer than ``seconds`` (``None``: no limit)."""
        timeouts = self.timeouts
        if seconds is None:
            return httpx_timeout(timeouts)

        def within(value: float | None) -> float:
            return seconds if value is None else min(value, seconds)

        return httpx.Timeout(
            connect=within(timeouts.connect),
            read=within(timeouts.read),
            write=within(timeouts.write),
            pool=within(timeouts.pool),
        )


@attrs.frozen
class Plan:
    """One call: what to send, and how its answer is read (``stream`` ``None``: one JSON)."""

    method: str
    url: httpx.URL
    model: Model
    call: Call
    stream: StreamOptions | None
    content: bytes | None = None  # the JSON body, written once for every attempt
    params: Query | None = None
    output_format: type[Any] | None = None  # the result is parsed into it (text_format=...)
    request_model: str | None = None  # the model asked for, as telemetry names it


# -- configuration and requests ---------------------------------------------------------------


class Base(Generic[H]):
    """Configuration, request building and the machine of each call, for every client.

    A provider's client sets the class variables and overrides the hooks below them.
    """

    _key_variables: ClassVar[tuple[str, ...]]
    """The environment variables that hold the API key, the first set one used."""
    _base_url_variable: ClassVar[str | None] = None
    """The environment variable that holds the API's address, if the provider has one."""
    _default_base_url: ClassVar[str]
    """Where requests go when neither ``base_url`` nor the variable says otherwise."""
    _provider_name: ClassVar[str] = "openai"
    """The provider, as OpenTelemetry's conventions name it (``gen_ai.provider.name``)."""
    _operation_name: ClassVar[str] = "chat"
    """What a streamed call is, as OpenTelemetry's conventions name it."""

    def __init__(
        self,
        *,
        api_key: str | None = None,
        base_url: str | httpx.URL | None = None,
        default_headers: Headers | None = None,
        default_query: Query | None = None,
        http_client: H | None = None,
        timeout: Timeouts | float | None = NOT_GIVEN,
        max_retries: int | RetryPolicy = 2,
        tracer_provider: TracerProvider | None = None,
        meter_provider: MeterProvider | None = None,
    ) -> None:
        key, origin = api_key, ""
        if key is None:
            variable = next((v for v in self._key_variables if os.environ.get(v)), None)
            if variable is not None:
                key, origin = os.environ[variable], f" (from {variable})"
        if key is not None:
            _check_key(key, origin)
        variable_url = os.environ.get(self._base_url_variable) if self._base_url_variable else None
        base = base_url or variable_url or self._default_base_url
        self.base_url = httpx.URL(str(base).rstrip("/") + "/")
        """Where requests go."""
        if key is None and str(self.base_url).rstrip("/") == self._default_base_url:
            variables = " or ".join(self._key_variables)
            msg = f"no API key: pass api_key= or set {variables} (or point base_url elsewhere)"
            raise RilletError(msg)
        self._api_key = key
        self.default_headers: dict[str, str] = dict(default_headers or {})
        """Headers sent with every request."""
        self.default_query: dict[str, Any] = dict(default_query or {})
        """Query parameters sent with every request."""
        self.timeouts = Timeouts() if timeout is NOT_GIVEN else Timeouts.of(timeout)
        """The timeouts of every request (each call may override them)."""
        self.retry = (
            max_retries
            if isinstance(max_retries, RetryPolicy)
            else RetryPolicy(max_retries=max_retries)
        )
        """When failed requests are tried again, and broken streams resumed."""
        self._telemetry = Telemetry(
            tracer_provider,
            meter_provider,
            provider=self._provider_name,
            operation=self._operation_name,
        )
        self._owns_http = http_client is None
        self._http: H = http_client or self._new_http()
        self._attach()

    def __repr__(self) -> str:
        key = "<set>" if self._api_key else None
        return f"{type(self).__name__}(base_url={str(self.base_url)!r}, api_key={key})"

    def with_options(self, **changes: Any) -> Self:  # noqa: ANN401
        """A client like this one with some options changed, sharing its HTTP client.

        Takes the constructor's keyword arguments (``timeout=``, ``max_retries=``,
        ``default_headers=``...). Closing it does not close the shared HTTP client.
        """
        options: dict[str, Any] = {
            "api_key": self._api_key,
            "base_url": self.base_url,
            "default_headers": self.default_headers,
            "default_query": self.default_query,
            "timeout": self.timeouts,
            "max_retries": self.retry,
            "http_client": self._http,
            "tracer_provider": self._telemetry.tracer_provider,
            "meter_provider": self._telemetry.meter_provider,
            **self._own_options(),
        }
        return type(self)(**{**options, **changes})

    # -- what a provider says ----------------------------------------------------------------

    def _own_options(self) -> dict[str, Any]:
        """The provider's own constructor arguments, as this client has them."""
        return {}

    def _auth_headers(self) -> dict[str, str]:
        """The headers that carry the API key."""
        return {"Authorization": f"Bearer {self._api_key}"} if self._api_key else {}

    def _provider_headers(self) -> dict[str, str]:
        """Other headers the provider wants on every request (its API version...)."""
        return {}

    def _protocol(self, plan: Plan, reading: StreamOptions) -> StreamProtocol[Any]:
        """The protocol that reads a streamed answer of ``plan``."""
        raise NotImplementedError

    def _resumable(self, plan: Plan) -> bool:
        """Whether a broken stream of ``plan`` can be resumed (by ``_resumed``)."""
        del plan
        return False

    def _resumed(self, plan: Plan, resume: object) -> Plan:
        """The call that resumes ``plan``'s stream from ``resume`` (``None``: the first send)."""
        del resume
        return plan

    # -- the I/O style's ---------------------------------------------------------------------

    def _new_http(self) -> H:
        """The HTTP client made when none is given."""
        raise NotImplementedError

    def _attach(self) -> None:
        """Make the resources (``responses``, ``messages``...)."""

    def _run(self, plan: Plan) -> Any:  # noqa: ANN401 - a stream or a model, or a coroutine
        """Make the call ``plan`` describes."""
        raise NotImplementedError

    # -- calls -------------------------------------------------------------------------------

    def _plan(
        self,
        method: str,
        path: str,
        model: Model,
        options: CallOptions,
        reading: StreamOptions | None,
        *,
        body: Body | None = None,
        params: Query | None = None,
        request_model: str | None = None,
    ) -> Plan:
        max_retries = options.get("max_retries")
        call = Call(
            timeouts=Timeouts.of(options["timeout"]) if "timeout" in options else self.timeouts,
            retry=self.retry
            if max_retries is None
            else attrs.evolve(self.retry, max_retries=max_retries),
            headers=options.get("extra_headers") or {},
            query=options.get("extra_query") or {},
        )
        extra = options.get("extra_body")
        whole = None if body is None and extra is None else {**(body or {}), **(extra or {})}
        content = None if whole is None else encode_body(whole)
        if request_model is None and whole is not None:
            named = whole.get("model")
            request_model = named if isinstance(named, str) else None
        url = self._url(path)
        return Plan(method, url, model, call, reading, content, params, None, request_model)

    def _url(self, path: str) -> httpx.URL:
        """Where a request to ``path`` goes."""
        return _joined(self.base_url, path)

    def _machine(self, plan: Plan, started: float) -> StreamMachine[Any]:
        """The machine of a call: a stream read by the provider's protocol, or JSON."""
        call, reading = plan.call, plan.stream
        protocol: StreamProtocol[Any]
        timeouts = call.timeouts
        if reading is None:
            protocol = JSONProtocol[Any](plan.model)
            # As ever for a JSON answer: httpx's timeouts alone (the others are a stream's).
            timeouts = attrs.evolve(timeouts, first_event=None, idle=None, total=None)
        else:
            protocol = self._protocol(plan, reading)
        headers = {**self.default_headers, **call.headers}
        return StreamMachine(
            protocol,
            timeouts=timeouts,
            retry=call.retry,
            started=started,
            cache=reading is None or reading.cache,
            resumable=reading is not None and self._resumable(plan),
            idempotent=plan.method == "GET" or any(k.lower() == "idempotency-key" for k in headers),
            label=f"{plan.method} {plan.url.path}",
            recorder=None
            if reading is None
            else self._telemetry.start(plan.request_model, plan.url, started),
        )

    def _request(self, plan: Plan, resume: object, within: float | None) -> httpx.Request:
        """The request of a call, or of its stream's resumption from ``resume``, due ``within``."""
        if resume is not None:
            plan = self._resumed(plan, resume)
        call = plan.call
        headers = {
            "Accept": "application/json" if plan.stream is None else "text/event-stream",
            "User-Agent": USER_AGENT,
            **self._auth_headers(),
            **self._provider_headers(),
            **self.default_headers,
            **call.headers,
        }
        query = {**self.default_query, **(plan.params or {}), **call.query}
        request = self._http.build_request(
            plan.method,
            plan.url,
            content=plan.content,
            params=query or None,
            headers=headers,
            timeout=call.timeout_within(within),
        )
        if plan.content is not None:  # as httpx's json= does: a Content-Type given stays
            request.headers.setdefault("Content-Type", "application/json")
        return request


# -- the resources: written once, generic in what a call returns ------------------------------


class Resource(Generic[S, J]):
    """A resource of an API, for either client: ``S`` is what its streams are, ``J`` objects."""

    _path: ClassVar[str]
    _model: ClassVar[Model]

    def __init__(self, client: Base[Any]) -> None:
        self._client = client

    def _create(
        self, params: dict[str, Any], *, stream: bool, output_format: type[Any] | None = None
    ) -> S | J:
        """``create``'s work where ``stream`` goes in the body (``params``: the call's keywords).

        With an ``output_format``, the result (a stream's final one) is parsed into it.
        """
        options = options_of(params)
        body = {**params, "stream": True} if stream else params
        reading = reading_of(options, stream=stream)
        result = self._call("POST", self._path, options, reading, body=body, fmt=output_format)
        return cast("S | J", result)

    def _call(
        self,
        method: str,
        path: str,
        options: CallOptions,
        reading: StreamOptions | None,
        *,
        body: Body | None = None,
        params: Query | None = None,
        fmt: type[Any] | None = None,
        request_model: str | None = None,
    ) -> Any:  # noqa: ANN401 - what the client's _run returns
        client, model = self._client, self._model
        plan = client._plan(  # noqa: SLF001
            method,
            path,
            model,
            options,
            reading,
            body=body,
            params=params,
            request_model=request_model,
        )
        if fmt is not None:
            plan = attrs.evolve(plan, output_format=fmt)
        return client._run(plan)  # noqa: SLF001


# -- the I/O: a loop per style, the stream class per kind of result ---------------------------


class AsyncBase(Base[httpx.AsyncClient], AsyncClosing):
    """An async client: its calls are awaited, its streams are ``async for``'d."""

    _streams: ClassVar[Mapping[Model, type[_Stream[Any, Any]]]]
    """The stream class of each kind of result."""
    _parsed_streams: ClassVar[Mapping[Model, Any]] = {}
    """The stream class of each kind of result parsed into a format (``text_format=``)."""

    async def aclose(self) -> None:
        """Close the HTTP client, if this client created it."""
        if self._owns_http:
            await self._http.aclose()

    def _new_http(self) -> httpx.AsyncClient:
        return httpx.AsyncClient(timeout=httpx_timeout(self.timeouts), transport=ShardedTransport())

    async def _run(self, plan: Plan) -> Any:  # noqa: ANN401 - a stream or a model
        async def send(resume: object, within: float | None) -> httpx.Response:
            request = self._request(plan, resume, within)
            return await self._http.send(request, stream=True, follow_redirects=False)

        machine = self._machine(plan, anyio.current_time())
        fmt = plan.output_format
        loop: _Stream[Any, Any]
        if plan.stream and fmt is not None:
            loop = self._parsed_streams[plan.model](machine, send, fmt)
        elif plan.stream:
            loop = self._streams[plan.model](machine, send)
        else:
            loop = _Stream(machine, send)  # a JSON answer: the same loop, no events
        await loop._start()  # noqa: SLF001
        if plan.stream:
            return loop
        result = await loop.final_response()
        return result if fmt is None else parse_result(result, fmt)


class SyncBase(Base[httpx.Client], Closing):
    """A blocking client, on a native ``httpx.Client`` (no event loop runs in a thread)."""

    _streams: ClassVar[Mapping[Model, type[_SyncStream[Any, Any]]]]
    """The stream class of each kind of result."""
    _parsed_streams: ClassVar[Mapping[Model, Any]] = {}
    """The stream class of each kind of result parsed into a format (``text_format=``)."""

    def close(self) -> None:
        """Close the HTTP client, if this client created it."""
        if self._owns_http:
            self._http.close()

    def _new_http(self) -> httpx.Client:
        return httpx.Client(timeout=httpx_timeout(self.timeouts))

    def _run(self, plan: Plan) -> Any:  # noqa: ANN401 - a stream or a model
        def send(resume: object, within: float | None) -> httpx.Response:
            request = self._request(plan, resume, within)
            return self._http.send(request, stream=True, follow_redirects=False)

        machine = self._machine(plan, time.monotonic())
        fmt = plan.output_format
        loop: _SyncStream[Any, Any]
        if plan.stream and fmt is not None:
            loop = self._parsed_streams[plan.model](machine, send, fmt)
        elif plan.stream:
            loop = self._streams[plan.model](machine, send)
        else:
            loop = _SyncStream(machine, send)
        loop._start()  # noqa: SLF001
        if plan.stream:
            return loop
        result = loop.get_final_response()
        return result if fmt is None else parse_result(result, fmt)


def options_of(params: dict[str, Any]) -> StreamCallOptions:
    """Take the per-call options out of ``params`` (which leaves the API's parameters)."""
    return cast("StreamCallOptions", {k: params.pop(k) for k in _OPTION_NAMES if k in params})


def reading_of(
    options: StreamCallOptions, *, stream: bool, strict: bool = True
) -> StreamOptions | None:
    """How a stream is read, as the call's options say (``None``: not a stream)."""
    if not stream:
        return None
    return StreamOptions(options.get("cache", True), options.get("on_invalid", "raise"), strict)
