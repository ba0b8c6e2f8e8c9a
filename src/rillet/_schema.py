"""Python types as the API's strict JSON schemas, and JSON back into those types (sans-IO).

Structured outputs (``text.format`` of the Responses API, ``response_format`` of Chat
Completions, a function tool's ``parameters`` with ``strict``) take a subset of JSON Schema with
rules of its own: every object says ``additionalProperties: false`` and lists every property in
``required``, so what may be absent is said by letting it be ``null``; classes are named in
``$defs`` and referred to by ``$ref`` (which is how a class can contain itself). A type with no
faithful schema (``datetime``, ``dict``, ``Any``...) is refused here, with the path to it, rather
than sent loosely and parsed into something else.

The other way, :func:`parse_as` builds the typed value from the parsed JSON the model wrote, and
is strict: a wrong type is an error that names where it is, never a silent coercion. attrs
classes and dataclasses go through a cattrs converter, TypedDicts are checked and stay dicts,
pydantic models use their own ``model_validate``. pydantic is never imported here: a class is
taken for a pydantic model only when ``pydantic`` is already imported and says so.
"""

from __future__ import annotations

import dataclasses
import enum
import re
import sys
import types
import typing
from typing import Any, Final, TypeVar, cast

import attrs
import cattrs
from typing_extensions import is_typeddict

from rillet._errors import StructuredOutputError

__all__ = ["UnsupportedTypeError", "json_schema", "parse_as", "schema_name"]

T = TypeVar("T")

_NAME_CHARS: Final = re.compile(r"[^a-zA-Z0-9_-]+")
_PRIMITIVES: Final[dict[object, dict[str, Any]]] = {
    str: {"type": "string"},
    int: {"type": "integer"},
    float: {"type": "number"},
    bool: {"type": "boolean"},
    type(None): {"type": "null"},
    None: {"type": "null"},
}
_ORIGIN_NAMES: Final = {
    list: "list",
    dict: "dict",
    set: "set",
    frozenset: "frozenset",
    tuple: "tuple",
}


class UnsupportedTypeError(TypeError):
    """A type has no strict JSON schema; the message names where it is (``Recipe.steps[].when``).

    Attributes:
        path: Where the type is, from the root type's name.
        type: The type that is not supported.
    """

    def __init__(self, path: str, tp: object, why: str = "is not supported") -> None:
        self.path = path
        self.type = tp
        super().__init__(f"{path}: {_type_name(tp)} {why}")


def schema_name(tp: object) -> str:
    """The API's ``name`` of a format: the type's name, within ``^[a-zA-Z0-9_-]{1,64}$``.

    A class gives its name (``Recipe``), a generic its parts (``list[Recipe]``: ``list_Recipe``);
    a type with no name of its own (a union, a ``Literal``) gives ``output``.
    """
    tp = _strip_annotated(tp)
    origin = typing.get_origin(tp)
    if origin is None and isinstance(tp, type):
        raw = tp.__name__
    elif isinstance(origin, type) and origin is not types.UnionType:
        raw = "_".join([origin.__name__, *(schema_name(arg) for arg in typing.get_args(tp))])
    else:
        raw = "output"
    return _NAME_CHARS.sub("_", raw).strip("_")[:64] or "output"


def json_schema(tp: object) -> dict[str, Any]:
    """The strict JSON schema of ``tp``, as structured outputs take it.

    Supported: attrs classes, dataclasses, ``TypedDict`` (``total``, ``Required``,
    ``NotRequired``), pydantic models, ``str``, ``int``, ``float``, ``bool``, ``None``,
    ``list[X]``, ``Literal[...]``, ``enum.Enum`` with ``str`` or ``int`` values, ``X | None``
    and other unions, ``Annotated[X, ...]``; classes nested in classes, and recursive ones.

    A field that may be left out (a ``NotRequired`` key, a ``total=False`` TypedDict's keys) is
    still listed in ``required`` but may be ``null``; :func:`parse_as` leaves it out again. A
    field with a default is required as it is: the model writes every field. A field's
    ``metadata={"description": ...}`` (attrs, dataclasses) and a class's docstring become
    ``description``.

    Raises:
        UnsupportedTypeError: A type (anywhere inside ``tp``) has no strict schema; the message
            says where (``Recipe.steps[].when: datetime is not supported``).
    """
    return _SchemaBuilder(tp).build()


