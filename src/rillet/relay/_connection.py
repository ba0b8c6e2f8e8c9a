"""Connections to Redis over anyio sockets (asyncio and trio alike), and a small pool of them.

The bytes are RESP2, encoded and parsed by the sans-IO :mod:`rillet.relay._resp`; this module
only moves them. A connection runs one command or one pipeline at a time; a command that did not
complete (an error, a cancellation mid-reply) leaves it unusable, and the pool drops it.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator, Sequence
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from urllib.parse import unquote, urlsplit

import anyio
import anyio.abc
import attrs

from rillet.relay._resp import Arg, RedisReplyError, Reply, RespParser, encode_commands
from rillet.relay._types import RelayError

__all__ = [
    "REPLY_TIMEOUT",
    "RedisAddress",
    "RedisConnection",
    "RedisConnectionError",
    "RedisPool",
    "RoundTrips",
]

_RECEIVE_SIZE = 65_536
_MAX_IDLE = 16  # connections kept open for later, of each kind
REPLY_TIMEOUT = 10.0
"""Seconds a command's replies may take (beyond what a blocking command blocks for): a Redis
that stops answering without closing the connection fails the command, not hangs it."""


class RedisConnectionError(RelayError):
    """Redis could not be reached, closed the connection, or refused the credentials."""


@attrs.frozen
class RedisAddress:
    """Where Redis is and how to log in: parsed from ``redis://[[user]:password@]host[:port][/db]``."""

    host: str = "127.0.0.1"
    port: int = 6379
    db: int = 0
    username: str | None = None
    password: str | None = attrs.field(default=None, repr=False)

    @classmethod
    def from_url(cls, url: str) -> RedisAddress:
        """Parse a ``redis://`` URL (TLS, ``rediss://``, and Unix sockets are not supported)."""
        parts = urlsplit(url)
        if parts.scheme != "redis":
            msg = f"a Redis URL starts with redis://, not {url!r}"
            raise ValueError(msg)
        path = parts.path.strip("/")
        if path and not path.isdigit():
            msg = f"the database of a Redis URL is a number: {url!r}"
            raise ValueError(msg)
        return cls(
            host=parts.hostname or "127.0.0.1",
            port=parts.port or 6379,
            db=int(path or 0),
            username=unquote(parts.username) if parts.username else None,
            password=unquote(parts.password) if parts.password is not None else None,
        )

    def __str__(self) -> str:
        return f"{self.host}:{self.port}/{self.db}"


@attrs.define
class RoundTrips:
    """How many times a command or pipeline was written and its replies awaited."""

    count: int = 0


