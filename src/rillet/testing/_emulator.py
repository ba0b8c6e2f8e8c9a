"""An emulator of the OpenAI, Anthropic and Gemini endpoints: generated or recorded streams, faults.

The emulator decides what to answer (:meth:`Emulator.reply`: a status, headers and the body as
a list of steps) without doing any I/O, so that two front ends serve exactly the same thing: the
emulator itself is an ASGI app (served by :func:`~rillet.testing.serve` or any ASGI server), and
:func:`~rillet.testing.replay_transport` serves it to httpx in-process, with no sockets.

Per request, the model name or headers choose what is answered and how:

* ``x-rillet-scenario``, or a model named ``rillet-<scenario>``: a generated stream (see
  :data:`~rillet.testing.SCENARIOS`);
* ``x-rillet-recording``: the name of a recording to replay;
The Anthropic Messages API (``POST .../messages``) and Gemini (``POST
.../models/{model}:streamGenerateContent`` and ``:generateContent``) are answered the same way,
in their own framing and error shapes, from recordings named ``anthropic/...`` and
``gemini/...`` (see :mod:`rillet.testing._anthropic` and :mod:`rillet.testing._gemini`).

* neither: the first recording of the endpoint's kind, else the ``text`` scenario (a request
  that no recording can answer, for JSON of a format, after a previous response or with tool
  outputs, is always generated);
* ``x-rillet-chunk-size``: cut the body into chunks of this many bytes (else one per event);
* ``x-rillet-delay``: seconds to wait between chunks;
* ``x-rillet-fault``: a :class:`~rillet.testing.Fault` to inject;
* ``x-rillet-key``: with a ``fail-first`` fault, which requests count together (else all).

With a :class:`~rillet.relay.Relay`, the emulator also serves the relay's routes (see
:mod:`rillet.testing._relay`): ``POST /relay`` generates into a channel, ``GET /relay/{id}``
streams it as SSE, ``POST /relay/{id}/cancel`` stops it, ``GET /relay`` is a page showing it.
"""

from __future__ import annotations

import itertools
import json
import re
import time
from collections import Counter, OrderedDict
from collections.abc import AsyncGenerator, Callable, Iterator, Mapping
from contextlib import AsyncExitStack, asynccontextmanager
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any, Final, Literal, Self, cast
from urllib.parse import parse_qs

import anyio
import attrs

from rillet._accumulate import ChatCompletionAccumulator, ResponseAccumulator
from rillet._asgi import Message as ASGIMessage
from rillet._asgi import Receive, Send, cancel_on_disconnect, read_body
from rillet._sse import SSEDecoder
from rillet.events import parse_chat_chunk, parse_event_data
from rillet.testing._anthropic import anthropic_error, encode_messages, message_stream
from rillet.testing._anthropic import tool_results as anthropic_tool_results
from rillet.testing._faults import Fault
from rillet.testing._gemini import (
    INTERNAL,
    encode_gemini,
    gemini_error,
    gemini_stream,
)
from rillet.testing._gemini import function_results as gemini_function_results
from rillet.testing._scenarios import (
    SCENARIOS,
    Scenario,
    chat_stream,
    encode,
    needs_generating,
    response_stream,
)

if TYPE_CHECKING:
    from rillet.relay import Relay
    from rillet.testing._relay import RelayRoutes

__all__ = ["DROP", "STALL", "Emulator", "Reply", "Step"]


class _Marker:
    __slots__ = ("name",)

    def __init__(self, name: str) -> None:
        self.name = name

    def __repr__(self) -> str:
        return self.name


DROP: Final = _Marker("DROP")
"""A body step: drop the connection here, without finishing the response."""
STALL: Final = _Marker("STALL")
"""A body step: send nothing more, keep the connection open (until the client leaves)."""

Step = bytes | float | _Marker
"""A step of a body: bytes to send, seconds to wait, or :data:`DROP` / :data:`STALL`."""

_JSON: Final = [(b"content-type", b"application/json")]
_SSE: Final = [
    (b"content-type", b"text/event-stream; charset=utf-8"),
    (b"cache-control", b"no-store"),
]


