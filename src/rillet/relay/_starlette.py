"""A Starlette response streaming a relay channel: to return from an endpoint function.

FastAPI passes a returned :class:`starlette.responses.Response` through as it is; this one
streams the channel as :class:`~rillet.relay.RelayEndpoint` does. Imported only when used.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from starlette.responses import Response

if TYPE_CHECKING:
    from starlette.types import Receive, Scope, Send

    from rillet.relay._asgi import RelayEndpoint

__all__ = ["RelayResponse"]


class RelayResponse(Response):
    """Streams ``channel`` through ``endpoint``, resuming after ``last_event_id`` if given."""

    def __init__(self, endpoint: RelayEndpoint, channel: str, last_event_id: str | None) -> None:
        super().__init__(media_type="text/event-stream")
        self._endpoint = endpoint
        self._channel = channel
        self._last_event_id = last_event_id

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Stream the channel (the request's own ``Last-Event-ID`` when none was given)."""
        await self._endpoint.stream(self._channel, self._last_event_id, scope, receive, send)
