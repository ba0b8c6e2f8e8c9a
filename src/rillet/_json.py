"""JSON decoding: orjson when installed (``rillet[speedups]``), else the standard library."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

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
    loads = orjson.loads
    JSON_BACKEND = "orjson"
