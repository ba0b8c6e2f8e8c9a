"""The Anthropic clients: the shared client base, configured for the Messages API.

``client.messages.create(..., stream=True)`` gives a :class:`MessageStream` (awaited on the
async client) and otherwise the whole :class:`~rillet.anthropic.Message`; retries, timeouts,
error types, the replay cache and statistics are the shared machine's.
"""

from __future__ import annotations

from collections.abc import Coroutine, Mapping
from typing import Any, ClassVar, Final, Literal, TypeVar, Unpack, cast, overload

import httpx

from rillet._client_base import (
    AsyncBase,
    Base,
    Model,
    Plan,
    Resource,
    StreamOptions,
    SyncBase,
)
from rillet._protocols import StreamProtocol
from rillet._stream import _Stream
from rillet._sync_stream import _SyncStream
from rillet.anthropic._message import Message
from rillet.anthropic._params import MessageCreateParams
from rillet.anthropic._protocol import AnthropicProtocol
from rillet.anthropic._stream import MessageStream, SyncMessageStream

__all__ = [
    "ANTHROPIC_VERSION",
    "AsyncClient",
    "AsyncMessages",
    "Client",
    "DEFAULT_BASE_URL",
    "Messages",
]

DEFAULT_BASE_URL: Final = "https://api.anthropic.com"
"""Where requests go when neither ``base_url`` nor ``ANTHROPIC_BASE_URL`` says otherwise."""
ANTHROPIC_VERSION: Final = "2023-06-01"
"""The API version every request names (``anthropic-version``)."""

H = TypeVar("H", bound=httpx.AsyncClient | httpx.Client)
S = TypeVar("S")
J = TypeVar("J")


class _Anthropic(Base[H]):
    """The Messages API's differences: ``x-api-key``, ``anthropic-version``, its protocol."""

    _key_variables = ("ANTHROPIC_API_KEY",)
    _provider_name = "anthropic"
    _base_url_variable = "ANTHROPIC_BASE_URL"
    _default_base_url = DEFAULT_BASE_URL

    def _auth_headers(self) -> dict[str, str]:
        return {"x-api-key": self._api_key} if self._api_key else {}

    def _provider_headers(self) -> dict[str, str]:
        return {"anthropic-version": ANTHROPIC_VERSION}

    def _protocol(self, plan: Plan, reading: StreamOptions) -> StreamProtocol[Any]:
        del plan
        return AnthropicProtocol(on_invalid=reading.on_invalid)


class _Messages(Resource[S, J]):
    _path = "v1/messages"
    _model = Message

    def _create_message(self, params: dict[str, Any], *, stream: bool) -> S | J:
        betas = params.pop("betas", None)
        if betas:
            # Added to the betas the client and the call's headers name, not instead of them.
            extra = dict(params.get("extra_headers") or {})
            named = [
                value
                for headers in (self._client.default_headers, extra)
                for key, value in headers.items()
                if key.lower() == "anthropic-beta"
            ]
            extra = {k: v for k, v in extra.items() if k.lower() != "anthropic-beta"}
            names = [n.strip() for value in named for n in value.split(",") if n.strip()]
            extra["anthropic-beta"] = ",".join(dict.fromkeys([*names, *betas]))
            params["extra_headers"] = extra
        return self._create(params, stream=stream)


class AsyncMessages(_Messages[Coroutine[Any, Any, MessageStream], Coroutine[Any, Any, Message]]):
    """The Messages API: ``client.messages`` (each call is awaited)."""

    @overload
    def create(
        self, *, stream: Literal[True], **params: Unpack[MessageCreateParams]
    ) -> Coroutine[Any, Any, MessageStream]: ...

    @overload
    def create(
        self, *, stream: Literal[False] = False, **params: Unpack[MessageCreateParams]
    ) -> Coroutine[Any, Any, Message]: ...

    @overload
    def create(
        self, *, stream: bool, **params: Unpack[MessageCreateParams]
    ) -> Coroutine[Any, Any, MessageStream | Message]: ...

    def create(self, *, stream: bool = False, **params: Unpack[MessageCreateParams]) -> Any:
        """Create a message (``POST /v1/messages``).

        ``params`` are the request's (``model``, ``max_tokens``, ``messages``, ``system``,
        ``tools``...: :class:`~rillet.anthropic.MessageCreateParams`), ``betas`` (sent as the
        ``anthropic-beta`` header) and the per-call options (``timeout``, ``max_retries``,
        ``extra_headers``, ``extra_query``, ``extra_body``; ``cache`` and ``on_invalid`` for a
        stream). With ``stream=True`` the result is a :class:`~rillet.anthropic.MessageStream`
        (blocking: :class:`~rillet.anthropic.SyncMessageStream`), returned once the response
        headers arrive; otherwise the whole :class:`~rillet.anthropic.Message`.
        """
        return self._create_message(cast("dict[str, Any]", params), stream=stream)