class _SchemaBuilder:
    def __init__(self, root: object) -> None:
        self.root = root
        self.defs: dict[str, dict[str, Any]] = {}
        self.names: dict[object, str] = {}  # class -> its $defs name (or "#" for the root)

    def build(self) -> dict[str, Any]:
        root = _strip_annotated(self.root)
        path = _type_name(root)
        if _is_pydantic_model(root):
            return _strict_pydantic_schema(cast("type[Any]", root))
        if _is_class(root):
            root = cast("type[Any]", root)
            self.names[root] = "#"
            schema = self._object(root, path)
        else:
            schema = self.schema(root, path)
        if self.defs:
            schema["$defs"] = self.defs
        return schema

    def schema(self, tp: object, path: str) -> dict[str, Any]:
        tp = _strip_annotated(tp)
        try:
            primitive = _PRIMITIVES.get(tp)
        except TypeError:  # not hashable: not a primitive
            primitive = None
        if primitive is not None:
            return dict(primitive)
        origin = typing.get_origin(tp)
        args = typing.get_args(tp)
        if origin is list or tp is list:
            if not args:
                raise UnsupportedTypeError(path, tp, "needs its item type (list[X])")
            return {"type": "array", "items": self.schema(args[0], path + "[]")}
        if origin is typing.Literal:
            return _enum_schema(list(args), path, tp)
        if origin is typing.Union or origin is types.UnionType:
            return self._union(args, path)
        if _is_enum(tp):
            enum_class = cast("type[enum.Enum]", tp)
            schema = _enum_schema([member.value for member in enum_class], path, tp)
            doc = _docstring(enum_class)
            if doc:
                schema["description"] = doc
            return schema
        if _is_class(tp):
            return self._ref(cast("type[Any]", tp), path)
        raise UnsupportedTypeError(path, tp)

    def _union(self, args: tuple[object, ...], path: str) -> dict[str, Any]:
        members: list[dict[str, Any]] = []
        for arg in args:
            schema = self.schema(arg, path)
            for member in schema.get("anyOf", [schema]) if len(schema) == 1 else [schema]:
                if member not in members:
                    members.append(member)
        return {"anyOf": members} if len(members) > 1 else members[0]

    def _ref(self, cls: type[Any], path: str) -> dict[str, Any]:
        name = self.names.get(cls)
        if name is None:
            name = self._def_name(cls)
            self.names[cls] = name
            self.defs[name] = {}  # reserved first, so that a class inside itself finds it
            self.defs[name] = (
                _strict_pydantic_schema(cls, self.defs)
                if _is_pydantic_model(cls)
                else self._object(cls, path)
            )
        return {"$ref": "#" if name == "#" else f"#/$defs/{name}"}

    def _def_name(self, cls: type[Any]) -> str:
        base = _NAME_CHARS.sub("_", cls.__name__)
        name, n = base, 2
        while name in self.defs:
            name, n = f"{base}_{n}", n + 1
        return name

    def _object(self, cls: type[Any], path: str) -> dict[str, Any]:
        if _is_pydantic_model(cls):
            return _strict_pydantic_schema(cls, self.defs)
        properties: dict[str, Any] = {}
        for field in _fields(cls, path):
            schema = self.schema(field.type, f"{path}.{field.name}")
            if not field.required and {"type": "null"} not in schema.get("anyOf", [schema]):
                nullable: dict[str, Any] = {"anyOf": [schema, {"type": "null"}]}
                schema = nullable
            if field.description and "$ref" not in schema:
                schema["description"] = field.description
            properties[field.name] = schema
        result: dict[str, Any] = {"type": "object"}
        doc = _docstring(cls)
        if doc:
            result["description"] = doc
        result |= {
            "properties": properties,
            "required": list(properties),
            "additionalProperties": False,
        }
        return result


@attrs.frozen
class _Field:
    name: str
    type: object
    required: bool  # False: the key may be absent (TypedDict), so the schema lets it be null
    description: str | None


