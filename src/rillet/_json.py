r"""JSON decoding: orjson when installed (``rillet[speedups]``), else the standard library.

Both read every payload as the standard library's ``json.loads`` does. What orjson refuses
(lone surrogate escapes such as ``"\ud83d"``, ``NaN``, ``Infinity``, numbers beyond a double)
or would read differently (integers beyond 64 bits, as floats) is read by the standard library.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any, Final

__all__ = ["JSON_BACKEND", "PayloadReader", "loads"]

Loads = Callable[[bytes], Any]

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
    JSON_BACKEND = "json"
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
    JSON_BACKEND = "orjson"


class PayloadReader:
    """Picks how to read the JSON payloads of one byte stream, as its chunks arrive.

    Looking for a run of 19 digits costs less in one pass over a chunk than in one per payload
    (a call and a copy each): until a chunk has one, its payloads are read without the check.
    After that, every payload of the stream is checked (a later payload may have begun before
    the run).
    """

    __slots__ = ("_tail", "loads")

    def __init__(self) -> None:
        self.loads: Loads = _loads_plain
        """How to read the payloads that ended in the chunks so far."""
        self._tail = b""  # the stream's last 18 bytes: a run may straddle chunks

    def scan(self, chunk: bytes) -> Loads:
        """Take in the next chunk of the stream; how to read the payloads that end in it."""
        if self.loads is not loads:
            if _has_long_run(self._tail + chunk[:18]) or _has_long_run(chunk):
                self.loads = loads
            self._tail = chunk[-18:] if len(chunk) >= 18 else (self._tail + chunk)[-18:]
        return self.loads
