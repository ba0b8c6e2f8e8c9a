"""The base of every model, and the one cattrs converter that builds them from JSON.

Every model remembers the JSON it was built from, so ``to_dict()`` gives back exactly what the
server sent, including fields rillet does not model. A top-level event keeps the raw payload
bytes (cheaper than a second dict, and invisible to the garbage collector); a nested object keeps
the dict it came from. Models built by hand have no source: their ``to_dict()`` is their fields.
"""

# This module walks JSON values (typed Any or object), narrowed with `type(x) is dict`: faster
# than isinstance() in the per-event builders, but pyright then types them dict[Unknown, Unknown]
# and seeing through that would take a cast (a call) per value. So pyright's reports of unknown
# types are off here; mypy strict checks the module, and the public signatures stay typed.
# pyright: reportUnknownMemberType=false, reportUnknownVariableType=false
# pyright: reportUnknownArgumentType=false, reportUnknownLambdaType=false

from __future__ import annotations

import functools
import operator
import types
import typing
from collections.abc import Callable, Mapping
from typing import Any, ClassVar, Final, NamedTuple, Self, TypeGuard, TypeVar, cast

import attrs
import cattrs
from cattrs.errors import IterableValidationError, IterableValidationNote
from cattrs.gen import make_dict_structure_fn, make_dict_unstructure_fn, override

from rillet._json import loads

__all__ = [
    "Model",
    "by_type",
    "converter",
    "copy_json",
    "evolve",
    "json_to_read",
    "maker",
    "open_set",
    "structure_hook",
    "tagged_union",
]

M = TypeVar("M", bound="Model")
J = TypeVar("J")


@attrs.frozen(kw_only=True)
class Model:
    """Base of every rillet model: a frozen, slotted attrs class that round-trips its JSON."""

    _source: object = attrs.field(default=None, init=False, eq=False, repr=False, hash=False)

    # Fields that are not on the wire (derived from the stream's kind), left out of to_dict().
    _synthetic_fields: ClassVar[tuple[str, ...]] = ()
    # Fields that a model built by rillet (not from JSON) leaves out of to_dict() while unset,
    # as the server leaves them out.
    _omitted_unset: ClassVar[tuple[str, ...]] = ()
    # The wire names of fields named otherwise in Python (Gemini's camelCase), for to_dict().
    _wire_names: ClassVar[Mapping[str, str]] = {}

    def __init_subclass__(cls, **kwargs: Any) -> None:  # noqa: ANN401 - passed on
        # attrs compiles a __repr__, __eq__ and __hash__ for each class it builds: two thirds
        # of what building the ~130 models costs at import. It leaves alone those a class has
        # of its own, so each model gets these three, written once (same results as attrs').
        super().__init_subclass__(**kwargs)
        for name in ("__repr__", "__eq__", "__hash__"):
            setattr(cls, name, vars(Model)[name])

    def __repr__(self) -> str:
        cls = type(self)
        shown = ", ".join(f"{name}={getattr(self, name)!r}" for name in _names(cls).shown)
        return f"{cls.__qualname__.rsplit('>.', 1)[-1]}({shown})"

    def __eq__(self, other: object) -> bool:
        if other.__class__ is not self.__class__:
            return NotImplemented
        names = _names(type(self)).compared
        return all(getattr(self, name) == getattr(other, name) for name in names)

    def __hash__(self) -> int:
        names = _names(type(self)).hashed
        return hash((type(self), *(getattr(self, name) for name in names)))

    def to_dict(self) -> dict[str, Any]:
        """The JSON object this model was built from, exactly as the server sent it.

        Fields rillet does not model are included. Each call returns a new dict.
        """
        return _to_dict(self)

    @classmethod
    def _from_wire(cls, data: Mapping[str, Any]) -> Mapping[str, Any]:
        """Reshape the wire JSON before structuring, where the API sends more than one shape."""
        return data

    @classmethod
    def _wire_path(cls, data: Mapping[str, Any], field: str) -> str:
        """Where ``field`` (as :meth:`_from_wire` named it) is in the wire JSON ``data``."""
        del data
        return field

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Self:
        """Build the model from a JSON object (as :meth:`to_dict` returns it)."""
        result: Self = converter.structure(copy_json(dict(data)), cls)
        return result

    # pydantic's hooks, so that FastAPI takes and returns models (pydantic is imported by them).

    @classmethod
    def __get_pydantic_core_schema__(cls, source: object, handler: object) -> Any:  # noqa: ANN401
        from rillet.events._pydantic import schema  # noqa: PLC0415 - pydantic is optional

        return schema(cls)

    @classmethod
    def __get_pydantic_json_schema__(cls, schema: object, handler: object) -> dict[str, Any]:
        from rillet.events._pydantic import json_schema  # noqa: PLC0415 - pydantic is optional

        return json_schema(cls)


