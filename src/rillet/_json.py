r"""JSON decoding: orjson when installed (``rillet[speedups]``), else the standard library.

Both read every payload as the standard library's ``json.loads`` does. What orjson refuses
(lone surrogate escapes such as ``"\ud83d"``, ``NaN``, ``Infinity``, numbers beyond a double)
or would read differently (integers beyond 64 bits, as floats) is read by the standard library.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any, Final

__all__ = ["JSON_BACKEND", "JSONValue", "PayloadReader", "loads"]

Loads = Callable[[bytes], Any]
JSONValue = dict[str, Any] | list[Any] | str | int | float | bool | None
"""A value :data:`loads` gives: a name for a payload that ``type(payload) is dict`` narrows."""

# Every digit becomes "0" and nothing else does, so a run of 19 zeros marks a run of 19 digits:
# the shortest integer that may not fit in 64 bits, which orjson reads as a float.
_DIGITS_AS_ZEROS: Final = bytes.maketrans(b"123456789", b"0" * 9)
_LONG_RUN: Final = b"0" * 19


def _has_long_run(data: bytes) -> bool:
    return data.translate(_DIGITS_AS_ZEROS).find(_LONG_RUN) >= 0


def _stdlib_loads(data: bytes) -> Any:  # noqa: ANN401 - a JSON value is any JSON value
    # json.loads(str) is about a quarter faster than json.loads(bytes), which sniffs the encoding.
    return json.loads(data.decode("utf-8"))


loads: Loads
"""Read a JSON payload as the standard library would (orjson where that is the same)."""
_loads_plain: Loads  # for a payload known to hold no run of 19 digits
try:
    import orjson
except ImportError:  # pragma: no cover - exercised by the stdlib-json CI run
    loads = _loads_plain = _stdlib_loads
else:

    def _orjson_plain(data: bytes) -> Any:  # noqa: ANN401 - a JSON value is any JSON value
        """orjson, unless it refuses ``data`` (then the standard library decides)."""
        try:
            return orjson.loads(data)
        except orjson.JSONDecodeError:
            return _stdlib_loads(data)  # its error is the one raised

    def _orjson_loads(data: bytes) -> Any:  # noqa: ANN401 - a JSON value is any JSON value
        """orjson, unless it would refuse ``data`` or read it differently."""
        if _has_long_run(data):
            return _stdlib_loads(data)
        return _orjson_plain(data)

    loads, _loads_plain = _orjson_loads, _orjson_plain

JSON_BACKEND: Final = "json" if loads is _stdlib_loads else "orjson"
"""The library that reads JSON payloads."""


class PayloadReader:
    """Picks how to read the JSON payloads of one byte stream, as its chunks arrive.

    Looking for a run of 19 digits costs less in one pass over a chunk than in one per payload
    (a call and a copy each): until a chunk has one, its payloads are read without the check.
    After that, every payload of the stream is checked (a later payload may have begun before
    the run).
    """

    __slots__ = ("_chunks", "_scanned", "_tail", "loads")

    def __init__(self) -> None:
        self.loads: Loads = _loads_plain
        """How to read the payloads that ended in the chunks looked at so far."""
        self._tail = b""  # the last 18 bytes of the chunks looked at: a run may straddle chunks
        self._chunks = 0  # how many chunks came
        self._scanned = 0  # the number of the last chunk looked at, when _tail is its end

    def scan(self, chunk: bytes) -> Loads:
        """Take in the next chunk of the stream; how to read the payloads that end in it."""
        self._chunks += 1
        return self._choose(chunk, self._chunks)

    def reader(self, chunk: bytes) -> Loads:
        """:meth:`scan`, put off until the first payload is read (when most never are)."""
        self._chunks += 1
        if self.loads is loads:
            return loads
        number, chosen = self._chunks, list[Loads]()

        def read(data: bytes) -> Any:  # noqa: ANN401 - a JSON value is any JSON value
            if not chosen:
                chosen.append(self._choose(chunk, number))
            return chosen[0](data)

        return read

    def _choose(self, chunk: bytes, number: int) -> Loads:
        """How to read the payloads that end in ``chunk``, the stream's chunk number ``number``."""
        if self.loads is loads:
            return loads
        after_scanned = self._scanned == number - 1  # else a run may end here unseen
        if (after_scanned and _has_long_run(self._tail + chunk[:18])) or _has_long_run(chunk):
            self.loads = loads
        if len(chunk) >= 18 or after_scanned:
            self._tail = (self._tail + chunk)[-18:] if len(chunk) < 18 else chunk[-18:]
            self._scanned = number
        return self.loads if after_scanned else loads
