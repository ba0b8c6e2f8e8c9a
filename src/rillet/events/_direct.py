"""Events decoded from JSON straight into their class by msgspec, when it is installed.

With ``rillet[speedups]``, msgspec decodes a payload into its frozen attrs class in one call to
C code, for the classes whose fields are all plain JSON values (strings, integers, booleans,
null) and at most one list of models, which must be empty (a nested model keeps the JSON it came
from, which msgspec does not give). For those it builds exactly what the builder does: it is as
strict about JSON types, keeps integers beyond 64 bits exact and takes the last of duplicate
keys, and what it refuses (a lone surrogate escape, ``NaN``, a wrong type) goes to the builder,
which reads JSON as the standard library does and explains bad data. msgspec holds a ``Literal``
field to its values: a status the API added later goes to the builder too, which keeps any
string for the API's closed sets (``ResponseStatus``...). It costs about a third of
parsing the JSON and building the event in Python: the text delta events that make most of a
stream are such classes.
"""

from __future__ import annotations

import importlib.util
import operator
import types
import typing
from collections.abc import Callable
from typing import Final, Literal

import attrs

from rillet.events._model import Model, _is_model, _slot
from rillet.events._responses import Event

__all__ = ["DIRECT", "Direct", "direct_decoder"]

DIRECT: Final = importlib.util.find_spec("msgspec") is not None
"""Whether events can be decoded by msgspec (it is installed: imported by the first decoder)."""

Direct = Callable[[bytes], Event | None]
"""Decodes a payload into its event, or gives ``None`` for the builder to do it."""

_PLAIN: Final[frozenset[object]] = frozenset({str, int, bool})


def direct_decoder(cls: type[Event]) -> Direct | None:
    """The msgspec decoder of ``cls``, if msgspec is installed and ``cls`` is such a class."""
    reshaped = any("_from_wire" in vars(kind) for kind in cls.__mro__ if kind is not Model)
    if not DIRECT or reshaped or cls._synthetic_fields:
        return None
    hints = typing.get_type_hints(cls)
    lists: list[str] = []
    for field in attrs.fields(cls):
        if not field.init:
            continue
        kind = hints[field.name]
        members = set(typing.get_args(kind)) - {type(None)}
        if typing.get_origin(kind) is list and _is_model(typing.get_args(kind)[0]):
            lists.append(field.name)
        elif not (
            _plain(kind)
            or (
                typing.get_origin(kind) in (typing.Union, types.UnionType)
                and all(_plain(member) for member in members)
            )
        ):
            return None
    if len(lists) > 1:
        return None
    return _decoder(cls, operator.attrgetter(lists[0]) if lists else None)


def _plain(kind: object) -> bool:
    """A string, an integer, a boolean, or one of a set of strings (a ``Literal``)."""
    return kind in _PLAIN or typing.get_origin(kind) is Literal


def _decoder(cls: type[Event], models: Callable[[Model], object] | None) -> Direct:
    import msgspec  # noqa: PLC0415 - not at import: a program may never stream

    decode = msgspec.json.Decoder(cls).decode
    set_source = _slot(cls, "_source")
    refused = msgspec.MsgspecError

    def direct(data: bytes) -> Event | None:
        try:
            event: Event = decode(data)
        except refused:
            return None
        if models is not None and models(event):
            return None  # nested models must keep their JSON: the builder makes them
        set_source(event, data)
        return event

    return direct
