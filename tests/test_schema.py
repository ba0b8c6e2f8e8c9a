"""Types as strict JSON schemas, and JSON back into the types (``rillet._schema``)."""

from __future__ import annotations

import dataclasses
import datetime as dt
import enum
import json
import re
from typing import Annotated, Any, Literal, NotRequired, Required, TypedDict, cast

import attrs
import pydantic
import pytest
from hypothesis import given
from hypothesis import strategies as st

from rillet import RilletError, StructuredOutputError
from rillet._schema import UnsupportedTypeError, json_schema, parse_as, schema_name


class Unit(enum.Enum):
    """A unit of measure."""

    GRAM = "g"
    LITRE = "l"


class Level(enum.IntEnum):
    LOW = 1
    HIGH = 2


@attrs.frozen
class Ingredient:
    name: str = attrs.field(metadata={"description": "What to buy"})
    amount: float
    unit: Unit


@attrs.frozen
class Step:
    text: str
    minutes: int | None


@attrs.frozen
class Recipe:
    """A recipe, with its steps."""

    title: str
    ingredients: list[Ingredient]
    steps: list[Step]
    difficulty: Literal["easy", "hard"]
    vegetarian: bool
    level: Level = Level.LOW


@dataclasses.dataclass(frozen=True)
class Point:
    x: float
    y: float
    label: str | None = dataclasses.field(default=None, metadata={"description": "A name"})


@dataclasses.dataclass(frozen=True)
class Shape:
    points: list[Point]
    closed: bool


@attrs.frozen
class Tree:
    value: int
    children: list[Tree]


@attrs.frozen
class Forest:
    trees: list[Tree]


class Movie(TypedDict):
    title: str
    year: int
    tags: NotRequired[list[str]]


class Partial(TypedDict, total=False):
    a: Required[int]
    b: str


@attrs.frozen
class Either:
    value: int | str
    choice: Point | Step


@attrs.frozen
class Described:
    value: Annotated[int, "anything"]


@attrs.frozen
class When:
    when: dt.datetime


@attrs.frozen
class WithSteps:
    steps: list[When]


@attrs.frozen
class Loose:
    data: dict[str, Any]


class Film(pydantic.BaseModel):
    """A film."""

    title: str
    year: int = pydantic.Field(description="Year of release")
    rating: float | None = None
    director: Person | None = None


class Person(pydantic.BaseModel):
    name: str


Film.model_rebuild()

NULL = {"type": "null"}


def test_attrs_class_nested_enum_literal_description() -> None:
    assert json_schema(Recipe) == {
        "type": "object",
        "description": "A recipe, with its steps.",
        "properties": {
            "title": {"type": "string"},
            "ingredients": {"type": "array", "items": {"$ref": "#/$defs/Ingredient"}},
            "steps": {"type": "array", "items": {"$ref": "#/$defs/Step"}},
            "difficulty": {"type": "string", "enum": ["easy", "hard"]},
            "vegetarian": {"type": "boolean"},
            "level": {"type": "integer", "enum": [1, 2]},
        },
        "required": ["title", "ingredients", "steps", "difficulty", "vegetarian", "level"],
        "additionalProperties": False,
        "$defs": {
            "Ingredient": {
                "type": "object",
                "properties": {
                    "name": {"type": "string", "description": "What to buy"},
                    "amount": {"type": "number"},
                    "unit": {
                        "type": "string",
                        "enum": ["g", "l"],
                        "description": "A unit of measure.",
                    },
                },
                "required": ["name", "amount", "unit"],
                "additionalProperties": False,
            },
            "Step": {
                "type": "object",
                "properties": {
                    "text": {"type": "string"},
                    "minutes": {"anyOf": [{"type": "integer"}, NULL]},
                },
                "required": ["text", "minutes"],
                "additionalProperties": False,
            },
        },
    }


def test_dataclass() -> None:
    point = {
        "type": "object",
        "properties": {
            "x": {"type": "number"},
            "y": {"type": "number"},
            "label": {"anyOf": [{"type": "string"}, NULL], "description": "A name"},
        },
        "required": ["x", "y", "label"],
        "additionalProperties": False,
    }
    assert json_schema(Point) == point
    assert json_schema(Shape)["$defs"] == {"Point": point}


def test_recursive_classes_refer_to_themselves() -> None:
    assert json_schema(Tree) == {
        "type": "object",
        "properties": {
            "value": {"type": "integer"},
            "children": {"type": "array", "items": {"$ref": "#"}},
        },
        "required": ["value", "children"],
        "additionalProperties": False,
    }
    assert json_schema(Forest)["$defs"]["Tree"]["properties"]["children"] == {
        "type": "array",
        "items": {"$ref": "#/$defs/Tree"},
    }


