"""Definitions as Python source, laid out as ``ruff format`` lays it out (so it stays put).

The annotations are evaluated at import (no ``from __future__ import annotations``), so that a
TypedDict's ``__required_keys__`` is right at run time; definitions come after what they use,
and the rare reference forward (a cycle) is quoted.
"""

from __future__ import annotations

import json
import textwrap
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from rillet._codegen._types import (
    Alias,
    Definition,
    Field,
    Lit,
    Map,
    Name,
    Seq,
    TypeDict,
    TypeExpr,
    Union,
)

__all__ = ["Module", "from_import", "names_in", "render"]

LINE = 100
_INDENT = "    "


@dataclass(frozen=True, slots=True)
class Module:
    """What one generated module holds, and what it imports."""

    name: str
    doc: str
    definitions: tuple[Definition, ...]
    imported: dict[str, str]  # name -> module, for what it uses from other modules


# -- layout: what ruff does with a line too long ----------------------------------------------


@dataclass(frozen=True, slots=True)
class _Atom:
    text: str


@dataclass(frozen=True, slots=True)
class _Subscript:
    head: str
    args: tuple[_Node, ...]


@dataclass(frozen=True, slots=True)
class _Chain:
    operands: tuple[_Node, ...]


_Node = _Atom | _Subscript | _Chain


def _flat(node: _Node) -> str:
    if isinstance(node, _Atom):
        return node.text
    if isinstance(node, _Subscript):
        return f"{node.head}[{', '.join(_flat(a) for a in node.args)}]"
    return " | ".join(_flat(o) for o in node.operands)


def _lay(prefix: str, node: _Node, suffix: str, depth: int, *, bracketed: bool) -> list[str]:
    """The lines of ``prefix + node + suffix`` at ``depth``, split as ruff splits them."""
    indent = _INDENT * depth
    line = f"{indent}{prefix}{_flat(node)}{suffix}"
    if len(line) <= LINE or isinstance(node, _Atom):
        return [line]
    if isinstance(node, _Subscript):
        opening = f"{indent}{prefix}{node.head}["
        return [opening, *_lay_items(node.args, depth + 1), f"{indent}]{suffix}"]
    if not bracketed:  # a union outside brackets gets parentheses of its own
        inner = _lay("", node, "", depth + 1, bracketed=True)
        return [f"{indent}{prefix}(", *inner, f"{indent}){suffix}"]
    lines: list[str] = []
    last = len(node.operands) - 1
    for i, operand in enumerate(node.operands):
        start = prefix if i == 0 else "| "
        lines += _lay(start, operand, suffix if i == last else "", depth, bracketed=True)
    return lines


def _lay_items(items: tuple[_Node, ...], depth: int) -> list[str]:
    if len(items) == 1:
        return _lay("", items[0], "", depth, bracketed=True)
    line = _INDENT * depth + ", ".join(_flat(a) for a in items)
    if len(line) <= LINE:
        return [line]
    return [line for item in items for line in _lay("", item, ",", depth, bracketed=True)]


# -- types as layout nodes --------------------------------------------------------------------


def _node(t: TypeExpr, *, beside_str: bool = False) -> _Node:
    if isinstance(t, Name):
        return _Atom(t.text)
    if isinstance(t, Lit):
        return _Subscript("Literal", tuple(_Atom(json.dumps(v)) for v in t.values))
    if isinstance(t, Map):
        return _Subscript("Mapping", (_Atom("str"), _node(t.value)))
    if isinstance(t, Seq):
        if t.item == Name("str") and not beside_str:
            # Sequence[str] would take a plain str (a sequence of str): the list or the tuple.
            return _Chain((_Subscript("list", (_Atom("str"),)), _Atom("tuple[str, ...]")))
        return _Subscript("Sequence", (_node(t.item),))
    has_str = Name("str") in t.members
    operands: list[_Node] = []
    for member in t.members:
        node = _node(member, beside_str=has_str)
        operands += node.operands if isinstance(node, _Chain) else (node,)
    return _Chain(tuple(operands))


def names_in(t: TypeExpr) -> Iterator[Name]:
    """The names ``t`` uses, in order (with repeats)."""
    if isinstance(t, Name):
        yield t
    elif isinstance(t, Seq):
        yield from names_in(t.item)
    elif isinstance(t, Map):
        yield from names_in(t.value)
    elif isinstance(t, Union):
        for member in t.members:
            yield from names_in(member)