@attrs.frozen
class Reply:
    """What the emulator answers: a status, headers and the body's steps."""

    status: int
    headers: list[tuple[bytes, bytes]]
    body: Iterator[Step]


Kind = Literal["responses", "chat", "anthropic", "gemini"]
"""Which API a request or recording is of."""
_PREFIXES: Final[dict[str, Kind]] = {
    "chat/": "chat",
    "anthropic/": "anthropic",
    "gemini/": "gemini",
}
_GEMINI_CALL: Final = re.compile(
    r"/models/(?P<model>[^/:]+):(?P<method>streamGenerateContent|generateContent)$"
)


def _kind_of(name: str) -> Kind:
    """A recording's API, from its name (``chat/...``, ``anthropic/...``, ``gemini/...``)."""
    for prefix, kind in _PREFIXES.items():
        if name.startswith(prefix):
            return kind
    return "responses"


@attrs.frozen
class _Recording:
    name: str
    body: bytes  # the raw SSE stream
    events: list[tuple[int, bytes]]  # (end offset of the event's block, data)
    response_id: str | None
    background: bool = False

    @property
    def kind(self) -> Kind:
        return _kind_of(self.name)


@attrs.define
class _Stored:
    """A response kept server-side: its events become available one per ``delay`` seconds."""

    recording: _Recording
    started: float
    delay: float
    cancelled_after: int | None = None  # events produced before a cancel
    clock: Callable[[], float] = time.monotonic
    inputs: list[Any] = attrs.Factory(list[Any])  # the request's input items
    previous: str | None = None  # the request's previous_response_id

    def produced(self) -> int:
        """How many of its events exist by now."""
        if self.cancelled_after is not None:
            return self.cancelled_after
        total = len(self.recording.events)
        if self.delay <= 0:
            return total
        return min(total, 1 + int((self.clock() - self.started) / self.delay))