class _FieldNames(NamedTuple):
    shown: tuple[str, ...]  # by __repr__
    compared: tuple[str, ...]  # by __eq__
    hashed: tuple[str, ...]  # by __hash__


def _names(cls: type[Model]) -> _FieldNames:
    """The fields of ``cls`` that repr shows, equality compares and the hash takes, as attrs'."""
    names = _NAMES.get(cls)
    if names is None:
        fields = attrs.fields(cls)
        names = _NAMES[cls] = _FieldNames(
            shown=tuple(field.name for field in fields if field.repr),
            compared=tuple(field.name for field in fields if field.eq),
            hashed=tuple(
                field.name for field in fields if field.hash or (field.hash is None and field.eq)
            ),
        )
    return names


_NAMES: dict[type, _FieldNames] = {}


def evolve(model: M, /, **changes: Any) -> M:  # noqa: ANN401 - any field's value
    """A copy of ``model`` with ``changes``, whose ``to_dict()`` is the source's, changed.

    Unlike ``attrs.evolve``, fields rillet does not model survive into ``to_dict()``; and it
    is several times faster (the accumulators build snapshots with it on every read).
    """
    cls = type(model)
    names = _FIELD_NAMES.get(cls)
    if names is None:
        names = _FIELD_NAMES[cls] = tuple(a.name for a in attrs.fields(cls) if a.init)
    changed = object.__new__(cls)
    set_field = object.__setattr__  # the models are frozen
    for name in names:
        set_field(changed, name, changes[name] if name in changes else getattr(model, name))
    source = model._source  # noqa: SLF001
    set_field(changed, "_source", None if source is None else _Overlay(model, changes))
    return changed


_FIELD_NAMES: dict[type, tuple[str, ...]] = {}


class _Overlay:
    """The source of an evolved model: its original, and what changed (turned to JSON lazily)."""

    __slots__ = ("changes", "original")

    def __init__(self, original: Model, changes: dict[str, Any]) -> None:
        self.original = original
        self.changes = changes


def _to_dict(model: Model) -> dict[str, Any]:
    source = model._source  # noqa: SLF001 - the base class reads its own field
    if type(source) is bytes:
        result: dict[str, Any] = loads(source)
        return result
    if type(source) is _Overlay:
        result = _to_dict(source.original)
        wire = type(model)._wire_names  # noqa: SLF001
        result.update(
            (wire.get(name, name), converter.unstructure(value))
            for name, value in source.changes.items()
        )
        return result
    if source is not None:
        return copy_json(source)  # type: ignore[arg-type]  # pyright: ignore[reportReturnType]
    return _fields_to_dict(model)


def json_to_read(model: Model) -> dict[str, Any]:
    """:meth:`Model.to_dict`, for reading only: the source itself when it is a dict (no copy)."""
    source = model._source  # noqa: SLF001
    if type(source) is dict:
        return cast("dict[str, Any]", source)
    return _to_dict(model)


def _fields_to_dict(model: Model) -> dict[str, Any]:
    hook = _FIELD_UNSTRUCTURE.get(type(model))
    if hook is None:
        cls = type(model)
        omitted = {name: override(omit=True) for name in ("_source", *cls._synthetic_fields)}
        wire = cls._wire_names
        omitted.update(
            (name, override(omit_if_default=True, rename=wire.get(name)))
            for name in cls._omitted_unset
        )
        omitted.update((name, override(rename=wire[name])) for name in wire if name not in omitted)
        hook = _FIELD_UNSTRUCTURE[cls] = make_dict_unstructure_fn(cls, converter, **omitted)  # type: ignore[arg-type]  # pyright: ignore[reportArgumentType]
    result: dict[str, Any] = hook(model)
    return result


