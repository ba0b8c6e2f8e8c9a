"""The Gemini API's clients: ``client.models.generate_content(...)``, async and blocking.

Configuration, retries, timeouts and the loop of each call are the shared base's
(:mod:`rillet._client_base`); this says where requests go, how the key is sent, and which
protocol and stream read the answer.
"""

from __future__ import annotations

from collections.abc import Coroutine, Mapping
from typing import Any, ClassVar, Final, Literal, TypeVar, Unpack, overload
from urllib.parse import quote

from rillet._client_base import (
    AsyncBase,
    Base,
    Plan,
    Resource,
    StreamOptions,
    SyncBase,
    options_of,
    reading_of,
)
from rillet._options import StreamCallOptions
from rillet._protocols import StreamProtocol
from rillet._stream import _Stream
from rillet._sync_stream import _SyncStream
from rillet.gemini._params import Contents, GenerateContentConfig, contents_of, instruction_of
from rillet.gemini._protocol import GeminiProtocol
from rillet.gemini._streams import GenerateContentStream, SyncGenerateContentStream
from rillet.gemini._types import GenerateContentResponse

__all__ = ["DEFAULT_BASE_URL", "AsyncClient", "AsyncModels", "Client", "Models"]

DEFAULT_BASE_URL: Final = "https://generativelanguage.googleapis.com"
"""Where requests go when neither ``base_url`` nor ``GOOGLE_GEMINI_BASE_URL`` says otherwise."""
API_VERSION: Final = "v1beta"

S = TypeVar("S")
J = TypeVar("J")


class _Gemini(Base[Any]):
    """The Gemini API's differences: the key in ``x-goog-api-key``, its own variables."""

    _key_variables = ("GEMINI_API_KEY", "GOOGLE_API_KEY")
    _base_url_variable = "GOOGLE_GEMINI_BASE_URL"
    _default_base_url = DEFAULT_BASE_URL
    _provider_name = "gcp.gemini"
    _operation_name = "generate_content"

    def _auth_headers(self) -> dict[str, str]:
        return {"x-goog-api-key": self._api_key} if self._api_key else {}

    def _protocol(self, plan: Plan, reading: StreamOptions) -> StreamProtocol[Any]:
        del plan
        return GeminiProtocol(on_invalid=reading.on_invalid)


class _Models(Resource[S, J]):
    _path = "models"
    _model = GenerateContentResponse

    def _generate(
        self,
        model: str,
        contents: Contents,
        config: GenerateContentConfig | Mapping[str, Any] | None,
        options: StreamCallOptions,
        *,
        stream: bool,
    ) -> Any:  # noqa: ANN401 - what the overloads say
        params: dict[str, Any] = dict(options)
        call_options = options_of(params)
        body: dict[str, Any] = {"contents": contents_of(contents), **(config or {})}
        if "systemInstruction" in body:
            body["systemInstruction"] = instruction_of(body["systemInstruction"])
        name = quote(model.removeprefix("models/"), safe="-._~/")
        method = "streamGenerateContent" if stream else "generateContent"
        path = f"{API_VERSION}/models/{name}:{method}"
        reading = reading_of(call_options, stream=stream)
        query = {"alt": "sse"} if stream else None
        return self._call(
            "POST", path, call_options, reading, body=body, params=query, request_model=name
        )


class AsyncModels(
    _Models[
        Coroutine[Any, Any, GenerateContentStream],
        Coroutine[Any, Any, GenerateContentResponse],
    ]
):
    """``client.models`` of the async client."""

    @overload
    def generate_content(
        self,
        *,
        model: str,
        contents: Contents,
        stream: Literal[True],
        config: GenerateContentConfig | None = None,
        **options: Unpack[StreamCallOptions],
    ) -> Coroutine[Any, Any, GenerateContentStream]: ...

    @overload
    def generate_content(
        self,
        *,
        model: str,
        contents: Contents,
        stream: Literal[False] = False,
        config: GenerateContentConfig | None = None,
        **options: Unpack[StreamCallOptions],
    ) -> Coroutine[Any, Any, GenerateContentResponse]: ...

    def generate_content(
        self,
        *,
        model: str,
        contents: Contents,
        stream: bool = False,
        config: GenerateContentConfig | None = None,
        **options: Unpack[StreamCallOptions],
    ) -> Any:
        """Generate content (``POST /v1beta/models/{model}:generateContent``).

        ``contents`` is a string, strings (the parts of one user message), or REST
        ``Content`` dicts; ``config`` the rest of the request in the REST API's names
        (``generationConfig``, ``tools``, ``systemInstruction``...). With ``stream=True`` it is
        ``:streamGenerateContent?alt=sse`` and the result a :class:`GenerateContentStream`,
        returned once the response headers arrive; otherwise the whole
        :class:`GenerateContentResponse`. ``options`` are the per-call options of
        :class:`~rillet.StreamCallOptions`.
        """
        return self._generate(model, contents, config, options, stream=stream)


class Models(_Models[SyncGenerateContentStream, GenerateContentResponse]):
    """``client.models`` of the blocking client."""

    @overload
    def generate_content(
        self,
        *,
        model: str,
        contents: Contents,
        stream: Literal[True],
        config: GenerateContentConfig | None = None,
        **options: Unpack[StreamCallOptions],
    ) -> SyncGenerateContentStream: ...

    @overload
    def generate_content(
        self,
        *,
        model: str,
        contents: Contents,
        stream: Literal[False] = False,
        config: GenerateContentConfig | None = None,
        **options: Unpack[StreamCallOptions],
    ) -> GenerateContentResponse: ...

    def generate_content(
        self,
        *,
        model: str,
        contents: Contents,
        stream: bool = False,
        config: GenerateContentConfig | None = None,
        **options: Unpack[StreamCallOptions],
    ) -> Any:
        """Generate content; as :meth:`AsyncModels.generate_content` (not awaited)."""
        return self._generate(model, contents, config, options, stream=stream)


class AsyncClient(_Gemini, AsyncBase):
    """An async client of the Gemini API.

    Use it as an async context manager (or call ``aclose()``).

    Args:
        api_key: The API key, sent as ``x-goog-api-key``; ``GEMINI_API_KEY``, then
            ``GOOGLE_API_KEY``, when not given.
        base_url: The API's address; ``GOOGLE_GEMINI_BASE_URL`` when not given, else
            ``https://generativelanguage.googleapis.com``.
        default_headers: Headers sent with every request.
        default_query: Query parameters sent with every request.
        http_client: An ``httpx.AsyncClient`` to send requests with.
        timeout: A :class:`~rillet.Timeouts`, or seconds for connect, read, write and pool.
        max_retries: How many times a failed request is tried again, or a
            :class:`~rillet.RetryPolicy`.
        tracer_provider: Where streams' OpenTelemetry spans go (the global tracer provider
            when not given; see :doc:`/observability`).
        meter_provider: Where streams' OpenTelemetry metrics go (the global one when not given).

    Attributes:
        models: ``client.models.generate_content(...)``.
    """

    _streams: ClassVar[Mapping[type[Any], type[_Stream[Any, Any]]]] = {
        GenerateContentResponse: GenerateContentStream
    }

    def _attach(self) -> None:
        self.models = AsyncModels(self)


class Client(_Gemini, SyncBase):
    """A blocking client of the Gemini API; arguments as for its ``AsyncClient``.

    Attributes:
        models: ``client.models.generate_content(...)``.
    """

    _streams: ClassVar[Mapping[type[Any], type[_SyncStream[Any, Any]]]] = {
        GenerateContentResponse: SyncGenerateContentStream
    }

    def _attach(self) -> None:
        self.models = Models(self)
