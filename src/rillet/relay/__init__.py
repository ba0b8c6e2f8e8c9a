"""Relay a stream to browsers and other processes: channels of events with ids, resumable."""

from rillet.relay._redis import RedisBackend as RedisBackend
from rillet.relay._types import END_EVENT as END_EVENT
from rillet.relay._types import Backend as Backend
from rillet.relay._types import ChannelNotFoundError as ChannelNotFoundError
from rillet.relay._types import Entry as Entry
from rillet.relay._types import FellBehindError as FellBehindError
from rillet.relay._types import Outcome as Outcome
from rillet.relay._types import RelayError as RelayError
from rillet.relay._types import Status as Status

__all__ = [
    "END_EVENT",
    "Backend",
    "ChannelNotFoundError",
    "Entry",
    "FellBehindError",
    "Outcome",
    "RedisBackend",
    "RelayError",
    "Status",
]
