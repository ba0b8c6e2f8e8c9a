"""Structured output: a format class in the request, the parsed value in the result (sans-IO).

The request side writes the API's ``json_schema`` format of a class (``text.format`` for the
Responses API, ``response_format`` for chat). The result side parses the final text with
:func:`rillet._schema.parse_as` and returns the result's ``Parsed...`` twin. What cannot be
parsed because there is nothing whole to parse (a refusal, an incomplete response, a choice cut
short) gives ``None``; text that is there but is not a value of the format raises
:class:`~rillet.StructuredOutputError`, which carries the whole result.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any, Final, TypeVar, cast

from rillet._errors import StructuredOutputError
from rillet._schema import json_schema, parse_as, schema_name
from rillet.events import ChatCompletion, MessageItem, OutputTextContent, Response
from rillet.events._parsed import (
    ParsedChatCompletion,
    ParsedChatCompletionMessage,
    ParsedChoice,
    ParsedResponse,
    with_fields,
)

__all__ = [
    "chat_response_format",
    "is_format",
    "parse_chat_completion",
    "parse_response",
    "parse_result",
    "response_text_param",
]

T = TypeVar("T")

# Finish reasons that mean the content was cut short: no whole value to parse.
_CUT_SHORT: Final = frozenset({"length", "content_filter"})


def response_text_param(text_format: object, text: Mapping[str, Any] | None) -> dict[str, Any]:
    """The Responses API's ``text`` parameter for ``text_format``, with the caller's ``text``.

    Raises:
        TypeError: ``text`` has a ``format`` already (say it one way or the other).
    """
    text = dict(text or {})
    if "format" in text:
        msg = "give text_format= or text={'format': ...}, not both"
        raise TypeError(msg)
    text["format"] = {
        "type": "json_schema",
        "name": schema_name(text_format),
        "schema": _object_schema(text_format),
        "strict": True,
    }
    return text


def chat_response_format(response_format: object) -> object:
    """Chat's ``response_format``: a class becomes its ``json_schema`` format; a dict stays."""
    if isinstance(response_format, Mapping):
        return cast("Mapping[str, Any]", response_format)
    return {
        "type": "json_schema",
        "json_schema": {
            "name": schema_name(response_format),
            "schema": _object_schema(response_format),
            "strict": True,
        },
    }


def _object_schema(output_format: object) -> dict[str, Any]:
    """The format's schema, which the API takes only with an object at the top.

    Raises:
        TypeError: The format is not a class of fields (or its schema cannot be written).
    """
    schema = json_schema(output_format)
    if schema.get("type") != "object":
        msg = (
            f"a format must be a class with fields (attrs, dataclass, TypedDict, pydantic), "
            f"not {output_format!r}: the API takes an object at the top"
        )
        raise TypeError(msg)
    return schema


def is_format(response_format: object) -> bool:
    """Whether chat's ``response_format`` is a format class (not the API's dict)."""
    return response_format is not None and not isinstance(response_format, Mapping)


def parse_response(response: Response, text_format: type[T]) -> ParsedResponse[T]:
    """``response`` with its output text parsed as ``text_format``.

    Raises:
        StructuredOutputError: The text is not JSON, or not a ``text_format``.
    """
    text = _output_text(response)
    parsed = None
    # Only a completed response's text is whole (status None: an object built by hand).
    if text is not None and response.status in (None, "completed"):
        parsed = _parse(text_format, text, response)
    return cast("ParsedResponse[T]", with_fields(response, ParsedResponse, output_parsed=parsed))


def _output_text(response: Response) -> str | None:
    """The text of the last message with ``output_text`` parts, or ``None`` when none has.

    The last: a model that writes commentary before its answer writes the answer last.
    """
    for item in reversed(response.output):
        if isinstance(item, MessageItem):
            parts = [part.text for part in item.content if isinstance(part, OutputTextContent)]
            if parts:
                return "".join(parts)
    return None


def parse_chat_completion(
    completion: ChatCompletion, response_format: type[T]
) -> ParsedChatCompletion[T]:
    """``completion`` with each choice's message content parsed as ``response_format``.

    Raises:
        StructuredOutputError: A choice's content is not JSON, or not a ``response_format``.
    """
    choices: list[ParsedChoice[T]] = []
    for choice in completion.choices:
        message = choice.message
        parsed = None
        whole = choice.finish_reason not in _CUT_SHORT and not message.refusal
        if message.content is not None and whole:
            parsed = _parse(response_format, message.content, completion)
        parsed_message = cast(
            "ParsedChatCompletionMessage[T]",
            with_fields(message, ParsedChatCompletionMessage, parsed=parsed),
        )
        choices.append(
            cast("ParsedChoice[T]", with_fields(choice, ParsedChoice, message=parsed_message))
        )
    return cast(
        "ParsedChatCompletion[T]", with_fields(completion, ParsedChatCompletion, choices=choices)
    )


def parse_result(result: Response | ChatCompletion, output_format: type[Any]) -> Any:  # noqa: ANN401
    """:func:`parse_response` or :func:`parse_chat_completion`, as ``result`` is."""
    if isinstance(result, Response):
        return parse_response(result, output_format)
    return parse_chat_completion(result, output_format)


def _parse(tp: type[T], text: str, result: Response | ChatCompletion) -> T:
    try:
        value = json.loads(text)
    except ValueError as error:
        message = f"the output is not JSON: {error}"
        raise StructuredOutputError(message, text=text, response=result) from error
    try:
        return parse_as(tp, value)
    except StructuredOutputError as error:
        error.text, error.response = text, result
        raise
