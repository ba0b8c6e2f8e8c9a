"""The clients: ``responses`` and ``chat.completions``, over httpx, async and blocking.

Both clients share their configuration and request building (:class:`_Base`), the retry and
timeout policies, and the streams' core; only the sending and the reading differ.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Mapping
from importlib import metadata
from types import TracebackType
from typing import Any, Final, Literal, Self, TypeVar, overload

import anyio
import attrs
import httpx
from cattrs.errors import ClassValidationError

from rillet._errors import InvalidResponseError, RilletError
from rillet._machine import StreamMachine
from rillet._policy import ResumePosition, RetryPolicy, Timeouts
from rillet._pool import ShardedTransport
from rillet._protocols import ChatProtocol, ResponsesProtocol, StreamProtocol
from rillet._stream import ChatCompletionStream, ResponseStream
from rillet._sync_stream import SyncChatCompletionStream, SyncResponseStream
from rillet._transport import httpx_timeout, send, send_sync
from rillet.events import ChatCompletion, OnInvalid, Response
from rillet.events._model import converter

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

M = TypeVar("M", Response, ChatCompletion)
S = TypeVar("S", ResponseStream, ChatCompletionStream)
SS = TypeVar("SS", SyncResponseStream, SyncChatCompletionStream)
Headers = Mapping[str, str]
Query = Mapping[str, Any]
Body = Mapping[str, Any]

_USER_AGENT: Final = f"rillet/{metadata.version('rillet')}"
_NOT_GIVEN: Final[Any] = object()


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


class _Base:
    """Configuration and request building, shared by the async and the blocking clients."""

    def __init__(
        self,
        *,
        api_key: str | None = None,
        base_url: str | httpx.URL | None = None,
        organization: str | None = None,
        project: str | None = None,
        default_headers: Headers | None = None,
        default_query: Query | None = None,
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

    _key_variable = "OPENAI_API_KEY"

    def __repr__(self) -> str:
        key = "<set>" if self._api_key else None
        return f"{type(self).__name__}(base_url={str(self.base_url)!r}, api_key={key})"

    def _options(self) -> dict[str, Any]:
        """The constructor arguments that reproduce this client's configuration."""
        return {
            "api_key": self._api_key,
            "base_url": self.base_url,
            "organization": self.organization,
            "project": self.project,
            "default_headers": self.default_headers,
            "default_query": self.default_query,
            "timeout": self.timeouts,
            "max_retries": self.retry,
        }

    def _auth_headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self._api_key}"} if self._api_key else {}

    def _request(
        self,
        http: httpx.Client | httpx.AsyncClient,
        method: str,
        path: str,
        call: _Call,
        *,
        body: Body | None = None,
        params: Query | None = None,
        stream: bool,
    ) -> httpx.Request:
        headers = {
            "Accept": "text/event-stream" if stream else "application/json",
            "User-Agent": _USER_AGENT,
            **self._auth_headers(),
            **({"OpenAI-Organization": self.organization} if self.organization else {}),
            **({"OpenAI-Project": self.project} if self.project else {}),
            **self.default_headers,
            **(call.extra_headers or {}),
        }
        query = {**self.default_query, **(params or {}), **(call.extra_query or {})}
        content = None if body is None else {**body, **(call.extra_body or {})}
        return http.build_request(
            method,
            self.base_url.join(path),
            json=content,
            params=query or None,
            headers=headers,
            timeout=httpx_timeout(call.timeouts),
        )

    def _call(
        self,
        timeout: Timeouts | float | None,
        max_retries: int | None,
        extra_headers: Headers | None,
        extra_query: Query | None,
        extra_body: Body | None,
    ) -> _Call:
        timeouts = self.timeouts if timeout is _NOT_GIVEN else Timeouts.of(timeout)
        retry = (
            self.retry if max_retries is None else attrs.evolve(self.retry, max_retries=max_retries)
        )
        return _Call(timeouts, retry, extra_headers, extra_query, extra_body)

    def _machine(
        self,
        *,
        responses: bool,
        method: str,
        path: str,
        call: _Call,
        options: dict[str, Any],
        started: float,
    ) -> StreamMachine[Any]:
        """The machine of a stream: a Responses API one (resumable) or a chat one."""
        on_invalid: OnInvalid = options["on_invalid"]
        protocol: StreamProtocol[Any] = (
            ResponsesProtocol(on_invalid=on_invalid, strict=options.get("strict", True))
            if responses
            else ChatProtocol(on_invalid=on_invalid)
        )
        headers = {**self.default_headers, **(call.extra_headers or {})}
        return StreamMachine(
            protocol,
            timeouts=call.timeouts,
            retry=call.retry,
            started=started,
            cache=options["cache"],
            resumable=responses,
            idempotent=method == "GET" or any(k.lower() == "idempotency-key" for k in headers),
            label=f"{method} {self.base_url.join(path).path}",
        )

    def _stream_request(
        self,
        http: httpx.Client | httpx.AsyncClient,
        *,
        method: str,
        path: str,
        call: _Call,
        resume: object,
        within: float | None,
        parts: dict[str, Any],
    ) -> httpx.Request:
        """The request of a stream, or of its resumption from ``resume``, due ``within`` s."""
        if within is not None:
            call = call.within(within)
        if isinstance(resume, ResumePosition):
            after = _resume_params(resume.sequence_number)
            return self._request(
                http, "GET", f"responses/{resume.response_id}", call, params=after, stream=True
            )
        return self._request(http, method, path, call, stream=True, **parts)


