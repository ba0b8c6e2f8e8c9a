"""The clients: ``responses`` and ``chat.completions``, over httpx, async and blocking.

Everything but the I/O is written once: the configuration and the building of requests
(:class:`_Base`), the resources and their overloads (generic in what a call returns), and the
plan of each call (:class:`_Plan`: what to send, and which protocol of the stream machine reads
the answer). Every call, streaming or not, is a :class:`~rillet._machine.StreamMachine` and a
loop over it: a stream, or for a JSON answer the same loop with no events. So retries,
deadlines, bounded error bodies and redirects (never followed) are the machine's, for both.
A client's ``_run`` only starts the loop, and waits.
"""

from __future__ import annotations

import os
import time
from collections.abc import Coroutine, Mapping, Sequence
from typing import (
    TYPE_CHECKING,
    Any,
    ClassVar,
    Final,
    Generic,
    Literal,
    Self,
    TypeVar,
    Unpack,
    cast,
    overload,
)

import anyio
import attrs
import httpx

from rillet._body import encode_body
from rillet._closing import AsyncClosing, Closing
from rillet._errors import RilletError
from rillet._machine import StreamMachine
from rillet._options import CallOptions, StreamCallOptions
from rillet._policy import ResumePosition, RetryPolicy, Timeouts
from rillet._pool import ShardedTransport
from rillet._protocols import ChatProtocol, JSONProtocol, ResponsesProtocol, StreamProtocol
from rillet._stream import (
    ChatCompletionStream,
    ParsedChatCompletionStream,
    ParsedResponseStream,
    ResponseStream,
    _Stream,
)
from rillet._structured import chat_response_format, is_format, parse_result, response_text_param
from rillet._sync_stream import (
    SyncChatCompletionStream,
    SyncParsedChatCompletionStream,
    SyncParsedResponseStream,
    SyncResponseStream,
    _SyncStream,
)
from rillet._transport import httpx_timeout
from rillet._version import __version__
from rillet.events import ChatCompletion, OnInvalid, Response
from rillet.events._parsed import ParsedChatCompletion, ParsedResponse

if TYPE_CHECKING:  # rillet.params is for type checkers: importing it costs ~10 ms
    from rillet.params import ChatCompletionCreateParams, IncludeEnumParam, ResponseCreateParams

__all__ = [
    "DEFAULT_BASE_URL",
    "AsyncChat",
    "AsyncChatCompletions",
    "AsyncClient",
    "AsyncResponses",
    "AzureAsyncClient",
    "AzureClient",
    "Chat",
    "ChatCompletions",
    "Client",
    "Responses",
]

DEFAULT_BASE_URL: Final = "https://api.openai.com/v1"
"""Where requests go when neither ``base_url`` nor ``OPENAI_BASE_URL`` says otherwise."""

H = TypeVar("H", httpx.AsyncClient, httpx.Client)
S = TypeVar("S")  # what a streaming call returns (a coroutine of it, with the async client)
J = TypeVar("J")  # what a call answered by one JSON object returns (likewise)
F = TypeVar("F")  # a structured-output format (text_format=, response_format=)
Headers = Mapping[str, str]
Query = Mapping[str, Any]
Body = Mapping[str, Any]
Model = type[Response] | type[ChatCompletion]

# From the source: importlib.metadata is slow to import (7 to 20 ms here, with what it imports).
_USER_AGENT: Final = f"rillet/{__version__}"
_NOT_GIVEN: Final[Any] = object()


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


# -- what one call is -------------------------------------------------------------------------


@attrs.frozen
class _StreamOptions:
    """How a stream's answer is read."""

    cache: bool = True
    on_invalid: OnInvalid = "raise"
    strict: bool = True  # the stream starts at its beginning (not after some event)


@attrs.frozen
class _Call:
    """What one call adds to the client's configuration."""

    timeouts: Timeouts
    retry: RetryPolicy
    headers: Headers
    query: Query

    def timeout_within(self, seconds: float | None) -> httpx.Timeout:
        """The httpx timeouts of this call, none longer than ``seconds`` (``None``: no limit)."""
        if seconds is None:
            return httpx_timeout(self.timeouts)
        limited = {
            name: seconds if value is None else min(value, seconds)
            for name, value in attrs.asdict(self.timeouts).items()
            if name in ("connect", "read", "write", "pool")
        }
        return httpx_timeout(attrs.evolve(self.timeouts, **limited))


