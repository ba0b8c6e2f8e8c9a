"""The tool registry: functions the model may call, their schemas, their arguments parsed.

A tool is a plain function, sync or async, whose parameters are annotated: the JSON schema the
API gets is derived from the signature, and the model's JSON arguments are parsed back into
those types before the call, so the function sees what its annotations say (or the model gets
an error that names the argument that is wrong, and why).
"""

from __future__ import annotations

import dataclasses
import enum
import functools
import inspect
import json
from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import Any, TypeVar, cast, get_type_hints, overload

import anyio
import anyio.to_thread
import attrs

from rillet._errors import RilletError, StructuredOutputError
from rillet._schema import json_schema, parse_as
from rillet.params import ChatCompletionToolParam, FunctionToolParam

__all__ = ["Tool", "ToolArgumentsError", "Tools"]

F = TypeVar("F", bound=Callable[..., Any])


class ToolArgumentsError(RilletError):
    """The model's call cannot be made.

    There is no such tool, or the arguments are not JSON, or do not fit its parameters.

    Attributes:
        tool: The name the model called.
        arguments: The arguments as the model sent them (a JSON string).
        argument: Where the problem is (``"city"``, ``"stops[2].name"``; ``None``: the whole).
        reason: What is wrong there.
    """

    def __init__(self, tool: str, arguments: str, argument: str | None, reason: str) -> None:
        self.tool = tool
        self.arguments = arguments
        self.argument = argument
        self.reason = reason
        where = f" argument {argument!r}" if argument else ""
        super().__init__(f"tool {tool!r}{where}: {reason}")


@attrs.frozen
class Tool:
    """One registered function.

    Attributes:
        name: The name the model calls it by.
        description: What it does, for the model.
        function: The function (sync or async).
        parameters: The strict JSON schema of its parameters (an object).
        is_async: Whether ``function`` is a coroutine function.
    """

    name: str
    description: str
    function: Callable[..., Any]
    parameters: dict[str, Any]
    is_async: bool
    _arguments: type[Any] = attrs.field(repr=False, alias="arguments")
    _defaults: frozenset[str] = attrs.field(repr=False, alias="defaults")

    def parse(self, arguments: str) -> dict[str, Any]:
        """The model's JSON ``arguments`` as the function's keyword arguments, typed.

        Raises:
            ToolArgumentsError: They are not JSON, or do not fit the parameters.
        """
        try:
            decoded: object = json.loads(arguments or "{}")
        except ValueError as error:
            reason = f"the arguments are not valid JSON ({error})"
            raise ToolArgumentsError(self.name, arguments, None, reason) from None
        if not isinstance(decoded, dict):
            reason = f"the arguments are not a JSON object but {type(decoded).__name__}"
            raise ToolArgumentsError(self.name, arguments, None, reason)
        try:
            parsed = parse_as(self._arguments, cast("dict[str, object]", decoded))
        except StructuredOutputError as error:
            reason, _, where = error.problems[0].rpartition(" @ ")
            argument = where.removeprefix("$").removeprefix(".") or None
            if not reason:  # (no path)
                reason, argument = error.problems[0], None
            raise ToolArgumentsError(self.name, arguments, argument, reason) from None
        return {
            field.name: value
            for field in dataclasses.fields(parsed)
            if (value := getattr(parsed, field.name)) is not None
            or field.name not in self._defaults
        }

    async def call(self, arguments: str) -> str:
        """Parse ``arguments`` and call the function; its result as text.

        A sync function runs in a worker thread; see :meth:`Tools.call` for the text.
        """
        kwargs = self.parse(arguments)
        if self.is_async:
            result = await self.function(**kwargs)
        else:
            result = await anyio.to_thread.run_sync(lambda: self.function(**kwargs))
        return output_text(result)

    def call_sync(self, arguments: str) -> str:
        """:meth:`call` for blocking code, in the calling thread.

        A sync function is called here; an async one runs to its end in a new event loop
        (``anyio.run``, on asyncio) in this thread.
        """
        kwargs = self.parse(arguments)
        if self.is_async:
            result = anyio.run(functools.partial(self.function, **kwargs))
        else:
            result = self.function(**kwargs)
        return output_text(result)


def output_text(result: object) -> str:
    """A tool's result as the model gets it: a string as it is, anything else as JSON."""
    if isinstance(result, str):
        return result
    return json.dumps(_jsonable(result), ensure_ascii=False, separators=(",", ":"))


def _jsonable(value: object) -> object:  # noqa: PLR0911 - one return per kind of value
    if attrs.has(type(value)):
        return _jsonable(attrs.asdict(cast("attrs.AttrsInstance", value), recurse=False))
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: _jsonable(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, enum.Enum):
        return _jsonable(value.value)
    if isinstance(value, Mapping):
        items = cast("Mapping[object, object]", value).items()
        return {str(k): _jsonable(v) for k, v in items}
    if isinstance(value, (list, tuple, set, frozenset)):
        return [_jsonable(v) for v in cast("Iterable[object]", value)]
    to_dict = getattr(value, "to_dict", None)  # rillet's models, and other libraries' own
    if callable(to_dict):
        return to_dict()
    return value