class Emulator:
    """Answers the OpenAI, Anthropic and Gemini endpoints: generated or recorded.

    ``POST /v1/responses``, ``/v1/chat/completions``, ``/v1/messages`` (Anthropic) and
    ``/v1beta/models/{model}:streamGenerateContent`` / ``:generateContent`` (Gemini).
    Streamed or not (the final object as JSON). Responses are kept server-side, as the API
    keeps them (not those created with ``store=false``): ``previous_response_id`` continues
    one (an unknown one is a 404), ``GET /v1/responses/{id}`` returns one
    (``stream=true&starting_after=N``: its events after event N) and
    ``POST /v1/responses/{id}/cancel`` cancels a ``background=true`` one still running. A
    background response runs at the pace of the stream that created it, whether or not anyone
    still reads that stream.

    Args:
        recordings: Raw SSE streams by name; names starting with ``chat/`` are Chat
            Completions streams, ``anthropic/`` Anthropic Messages streams, ``gemini/``
            Gemini streams, the others Responses streams.
        chunk_size: Bytes per chunk of a body (0: one chunk per event), unless a request's
            ``x-rillet-chunk-size`` says otherwise.
        delay: Seconds between chunks (the pace of generated text, word by word), unless a
            request's ``x-rillet-delay`` says otherwise.
        keepalive_interval: Seconds between comments under the ``keepalive-only`` fault.
        keep: How many responses to keep for ``GET`` (the oldest are forgotten).
        clock: What time it is, in seconds, for the pace of background responses (a test
            may give a fake clock, as trio's ``MockClock``, and drive time itself).
        relay: Serve the relay's routes too (``/relay``...), generating into this relay's
            channels. Its generations run while the emulator runs: inside ``async with
            emulator:``, or while an ASGI server runs it (its lifespan; :func:`serve` and
            uvicorn run it). The relay stays the caller's to close.
        relay_lease: Seconds of a generation's producer lease (None: the relay's default): how
            soon a stopped process's channels are known to be dead.
        relay_retry: The ``retry:`` the relay's SSE endpoint tells browsers (milliseconds to
            wait before reconnecting; None: the endpoint's default).
    """

    def __init__(
        self,
        recordings: Mapping[str, bytes] | None = None,
        *,
        chunk_size: int = 0,
        delay: float = 0.0,
        keepalive_interval: float = 0.05,
        keep: int = 1000,
        clock: Callable[[], float] = time.monotonic,
        relay: Relay | None = None,
        relay_lease: float | None = None,
        relay_retry: int | None = None,
    ) -> None:
        self._recordings = {name: _index(name, body) for name, body in (recordings or {}).items()}
        self.chunk_size = chunk_size
        self.delay = delay
        self.keepalive_interval = keepalive_interval
        self.keep = keep
        self.clock = clock
        """The clock, in seconds, by which background responses run at their pace."""
        self.requests: list[tuple[str, str, dict[str, str], bytes]] = []
        """The requests received, as (method, path with query, headers, body)."""
        self.open_bodies = 0
        """Response bodies being sent right now, or handed out in-process and not closed yet
        (for leak checks)."""
        self._failures: Counter[str] = Counter()
        self._responses: OrderedDict[str, _Stored] = OrderedDict()
        self.relay = relay
        """The relay whose channels ``POST /relay`` generates into (None: no relay routes)."""
        self.relay_lease = relay_lease
        self.relay_retry = relay_retry
        self._running: AsyncExitStack | None = None
        self._relay_routes: RelayRoutes | None = None  # while running

    async def __aenter__(self) -> Self:
        """Run: the relay's generations (``POST /relay``) run until the block ends."""
        if self._running is not None:
            msg = "the emulator is running already"
            raise RuntimeError(msg)
        running = AsyncExitStack()
        if self.relay is not None:
            from rillet.testing._relay import RelayRoutes  # noqa: PLC0415 - it imports us

            routes = RelayRoutes.running(self, self.relay)
            self._relay_routes = await running.enter_async_context(routes)
        self._running = running
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        """Stop: cancel the relay's generations still running (their channels end)."""
        running, self._running, self._relay_routes = self._running, None, None
        if running is not None:
            await running.__aexit__(exc_type, exc, traceback)

    @asynccontextmanager
    async def _lifespan_run(self) -> AsyncGenerator[None, None]:
        """Run for an ASGI server's lifespan, unless the caller runs the emulator already."""
        if self._running is not None:
            yield
            return
        async with self:
            yield

    @classmethod
    def from_directory(cls, root: str | Path, **options: Any) -> Emulator:  # noqa: ANN401
        """An emulator of every ``*.sse`` file under ``root``, named by relative path."""
        base = Path(root)
        files = sorted(base.rglob("*.sse"))
        return cls({str(p.relative_to(base)): p.read_bytes() for p in files}, **options)

    @property
    def names(self) -> list[str]:
        """The recordings' names."""
        return list(self._recordings)

    # -- what to answer ---------------------------------------------------------------------

    def reply(  # noqa: C901, PLR0911 - one return per kind of answer
        self, method: str, path: str, query: str, headers: Mapping[str, str], body: bytes
    ) -> Reply:
        """What to answer to a request (no I/O: the front ends do that)."""
        self.requests.append((method, f"{path}?{query}" if query else path, dict(headers), body))
        route = _route(path)
        gemini = _GEMINI_CALL.search(path.rstrip("/"))
        kind: Kind = "anthropic" if route == "messages" else "gemini" if gemini else "responses"
        if kind == "responses" and route == "chat/completions":
            kind = "chat"
        spec = headers.get("x-rillet-fault")
        try:
            fault = Fault.parse(spec) if spec else None
        except ValueError as error:
            return _error(400, str(error), kind=kind)
        if kind in ("anthropic", "gemini"):
            refused = _refused(kind, headers, query)
            if refused is not None:
                return refused
        if fault is not None and fault.kind in ("status", "fail-first"):
            key = f"{spec} {headers.get('x-rillet-key', '')}"
            self._failures[key] += 1
            if fault.kind == "status" or self._failures[key] <= fault.count:
                return _error(fault.status, "injected fault", fault.retry_after, kind=kind)
        if method == "POST" and (kind != "responses" or route == "responses"):
            try:
                request = json.loads(body or b"{}")
            except ValueError:
                return _error(400, "the request body is not valid JSON", kind=kind)
            if not isinstance(request, dict):
                return _error(400, "the request body is not a JSON object", kind=kind)
            request = cast("dict[str, Any]", request)  # a JSON object
            streaming = bool(request.get("stream"))
            if gemini is not None:
                request = {**request, "model": gemini.group("model")}
                streaming = gemini.group("method") == "streamGenerateContent"
            elif kind == "anthropic" and not isinstance(request.get("max_tokens"), int):
                return _error(400, "max_tokens: Field required", kind=kind)
            return self._create(
                request, kind=kind, streaming=streaming, fault=fault, headers=headers
            )
        if route.startswith("responses/"):
            return self._stored(method, route, parse_qs(query), fault, headers)
        return _error(404, f"no route {method} {path}", kind=kind)

    def _create(  # noqa: C901, PLR0911 - one return per kind of answer
        self,
        request: dict[str, Any],
        *,
        kind: Kind,
        streaming: bool,
        fault: Fault | None,
        headers: Mapping[str, str],
    ) -> Reply:
        name = headers.get("x-rillet-recording")
        scenario = headers.get("x-rillet-scenario")
        model = str(request.get("model", ""))
        if scenario is None and model.startswith("rillet-"):
            scenario = model.removeprefix("rillet-")
        default = scenario is None and not _needs_generating(kind, request)
        if name is not None or (default and self._pick(None, kind=kind)):
            recording = self._pick(name, kind=kind)
            if recording is None:
                return _error(404, f"no recording {name!r} for {kind}", kind=kind)
        else:
            chosen = (scenario or "text").replace("-", "_")
            if chosen not in SCENARIOS:
                known = ", ".join(SCENARIOS)
                message = f"unknown scenario {chosen!r}; the scenarios are: {known}"
                return _error(400, message, kind=kind)
            history = (
                self._history(request.get("previous_response_id")) if kind == "responses" else []
            )
            if history is None:
                previous = request.get("previous_response_id")
                message = f"Previous response with id '{previous}' not found."
                code = "previous_response_not_found"
                return _error(404, message, code=code, param="previous_response_id")
            if kind == "gemini" and chosen == "failed":  # before any frame: an HTTP error
                return _error(INTERNAL[0], INTERNAL[1], kind=kind)
            recording = _generate(chosen, request, history, kind=kind)
        if not streaming:
            failure = _failure(recording)
            if failure is not None:
                return failure
        kept = request.get("store") is not False or recording.background
        if recording.response_id is not None and kept:
            # Kept for GET; a background response runs on at the stream's pace, read or not.
            paced = streaming or recording.background
            delay = self._delay(headers) if paced else 0.0
            inputs = request.get("input", [])
            inputs = [{"role": "user", "content": inputs}] if isinstance(inputs, str) else inputs
            previous = request.get("previous_response_id")
            stored = _Stored(
                recording, self.clock(), delay, clock=self.clock, inputs=inputs, previous=previous
            )
            self._keep(stored)
            if recording.background and not streaming:
                return _json(_snapshot(stored))  # as it stands now: queued, until it runs
        return self._answer(recording, streaming=streaming, fault=fault, headers=headers)

    def _delay(self, headers: Mapping[str, str]) -> float:
        """Seconds between chunks: the request's ``x-rillet-delay``, else the emulator's."""
        return float(headers.get("x-rillet-delay", self.delay))

    def _history(self, response_id: object) -> list[Any] | None:
        """The conversation up to and with a kept response: inputs and outputs, oldest first.

        None when it is not kept (unknown, forgotten, or created with ``store=false``).
        """
        if response_id is None:
            return []
        stored = self._find(str(response_id))
        if stored is None:
            return None
        chain: list[_Stored] = [stored]
        while chain[-1].previous is not None and len(chain) <= self.keep:
            earlier = self._find(chain[-1].previous)
            if earlier is None:
                break  # forgotten: the conversation starts here
            chain.append(earlier)
        items: list[Any] = []
        for each in reversed(chain):
            output: list[Any] = _snapshot(each).get("output") or []
            items.extend([*each.inputs, *output])
        return items

    def _keep(self, stored: _Stored) -> None:
        self._responses[stored.recording.response_id or ""] = stored
        while len(self._responses) > self.keep:
            self._responses.popitem(last=False)

    def _stored(
        self,
        method: str,
        route: str,
        options: dict[str, list[str]],
        fault: Fault | None,
        headers: Mapping[str, str],
    ) -> Reply:
        """GET /responses/{id} (streamed again, or not) and POST /responses/{id}/cancel."""
        response_id, _, action = route.removeprefix("responses/").partition("/")
        stored = self._find(response_id)
        if stored is None:
            return _error(404, f"no response {response_id!r}")
        if method == "POST" and action == "cancel":
            if not stored.recording.background:
                return _error(400, "only responses created with background=true can be cancelled")
            if stored.produced() < len(stored.recording.events):
                stored.cancelled_after = stored.produced()
            return _json(_snapshot(stored))
        if method != "GET" or action:
            return _error(404, f"no route {method} {route}")
        if options.get("stream", ["false"])[0] != "true":
            return _json(_snapshot(stored))
        after = int(options.get("starting_after", ["-1"])[0])
        return self._answer(
            stored.recording,
            streaming=True,
            fault=fault,
            headers=headers,
            after=after,
            produced=stored.produced(),
            until=stored.cancelled_after,
        )

    def _find(self, response_id: str) -> _Stored | None:
        stored = self._responses.get(response_id)
        if stored is not None:
            return stored
        for recording in self._recordings.values():
            if recording.response_id == response_id:
                return _Stored(recording, started=0.0, delay=0.0)
        return None

    def _pick(self, name: str | None, *, kind: Kind) -> _Recording | None:
        if name is not None:  # a recording of another endpoint's kind is not found here
            found = self._recordings.get(name)
            return found if found is not None and found.kind == kind else None
        return next((r for r in self._recordings.values() if r.kind == kind), None)

    def _answer(
        self,
        recording: _Recording,
        *,
        streaming: bool,
        fault: Fault | None,
        headers: Mapping[str, str],
        after: int = -1,
        produced: int = 1,
        until: int | None = None,
    ) -> Reply:
        header = b"request-id" if recording.kind == "anthropic" else b"x-request-id"
        request_id = [(header, f"req_{len(self.requests)}".encode())]
        if not streaming or (fault is not None and fault.kind == "non-sse"):
            final = _final(recording, [data for _, data in recording.events])
            return _json(final, request_id, pretty=recording.kind == "gemini")
        body = recording.body
        if until is not None:
            body = body[: recording.events[until - 1][0]] if until else b""
        ready = produced
        if after >= 0:
            body, skipped = _after(recording, body, after)
            ready = max(1, produced - skipped)
        size = int(headers.get("x-rillet-chunk-size", self.chunk_size))
        delay = self._delay(headers)
        steps = self._steps(recording, body, fault, size=size, delay=delay, ready=ready)
        return Reply(200, _SSE + request_id, steps)

    def _steps(
        self,
        recording: _Recording,
        body: bytes,
        fault: Fault | None,
        *,
        size: int,
        delay: float,
        ready: int,
    ) -> Iterator[Step]:
        """The body's steps: the first ``ready`` chunks at once, then one per ``delay``."""
        if fault is not None and fault.kind == "keepalive-only":
            while True:
                yield b": keepalive\n\n"
                yield self.keepalive_interval
        body, ends, end_marker = _apply(fault, recording.name, body)
        chunks = _cut(body, size, ends)
        for index, chunk in enumerate(chunks):
            if index >= ready and delay:
                yield delay
            yield chunk
        if end_marker is not None:
            yield end_marker

    # -- ASGI -----------------------------------------------------------------------------

    async def __call__(
        self,
        scope: ASGIMessage,
        receive: Receive,
        send: Send,
    ) -> None:
        """Serve one ASGI connection (``http``; ``lifespan``: the emulator runs meanwhile)."""
        if scope["type"] == "lifespan":
            await receive()  # lifespan.startup
            async with self._lifespan_run():
                await send({"type": "lifespan.startup.complete"})
                await receive()  # lifespan.shutdown
            await send({"type": "lifespan.shutdown.complete"})
            return
        if scope["type"] != "http":
            return
        if self.relay is not None and _is_relay(scope["path"]):
            await self._serve_relay(scope, receive, send)
            return
        body = await read_body(receive)
        headers = {k.decode("latin-1"): v.decode("latin-1") for k, v in scope["headers"]}
        query = scope.get("query_string", b"").decode("latin-1")
        reply = self.reply(scope["method"], scope["path"], query, headers, body)
        await send(
            {"type": "http.response.start", "status": reply.status, "headers": reply.headers}
        )
        self.open_bodies += 1
        try:
            async with anyio.create_task_group() as group:
                group.start_soon(cancel_on_disconnect, receive, group.cancel_scope)
                finished = await _send_body(reply.body, send)
                if finished:
                    await send({"type": "http.response.body", "body": b"", "more_body": False})
                group.cancel_scope.cancel()
        finally:
            self.open_bodies -= 1

    async def _serve_relay(
        self,
        scope: ASGIMessage,
        receive: Receive,
        send: Send,
    ) -> None:
        self.open_bodies += 1
        try:
            if self._relay_routes is not None:
                await self._relay_routes(scope, receive, send)
                return
            message = (
                "the relay's generations run while the emulator runs: serve it with its ASGI"
                " lifespan, or inside `async with emulator:`"
            )
            reply = _error(503, message)
            await send(
                {"type": "http.response.start", "status": reply.status, "headers": reply.headers}
            )
            await _send_body(reply.body, send)
            await send({"type": "http.response.body", "body": b"", "more_body": False})
        finally:
            self.open_bodies -= 1


