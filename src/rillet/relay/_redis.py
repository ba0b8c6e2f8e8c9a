"""The Redis backend: channels in Redis Streams, shared by any number of processes.

Keys, for a channel ``C`` under the prefix ``P``:

* ``P C`` — the stream: one entry per channel entry, with the explicit id ``0-<n>`` (so the
  relay's ids are the plain integers) and the fields ``event`` and ``data``; ``XADD ... MAXLEN ~``
  bounds it.
* ``P C:claimed`` — the claim, holding the producer's token: it exists as long as the channel
  does, so a second :meth:`RedisBackend.claim` fails even after the end (until the expiry).
* ``P C:producer`` — the producer's lease (``SET ... PX``): gone when the producer stops
  renewing it (its process was killed) or ended the channel.
* ``P C:cancel`` — a list that :meth:`RedisBackend.cancel` pushes to; its waiters block on it.

While a channel is live its keys expire ``lease + retention`` after the last claim or renewal (a
channel whose producer was killed does not stay forever); its end sets them to expire after
``retention``.
"""

from __future__ import annotations

import math
import secrets
from collections.abc import Sequence
from typing import Final, cast

import anyio

from rillet._closing import AsyncClosing
from rillet.relay._connection import RedisAddress, RedisPool, RoundTrips
from rillet.relay._resp import Arg, RedisReplyError, Reply
from rillet.relay._signal import Signal
from rillet.relay._types import END_EVENT, ChannelNotFoundError, Entry, FellBehindError, RelayError

__all__ = ["RedisBackend"]

# KEYS: claimed, lease. ARGV: token, the claim's time to live (ms), the lease (ms).
_CLAIM: Final = """
if redis.call('SET', KEYS[1], ARGV[1], 'NX', 'PX', ARGV[2]) then
  redis.call('SET', KEYS[2], ARGV[1], 'PX', ARGV[3])
  return 1
end
return 0
"""
# KEYS: claimed, lease, stream. ARGV: token, time to live (ms), lease (ms).
_RENEW: Final = """
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
redis.call('SET', KEYS[2], ARGV[1], 'PX', ARGV[3])
redis.call('PEXPIRE', KEYS[1], ARGV[2])
redis.call('PEXPIRE', KEYS[3], ARGV[2])
return 1
"""
# KEYS: claimed, cancel. ARGV: time to live (ms).
_CANCEL: Final = """
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
redis.call('LPUSH', KEYS[2], '1')
redis.call('PEXPIRE', KEYS[2], ARGV[1])
return 1
"""


def _ms(seconds: float) -> int:
    """Seconds as whole milliseconds, at least 1 (Redis refuses an expiry of 0 with ``PX``)."""
    return max(1, math.ceil(seconds * 1000))


def _entries(items: Reply) -> list[Entry]:
    """Stream entries (``[[b"0-7", [b"event", E, b"data", D]], ...]``) as :class:`Entry`."""
    return [
        Entry(int(entry_id[2:]), fields[1].decode(), fields[3].decode())
        for entry_id, fields in cast("list[tuple[bytes, list[bytes]]]", items)
    ]


def _check(replies: list[Reply]) -> list[Reply]:
    for reply in replies:
        if isinstance(reply, RedisReplyError):
            raise reply
    return replies


class _Producing:
    """What the producer of a channel claimed in this process knows: its token and next id."""

    __slots__ = ("lock", "next_id", "token", "ttl", "unsure")

    def __init__(self, token: str, ttl: int) -> None:
        self.token = token
        self.ttl = ttl  # the keys' time to live while live (ms)
        self.next_id = 1
        self.lock = anyio.Lock()  # appends in order: ids are assigned here
        self.unsure = False  # whether next_id is to be read back from the stream