class Tools:
    """A registry of functions the model may call.

    Example:
        >>> tools = Tools()
        >>> @tools.register
        ... def get_weather(city: str, unit: Literal["C", "F"] = "C") -> str:
        ...     '''The weather in a city now.'''
        ...     return f"20 {unit} in {city}"

    Each function's name is the tool's name; the first paragraph of its docstring, the
    description; its parameters (each annotated), the JSON schema, in the API's strict form:
    every parameter is required, and one with a default may be ``null`` (then the default
    applies). Parameters may be ``str``, ``int``, ``float``, ``bool``, ``list[...]``,
    ``Literal[...]``, enums, ``X | None``, and attrs classes, dataclasses or TypedDicts of them.
    """

    def __init__(self, *functions: Callable[..., Any]) -> None:
        self._tools: dict[str, Tool] = {}
        for function in functions:
            self.register(function)

    @overload
    def register(self, function: F, /) -> F: ...

    @overload
    def register(
        self, function: None = None, /, *, name: str | None = None, description: str | None = None
    ) -> Callable[[F], F]: ...

    def register(
        self,
        function: F | None = None,
        /,
        *,
        name: str | None = None,
        description: str | None = None,
    ) -> F | Callable[[F], F]:
        """Register a function (a decorator, with or without ``name=``/``description=``).

        The function is returned unchanged.

        Raises:
            TypeError: A parameter has no annotation, or a type that has no JSON schema, or
                takes ``*args``/``**kwargs``, or is positional-only.
            ValueError: A tool of that name is already registered.
        """

        def add(function: F) -> F:
            tool = _describe(function, name, description)
            if tool.name in self._tools:
                msg = f"a tool named {tool.name!r} is already registered"
                raise ValueError(msg)
            self._tools[tool.name] = tool
            return function

        return add if function is None else add(function)

    def __getitem__(self, name: str) -> Tool:
        return self._tools[name]

    def __contains__(self, name: object) -> bool:
        return name in self._tools

    def __iter__(self) -> Iterator[Tool]:
        return iter(self._tools.values())

    def __len__(self) -> int:
        return len(self._tools)

    def to_params(self) -> list[FunctionToolParam]:
        """The ``tools`` of a Responses request: one strict function tool per function."""
        return [
            {
                "type": "function",
                "name": tool.name,
                "description": tool.description,
                "parameters": tool.parameters,
                "strict": True,
            }
            for tool in self
        ]

    def to_chat_params(self) -> list[ChatCompletionToolParam]:
        """The ``tools`` of a Chat Completions request."""
        return [
            {
                "type": "function",
                "function": {
                    "name": tool.name,
                    "description": tool.description,
                    "parameters": tool.parameters,
                    "strict": True,
                },
            }
            for tool in self
        ]

    def parse(self, name: str, arguments: str) -> dict[str, Any]:
        """The keyword arguments of a call of tool ``name`` with JSON ``arguments``, typed.

        Raises:
            ToolArgumentsError: There is no tool ``name``, or the arguments are not JSON or do
                not fit its parameters (the error names the argument, and why).
        """
        return self._find(name, arguments).parse(arguments)

    async def call(self, name: str, arguments: str) -> str:
        """Call tool ``name`` with the model's JSON ``arguments``; its result as text.

        A sync function runs in a worker thread. A string result is returned as it is; any
        other is encoded as JSON (attrs classes, dataclasses, enums and rillet's models too).

        Raises:
            ToolArgumentsError: As :meth:`parse`.
            Exception: Whatever the function raises.
        """
        return await self._find(name, arguments).call(arguments)

    def call_sync(self, name: str, arguments: str) -> str:
        """:meth:`call` for blocking code: the function runs in the calling thread.

        An async function runs to its end in a new event loop (``anyio.run``, on asyncio) in
        this thread.

        Raises:
            ToolArgumentsError: As :meth:`parse`.
            Exception: Whatever the function raises.
        """
        return self._find(name, arguments).call_sync(arguments)

    def _find(self, name: str, arguments: str) -> Tool:
        tool = self._tools.get(name)
        if tool is None:
            known = ", ".join(map(repr, self._tools)) or "none"
            reason = f"there is no such tool (the tools are: {known})"
            raise ToolArgumentsError(name, arguments, None, reason)
        return tool


def _describe(function: Callable[..., Any], name: str | None, description: str | None) -> Tool:
    label = name or getattr(function, "__name__", None)
    if not label:
        msg = f"{function!r} has no __name__: give the tool a name="
        raise TypeError(msg)
    try:
        hints = get_type_hints(function, include_extras=True)
    except NameError as error:
        msg = f"tool {label!r}: cannot resolve its annotations ({error})"
        raise TypeError(msg) from error
    fields: list[tuple[str, object, Any]] = []
    defaults: set[str] = set()
    for parameter in inspect.signature(function).parameters.values():
        if parameter.kind not in (parameter.POSITIONAL_OR_KEYWORD, parameter.KEYWORD_ONLY):
            msg = f"tool {label!r}: parameter {parameter.name!r} must be one that can be named"
            raise TypeError(msg)
        if parameter.name not in hints:
            msg = f"tool {label!r}: parameter {parameter.name!r} has no annotation"
            raise TypeError(msg)
        hint = hints[parameter.name]
        if parameter.default is parameter.empty:
            fields.append((parameter.name, hint, dataclasses.field()))
        else:  # may be null: then the function's default applies
            fields.append((parameter.name, hint | None, dataclasses.field(default=None)))
            defaults.add(parameter.name)
    arguments = dataclasses.make_dataclass(f"{label}_arguments", fields)
    try:
        schema = json_schema(arguments)
    except TypeError as error:
        where = str(error).replace(f"{arguments.__name__}.", "parameter ", 1)
        msg = f"tool {label!r}: {where}"
        raise TypeError(msg) from error
    schema.pop("description", None)
    schema.pop("title", None)
    if description is None:
        doc = inspect.getdoc(function) or ""
        description = " ".join(doc.split("\n\n", 1)[0].split())
    return Tool(
        name=label,
        description=description,
        function=function,
        parameters=schema,
        is_async=inspect.iscoroutinefunction(function),
        arguments=arguments,
        defaults=frozenset(defaults),
    )
