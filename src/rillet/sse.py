"""Server-sent events: the sans-IO ``text/event-stream`` decoder.

See :class:`SSEDecoder`.
"""

from rillet._sse import DEFAULT_MAX_EVENT_SIZE as DEFAULT_MAX_EVENT_SIZE
from rillet._sse import ServerSentEvent as ServerSentEvent
from rillet._sse import SSEDecoder as SSEDecoder
from rillet._sse import UnterminatedEvent as UnterminatedEvent

__all__ = ["DEFAULT_MAX_EVENT_SIZE", "SSEDecoder", "ServerSentEvent", "UnterminatedEvent"]