_FIELD_UNSTRUCTURE: dict[type[Model], Callable[[Any], dict[str, Any]]] = {}


def copy_json(value: J) -> J:
    """A deep copy of a JSON value, without recursion (JSON may nest deeper than the stack)."""
    if type(value) is dict:
        root: Any = {}
    elif type(value) is list:
        root = []
    else:
        return value
    stack: list[tuple[Any, Any]] = [(value, root)]
    while stack:
        source, target = stack.pop()
        items = source.items() if type(source) is dict else enumerate(source)
        for key, item in items:
            kind = type(item)
            copied: Any = item
            if kind is dict or kind is list:
                copied = kind()
                stack.append((item, copied))
            if type(target) is dict:
                target[key] = copied
            else:
                target.append(copied)  # pyright: ignore[reportAttributeAccessIssue] - a list
    result: J = root
    return result


def _strict(kind: type, name: str) -> Callable[[object, object], object]:
    """A structure hook that accepts only JSON values of one type (no silent coercion)."""

    def structure(value: object, _: object) -> object:
        if type(value) is kind:
            return value
        msg = f"expected {name}, got {type(value).__name__} {value!r:.40}"
        raise TypeError(msg)

    return structure


def _strict_optional(kind: type, name: str) -> Callable[[object, object], object]:
    """:func:`_strict` for ``kind | None``, in one call (cattrs would make it two)."""

    def structure(value: object, _: object) -> object:
        if value is None or type(value) is kind:
            return value
        msg = f"expected {name} or null, got {type(value).__name__} {value!r:.40}"
        raise TypeError(msg)

    return structure


def _structure_float(value: object, _: object) -> float:
    if type(value) is float or type(value) is int:
        return value
    msg = f"expected a number, got {type(value).__name__} {value!r:.40}"
    raise TypeError(msg)


converter = cattrs.Converter(detailed_validation=True, forbid_extra_keys=False)
"""The converter that structures every rillet model (strict about JSON types)."""

converter.register_structure_hook(str, _strict(str, "a string"))
converter.register_structure_hook(int, _strict(int, "an integer"))
converter.register_structure_hook(bool, _strict(bool, "a boolean"))
converter.register_structure_hook(float, _structure_float)
for _kind, _name in [(str, "a string"), (int, "an integer"), (bool, "a boolean")]:
    converter.register_structure_hook_func(
        functools.partial(operator.eq, _kind | None), _strict_optional(_kind, _name)
    )
# JSON values rillet does not model are kept as they are, not copied element by element.
converter.register_structure_hook_func(
    lambda t: t == dict[str, Any], _strict(dict, "a JSON object")
)
converter.register_structure_hook_func(lambda t: t == list[Any], _strict(list, "a JSON array"))

# The closed sets the API documents (statuses, roles, reasons), typed as ``Literal`` aliases:
# at run time any string is taken, so that a value the API adds tomorrow is kept, not refused.
_OPEN_SETS: set[object] = set()


def open_set(*kinds: object) -> None:
    """Take any string for the ``Literal`` types ``kinds`` (statically, only their values)."""
    _OPEN_SETS.update(kinds)


def _is_open(kind: object) -> bool:
    try:
        return kind in _OPEN_SETS
    except TypeError:  # unhashable: no Literal of strings
        return False


def _is_open_optional(kind: object) -> bool:
    members = typing.get_args(kind)
    return (
        typing.get_origin(kind) in (typing.Union, types.UnionType)
        and len(members) == 2
        and type(None) in members
        and any(_is_open(member) for member in members)
    )


converter.register_structure_hook_func(_is_open, _strict(str, "a string"))
converter.register_structure_hook_func(_is_open_optional, _strict_optional(str, "a string"))


