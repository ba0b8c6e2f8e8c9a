"""Shared test configuration: hypothesis profiles and the anyio backends."""

from __future__ import annotations

import os

import pytest
from hypothesis import HealthCheck, settings

# CI runs on a loaded 2-core machine: no deadlines, a fixed seed, a bounded number of examples.
settings.register_profile(
    "ci",
    deadline=None,
    derandomize=True,
    max_examples=200,
    print_blob=True,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.register_profile("dev", deadline=None, max_examples=100)
settings.register_profile("thorough", deadline=None, max_examples=5_000)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci" if os.environ.get("CI") else "dev"))


@pytest.fixture(params=["asyncio", "trio"])
def anyio_backend(request: pytest.FixtureRequest) -> str:
    """Run every async test on both asyncio and trio (explicitly: never silently one)."""
    return str(request.param)


@pytest.fixture(scope="session")
def emulator_recordings() -> dict[str, bytes]:
    """Every recorded stream of the corpus, by name (``responses/...``, ``chat/...``)."""
    from corpus_files import CORPUS  # noqa: PLC0415

    return {
        str(path.relative_to(CORPUS)): path.read_bytes()
        for path in sorted(CORPUS.rglob("*.sse"))
        if "reframed" not in path.parts[-2]
    }
