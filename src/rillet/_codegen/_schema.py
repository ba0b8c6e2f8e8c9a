"""From the OpenAPI description's schemas to :mod:`._types` definitions.

Object schemas become TypedDicts, allOf merges, anyOf/oneOf unions, enums literals, arrays
sequences, maps mappings; whatever cannot be typed closer is ``object``. A named schema is a
definition of its own when it is an object with keys, a union or an enum; anything simpler is
written where it is used. Where the spec describes an object both as the API returns it and as
a request takes it (``FunctionTool``, ``FunctionToolParam``), the request's description is used.
"""

from __future__ import annotations

import re
from dataclasses import replace
from keyword import iskeyword
from typing import Any, cast

from rillet._codegen import _config
from rillet._codegen._types import (
    NONE,
    OBJECT,
    Alias,
    Definition,
    Field,
    Lit,
    Map,
    Name,
    Seq,
    TypeDict,
    TypeExpr,
    union,
)

__all__ = ["Translator", "summary"]

Schema = dict[str, Any]

_PRIMITIVES = {
    "string": "str",
    "integer": "int",
    "number": "float",
    "boolean": "bool",
    "null": "None",
}
_LINK = re.compile(r"\[([^\]]+)\]\([^)]*\)")
_SENTENCE_END = re.compile(r"(?<=[.!?])(?<!e\.g\.)(?<!i\.e\.)\s+(?=[A-Z`*\[])")
_LIST_ITEM = re.compile(r"\n\s*(?:[-*]|\d+\.) ")  # a list is no sentence: stop before it
_CODE = re.compile(r"(?<!`)`([^`]+)`(?!`)")


