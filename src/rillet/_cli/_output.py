"""Terminal output: styled when a person is watching, plain when piped (or ``NO_COLOR``)."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterable
from typing import Final, TextIO

_STYLES: Final = {"bold": "1", "dim": "2", "red": "31", "green": "32", "yellow": "33", "cyan": "36"}


class Output:
    """Where the CLI writes: ``out`` for results, ``err`` for notes and errors."""

    def __init__(self, out: TextIO | None = None, err: TextIO | None = None) -> None:
        self.out = out or sys.stdout
        self.err = err or sys.stderr
        self.styled = _is_terminal(self.out) and not os.environ.get("NO_COLOR")
        self.at_line_start = True
        self.thought = False  # the last text shown was thinking

    def style(self, text: str, *names: str) -> str:
        """``text`` in the named styles, when styling is on."""
        if not self.styled or not names or not text:
            return text
        codes = ";".join(_STYLES[name] for name in names)
        return f"\x1b[{codes}m{text}\x1b[0m"

    def write(self, text: str, *styles: str) -> None:
        """Write ``text`` as it comes (live output), flushed."""
        if text:
            self.out.write(self.style(text, *styles))
            self.out.flush()
            self.at_line_start = text.endswith("\n")

    def line(self, text: str = "", *styles: str) -> None:
        """Write a whole line, after ending the current one."""
        self.end_line()
        self.write(self.style(text, *styles) + "\n")

    def end_line(self) -> None:
        if not self.at_line_start:
            self.write("\n")

    def note(self, text: str) -> None:
        """A note for the person at the terminal, on stderr (so piped output stays clean)."""
        styled = _is_terminal(self.err) and not os.environ.get("NO_COLOR")
        self.err.write((f"\x1b[2m{text}\x1b[0m" if styled else text) + "\n")
        self.err.flush()

    def table(self, rows: Iterable[tuple[str, ...]], *, indent: int = 2) -> None:
        """Rows in aligned columns (the last column is left as is)."""
        rows = list(rows)
        if not rows:
            return
        widths = [max(len(row[i]) for row in rows if len(row) > i) for i in range(len(rows[0]))]
        for row in rows:
            cells = [cell.ljust(widths[i]) for i, cell in enumerate(row[:-1])]
            self.line(" " * indent + "  ".join([*cells, row[-1]]).rstrip())


def _is_terminal(stream: TextIO) -> bool:
    isatty = getattr(stream, "isatty", None)
    return bool(isatty and isatty())