class _Call:
    """What one call adds to the client's configuration."""

    __slots__ = ("extra_body", "extra_headers", "extra_query", "retry", "timeouts")

    def __init__(
        self,
        timeouts: Timeouts,
        retry: RetryPolicy,
        extra_headers: Headers | None,
        extra_query: Query | None,
        extra_body: Body | None,
    ) -> None:
        self.timeouts = timeouts
        self.retry = retry
        self.extra_headers = extra_headers
        self.extra_query = extra_query
        self.extra_body = extra_body

    def within(self, seconds: float) -> _Call:
        """This call with httpx's timeouts no longer than ``seconds``."""
        limited = {
            name: seconds if value is None else min(value, seconds)
            for name, value in attrs.asdict(self.timeouts).items()
            if name in ("connect", "read", "write", "pool")
        }
        timeouts = attrs.evolve(self.timeouts, **limited)
        return _Call(timeouts, self.retry, self.extra_headers, self.extra_query, self.extra_body)


# -- async ------------------------------------------------------------------------------------


class AsyncClient(_Base):
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
    """

    def __init__(
        self,
        *,
        api_key: str | None = None,
        base_url: str | httpx.URL | None = None,
        organization: str | None = None,
        project: str | None = None,
        default_headers: Headers | None = None,
        default_query: Query | None = None,
        http_client: httpx.AsyncClient | None = None,
        timeout: Timeouts | float | None = _NOT_GIVEN,
        max_retries: int | RetryPolicy = 2,
    ) -> None:
        super().__init__(
            api_key=api_key,
            base_url=base_url,
            organization=organization,
            project=project,
            default_headers=default_headers,
            default_query=default_query,
            timeout=timeout,
            max_retries=max_retries,
        )
        self._owns_http = http_client is None
        self._http = http_client or httpx.AsyncClient(
            timeout=httpx_timeout(self.timeouts), transport=ShardedTransport()
        )
        self.responses = AsyncResponses(self)
        """The Responses API."""
        self.chat = AsyncChat(self)
        """The Chat Completions API (``client.chat.completions``)."""

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        """Close the HTTP client, if this client created it."""
        if self._owns_http:
            await self._http.aclose()

    def with_options(self, **changes: Any) -> Self:  # noqa: ANN401
        """A client like this one with some options changed, sharing its HTTP client.

        Takes the constructor's keyword arguments (``timeout=``, ``max_retries=``,
        ``default_headers=``...). Closing it does not close the shared HTTP client.
        """
        return type(self)(**{**self._options(), "http_client": self._http, **changes})

    async def _fetch(self, kind: type[M], method: str, path: str, call: _Call, **parts: Any) -> M:  # noqa: ANN401
        request = self._request(self._http, method, path, call, stream=False, **parts)
        response, _ = await send(self._http, request, retry=call.retry, stream=False)
        return _parsed(response, kind)

    async def _stream(
        self,
        kind: type[S],
        path: str,
        call: _Call,
        stream_options: dict[str, Any],
        *,
        method: str = "POST",
        **parts: Any,  # noqa: ANN401
    ) -> S:
        started = anyio.current_time()
        machine = self._machine(
            responses=kind is ResponseStream,
            method=method,
            path=path,
            call=call,
            options=stream_options,
            started=started,
        )

        async def send(resume: object, within: float | None) -> httpx.Response:
            request = self._stream_request(
                self._http,
                method=method,
                path=path,
                call=call,
                resume=resume,
                within=within,
                parts=parts,
            )
            return await self._http.send(request, stream=True, follow_redirects=False)

        stream = kind(machine, send)
        await stream._start()  # noqa: SLF001
        return stream


class AsyncResponses:
    """The Responses API: ``client.responses``."""

    def __init__(self, client: AsyncClient) -> None:
        self._client = client

    @overload
    async def create(
        self,
        *,
        stream: Literal[True],
        cache: bool = ...,
        on_invalid: OnInvalid = ...,
        timeout: Timeouts | float | None = ...,
        max_retries: int | None = ...,
        extra_headers: Headers | None = ...,
        extra_query: Query | None = ...,
        extra_body: Body | None = ...,
        **params: Any,  # noqa: ANN401
    ) -> ResponseStream: ...

    @overload
    async def create(
        self,
        *,
        stream: Literal[False] = False,
        timeout: Timeouts | float | None = ...,
        max_retries: int | None = ...,
        extra_headers: Headers | None = ...,
        extra_query: Query | None = ...,
        extra_body: Body | None = ...,
        **params: Any,  # noqa: ANN401
    ) -> Response: ...

    async def create(
        self,
        *,
        stream: bool = False,
        cache: bool = True,
        on_invalid: OnInvalid = "raise",
        timeout: Timeouts | float | None = _NOT_GIVEN,
        max_retries: int | None = None,
        extra_headers: Headers | None = None,
        extra_query: Query | None = None,
        extra_body: Body | None = None,
        **params: Any,
    ) -> ResponseStream | Response:
        """Create a model response (``POST /responses``).

        ``params`` are the API's (``model``, ``input``, ``tools``...). With ``stream=True`` the
        awaited result is a :class:`~rillet.ResponseStream`, returned as soon as the response
        headers arrive; otherwise the whole :class:`~rillet.events.Response`.

        Args:
            stream: Stream the response as events.
            cache: Keep the events for another pass (``False``: flat memory, one pass).
            on_invalid: What to do with an event whose data is invalid: ``"raise"`` an
                :class:`~rillet.EventDecodeError`, or ``"return"`` (yield) an
                :class:`~rillet.events.InvalidEvent`.
            timeout: This call's timeouts, instead of the client's.
            max_retries: This call's retries, instead of the client's.
            extra_headers: Headers to add to this request.
            extra_query: Query parameters to add to this request.
            extra_body: JSON members to add to the request body (for parameters rillet's
                signature does not know of).
            params: The API's parameters.
        """
        client = self._client
        call = client._call(timeout, max_retries, extra_headers, extra_query, extra_body)  # noqa: SLF001
        if not stream:
            return await client._fetch(Response, "POST", "responses", call, body=params)  # noqa: SLF001
        options = {"cache": cache, "on_invalid": on_invalid}
        body = {**params, "stream": True}
        return await client._stream(ResponseStream, "responses", call, options, body=body)  # noqa: SLF001

    @overload
    async def retrieve(
        self,
        response_id: str,
        *,
        stream: Literal[True],
        starting_after: int | None = ...,
        cache: bool = ...,
        on_invalid: OnInvalid = ...,
        timeout: Timeouts | float | None = ...,
        max_retries: int | None = ...,
        extra_headers: Headers | None = ...,
        extra_query: Query | None = ...,
    ) -> ResponseStream: ...

    @overload
    async def retrieve(
        self,
        response_id: str,
        *,
        stream: Literal[False] = False,
        timeout: Timeouts | float | None = ...,
        max_retries: int | None = ...,
        extra_headers: Headers | None = ...,
        extra_query: Query | None = ...,
    ) -> Response: ...

    async def retrieve(
        self,
        response_id: str,
        *,
        stream: bool = False,
        starting_after: int | None = None,
        cache: bool = True,
        on_invalid: OnInvalid = "raise",
        timeout: Timeouts | float | None = _NOT_GIVEN,
        max_retries: int | None = None,
        extra_headers: Headers | None = None,
        extra_query: Query | None = None,
    ) -> ResponseStream | Response:
        """Get a response (``GET /responses/{id}``), or stream it again.

        With ``stream=True`` the events of a background response are streamed, from the
        start or from after the event numbered ``starting_after``. Such a stream starts in the
        middle: events about items it never saw added are not accumulated (they are listed in
        ``stream.accumulator.problems``); the final response, from the terminal event, is whole.
        """
        client = self._client
        call = client._call(timeout, max_retries, extra_headers, extra_query, None)  # noqa: SLF001
        path = f"responses/{response_id}"
        if not stream:
            return await client._fetch(Response, "GET", path, call)  # noqa: SLF001
        params = _resume_params(starting_after)
        options = {"cache": cache, "on_invalid": on_invalid, "strict": starting_after is None}
        return await client._stream(  # noqa: SLF001
            ResponseStream, path, call, options, method="GET", params=params
        )

    async def resume(
        self,
        position: ResumePosition,
        *,
        cache: bool = True,
        on_invalid: OnInvalid = "raise",
        timeout: Timeouts | float | None = _NOT_GIVEN,
        max_retries: int | None = None,
        extra_headers: Headers | None = None,
        extra_query: Query | None = None,
    ) -> ResponseStream:
        """Continue a background response's stream from a saved :class:`~rillet.ResumePosition`.

        The same as ``retrieve(position.response_id, stream=True,
        starting_after=position.sequence_number)``: the events after that one, resumed again
        automatically if the connection drops.
        """
        return await self.retrieve(
            position.response_id,
            stream=True,
            starting_after=position.sequence_number,
            cache=cache,
            on_invalid=on_invalid,
            timeout=timeout,
            max_retries=max_retries,
            extra_headers=extra_headers,
            extra_query=extra_query,
        )

    async def cancel(
        self,
        response_id: str,
        *,
        timeout: Timeouts | float | None = _NOT_GIVEN,
        max_retries: int | None = None,
        extra_headers: Headers | None = None,
    ) -> Response:
        """Cancel a background response (``POST /responses/{id}/cancel``)."""
        client = self._client
        call = client._call(timeout, max_retries, extra_headers, None, None)  # noqa: SLF001
        path = f"responses/{response_id}/cancel"
        return await client._fetch(Response, "POST", path, call)  # noqa: SLF001


class AsyncChat:
    """The Chat Completions API's namespace: ``client.chat.completions``."""

    def __init__(self, client: AsyncClient) -> None:
        self.completions = AsyncChatCompletions(client)
        """``client.chat.completions``."""