class Translator:
    """Translates the schemas a request body reaches into definitions, named and recorded."""

    def __init__(self, spec: Schema) -> None:
        self._schemas: dict[str, Schema] = spec["components"]["schemas"]
        self.definitions: dict[str, Definition] = {}
        self._origin: dict[str, str] = {}  # Python name -> what it was made from (clashes)
        self._named: dict[str, TypeExpr] = {}  # schema -> the type a reference to it is
        self._enclosing: list[str] = []  # the named schemas being translated ($recursiveRef)
        self.used: set[str] = set()  # the schema names met, to find stale configuration

    # -- named schemas --------------------------------------------------------------------

    def root(self, schema_name: str, first: tuple[str, ...], omit: frozenset[str]) -> str:
        """Define a request body's TypedDict, keys ``first`` first, none of ``omit``; its name."""
        name = python_name(schema_name)
        self.used.add(schema_name)
        self._enclosing.append(schema_name)
        definition = self._typed_dict(name, self._schemas[schema_name], schema_name, omit)
        rank = {key: i for i, key in enumerate(first)}
        fields = sorted(definition.fields, key=lambda f: rank.get(f.name, len(rank)))
        definition = replace(definition, fields=tuple(fields))
        self._enclosing.pop()
        self._add(definition, f"schema {schema_name}")
        return name

    def reference(self, schema_name: str) -> TypeExpr:
        """The type a ``$ref`` to ``schema_name`` stands for (defining it on first use)."""
        self.used.add(schema_name)
        target = self._request_twin(schema_name)
        self.used.add(target)
        known = self._named.get(target)
        if known is not None:
            return known
        schema = self._schemas[target]
        core, nullable = _without_null(schema)
        extra = _config.EXTRA_MEMBERS.get(target, ())
        name = python_name(target)
        self._enclosing.append(target)
        if extra and not (_is_union(core) or core.get("type") == "array"):
            msg = f"{target} takes no extra members (EXTRA_MEMBERS: unions and arrays only)"
            raise ValueError(msg)
        if _is_object(core) or _is_union(core) or "enum" in core:
            # Known before its members are, so that a cycle refers back to it by name.
            self._named[target] = union(Name(name, "def"), NONE) if nullable else Name(name, "def")
            # A request twin's descriptions are sparse: the gaps are filled from the original's.
            original = self._schemas[schema_name] if target != schema_name else {}
            doc = summary(_description(schema) or _description(original))
            if _is_object(core):
                definition: Definition = self._typed_dict(name, core, target, docs=original)
            else:
                aliased = self.translate(core, name.removesuffix("Param"))
                definition = Alias(name, doc, self._extended(aliased, extra))
            self._add(definition, f"schema {target}")
        else:  # a plain type, an array or a map: written where it is used
            self._named[target] = self.translate(schema, name.removesuffix("Param"), extra)
        self._enclosing.pop()
        return self._named[target]

    def _request_twin(self, schema_name: str) -> str:
        """The schema that describes ``schema_name`` as a request takes it (often itself)."""
        if schema_name.endswith("Param"):
            return schema_name
        twin = _config.REQUEST_TWINS.get(schema_name, schema_name + "Param")
        return twin if twin in self._schemas else schema_name

    # -- any schema -----------------------------------------------------------------------

    def translate(self, schema: Schema, context: str, extra: tuple[str, ...] = ()) -> TypeExpr:
        """The type of ``schema``; an inline object in it is named after ``context``."""
        if "$ref" in schema:
            return self._extended(self.reference(_ref_name(schema["$ref"])), extra)
        if "$recursiveRef" in schema:
            return self.reference(self._enclosing[-1])
        nullable = schema.get("nullable") is True
        result = self._translate_core(schema, context, extra)
        return union(result, NONE) if nullable else result

    def _translate_core(self, schema: Schema, context: str, extra: tuple[str, ...]) -> TypeExpr:
        if "enum" in schema or "const" in schema:
            values = schema["enum"] if "enum" in schema else [schema["const"]]
            literal = Lit(tuple(v for v in values if v is not None))
            return union(literal, NONE) if None in values else literal
        members = schema.get("anyOf") or schema.get("oneOf")
        if members:
            objects = sum(_is_object(m) for m in members)
            translated = [
                self.translate(m, _member_context(context, m, i, objects))
                for i, m in enumerate(members)
            ]
            return self._extended(union(*translated), extra)
        if _is_object(schema):
            return self._inline_object(schema, context)
        if "allOf" in schema:  # one part, alone
            return self.translate(schema["allOf"][0], context, extra)
        return self._by_type(schema, context, extra)

    def _by_type(self, schema: Schema, context: str, extra: tuple[str, ...]) -> TypeExpr:
        kind = schema.get("type")
        if isinstance(kind, list):
            kinds = cast("list[str]", kind)
            return union(*(self._by_type({**schema, "type": k}, context, ()) for k in kinds))
        if kind in _PRIMITIVES:
            return Name(_PRIMITIVES[kind])
        if kind == "array":
            item = self.translate(schema.get("items", {}), context + "Item")
            return Seq(self._extended(item, extra))
        if kind == "object" or "additionalProperties" in schema:
            value = schema.get("additionalProperties", {})
            if not isinstance(value, dict):  # ``true``: anything
                return Map(OBJECT)
            return Map(self.translate(cast("Schema", value), context + "Value"))
        return OBJECT

    def _inline_object(self, schema: Schema, context: str) -> TypeExpr:
        name = _config.INLINE_NAMES.get(context, context + "Param")
        origin = f"inline object {context}"
        if self._origin.get(name) != origin:
            self._add(self._typed_dict(name, schema, context), origin)
        return Name(name, "def")

    def _typed_dict(
        self,
        name: str,
        schema: Schema,
        context: str,
        omit: frozenset[str] = frozenset(),
        docs: Schema | None = None,
    ) -> TypeDict:
        """``schema``'s TypedDict; what it does not describe, ``docs`` may."""
        properties, required = self._merged(schema)
        spare = self._merged(docs)[0] if docs else {}
        base = name.removesuffix("Param")
        bad = [key for key in properties if not key.isidentifier() or iskeyword(key)]
        if bad:  # a TypedDict class cannot have them
            msg = f"{context} has keys that are no Python names: {bad}"
            raise ValueError(msg)
        fields = tuple(
            Field(
                key,
                self.translate(value, base + _pascal(key)),
                key in required,
                _field_doc(value, spare.get(key), self._referenced(value)),
            )
            for key, value in properties.items()
            if key not in omit
        )
        docs = docs or {}
        title = schema.get("title", docs.get("title"))
        if not isinstance(title, str):
            words = re.findall(r"[A-Z]+(?![a-z])|[A-Z][a-z0-9]*", context.removesuffix("Param"))
            title = " ".join(w if w.isupper() else w.lower() for w in words)
            title = title[0].upper() + title[1:]
        doc = summary(_description(schema) or _description(docs))
        return TypeDict(name, doc or f"{title}.", fields, title)

    def _referenced(self, schema: Schema) -> Schema | None:
        """The schema a reference (maybe with ``null``) stands for."""
        members = [m for m in schema.get("anyOf", [schema]) if m.get("type") != "null"]
        if len(members) == 1 and "$ref" in members[0]:
            return self._schemas[_ref_name(members[0]["$ref"])]
        return None

    def _merged(self, schema: Schema) -> tuple[dict[str, Schema], set[str]]:
        """An object's keys and which are required, with allOf's parts merged in order."""
        properties: dict[str, Schema] = {}
        required: set[str] = set()
        for part in schema.get("allOf", ()):
            if "$ref" in part:
                self.used.add(_ref_name(part["$ref"]))
                part = self._schemas[_ref_name(part["$ref"])]  # noqa: PLW2901
            more, needed = self._merged(part)
            properties.update(more)
            required |= needed
        properties.update(schema.get("properties", {}))
        required |= set(schema.get("required", ()))
        return properties, required

    def _extended(self, t: TypeExpr, extra: tuple[str, ...]) -> TypeExpr:
        return union(t, *(Name(e, "rillet") for e in extra)) if extra else t

    def _add(self, definition: Definition, origin: str) -> None:
        previous = self._origin.setdefault(definition.name, origin)
        if previous != origin:
            msg = f"{previous} and {origin} are both {definition.name}: rename one in _config"
            raise ValueError(msg)
        self.definitions[definition.name] = definition


