"""Every Python example in the README and the docs runs, so no page shows code that fails."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from conftest import Served

ROOT = Path(__file__).parent.parent
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
BLOCK = re.compile(r"^```python\n(.*?)^```", re.MULTILINE | re.DOTALL)


def examples() -> list[tuple[str, str]]:
    found = []
    for page in PAGES:
        for number, match in enumerate(BLOCK.finditer(page.read_text(encoding="utf-8")), 1):
            found.append((f"{page.relative_to(ROOT)}#{number}", match.group(1)))
    return found


EXAMPLES = examples()


def test_the_docs_have_examples() -> None:
    assert len(EXAMPLES) >= 4


@pytest.mark.parametrize(("where", "code"), EXAMPLES, ids=[where for where, _ in EXAMPLES])
def test_example_runs(
    where: str,
    code: str,
    served: Served,
    monkeypatch: pytest.MonkeyPatch,
    request: pytest.FixtureRequest,
) -> None:
    # Examples that talk to "the API" talk to the emulator, over loopback.
    monkeypatch.setenv("OPENAI_BASE_URL", served.url)
    monkeypatch.setenv("OPENAI_API_KEY", "sk-docs")
    if "RedisBackend" in code:  # and those of the Redis backend to a redis-server of the tests'
        monkeypatch.setenv("RILLET_REDIS_URL", request.getfixturevalue("redis_url"))
    # dont_inherit: the example runs as the user would, without this file's `from __future__`.
    exec(compile(code, where, "exec", dont_inherit=True), {"__name__": "__docs__"})  # noqa: S102


@pytest.mark.parametrize(
    "module", ["rillet._partial_json", "rillet._sse", "rillet.gemini._decoder"]
)
def test_docstring_examples_run(module: str) -> None:
    import doctest  # noqa: PLC0415
    import importlib  # noqa: PLC0415

    result = doctest.testmod(importlib.import_module(module), optionflags=doctest.ELLIPSIS)
    assert result.attempted > 0
    assert result.failed == 0
