"""The JSON schema of a function's parameters, and its arguments parsed into their types.

A stopgap of the tools until ``rillet._schema`` (structured outputs) lands: the same strict
schemas (every property required, ``additionalProperties: false``; an optional value is
nullable), for the types tools take: ``str``, ``int``, ``float``, ``bool``, ``None``,
``list[T]``, ``dict[str, T]`` (not in strict mode: see below), ``Literal``, enums, ``T | None``
and unions, attrs classes, dataclasses and TypedDicts. Parsing checks the JSON values against
the types (no coercion: ``"3"`` is not an ``int``) and says where a value is wrong, as a path.
"""

from __future__ import annotations

import dataclasses
import enum
import types
import typing
from collections.abc import Mapping, Sequence
from typing import Any, Literal, Union, cast, get_args, get_origin, get_type_hints, is_typeddict

import attrs

__all__ = ["ArgumentError", "object_schema", "parse_fields", "parse_value", "schema_of"]

_PRIMITIVES: dict[object, str] = {str: "string", int: "integer", float: "number", bool: "boolean"}


class ArgumentError(ValueError):
    """A value does not fit its type; ``path`` says where (``["city"]``, ``["stops", 2]``)."""

    def __init__(self, path: list[str | int], reason: str) -> None:
        self.path = path
        self.reason = reason
        super().__init__(f"{_dotted(path)}: {reason}" if path else reason)


def _dotted(path: Sequence[str | int]) -> str:
    text = ""
    for part in path:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else part)
    return text


def _fields(tp: type) -> dict[str, tuple[object, bool]]:
    """A class's fields: name -> (type, has a default)."""
    hints = get_type_hints(tp)
    if attrs.has(tp):
        return {
            f.name: (hints.get(f.name, Any), f.default is not attrs.NOTHING)
            for f in attrs.fields(tp)
        }
    if dataclasses.is_dataclass(tp):
        return {
            f.name: (
                hints.get(f.name, Any),
                f.default is not dataclasses.MISSING
                or f.default_factory is not dataclasses.MISSING,
            )
            for f in dataclasses.fields(tp)
        }
    required: frozenset[str] = getattr(cast("object", tp), "__required_keys__", frozenset())
    return {name: (hint, name not in required) for name, hint in hints.items()}


def _is_record(tp: object) -> bool:
    if is_typeddict(tp):
        return True
    return isinstance(tp, type) and (attrs.has(tp) or dataclasses.is_dataclass(tp))


def object_schema(
    fields: Mapping[str, tuple[object, bool]], title: str | None = None
) -> dict[str, Any]:
    """A strict object schema: every field required; one with a default may be ``null``."""
    properties: dict[str, Any] = {}
    for name, (hint, optional) in fields.items():
        member = schema_of(hint)
        properties[name] = _nullable(member) if optional else member
    schema: dict[str, Any] = {
        "type": "object",
        "properties": properties,
        "required": list(properties),
        "additionalProperties": False,
    }
    if title:
        schema["title"] = title
    return schema


def _nullable(schema: dict[str, Any]) -> dict[str, Any]:
    if schema.get("type") == "null" or any(
        s.get("type") == "null" for s in schema.get("anyOf", ())
    ):
        return schema
    return {"anyOf": [schema, {"type": "null"}]}


def schema_of(tp: object) -> dict[str, Any]:  # noqa: PLR0911 - one return per kind of type
    """The strict JSON schema of values of ``tp``.

    Raises:
        TypeError: ``tp`` is a type that has no JSON schema here.
    """
    if tp in _PRIMITIVES:
        return {"type": _PRIMITIVES[tp]}
    if tp is None or tp is type(None):
        return {"type": "null"}
    origin = get_origin(tp)
    arguments = get_args(tp)
    if origin is typing.Annotated:
        return schema_of(arguments[0])
    if origin is Literal:
        return _enum(list(arguments))
    if isinstance(tp, type) and issubclass(tp, enum.Enum):
        return _enum([member.value for member in tp])
    if origin in (Union, types.UnionType):
        members = [schema_of(a) for a in arguments]
        return members[0] if len(members) == 1 else {"anyOf": members}
    if (
        origin in (list, Sequence, tuple)
        and arguments
        and (origin is not tuple or ... in arguments)
    ):
        return {"type": "array", "items": schema_of(arguments[0])}
    if _is_record(tp):  # pyright: ignore[reportUnknownArgumentType] - narrowed by the checks above
        return object_schema(_fields(typing.cast("type", tp)))
    msg = (
        f"no JSON schema for {tp!r}: use str, int, float, bool, list, Literal, an enum, "
        "or an attrs class, dataclass or TypedDict of them"
    )
    raise TypeError(msg)


