r"""A sans-IO codec of RESP2, the Redis protocol: commands out, replies in.

:func:`encode_commands` turns commands into the bytes Redis reads; :class:`RespParser` turns the
bytes Redis answers into Python values, fed in chunks of any size. Neither does I/O.

Replies (:data:`Reply`): a simple string is a ``str`` (``"OK"``), an error a
:class:`RedisReplyError` *value* (returned, not raised: in a pipeline each command has its own),
an integer an ``int``, a bulk string ``bytes``, a null ``None``, an array a ``list`` of replies.

The parser's work is linear in the bytes fed whatever the chunking: arrays being filled stay on a
stack (an element is never parsed twice), and a chunk that cannot complete the element in
progress (a large bulk string arriving in many pieces) is only queued, and joined once enough has
come. Lines are found with ``bytes.find`` (C code).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Final, NoReturn, TypeAlias

from rillet._errors import excerpt
from rillet.relay._types import RelayError

__all__ = [
    "Arg",
    "RedisProtocolError",
    "RedisReplyError",
    "Reply",
    "RespParser",
    "encode_command",
    "encode_commands",
]

Arg: TypeAlias = bytes | str | int
"""One argument of a command: bytes as they are, ``str`` as UTF-8, ``int`` as its digits."""

Reply: TypeAlias = "str | bytes | int | RedisReplyError | list[Reply] | None"
"""One RESP2 reply, as :class:`RespParser` returns it."""

_CRLF: Final = b"\r\n"
_BULK: Final = 0x24  # $
_ARRAY: Final = 0x2A  # *
_INTEGER: Final = 0x3A  # :
_SIMPLE: Final = 0x2B  # +
_ERROR: Final = 0x2D  # -


class RedisReplyError(RelayError):
    """Redis answered a command with an error (``-ERR ...``, ``-WRONGTYPE ...``).

    Attributes:
        kind: The error's first word (``"ERR"``, ``"WRONGTYPE"``, ``"NOAUTH"``...).
        reply: The whole error line.
    """

    def __init__(self, reply: str) -> None:
        super().__init__(f"Redis replied with an error: {reply}")
        self.reply = reply
        self.kind = reply.split(" ", 1)[0]


class RedisProtocolError(RelayError):
    """The bytes from Redis are not RESP2 (a broken server, or not Redis at all).

    Attributes:
        offset: The stream byte offset of the reply element that could not be parsed.
        excerpt: The first bytes from there.
    """

    def __init__(self, reason: str, *, offset: int, excerpt: bytes) -> None:
        super().__init__(f"not a Redis reply at byte {offset}: {reason} ({excerpt!r})")
        self.offset = offset
        self.excerpt = excerpt


def encode_command(args: Sequence[Arg]) -> bytes:
    """One command as a RESP array of bulk strings: ``*N``, then ``$len`` and each argument."""
    parts = [b"*%d\r\n" % len(args)]
    for arg in args:
        data = (
            arg.encode() if isinstance(arg, str) else arg if isinstance(arg, bytes) else b"%d" % arg
        )
        parts.append(b"$%d\r\n%b\r\n" % (len(data), data))
    return b"".join(parts)


def encode_commands(commands: Iterable[Sequence[Arg]]) -> bytes:
    """Several commands in one buffer: a pipeline, written at once."""
    return b"".join(map(encode_command, commands))


class RespParser:
    r"""Incremental RESP2 parser: :meth:`feed` bytes, get the replies they complete.

    Example:
        >>> parser = RespParser()
        >>> parser.feed(b"+OK\r\n:4")
        ['OK']
        >>> parser.feed(b"2\r\n*2\r\n$3\r\nabc\r\n$-1\r\n")
        [42, [b'abc', None]]
    """

    __slots__ = ("_arrays", "_need", "_offset", "_pending", "_pending_size")

    def __init__(self) -> None:
        # Arrays being filled, innermost last: (items so far, length announced).
        self._arrays: list[tuple[list[Reply], int]] = []
        self._pending: list[bytes] = []  # unparsed bytes, from the element in progress on
        self._pending_size = 0
        self._need = 0  # how many pending bytes the element in progress needs at least
        self._offset = 0  # the stream offset of the first pending byte

    @property
    def pending(self) -> bool:
        """Whether a reply has begun and is not complete (the stream stopped mid-reply)."""
        return bool(self._pending_size or self._arrays)

    def feed(self, data: bytes) -> list[Reply]:  # noqa: C901, PLR0912, PLR0915 - one hot loop
        """Parse ``data`` after what was fed before; return the replies completed, in order.

        Raises:
            RedisProtocolError: The bytes are not RESP2. The parser is unusable afterwards.
        """
        if self._pending_size:
            self._pending.append(data)
            self._pending_size += len(data)
            if self._pending_size < self._need:
                return []
            data = b"".join(self._pending)
            self._pending = []
        replies: list[Reply] = []
        arrays = self._arrays
        pos = 0
        size = len(data)
        find = data.find
        while pos < size:
            end = find(_CRLF, pos)
            if end < 0:
                self._keep(data, pos, size - pos + 1)
                return replies
            kind = data[pos]
            value: Reply
            if kind == _BULK or kind == _ARRAY or kind == _INTEGER:  # noqa: PLR1714, SIM109 - faster
                try:
                    number = int(data[pos + 1 : end])
                except ValueError:
                    self._fail("not an integer", data, pos)
                if kind == _INTEGER:
                    value = number
                    pos = end + 2
                elif number < 0:
                    if number != -1:
                        self._fail(f"a negative length {number}", data, pos)
                    value = None
                    pos = end + 2
                elif kind == _BULK:
                    stop = end + 2 + number
                    if stop + 2 > size:
                        self._keep(data, pos, stop + 2 - pos)
                        return replies
                    if data[stop : stop + 2] != _CRLF:
                        self._fail("a bulk string longer than announced", data, pos)
                    value = data[end + 2 : stop]
                    pos = stop + 2
                else:
                    pos = end + 2
                    if number:
                        arrays.append(([], number))
                        continue
                    value = []
            elif kind == _SIMPLE:
                value = data[pos + 1 : end].decode("utf-8", "replace")
                pos = end + 2
            elif kind == _ERROR:
                value = RedisReplyError(data[pos + 1 : end].decode("utf-8", "replace"))
                pos = end + 2
            else:
                self._fail(f"unknown reply type {bytes([kind])!r}", data, pos)
            while arrays:
                items, number = arrays[-1]
                items.append(value)
                if len(items) < number:
                    break
                arrays.pop()
                value = items
            else:
                replies.append(value)
        self._offset += size
        self._pending_size = 0
        return replies

    def _keep(self, data: bytes, pos: int, need: int) -> None:
        """Keep ``data[pos:]``, the start of an element that needs ``need`` bytes at least."""
        self._offset += pos
        rest = data[pos:] if pos else data
        self._pending = [rest]
        self._pending_size = len(rest)
        self._need = need

    def _fail(self, reason: str, data: bytes, pos: int) -> NoReturn:
        self._arrays.clear()
        raise RedisProtocolError(reason, offset=self._offset + pos, excerpt=excerpt(data[pos:]))