def _is_relay(path: str) -> bool:
    """Whether ``path`` is one of the relay's routes (``/relay``, ``/relay/...``)."""
    return path == "/relay" or path.startswith("/relay/")


async def _send_body(steps: Iterator[Step], send: Send) -> bool:
    """Send the steps; False when the body must not be finished (a dropped connection)."""
    for step in steps:
        if isinstance(step, bytes):
            await send({"type": "http.response.body", "body": step, "more_body": True})
        elif step is DROP:
            return False
        elif step is STALL:
            await anyio.sleep_forever()
        else:
            await anyio.sleep(step)  # type: ignore[arg-type]  # pyright: ignore[reportArgumentType]
    return True


def _route(path: str) -> str:
    """The API route of a path, whatever prefixes it (``/v1``, Azure's deployment path...)."""
    path = path.rstrip("/")
    if path.endswith("/chat/completions"):
        return "chat/completions"
    if path.endswith("/messages"):
        return "messages"
    found = path.rfind("/responses")
    return path[found + 1 :] if found >= 0 else path.lstrip("/")


def _apply(fault: Fault | None, name: str, body: bytes) -> tuple[bytes, list[int], Step | None]:
    """The body with a fault applied, its event ends, and how it ends (DROP, STALL or None)."""
    if fault is not None and fault.kind == "malformed-json-at":
        body = _break_event(body, fault.count)
    ends = [end for end, _ in _index(name, body).events]
    if fault is None:
        return body, ends, None
    if fault.kind == "oversized-event":
        big = b"data: " + b"x" * fault.count + b"\n\n"
        return big + body, [len(big), *(end + len(big) for end in ends)], None
    if fault.kind == "drop-after-bytes":
        return body[: fault.count], ends, DROP
    if fault.kind in ("drop-after-events", "stall-after-events"):
        sent = min(fault.count, len(ends))  # a shorter body is all sent, then the fault
        cut = ends[sent - 1] if sent > 0 else 0
        return body[:cut], ends, DROP if fault.kind == "drop-after-events" else STALL
    return body, ends, None


