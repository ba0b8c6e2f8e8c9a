"""Developer tasks: ``nox`` runs lint, typecheck, tests and docs; ``nox -s bench`` benchmarks,
``nox -s plots`` draws their charts, ``nox -s generate`` writes the generated modules."""

from __future__ import annotations

import tempfile
from pathlib import Path

import nox

nox.options.sessions = ["lint", "typecheck", "tests", "docs"]
nox.options.error_on_missing_interpreters = True
nox.options.default_venv_backend = "venv"

PYPROJECT = nox.project.load_toml("pyproject.toml")


def install_groups(session: nox.Session, *groups: str) -> None:
    for group in groups:
        session.install(*nox.project.dependency_groups(PYPROJECT, group))


def install_wheel(session: nox.Session, extras: str = "") -> None:
    """Build rillet's wheel and install it: what users get, not the source tree."""
    wheels = Path(session.create_tmp()) / "wheels"
    for old in wheels.glob("*.whl"):
        old.unlink()
    session.run("python", "-m", "pip", "wheel", "--no-deps", "--quiet", "-w", str(wheels), ".")
    (wheel,) = wheels.glob("rillet-*.whl")
    session.install(f"rillet{extras} @ {wheel.resolve().as_uri()}")


@nox.session
def lint(session: nox.Session) -> None:
    """Ruff: lint and check formatting."""
    install_groups(session, "lint")
    session.run("ruff", "check", ".")
    session.run("ruff", "format", "--check", ".")


@nox.session
def typecheck(session: nox.Session) -> None:
    """Mypy and pyright, strict: the package, tests, benchmarks, and the docs' Python blocks."""
    install_groups(session, "typecheck", "peers")
    session.install("-e", ".")
    session.run("mypy")
    session.run("pyright")
    # Each Python block of README.md and docs/*.md, as a module: what a user would copy. Not
    # under .nox: pyright skips the files of a folder whose name starts with a dot.
    with tempfile.TemporaryDirectory(prefix="rillet-doc-examples-") as folder:
        examples = Path(folder) / "examples"
        session.run("python", "docs/extract_examples.py", str(examples))
        checked = sorted(str(path) for path in examples.glob("*.py"))
        session.run("mypy", *checked)
        session.run("pyright", *checked)


@nox.session
@nox.parametrize("json", ["stdlib", "orjson"])
def tests(session: nox.Session, json: str) -> None:
    """The tests against the built package, with each JSON backend; async tests on both loops."""
    install_groups(session, "tests")
    install_wheel(session, "[speedups]" if json == "orjson" else "")
    env = {
        "HYPOTHESIS_PROFILE": "ci",
        "RILLET_EXPECT_JSON": "orjson" if json == "orjson" else "json",
    }
    # The orjson session runs only what the JSON backend can change.
    only = ["-m", "not json_independent"] if json == "orjson" else []
    session.run("pytest", *only, *session.posargs, env=env)


@nox.session
def docs(session: nox.Session) -> None:
    """Build the documentation; warnings are errors."""
    install_groups(session, "docs")
    install_wheel(session)
    build = Path(session.create_tmp()) / "html"
    session.run("sphinx-build", "-n", "-W", "--keep-going", "-b", "html", "docs", str(build))
    session.run("python", "docs/check_reference.py", str(build))


@nox.session
def generate(session: nox.Session) -> None:
    """Write rillet.params (from the OpenAPI description in src/rillet/_codegen), the event
    unions and the typed overloads of on() (from the event registry)."""
    install_groups(session, "codegen")
    # Importing rillet._codegen imports rillet, which needs its dependencies.
    session.install(*PYPROJECT["project"]["dependencies"])
    session.run("python", "-m", "rillet._codegen", *session.posargs, env={"PYTHONPATH": "src"})


@nox.session
def load(session: nox.Session) -> None:
    """The load scripts: 1,000 concurrent streams against openai, a 1M-event stream, 10k cancels."""
    install_groups(session, "bench")
    install_wheel(session, "[speedups]")
    for script in ("load_concurrent.py", "load_long_stream.py", "load_cancel.py"):
        session.run("python", str(Path("benchmarks") / script), *session.posargs)


@nox.session
def bench(session: nox.Session) -> None:
    """Run every benchmark in benchmarks/ side by side with the peers."""
    install_groups(session, "bench")
    install_wheel(session, "[speedups]")
    for script in sorted(Path("benchmarks").glob("bench_*.py")):
        session.run("python", str(script), *session.posargs)


@nox.session
def plots(session: nox.Session) -> None:
    """Draw docs/_static/performance/*.png from the results the last ``bench`` saved."""
    install_groups(session, "plots")
    session.run("python", str(Path("benchmarks") / "plot.py"))
