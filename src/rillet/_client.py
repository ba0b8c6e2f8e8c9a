"""The async client: ``client.responses`` and ``client.chat.completions``, over httpx."""

from __future__ import annotations

import os
from importlib import metadata
from types import TracebackType
from typing import Any, Final, Literal, Self, TypeVar, overload

import anyio
import httpx

from rillet._errors import NotEventStreamError, RilletError
from rillet._policy import RetryPolicy, Timeouts
from rillet._stream import ChatCompletionStream, ResponseStream
from rillet._transport import httpx_timeout, send
from rillet.events import ChatCompletion, OnInvalid, Response
from rillet.events._model import converter

__all__ = ["DEFAULT_BASE_URL", "AsyncChat", "AsyncChatCompletions", "AsyncClient", "AsyncResponses"]

DEFAULT_BASE_URL: Final = "https://api.openai.com/v1"
"""Where requests go when neither ``base_url`` nor ``OPENAI_BASE_URL`` says otherwise."""

S = TypeVar("S", ResponseStream, ChatCompletionStream)
M = TypeVar("M", Response, ChatCompletion)

_USER_AGENT: Final = f"rillet/{metadata.version('rillet')}"
# What a streaming request may carry besides the API's own parameters.
_NOT_GIVEN: Final[Any] = object()


class AsyncClient:
    """An async client of the OpenAI API, or of any server compatible with it.

    Use it as an async context manager (or call :meth:`aclose`): it owns an
    ``httpx.AsyncClient`` unless you pass one, which then stays yours to close.

    Args:
        api_key: The API key; ``OPENAI_API_KEY`` when not given. It never appears in a repr,
            a log line or an exception message.
        base_url: The API's address; ``OPENAI_BASE_URL`` when not given, else the OpenAI API.
        http_client: An ``httpx.AsyncClient`` to send requests with (for proxies, limits,
            transports in tests).
        timeout: A :class:`~rillet.Timeouts`, or a number of seconds for connect, read, write
            and pool.
        max_retries: How many times a failed request is tried again (see
            :class:`~rillet.RetryPolicy`).
    """

    def __init__(
        self,
        *,
        api_key: str | None = None,
        base_url: str | httpx.URL | None = None,
        http_client: httpx.AsyncClient | None = None,
        timeout: Timeouts | float | None = _NOT_GIVEN,
        max_retries: int = 2,
    ) -> None:
        key = api_key if api_key is not None else os.environ.get("OPENAI_API_KEY")
        base = base_url or os.environ.get("OPENAI_BASE_URL") or DEFAULT_BASE_URL
        self.base_url = httpx.URL(str(base).rstrip("/") + "/")
        """Where requests go."""
        if key is None and str(self.base_url).rstrip("/") == DEFAULT_BASE_URL:
            msg = "no API key: pass api_key= or set OPENAI_API_KEY (or point base_url elsewhere)"
            raise RilletError(msg)
        self._api_key = key
        self.timeouts = Timeouts() if timeout is _NOT_GIVEN else Timeouts.of(timeout)
        """The timeouts of every request (each call may override them)."""
        self.retry = RetryPolicy(max_retries=max_retries)
        """When failed requests are tried again."""
        self._owns_http = http_client is None
        self._http = http_client or httpx.AsyncClient(timeout=httpx_timeout(self.timeouts))
        self.responses = AsyncResponses(self)
        """The Responses API."""
        self.chat = AsyncChat(self)
        """The Chat Completions API (``client.chat.completions``)."""

    def __repr__(self) -> str:
        key = "<set>" if self._api_key else None
        return f"AsyncClient(base_url={str(self.base_url)!r}, api_key={key})"

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

    # -- requests -------------------------------------------------------------------------

    def _request(
        self,
        method: str,
        path: str,
        *,
        body: dict[str, Any] | None = None,
        params: dict[str, Any] | None = None,
        stream: bool,
        timeouts: Timeouts,
    ) -> httpx.Request:
        headers = {
            "Accept": "text/event-stream" if stream else "application/json",
            "User-Agent": _USER_AGENT,
        }
        if self._api_key:
            headers["Authorization"] = f"Bearer {self._api_key}"
        return self._http.build_request(
            method,
            self.base_url.join(path),
            json=body,
            params=params,
            headers=headers,
            timeout=httpx_timeout(timeouts),
        )

    async def _fetch(
        self,
        kind: type[M],
        method: str,
        path: str,
        *,
        body: dict[str, Any] | None = None,
        params: dict[str, Any] | None = None,
        timeout: Timeouts | float | None = _NOT_GIVEN,
        max_retries: int | None = None,
    ) -> M:
        timeouts = self._timeouts(timeout)
        request = self._request(
            method, path, body=body, params=params, stream=False, timeouts=timeouts
        )
        response, _ = await send(self._http, request, retry=self._retry(max_retries), stream=False)
        result: M = converter.structure(response.json(), kind)
        return result

    async def _stream(
        self,
        kind: type[S],
        method: str,
        path: str,
        *,
        body: dict[str, Any] | None = None,
        params: dict[str, Any] | None = None,
        timeout: Timeouts | float | None = _NOT_GIVEN,
        max_retries: int | None = None,
        cache: bool = True,
        on_invalid: OnInvalid = "raise",
        **stream_options: Any,  # noqa: ANN401
    ) -> S:
        timeouts = self._timeouts(timeout)
        request = self._request(
            method, path, body=body, params=params, stream=True, timeouts=timeouts
        )
        started = anyio.current_time()
        response, retries = await send(
            self._http, request, retry=self._retry(max_retries), stream=True
        )
        content_type = response.headers.get("content-type", "")
        if content_type.split(";")[0].strip().lower() != "text/event-stream":
            try:
                start = await response.aread()  # what the server sent instead: usually JSON
            finally:
                await response.aclose()
            raise NotEventStreamError(content_type, start)
        return kind(
            response,
            timeouts=timeouts,
            cache=cache,
            on_invalid=on_invalid,
            retries=retries,
            started=started,
            **stream_options,
        )

    def _timeouts(self, timeout: Timeouts | float | None) -> Timeouts:
        return self.timeouts if timeout is _NOT_GIVEN else Timeouts.of(timeout)

    def _retry(self, max_retries: int | None) -> RetryPolicy:
        if max_retries is None:
            return self.retry
        return RetryPolicy(max_retries=max_retries)


