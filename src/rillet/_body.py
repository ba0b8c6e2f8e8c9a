"""The JSON of a request body, in which rillet's own models are the JSON they came from.

So a model goes back into a request as it is, anywhere in the parameters (``input=[*response.
output, ...]``, ``messages=[..., completion.choices[0].message]``): it is sent as its
``to_dict()``, exactly what the server sent for it.

The bytes mean what httpx's ``json=`` sent before: compact, UTF-8 (not ASCII escapes), no
``NaN``. orjson writes them when installed, the standard library when not, or when orjson
refuses what the standard library takes (integers beyond 64 bits, dict keys that are numbers).
What JSON cannot hold is found first, by one walk over the body, and named with its place:
orjson would write ``NaN`` as ``null``, and take datetimes, UUIDs and dataclasses, which the
standard library refuses; the walk keeps both backends taking exactly the same bodies.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Mapping
from typing import Any, Final

from rillet._errors import RequestBodyError
from rillet.events._model import Model, json_to_read

__all__ = ["encode_body"]

Path = tuple[str | int, ...]
Container = dict[Any, Any] | list[Any] | tuple[Any, ...]


def _model_json(value: object) -> Any:  # noqa: ANN401 - a JSON value
    """The encoders' hook for what they cannot write: a model's JSON (the walk checked)."""
    if isinstance(value, Model):
        return json_to_read(value)
    # A float subclass (numpy's float64...): orjson refuses it, the standard library writes it.
    msg = f"{type(value).__name__} is not JSON"
    raise TypeError(msg)


_ENCODER: Final = json.JSONEncoder(
    ensure_ascii=False, separators=(",", ":"), allow_nan=False, default=_model_json
)


def _stdlib_dumps(body: Mapping[str, Any]) -> bytes:
    return _ENCODER.encode(body).encode("utf-8")


_dumps: Callable[[Mapping[str, Any]], bytes]
try:
    import orjson
except ImportError:  # pragma: no cover - exercised by the stdlib-json CI run
    _dumps = _stdlib_dumps
else:

    def _orjson_dumps(body: Mapping[str, Any]) -> bytes:
        try:
            return orjson.dumps(body, default=_model_json)
        except orjson.JSONEncodeError:
            return _stdlib_dumps(body)  # what orjson refuses, it writes (or its error is raised)

    _dumps = _orjson_dumps


def encode_body(body: Mapping[str, Any]) -> bytes:
    """The JSON of a request body, rillet's models in it written as their ``to_dict()``.

    Raises:
        RequestBodyError: Something in ``body`` cannot be sent as JSON (nothing is sent).
    """
    _check(body, text=False)
    try:
        return _dumps(body)
    except UnicodeEncodeError:  # a lone surrogate: only the failed body is searched for it
        _check(body, text=True)
        raise


def _check(body: Mapping[str, Any], *, text: bool) -> None:  # noqa: C901, PLR0912 - inline
    """Raise for the first value of ``body`` JSON cannot hold; with ``text``, for bad text too.

    Depth first, without recursion (a body may nest deeper than the stack), and in one pass:
    each list or dict is looked at once, however often it appears. The usual types are checked
    inline: a call per value would double the cost.
    """
    frames: list[Iterator[tuple[Any, Any]]] = [iter(body.items())]
    keys: list[str | int] = []  # the key, in the frame below, of each frame's list or dict
    open_ids = [id(body)]  # the lists and dicts being looked at (one of them again: a cycle)
    done: dict[int, object] = {}  # those looked at, kept alive so that their ids stay theirs
    while frames:
        for key, value in frames[-1]:
            kind = type(value)  # pyright: ignore[reportUnknownVariableType] - of Any
            if kind is str:
                if text and not _is_utf8(value):
                    raise _refused(keys, key, _NOT_UNICODE)
                continue
            if kind is int or kind is bool or value is None:
                continue
            if kind is float:
                if value - value != 0:  # nan or an infinity (inf - inf is nan)
                    raise _refused(keys, key, f"{value!r} is not a JSON number")
                continue
            inner: Container | None = (
                value if kind is dict or kind is list else _unusual(value, keys, key, text=text)
            )
            if inner is None:
                continue
            identity = id(inner)
            if identity in open_ids:
                raise _refused(keys, key, "it contains itself")
            if identity in done:
                continue
            if isinstance(inner, dict):
                _check_keys(inner, keys, key)
                frames.append(iter(inner.items()))
            else:
                frames.append(enumerate(inner))
            keys.append(key)
            open_ids.append(identity)
            done[identity] = inner
            break
        else:
            frames.pop()
            open_ids.pop()
            if keys:
                keys.pop()


_NOT_UNICODE: Final = "the text is not Unicode (it has a lone surrogate)"


def _unusual(
    value: object, keys: list[str | int], key: str | int, *, text: bool
) -> Container | None:
    """A value not of the usual JSON types: the list or dict to look into, or ``None``: fine."""
    if isinstance(value, Model):
        return json_to_read(value)
    if isinstance(value, dict | list | tuple):
        return value  # pyright: ignore[reportUnknownVariableType] - JSON, of Any
    if isinstance(value, str):
        if text and not _is_utf8(value):
            raise _refused(keys, key, _NOT_UNICODE)
        return None
    if isinstance(value, float):
        if value - value != 0:
            raise _refused(keys, key, f"{value!r} is not a JSON number")
        return None
    if isinstance(value, int):  # bool, an IntEnum
        return None
    what = type(value).__qualname__
    raise _refused(keys, key, f"{what} is not a JSON type (nor a rillet model)")


def _check_keys(value: dict[Any, Any], keys: list[str | int], key: str | int) -> None:
    """Refuse a key the standard library cannot write as a JSON string."""
    for name in value:
        if type(name) is str:
            continue
        if not isinstance(name, str | int | float) and name is not None:
            what = f"a key is a {type(name).__qualname__}"
            raise _refused(keys, key, f"{what}: JSON keys are strings (or numbers, bool, None)")
        if isinstance(name, float) and name - name != 0:
            raise _refused(keys, key, f"the key {name!r} is not a JSON number")


def _is_utf8(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _refused(keys: list[str | int], key: str | int, reason: str) -> RequestBodyError:
    path: Path = (*keys, key)
    return RequestBodyError(path=path, reason=reason)
