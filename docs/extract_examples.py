"""Write the Python examples of README.md and docs/*.md as modules, for the type checkers.

    python docs/extract_examples.py OUT_DIR            # write the modules
    python docs/extract_examples.py --recheck OUT_DIR  # after: are the known failures still so?

``nox -s typecheck`` runs the first, then mypy and pyright, strict, on ``OUT_DIR/checked``: an
example must type-check as the user who copies it would want (annotated handlers, ``None``
checked). The blocks are found as ``tests/test_docs.py`` finds the ones it runs (```` ```python ````
fences), and named as it names them (``README.md#1``). Each module keeps its block's line
numbers (blank lines before it), so a checker's ``readme_1.py:37`` is line 37 of README.md.

An example that fails only because of rillet's own typing is listed in ``KNOWN_FAILING`` with
the reason, and written to ``OUT_DIR/known_failing`` instead, which ``--recheck`` checks apart:
it fails once such an example passes both checkers, so that its entry is removed.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
BLOCK = re.compile(r"^```python\n(.*?)^```", re.MULTILINE | re.DOTALL)  # as in test_docs.py

# ---------------------------------------------------------------------------------------------
# KNOWN FAILING: examples that fail a type checker because of rillet's typing, not their own.
# Remove an entry once its cause is fixed (``--recheck`` fails while an entry is stale).
KNOWN_FAILING: dict[str, str] = {
    "docs/streaming.md#4": (
        "`event.type == ...` does not narrow an event of a blocking stream's iteration (typed "
        "Event) to its class, so `event.delta` is an error"
    ),
}
# ---------------------------------------------------------------------------------------------


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
    """Write each example to ``out/checked`` or ``out/known_failing``, as a module."""
    found = examples()
    unknown = set(KNOWN_FAILING) - {where for where, _, _ in found}
    if unknown:
        sys.exit(f"KNOWN_FAILING names examples that do not exist: {sorted(unknown)}")
    for folder in ("checked", "known_failing"):
        shutil.rmtree(out / folder, ignore_errors=True)
        (out / folder).mkdir(parents=True)
    for where, line, code in found:
        folder = "known_failing" if where in KNOWN_FAILING else "checked"
        header = f"# {where}, written by docs/extract_examples.py"
        (out / folder / f"{module_name(where)}.py").write_text(
            header + "\n" * (line - 1) + code, encoding="utf-8"
        )
    print(f"{len(found)} examples, {len(KNOWN_FAILING)} of them known to fail, in {out}")


def _mypy_failures(folder: Path) -> set[str]:
    """The modules of ``folder`` that mypy (the project's configuration) rejects."""
    files = sorted(str(path) for path in folder.glob("*.py"))
    result = subprocess.run(  # noqa: S603 - our own interpreter, our own files
        [sys.executable, "-m", "mypy", "--no-error-summary", *files],
        capture_output=True,
        text=True,
        check=False,
        cwd=ROOT,
    )
    return {
        Path(line.split(":", 1)[0]).stem
        for line in result.stdout.splitlines()
        if ": error:" in line
    }


def _pyright_failures(folder: Path) -> set[str]:
    """The modules of ``folder`` that pyright (the project's configuration) rejects."""
    files = sorted(str(path) for path in folder.glob("*.py"))
    pyright = shutil.which("pyright") or "pyright"
    result = subprocess.run(  # noqa: S603 - the checker of this environment, our own files
        [pyright, "--outputjson", *files], capture_output=True, text=True, check=False, cwd=ROOT
    )
    report = json.loads(result.stdout)
    if report["summary"]["filesAnalyzed"] != len(files):  # pyright skips some folders (.nox)
        sys.exit(f"pyright analyzed {report['summary']['filesAnalyzed']} of {len(files)} files")
    return {
        Path(found["file"]).stem
        for found in report["generalDiagnostics"]
        if found["severity"] == "error"
    }


def recheck(out: Path) -> int:
    """Check the known failures apart: print why each fails, and fail on one that passes."""
    folder = out / "known_failing"
    if not KNOWN_FAILING:
        print("no example is known to fail")
        return 0
    mypy, pyright = _mypy_failures(folder), _pyright_failures(folder)
    stale: list[str] = []
    for where, reason in sorted(KNOWN_FAILING.items()):
        name = module_name(where)
        checkers = [c for c, failed in (("mypy", mypy), ("pyright", pyright)) if name in failed]
        print(f"{where}: fails {' and '.join(checkers) or 'no checker'} ({reason})")
        if not checkers:
            stale.append(where)
    if stale:
        print(f"these examples now pass: remove them from KNOWN_FAILING: {stale}")
        return 1
    return 0


def main(argv: list[str]) -> int:
    if len(argv) == 1:
        extract(Path(argv[0]))
        return 0
    if len(argv) == 2 and argv[0] == "--recheck":
        return recheck(Path(argv[1]))
    print(__doc__)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