@attrs.frozen
class _Plan:
    """One call: what to send, and how its answer is read (``stream`` ``None``: one JSON)."""

    method: str
    path: str
    model: Model
    call: _Call
    stream: _StreamOptions | None
    content: bytes | None = None  # the JSON body, written once for every attempt
    params: Query | None = None
    output_format: type[Any] | None = None  # the result is parsed into it (text_format=...)


# -- configuration and requests ---------------------------------------------------------------


class _Base(Generic[H]):
    """Configuration, request building and the machine of each call, for both clients."""

    _key_variable = "OPENAI_API_KEY"

    def __init__(
        self,
        *,
        api_key: str | None = None,
        base_url: str | httpx.URL | None = None,
        organization: str | None = None,
        project: str | None = None,
        default_headers: Headers | None = None,
        default_query: Query | None = None,
        http_client: H | None = None,
        timeout: Timeouts | float | None = _NOT_GIVEN,
        max_retries: int | RetryPolicy = 2,
    ) -> None:
        key = api_key if api_key is not None else os.environ.get(self._key_variable)
        if key is not None:
            _check_key(key, "" if api_key is not None else f" (from {self._key_variable})")
        base = base_url or os.environ.get("OPENAI_BASE_URL") or DEFAULT_BASE_URL
        self.base_url = httpx.URL(str(base).rstrip("/") + "/")
        """Where requests go."""
        if key is None and str(self.base_url).rstrip("/") == DEFAULT_BASE_URL:
            msg = "no API key: pass api_key= or set OPENAI_API_KEY (or point base_url elsewhere)"
            raise RilletError(msg)
        self._api_key = key
        self.organization = organization or os.environ.get("OPENAI_ORG_ID")
        """Sent as ``OpenAI-Organization``."""
        self.project = project or os.environ.get("OPENAI_PROJECT_ID")
        """Sent as ``OpenAI-Project``."""
        self.default_headers: dict[str, str] = dict(default_headers or {})
        """Headers sent with every request."""
        self.default_query: dict[str, Any] = dict(default_query or {})
        """Query parameters sent with every request."""
        self.timeouts = Timeouts() if timeout is _NOT_GIVEN else Timeouts.of(timeout)
        """The timeouts of every request (each call may override them)."""
        self.retry = (
            max_retries
            if isinstance(max_retries, RetryPolicy)
            else RetryPolicy(max_retries=max_retries)
        )
        """When failed requests are tried again, and broken streams resumed."""
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
            "organization": self.organization,
            "project": self.project,
            "default_headers": self.default_headers,
            "default_query": self.default_query,
            "timeout": self.timeouts,
            "max_retries": self.retry,
            "http_client": self._http,
        }
        return type(self)(**{**options, **changes})

    def _new_http(self) -> H:
        """The HTTP client made when none is given."""
        raise NotImplementedError

    def _attach(self) -> None:
        """Make the resources (``responses``, ``chat``)."""

    def _run(self, plan: _Plan) -> Any:  # noqa: ANN401 - a stream or a model, or a coroutine
        """Make the call ``plan`` describes."""
        raise NotImplementedError

    def _auth_headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self._api_key}"} if self._api_key else {}

    def _plan(
        self,
        method: str,
        path: str,
        model: Model,
        options: CallOptions,
        reading: _StreamOptions | None,
        *,
        body: Body | None = None,
        params: Query | None = None,
    ) -> _Plan:
        max_retries = options.get("max_retries")
        call = _Call(
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
        return _Plan(method, path, model, call, reading, content, params)

    def _machine(self, plan: _Plan, started: float) -> StreamMachine[Any]:
        """The machine of a call: a Responses API stream (resumable), a chat one, or JSON."""
        call, reading = plan.call, plan.stream
        protocol: StreamProtocol[Any]
        timeouts = call.timeouts
        if reading is None:
            protocol = JSONProtocol[Any](plan.model)
            # As ever for a JSON answer: httpx's timeouts alone (the others are a stream's).
            timeouts = attrs.evolve(timeouts, first_event=None, idle=None, total=None)
        elif plan.model is Response:
            protocol = ResponsesProtocol(on_invalid=reading.on_invalid, strict=reading.strict)
        else:
            protocol = ChatProtocol(on_invalid=reading.on_invalid)
        headers = {**self.default_headers, **call.headers}
        return StreamMachine(
            protocol,
            timeouts=timeouts,
            retry=call.retry,
            started=started,
            cache=reading is None or reading.cache,
            resumable=reading is not None and plan.model is Response,
            idempotent=plan.method == "GET" or any(k.lower() == "idempotency-key" for k in headers),
            label=f"{plan.method} {self.base_url.join(plan.path).path}",
        )

    def _request(self, plan: _Plan, resume: object, within: float | None) -> httpx.Request:
        """The request of a call, or of its stream's resumption from ``resume``, due ``within``."""
        if isinstance(resume, ResumePosition):
            path = f"responses/{resume.response_id}"
            # A retrieve's own query (include...) stays; a create's body does not apply.
            after = {**(plan.params or {}), **_resume_params(resume.sequence_number)}
            plan = attrs.evolve(plan, method="GET", path=path, content=None, params=after)
        call = plan.call
        headers = {
            "Accept": "application/json" if plan.stream is None else "text/event-stream",
            "User-Agent": _USER_AGENT,
            **self._auth_headers(),
            **({"OpenAI-Organization": self.organization} if self.organization else {}),
            **({"OpenAI-Project": self.project} if self.project else {}),
            **self.default_headers,
            **call.headers,
        }
        query = {**self.default_query, **(plan.params or {}), **call.query}
        request = self._http.build_request(
            plan.method,
            self.base_url.join(plan.path),
            content=plan.content,
            params=query or None,
            headers=headers,
            timeout=call.timeout_within(within),
        )
        if plan.content is not None:  # as httpx's json= does: a Content-Type given stays
            request.headers.setdefault("Content-Type", "application/json")
        return request


# -- the resources: written once, generic in what a call returns ------------------------------


class _Resource(Generic[S, J]):
    """A resource of the API, for either client: ``S`` is what its streams are, ``J`` objects."""

    _path: ClassVar[str]
    _model: ClassVar[Model]

    def __init__(self, client: _Base[Any]) -> None:
        self._client = client

    def _create(
        self, params: dict[str, Any], *, stream: bool, output_format: type[Any] | None = None
    ) -> S | J:
        """``create``'s work, the same for both APIs (``params``: the call's own keywords).

        With an ``output_format``, the result (a stream's final one) is parsed into it.
        """
        options = _options(params)
        body = {**params, "stream": True} if stream else params
        reading = _reading(options, stream=stream)
        result = self._call("POST", self._path, options, reading, body=body, fmt=output_format)
        return cast("S | J", result)

    def _call(
        self,
        method: str,
        path: str,
        options: CallOptions,
        reading: _StreamOptions | None,
        *,
        body: Body | None = None,
        params: Query | None = None,
        fmt: type[Any] | None = None,
    ) -> Any:  # noqa: ANN401 - what the client's _run returns
        client, model = self._client, self._model
        plan = client._plan(method, path, model, options, reading, body=body, params=params)  # noqa: SLF001
        if fmt is not None:
            plan = attrs.evolve(plan, output_format=fmt)
        return client._run(plan)  # noqa: SLF001


class _Responses(_Resource[S, J]):
    _path = "responses"
    _model = Response

    def _create_response(
        self, params: dict[str, Any], *, stream: bool, text_format: type[Any] | None
    ) -> Any:  # noqa: ANN401 - what create's overloads say
        """``create``'s work; ``text_format`` is written into ``text``."""
        if text_format is not None:
            params["text"] = response_text_param(text_format, params.get("text"))
        return self._create(params, stream=stream, output_format=text_format)

    @overload
    def retrieve(
        self,
        response_id: str,
        *,
        stream: Literal[True],
        starting_after: int | None = None,
        include: Sequence[IncludeEnumParam] | None = None,
        include_obfuscation: bool | None = None,
        **options: Unpack[StreamCallOptions],
    ) -> S: ...

    @overload
    def retrieve(
        self,
        response_id: str,
        *,
        stream: Literal[False] = False,
        include: Sequence[IncludeEnumParam] | None = None,
        **options: Unpack[CallOptions],
    ) -> J: ...

    @overload
    def retrieve(
        self,
        response_id: str,
        *,
        stream: bool,
        starting_after: int | None = None,
        include: Sequence[IncludeEnumParam] | None = None,
        include_obfuscation: bool | None = None,
        **options: Unpack[StreamCallOptions],
    ) -> S | J: ...

    def retrieve(
        self,
        response_id: str,
        *,
        stream: bool = False,
        starting_after: int | None = None,
        include: Sequence[IncludeEnumParam] | None = None,
        include_obfuscation: bool | None = None,
        **options: Unpack[StreamCallOptions],
    ) -> S | J:
        """Get a response (``GET /responses/{id}``), or stream it again.

        With ``stream=True`` the events of a background response are streamed, from the
        start or from after the event numbered ``starting_after``. Such a stream starts in the
        middle: events about items it never saw added are not accumulated (they are listed in
        ``stream.accumulator.problems``); the final response, from the terminal event, is whole.
        ``include`` asks for more of the response (as ``create``'s does);
        ``include_obfuscation=False`` leaves out the padding of a stream's delta events.
        """
        path = f"responses/{response_id}"
        params = _resume_params(starting_after) if stream else {}
        if include is not None:
            params["include[]"] = list(include)
        if include_obfuscation is not None:
            params["include_obfuscation"] = include_obfuscation
        reading = _reading(options, stream=stream, strict=starting_after is None)
        return cast("S | J", self._call("GET", path, options, reading, params=params or None))

    def resume(self, position: ResumePosition, **options: Unpack[StreamCallOptions]) -> S:
        """Continue a background response's stream from a saved :class:`~rillet.ResumePosition`.

        The same as ``retrieve(position.response_id, stream=True,
        starting_after=position.sequence_number)``: the events after that one, resumed again
        automatically if the connection drops.
        """
        after = position.sequence_number
        stream: S = self.retrieve(
            position.response_id, stream=True, starting_after=after, **options
        )
        return stream

    def cancel(self, response_id: str, **options: Unpack[CallOptions]) -> J:
        """Cancel a background response (``POST /responses/{id}/cancel``)."""
        path = f"responses/{response_id}/cancel"
        return cast("J", self._call("POST", path, options, None))


class _ChatCompletions(_Resource[S, J]):
    _path = "chat/completions"
    _model = ChatCompletion

    def _create_chat(self, params: dict[str, Any], *, stream: bool) -> Any:  # noqa: ANN401
        """``create``'s work; a ``response_format`` class is written as its format."""
        response_format = params.get("response_format")
        if not is_format(response_format):
            return self._create(params, stream=stream)
        params["response_format"] = chat_response_format(response_format)
        return self._create(params, stream=stream, output_format=response_format)


# The resources' public methods are the concrete classes': a parsed stream's type depends on
# the format's, which a resource's type parameters cannot say. The chat ones take
# `response_format` both as their own keyword (a class) and in the parameters' TypedDict (the
# API's object): type checkers report the overlap where the overload is written (hence the
# ignores), and a call takes the first overload that fits, as meant.


class AsyncResponses(
    _Responses[Coroutine[Any, Any, ResponseStream], Coroutine[Any, Any, Response]]
):
    """The Responses API: ``client.responses`` (each call is awaited)."""

    @overload
    def create(
        self,
        *,
        stream: Literal[True],
        text_format: type[F],
        **params: Unpack[ResponseCreateParams],
    ) -> Coroutine[Any, Any, ParsedResponseStream[F]]: ...

    @overload
    def create(
        self,
        *,
        stream: Literal[False] = False,
        text_format: type[F],
        **params: Unpack[ResponseCreateParams],
    ) -> Coroutine[Any, Any, ParsedResponse[F]]: ...

    @overload
    def create(
        self, *, stream: Literal[True], **params: Unpack[ResponseCreateParams]
    ) -> Coroutine[Any, Any, ResponseStream]: ...

    @overload
    def create(
        self, *, stream: Literal[False] = False, **params: Unpack[ResponseCreateParams]
    ) -> Coroutine[Any, Any, Response]: ...

    @overload
    def create(
        self, *, stream: bool, **params: Unpack[ResponseCreateParams]
    ) -> Coroutine[Any, Any, ResponseStream | Response]: ...

    def create(
        self,
        *,
        stream: bool = False,
        text_format: type[Any] | None = None,
        **params: Unpack[ResponseCreateParams],
    ) -> Any:
        """Create a model response (``POST /responses``).

        ``params`` are the request body's (``model``, ``input``, ``tools``...: typed by
        :class:`rillet.params.ResponseCreateParams`, items of ``response.output`` accepted back
        in ``input``), and the per-call options of :class:`~rillet.StreamCallOptions`
        (``timeout``, ``max_retries``, ``extra_headers``, ``extra_query``, ``extra_body``;
        ``cache`` and ``on_invalid`` for a stream). A parameter newer than rillet's types goes
        in ``extra_body`` (any other keyword is sent too, but is a type error).

        With ``stream=True`` the result is a :class:`~rillet.ResponseStream` (blocking:
        :class:`~rillet.SyncResponseStream`), returned once the response headers arrive;
        otherwise the whole :class:`~rillet.events.Response`. The async client's calls are
        awaited.

        With ``text_format=`` (an attrs class, a dataclass, a ``TypedDict``, a pydantic
        model...), the model is asked for JSON of that type (``text.format``, a strict JSON
        schema; other keys of ``text`` are kept) and the response is a
        :class:`~rillet.events.ParsedResponse` whose ``output_parsed`` is a value of it; the
        stream's final response likewise (it is a :class:`~rillet.ParsedResponseStream`).

        Raises:
            StructuredOutputError: With ``text_format``, the output is not a value of it.
        """
        body = cast("dict[str, Any]", params)
        return self._create_response(body, stream=stream, text_format=text_format)

    def parse(
        self, *, text_format: type[F], **params: Unpack[ResponseCreateParams]
    ) -> Coroutine[Any, Any, ParsedResponse[F]]:
        """Create a response whose output is a ``text_format``, and parse it.

        The same as ``create(text_format=..., ...)`` without a stream: a
        :class:`~rillet.events.ParsedResponse`, whose ``output_parsed`` is the value (or
        ``None`` when the model refused or the response is incomplete).

        Raises:
            StructuredOutputError: The output is not a ``text_format``; the error carries the
                response.
        """
        return self.create(text_format=text_format, **params)


class AsyncChatCompletions(
    _ChatCompletions[Coroutine[Any, Any, ChatCompletionStream], Coroutine[Any, Any, ChatCompletion]]
):
    """Chat Completions: ``client.chat.completions`` (each call is awaited)."""

    @overload
    def create(  # type: ignore[misc]
        self,
        *,
        stream: Literal[True],
        response_format: type[F],
        **params: Unpack[ChatCompletionCreateParams],  # pyright: ignore[reportGeneralTypeIssues]
    ) -> Coroutine[Any, Any, ParsedChatCompletionStream[F]]: ...

    @overload
    def create(  # type: ignore[misc]
        self,
        *,
        stream: Literal[False] = False,
        response_format: type[F],
        **params: Unpack[ChatCompletionCreateParams],  # pyright: ignore[reportGeneralTypeIssues]
    ) -> Coroutine[Any, Any, ParsedChatCompletion[F]]: ...

    @overload
    def create(
        self, *, stream: Literal[True], **params: Unpack[ChatCompletionCreateParams]
    ) -> Coroutine[Any, Any, ChatCompletionStream]: ...

    @overload
    def create(
        self, *, stream: Literal[False] = False, **params: Unpack[ChatCompletionCreateParams]
    ) -> Coroutine[Any, Any, ChatCompletion]: ...

    @overload
    def create(
        self, *, stream: bool, **params: Unpack[ChatCompletionCreateParams]
    ) -> Coroutine[Any, Any, ChatCompletionStream | ChatCompletion]: ...

    def create(self, *, stream: bool = False, **params: Any) -> Any:
        """Create a chat completion (``POST /chat/completions``).

        ``params`` are the request body's (``model``, ``messages``, ``tools``...: typed by
        :class:`rillet.params.ChatCompletionCreateParams`; a completion's message and its tool
        calls are accepted back in ``messages``), and the per-call options of
        :class:`~rillet.StreamCallOptions`. A parameter newer than rillet's types goes in
        ``extra_body``.

        With ``stream=True`` the result is a :class:`~rillet.ChatCompletionStream` (blocking:
        :class:`~rillet.SyncChatCompletionStream`), returned once the response headers arrive;
        otherwise the whole :class:`~rillet.events.ChatCompletion`. The async client's calls
        are awaited.

        ``response_format`` may be a class (an attrs class, a dataclass, a ``TypedDict``, a
        pydantic model...) as well as the API's object: the model is then asked for JSON of
        that type (a strict JSON schema), and the result is a
        :class:`~rillet.events.ParsedChatCompletion` whose choices' ``message.parsed`` are
        values of it; the stream's final completion likewise (it is a
        :class:`~rillet.ParsedChatCompletionStream`).

        Raises:
            StructuredOutputError: With a ``response_format`` class, a choice's content is not
                a value of it.
        """
        return self._create_chat(params, stream=stream)

    def parse(  # type: ignore[misc]
        self,
        *,
        response_format: type[F],
        **params: Unpack[ChatCompletionCreateParams],  # pyright: ignore[reportGeneralTypeIssues]
    ) -> Coroutine[Any, Any, ParsedChatCompletion[F]]:
        """Create a chat completion whose content is a ``response_format``, and parse it.

        The same as ``create(response_format=..., ...)`` without a stream: a
        :class:`~rillet.events.ParsedChatCompletion`, whose choices' ``message.parsed`` are the
        values (``None`` for a refusal or a choice cut short).

        Raises:
            StructuredOutputError: A choice's content is not a ``response_format``; the error
                carries the completion.
        """
        body: dict[str, Any] = {**params, "response_format": response_format}
        completion: Coroutine[Any, Any, ParsedChatCompletion[F]]
        completion = self._create_chat(body, stream=False)
        return completion


class AsyncChat:
    """The Chat Completions API's namespace: ``client.chat.completions``."""

    def __init__(self, client: AsyncClient) -> None:
        self.completions = AsyncChatCompletions(client)
        """``client.chat.completions``."""


class Responses(_Responses[SyncResponseStream, Response]):
    """The Responses API for blocking code: ``client.responses``."""

    @overload
    def create(
        self,
        *,
        stream: Literal[True],
        text_format: type[F],
        **params: Unpack[ResponseCreateParams],
    ) -> SyncParsedResponseStream[F]: ...

    @overload
    def create(
        self,
        *,
        stream: Literal[False] = False,
        text_format: type[F],
        **params: Unpack[ResponseCreateParams],
    ) -> ParsedResponse[F]: ...

    @overload
    def create(
        self, *, stream: Literal[True], **params: Unpack[ResponseCreateParams]
    ) -> SyncResponseStream: ...

    @overload
    def create(
        self, *, stream: Literal[False] = False, **params: Unpack[ResponseCreateParams]
    ) -> Response: ...

    @overload
    def create(
        self, *, stream: bool, **params: Unpack[ResponseCreateParams]
    ) -> SyncResponseStream | Response: ...

    def create(
        self,
        *,
        stream: bool = False,
        text_format: type[Any] | None = None,
        **params: Unpack[ResponseCreateParams],
    ) -> Any:
        """Create a model response (``POST /responses``).

        As the async client's :meth:`AsyncResponses.create` (not awaited; streams are
        :class:`~rillet.SyncResponseStream` and :class:`~rillet.SyncParsedResponseStream`).
        """
        body = cast("dict[str, Any]", params)
        return self._create_response(body, stream=stream, text_format=text_format)

    def parse(
        self, *, text_format: type[F], **params: Unpack[ResponseCreateParams]
    ) -> ParsedResponse[F]:
        """Create a response whose output is a ``text_format``, and parse it.

        As :meth:`AsyncResponses.parse` (not awaited).
        """
        return self.create(text_format=text_format, **params)


class ChatCompletions(_ChatCompletions[SyncChatCompletionStream, ChatCompletion]):
    """Chat Completions for blocking code: ``client.chat.completions``."""

    @overload
    def create(  # type: ignore[misc]
        self,
        *,
        stream: Literal[True],
        response_format: type[F],
        **params: Unpack[ChatCompletionCreateParams],  # pyright: ignore[reportGeneralTypeIssues]
    ) -> SyncParsedChatCompletionStream[F]: ...

    @overload
    def create(  # type: ignore[misc]
        self,
        *,
        stream: Literal[False] = False,
        response_format: type[F],
        **params: Unpack[ChatCompletionCreateParams],  # pyright: ignore[reportGeneralTypeIssues]
    ) -> ParsedChatCompletion[F]: ...

    @overload
    def create(
        self, *, stream: Literal[True], **params: Unpack[ChatCompletionCreateParams]
    ) -> SyncChatCompletionStream: ...

    @overload
    def create(
        self, *, stream: Literal[False] = False, **params: Unpack[ChatCompletionCreateParams]
    ) -> ChatCompletion: ...

    @overload
    def create(
        self, *, stream: bool, **params: Unpack[ChatCompletionCreateParams]
    ) -> SyncChatCompletionStream | ChatCompletion: ...

    def create(self, *, stream: bool = False, **params: Any) -> Any:
        """Create a chat completion (``POST /chat/completions``).

        As the async client's :meth:`AsyncChatCompletions.create` (not awaited).
        """
        return self._create_chat(params, stream=stream)

    def parse(  # type: ignore[misc]
        self,
        *,
        response_format: type[F],
        **params: Unpack[ChatCompletionCreateParams],  # pyright: ignore[reportGeneralTypeIssues]
    ) -> ParsedChatCompletion[F]:
        """Create a chat completion whose content is a ``response_format``, and parse it.

        As :meth:`AsyncChatCompletions.parse` (not awaited).
        """
        body: dict[str, Any] = {**params, "response_format": response_format}
        completion: ParsedChatCompletion[F] = self._create_chat(body, stream=False)
        return completion


class Chat:
    """The Chat Completions API's namespace for blocking code: ``client.chat.completions``."""

    def __init__(self, client: Client) -> None:
        self.completions = ChatCompletions(client)
        """``client.chat.completions``."""


# -- the clients: only the I/O ----------------------------------------------------------------

_ASYNC_LOOPS: Final[dict[Model | None, type[_Stream[Any, Any]]]] = {
    Response: ResponseStream,
    ChatCompletion: ChatCompletionStream,
    None: _Stream,  # a JSON answer: the same loop, no events
}
_SYNC_LOOPS: Final[dict[Model | None, type[_SyncStream[Any, Any]]]] = {
    Response: SyncResponseStream,
    ChatCompletion: SyncChatCompletionStream,
    None: _SyncStream,
}

_ASYNC_PARSED: Final[dict[Model, Any]] = {
    Response: ParsedResponseStream,
    ChatCompletion: ParsedChatCompletionStream,
}
_SYNC_PARSED: Final[dict[Model, Any]] = {
    Response: SyncParsedResponseStream,
    ChatCompletion: SyncParsedChatCompletionStream,
}


class AsyncClient(_Base[httpx.AsyncClient], AsyncClosing):
    """An async client of the OpenAI API, or of any server compatible with it.

    Use it as an async context manager (or call :meth:`aclose`): it owns an
    ``httpx.AsyncClient`` unless you pass one, which then stays yours to close.

    Args:
        api_key: The API key; ``OPENAI_API_KEY`` when not given. It never appears in a repr,
            a log line or an exception message.
        base_url: The API's address; ``OPENAI_BASE_URL`` when not given, else the OpenAI API.
        organization: Sent as ``OpenAI-Organization``; ``OPENAI_ORG_ID`` when not given.
        project: Sent as ``OpenAI-Project``; ``OPENAI_PROJECT_ID`` when not given.
        default_headers: Headers sent with every request.
        default_query: Query parameters sent with every request.
        http_client: An ``httpx.AsyncClient`` to send requests with (for proxies, limits,
            transports in tests).
        timeout: A :class:`~rillet.Timeouts`, or a number of seconds for connect, read, write
            and pool.
        max_retries: How many times a failed request is tried again, or a whole
            :class:`~rillet.RetryPolicy` (backoff, resumption of broken background streams).

    Attributes:
        responses: The Responses API.
        chat: The Chat Completions API (``client.chat.completions``).
    """

    def _attach(self) -> None:
        self.responses = AsyncResponses(self)
        self.chat = AsyncChat(self)

    async def aclose(self) -> None:
        """Close the HTTP client, if this client created it."""
        if self._owns_http:
            await self._http.aclose()

    def _new_http(self) -> httpx.AsyncClient:
        return httpx.AsyncClient(timeout=httpx_timeout(self.timeouts), transport=ShardedTransport())

    async def _run(self, plan: _Plan) -> Any:  # noqa: ANN401 - a stream or a model
        async def send(resume: object, within: float | None) -> httpx.Response:
            request = self._request(plan, resume, within)
            return await self._http.send(request, stream=True, follow_redirects=False)

        machine = self._machine(plan, anyio.current_time())
        fmt = plan.output_format
        loop: _Stream[Any, Any]
        if plan.stream and fmt is not None:
            loop = _ASYNC_PARSED[plan.model](machine, send, fmt)
        else:
            loop = _ASYNC_LOOPS[plan.model if plan.stream else None](machine, send)
        await loop._start()  # noqa: SLF001
        if plan.stream:
            return loop
        result = await loop.final_response()
        return result if fmt is None else parse_result(result, fmt)


class Client(_Base[httpx.Client], Closing):
    """A blocking client of the OpenAI API: the same API as :class:`AsyncClient`, no event loop.

    Built on a native ``httpx.Client`` and the same core as the async client (no event loop
    runs in a thread). Its streams are :class:`~rillet.SyncResponseStream` and
    :class:`~rillet.SyncChatCompletionStream`. Arguments as for :class:`AsyncClient`
    (``http_client`` is an ``httpx.Client``).

    Attributes:
        responses: The Responses API.
        chat: The Chat Completions API (``client.chat.completions``).
    """

    def _attach(self) -> None:
        self.responses = Responses(self)
        self.chat = Chat(self)

    def close(self) -> None:
        """Close the HTTP client, if this client created it."""
        if self._owns_http:
            self._http.close()

    def _new_http(self) -> httpx.Client:
        return httpx.Client(timeout=httpx_timeout(self.timeouts))

    def _run(self, plan: _Plan) -> Any:  # noqa: ANN401 - a stream or a model
        def send(resume: object, within: float | None) -> httpx.Response:
            request = self._request(plan, resume, within)
            return self._http.send(request, stream=True, follow_redirects=False)

        machine = self._machine(plan, time.monotonic())
        fmt = plan.output_format
        loop: _SyncStream[Any, Any]
        if plan.stream and fmt is not None:
            loop = _SYNC_PARSED[plan.model](machine, send, fmt)
        else:
            loop = _SYNC_LOOPS[plan.model if plan.stream else None](machine, send)
        loop._start()  # noqa: SLF001
        if plan.stream:
            return loop
        result = loop.get_final_response()
        return result if fmt is None else parse_result(result, fmt)


# -- Azure OpenAI -----------------------------------------------------------------------------


class _Azure(_Base[H]):
    """Azure OpenAI's differences: an ``api-key`` header, ``api-version``, deployment URLs."""

    _key_variable = "AZURE_OPENAI_API_KEY"

    def __init__(
        self,
        *,
        azure_endpoint: str | None = None,
        azure_deployment: str | None = None,
        api_version: str | None = None,
        **options: Any,  # noqa: ANN401
    ) -> None:
        endpoint = azure_endpoint or os.environ.get("AZURE_OPENAI_ENDPOINT")
        version = api_version or os.environ.get("OPENAI_API_VERSION")
        if options.get("base_url") is not None:
            base = options.pop("base_url")
        elif endpoint:
            base = endpoint.rstrip("/") + "/openai"
            if azure_deployment:
                base += f"/deployments/{azure_deployment}"
            options.pop("base_url", None)
        else:
            msg = "Azure OpenAI needs azure_endpoint= (or AZURE_OPENAI_ENDPOINT), or base_url="
            raise RilletError(msg)
        query = dict(options.pop("default_query", None) or {})
        if version:
            query["api-version"] = version
        elif "api-version" not in query:
            msg = "Azure OpenAI needs api_version= (or OPENAI_API_VERSION)"
            raise RilletError(msg)
        super().__init__(**options, base_url=base, default_query=query)

    def _auth_headers(self) -> dict[str, str]:
        return {"api-key": self._api_key} if self._api_key else {}


class AzureAsyncClient(_Azure[httpx.AsyncClient], AsyncClient):
    """:class:`AsyncClient` for Azure OpenAI.

    Requests go to ``{azure_endpoint}/openai/deployments/{azure_deployment}/...`` (or
    ``{azure_endpoint}/openai/...`` without a deployment, or ``base_url``), with the key in an
    ``api-key`` header (``AZURE_OPENAI_API_KEY`` when not given) and ``api-version`` in the
    query (``OPENAI_API_VERSION`` when not given). Other arguments as for :class:`AsyncClient`.
    """


class AzureClient(_Azure[httpx.Client], Client):
    """:class:`Client` for Azure OpenAI (see :class:`AzureAsyncClient`)."""


def _options(params: dict[str, Any]) -> StreamCallOptions:
    """Take the per-call options out of ``params`` (which leaves the API's parameters)."""
    return cast("StreamCallOptions", {k: params.pop(k) for k in _OPTION_NAMES if k in params})


def _reading(
    options: StreamCallOptions, *, stream: bool, strict: bool = True
) -> _StreamOptions | None:
    """How a stream is read, as the call's options say (``None``: not a stream)."""
    if not stream:
        return None
    return _StreamOptions(options.get("cache", True), options.get("on_invalid", "raise"), strict)


def _resume_params(starting_after: int | None) -> dict[str, Any]:
    params: dict[str, Any] = {"stream": "true"}
    if starting_after is not None:
        params["starting_after"] = starting_after
    return params