def _list_factory(kind: Any) -> Callable[[object, object], list[Any]]:  # noqa: ANN401 - a type
    """Structure ``list[X]`` from a JSON array only (cattrs would take any iterable)."""
    (element,) = typing.get_args(kind)
    hooks: list[Callable[[object, object], object]] = []

    def structure(value: object, _: object) -> list[Any]:
        if type(value) is not list:
            msg = f"expected a JSON array, got {type(value).__name__} {value!r:.40}"
            raise TypeError(msg)
        if not value:
            return []
        if not hooks:
            hooks.append(converter.get_structure_hook(element))
        hook = hooks[0]
        result = []
        errors: list[Exception] = []
        for index, item in enumerate(value):
            try:
                result.append(hook(item, element))
            except Exception as error:  # noqa: BLE001 - collected, raised below with its index
                note = IterableValidationNote(f"Structuring {kind} @ index {index}", index, element)
                error.__notes__ = [*getattr(error, "__notes__", ()), note]
                errors.append(error)
        if errors:
            msg = f"While structuring {kind}"
            # pyright reads the signature of BaseExceptionGroup.__new__, not cattrs' __init__.
            raise IterableValidationError(msg, errors, kind)  # pyright: ignore[reportCallIssue]
        return result

    return structure


def _is_model_list(kind: object) -> bool:
    origin: object = typing.get_origin(kind)
    return origin is list and typing.get_args(kind) != (Any,)


converter.register_structure_hook_factory(_is_model_list, _list_factory)


Build = Callable[..., M]
"""Builds a model from a dict: ``build(data, kind, source=None)``; ``source`` (else ``data``)
becomes what its ``to_dict()`` gives back."""


def structure_hook(cls: type[M], *, routed: bool = False) -> Build[M]:
    """The function that builds ``cls`` from a dict, its source set.

    ``routed`` says the caller picked ``cls`` by the data's ``type``: the fixed ``type`` field
    is then not read again.
    """
    fields = attrs.fields_dict(cls)
    skipped = set(cls._synthetic_fields)  # not on the wire: never read from it
    if routed and "type" in fields:
        skipped.add("type")
    skip = {name: override(omit=True) for name in skipped}
    made: list[Callable[[Mapping[str, Any], Any], M]] = []

    def detailed(data: Mapping[str, Any], kind: object) -> M:
        # cattrs' function, made at the first data that needs it (bad data, mostly): making it
        # costs milliseconds, which the first event of each type would otherwise pay.
        if not made:
            made.append(make_dict_structure_fn(cls, converter, **skip))  # type: ignore[arg-type]  # pyright: ignore[reportArgumentType]
        return made[0](data, kind)

    build = _fast(cls, skipped, detailed)
    if not any("_from_wire" in vars(kind) for kind in cls.__mro__ if kind is not Model):
        return build
    reshape = cls._from_wire

    def reshaped(data: Mapping[str, Any], kind: object, source: object = None) -> M:
        shaped = reshape(data) if type(data) is dict else data  # not an object: build says so
        return build(shaped, kind, data if source is None else source)

    return reshaped


# Inline checks for the JSON types of plain fields: (expression accepting v, it allows null).
_CHECKS: Final[dict[object, str]] = {
    str: "type(v) is str",
    int: "type(v) is int",
    bool: "type(v) is bool",
    float: "(type(v) is float or type(v) is int)",
    list[Any]: "type(v) is list",
    dict[str, Any]: "type(v) is dict",
}


def _slot(cls: type, name: str) -> Callable[[object, object], None]:
    """The setter of slot ``name`` of ``cls`` (it ignores the frozen ``__setattr__``)."""
    for kind in cls.__mro__:
        slot = vars(kind).get(name)
        if isinstance(slot, types.MemberDescriptorType):
            return slot.__set__
    msg = f"{cls.__name__} has no slot {name!r}"
    raise TypeError(msg)