def _index(name: str, body: bytes) -> _Recording:
    decoder = SSEDecoder()
    events: list[tuple[int, bytes]] = []
    position = 0
    for block_end in _block_ends(body):
        events.extend((block_end, sse.raw_data) for sse in decoder.feed(body[position:block_end]))
        position = block_end
    decoder.feed(body[position:])
    for _, data in events if _kind_of(name) == "responses" else ():
        if data.startswith(b"{") and b'"response":' in data:
            response = json.loads(data).get("response", {})
            return _Recording(name, body, events, response.get("id"), response.get("background"))
    return _Recording(name, body, events, None)


def _generate(
    scenario: Scenario, request: Mapping[str, Any], history: list[Any], *, kind: Kind
) -> _Recording:
    if kind == "chat":
        return _index(f"chat/{scenario}", encode(chat_stream(scenario, request)))
    if kind == "anthropic":
        return _index(f"anthropic/{scenario}", encode_messages(message_stream(scenario, request)))
    if kind == "gemini":
        frames = gemini_stream(scenario, request, str(request.get("model")))
        return _index(f"gemini/{scenario}", encode_gemini(frames))
    return _index(scenario, encode(response_stream(scenario, request, history)))


def _needs_generating(kind: Kind, request: Mapping[str, Any]) -> bool:
    """Whether no recording can answer ``request`` (it hands tool results back...)."""
    if kind == "anthropic":
        return bool(anthropic_tool_results(request))
    if kind == "gemini":
        return bool(gemini_function_results(request))
    return needs_generating(request)


