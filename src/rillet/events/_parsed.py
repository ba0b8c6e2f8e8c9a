"""Results whose output was parsed into a structured-output format (``text_format=``...).

Each is its API object with the parsed value beside it, typed by the format: a
:class:`ParsedResponse` is a :class:`Response`, a :class:`ParsedChatCompletion` a
:class:`ChatCompletion`. The parsed values are not on the wire: ``to_dict()`` gives the JSON
the server sent, as for the objects they extend.
"""

from __future__ import annotations

from typing import Any, ClassVar, Generic, TypeVar

import attrs

from rillet.events._chat import ChatCompletion, ChatCompletionMessage, CompletionChoice
from rillet.events._model import Model
from rillet.events._response import Response

__all__ = [
    "ParsedChatCompletion",
    "ParsedChatCompletionMessage",
    "ParsedChoice",
    "ParsedResponse",
    "with_fields",
]

T = TypeVar("T")
M = TypeVar("M", bound=Model)


@attrs.frozen(kw_only=True)
class ParsedResponse(Response, Generic[T]):
    """A :class:`Response` with its output text parsed into the requested format.

    ``output_parsed`` is ``None`` when there is nothing to parse: the model refused (its
    reason is the message's ``refusal`` part), the response is incomplete (its text is cut
    short: ``status`` and ``incomplete_details`` say why), or it wrote no message.
    """

    _synthetic_fields: ClassVar[tuple[str, ...]] = ("output_parsed",)

    output_parsed: T | None = None
    """The output text as a value of the format, or ``None`` (see above)."""


@attrs.frozen(kw_only=True)
class ParsedChatCompletionMessage(ChatCompletionMessage, Generic[T]):
    """A :class:`ChatCompletionMessage` with its content parsed into the requested format.

    ``parsed`` is ``None`` when the model refused (``refusal`` says why), when the choice was
    cut short (``finish_reason`` ``"length"`` or ``"content_filter"``), or when there is no
    content (tool calls only).
    """

    _synthetic_fields: ClassVar[tuple[str, ...]] = ("parsed",)

    parsed: T | None = None
    """The content as a value of the format, or ``None`` (see above)."""


@attrs.frozen(kw_only=True)
class ParsedChoice(CompletionChoice, Generic[T]):
    """A :class:`CompletionChoice` whose message is parsed."""

    message: ParsedChatCompletionMessage[T]


@attrs.frozen(kw_only=True)
class ParsedChatCompletion(ChatCompletion, Generic[T]):
    """A :class:`ChatCompletion` whose choices' messages are parsed (``message.parsed``)."""

    # list is invariant, so the checkers see a narrower list as another type; the models are
    # frozen, so nothing can put a plain choice in it.
    choices: list[ParsedChoice[T]] = attrs.Factory(list)  # type: ignore[assignment]  # pyright: ignore[reportIncompatibleVariableOverride, reportUnknownVariableType]


def with_fields(model: Model, cls: type[M], **fields: Any) -> M:  # noqa: ANN401 - any field
    """``model`` as an instance of its subclass ``cls``, with ``fields`` set.

    The new object keeps ``model``'s source, so its ``to_dict()`` is what the server sent.
    """
    built = object.__new__(cls)
    set_field = object.__setattr__  # the models are frozen
    for field in attrs.fields(type(model)):
        set_field(built, field.name, getattr(model, field.name))
    for name, value in fields.items():
        set_field(built, name, value)
    return built
