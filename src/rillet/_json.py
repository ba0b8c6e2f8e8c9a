r"""JSON decoding: orjson when installed (``rillet[speedups]``), else the standard library.

Both read every payload as the standard library's ``json.loads`` does. What orjson refuses
(lone surrogate escapes such as ``"\ud83d"``, ``NaN``, ``Infinity``, numbers beyond a double)
or would read differently (integers beyond 64 bits, as floats) is read by the standard library.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any, Final

__all__ = ["JSON_BACKEND", "loads"]


def _stdlib_loads(data: bytes) -> Any:  # noqa: ANN401 - a JSON value is any JSON value
    # json.loads(str) is about a quarter faster than json.loads(bytes), which sniffs the encoding.
    return json.loads(data.decode("utf-8"))


loads: Callable[[bytes], Any]
try:
    import orjson
except ImportError:  # pragma: no cover - exercised by the stdlib-json CI run
    loads = _stdlib_loads
    JSON_BACKEND = "json"
else:
    # Every digit becomes "0" and nothing else does, so a run of 19 zeros marks a run of 19
    # digits: the shortest integer that may not fit in 64 bits, which orjson reads as a float.
    _DIGITS_AS_ZEROS: Final = bytes.maketrans(b"123456789", b"0" * 9)
    _LONG_INTEGER: Final = b"0" * 19

    def _orjson_loads(data: bytes) -> Any:  # noqa: ANN401 - a JSON value is any JSON value
        """orjson, unless it would refuse ``data`` or read it differently."""
        if data.translate(_DIGITS_AS_ZEROS).find(_LONG_INTEGER) < 0:
            try:
                return orjson.loads(data)
            except orjson.JSONDecodeError:
                pass  # the standard library decides, and its error is the one raised
        return _stdlib_loads(data)

    loads = _orjson_loads
    JSON_BACKEND = "orjson"
