"""An emulator of the OpenAI streaming endpoints: replays recorded streams, with faults.

The emulator decides what to answer (:meth:`Emulator.reply`: a status, headers and the body as
a list of steps) without doing any I/O, so that two front ends serve exactly the same thing: the
emulator itself is an ASGI app (served by uvicorn in tests, over real sockets), and
:func:`~rillet.testing.replay_transport` serves it to httpx in-process, with no sockets.

Per request, headers choose what is replayed and how:

* ``x-rillet-recording``: the name of the recording (else the first of the endpoint's kind);
* ``x-rillet-chunk-size``: cut the body into chunks of this many bytes (else one per event);
* ``x-rillet-delay``: seconds to wait between chunks;
* ``x-rillet-fault``: a :class:`~rillet.testing.Fault` to inject;
* ``x-rillet-key``: with a ``fail-first`` fault, which requests count together (else all).
"""

from __future__ import annotations

import itertools
import json
from collections import Counter
from collections.abc import Awaitable, Callable, Iterator, Mapping
from pathlib import Path
from typing import Any, Final
from urllib.parse import parse_qs

import anyio
import attrs

from rillet._accumulate import ChatCompletionAccumulator
from rillet._sse import SSEDecoder
from rillet.events import parse_chat_chunk, parse_event_data
from rillet.testing._faults import Fault

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


@attrs.frozen
class _Recording:
    name: str
    body: bytes  # the raw SSE stream
    events: list[tuple[int, bytes]]  # (end offset of the event's block, data)
    response_id: str | None


class Emulator:
    """Serves recorded ``.sse`` streams as ``POST /v1/responses`` and ``/v1/chat/completions``.

    Also ``GET /v1/responses/{id}`` (with ``stream=true&starting_after=N``, the stream from
    after event N) and ``POST /v1/responses/{id}/cancel``, for the recordings' response ids.
    Non-streaming requests get the final object as JSON.

    Args:
        recordings: Raw SSE streams by name; names starting with ``chat/`` are Chat
            Completions streams, the others Responses streams.
        chunk_size: Bytes per chunk of a body (0: one chunk per event), unless a request's
            ``x-rillet-chunk-size`` says otherwise.
        delay: Seconds between chunks, unless a request's ``x-rillet-delay`` says otherwise.
        keepalive_interval: Seconds between comments under the ``keepalive-only`` fault.
    """

    def __init__(
        self,
        recordings: Mapping[str, bytes],
        *,
        chunk_size: int = 0,
        delay: float = 0.0,
        keepalive_interval: float = 0.05,
    ) -> None:
        self._recordings = {name: _index(name, body) for name, body in recordings.items()}
        self.chunk_size = chunk_size
        self.delay = delay
        self.keepalive_interval = keepalive_interval
        self.requests: list[tuple[str, str, dict[str, str], bytes]] = []
        """The requests received, as (method, path with query, headers, body)."""
        self.open_bodies = 0
        """Response bodies being sent right now (for leak checks)."""
        self._failures: Counter[str] = Counter()

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

    def reply(
        self, method: str, path: str, query: str, headers: Mapping[str, str], body: bytes
    ) -> Reply:
        """What to answer to a request (no I/O: the front ends do that)."""
        self.requests.append((method, f"{path}?{query}" if query else path, dict(headers), body))
        spec = headers.get("x-rillet-fault")
        fault = Fault.parse(spec) if spec else None
        if fault is not None and fault.kind in ("status", "fail-first"):
            key = f"{spec} {headers.get('x-rillet-key', '')}"
            self._failures[key] += 1
            if fault.kind == "status" or self._failures[key] <= fault.count:
                return _error(fault.status, "injected fault", fault.retry_after)
        route = _route(path)
        if method == "POST" and route in ("responses", "chat/completions"):
            recording = self._pick(headers.get("x-rillet-recording"), chat=route != "responses")
            if recording is None:
                return _error(404, f"no recording for {route}")
            streaming = bool(json.loads(body or b"{}").get("stream"))
            return self._answer(recording, streaming=streaming, fault=fault, headers=headers)
        if route.startswith("responses/"):
            return self._stored(method, route, parse_qs(query), fault, headers)
        return _error(404, f"no route {method} {path}")

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
        recording = next(
            (r for r in self._recordings.values() if r.response_id == response_id), None
        )
        if recording is None:
            return _error(404, f"no response {response_id!r}")
        if method == "POST" and action == "cancel":
            cancelled = {**_final(recording), "status": "cancelled"}
            return Reply(200, list(_JSON), iter([json.dumps(cancelled).encode()]))
        if method != "GET" or action:
            return _error(404, f"no route {method} {route}")
        after = int(options.get("starting_after", ["-1"])[0])
        streaming = options.get("stream", ["false"])[0] == "true"
        return self._answer(
            recording, streaming=streaming, fault=fault, headers=headers, after=after
        )

    def _pick(self, name: str | None, *, chat: bool) -> _Recording | None:
        if name is not None:  # a recording of the other endpoint's kind is not found here
            found = self._recordings.get(name)
            return found if found is not None and name.startswith("chat/") == chat else None
        return next((r for n, r in self._recordings.items() if n.startswith("chat/") == chat), None)

    def _answer(
        self,
        recording: _Recording,
        *,
        streaming: bool,
        fault: Fault | None,
        headers: Mapping[str, str],
        after: int = -1,
    ) -> Reply:
        request_id = [(b"x-request-id", f"req_{len(self.requests)}".encode())]
        if not streaming or (fault is not None and fault.kind == "non-sse"):
            return Reply(200, _JSON + request_id, iter([json.dumps(_final(recording)).encode()]))
        body = recording.body if after < 0 else _after(recording, after)
        size = int(headers.get("x-rillet-chunk-size", self.chunk_size))
        delay = float(headers.get("x-rillet-delay", self.delay))
        return Reply(200, _SSE + request_id, self._steps(recording, body, fault, size, delay))

    def _steps(
        self, recording: _Recording, body: bytes, fault: Fault | None, size: int, delay: float
    ) -> Iterator[Step]:
        if fault is not None and fault.kind == "keepalive-only":
            while True:
                yield b": keepalive\n\n"
                yield self.keepalive_interval
        body, ends, end_marker = _apply(fault, recording.name, body)
        chunks = _cut(body, size, ends)
        for index, chunk in enumerate(chunks):
            if index and delay:
                yield delay
            yield chunk
        if end_marker is not None:
            yield end_marker

    # -- ASGI -----------------------------------------------------------------------------

    async def __call__(
        self,
        scope: dict[str, Any],
        receive: Callable[[], Awaitable[dict[str, Any]]],
        send: Callable[[dict[str, Any]], Awaitable[None]],
    ) -> None:
        """Serve one ASGI connection (``http``; ``lifespan`` is acknowledged)."""
        if scope["type"] == "lifespan":
            while True:
                message = await receive()
                await send({"type": f"{message['type']}.complete"})
                if message["type"] == "lifespan.shutdown":
                    return
        if scope["type"] != "http":
            return
        body = b""
        while True:
            message = await receive()
            body += message.get("body", b"")
            if not message.get("more_body"):
                break
        headers = {k.decode("latin-1"): v.decode("latin-1") for k, v in scope["headers"]}
        query = scope.get("query_string", b"").decode("latin-1")
        reply = self.reply(scope["method"], scope["path"], query, headers, body)
        await send(
            {"type": "http.response.start", "status": reply.status, "headers": reply.headers}
        )
        self.open_bodies += 1
        try:
            async with anyio.create_task_group() as group:
                group.start_soon(_cancel_on_disconnect, receive, group.cancel_scope)
                finished = await _send_body(reply.body, send)
                if finished:
                    await send({"type": "http.response.body", "body": b"", "more_body": False})
                group.cancel_scope.cancel()
        finally:
            self.open_bodies -= 1