def _fast(
    cls: type[M], skipped: set[str], detailed: Callable[[Mapping[str, Any], Any], M]
) -> Build[M]:
    """A faster builder for ``cls``: plain fields checked inline, not by a hook call each.

    Whenever anything is off, it hands the data to ``detailed`` (cattrs' generated function),
    which builds the same model or raises the detailed error: results never differ. The model
    is made by setting its slots, not by calling ``__init__``: keyword arguments and the frozen
    class's ``object.__setattr__`` by name cost more than the checks (the models have no
    validators or converters, which this would skip: such a class gets ``detailed`` only).
    """
    slow = _with_source(detailed)
    fields = attrs.fields(cls)
    if hasattr(cls, "__attrs_post_init__") or any(f.validator or f.converter for f in fields):
        return slow
    hints = typing.get_type_hints(cls)
    scope: dict[str, Any] = {"cls": cls, "new": object.__new__, "slow": slow}
    scope["MISSING"] = attrs.NOTHING
    lines = [
        "def build(o, _=None, source=None):",
        "    try:",
        "        if type(o) is not dict: raise TypeError",
    ]
    made = ["    m = new(cls)"]
    for index, field in enumerate(fields):
        scope[f"set{index}"] = _slot(cls, field.name)
        if field.name == "_source":
            made.append(f"    set{index}(m, o if source is None else source)")
            continue
        made.append(f"    set{index}(m, v{index})")
        lines += _read_field(index, field, hints[field.name], scope, skipped)
    lines += ["    except Exception:", "        return slow(o, _, source)", *made, "    return m"]
    exec("\n".join(lines), scope)  # noqa: S102 - code generated from the model's own fields
    build: Build[M] = scope["build"]
    return build


def _read_field(
    index: int,
    field: attrs.Attribute[Any],
    kind: Any,  # noqa: ANN401 - a type
    scope: dict[str, Any],
    skipped: set[str],
) -> list[str]:
    """The lines of a builder that read ``field`` into ``v{index}`` (the objects in scope)."""
    value = f"v{index}"
    default = field.default
    fallback = _fallback(index, field, scope)
    if not field.init or field.name in skipped:
        return [f"        {value} = {fallback}"]
    if default is attrs.NOTHING:
        lines = [f"        v = o[{field.name!r}]"]
        indent = "        "
    else:
        lines = [
            f"        v = o.get({field.name!r}, MISSING)",
            f"        if v is MISSING: {value} = {fallback}",
            "        else:",
        ]
        indent = "            "
    members = typing.get_args(kind)
    optional = typing.get_origin(kind) in (typing.Union, types.UnionType) and (
        type(None) in members
    )
    plain = [member for member in members if member is not type(None)]
    base = plain[0] if optional and len(plain) == 1 else kind
    check = _CHECKS.get(str if _is_open(base) else base)
    if kind is Any:
        lines.append(f"{indent}{value} = v")
        return lines
    if check is not None:
        allowed = f"v is None or {check}" if optional else check
        lines.append(f"{indent}if not ({allowed}): raise TypeError")
        lines.append(f"{indent}{value} = v")
        return lines
    # A model, a list of models: their builders, called directly (a type not as expected
    # raises, and the detailed path explains). Anything else (a union): its hook.
    element = typing.get_args(kind)[0] if typing.get_origin(kind) is list else None
    model = plain[0] if optional and len(plain) == 1 else kind
    if _is_model(element):
        scope[f"build{index}"], scope[f"kind{index}"] = _builder(element), element
        lines.append(f"{indent}if type(v) is not list: raise TypeError")
        # Mostly empty (logprobs): no comprehension (a call of its own) for that.
        lines.append(f"{indent}{value} = [build{index}(x, kind{index}) for x in v] if v else []")
    elif _is_model(model):
        scope[f"build{index}"], scope[f"kind{index}"] = _builder(model), model
        call = f"build{index}(v, kind{index})"
        lines.append(
            f"{indent}{value} = None if v is None else {call}"
            if optional
            else f"{indent}{value} = {call}"
        )
    else:
        scope[f"hook{index}"], scope[f"kind{index}"] = converter.get_structure_hook(kind), kind
        lines.append(f"{indent}{value} = hook{index}(v, kind{index})")
    return lines