def _fields(cls: type[Any], path: str) -> list[_Field]:
    try:
        hints = typing.get_type_hints(cls, include_extras=True)
    except NameError as error:
        raise UnsupportedTypeError(
            path, cls, f"has an annotation that cannot be resolved ({error})"
        ) from error
    if is_typeddict(cls):
        return [
            _Field(
                name,
                _strip_required(hint),
                required=_key_required(cls, name, hint),
                description=None,
            )
            for name, hint in hints.items()
        ]
    if attrs.has(cls):
        return [
            _Field(
                a.name,
                hints.get(a.name, a.type),
                required=True,
                description=_description(a.metadata),
            )
            for a in attrs.fields(cls)
            if a.init
        ]
    return [
        _Field(
            f.name, hints.get(f.name, f.type), required=True, description=_description(f.metadata)
        )
        for f in dataclasses.fields(cls)
        if f.init
    ]


def _key_required(cls: Any, name: str, hint: object) -> bool:
    # Under `from __future__ import annotations`, Python 3.11 fills __required_keys__ before
    # the annotations are resolved, missing NotRequired[...]: the resolved hint says.
    hint = _strip_annotated(hint)
    origin = typing.get_origin(hint)
    if origin is typing.NotRequired:
        return False
    if origin is typing.Required:
        return True
    return name in cls.__required_keys__


def _description(metadata: typing.Mapping[Any, Any]) -> str | None:
    description = metadata.get("description")
    return description if isinstance(description, str) else None


def _docstring(cls: type[Any]) -> str | None:
    doc = cls.__dict__.get("__doc__")
    if not isinstance(doc, str) or not doc.strip():
        return None
    # dataclasses make one up ("Recipe(name: str, ...)"), Enum too: not the author's words.
    if doc.startswith(cls.__name__ + "(") or doc == "An enumeration.":
        return None
    return " ".join(doc.split())


def _enum_schema(values: list[object], path: str, tp: object) -> dict[str, Any]:
    kinds: set[str] = set()
    for value in values:
        if isinstance(value, bool):
            kinds.add("boolean")
        elif isinstance(value, str):
            kinds.add("string")
        elif isinstance(value, int):
            kinds.add("integer")
        elif value is None:
            kinds.add("null")
        else:
            raise UnsupportedTypeError(path, tp, f"has a value {value!r} that is not str or int")
    schema: dict[str, Any] = {"enum": values}
    if len(kinds) == 1:
        schema = {"type": kinds.pop(), **schema}
    return schema


def _is_class(tp: object) -> bool:
    if not isinstance(tp, type):
        return False
    cls = cast("type[Any]", tp)
    return (
        attrs.has(cls)
        or dataclasses.is_dataclass(cls)
        or is_typeddict(cls)
        or _is_pydantic_model(cls)
    )


def _is_pydantic_model(tp: object) -> bool:
    pydantic = sys.modules.get("pydantic")
    return pydantic is not None and isinstance(tp, type) and issubclass(tp, pydantic.BaseModel)


def _strip_annotated(tp: object) -> object:
    while typing.get_origin(tp) is typing.Annotated:
        tp = typing.get_args(tp)[0]
    return tp


def _strip_required(tp: object) -> object:
    tp = _strip_annotated(tp)
    while typing.get_origin(tp) in (typing.Required, typing.NotRequired):
        tp = _strip_annotated(typing.get_args(tp)[0])
    return tp


def _type_name(tp: object) -> str:
    if isinstance(tp, type) and not typing.get_args(tp):
        return tp.__name__
    return repr(tp).replace("typing.", "")


# -- pydantic: its own schema, made strict -------------------------------------------------------

# Keywords that strict mode refuses and pydantic writes; dropped, since they do not constrain.
_PYDANTIC_DROPPED: Final = ("default", "title")


def _strict_pydantic_schema(
    cls: type[Any], defs: dict[str, dict[str, Any]] | None = None
) -> dict[str, Any]:
    schema: dict[str, Any] = cls.model_json_schema()
    own_defs = schema.pop("$defs", {})
    schema = _make_strict(schema)
    strict_defs = {name: _make_strict(sub) for name, sub in own_defs.items()}
    if defs is None:
        if strict_defs:
            schema["$defs"] = strict_defs
        return schema
    for name, sub in strict_defs.items():
        defs.setdefault(name, sub)
    return schema


