"""The sans-IO core imports nothing that does I/O: no anyio, no httpx, no rillet IO module.

An AST scan of the source (not an import in this process, where other tests may already have
loaded anyio), following rillet's own imports transitively, so it keeps holding when
``rillet/__init__.py`` re-exports the client.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

SRC = Path(__file__).parent.parent / "src" / "rillet"
SANS_IO = [
    "rillet._accumulate",
    "rillet._accumulate._chat",
    "rillet._accumulate._responses",
    "rillet._accumulate._responses_neutral",
    "rillet._accumulate._partial",
    "rillet._accumulate._text",
    "rillet._attempts",
    "rillet._body",
    "rillet._deadlines",
    "rillet._errors",
    "rillet._json",
    "rillet._lazy",
    "rillet._machine",
    "rillet._partial_json",
    "rillet._policy",
    "rillet._protocols",
    "rillet._replay_log",
    "rillet._schema",
    "rillet._sse",
    "rillet._structured",
    "rillet.anthropic._accumulate",
    "rillet.anthropic._direct",
    "rillet.anthropic._events",
    "rillet.anthropic._message",
    "rillet.anthropic._protocol",
    "rillet.events",
    "rillet.events._chat",
    "rillet.events._direct",
    "rillet.events._literals",
    "rillet.events._model",
    "rillet.events._neutral",
    "rillet.events._neutral_views",
    "rillet.events._parsed",
    "rillet.events._parse",
    "rillet.events._pydantic",
    "rillet.events._registry",
    "rillet.events._response",
    "rillet.events._responses",
    "rillet.events._responses_rare",
    "rillet.events._unions",
    "rillet.gemini._accumulate",
    "rillet.gemini._decoder",
    "rillet.gemini._parse",
    "rillet.gemini._protocol",
    "rillet.gemini._types",
    "rillet.relay._channel",
    "rillet.relay._resp",
    "rillet.relay._select",
    "rillet.relay._sse_out",
    "rillet.relay._types",
    "rillet.testing._anthropic",  # the emulator's answers are decided without I/O
    "rillet.testing._faults",
    "rillet.testing._gemini",
    "rillet.testing._scenarios",
    "rillet.testing._schema",
]
# pydantic_core: imported only by the models' pydantic hooks, when pydantic (FastAPI) calls them.
ALLOWED_THIRD_PARTY = {"attrs", "cattrs", "orjson", "msgspec", "pydantic_core", "typing_extensions"}


def module_path(module: str) -> Path:
    relative = Path(*module.split(".")[1:])
    package = SRC / relative / "__init__.py"
    return package if package.exists() else SRC / relative.with_suffix(".py")


def imports_of(module: str) -> set[str]:
    tree = ast.parse(module_path(module).read_text(encoding="utf-8"))
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
    return found


def closure(module: str) -> set[str]:
    """``module`` and every rillet module it imports, transitively."""
    seen: set[str] = set()
    todo = [module]
    while todo:
        current = todo.pop()
        if current in seen:
            continue
        seen.add(current)
        todo += [m for m in imports_of(current) if m.startswith("rillet.")]
    return seen


@pytest.mark.parametrize("module", SANS_IO)
def test_sans_io_modules_import_only_the_stdlib_and_data_libraries(module: str) -> None:
    import sys  # noqa: PLC0415

    for rillet_module in closure(module):
        assert rillet_module in SANS_IO, f"{module} reaches {rillet_module}"
        for imported in imports_of(rillet_module):
            top = imported.split(".")[0]
            if top in {"rillet", "__future__"}:
                continue
            assert top in sys.stdlib_module_names or top in ALLOWED_THIRD_PARTY, (
                f"{rillet_module} imports {imported}"
            )


def test_the_scan_sees_imports() -> None:
    """Guard against a scan that passes because it finds nothing."""
    assert "attrs" in imports_of("rillet._sse")
    assert "rillet._errors" in closure("rillet.sse")