def test_typeddict_keys_that_may_be_absent_are_required_and_nullable() -> None:
    assert json_schema(Movie) == {
        "type": "object",
        "properties": {
            "title": {"type": "string"},
            "year": {"type": "integer"},
            "tags": {"anyOf": [{"type": "array", "items": {"type": "string"}}, NULL]},
        },
        "required": ["title", "year", "tags"],
        "additionalProperties": False,
    }
    assert json_schema(Partial)["properties"] == {
        "a": {"type": "integer"},
        "b": {"anyOf": [{"type": "string"}, NULL]},
    }


def test_unions_and_annotated() -> None:
    schema = json_schema(Either)
    assert schema["properties"] == {
        "value": {"anyOf": [{"type": "integer"}, {"type": "string"}]},
        "choice": {"anyOf": [{"$ref": "#/$defs/Point"}, {"$ref": "#/$defs/Step"}]},
    }
    assert json_schema(Described)["properties"] == {"value": {"type": "integer"}}


@pytest.mark.parametrize(
    ("tp", "expected"),
    [
        (str, {"type": "string"}),
        (int, {"type": "integer"}),
        (float, {"type": "number"}),
        (bool, {"type": "boolean"}),
        (None, NULL),
        (list[int], {"type": "array", "items": {"type": "integer"}}),
        (Literal["a", 1], {"enum": ["a", 1]}),
        (int | None, {"anyOf": [{"type": "integer"}, NULL]}),
        (int | str | None, {"anyOf": [{"type": "integer"}, {"type": "string"}, NULL]}),
    ],
)
def test_plain_types(tp: object, expected: dict[str, Any]) -> None:
    assert json_schema(tp) == expected


def test_pydantic_model_made_strict() -> None:
    assert json_schema(Film) == {
        "type": "object",
        "description": "A film.",
        "properties": {
            "title": {"type": "string"},
            "year": {"type": "integer", "description": "Year of release"},
            "rating": {"anyOf": [{"type": "number"}, NULL]},
            "director": {"anyOf": [{"$ref": "#/$defs/Person"}, NULL]},
        },
        "required": ["title", "year", "rating", "director"],
        "additionalProperties": False,
        "$defs": {
            "Person": {
                "type": "object",
                "properties": {"name": {"type": "string"}},
                "required": ["name"],
                "additionalProperties": False,
            }
        },
    }


@pytest.mark.parametrize(
    ("tp", "message"),
    [
        (WithSteps, "WithSteps.steps[].when: datetime is not supported"),
        (Loose, "Loose.data: dict[str, Any] is not supported"),
        (list, "list: list needs its item type (list[X])"),
        (set[int], "set[int]: set[int] is not supported"),
    ],
)
def test_unsupported_types_are_named_with_their_path(tp: object, message: str) -> None:
    with pytest.raises(UnsupportedTypeError) as caught:
        json_schema(tp)
    assert str(caught.value) == message
    assert isinstance(caught.value, TypeError)


@pytest.mark.parametrize(
    ("tp", "name"),
    [(Recipe, "Recipe"), (list[Recipe], "list_Recipe"), (int | None, "output")],
)
def test_schema_name(tp: object, name: str) -> None:
    assert schema_name(tp) == name
    assert re.fullmatch(r"[a-zA-Z0-9_-]{1,64}", schema_name(tp))


def test_schema_name_is_cut_to_64() -> None:
    long = type("A" * 100, (), {})
    assert schema_name(long) == "A" * 64


def test_parse_as_builds_nested_classes() -> None:
    value = {
        "title": "Soup",
        "ingredients": [{"name": "leek", "amount": 2, "unit": "g"}],
        "steps": [{"text": "Boil", "minutes": None}],
        "difficulty": "easy",
        "vegetarian": True,
        "level": 2,
    }
    assert parse_as(Recipe, value) == Recipe(
        title="Soup",
        ingredients=[Ingredient("leek", 2.0, Unit.GRAM)],
        steps=[Step("Boil", None)],
        difficulty="easy",
        vegetarian=True,
        level=Level.HIGH,
    )
    leaf: dict[str, object] = {"value": 2, "children": []}
    assert parse_as(Tree, {"value": 1, "children": [leaf]}) == Tree(1, [Tree(2, [])])
    assert parse_as(Either, {"value": "x", "choice": {"text": "t", "minutes": 1}}) == Either(
        "x", Step("t", 1)
    )