class AsyncChatCompletions:
    """Chat Completions: ``client.chat.completions``."""

    def __init__(self, client: AsyncClient) -> None:
        self._client = client

    @overload
    async def create(
        self,
        *,
        stream: Literal[True],
        cache: bool = ...,
        on_invalid: OnInvalid = ...,
        timeout: Timeouts | float | None = ...,
        max_retries: int | None = ...,
        extra_headers: Headers | None = ...,
        extra_query: Query | None = ...,
        extra_body: Body | None = ...,
        **params: Any,  # noqa: ANN401
    ) -> ChatCompletionStream: ...

    @overload
    async def create(
        self,
        *,
        stream: Literal[False] = False,
        timeout: Timeouts | float | None = ...,
        max_retries: int | None = ...,
        extra_headers: Headers | None = ...,
        extra_query: Query | None = ...,
        extra_body: Body | None = ...,
        **params: Any,  # noqa: ANN401
    ) -> ChatCompletion: ...

    async def create(
        self,
        *,
        stream: bool = False,
        cache: bool = True,
        on_invalid: OnInvalid = "raise",
        timeout: Timeouts | float | None = _NOT_GIVEN,
        max_retries: int | None = None,
        extra_headers: Headers | None = None,
        extra_query: Query | None = None,
        extra_body: Body | None = None,
        **params: Any,
    ) -> ChatCompletionStream | ChatCompletion:
        """Create a chat completion (``POST /chat/completions``).

        ``params`` are the API's (``model``, ``messages``, ``stream_options``...). With
        ``stream=True`` the awaited result is a :class:`~rillet.ChatCompletionStream`;
        otherwise the whole :class:`~rillet.events.ChatCompletion`. The other arguments are
        as for :meth:`AsyncResponses.create`.
        """
        client = self._client
        call = client._call(timeout, max_retries, extra_headers, extra_query, extra_body)  # noqa: SLF001
        path = "chat/completions"
        if not stream:
            return await client._fetch(ChatCompletion, "POST", path, call, body=params)  # noqa: SLF001
        options = {"cache": cache, "on_invalid": on_invalid}
        body = {**params, "stream": True}
        return await client._stream(ChatCompletionStream, path, call, options, body=body)  # noqa: SLF001