def _make_strict(schema: Any) -> Any:
    if isinstance(schema, list):
        return [_make_strict(item) for item in cast("list[object]", schema)]
    if not isinstance(schema, dict):
        return schema
    node = cast("dict[str, Any]", schema)
    if "$ref" in node:  # strict mode takes no keyword beside a $ref
        return {"$ref": node["$ref"]}
    out = {
        key: (value if key in ("enum", "const") else _make_strict(value))
        for key, value in node.items()
        if key not in _PYDANTIC_DROPPED
    }
    if "properties" in out:
        out["properties"] = {
            name: _make_strict(sub)
            for name, sub in cast("dict[str, Any]", node["properties"]).items()
        }
    if out.get("type") == "object" or "properties" in out:
        out["required"] = list(out.get("properties", {}))
        out["additionalProperties"] = False
    return out


# -- JSON back into the types --------------------------------------------------------------------

# The converter's hooks take what cattrs gives them: a JSON value and the type wanted, unknown
# to a checker (a list's item type, a union's members); hence the Any in their signatures.
# ruff: noqa: ANN401


def parse_as(tp: type[T], value: object) -> T:
    """The ``tp`` that the parsed JSON ``value`` describes, checked strictly.

    attrs classes and dataclasses are built by a cattrs converter that coerces nothing (a string
    where an ``int`` belongs is an error; an integer where a ``float`` belongs is taken, as JSON
    does not tell them apart), TypedDicts are checked and returned as dicts (a ``null`` for a key
    that may be left out is left out), pydantic models are built by their ``model_validate``, by
    pydantic's own rules.

    Raises:
        StructuredOutputError: ``value`` is not a ``tp``; its message says where and why.
    """
    if _is_pydantic_model(tp):
        try:
            return cast("T", cast("Any", tp).model_validate(value))
        except Exception as error:  # pydantic.ValidationError, without importing pydantic
            message = f"not a valid {tp.__name__}: {error}"
            raise StructuredOutputError(message) from error
    try:
        return _converter.structure(value, tp)
    except Exception as error:
        problems = (
            cattrs.transform_error(error, path="$", format_exception=_format_exception)
            if isinstance(error, cattrs.BaseValidationError)
            else [f"{_format_exception(error, None)} @ $"]
        )
        message = f"not a valid {_type_name(tp)}: " + "; ".join(problems)
        raise StructuredOutputError(message, problems=problems) from error


class _OwnError(TypeError):
    """A check of this module's, whose message is already what a user should read."""


def _fail(value: object, expected: str) -> _OwnError:
    return _OwnError(f"expected {expected}, got {_json_kind(value)}")


def _format_exception(error: BaseException, tp: type[Any] | None) -> str:
    if isinstance(error, _OwnError):
        return str(error)
    return cattrs.v.format_exception(error, tp)


def _structure_str(value: object, _: object) -> str:
    if type(value) is not str:
        raise _fail(value, "a string")
    return value


def _structure_bool(value: object, _: object) -> bool:
    if type(value) is not bool:
        raise _fail(value, "a boolean")
    return value


def _structure_int(value: object, _: object) -> int:
    if type(value) is not int:
        raise _fail(value, "an integer")
    return value


def _structure_float(value: object, _: object) -> float:
    if type(value) is not int and type(value) is not float:
        raise _fail(value, "a number")
    return float(value)


def _is_list(tp: object) -> bool:
    return typing.get_origin(tp) is list


def _structure_list(value: object, tp: Any) -> list[Any]:
    if not isinstance(value, list):
        raise _fail(value, "an array")
    (item,) = typing.get_args(tp)
    out: list[Any] = []
    errors: list[Exception] = []
    for index, element in enumerate(cast("list[object]", value)):
        try:
            out.append(_converter.structure(element, item))
        except Exception as error:  # noqa: BLE001 (gathered, raised together below)
            note = cattrs.IterableValidationNote(f"Structuring {tp} @ index {index}", index, item)
            error.__notes__ = [*getattr(error, "__notes__", []), note]
            errors.append(error)
    if errors:
        message = f"While structuring {tp!r}"
        # cattrs takes the type as a third argument (its __new__); pyright reads ExceptionGroup's.
        raise cattrs.IterableValidationError(message, errors, tp)  # pyright: ignore[reportCallIssue]
    return out


