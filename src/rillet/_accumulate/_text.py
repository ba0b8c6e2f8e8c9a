"""A growing text: appends cost O(len(delta)), reads cost O(what was appended since the last).

Why not ``text += delta`` on a model, as the official SDK does: each ``+=`` copies the whole text
so far, which is quadratic over a long answer. Why not only a list of pieces: a million small
strings cost far more memory than the text they hold, and joining them on every read is
quadratic again for a handler that reads the snapshot after every delta.

So the pieces since the last read are kept in a short tail, and folded into the text when it is
read (or when the tail grows long). The fold extends the text with ``+=`` on a string that only
this buffer references: CPython then grows it in place, so reading after every delta stays
linear overall. (When someone else still holds the previous text, it is copied instead: correct,
only slower.)
"""

from __future__ import annotations

__all__ = ["TextBuffer"]

# Fold the tail after this many pieces even if nobody reads: memory stays O(bytes of text).
_TAIL_LIMIT = 64


class TextBuffer:
    """Text built from deltas; :meth:`value` gives all of it."""

    __slots__ = ("_length", "_tail", "_text")

    def __init__(self, initial: str = "") -> None:
        self._text = initial
        self._tail: list[str] = []
        self._length = len(initial)

    def __len__(self) -> int:
        return self._length

    def append(self, delta: str) -> None:
        """Add ``delta`` at the end."""
        self._tail.append(delta)
        self._length += len(delta)
        if len(self._tail) >= _TAIL_LIMIT:
            self._fold()

    def replace(self, text: str) -> None:
        """Make the text ``text``."""
        self._text = text
        self._tail.clear()
        self._length = len(text)

    def value(self) -> str:
        """The whole text so far."""
        if self._tail:
            self._fold()
        return self._text

    def _fold(self) -> None:
        text = self._text
        self._text = ""  # drop this buffer's reference, so that += can extend in place
        text += "".join(self._tail)
        self._tail.clear()
        self._text = text