# -- blocking ---------------------------------------------------------------------------------


class Client(_Base):
    """A blocking client of the OpenAI API: the same API as :class:`AsyncClient`, no event loop.

    Built on a native ``httpx.Client`` and the same core as the async client (no event loop
    runs in a thread). Its streams are :class:`~rillet.SyncResponseStream` and
    :class:`~rillet.SyncChatCompletionStream`. Arguments as for :class:`AsyncClient`
    (``http_client`` is an ``httpx.Client``).
    """

    def __init__(
        self,
        *,
        api_key: str | None = None,
        base_url: str | httpx.URL | None = None,
        organization: str | None = None,
        project: str | None = None,
        default_headers: Headers | None = None,
        default_query: Query | None = None,
        http_client: httpx.Client | None = None,
        timeout: Timeouts | float | None = _NOT_GIVEN,
        max_retries: int | RetryPolicy = 2,
    ) -> None:
        super().__init__(
            api_key=api_key,
            base_url=base_url,
            organization=organization,
            project=project,
            default_headers=default_headers,
            default_query=default_query,
            timeout=timeout,
            max_retries=max_retries,
        )
        self._owns_http = http_client is None
        self._http = http_client or httpx.Client(timeout=httpx_timeout(self.timeouts))
        self.responses = Responses(self)
        """The Responses API."""
        self.chat = Chat(self)
        """The Chat Completions API (``client.chat.completions``)."""

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def close(self) -> None:
        """Close the HTTP client, if this client created it."""
        if self._owns_http:
            self._http.close()

    def with_options(self, **changes: Any) -> Self:  # noqa: ANN401
        """A client like this one with some options changed, sharing its HTTP client."""
        return type(self)(**{**self._options(), "http_client": self._http, **changes})

    def _fetch(self, kind: type[M], method: str, path: str, call: _Call, **parts: Any) -> M:  # noqa: ANN401
        request = self._request(self._http, method, path, call, stream=False, **parts)
        response, _ = send_sync(self._http, request, retry=call.retry, stream=False)
        return _parsed(response, kind)

    def _stream(
        self,
        kind: type[SS],
        path: str,
        call: _Call,
        stream_options: dict[str, Any],
        *,
        method: str = "POST",
        **parts: Any,  # noqa: ANN401
    ) -> SS:
        started = time.monotonic()
        machine = self._machine(
            responses=kind is SyncResponseStream,
            method=method,
            path=path,
            call=call,
            options=stream_options,
            started=started,
        )

        def send(resume: object, within: float | None) -> httpx.Response:
            request = self._stream_request(
                self._http,
                method=method,
                path=path,
                call=call,
                resume=resume,
                within=within,
                parts=parts,
            )
            return self._http.send(request, stream=True, follow_redirects=False)

        stream = kind(machine, send)
        stream._start()  # noqa: SLF001
        return stream


