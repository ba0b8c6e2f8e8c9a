"""Partial JSON values of growing texts: structured output and tool arguments as they stream.

Lazy: a text is parsed only when its partial value is read, and then only the part that arrived
since the last read. A stream whose partial values nobody reads pays nothing per event.
"""

from __future__ import annotations

from collections.abc import Hashable
from typing import TYPE_CHECKING, Any, Generic, TypeVar

from rillet._accumulate._text import TextBuffer

if TYPE_CHECKING:
    from rillet._partial_json import PartialJSON

__all__ = ["PartialValues"]

K = TypeVar("K", bound=Hashable)


class PartialValues(Generic[K]):
    """The partial JSON values of texts that only grow (an accumulator's), by key."""

    __slots__ = ("_parsers",)

    def __init__(self) -> None:
        # With the length fed, not the text: holding the text would stop it growing in place.
        self._parsers: dict[K, tuple[PartialJSON, int]] = {}

    def read(self, key: K, text: TextBuffer) -> Any:  # noqa: ANN401 - JSON
        """The partial value of ``text`` (``None`` while it is empty), fed what is new.

        Raises:
            PartialJSONError: The text is not (the start of) a JSON document.
        """
        if not len(text):
            return None
        parser, fed = self._parsers.get(key) or (_parser(), 0)
        if len(text) > fed:
            parser.feed(text.value()[fed:])
            self._parsers[key] = parser, len(text)
        return parser.value


def _parser() -> PartialJSON:
    # Imported when first needed: import rillet does not compile the parser's patterns.
    from rillet._partial_json import PartialJSON  # noqa: PLC0415

    return PartialJSON()
