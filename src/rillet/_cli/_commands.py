"""The commands that stream: ``demo``, ``stream``, ``replay`` and ``serve``."""

from __future__ import annotations

import os
from contextlib import AsyncExitStack
from pathlib import Path
from typing import TYPE_CHECKING, Any

import anyio
import httpx

from rillet._cli import UsageError
from rillet._cli._live import Mode, live_router, neutral_router, show_chat, summary
from rillet._cli._output import Output
from rillet._client import AsyncClient
from rillet._dispatch import Router
from rillet._errors import RilletError
from rillet._stream import _EventStream
from rillet.testing import Emulator, ReplayTransport, serve
from rillet.testing._scenarios import Scenario

if TYPE_CHECKING:
    from rillet.relay import Relay

ANTHROPIC_MAX_TOKENS = 4096  # the Messages API needs a limit
KEY_VARIABLES = {
    "anthropic": ("ANTHROPIC_API_KEY",),
    "gemini": ("GEMINI_API_KEY", "GOOGLE_API_KEY"),
}
REPLAY_PACE = 0.02  # seconds between events at --speed 1 (recordings carry no timings)


async def demo(
    output: Output, *, scenario: Scenario, prompt: str, delay: float, provider: str = "openai"
) -> None:
    """Serve the emulator on 127.0.0.1, stream a response from it with handlers, sum it up."""
    async with serve(Emulator(delay=delay)) as url:
        output.note(f"rillet demo: the emulator serves {url}/v1 (no API key, no network)")
        output.line(f"> {prompt}", "bold")
        output.line()
        if provider != "openai":
            model = f"rillet-{scenario}"
            await _other(output, provider=provider, model=model, prompt=prompt, base_url=url)
            return
        router = live_router(output, "text")
        async with AsyncClient(api_key="demo", base_url=f"{url}/v1") as client:
            stream = await client.responses.create(
                model=f"rillet-{scenario}", input=prompt, stream=True
            )
            async with stream:
                response = await stream.dispatch(router)
        summary(output, stream.stats, response)


async def _other(
    output: Output,
    *,
    provider: str,
    model: str,
    prompt: str,
    base_url: str | None,
    api_key: str | None = "demo",
    mode: Mode = "text",
    http_client: httpx.AsyncClient | None = None,
) -> None:
    """Stream an Anthropic or Gemini answer and show it, by the provider-neutral events."""
    opened: _EventStream[Any, Any, Any]
    options: dict[str, Any] = {"api_key": api_key, "base_url": base_url, "http_client": http_client}
    if provider == "anthropic":
        from rillet.anthropic import AsyncClient as AnthropicClient  # noqa: PLC0415 - when asked

        async with AnthropicClient(**options) as anthropic:
            opened = await anthropic.messages.create(
                model=model,
                max_tokens=ANTHROPIC_MAX_TOKENS,
                messages=[{"role": "user", "content": prompt}],
                stream=True,
            )
            result = await _show(opened, neutral_router(output, mode))
    else:
        from rillet.gemini import AsyncClient as GeminiClient  # noqa: PLC0415 - when asked

        async with GeminiClient(**options) as gemini:
            opened = await gemini.models.generate_content(model=model, contents=prompt, stream=True)
            result = await _show(opened, neutral_router(output, mode))
    if mode == "text":
        summary(output, opened.stats, result)


async def _show(opened: _EventStream[Any, Any, Any], router: Router) -> object:
    async with opened:
        result: object = await opened.dispatch(router)
    return result


async def stream(
    output: Output,
    *,
    prompt: str,
    model: str,
    base_url: str | None,
    api_key: str | None,
    mode: Mode,
    provider: str = "openai",
) -> None:
    """Stream a response from the API (or any compatible server) and show it."""
    if provider != "openai":
        names = KEY_VARIABLES[provider]
        key = api_key or next(filter(None, map(os.environ.get, names)), None)
        if key is None and base_url is None:
            msg = f"{names[0]} is not set (or pass --api-key, or --base-url for a local server)"
            raise UsageError(msg)
        await _other(
            output,
            provider=provider,
            model=model,
            prompt=prompt,
            base_url=base_url,
            api_key=key or "none",
            mode=mode,
        )
        return
    base = base_url or os.environ.get("OPENAI_BASE_URL")
    key = api_key or os.environ.get("OPENAI_API_KEY")
    if key is None and base is None:
        msg = "OPENAI_API_KEY is not set (or pass --api-key, or --base-url for a local server)"
        raise UsageError(msg)
    async with AsyncClient(api_key=key or "none", base_url=base) as client:
        response_stream = await client.responses.create(model=model, input=prompt, stream=True)
        async with response_stream:
            response = await response_stream.dispatch(live_router(output, mode))
    if mode == "text":
        summary(output, response_stream.stats, response)