class _Feed:
    """What this process read of one channel lately, and who waits for more.

    The first waiting reader leads: it runs the blocking ``XREAD`` (in its own task) for all
    the others, who wait for the feed to change; when it returns, the next one leads.
    """

    __slots__ = (
        "changed",
        "entries",
        "leading",
        "looked",
        "missing",
        "position",
        "used",
        "waiters",
    )

    def __init__(self, position: int) -> None:
        self.position = position  # read up to here
        self.entries: list[Entry] = []  # the last ones read, contiguous ids
        self.changed = Signal()  # notified at each batch and each change of leader
        self.waiters = 0
        self.leading = False
        self.looked = False  # whether the first look (what is there, does it exist) was made
        self.missing = False  # the channel does not exist
        self.used = anyio.current_time()

    def cached(self, after: int, limit: int) -> list[Entry]:
        entries = self.entries
        start = after + 1 - entries[0].id if entries else -1
        return entries[start : start + limit] if 0 <= start < len(entries) else []

    def add(self, entries: list[Entry], keep: int) -> None:
        if self.entries and entries[0].id != self.entries[-1].id + 1:
            self.entries = []  # trimmed in between: the cache stays contiguous
        self.entries += entries
        if len(self.entries) > 2 * keep:
            del self.entries[:-keep]
        self.position = entries[-1].id

    def wake(self) -> None:
        self.changed.notify()