def _fallback(index: int, field: attrs.Attribute[Any], scope: dict[str, Any]) -> str:
    """The expression of generated code that gives the default of ``field`` (put in scope)."""
    default = field.default
    if isinstance(default, attrs.Factory):  # type: ignore[arg-type]  # pyright: ignore[reportArgumentType]
        scope[f"factory{index}"] = default.factory  # type: ignore[union-attr]  # pyright: ignore[reportOptionalMemberAccess]
        return f"factory{index}()"
    scope[f"default{index}"] = default
    return f"default{index}"


_BUILDERS: dict[type[Any], Build[Any]] = {}


def _builder(cls: type[M]) -> Build[M]:
    """The builder of a model that is not routed (a field's), made once."""
    build = _BUILDERS.get(cls)
    if build is None:
        # A model that contains itself meets this while its builder is made: it calls the
        # builder through the table, once it is there.
        _BUILDERS[cls] = lambda data, kind, source=None: _BUILDERS[cls](data, kind, source)
        build = _BUILDERS[cls] = structure_hook(cls)
    return build


def maker(cls: type[M], *names: str) -> Callable[..., M]:
    """A constructor of ``cls`` taking the fields ``names`` in order (the others at defaults).

    It sets the slots, as the builders do: several times faster than the keyword ``__init__``,
    for the events the accumulators derive from every chunk.
    """
    scope: dict[str, Any] = {"cls": cls, "new": object.__new__}
    lines = [f"def make({', '.join(names)}):", "    m = new(cls)"]
    for index, field in enumerate(attrs.fields(cls)):
        scope[f"set{index}"] = _slot(cls, field.name)
        if field.name in names:
            value = field.name
        elif field.default is attrs.NOTHING:
            msg = f"{cls.__name__}.{field.name} has no default: name it"
            raise TypeError(msg)
        else:
            value = _fallback(index, field, scope)
        lines.append(f"    set{index}(m, {value})")
    lines.append("    return m")
    exec("\n".join(lines), scope)  # noqa: S102 - code generated from the model's own fields
    make: Callable[..., M] = scope["make"]
    return make


def _with_source(detailed: Callable[[Mapping[str, Any], Any], M]) -> Build[M]:
    """``detailed``, setting the built model's source."""

    def build(data: Mapping[str, Any], kind: object, source: object = None) -> M:
        if type(data) is not dict:  # cattrs' function would take a list as a model of defaults
            msg = f"expected a JSON object, got {type(data).__name__} {data!r:.40}"
            raise TypeError(msg)
        model = detailed(data, kind)
        object.__setattr__(model, "_source", data if source is None else source)
        return model

    return build


def _is_model(cls: object) -> TypeGuard[type[Model]]:
    return isinstance(cls, type) and issubclass(cls, Model)


# A model's builder is its hook: it takes (data, type) and checks that data is a JSON object.
converter.register_structure_hook_factory(_is_model, _builder)
converter.register_unstructure_hook_factory(_is_model, lambda _: _to_dict)


def tagged_union(union: object, classes: Mapping[str, type[Model]], fallback: type[Model]) -> None:
    """Structure ``union`` by the ``type`` key of the object: one dict lookup, one class.

    Types not in ``classes`` become ``fallback`` (an explicit "unknown" model), never a
    member picked by trial.
    """
    hooks: dict[type[Model], Callable[[object, object], Model]] = {}

    def structure(data: object, _: object) -> Model:
        kind = data.get("type") if type(data) is dict else None
        cls = classes.get(kind, fallback) if type(kind) is str else fallback
        hook = hooks.get(cls)
        if hook is None:
            hook = hooks[cls] = converter.get_structure_hook(cls)
        return hook(data, cls)

    def structure_optional(data: object, kind: object) -> Model | None:
        return None if data is None else structure(data, kind)

    converter.register_structure_hook_func(lambda t: t == union, structure)
    optional = union | None  # type: ignore[operator]  # pyright: ignore[reportOperatorIssue]
    converter.register_structure_hook_func(lambda t: t == optional, structure_optional)


def by_type(*classes: type[M]) -> dict[str, type[M]]:
    """Map each class's fixed ``type`` value (its field default) to the class."""
    return {str(attrs.fields_dict(cls)["type"].default): cls for cls in classes}
