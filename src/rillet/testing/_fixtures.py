"""The pytest plugin's fixtures (enabled with ``rillet.testing.pytest_plugin``)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import pytest

from rillet._client import AsyncClient, Client
from rillet.testing._emulator import Emulator
from rillet.testing._server import serve_in_thread

API_KEY = "sk-rillet-emulator"


@pytest.fixture
def rillet_emulator() -> Emulator:
    """The emulator this test talks to (no recordings: every answer is generated)."""
    return Emulator()


@pytest.fixture
def rillet_url(rillet_emulator: Emulator) -> Iterator[str]:
    """The emulator's base URL (``http://127.0.0.1:PORT/v1``), served for this test."""
    with serve_in_thread(rillet_emulator) as url:
        yield f"{url}/v1"


@pytest.fixture
def rillet_client(rillet_url: str) -> Iterator[Client]:
    """A blocking :class:`~rillet.Client` of the emulator."""
    with Client(api_key=API_KEY, base_url=rillet_url) as client:
        yield client


@pytest.fixture
async def rillet_async_client(rillet_url: str) -> AsyncIterator[AsyncClient]:
    """An :class:`~rillet.AsyncClient` of the emulator (for ``@pytest.mark.anyio`` tests)."""
    async with AsyncClient(api_key=API_KEY, base_url=rillet_url) as client:
        yield client


@pytest.fixture
def rillet_openai_env(rillet_url: str, monkeypatch: pytest.MonkeyPatch) -> str:
    """Point clients made by the code under test at the emulator.

    Sets ``OPENAI_BASE_URL`` and ``OPENAI_API_KEY`` for the test (any client that reads them,
    rillet's or another's); returns the URL.
    """
    monkeypatch.setenv("OPENAI_BASE_URL", rillet_url)
    monkeypatch.setenv("OPENAI_API_KEY", API_KEY)
    return rillet_url


@pytest.fixture
def rillet_anthropic_env(rillet_url: str, monkeypatch: pytest.MonkeyPatch) -> str:
    """Point Anthropic clients made by the code under test at the emulator.

    Sets ``ANTHROPIC_BASE_URL`` (the emulator's root URL) and ``ANTHROPIC_API_KEY`` for the
    test (``rillet.anthropic``'s clients and the official SDK's read them); returns the URL.
    """
    url = rillet_url.removesuffix("/v1")
    monkeypatch.setenv("ANTHROPIC_BASE_URL", url)
    monkeypatch.setenv("ANTHROPIC_API_KEY", API_KEY)
    return url


@pytest.fixture
def rillet_gemini_env(rillet_url: str, monkeypatch: pytest.MonkeyPatch) -> str:
    """Point Gemini clients made by the code under test at the emulator.

    Sets ``GOOGLE_GEMINI_BASE_URL`` (the emulator's root URL) and ``GEMINI_API_KEY`` for the
    test (``rillet.gemini``'s clients and google-genai read them); returns the URL.
    """
    url = rillet_url.removesuffix("/v1")
    monkeypatch.setenv("GOOGLE_GEMINI_BASE_URL", url)
    monkeypatch.setenv("GEMINI_API_KEY", API_KEY)
    monkeypatch.delenv("GOOGLE_API_KEY", raising=False)  # google-genai would prefer it
    return url