async def _send_body(
    steps: Iterator[Step], send: Callable[[dict[str, Any]], Awaitable[None]]
) -> bool:
    """Send the steps; False when the body must not be finished (a dropped connection)."""
    for step in steps:
        if isinstance(step, bytes):
            await send({"type": "http.response.body", "body": step, "more_body": True})
        elif step is DROP:
            return False
        elif step is STALL:
            await anyio.sleep_forever()
        else:
            await anyio.sleep(step)  # type: ignore[arg-type]
    return True


async def _cancel_on_disconnect(
    receive: Callable[[], Awaitable[dict[str, Any]]], scope: anyio.CancelScope
) -> None:
    while (await receive())["type"] != "http.disconnect":
        pass
    scope.cancel()


def _route(path: str) -> str:
    """The API route of a path, whatever prefixes it (``/v1``, Azure's deployment path...)."""
    path = path.rstrip("/")
    if path.endswith("/chat/completions"):
        return "chat/completions"
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
        cut = ends[fault.count - 1] if 0 < fault.count <= len(ends) else 0
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
    response_id = None
    for _, data in events:
        if data.startswith(b"{") and b'"response":' in data:
            response_id = json.loads(data).get("response", {}).get("id")
            break
    return _Recording(name, body, events, response_id)


def _block_ends(body: bytes) -> Iterator[int]:
    """Offsets just after each blank line (the recordings are LF-framed)."""
    start = 0
    while (found := body.find(b"\n\n", start)) >= 0:
        start = found + 2
        yield start


def _cut(body: bytes, size: int, ends: list[int]) -> list[bytes]:
    if size > 0:
        return [body[i : i + size] for i in range(0, len(body), size)]
    bounds = [0, *(end for end in ends if end <= len(body))]
    if bounds[-1] < len(body):
        bounds.append(len(body))
    return [body[a:b] for a, b in itertools.pairwise(bounds) if b > a]


def _after(recording: _Recording, starting_after: int) -> bytes:
    """The recording's events with a sequence_number above ``starting_after``."""
    blocks: list[bytes] = []
    start = 0
    for end, data in recording.events:
        number = json.loads(data).get("sequence_number", -1) if data.startswith(b"{") else -1
        if number > starting_after:
            blocks.append(recording.body[start:end])
        start = end
    return b"".join(blocks)


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


def _final(recording: _Recording) -> dict[str, Any]:
    """What a non-streaming request for this recording answers: the final object."""
    if recording.name.startswith("chat/"):
        accumulator = ChatCompletionAccumulator()
        for _, data in recording.events:
            if data != b"[DONE]":
                accumulator.add(parse_chat_chunk(data))
        snapshot = accumulator.snapshot
        return snapshot.to_dict() if snapshot is not None else {}
    final: dict[str, Any] = {}
    for _, data in recording.events:
        event = parse_event_data(None, data)
        response = getattr(event, "response", None)
        if response is not None:
            final = response.to_dict()
    return final


def _error(status: int, message: str, retry_after: float | None = None) -> Reply:
    headers = list(_JSON)
    if retry_after is not None:
        headers.append((b"retry-after", str(retry_after).encode()))
    kinds = {429: "rate_limit_exceeded", 404: "not_found"}
    kind = "server_error" if status >= 500 else "invalid_request_error"
    error = {"message": message, "type": kind, "code": kinds.get(status), "param": None}
    return Reply(status, headers, iter([json.dumps({"error": error}).encode()]))