async def replay(output: Output, *, path: Path, speed: float, mode: Mode) -> None:
    """Replay a recorded stream through the whole pipeline, at a steady pace."""
    body = read(path)
    chat = is_chat(body)
    kind = provider_of(body)
    name = f"{kind}/{path.name}" if kind in ("gemini", "anthropic") else path.name
    name = f"chat/{path.name}" if chat else name
    emulator = Emulator({name: body}, delay=REPLAY_PACE / speed if speed > 0 else 0.0)
    async with httpx.AsyncClient(
        transport=ReplayTransport(emulator), headers={"x-rillet-recording": name}
    ) as http:
        if kind != "openai":
            await _other(
                output,
                provider=kind,
                model="replay",
                prompt="",
                base_url="http://replay",
                mode=mode,
                http_client=http,
            )
            return
        client = AsyncClient(api_key="replay", base_url="http://replay/v1", http_client=http)
        if chat:
            chat_stream = await client.chat.completions.create(
                model="replay", messages=[], stream=True
            )
            async with chat_stream:
                async for event in chat_stream.events():
                    show_chat(output, event, mode)
                completion = await chat_stream.final_response()
            if mode == "text":
                summary(output, chat_stream.stats, completion)
            return
        response_stream = await client.responses.create(model="replay", input="", stream=True)
        async with response_stream:
            response = await response_stream.dispatch(live_router(output, mode))
    if mode == "text":
        summary(output, response_stream.stats, response)


async def serve_forever(
    output: Output,
    *,
    host: str,
    port: int,
    delay: float,
    recordings: Path | None,
    relay: bool = False,
    redis: str | None = None,
) -> None:
    """Run the emulator until interrupted (with the relay's routes: in memory, or on Redis)."""
    if recordings is not None and not await anyio.Path(recordings).is_dir():
        msg = f"{recordings} is not a directory of .sse recordings"
        raise UsageError(msg)
    async with AsyncExitStack() as stack:
        relayed = await stack.enter_async_context(_relay(redis)) if relay or redis else None
        emulator = (
            Emulator.from_directory(recordings, delay=delay, relay=relayed)
            if recordings is not None
            else Emulator(delay=delay, relay=relayed)
        )
        try:
            url = await stack.enter_async_context(serve(emulator, host=host, port=port))
        except OSError as error:
            msg = f"cannot serve on {host}:{port}: {error.strerror or error}"
            raise RilletError(msg) from None
        output.line(f"{url}/v1")
        page = f"; the relay's page: {url}/relay" if relayed is not None else ""
        output.note(
            f"rillet emulator on {url}/v1 -- try: OPENAI_BASE_URL={url}/v1 "
            'rillet stream "hello" --model rillet-reasoning; Anthropic and Gemini clients: '
            f"base URL {url}{page}  (Ctrl-C stops it)"
        )
        await anyio.sleep_forever()


def _relay(redis: str | None) -> Relay:
    """The relay of ``rillet serve --relay``: its channels in memory, or in Redis at ``redis``."""
    from rillet.relay import RedisBackend, Relay  # noqa: PLC0415 - only with --relay

    return Relay(RedisBackend(redis) if redis is not None else None)


def read(path: Path) -> bytes:
    """A recording's bytes, or a one-line error."""
    try:
        return path.read_bytes()
    except OSError as error:
        msg = f"cannot read {path}: {error.strerror or error}"
        raise RilletError(msg) from None


def provider_of(body: bytes) -> str:
    """``anthropic``, ``gemini`` or ``openai``: whose stream a recording is, by its content.

    An Anthropic stream has ``event: message_start``; a Gemini one ``data:`` frames with
    ``candidates``, ``promptFeedback`` or ``usageMetadata`` (or is a bare JSON error).
    """
    head = body[:4096]
    if b"event: message_start" in head:
        return "anthropic"
    if head.lstrip().startswith(b"{") or (
        head.startswith(b"data:")
        and any(key in head for key in (b'"candidates"', b'"usageMetadata"', b'"promptFeedback"'))
    ):
        return "gemini"
    return "openai"


def is_chat(body: bytes) -> bool:
    """Whether a recorded stream is Chat Completions (its data has ``choices``, no ``type``)."""
    head = body[:4096]
    return b'"choices"' in head and b'"type":"response.' not in head.replace(b" ", b"")
