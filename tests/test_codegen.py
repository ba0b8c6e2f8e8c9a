"""The committed generated modules are what the generators write: ``rillet.params`` from the
committed description, the event unions and ``on()`` overloads from the event registry.

The generator (``src/rillet/_codegen``) is not in the wheel the tests run against: it is run
from the checkout, in a subprocess with ``PYTHONPATH=<checkout>/src``.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("yaml")  # the tests dependency group has PyYAML; say so where it is missing

SRC = Path(__file__).parents[1] / "src"
GENERATOR = SRC / "rillet" / "_codegen"
PARAMS = SRC / "rillet" / "params"
HAND_WRITTEN = {"_create.py"}

pytestmark = pytest.mark.skipif(not GENERATOR.is_dir(), reason="not run from a checkout")


def generate(out: Path) -> None:
    env = {**os.environ, "PYTHONPATH": str(SRC)}
    done = subprocess.run(  # noqa: S603 - our own interpreter and generator
        [sys.executable, "-m", "rillet._codegen", "--root", str(out)],
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    assert done.returncode == 0, done.stderr


def test_the_committed_modules_are_what_the_generators_write(tmp_path: Path) -> None:
    generate(tmp_path)
    written = {
        path.relative_to(tmp_path).as_posix(): path.read_text(encoding="utf-8")
        for path in tmp_path.rglob("*.py")
    }
    committed = {
        path.relative_to(SRC).as_posix(): path.read_text(encoding="utf-8")
        for path in PARAMS.glob("*.py")
        if path.name not in HAND_WRITTEN
    }
    committed.update(
        (name, (SRC / name).read_text(encoding="utf-8"))
        for name in ("rillet/events/_unions.py", "rillet/_routing.py")
    )
    assert sorted(written) == sorted(committed), "regenerate: nox -s generate"
    stale = [name for name, text in written.items() if committed[name] != text]
    assert stale == [], f"{stale} differ from the generators': run nox -s generate"