class Responses:
    """The Responses API for blocking code: ``client.responses`` (see :class:`AsyncResponses`)."""

    def __init__(self, client: Client) -> None:
        self._client = client

    @overload
    def create(
        self,
        *,
        stream: Literal[True],
        cache: bool = ...,
        on_invalid: OnInvalid = ...,
        timeout: Timeouts | float | None = ...,
        max_retries: int | None = ...,
        extra_headers: Headers | None = ...,
        extra_query: Query | None = ...,
        extra_body: Body | None = ...,
        **params: Any,  # noqa: ANN401
    ) -> SyncResponseStream: ...

    @overload
    def create(
        self,
        *,
        stream: Literal[False] = False,
        timeout: Timeouts | float | None = ...,
        max_retries: int | None = ...,
        extra_headers: Headers | None = ...,
        extra_query: Query | None = ...,
        extra_body: Body | None = ...,
        **params: Any,  # noqa: ANN401
    ) -> Response: ...

    def create(
        self,
        *,
        stream: bool = False,
        cache: bool = True,
        on_invalid: OnInvalid = "raise",
        timeout: Timeouts | float | None = _NOT_GIVEN,
        max_retries: int | None = None,
        extra_headers: Headers | None = None,
        extra_query: Query | None = None,
        extra_body: Body | None = None,
        **params: Any,
    ) -> SyncResponseStream | Response:
        """Create a model response (see :meth:`AsyncResponses.create`)."""
        client = self._client
        call = client._call(timeout, max_retries, extra_headers, extra_query, extra_body)  # noqa: SLF001
        if not stream:
            return client._fetch(Response, "POST", "responses", call, body=params)  # noqa: SLF001
        options = {"cache": cache, "on_invalid": on_invalid}
        body = {**params, "stream": True}
        return client._stream(SyncResponseStream, "responses", call, options, body=body)  # noqa: SLF001

    @overload
    def retrieve(
        self,
        response_id: str,
        *,
        stream: Literal[True],
        starting_after: int | None = ...,
        cache: bool = ...,
        on_invalid: OnInvalid = ...,
        timeout: Timeouts | float | None = ...,
        max_retries: int | None = ...,
        extra_headers: Headers | None = ...,
        extra_query: Query | None = ...,
    ) -> SyncResponseStream: ...

    @overload
    def retrieve(
        self,
        response_id: str,
        *,
        stream: Literal[False] = False,
        timeout: Timeouts | float | None = ...,
        max_retries: int | None = ...,
        extra_headers: Headers | None = ...,
        extra_query: Query | None = ...,
    ) -> Response: ...

    def retrieve(
        self,
        response_id: str,
        *,
        stream: bool = False,
        starting_after: int | None = None,
        cache: bool = True,
        on_invalid: OnInvalid = "raise",
        timeout: Timeouts | float | None = _NOT_GIVEN,
        max_retries: int | None = None,
        extra_headers: Headers | None = None,
        extra_query: Query | None = None,
    ) -> SyncResponseStream | Response:
        """Get a response, or stream it again (see :meth:`AsyncResponses.retrieve`)."""
        client = self._client
        call = client._call(timeout, max_retries, extra_headers, extra_query, None)  # noqa: SLF001
        path = f"responses/{response_id}"
        if not stream:
            return client._fetch(Response, "GET", path, call)  # noqa: SLF001
        params = _resume_params(starting_after)
        options = {"cache": cache, "on_invalid": on_invalid, "strict": starting_after is None}
        return client._stream(  # noqa: SLF001
            SyncResponseStream, path, call, options, method="GET", params=params
        )

    def resume(
        self,
        position: ResumePosition,
        *,
        cache: bool = True,
        on_invalid: OnInvalid = "raise",
        timeout: Timeouts | float | None = _NOT_GIVEN,
        max_retries: int | None = None,
        extra_headers: Headers | None = None,
        extra_query: Query | None = None,
    ) -> SyncResponseStream:
        """Continue a background response's stream from a saved :class:`~rillet.ResumePosition`."""
        return self.retrieve(
            position.response_id,
            stream=True,
            starting_after=position.sequence_number,
            cache=cache,
            on_invalid=on_invalid,
            timeout=timeout,
            max_retries=max_retries,
            extra_headers=extra_headers,
            extra_query=extra_query,
        )

    def cancel(
        self,
        response_id: str,
        *,
        timeout: Timeouts | float | None = _NOT_GIVEN,
        max_retries: int | None = None,
        extra_headers: Headers | None = None,
    ) -> Response:
        """Cancel a background response (``POST /responses/{id}/cancel``)."""
        client = self._client
        call = client._call(timeout, max_retries, extra_headers, None, None)  # noqa: SLF001
        return client._fetch(Response, "POST", f"responses/{response_id}/cancel", call)  # noqa: SLF001


