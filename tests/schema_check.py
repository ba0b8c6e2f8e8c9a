"""A compact JSON schema checker for the keywords the emulator's generator follows."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, cast

_TYPES: dict[str, tuple[type, ...]] = {
    "object": (dict,),
    "array": (list,),
    "string": (str,),
    "integer": (int,),
    "number": (int, float),
    "boolean": (bool,),
    "null": (type(None),),
}


def problems(  # noqa: C901, PLR0912 - one branch per keyword
    value: object, schema: object, root: object = None, at: str = "$"
) -> list[str]:
    """Where ``value`` breaks ``schema`` (empty: it validates)."""
    root = schema if root is None else root
    if schema is True or (isinstance(schema, dict) and not schema):
        return []
    if schema is False:
        return [f"{at}: nothing validates against false"]
    spec = cast("Mapping[str, Any]", schema)
    if "$ref" in spec:
        return problems(value, _resolve(root, spec["$ref"]), root, at)
    found: list[str] = []
    if "const" in spec and value != spec["const"]:
        found.append(f"{at}: {value!r} is not the const {spec['const']!r}")
    if "enum" in spec and value not in spec["enum"]:
        found.append(f"{at}: {value!r} is not in the enum")
    if "anyOf" in spec and not any(not problems(value, b, root, at) for b in spec["anyOf"]):
        found.append(f"{at}: no anyOf branch validates")
    if "oneOf" in spec:
        matches = sum(not problems(value, b, root, at) for b in spec["oneOf"])
        if matches != 1:
            found.append(f"{at}: {matches} oneOf branches validate")
    for part in spec.get("allOf", ()):
        found += problems(value, part, root, at)
    if "type" in spec:
        kinds = spec["type"] if isinstance(spec["type"], list) else [spec["type"]]
        if not any(_is(value, kind) for kind in kinds):
            return [*found, f"{at}: {value!r} is not of type {kinds}"]
    if isinstance(value, dict):
        found += _object(cast("dict[str, object]", value), spec, root, at)
    elif isinstance(value, list):
        items = cast("list[object]", value)
        if len(items) < spec.get("minItems", 0):
            found.append(f"{at}: fewer than minItems")
        if "maxItems" in spec and len(items) > spec["maxItems"]:
            found.append(f"{at}: more than maxItems")
        for index, item in enumerate(items):
            found += problems(item, spec.get("items", {}), root, f"{at}[{index}]")
    elif isinstance(value, str):
        if len(value) < spec.get("minLength", 0) or len(value) > spec.get("maxLength", 1 << 62):
            found.append(f"{at}: the length is out of bounds")
    elif isinstance(value, int | float) and not isinstance(value, bool):
        low, high = spec.get("minimum", float("-inf")), spec.get("maximum", float("inf"))
        if not low <= value <= high:
            found.append(f"{at}: {value} is out of bounds")
    return found


def _object(value: dict[str, object], spec: Mapping[str, Any], root: object, at: str) -> list[str]:
    found = [f"{at}: {name!r} is missing" for name in spec.get("required", ()) if name not in value]
    properties: Mapping[str, Any] = spec.get("properties", {})
    extra = spec.get("additionalProperties", True)
    for name, item in value.items():
        if name in properties:
            found += problems(item, properties[name], root, f"{at}.{name}")
        elif extra is False:
            found.append(f"{at}: {name!r} is not allowed")
        else:
            found += problems(item, extra, root, f"{at}.{name}")
    return found


def _is(value: object, kind: str) -> bool:
    if kind in ("integer", "number") and isinstance(value, bool):
        return False
    if kind == "integer" and isinstance(value, float):
        return value.is_integer()
    return isinstance(value, _TYPES[kind])


def _resolve(root: object, reference: str) -> object:
    found = root
    for part in filter(None, reference.removeprefix("#").split("/")):
        found = cast("dict[str, object]", found)[part]
    return found
