"""The OpenAI clients: ``responses`` and ``chat.completions``, over httpx, async and blocking.

What every provider's client shares (configuration, requests, the loop of each call) is in
:mod:`rillet._client_base`; here are only OpenAI's differences (its headers, which protocol
reads each kind of stream, the resumption of background responses) and its resources, with the
overloads that type each call.
"""

from __future__ import annotations

import os
from collections.abc import Coroutine, Mapping, Sequence
from typing import (
    TYPE_CHECKING,
    Any,
    ClassVar,
    Final,
    Literal,
    TypeVar,
    Unpack,
    cast,
    overload,
)

import attrs
import httpx

from rillet._client_base import (
    NOT_GIVEN,
    AsyncBase,
    Base,
    Plan,
    Resource,
    StreamOptions,
    SyncBase,
    reading_of,
)
from rillet._errors import RilletError
from rillet._options import CallOptions, StreamCallOptions
from rillet._policy import ResumePosition, RetryPolicy, Timeouts
from rillet._protocols import ChatProtocol, ResponsesProtocol, StreamProtocol
from rillet._stream import (
    ChatCompletionStream,
    ParsedChatCompletionStream,
    ParsedResponseStream,
    ResponseStream,
    _Stream,
)
from rillet._structured import chat_response_format, is_format, response_text_param
from rillet._sync_stream import (
    SyncChatCompletionStream,
    SyncParsedChatCompletionStream,
    SyncParsedResponseStream,
    SyncResponseStream,
    _SyncStream,
)
from rillet.events import ChatCompletion, Response
from rillet.events._parsed import ParsedChatCompletion, ParsedResponse

if TYPE_CHECKING:  # rillet.params is for type checkers: importing it costs ~10 ms
    from opentelemetry.metrics import MeterProvider
    from opentelemetry.trace import TracerProvider

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

H = TypeVar("H", bound=httpx.AsyncClient | httpx.Client)
S = TypeVar("S")  # what a streaming call returns (a coroutine of it, with the async client)
J = TypeVar("J")  # what a call answered by one JSON object returns (likewise)
F = TypeVar("F")  # a structured-output format (text_format=, response_format=)
Model = type[Any]


# -- OpenAI's configuration -------------------------------------------------------------------


class _OpenAI(Base[H]):
    """The OpenAI API's differences: organization and project headers, resumable Responses."""

    _key_variables = ("OPENAI_API_KEY",)
    _base_url_variable = "OPENAI_BASE_URL"
    _default_base_url = DEFAULT_BASE_URL

    def __init__(
        self,
        *,
        api_key: str | None = None,
        base_url: str | httpx.URL | None = None,
        organization: str | None = None,
        project: str | None = None,
        default_headers: Mapping[str, str] | None = None,
        default_query: Mapping[str, Any] | None = None,
        http_client: H | None = None,
        timeout: Timeouts | float | None = NOT_GIVEN,
        max_retries: int | RetryPolicy = 2,
        tracer_provider: TracerProvider | None = None,
        meter_provider: MeterProvider | None = None,
    ) -> None:
        self.organization = organization or os.environ.get("OPENAI_ORG_ID")
        """Sent as ``OpenAI-Organization``."""
        self.project = project or os.environ.get("OPENAI_PROJECT_ID")
        """Sent as ``OpenAI-Project``."""
        super().__init__(
            api_key=api_key,
            base_url=base_url,
            default_headers=default_headers,
            default_query=default_query,
            http_client=http_client,
            timeout=timeout,
            max_retries=max_retries,
            tracer_provider=tracer_provider,
            meter_provider=meter_provider,
        )

    def _own_options(self) -> dict[str, Any]:
        return {"organization": self.organization, "project": self.project}

    def _provider_headers(self) -> dict[str, str]:
        return {
            **({"OpenAI-Organization": self.organization} if self.organization else {}),
            **({"OpenAI-Project": self.project} if self.project else {}),
        }

    def _protocol(self, plan: Plan, reading: StreamOptions) -> StreamProtocol[Any]:
        if plan.model is Response:
            return ResponsesProtocol(on_invalid=reading.on_invalid, strict=reading.strict)
        return ChatProtocol(on_invalid=reading.on_invalid)

    def _resumable(self, plan: Plan) -> bool:
        return plan.model is Response

    def _resumed(self, plan: Plan, resume: object) -> Plan:
        if not isinstance(resume, ResumePosition):
            return plan
        url = self._url(f"responses/{resume.response_id}")
        # A retrieve's own query (include...) stays; a create's body does not apply.
        after = {**(plan.params or {}), **_resume_params(resume.sequence_number)}
        return attrs.evolve(plan, method="GET", url=url, content=None, params=after)


class _Responses(Resource[S, J]):
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
        reading = reading_of(options, stream=stream, strict=starting_after is None)
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


class _ChatCompletions(Resource[S, J]):
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


class AsyncClient(_OpenAI[httpx.AsyncClient], AsyncBase):
    """An async client of the OpenAI API, or of any server compatible with it.

    Use it as an async context manager (or call ``aclose()``): it owns an
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
        tracer_provider: Where streams' OpenTelemetry spans go (the global tracer provider
            when not given; see :doc:`/observability`).
        meter_provider: Where streams' OpenTelemetry metrics go (the global meter provider
            when not given).

    Attributes:
        responses: The Responses API.
        chat: The Chat Completions API (``client.chat.completions``).
    """

    _streams: ClassVar[Mapping[Model, type[_Stream[Any, Any]]]] = {
        Response: ResponseStream,
        ChatCompletion: ChatCompletionStream,
    }
    _parsed_streams: ClassVar[Mapping[Model, Any]] = {
        Response: ParsedResponseStream,
        ChatCompletion: ParsedChatCompletionStream,
    }

    def _attach(self) -> None:
        self.responses = AsyncResponses(self)
        self.chat = AsyncChat(self)


class Client(_OpenAI[httpx.Client], SyncBase):
    """A blocking client of the OpenAI API: the same API as :class:`AsyncClient`, no event loop.

    Built on a native ``httpx.Client`` and the same core as the async client (no event loop
    runs in a thread). Its streams are :class:`~rillet.SyncResponseStream` and
    :class:`~rillet.SyncChatCompletionStream`. Arguments as for :class:`AsyncClient`
    (``http_client`` is an ``httpx.Client``).

    Attributes:
        responses: The Responses API.
        chat: The Chat Completions API (``client.chat.completions``).
    """

    _streams: ClassVar[Mapping[Model, type[_SyncStream[Any, Any]]]] = {
        Response: SyncResponseStream,
        ChatCompletion: SyncChatCompletionStream,
    }
    _parsed_streams: ClassVar[Mapping[Model, Any]] = {
        Response: SyncParsedResponseStream,
        ChatCompletion: SyncParsedChatCompletionStream,
    }

    def _attach(self) -> None:
        self.responses = Responses(self)
        self.chat = Chat(self)


# -- Azure OpenAI -----------------------------------------------------------------------------


class _Azure(_OpenAI[H]):
    """Azure OpenAI's differences: an ``api-key`` header, ``api-version``, deployment URLs."""

    _key_variables = ("AZURE_OPENAI_API_KEY",)

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


def _resume_params(starting_after: int | None) -> dict[str, Any]:
    params: dict[str, Any] = {"stream": "true"}
    if starting_after is not None:
        params["starting_after"] = starting_after
    return params
