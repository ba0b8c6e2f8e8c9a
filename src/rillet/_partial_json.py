"""An incremental JSON parser: text in as it arrives, the partial value out at any time.

Sans-IO and stdlib only. Why it is shaped this way:

* Work is proportional to the new text. The parser is a state machine over a stack of the
  containers being filled; what a delta cannot finish (a number, a literal, an escape split
  across deltas) waits in a tail of a few characters, prefixed to the next delta. Nothing is
  ever re-scanned, so a document fed as many deltas costs what it costs fed at once.
* Runs are scanned by the regex engine, not character by character in Python: whitespace,
  string bodies and numbers are one ``match`` each.
* The value is live: containers are built in place, and reading ``value`` only materialises
  the open string (its new pieces joined once, when read). Re-parsing the accumulated text, as
  other libraries do, makes reading after every delta quadratic in the document.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any, Final, cast

from rillet._errors import PartialJSONError

__all__ = ["PartialJSON"]

# States: what the parser expects next.
_VALUE: Final = 0  # a value (the document's, a member's after ':', an item after ',')
_ARRAY_FIRST: Final = 1  # a value or ']'
_AFTER: Final = 2  # ',' or the container's end
_OBJECT_FIRST: Final = 3  # a key or '}'
_KEY: Final = 4  # a key (after ',')
_COLON: Final = 5  # ':'
_DONE: Final = 6  # only whitespace
_STRING: Final = 7  # inside a string value
_KEY_STRING: Final = 8  # inside a key

# The patterns that can match nothing always match: typed so, to keep ``None`` checks out of
# the loop.
_Scan = Callable[[str, int], re.Match[str]]
_WS = cast("_Scan", re.compile(r"[ \t\n\r]*").match)
_STRING_RUN = cast("_Scan", re.compile(r'[^"\\\x00-\x1f]*').match)
_NUMBER = re.compile(r"-?(?:0|[1-9][0-9]*)(\.[0-9]+)?([eE][-+]?[0-9]+)?").match
# The longest start of ``text[pos:]`` that a number could still grow from.
_NUMBER_PREFIX = cast(
    "_Scan",
    re.compile(
        r"-?(?:(?:0|[1-9][0-9]*)(?:\.(?:[0-9]+(?:[eE][-+]?[0-9]*)?)?|[eE][-+]?[0-9]*)?)?"
    ).match,
)
_HEX4 = re.compile(r"[0-9a-fA-F]{4}").match
_HEX_RUN = cast("Callable[[str, int, int], re.Match[str]]", re.compile(r"[0-9a-fA-F]*").match)
_ESCAPES: Final = {
    '"': '"',
    "\\": "\\",
    "/": "/",
    "b": "\b",
    "f": "\f",
    "n": "\n",
    "r": "\r",
    "t": "\t",
}
_LITERALS: Final[dict[str, tuple[str, object]]] = {
    "t": ("true", True),
    "f": ("false", False),
    "n": ("null", None),
}
_EXPECTED: Final = {
    _VALUE: "expected a value",
    _ARRAY_FIRST: "expected a value or ']'",
    _OBJECT_FIRST: "expected a string key or '}'",
    _KEY: "expected a string key after ','",
    _COLON: "expected ':' after an object key",
    _DONE: "expected the end of the document after its value",
}
_EXCERPT_CHARS = 20


class PartialJSON:
    """An incremental JSON parser: ``feed()`` it text, read the partial ``value`` at any time.

    Each ``feed()`` does work proportional to its text; the parser keeps its state between
    deltas (an escape, a surrogate pair, a number or a literal split across deltas is finished
    when the rest arrives). The document is strict JSON (RFC 8259): no ``NaN`` or
    ``Infinity``. A malformed document raises :class:`~rillet.PartialJSONError` naming the
    offset of the first character that cannot continue a JSON document; the parser then keeps
    raising it.

    The partial value:

    * Objects and arrays hold what has arrived, in order. An object member appears once its
      value has started: a key alone (open, or closed and waiting for its value) is absent.
    * A string appears as soon as its opening quote is read, holding its decoded text so far
      (never half an escape or half a surrogate pair).
    * A number, ``true``, ``false`` or ``null`` appears only once whole. A number is whole once
      a character that cannot continue it arrives: one that ends the document is whole only
      at ``close()`` (``"12"`` may become ``"123"``).

    ``value`` is live, for speed: the same containers grow as text arrives (copy them with
    ``snapshot()`` to keep a state). It is ``None`` before the value starts, which is also what
    ``null`` gives: ``started`` and ``complete`` tell them apart.

    >>> parser = PartialJSON()
    >>> parser.feed('{"city": "Par')
    >>> parser.value
    {'city': 'Par'}
    >>> parser.feed('is", "temp": 2')
    >>> parser.value
    {'city': 'Paris'}
    >>> parser.feed("1}")
    >>> parser.value, parser.complete
    ({'city': 'Paris', 'temp': 21}, True)
    """

    __slots__ = (
        "_dirty",
        "_error",
        "_keys",
        "_offset",
        "_open_text",
        "_parts",
        "_root",
        "_slot",
        "_stack",
        "_state",
        "_tail",
    )

    def __init__(self) -> None:
        # The document's value sits in a one-item list, so that it is added like an item.
        self._root: list[Any] = []
        self._stack: list[list[Any] | dict[str, Any]] = [self._root]
        self._keys: list[str] = [""]  # the current key of each object on the stack
        self._state = _VALUE
        self._tail = ""  # text not yet consumed: the start of a token split across deltas
        self._offset = 0  # the document offset of the tail's (or the next delta's) start
        self._parts: list[str] = []  # the open string's (or key's) decoded pieces, not joined
        self._open_text = ""  # the open string's text as last joined
        self._slot: tuple[list[Any] | dict[str, Any], Any] = (self._root, -1)
        self._dirty = False  # the open string has pieces that its slot does not show
        self._error: PartialJSONError | None = None

    @property
    def value(self) -> Any:  # noqa: ANN401 - JSON: dict, list, str, int, float, bool or None
        """The value so far, live (later deltas grow it); ``None`` before it starts."""
        if self._dirty:
            self._flush()
        return self._root[0] if self._root else None

    @property
    def started(self) -> bool:
        """Whether the value has started (its first character has been read)."""
        return bool(self._root or self._tail)

    @property
    def complete(self) -> bool:
        """Whether a whole value has been read (only whitespace may follow)."""
        return self._state == _DONE

    def snapshot(self) -> Any:  # noqa: ANN401 - JSON
        """A copy of the value so far, which later deltas leave as it is."""
        return _copy(self.value)

    def feed(self, text: str) -> None:
        """Parse the next piece of the document.

        Raises:
            PartialJSONError: The document cannot be JSON: ``text`` (or an earlier piece)
                has a character that cannot continue it.
        """
        if self._error is not None:
            raise self._error
        if self._tail:
            text = self._tail + text
            self._tail = ""
        try:
            self._parse(text, final=False)
        except PartialJSONError as error:
            self._error = error
            raise

    def close(self) -> Any:  # noqa: ANN401 - JSON
        """Declare the document ended, finish a number at its very end, and return the value.

        Raises:
            PartialJSONError: The document is incomplete (or was malformed).
        """
        if self._error is not None:
            raise self._error
        if self._tail and self._state < _DONE:
            text, self._tail = self._tail, ""
            try:
                self._parse(text, final=True)
            except PartialJSONError as error:
                self._error = error
                raise
        if self._state != _DONE:
            if self._state >= _STRING:
                where = "in a string"
            elif self._state == _AFTER:
                where = "expected ',' or " + ("']'" if type(self._stack[-1]) is list else "'}'")
            else:
                where = _EXPECTED[self._state]
            self._error = self._fail(self._tail, len(self._tail), f"unexpected end ({where})")
            raise self._error
        return self.value

    def _flush(self) -> None:
        """Show the open string's new pieces in its slot."""
        self._open_text = text = self._open_text + "".join(self._parts)
        self._parts.clear()
        container, key = self._slot
        container[key] = text
        self._dirty = False

    def _fail(self, text: str, pos: int, reason: str) -> PartialJSONError:
        got = repr(text[pos]) if pos < len(text) else "the end"
        excerpt = text[max(0, pos - _EXCERPT_CHARS) : pos + _EXCERPT_CHARS]
        if pos == len(text):
            return PartialJSONError(offset=self._offset + pos, reason=reason, excerpt=excerpt)
        return PartialJSONError(
            offset=self._offset + pos, reason=f"{reason}, got {got}", excerpt=excerpt
        )

    def _parse(self, text: str, *, final: bool) -> None:  # noqa: C901, PLR0912, PLR0915
        # One loop over tokens, with the hot state in locals: a method call per token would
        # cost more than the parsing itself.
        n = len(text)
        pos = 0
        state = self._state
        stack = self._stack
        keys = self._keys
        top = stack[-1]
        while True:
            if state >= _STRING:
                pos = self._string(text, pos, key=state == _KEY_STRING)
                if pos < 0:
                    break
                if state == _KEY_STRING:
                    keys[-1] = "".join(self._parts)
                    self._parts.clear()
                    state = _COLON
                else:
                    state = _DONE if len(stack) == 1 else _AFTER
                continue
            pos = _WS(text, pos).end()
            if pos == n:
                break
            char = text[pos]
            if state == _AFTER:
                if char == ",":
                    state = _VALUE if type(top) is list else _KEY
                    pos += 1
                    continue
                if char == ("]" if type(top) is list else "}"):
                    stack.pop()
                    keys.pop()
                    top = stack[-1]
                    state = _DONE if len(stack) == 1 else _AFTER
                    pos += 1
                    continue
                if type(top) is list:
                    raise self._fail(text, pos, "expected ',' or ']' after an array item")
                raise self._fail(text, pos, "expected ',' or '}' after an object member")
            if state <= _ARRAY_FIRST:
                if char == '"':
                    if type(top) is list:
                        top.append("")
                        self._slot = (top, -1)
                    else:
                        top[keys[-1]] = ""  # type: ignore[call-overload]  # pyright: ignore[reportArgumentType, reportCallIssue]
                        self._slot = (top, keys[-1])
                    self._open_text = ""
                    state = _STRING
                    pos += 1
                    continue
                if char == "{" or char == "[":  # noqa: PLR1714 - faster than a set lookup
                    new: list[Any] | dict[str, Any] = {} if char == "{" else []
                    if type(top) is list:
                        top.append(new)
                    else:
                        top[keys[-1]] = new  # type: ignore[call-overload]  # pyright: ignore[reportArgumentType, reportCallIssue]
                    stack.append(new)
                    keys.append("")
                    top = new
                    state = _OBJECT_FIRST if char == "{" else _ARRAY_FIRST
                    pos += 1
                    continue
                if char == "]" and state == _ARRAY_FIRST:
                    stack.pop()
                    keys.pop()
                    top = stack[-1]
                    state = _DONE if len(stack) == 1 else _AFTER
                    pos += 1
                    continue
                scalar: object
                if char in "-0123456789":
                    end = _NUMBER_PREFIX(text, pos).end()
                    if end == n and not final:
                        self._tail = text[pos:]
                        break
                    number = _NUMBER(text, pos)
                    if number is None or number.end() != end:
                        raise self._fail(text, end, "expected a digit in the number")
                    scalar = self._number(text, pos, number)
                    pos = end
                elif char in _LITERALS:
                    word, scalar = _LITERALS[char]
                    size = len(word)
                    if not text.startswith(word, pos):
                        have = text[pos : pos + size]
                        if len(have) < size and word.startswith(have) and not final:
                            self._tail = have
                            break
                        bad = next((i for i, c in enumerate(have) if c != word[i]), len(have))
                        raise self._fail(text, pos + bad, f"expected {word!r}")
                    pos += size
                else:
                    raise self._fail(text, pos, _EXPECTED[state])
                if type(top) is list:
                    top.append(scalar)
                else:
                    top[keys[-1]] = scalar  # type: ignore[call-overload]  # pyright: ignore[reportArgumentType, reportCallIssue]
                state = _DONE if len(stack) == 1 else _AFTER
                continue
            if state == _COLON:
                if char != ":":
                    raise self._fail(text, pos, _EXPECTED[state])
                state = _VALUE
                pos += 1
                continue
            if char == '"' and state in (_OBJECT_FIRST, _KEY):
                state = _KEY_STRING
                pos += 1
                continue
            if char == "}" and state == _OBJECT_FIRST:
                stack.pop()
                keys.pop()
                top = stack[-1]
                state = _DONE if len(stack) == 1 else _AFTER
                pos += 1
                continue
            raise self._fail(text, pos, _EXPECTED[state])
        self._state = state
        self._offset += n - len(self._tail)

    def _number(self, text: str, pos: int, number: re.Match[str]) -> int | float:
        digits = number.group()
        try:
            return float(digits) if number.lastindex else int(digits)
        except ValueError as error:  # more digits than int() takes (sys.set_int_max_str_digits)
            raise self._fail(text, pos, f"number too long: {error}") from None

    def _string(self, text: str, pos: int, *, key: bool) -> int:
        """Read a string's body from ``pos``: the position after its closing quote, or -1."""
        parts = self._parts
        n = len(text)
        while True:
            end = _STRING_RUN(text, pos).end()
            if end > pos:
                parts.append(text[pos:end])
            if end == n:
                break
            char = text[end]
            if char == '"':
                if not key:
                    self._flush()
                    self._open_text = ""  # the value holds it; no need to keep it alive here
                return end + 1
            if char != "\\":
                raise self._fail(text, end, "control character in a string")
            escape = self._escape(text, end)
            if escape is None:
                self._tail = text[end:]
                break
            decoded, pos = escape
            parts.append(decoded)
        self._dirty = not key and bool(parts)
        return -1

    def _escape(self, text: str, pos: int) -> tuple[str, int] | None:  # noqa: PLR0911 - cases
        """The escape at ``pos`` decoded and the position after it, or ``None`` if cut short."""
        n = len(text)
        if pos + 1 == n:
            return None
        char = text[pos + 1]
        simple = _ESCAPES.get(char)
        if simple is not None:
            return simple, pos + 2
        if char != "u":
            raise self._fail(text, pos + 1, "invalid escape")
        code = self._hex4(text, pos + 2)
        if code is None:
            return None
        after = pos + 6
        if 0xD800 <= code <= 0xDBFF:
            # A high surrogate: with a low one after it, the pair is one character (as
            # json.loads reads it); wait until what follows says whether it is one.
            if text.startswith("\\u", after):
                low = self._hex4(text, after + 2, lenient=True)
                if low is None:
                    return None
                if 0xDC00 <= low <= 0xDFFF:
                    return chr(0x10000 + ((code - 0xD800) << 10) + (low - 0xDC00)), after + 6
            elif n - after < 2 and "\\u".startswith(text[after:]):
                return None
        return chr(code), after

    def _hex4(self, text: str, pos: int, *, lenient: bool = False) -> int | None:
        """The four hex digits at ``pos``; ``None`` if cut short (or invalid, if lenient)."""
        digits = _HEX4(text, pos)
        if digits is not None:
            return int(digits.group(), 16)
        end = _HEX_RUN(text, pos, pos + 4).end()
        if end == len(text) or lenient:
            # lenient: not a low surrogate, so the high one stands alone (an invalid escape
            # after it is reported when it is read as an escape of its own).
            return None if end == len(text) else -1
        raise self._fail(text, end, "expected 4 hex digits in a \\u escape")


def _copy(value: object) -> Any:  # noqa: ANN401 - JSON
    if type(value) is dict:
        return {key: _copy(item) for key, item in cast("dict[str, object]", value).items()}
    if type(value) is list:
        return [_copy(item) for item in cast("list[object]", value)]
    return value