class AsyncResponses:
    """The Responses API: ``client.responses``."""

    def __init__(self, client: AsyncClient) -> None:
        self._client = client

    @overload
    async def create(
        self,
        *,
        stream: Literal[True],
        cache: bool = True,
        on_invalid: OnInvalid = "raise",
        timeout: Timeouts | float | None = ...,
        max_retries: int | None = None,
        **params: Any,  # noqa: ANN401
    ) -> ResponseStream: ...

    @overload
    async def create(
        self,
        *,
        stream: Literal[False] = False,
        timeout: Timeouts | float | None = ...,
        max_retries: int | None = None,
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
            params: The API's parameters.
        """
        if not stream:
            return await self._client._fetch(  # noqa: SLF001
                Response, "POST", "responses", body=params, timeout=timeout, max_retries=max_retries
            )
        return await self._client._stream(  # noqa: SLF001
            ResponseStream,
            "POST",
            "responses",
            body={**params, "stream": True},
            timeout=timeout,
            max_retries=max_retries,
            cache=cache,
            on_invalid=on_invalid,
        )

    @overload
    async def retrieve(
        self,
        response_id: str,
        *,
        stream: Literal[True],
        starting_after: int | None = None,
        cache: bool = True,
        on_invalid: OnInvalid = "raise",
        timeout: Timeouts | float | None = ...,
        max_retries: int | None = None,
    ) -> ResponseStream: ...

    @overload
    async def retrieve(
        self,
        response_id: str,
        *,
        stream: Literal[False] = False,
        timeout: Timeouts | float | None = ...,
        max_retries: int | None = None,
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
    ) -> ResponseStream | Response:
        """Get a response (``GET /responses/{id}``), or stream it again.

        With ``stream=True`` the events of a background response are streamed, from the
        start or from after the event numbered ``starting_after``. Such a stream starts in the
        middle: events about items it never saw added are not accumulated (they are listed in
        ``stream.accumulator.problems``); the final response, from the terminal event, is whole.
        """
        path = f"responses/{response_id}"
        if not stream:
            return await self._client._fetch(  # noqa: SLF001
                Response, "GET", path, timeout=timeout, max_retries=max_retries
            )
        params: dict[str, Any] = {"stream": "true"}
        if starting_after is not None:
            params["starting_after"] = starting_after
        return await self._client._stream(  # noqa: SLF001
            ResponseStream,
            "GET",
            path,
            params=params,
            timeout=timeout,
            max_retries=max_retries,
            cache=cache,
            on_invalid=on_invalid,
            strict=starting_after is None,
        )

    async def cancel(
        self,
        response_id: str,
        *,
        timeout: Timeouts | float | None = _NOT_GIVEN,
        max_retries: int | None = None,
    ) -> Response:
        """Cancel a background response (``POST /responses/{id}/cancel``)."""
        return await self._client._fetch(  # noqa: SLF001
            Response,
            "POST",
            f"responses/{response_id}/cancel",
            timeout=timeout,
            max_retries=max_retries,
        )


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
        cache: bool = True,
        on_invalid: OnInvalid = "raise",
        timeout: Timeouts | float | None = ...,
        max_retries: int | None = None,
        **params: Any,  # noqa: ANN401
    ) -> ChatCompletionStream: ...

    @overload
    async def create(
        self,
        *,
        stream: Literal[False] = False,
        timeout: Timeouts | float | None = ...,
        max_retries: int | None = None,
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
        **params: Any,
    ) -> ChatCompletionStream | ChatCompletion:
        """Create a chat completion (``POST /chat/completions``).

        ``params`` are the API's (``model``, ``messages``, ``stream_options``...). With
        ``stream=True`` the awaited result is a :class:`~rillet.ChatCompletionStream`;
        otherwise the whole :class:`~rillet.events.ChatCompletion`. The other arguments are
        as for :meth:`AsyncResponses.create`.
        """
        if not stream:
            return await self._client._fetch(  # noqa: SLF001
                ChatCompletion,
                "POST",
                "chat/completions",
                body=params,
                timeout=timeout,
                max_retries=max_retries,
            )
        return await self._client._stream(  # noqa: SLF001
            ChatCompletionStream,
            "POST",
            "chat/completions",
            body={**params, "stream": True},
            timeout=timeout,
            max_retries=max_retries,
            cache=cache,
            on_invalid=on_invalid,
        )