def python_name(schema_name: str) -> str:
    """``<schema>Param``, unless :data:`~._config.NAMES` says otherwise."""
    name = _config.NAMES.get(schema_name, schema_name)
    if not name.isidentifier():
        msg = f"schema {schema_name!r} needs a name in _config.NAMES"
        raise ValueError(msg)
    return name if name.endswith("Param") else name + "Param"


def summary(text: str) -> str:
    """The first sentence of a description, as docstring text (``code``, no links)."""
    paragraph = _LIST_ITEM.split(text.strip().split("\n\n")[0], maxsplit=1)[0]
    paragraph = " ".join(_LINK.sub(r"\1", paragraph).replace("**", "").split())
    if not paragraph:
        return ""
    sentences = _SENTENCE_END.split(paragraph, maxsplit=2)
    sentence = " ".join(sentences[:2]) if sentences[0] == "Deprecated." else sentences[0]
    sentence = _CODE.sub(r"``\1``", sentence.rstrip(":")).replace("\\", "\\\\")
    sentence = sentence[0].upper() + sentence[1:].replace('"""', "'''")
    return sentence if sentence.endswith((".", "!", "?")) else sentence + "."


def _description(schema: Schema) -> str:
    description = schema.get("description")
    if isinstance(description, str):
        return description
    for member in schema.get("anyOf") or schema.get("oneOf") or ():
        if isinstance(member.get("description"), str):
            return str(member["description"])
    return ""


def _field_doc(schema: Schema, twin: Schema | None, referenced: Schema | None) -> str:
    """A key's docstring: its description, its twin's, or else its type's (a bare reference's)."""
    described = _description(schema) or _description(twin or {})
    doc = summary(described or _description(referenced or {}))
    deprecated = schema.get("deprecated") is True or any(
        m.get("deprecated") is True for m in schema.get("anyOf", ())
    )
    if deprecated and not doc.startswith("Deprecated"):
        return f"Deprecated. {doc}" if doc else "Deprecated."
    return doc


def _without_null(schema: Schema) -> tuple[Schema, bool]:
    """A schema without its ``null`` alternative, and whether it had one."""
    members = schema.get("anyOf") or schema.get("oneOf")
    if not members:
        return schema, schema.get("nullable") is True
    rest = [m for m in members if m.get("type") != "null"]
    if len(rest) == len(members):
        return schema, False
    if len(rest) == 1 and "$ref" not in rest[0]:
        return rest[0], True
    core = {k: v for k, v in schema.items() if k not in ("anyOf", "oneOf")}
    return {**core, "anyOf": rest}, True


def _is_object(schema: Schema) -> bool:
    return bool(schema.get("properties")) or (
        "allOf" in schema and not (len(schema["allOf"]) == 1 and "properties" not in schema)
    )


def _is_union(schema: Schema) -> bool:
    members = schema.get("anyOf") or schema.get("oneOf") or ()
    return len(members) > 1


def _member_context(context: str, member: Schema, index: int, objects: int) -> str:
    if objects <= 1 or not _is_object(member):
        return context
    title = member.get("title")
    if not isinstance(title, str):
        return f"{context}{index + 1}"
    named = _pascal(title)  # "Text format" in a "...Format": "...TextFormat"
    last = re.findall(r"[A-Z][a-z0-9]*", named)[-1]
    return context.removesuffix(last) + named


def _ref_name(ref: str) -> str:
    return ref.rsplit("/", 1)[-1]


def _pascal(text: str) -> str:
    return "".join(part[:1].upper() + part[1:] for part in re.split(r"[^0-9A-Za-z]+", text))