def test_parse_as_is_strict_and_says_where() -> None:
    bad = {
        "title": 3,
        "ingredients": [{"name": "leek", "amount": "2", "unit": "kg"}],
        "steps": [{"text": "Boil", "minutes": True}],
        "difficulty": "medium",
        "vegetarian": "yes",
        "level": 1,
        "extra": 0,
    }
    with pytest.raises(StructuredOutputError) as caught:
        parse_as(Recipe, bad)
    error = caught.value
    assert isinstance(error, RilletError)
    assert isinstance(error, ValueError)
    assert error.problems == [
        "expected a string, got a number (3) @ $.title",
        "expected a number, got a string ('2') @ $.ingredients[0].amount",
        "expected one of ['g', 'l'], got a string ('kg') @ $.ingredients[0].unit",
        "a boolean is none of int | None @ $.steps[0].minutes",
        "expected one of ['easy', 'hard'], got a string ('medium') @ $.difficulty",
        "expected a boolean, got a string ('yes') @ $.vegetarian",
        "extra fields found (extra) @ $",
    ]
    assert str(error).startswith("not a valid Recipe: expected a string")


def test_parse_as_missing_field() -> None:
    with pytest.raises(StructuredOutputError) as caught:
        parse_as(Step, {"text": "x"})
    assert caught.value.problems == ["required field missing @ $.minutes"]
    with pytest.raises(StructuredOutputError) as caught:
        parse_as(Step, [1])
    assert (
        caught.value.problems == ["expected an object, got an array @ $"] or caught.value.problems
    )


def test_parse_as_typeddict_checks_and_returns_a_dict() -> None:
    assert parse_as(Movie, {"title": "Up", "year": 2009, "tags": None}) == {
        "title": "Up",
        "year": 2009,
    }
    assert parse_as(Movie, {"title": "Up", "year": 2009, "tags": ["a"]}) == {
        "title": "Up",
        "year": 2009,
        "tags": ["a"],
    }
    with pytest.raises(StructuredOutputError) as caught:
        parse_as(Movie, {"title": "Up", "year": 2009.5, "genre": "x"})
    assert sorted(caught.value.problems) == [
        "expected an integer, got a number (2009.5) @ $.year",
        "is not a field @ $.genre",
    ]
    with pytest.raises(StructuredOutputError) as caught:
        parse_as(Movie, {"year": 1})
    assert caught.value.problems == ["required field missing @ $.title"]


def test_parse_as_pydantic() -> None:
    film = parse_as(Film, {"title": "Up", "year": 2009, "rating": None, "director": {"name": "D"}})
    assert film == Film(title="Up", year=2009, director=Person(name="D"))
    with pytest.raises(StructuredOutputError, match="not a valid Film"):
        parse_as(Film, {"title": "Up"})


def test_parse_as_plain_types() -> None:
    assert parse_as(list[int], [1, 2]) == [1, 2]
    assert parse_as(float, 1) == 1.0
    with pytest.raises(StructuredOutputError) as caught:
        parse_as(list[int], [1, "2", 3.5])
    assert caught.value.problems == [
        "expected an integer, got a string ('2') @ $[1]",
        "expected an integer, got a number (3.5) @ $[2]",
    ]


# -- round trip: values of a class -> JSON -> parse_as gives them back ---------------------------

texts = st.text(max_size=10)
ints = st.integers(-(2**53), 2**53)
floats = st.floats(allow_nan=False, allow_infinity=False)
steps = st.builds(Step, text=texts, minutes=st.none() | ints)
ingredients = st.builds(Ingredient, name=texts, amount=floats, unit=st.sampled_from(Unit))
recipes = st.builds(
    Recipe,
    title=texts,
    ingredients=st.lists(ingredients, max_size=3),
    steps=st.lists(steps, max_size=3),
    difficulty=st.sampled_from(["easy", "hard"]),
    vegetarian=st.booleans(),
    level=st.sampled_from(Level),
)
trees = st.recursive(
    st.builds(Tree, value=ints, children=st.just([])),
    lambda children: st.builds(Tree, value=ints, children=st.lists(children, max_size=3)),
    max_leaves=10,
)
points = st.builds(Point, x=floats, y=floats, label=st.none() | texts)
movies = st.fixed_dictionaries(
    {"title": texts, "year": ints}, optional={"tags": st.lists(texts, max_size=3)}
)


def _to_json(value: object) -> object:
    if isinstance(value, enum.Enum):
        return value.value
    if attrs.has(type(value)):
        names = [a.name for a in attrs.fields(cast("Any", type(value)))]
        return {name: _to_json(getattr(value, name)) for name in names}
    if dataclasses.is_dataclass(value):
        return {f.name: _to_json(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, list):
        return [_to_json(item) for item in cast("list[object]", value)]
    if isinstance(value, dict):
        return {key: _to_json(item) for key, item in cast("dict[str, object]", value).items()}
    return value


@given(st.one_of(recipes, trees, points, movies.map(lambda movie: (Movie, movie))))
def test_round_trip(case: object) -> None:
    tp, value = cast(
        "tuple[type[Any], object]", case if isinstance(case, tuple) else (type(case), case)
    )
    text = json.dumps(_to_json(value))
    assert parse_as(tp, json.loads(text)) == value