class Chat:
    """The Chat Completions API's namespace for blocking code: ``client.chat.completions``."""

    def __init__(self, client: Client) -> None:
        self.completions = ChatCompletions(client)
        """``client.chat.completions``."""


class ChatCompletions:
    """Chat Completions for blocking code (see :class:`AsyncChatCompletions`)."""

    def __init__(self, client: Client) -> None:
        self._client = client

    @overload
    def create(
        self,
        *,
        stream: Literal[True],
        cache: bool = ...,
        on_invalid: OnInvalid = ...,
        timeout: Timeouts | float | None = ...,
        max_retries: int | None = ...,
        extra_headers: Headers | None = ...,
        extra_query: Query | None = ...,
        extra_body: Body | None = ...,
        **params: Any,  # noqa: ANN401
    ) -> SyncChatCompletionStream: ...

    @overload
    def create(
        self,
        *,
        stream: Literal[False] = False,
        timeout: Timeouts | float | None = ...,
        max_retries: int | None = ...,
        extra_headers: Headers | None = ...,
        extra_query: Query | None = ...,
        extra_body: Body | None = ...,
        **params: Any,  # noqa: ANN401
    ) -> ChatCompletion: ...

    def create(
        self,
        *,
        stream: bool = False,
        cache: bool = True,
        on_invalid: OnInvalid = "raise",
        timeout: Timeouts | float | None = _NOT_GIVEN,
        max_retries: int | None = None,
        extra_headers: Headers | None = None,
        extra_query: Query | None = None,
        extra_body: Body | None = None,
        **params: Any,
    ) -> SyncChatCompletionStream | ChatCompletion:
        """Create a chat completion (see :meth:`AsyncChatCompletions.create`)."""
        client = self._client
        call = client._call(timeout, max_retries, extra_headers, extra_query, extra_body)  # noqa: SLF001
        path = "chat/completions"
        if not stream:
            return client._fetch(ChatCompletion, "POST", path, call, body=params)  # noqa: SLF001
        options = {"cache": cache, "on_invalid": on_invalid}
        body = {**params, "stream": True}
        return client._stream(SyncChatCompletionStream, path, call, options, body=body)  # noqa: SLF001


