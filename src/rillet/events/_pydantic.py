"""What pydantic (and so FastAPI) makes of rillet's models; pydantic is never a dependency.

pydantic asks a class for its schema (``Model.__get_pydantic_core_schema__``) when the class
is in a type it handles: an endpoint's return annotation or ``response_model``, a parameter.
A model is taken as it is, or built from its JSON object; it is written as its ``to_dict()``,
the JSON the server sent. Imported only by those hooks, so only where pydantic is.
"""

from __future__ import annotations

import inspect
from typing import Any, TypeVar, cast

from pydantic_core import core_schema

from rillet.events._model import Model
from rillet.events._parse import _first_problem

M = TypeVar("M", bound=Model)

__all__ = ["json_schema", "schema"]


def schema(cls: type[M]) -> core_schema.CoreSchema:
    """The core schema of ``cls``: validated as itself or from JSON, serialised as its JSON."""

    def validate(value: object) -> M:
        if isinstance(value, cls):
            return value
        if not isinstance(value, dict):
            msg = f"expected a {cls.__name__} or its JSON object, not {type(value).__name__}"
            raise ValueError(msg)  # noqa: TRY004 - pydantic reports ValueErrors, not TypeErrors
        try:
            return cls.from_dict(cast("dict[str, Any]", value))
        except Exception as error:
            field, reason = _first_problem(error)
            where = f" at {field}" if field else ""
            msg = f"not a {cls.__name__}{where}: {reason}"
            raise ValueError(msg) from error

    return core_schema.no_info_plain_validator_function(
        validate,
        serialization=core_schema.plain_serializer_function_ser_schema(_to_json),
    )


def _to_json(model: Model) -> dict[str, Any]:
    return model.to_dict()  # a copy: what model_dump() returns may be changed


def json_schema(cls: type[Model]) -> dict[str, Any]:
    """The JSON schema of ``cls`` (in FastAPI's OpenAPI): an object, as the API documents it."""
    summary = (inspect.getdoc(cls) or "").split("\n\n", 1)[0]
    return {"type": "object", "title": cls.__name__, "description": summary}