class Messages(_Messages[SyncMessageStream, Message]):
    """The Messages API for blocking code: ``client.messages``."""

    @overload
    def create(
        self, *, stream: Literal[True], **params: Unpack[MessageCreateParams]
    ) -> SyncMessageStream: ...

    @overload
    def create(
        self, *, stream: Literal[False] = False, **params: Unpack[MessageCreateParams]
    ) -> Message: ...

    @overload
    def create(
        self, *, stream: bool, **params: Unpack[MessageCreateParams]
    ) -> SyncMessageStream | Message: ...

    def create(self, *, stream: bool = False, **params: Unpack[MessageCreateParams]) -> Any:
        """Create a message (``POST /v1/messages``).

        ``params`` are the request's (``model``, ``max_tokens``, ``messages``, ``system``,
        ``tools``...: :class:`~rillet.anthropic.MessageCreateParams`), ``betas`` (sent as the
        ``anthropic-beta`` header) and the per-call options (``timeout``, ``max_retries``,
        ``extra_headers``, ``extra_query``, ``extra_body``; ``cache`` and ``on_invalid`` for a
        stream). With ``stream=True`` the result is a :class:`~rillet.anthropic.MessageStream`
        (blocking: :class:`~rillet.anthropic.SyncMessageStream`), returned once the response
        headers arrive; otherwise the whole :class:`~rillet.anthropic.Message`.
        """
        return self._create_message(cast("dict[str, Any]", params), stream=stream)


class AsyncClient(_Anthropic[httpx.AsyncClient], AsyncBase):
    """An async client of the Anthropic Messages API (or a server compatible with it).

    Use it as an async context manager (or call ``aclose()``). ``await
    client.messages.create(model=..., max_tokens=..., messages=[...], stream=True)`` gives a
    :class:`~rillet.anthropic.MessageStream`.

    Args:
        api_key: The API key (sent as ``x-api-key``); ``ANTHROPIC_API_KEY`` when not given.
        base_url: The API's address; ``ANTHROPIC_BASE_URL`` when not given, else
            ``https://api.anthropic.com``.
        default_headers: Headers sent with every request (``anthropic-beta``...).
        default_query: Query parameters sent with every request.
        http_client: An ``httpx.AsyncClient`` to send requests with.
        timeout: A :class:`~rillet.Timeouts`, or seconds for connect, read, write and pool.
        max_retries: How many times a failed request is tried again, or a
            :class:`~rillet.RetryPolicy`.
        tracer_provider: Where streams' OpenTelemetry spans go (the global tracer provider
            when not given; see :doc:`/observability`).
        meter_provider: Where streams' OpenTelemetry metrics go (the global one when not given).

    Attributes:
        messages: The Messages API.
    """

    _streams: ClassVar[Mapping[Model, type[_Stream[Any, Any]]]] = {Message: MessageStream}

    def _attach(self) -> None:
        self.messages = AsyncMessages(self)


class Client(_Anthropic[httpx.Client], SyncBase):
    """A blocking client of the Anthropic Messages API: as :class:`AsyncClient`, no event loop.

    Its streams are :class:`~rillet.anthropic.SyncMessageStream` (``http_client`` is an
    ``httpx.Client``).

    Attributes:
        messages: The Messages API.
    """

    _streams: ClassVar[Mapping[Model, type[_SyncStream[Any, Any]]]] = {Message: SyncMessageStream}

    def _attach(self) -> None:
        self.messages = Messages(self)
