"""Server-sent events: the sans-IO decoder, and a client for any ``text/event-stream`` endpoint.

:class:`SSEDecoder` (in ``rillet._sse``, which imports nothing that does I/O) turns bytes into
events; :func:`connect` and :func:`connect_sync` read an endpoint with httpx and reconnect as
the spec says.
"""

from rillet._sse import DEFAULT_MAX_EVENT_SIZE as DEFAULT_MAX_EVENT_SIZE
from rillet._sse import ServerSentEvent as ServerSentEvent
from rillet._sse import SSEDecoder as SSEDecoder
from rillet._sse import UnterminatedEvent as UnterminatedEvent
from rillet._sse_client import ConnectOptions as ConnectOptions
from rillet._sse_client import EventSource as EventSource
from rillet._sse_client import SyncEventSource as SyncEventSource
from rillet._sse_client import connect as connect
from rillet._sse_client import connect_sync as connect_sync

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