class RedisBackend(AsyncClosing):
    """Channels in Redis Streams: a :class:`~rillet.relay.Backend` shared by processes.

    Works on asyncio and trio (its own RESP client over anyio sockets). The waiting reads of
    a channel in this process share one blocking ``XREAD``: a thousand
    subscribers of a channel cost one ``XREAD`` per batch, not a thousand. It is run by one of
    them, in its own task (the backend starts none): ``async with RedisBackend(...)`` only closes
    the connections on the way out, as :meth:`aclose`.

    Args:
        url: ``redis://[[username]:password@]host[:port][/db]``.
        prefix: Put before every key (``{prefix}{channel}``...).
        max_entries: About how many entries a channel keeps (``XADD MAXLEN ~``: at least that
            many); a reader that needed older ones gets :class:`~rillet.relay.FellBehindError`.
        retention: Seconds a channel stays readable after its end (and after its producer's
            lease expired without an end).
        pool_size: The most connections short commands use at once.
        block: The longest each blocking command waits before it is sent again.
        cache_entries: How many recent entries of each followed channel this process keeps, so
            that readers a little behind are served without a round trip.
    """

    def __init__(
        self,
        url: str = "redis://127.0.0.1:6379/0",
        *,
        prefix: str = "rillet:relay:",
        max_entries: int = 10_000,
        retention: float = 300.0,
        pool_size: int = 16,
        block: float = 2.0,
        cache_entries: int = 1024,
    ) -> None:
        if max_entries < 1:
            msg = f"max_entries must be at least 1, not {max_entries}"
            raise ValueError(msg)
        self.address = RedisAddress.from_url(url)
        self.prefix = prefix
        self.max_entries = max_entries
        self.retention = retention
        self._block = block
        self._cache_entries = cache_entries
        self._round_trips = RoundTrips()
        self._pool = RedisPool(self.address, size=pool_size, round_trips=self._round_trips)
        self._producing: dict[str, _Producing] = {}
        self._feeds: dict[str, _Feed] = {}

    @property
    def round_trips(self) -> int:
        """How many round trips to Redis this backend made (a command or pipeline each)."""
        return self._round_trips.count

    def _keys(self, channel: str) -> tuple[str, str, str, str]:
        stream = f"{self.prefix}{channel}"
        return stream, f"{stream}:claimed", f"{stream}:producer", f"{stream}:cancel"

    async def claim(self, channel: str, lease: float) -> bool:
        """Create ``channel`` and become its producer; False if it exists (until it expires)."""
        _, claimed, lease_key, _ = self._keys(channel)
        token = secrets.token_hex(8)
        ttl = _ms(lease + self.retention)
        won = await self._pool.execute(
            "EVAL", _CLAIM, 2, claimed, lease_key, token, ttl, _ms(lease)
        )
        if won == 1:
            self._producing[channel] = _Producing(token, ttl)
        return won == 1

    async def renew(self, channel: str, lease: float) -> None:
        """Extend the producer's lease, and the live channel's expiry (nothing after the end).

        Raises:
            ChannelNotFoundError: No such channel.
            RelayError: This backend is the producer, but the channel expired meanwhile.
        """
        state = self._producing.get(channel)
        if state is None:
            await self._require(channel)  # ended, or someone else's: nothing to renew here
            return
        stream, claimed, lease_key, _ = self._keys(channel)
        state.ttl = _ms(lease + self.retention)
        args = (claimed, lease_key, stream, state.token, state.ttl, _ms(lease))
        if await self._pool.execute("EVAL", _RENEW, 3, *args) != 1:
            del self._producing[channel]
            msg = f"relay channel {channel!r} expired while its producer was silent"
            raise RelayError(msg)

    async def append(self, channel: str, entries: Sequence[tuple[str, str]]) -> int:
        """Append entries in one round trip (a transaction); an ``END_EVENT`` ends the channel.

        Raises:
            ChannelNotFoundError: No such channel.
            RelayError: This backend did not claim the channel, or the channel has ended.
        """
        state = self._producing.get(channel)
        if state is None:
            await self._require(channel)
            msg = f"relay channel {channel!r}: not claimed by this backend, or ended"
            raise RelayError(msg)
        if any(event == END_EVENT for event, _ in entries[:-1]):
            msg = f"relay channel {channel!r}: nothing can be appended after {END_EVENT!r}"
            raise RelayError(msg)
        async with state.lock:
            stream, claimed, lease_key, cancel = self._keys(channel)
            if state.unsure:  # the last append broke mid-way: did Redis apply it?
                last = await self._pool.execute(b"XREVRANGE", stream, b"+", b"-", b"COUNT", 1)
                state.next_id = _entries(last)[0].id + 1 if last else 1
                state.unsure = False
            first = state.next_id
            xadd = (b"XADD", stream, b"MAXLEN", b"~", self.max_entries)
            commands: list[Sequence[Arg]] = [
                (*xadd, f"0-{entry_id}", b"event", event, b"data", data)
                for entry_id, (event, data) in enumerate(entries, first)
            ]
            if first == 1:
                commands.append((b"PEXPIRE", stream, state.ttl))
            ended = bool(entries) and entries[-1][0] == END_EVENT
            if ended:
                retention = math.ceil(self.retention * 1000)
                commands += [(b"PEXPIRE", key, retention) for key in (stream, claimed, cancel)]
                commands.append((b"DEL", lease_key))
            if commands:
                # In MULTI: readers blocked in XREAD see the whole batch at once, not its first.
                state.unsure = True
                replies = await self._pool.pipeline([(b"MULTI",), *commands, (b"EXEC",)])
                state.unsure = False
                _check(cast("list[Reply]", _check(replies)[-1]))
            state.next_id = first + len(entries)
            if ended:
                del self._producing[channel]
            return state.next_id - 1

    async def read(self, channel: str, after: int, *, limit: int, wait: float) -> Sequence[Entry]:
        """Up to ``limit`` entries after ``after``, waiting up to ``wait`` s for the first.

        The readers of a channel that wait share this process's blocking read of it: those at
        the live end cost no round trip of their own.
        """
        feed = self._feeds.get(channel)
        if feed is not None and (entries := feed.cached(after, limit)):
            return entries
        if wait <= 0 or (feed is not None and feed.position > after):
            entries = await self._range(channel, after, limit)
            if entries or wait <= 0:
                return entries
        return await self._wait(channel, after, limit, anyio.current_time() + wait)

    async def _wait(self, channel: str, after: int, limit: int, deadline: float) -> list[Entry]:
        """Lead the channel's blocking read, or wait for its leader's, until there are entries."""
        while True:
            feed = self._follow(channel, after)
            if feed.leading:  # no clock read here: with a thousand readers, they add up
                feed.waiters += 1
                try:
                    timely = await feed.changed.wait_until(deadline)
                finally:
                    feed.waiters -= 1
            elif timely := (remaining := deadline - anyio.current_time()) > 0:
                await self._lead(channel, feed, remaining)
            if feed.missing:
                raise ChannelNotFoundError(channel)
            if entries := feed.cached(after, limit):
                return entries
            if feed.position > after and (entries := await self._range(channel, after, limit)):
                return entries
            if not timely:
                return []

    def _follow(self, channel: str, after: int) -> _Feed:
        """The channel's feed in this process (a new one from ``after`` if it had none)."""
        feed = self._feeds.get(channel)
        if feed is None:
            now = anyio.current_time()
            for name, old in list(self._feeds.items()):  # forget the feeds nobody read lately
                if not (old.leading or old.waiters) and now - old.used > self._block:
                    del self._feeds[name]
            feed = self._feeds[channel] = _Feed(after)
        return feed

    async def _lead(self, channel: str, feed: _Feed, remaining: float) -> None:
        """Read the channel's next entries into ``feed``, for every reader waiting on it.

        First what is there already (and whether the channel exists), then a blocking
        ``XREAD`` of up to ``remaining`` seconds (so that it returns before this reader's
        deadline, and its connection stays usable).
        """
        feed.leading = True
        batch = self._cache_entries
        try:
            if not feed.looked:
                found = await self._look(channel, feed.position, batch)
                feed.looked = True
                if found is None:
                    feed.missing = True
                    if self._feeds.get(channel) is feed:
                        del self._feeds[channel]
                    return
            else:
                since = f"0-{feed.position}"
                block = _ms(min(remaining, self._block))
                stream = self._keys(channel)[0]
                async with self._pool.dedicated() as connection:
                    reply = await connection.execute(
                        *(b"XREAD", b"COUNT", batch, b"BLOCK", block, b"STREAMS", stream, since),
                        blocks=block / 1000,  # seconds
                    )
                found = _entries(cast("list[list[Reply]]", reply)[0][1]) if reply else []
            if found:
                feed.add(found, batch)
        finally:
            feed.leading = False
            feed.used = anyio.current_time()
            feed.wake()

    async def _look(self, channel: str, after: int, limit: int) -> list[Entry] | None:
        """The entries after ``after`` in Redis now; None: no such channel (one round trip)."""
        stream, claimed, _, _ = self._keys(channel)
        found, exists = _check(
            await self._pool.pipeline(
                [(b"XRANGE", stream, f"0-{after + 1}", b"+", b"COUNT", limit), (b"EXISTS", claimed)]
            )
        )
        entries = _entries(found)
        return entries if entries or exists else None

    async def _range(self, channel: str, after: int, limit: int) -> list[Entry]:
        """The entries after ``after`` in Redis now: ``after + 1`` first, or an error."""
        entries = await self._look(channel, after, limit)
        if entries is None:
            raise ChannelNotFoundError(channel)
        if entries and entries[0].id != after + 1:
            raise FellBehindError(channel, after, entries[0].id)
        return entries

    async def _require(self, channel: str) -> None:
        """Raise :class:`~rillet.relay.ChannelNotFoundError` if the channel does not exist."""
        if not await self._pool.execute(b"EXISTS", self._keys(channel)[1]):
            raise ChannelNotFoundError(channel)

    async def producing(self, channel: str) -> bool:
        """Whether the channel's producer holds its lease."""
        return await self._pool.execute(b"EXISTS", self._keys(channel)[2]) == 1

    async def cancel(self, channel: str) -> None:
        """Ask the channel's producer, in any process, to stop.

        Raises:
            ChannelNotFoundError: No such channel.
        """
        _, claimed, _, cancel = self._keys(channel)
        ttl = _ms(self.retention)
        if await self._pool.execute(b"EVAL", _CANCEL, 2, claimed, cancel, ttl) != 1:
            raise ChannelNotFoundError(channel)

    async def wait_cancelled(self, channel: str) -> None:
        """Return once the channel was cancelled, from any process.

        Blocks on the channel's cancel list, on a connection of its own, rather than polling: a
        cancellation arrives in one round trip, and an idle wait costs one command per
        ``block`` seconds. ``BLMOVE`` moves the list's element back into the same list, so every
        waiter sees it (Redis 6.2 or later).

        Raises:
            ChannelNotFoundError: No such channel.
        """
        await self._require(channel)
        cancel = self._keys(channel)[3]
        block = f"{self._block:.3f}"
        async with self._pool.dedicated() as connection:
            while (
                await connection.execute(
                    *(b"BLMOVE", cancel, cancel, b"LEFT", b"RIGHT", block), blocks=self._block
                )
                is None
            ):
                pass

    async def aclose(self) -> None:
        """Close the connections to Redis."""
        await self._pool.aclose()
