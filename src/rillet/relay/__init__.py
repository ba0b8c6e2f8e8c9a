"""Relay a stream to browsers and other processes: channels of events with ids, resumable.

A :class:`Relay` publishes a stream (a rillet stream of any provider, or any async iterable of
events) into a channel of a :class:`Backend` (:class:`MemoryBackend` by default); any number
of subscribers read it from any id, live, and over server-sent events (:meth:`Relay.endpoint`).
"""

import typing

from rillet._lazy import imported_on_first_use as _imported_on_first_use
from rillet.relay._channel import PRODUCER_GONE as PRODUCER_GONE
from rillet.relay._memory import MemoryBackend as MemoryBackend
from rillet.relay._redis import RedisBackend as RedisBackend
from rillet.relay._relay import Relay as Relay
from rillet.relay._relay import Source as Source
from rillet.relay._relay import Subscription as Subscription
from rillet.relay._select import Selector as Selector
from rillet.relay._select import all_events as all_events
from rillet.relay._select import only as only
from rillet.relay._select import text as text
from rillet.relay._types import END_EVENT as END_EVENT
from rillet.relay._types import Backend as Backend
from rillet.relay._types import ChannelNotFoundError as ChannelNotFoundError
from rillet.relay._types import Entry as Entry
from rillet.relay._types import FellBehindError as FellBehindError
from rillet.relay._types import Outcome as Outcome
from rillet.relay._types import RelayError as RelayError
from rillet.relay._types import Status as Status

if typing.TYPE_CHECKING:
    from rillet.relay._asgi import RelayEndpoint as RelayEndpoint
    from rillet.relay._connection import RedisConnectionError as RedisConnectionError
    from rillet.relay._redis import RedisBackend as RedisBackend
    from rillet.relay._resp import RedisProtocolError as RedisProtocolError
    from rillet.relay._resp import RedisReplyError as RedisReplyError

# The ASGI endpoint and the Redis backend (and its errors) are imported when first used.
if not typing.TYPE_CHECKING:
    __getattr__, __dir__ = _imported_on_first_use(
        globals(),
        {
            "RelayEndpoint": "rillet.relay._asgi",
            "RedisBackend": "rillet.relay._redis",
            "RedisConnectionError": "rillet.relay._connection",
            "RedisProtocolError": "rillet.relay._resp",
            "RedisReplyError": "rillet.relay._resp",
        },
    )

__all__ = [
    "Backend",
    "ChannelNotFoundError",
    "END_EVENT",
    "Entry",
    "FellBehindError",
    "MemoryBackend",
    "Outcome",
    "PRODUCER_GONE",
    "RedisBackend",
    "RedisConnectionError",
    "RedisProtocolError",
    "RedisReplyError",
    "Relay",
    "RelayEndpoint",
    "RelayError",
    "Selector",
    "Source",
    "Status",
    "Subscription",
    "all_events",
    "only",
    "text",
]
