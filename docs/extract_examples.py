"""Write the Python examples of README.md and docs/*.md as modules, for the type checkers.

    python docs/extract_examples.py OUT_DIR

``nox -s typecheck`` runs it, then mypy and pyright, strict, on ``OUT_DIR``: an example must
type-check as the user who copies it would want (annotated handlers, ``None`` checked). The
blocks are found as ``tests/test_docs.py`` finds the ones it runs (```` ```python ```` fences),
and named as it names them (``README.md#1``). Each module keeps its block's line numbers (blank
lines before it), so a checker's ``readme_1.py:37`` is line 37 of README.md.
"""

from __future__ import annotations

import re
import shutil
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# docs/_*.md: fragments of pages to come, not pages yet.
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("[!_]*.md"))]
BLOCK = re.compile(r"^```python\n(.*?)^```", re.MULTILINE | re.DOTALL)  # as in test_docs.py


def examples() -> list[tuple[str, int, str]]:
    """(id, line of the block's first line of code, code) of every Python block."""
    found: list[tuple[str, int, str]] = []
    for page in PAGES:
        text = page.read_text(encoding="utf-8")
        for number, match in enumerate(BLOCK.finditer(text), 1):
            line = text.count("\n", 0, match.start(1)) + 1
            found.append((f"{page.relative_to(ROOT).as_posix()}#{number}", line, match.group(1)))
    return found


def module_name(where: str) -> str:
    """``docs/getting-started.md#2`` -> ``getting_started_2``."""
    page, number = where.split("#")
    return f"{Path(page).stem.lower().replace('-', '_')}_{number}"


def extract(out: Path) -> None:
    """Write each example to ``out``, as a module."""
    shutil.rmtree(out, ignore_errors=True)
    out.mkdir(parents=True)
    found = examples()
    for where, line, code in found:
        header = f"# {where}, written by docs/extract_examples.py"
        (out / f"{module_name(where)}.py").write_text(
            header + "\n" * (line - 1) + code, encoding="utf-8"
        )
    print(f"{len(found)} examples in {out}")


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    extract(Path(sys.argv[1]))