def _refused(kind: Kind, headers: Mapping[str, str], query: str) -> Reply | None:
    """The API's answer to a request without its key (or version header), else None."""
    if kind == "anthropic":
        if "x-api-key" not in headers and "authorization" not in headers:
            return _error(401, "x-api-key header is required", kind=kind)
        if "anthropic-version" not in headers:
            return _error(400, "anthropic-version: header is required", kind=kind)
    elif "x-goog-api-key" not in headers and "key" not in parse_qs(query):
        message = (
            "Method doesn't allow unregistered callers (callers without established identity)."
            " Please use API Key or other form of API consumer identity to call this API."
        )
        return _error(403, message, kind=kind)
    return None


def _failure(recording: _Recording) -> Reply | None:
    """The HTTP error a request without ``stream`` gets when the stream ends in an error."""
    if recording.kind == "gemini":
        ends = recording.events[-1][0] if recording.events else 0
        rest = recording.body[ends:].strip()
        if not rest.startswith(b"{"):
            return None
        error: dict[str, Any] = json.loads(rest).get("error") or {}
        return _error(int(error.get("code", 500)), str(error.get("message")), kind="gemini")
    if not _ends_in_error(recording):
        return None
    if recording.kind == "anthropic":
        error = cast("dict[str, str]", json.loads(recording.events[-1][1]).get("error") or {})
        status = 529 if error.get("type") == "overloaded_error" else 500
        body = anthropic_error(status, error)
        return Reply(status, list(_JSON), iter([body]))
    return _error(500, "The server had an error while processing your request.")


