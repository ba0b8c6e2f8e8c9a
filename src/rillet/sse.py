"""Server-sent events: the sans-IO decoder, and a client for any ``text/event-stream`` endpoint.

:class:`SSEDecoder` (in ``rillet._sse``, which imports nothing that does I/O) turns bytes into
events; :func:`connect` and :func:`connect_sync` read an endpoint with httpx and reconnect as
the spec says.
"""

import typing

from rillet._lazy import imported_on_first_use as _imported_on_first_use
from rillet._sse import DEFAULT_MAX_EVENT_SIZE as DEFAULT_MAX_EVENT_SIZE
from rillet._sse import ServerSentEvent as ServerSentEvent
from rillet._sse import SSEDecoder as SSEDecoder
from rillet._sse import UnterminatedEvent as UnterminatedEvent

if typing.TYPE_CHECKING:
    from rillet._sse_client import ConnectOptions as ConnectOptions
    from rillet._sse_client import EventSource as EventSource
    from rillet._sse_client import SyncEventSource as SyncEventSource
    from rillet._sse_client import connect as connect
    from rillet._sse_client import connect_sync as connect_sync

# The client is imported when first used: the decoder alone needs no httpx.
if not typing.TYPE_CHECKING:
    __getattr__, __dir__ = _imported_on_first_use(
        globals(),
        dict.fromkeys(
            ["ConnectOptions", "EventSource", "SyncEventSource", "connect", "connect_sync"],
            "rillet._sse_client",
        ),
    )

__all__ = [
    "ConnectOptions",
    "DEFAULT_MAX_EVENT_SIZE",
    "EventSource",
    "SSEDecoder",
    "ServerSentEvent",
    "SyncEventSource",
    "UnterminatedEvent",
    "connect",
    "connect_sync",
]