class RedisConnection:
    """One connection: commands written, replies read, one command or pipeline at a time."""

    def __init__(
        self, stream: anyio.abc.ByteStream, address: RedisAddress, round_trips: RoundTrips
    ) -> None:
        self._stream = stream
        self._parser = RespParser()
        self._address = address
        self._round_trips = round_trips
        self.broken = False

    @classmethod
    async def open(
        cls, address: RedisAddress, round_trips: RoundTrips, *, timeout: float = 5.0
    ) -> RedisConnection:
        """Connect, log in (``AUTH``) and select the database, in one round trip.

        Raises:
            RedisConnectionError: Redis cannot be reached or refused the credentials.
        """
        try:
            with anyio.fail_after(timeout):
                stream = await anyio.connect_tcp(address.host, address.port)
        except (OSError, TimeoutError) as exc:
            msg = f"cannot connect to Redis at {address}: {str(exc) or 'timed out'}"
            raise RedisConnectionError(msg) from exc
        connection = cls(stream, address, round_trips)
        setup: list[Sequence[Arg]] = []
        if address.password is not None:
            user = [address.username] if address.username else []
            setup.append(["AUTH", *user, address.password])
        if address.db:
            setup.append(["SELECT", address.db])
        if setup:
            try:
                replies = await connection.pipeline(setup)
            except BaseException:
                await anyio.aclose_forcefully(stream)
                raise
            for reply in replies:
                if isinstance(reply, RedisReplyError):
                    await connection.aclose()
                    msg = f"Redis at {address} refused the login or database: {reply.reply}"
                    raise RedisConnectionError(msg)
        return connection

    async def execute(self, *args: Arg, blocks: float = 0.0) -> Reply:
        """Run one command; return its reply.

        ``blocks``: the seconds a blocking command (``XREAD BLOCK``) may wait, beyond
        :data:`REPLY_TIMEOUT`.

        Raises:
            RedisReplyError: Redis answered with an error.
            RedisConnectionError: The connection broke, or no reply came in time.
        """
        (reply,) = await self.pipeline([args], blocks=blocks)
        if isinstance(reply, RedisReplyError):
            raise reply
        return reply

    async def pipeline(
        self, commands: Sequence[Sequence[Arg]], *, blocks: float = 0.0
    ) -> list[Reply]:
        """Write ``commands`` at once and read their replies: one round trip.

        Error replies are returned in their places (as :class:`RedisReplyError` values).

        Raises:
            RedisConnectionError: The connection broke, or the replies did not come within
                :data:`REPLY_TIMEOUT` (plus ``blocks`` seconds, for blocking commands).
        """
        if self.broken:
            msg = f"the connection to Redis at {self._address} is broken"
            raise RedisConnectionError(msg)
        self._round_trips.count += 1
        replies: list[Reply] = []
        timeout = REPLY_TIMEOUT + blocks
        try:
            with anyio.fail_after(timeout):
                await self._stream.send(encode_commands(commands))
                while len(replies) < len(commands):
                    replies += self._parser.feed(await self._stream.receive(_RECEIVE_SIZE))
        except TimeoutError as exc:  # before OSError, of which it is a kind
            self.broken = True
            msg = f"Redis at {self._address} sent no reply within {timeout:g} s"
            raise RedisConnectionError(msg) from exc
        except (anyio.EndOfStream, anyio.BrokenResourceError, OSError) as exc:
            self.broken = True
            msg = f"Redis at {self._address} closed the connection"
            raise RedisConnectionError(msg) from exc
        except BaseException:
            self.broken = True  # cancelled or failed mid-reply: the replies would be out of step
            raise
        return replies

    async def aclose(self) -> None:
        """Close the connection (at once: nothing is awaited)."""
        self.broken = True
        await anyio.aclose_forcefully(self._stream)


class RedisPool:
    """Connections to one Redis: shared ones for short commands, dedicated ones for blocking.

    Args:
        address: Where Redis is.
        size: The most connections short commands use at once (more wait for one).
        round_trips: The counter every connection adds its round trips to.
    """

    def __init__(self, address: RedisAddress, *, size: int, round_trips: RoundTrips) -> None:
        self.address = address
        self.round_trips = round_trips
        self._limit = anyio.Semaphore(size)
        self._idle: list[RedisConnection] = []  # short commands'
        self._idle_dedicated: list[RedisConnection] = []  # blocking commands'
        self._closed = False

    async def pipeline(self, commands: Sequence[Sequence[Arg]]) -> list[Reply]:
        """Run ``commands`` in one round trip on a shared connection (errors as values)."""
        async with self._limit, self._take(self._idle) as connection:
            return await connection.pipeline(commands)

    async def execute(self, *args: Arg) -> Reply:
        """Run one command on a shared connection (see :meth:`RedisConnection.execute`)."""
        async with self._limit, self._take(self._idle) as connection:
            return await connection.execute(*args)

    def dedicated(self) -> AbstractAsyncContextManager[RedisConnection]:
        """A connection of its own while in use, for blocking commands (``XREAD BLOCK``)."""
        return self._take(self._idle_dedicated)

    @asynccontextmanager
    async def _take(self, idle: list[RedisConnection]) -> AsyncGenerator[RedisConnection]:
        self._check_open()
        connection = (
            idle.pop() if idle else await RedisConnection.open(self.address, self.round_trips)
        )
        try:
            yield connection
        finally:
            if connection.broken or self._closed or len(idle) >= _MAX_IDLE:
                await connection.aclose()
            else:
                idle.append(connection)

    def _check_open(self) -> None:
        if self._closed:
            msg = f"the connections to Redis at {self.address} are closed"
            raise RedisConnectionError(msg)

    async def aclose(self) -> None:
        """Close the idle connections; those in use are closed when their command returns."""
        self._closed = True
        for connection in [*self._idle, *self._idle_dedicated]:
            await connection.aclose()
        self._idle.clear()
        self._idle_dedicated.clear()
