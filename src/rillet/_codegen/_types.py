"""The generator's model of Python types: expressions, and the definitions that name them."""

from __future__ import annotations

from dataclasses import dataclass

__all__ = [
    "NONE",
    "OBJECT",
    "Alias",
    "Definition",
    "Field",
    "Lit",
    "Map",
    "Name",
    "Seq",
    "TypeDict",
    "TypeExpr",
    "Union",
    "union",
]


@dataclass(frozen=True, slots=True)
class Name:
    """A name: a builtin (``str``, ``None``, ``object``), a definition, or a rillet class."""

    text: str
    kind: str = "builtin"  # "builtin", "def" (generated) or "rillet" (rillet.events)


@dataclass(frozen=True, slots=True)
class Lit:
    """``Literal[...]`` of the values."""

    values: tuple[str | int | bool, ...]


@dataclass(frozen=True, slots=True)
class Seq:
    """A JSON array: ``Sequence[item]`` (a list or a tuple)."""

    item: TypeExpr


@dataclass(frozen=True, slots=True)
class Map:
    """A JSON object used as a map: ``Mapping[str, value]``."""

    value: TypeExpr


@dataclass(frozen=True, slots=True)
class Union:
    """``a | b | ...``: flat, without repeats, ``None`` last (build it with :func:`union`)."""

    members: tuple[TypeExpr, ...]


TypeExpr = Name | Lit | Seq | Map | Union

NONE = Name("None")
OBJECT = Name("object")


def union(*types: TypeExpr) -> TypeExpr:
    """The union of ``types``: nested unions flattened, literals merged, ``None`` last."""
    members: list[TypeExpr] = []
    values: list[str | int | bool] = []
    literal_at = -1
    for t in types:
        for member in t.members if isinstance(t, Union) else (t,):
            if isinstance(member, Lit):
                if literal_at < 0:
                    literal_at = len(members)
                    members.append(member)
                values += [v for v in member.values if v not in values]
            elif member not in members and member != NONE:
                members.append(member)
    if literal_at >= 0:
        members[literal_at] = Lit(tuple(values))
    if OBJECT in members:  # object takes anything: the rest says nothing more
        members = [OBJECT]
    if any(t == NONE or (isinstance(t, Union) and NONE in t.members) for t in types):
        members.append(NONE)
    return members[0] if len(members) == 1 else Union(tuple(members))


@dataclass(frozen=True, slots=True)
class Field:
    """A key of a TypedDict."""

    name: str
    type: TypeExpr
    required: bool
    doc: str


@dataclass(frozen=True, slots=True)
class TypeDict:
    """A JSON object with known keys: a ``TypedDict``."""

    name: str
    doc: str
    fields: tuple[Field, ...]
    title: str  # a short summary, for when ``doc`` is long


@dataclass(frozen=True, slots=True)
class Alias:
    """A named type (a union, a set of literals): a ``TypeAlias``."""

    name: str
    doc: str
    type: TypeExpr


Definition = TypeDict | Alias