# -- Azure OpenAI -----------------------------------------------------------------------------


class _Azure:
    """Azure OpenAI's differences: an ``api-key`` header, ``api-version``, deployment URLs."""

    _key_variable = "AZURE_OPENAI_API_KEY"

    def _auth_headers(self) -> dict[str, str]:
        key: str | None = self._api_key  # type: ignore[attr-defined]
        return {"api-key": key} if key else {}


def _azure_options(
    azure_endpoint: str | None,
    azure_deployment: str | None,
    api_version: str | None,
    options: dict[str, Any],
) -> dict[str, Any]:
    endpoint = azure_endpoint or os.environ.get("AZURE_OPENAI_ENDPOINT")
    version = api_version or os.environ.get("OPENAI_API_VERSION")
    if "base_url" in options and options["base_url"] is not None:
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
    return {**options, "base_url": base, "default_query": query}


class AzureAsyncClient(_Azure, AsyncClient):
    """:class:`AsyncClient` for Azure OpenAI.

    Requests go to ``{azure_endpoint}/openai/deployments/{azure_deployment}/...`` (or
    ``{azure_endpoint}/openai/...`` without a deployment, or ``base_url``), with the key in an
    ``api-key`` header (``AZURE_OPENAI_API_KEY`` when not given) and ``api-version`` in the
    query (``OPENAI_API_VERSION`` when not given). Other arguments as for :class:`AsyncClient`.
    """

    def __init__(
        self,
        *,
        azure_endpoint: str | None = None,
        azure_deployment: str | None = None,
        api_version: str | None = None,
        **options: Any,  # noqa: ANN401
    ) -> None:
        super().__init__(**_azure_options(azure_endpoint, azure_deployment, api_version, options))


class AzureClient(_Azure, Client):
    """:class:`Client` for Azure OpenAI (see :class:`AzureAsyncClient`)."""

    def __init__(
        self,
        *,
        azure_endpoint: str | None = None,
        azure_deployment: str | None = None,
        api_version: str | None = None,
        **options: Any,  # noqa: ANN401
    ) -> None:
        super().__init__(**_azure_options(azure_endpoint, azure_deployment, api_version, options))


def _parsed(response: httpx.Response, kind: type[M]) -> M:
    """The API object a successful answer holds, or an error that says what came instead."""
    try:
        result: M = converter.structure(json.loads(response.content), kind)
    except (ValueError, TypeError, RecursionError, ClassValidationError) as error:
        raise InvalidResponseError(
            str(error).splitlines()[0] if str(error) else type(error).__name__,
            status_code=response.status_code,
            content_type=response.headers.get("content-type", ""),
            body=response.content[:200],
        ) from error
    return result


def _resume_params(starting_after: int | None) -> dict[str, Any]:
    params: dict[str, Any] = {"stream": "true"}
    if starting_after is not None:
        params["starting_after"] = starting_after
    return params