def _enum(values: list[Any]) -> dict[str, Any]:
    kinds = {_kind(value) for value in values}
    if len(kinds) == 1 and "object" not in kinds:
        return {"type": kinds.pop(), "enum": values}
    return {"enum": values}


def parse_value(tp: object, value: object, path: list[str | int]) -> Any:  # noqa: ANN401, C901, PLR0911, PLR0912
    """``value`` (decoded JSON) as a ``tp``.

    Raises:
        ArgumentError: It does not fit, with the path to the value that does not.
    """
    if tp is Any:
        return value
    if tp is None or tp is type(None):
        if value is not None:
            raise ArgumentError(path, f"expected null, got {_kind(value)}")
        return None
    if tp in _PRIMITIVES:
        ok = (
            isinstance(value, str)
            if tp is str
            else isinstance(value, bool)
            if tp is bool
            else isinstance(value, int) and not isinstance(value, bool)
            if tp is int
            else isinstance(value, (int, float)) and not isinstance(value, bool)
        )
        if not ok:
            raise ArgumentError(path, f"expected {_PRIMITIVES[tp]}, got {_kind(value)}")
        return float(value) if tp is float else value  # type: ignore[arg-type]  # pyright: ignore[reportArgumentType]
    origin = get_origin(tp)
    arguments = get_args(tp)
    if origin is typing.Annotated:
        return parse_value(arguments[0], value, path)
    if origin is Literal:
        if value not in arguments:
            raise ArgumentError(path, f"expected one of {list(arguments)!r}, got {value!r}")
        return value
    if isinstance(tp, type) and issubclass(tp, enum.Enum):
        try:
            return tp(value)
        except ValueError:
            allowed = [member.value for member in tp]
            raise ArgumentError(path, f"expected one of {allowed!r}, got {value!r}") from None
    if origin in (Union, types.UnionType):
        if value is None and type(None) in arguments:
            return None
        members = [a for a in arguments if a is not type(None)]
        if len(members) == 1:  # X | None, and not null: where in X it is wrong
            return parse_value(members[0], value, path)
        failures: list[str] = []
        for member in members:
            try:
                return parse_value(member, value, path)
            except ArgumentError as error:
                failures.append(error.reason)
        raise ArgumentError(path, " or ".join(dict.fromkeys(failures)))
    if origin in (list, Sequence, tuple):
        if not isinstance(value, list):
            raise ArgumentError(path, f"expected array, got {_kind(value)}")
        items = [parse_value(arguments[0], v, [*path, i]) for i, v in enumerate(value)]  # pyright: ignore[reportUnknownVariableType, reportUnknownArgumentType]
        return tuple(items) if origin is tuple else items
    if _is_record(tp):  # pyright: ignore[reportUnknownArgumentType] - narrowed by the checks above
        record = typing.cast("type", tp)
        values = parse_fields(_fields(record), value, path)
        return values if is_typeddict(record) else record(**values)
    msg = f"cannot parse into {tp!r}"
    raise TypeError(msg)


def parse_fields(
    fields: Mapping[str, tuple[object, bool]], value: object, path: list[str | int]
) -> dict[str, Any]:
    """A JSON object's members, each parsed into its field's type.

    ``null`` for a field with a default leaves it out, so that the default applies.
    """
    if not isinstance(value, dict):
        raise ArgumentError(path, f"expected object, got {_kind(value)}")
    given = typing.cast("dict[str, object]", value)
    unknown = [name for name in given if name not in fields]
    if unknown:
        raise ArgumentError(path, f"unexpected member {unknown[0]!r}")
    parsed: dict[str, Any] = {}
    for name, (hint, optional) in fields.items():
        if name not in given:
            if optional:
                continue
            raise ArgumentError([*path, name], "missing")
        member = given[name]
        if member is None and optional and not _accepts_none(hint):
            continue
        parsed[name] = parse_value(hint, member, [*path, name])
    return parsed


def _accepts_none(tp: object) -> bool:
    if tp is None or tp is type(None) or tp is Any:
        return True
    return get_origin(tp) in (Union, types.UnionType) and type(None) in get_args(tp)


def _kind(value: object) -> str:
    if value is None:
        return "null"
    kinds: dict[type, str] = {
        bool: "boolean",
        int: "integer",
        float: "number",
        str: "string",
        list: "array",
    }
    return kinds.get(type(value), "object")
