"""Server-sent events over ASGI: one channel to one client, resumable with ``Last-Event-ID``."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import anyio

from rillet._asgi import Message, Receive, Send, cancel_on_disconnect, respond
from rillet.relay._sse_out import (
    KEEPALIVE,
    encode_end,
    encode_entries,
    encode_error,
    encode_retry,
    resume_point,
)
from rillet.relay._types import ChannelNotFoundError, Entry, FellBehindError, RelayError

if TYPE_CHECKING:
    from rillet.relay._relay import Relay, Subscription

__all__ = ["RelayEndpoint"]

_SSE_HEADERS = [
    (b"content-type", b"text/event-stream; charset=utf-8"),
    (b"cache-control", b"no-cache"),
    (b"x-accel-buffering", b"no"),  # nginx: pass each event on at once
]


class RelayEndpoint:
    """An ASGI app that streams a relay channel as server-sent events.

    The channel is the ``channel`` path parameter (Starlette's
    ``Route("/relay/{channel}", relay.endpoint())``). A client resumes after its
    ``Last-Event-ID`` header, or its ``lastEventId`` query parameter (for clients that cannot
    set headers). Every entry goes out with its ``id:``; the channel's end as
    ``event: relay.end``, then the response ends. A reconnection after the end gets 204 (a
    browser then stops reconnecting), an unknown channel 404, an id that is not one of the
    channel's 400, a client that fell behind the bounded log an ``event: relay.error``. A
    comment is sent after ``keepalive`` seconds of quiet; a client's disconnection stops the
    stream at once.

    Args:
        relay: The relay whose channels it serves.
        retry: The reconnection delay sent to clients (``retry:``), in milliseconds.
        keepalive: Seconds of quiet after which a comment is sent.
    """

    def __init__(self, relay: Relay, *, retry: int = 2000, keepalive: float = 15.0) -> None:
        self.relay = relay
        self.retry = retry
        self.keepalive = keepalive
        self.open_streams = 0
        """Responses being streamed now (for leak checks)."""

    async def __call__(self, scope: Message, receive: Receive, send: Send) -> None:
        """Serve one ASGI ``http`` request for the channel in the scope's path parameters."""
        if scope["type"] != "http":
            return
        channel = scope.get("path_params", {}).get("channel")
        if channel is None:
            msg = (
                "RelayEndpoint serves a route with a {channel} path parameter:"
                " Route('/relay/{channel}', relay.endpoint())"
            )
            raise RelayError(msg)
        await self.stream(str(channel), None, scope, receive, send)

    async def stream(
        self, channel: str, last_event_id: str | None, scope: Message, receive: Receive, send: Send
    ) -> None:
        """Serve ``channel`` to one request; ``last_event_id`` overrides the request's."""
        if last_event_id is None:
            last_event_id = _header(scope, b"last-event-id")
        after = resume_point(last_event_id, scope.get("query_string", b""))
        if after is None:
            await _plain(send, 400, f"Last-Event-ID is not an entry id: {last_event_id!r}")
            return
        subscription = self.relay.subscribe(channel, after=after)
        behind: FellBehindError | None = None
        first: Sequence[Entry]
        try:
            first = await subscription.next_batch(wait=0)
        except ChannelNotFoundError as error:
            await _plain(send, 404, str(error))
            return
        except FellBehindError as error:
            first, behind = [], error
        if subscription.end_id is not None and subscription.end_id <= after:
            await send({"type": "http.response.start", "status": 204, "headers": []})
            await send({"type": "http.response.body", "body": b""})
            return
        if after and not first and behind is None and not await self._logged(channel, after):
            # An id of another channel, or made up: following would skip entries silently.
            await _plain(send, 400, f"Last-Event-ID {after} is not an entry of {channel!r}")
            return
        await send({"type": "http.response.start", "status": 200, "headers": _SSE_HEADERS})
        self.open_streams += 1
        try:
            async with anyio.create_task_group() as group:
                group.start_soon(cancel_on_disconnect, receive, group.cancel_scope)
                await send(_body(encode_retry(self.retry) + encode_entries(first)))
                await self._follow(subscription, send, behind)
                await send({"type": "http.response.body", "body": b"", "more_body": False})
                group.cancel_scope.cancel()
        except OSError:
            pass  # the client is gone (the server said so by failing a send)
        finally:
            self.open_streams -= 1

    async def _logged(self, channel: str, entry: int) -> bool:
        """Whether entry ``entry`` of ``channel`` exists (or was trimmed: it did exist)."""
        try:
            found = await self.relay.backend.read(channel, entry - 1, limit=1, wait=0)
        except FellBehindError:
            return True
        return bool(found) and found[0].id == entry

    async def _follow(
        self, subscription: Subscription, send: Send, behind: FellBehindError | None
    ) -> None:
        """Send the channel's entries as they come, until its end (or the client fell behind)."""
        # Waits no longer than the relay's producer check: a dead producer is noticed then,
        # not after the (longer) keepalive.
        wait = min(self.keepalive, self.relay.producer_check)
        quiet_since = anyio.current_time()
        while behind is None and subscription.outcome is None:
            try:
                entries = await subscription.next_batch(wait=wait)
            except FellBehindError as error:
                behind = error
            else:
                now = anyio.current_time()
                if entries or subscription.outcome is not None:
                    await send(_body(encode_entries(entries)))
                    quiet_since = now
                elif now - quiet_since >= self.keepalive:
                    await send(_body(KEEPALIVE))
                    quiet_since = now
        if behind is not None:
            await send(_body(encode_error(str(behind))))
        elif subscription.end_id is None and (outcome := subscription.outcome) is not None:
            await send(_body(encode_end(outcome)))  # the producer was gone: no end entry


def _body(data: bytes) -> Message:
    return {"type": "http.response.body", "body": data, "more_body": True}


def _header(scope: Message, name: bytes) -> str | None:
    for key, value in scope.get("headers", []):
        if key.lower() == name:
            return bytes(value).decode("latin-1")
    return None


async def _plain(send: Send, status: int, text: str) -> None:
    await respond(send, status, text.encode(), b"text/plain; charset=utf-8")