def _ends_in_error(recording: _Recording) -> bool:
    """Whether the stream ends in an ``error`` event (a non-streamed request gets a 500)."""
    if not recording.events:
        return False
    last = recording.events[-1][1]
    if last == b"[DONE]" and len(recording.events) > 1:
        last = recording.events[-2][1]
    return last.startswith((b'{"type":"error"', b'{"error"'))


_BLANK_LINE: Final = re.compile(rb"(?:\r\n|\r(?!\n)|\n)(?:\r\n|\r(?!\n)|\n)")


def _block_ends(body: bytes) -> Iterator[int]:
    """Offsets just after each blank line (LF, CRLF or CR line ends)."""
    for found in _BLANK_LINE.finditer(body):
        yield found.end()


def _cut(body: bytes, size: int, ends: list[int]) -> list[bytes]:
    if size > 0:
        return [body[i : i + size] for i in range(0, len(body), size)]
    bounds = [0, *(end for end in ends if end <= len(body))]
    if bounds[-1] < len(body):
        bounds.append(len(body))
    return [body[a:b] for a, b in itertools.pairwise(bounds) if b > a]


def _after(recording: _Recording, body: bytes, starting_after: int) -> tuple[bytes, int]:
    """The events of ``body`` numbered above ``starting_after``; how many were left out."""
    blocks: list[bytes] = []
    start = skipped = 0
    for end, data in recording.events:
        if end > len(body):
            break
        number = json.loads(data).get("sequence_number", -1) if data.startswith(b"{") else -1
        if number > starting_after:
            blocks.append(body[start:end])
        else:
            skipped += 1
        start = end
    return b"".join(blocks), skipped