def _annotation(t: TypeExpr, later: set[str]) -> _Node:
    """``t`` as a node; quoted when it names a definition that comes later in the module."""
    node = _node(t)
    if any(n.kind == "def" and n.text in later for n in names_in(t)):
        return _Atom(f'"{_flat(node)}"')
    return node


# -- the module -------------------------------------------------------------------------------


def render(module: Module, header: str) -> str:
    """The source of ``module``, after the ``header`` comment lines."""
    later = {d.name for d in module.definitions}
    body: list[str] = []
    for definition in module.definitions:
        later.discard(definition.name)
        if isinstance(definition, TypeDict):
            body += ["", "", *_typed_dict(definition, later | {definition.name})]
        else:
            body += ["", "", *_alias(definition, later | {definition.name})]
    exported = sorted(d.name for d in module.definitions)
    lines = [
        *header.splitlines(),
        *_docstring(module.doc, 0),
        "",
        *_imports(module, "\n".join(body)),
        "",
        *_list("__all__ = ", [f'"{n}"' for n in exported]),
        *body,
    ]
    return "\n".join(lines) + "\n"


def _list(prefix: str, items: list[str]) -> list[str]:
    line = f"{prefix}[{', '.join(items)}]"
    if len(line) <= LINE:
        return [line]
    return [f"{prefix}[", *(f"{_INDENT}{item}," for item in items), "]"]


def _typed_dict(definition: TypeDict, later: set[str]) -> list[str]:
    doc = definition.doc
    if len(f'{_INDENT}"""{doc}"""') > LINE:  # a summary must fit on the first line
        doc = f"{definition.title}.\n\n{doc}"
    lines = [f"class {definition.name}(TypedDict, total=False):", *_docstring(doc, 1)]
    lines.append("")
    for field in definition.fields:
        lines += _field(field, later)
    return lines


def _field(field: Field, later: set[str]) -> list[str]:
    node = _annotation(field.type, later)
    if field.required:
        node = _Subscript("Required", (node,))
    lines = _lay(f"{field.name}: ", node, "", 1, bracketed=False)
    return lines + (_docstring(field.doc, 1) if field.doc else [])


def _alias(definition: Alias, later: set[str]) -> list[str]:
    node = _annotation(definition.type, later)
    lines = _lay(f"{definition.name}: TypeAlias = ", node, "", 0, bracketed=False)
    return lines + (_docstring(definition.doc, 0) if definition.doc else [])


def _docstring(text: str, depth: int) -> list[str]:
    """``text`` in triple quotes: one line if it fits, else paragraphs wrapped to the line."""
    indent = _INDENT * depth
    one = f'{indent}"""{text}"""'
    if len(one) <= LINE and "\n" not in text:
        return [one]
    lines: list[str] = []
    for paragraph in text.split("\n\n"):
        start = '"""' if not lines else ""
        if lines:
            lines.append("")
        width = LINE - len(indent)
        wrapped = textwrap.wrap(paragraph, width, initial_indent=start, break_on_hyphens=False)
        lines += [indent + line for line in wrapped]
    return [*lines, f'{indent}"""']


def _imports(module: Module, body: str) -> list[str]:
    """The imports of a module whose definitions are ``body``."""
    lines: list[str] = []
    abc = [n for n in ("Mapping", "Sequence") if f"{n}[" in body]
    if abc:
        lines += from_import("collections.abc", abc)
    markers = {"Literal": "Literal[", "Required": "Required[", "TypeAlias": ": TypeAlias = "}
    markers["TypedDict"] = "(TypedDict, "
    lines += from_import("typing", [name for name, marker in markers.items() if marker in body])
    by_module: dict[str, list[str]] = {}
    for name, source in module.imported.items():
        by_module.setdefault(source, []).append(name)
    if by_module:
        lines.append("")
    for source in sorted(by_module):
        lines += from_import(source, sorted(by_module[source]))
    return lines


def from_import(module: str, names: Iterable[str], indent: str = "") -> list[str]:
    """``from module import names``, one line or one a line, in ruff's (isort's) order."""
    names = sorted(set(names), key=lambda name: (name.lower(), name))
    line = f"{indent}from {module} import {', '.join(names)}"
    if len(line) <= LINE:
        return [line]
    inner = indent + _INDENT
    return [f"{indent}from {module} import (", *(f"{inner}{n}," for n in names), f"{indent})"]