def _is_union(tp: object) -> bool:
    origin = typing.get_origin(tp)
    return origin is typing.Union or origin is types.UnionType


def _structure_union(value: object, tp: Any) -> Any:
    # The first member the value is, in the order written: JSON carries no tag to choose by.
    members = typing.get_args(tp)
    if value is None and type(None) in members:
        return None
    for member in members:
        if member is type(None):
            continue
        try:
            return _converter.structure(value, member)
        except Exception:  # noqa: BLE001, S112 (the next member may fit)
            continue
    message = f"{_json_kind(value)} is none of {_type_name(tp)}"
    raise _OwnError(message)


def _is_literal(tp: object) -> bool:
    return typing.get_origin(tp) is typing.Literal


def _structure_literal(value: object, tp: Any) -> Any:
    allowed = typing.get_args(tp)
    for candidate in allowed:
        if type(value) is type(candidate) and value == candidate:
            return value
    raise _fail(value, f"one of {list(allowed)!r}")


def _is_enum(tp: object) -> bool:
    return isinstance(tp, type) and issubclass(tp, enum.Enum)


def _structure_enum(value: object, tp: Any) -> Any:
    members = cast("list[enum.Enum]", list(tp))
    for member in members:
        if type(member.value) is type(value) and member.value == value:
            return member
    raise _fail(value, f"one of {[member.value for member in members]!r}")


def _structure_pydantic(value: object, tp: Any) -> Any:
    return tp.model_validate(value)


def _structure_typeddict(value: object, tp: Any) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise _fail(value, "an object")
    given = cast("dict[str, Any]", value)
    hints = typing.get_type_hints(tp, include_extras=True)
    required = {name for name, hint in hints.items() if _key_required(tp, name, hint)}
    errors = [_noted(_OwnError("is not a field"), key) for key in given.keys() - hints.keys()]
    out: dict[str, Any] = {}
    for name, hint in hints.items():
        field_type = _strip_required(hint)
        absent = name not in given or (
            given[name] is None and name not in required and not _nullable(field_type)
        )
        if absent:
            if name in required:
                errors.append(_noted(_OwnError("required field missing"), name))
            continue
        try:
            out[name] = _converter.structure(given[name], cast("type[Any]", field_type))
        except Exception as error:  # noqa: BLE001 (gathered, raised together below)
            errors.append(_noted(error, name))
    if errors:
        message = f"While structuring {tp.__name__}"
        raise cattrs.ClassValidationError(message, errors, tp)  # pyright: ignore[reportCallIssue]
    return out


def _noted(error: Exception, name: str) -> Exception:
    note = cattrs.AttributeValidationNote(f"Structuring field {name}", name, object)
    error.__notes__ = [*getattr(error, "__notes__", []), note]
    return error


def _nullable(tp: object) -> bool:
    return tp is None or tp is type(None) or type(None) in typing.get_args(tp)


def _json_kind(value: object) -> str:
    kinds: dict[type[Any], str] = {
        type(None): "null",
        bool: "a boolean",
        list: "an array",
        dict: "an object",
    }
    kind = kinds.get(type(value))
    if kind is not None:
        return kind
    if isinstance(value, str):
        return f"a string ({value[:20]!r})"
    if isinstance(value, int | float):
        return f"a number ({value!r})"
    return type(value).__name__


def _make_converter() -> cattrs.Converter:
    converter = cattrs.Converter(forbid_extra_keys=True, detailed_validation=True)
    converter.register_structure_hook(str, _structure_str)
    converter.register_structure_hook(bool, _structure_bool)
    converter.register_structure_hook(int, _structure_int)
    converter.register_structure_hook(float, _structure_float)
    for predicate, hook in (
        (_is_list, _structure_list),
        (_is_union, _structure_union),
        (_is_literal, _structure_literal),
        (_is_enum, _structure_enum),
        (_is_pydantic_model, _structure_pydantic),
        (is_typeddict, _structure_typeddict),
    ):
        converter.register_structure_hook_func(predicate, hook)
    return converter


_converter: Final = _make_converter()