def _break_event(body: bytes, number: int) -> bytes:
    """The stream with the JSON of event ``number`` (from 1) cut in half."""
    ends = [0, *_block_ends(body)]
    if not 0 < number < len(ends):
        return body
    start, end = ends[number - 1], ends[number]
    block = body[start:end]
    data = block.find(b"data: ")
    broken = block[: data + 6] + b'{"type": "broken' + b"\n\n"
    return body[:start] + broken + body[end:]


def _final(recording: _Recording, events: list[bytes]) -> dict[str, Any]:
    """The object these events build (all of a stream's: what a non-streamed request answers)."""
    if recording.kind == "anthropic":
        return _final_message(events)
    if recording.kind == "gemini":
        return _final_gemini(events)
    if recording.kind == "chat":
        chat = ChatCompletionAccumulator()
        for data in events:
            if data != b"[DONE]":
                chat.add(parse_chat_chunk(data))
        completion = chat.snapshot
        return completion.to_dict() if completion is not None else {}
    accumulator = ResponseAccumulator(strict=False)
    for data in events:
        accumulator.add(parse_event_data(None, data))
    response = accumulator.snapshot
    return response.to_dict() if response is not None else {}


def _final_message(events: list[bytes]) -> dict[str, Any]:
    """The Message an Anthropic stream builds (rillet.anthropic's accumulator)."""
    from rillet.anthropic import MessageAccumulator, parse_anthropic_event  # noqa: PLC0415

    accumulator = MessageAccumulator()
    for data in events:
        accumulator.add(parse_anthropic_event(None, data))
    message = accumulator.snapshot
    return message.to_dict() if message is not None else {}


def _final_gemini(frames: list[bytes]) -> dict[str, Any]:
    """The response a Gemini stream builds (rillet.gemini's accumulator): parts merged."""
    from rillet.gemini import (  # noqa: PLC0415 - a provider's package, when asked for
        GeminiAccumulator,
        GenerateContentResponse,
        parse_gemini_frame,
    )

    accumulator = GeminiAccumulator()
    for data in frames:
        chunk = parse_gemini_frame(data)
        if isinstance(chunk, GenerateContentResponse):
            accumulator.add(chunk)
    response = accumulator.snapshot
    return response.to_dict() if response is not None else {}


def _snapshot(stored: _Stored) -> dict[str, Any]:
    """A kept response as it stands: complete, still running, or cancelled."""
    produced = stored.produced()
    response = _final(stored.recording, [d for _, d in stored.recording.events[:produced]])
    if stored.cancelled_after is not None:
        response["status"] = "cancelled"
    return response


def _json(
    value: object, headers: list[tuple[bytes, bytes]] | None = None, *, pretty: bool = False
) -> Reply:
    body = json.dumps(value, indent=2 if pretty else None).encode()
    return Reply(200, _JSON + (headers or []), iter([body]))


def _error(
    status: int,
    message: str,
    retry_after: float | None = None,
    *,
    code: str | None = None,
    param: str | None = None,
    kind: Kind = "responses",
) -> Reply:
    """An error in the shape of the API of ``kind``."""
    headers = list(_JSON)
    if retry_after is not None:
        headers.append((b"retry-after", str(retry_after).encode()))
    if kind == "anthropic":
        return Reply(status, headers, iter([anthropic_error(status, message=message)]))
    if kind == "gemini":
        return Reply(status, headers, iter([gemini_error(status, message)]))
    kinds = {429: "rate_limit_exceeded", 404: "not_found"}
    error_kind = "server_error" if status >= 500 else "invalid_request_error"
    error = {
        "message": message,
        "type": error_kind,
        "code": code or kinds.get(status),
        "param": param,
    }
    return Reply(status, headers, iter([json.dumps({"error": error}).encode()]))
