"""Shared test configuration: hypothesis profiles and the anyio backends."""

from __future__ import annotations

import os
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, Literal

import anyio
import attrs
import pytest
from hypothesis import HealthCheck, settings

from rillet.testing import Emulator, serve_in_thread

# pytester: to test rillet's own pytest plugin from a user's suite; the plugin itself: for the
# docs' examples, tested as users would test them.
pytest_plugins = ["pytester", "rillet.testing.pytest_plugin", "scripted", "redis_server"]

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
    """Every recorded stream of the corpus, by name (``responses/...``, ``chat/...``), and the
    Anthropic and Gemini recordings (``anthropic/...``, ``gemini/...``, re-framed ones too)."""
    from corpus_files import CORPUS, provider_files  # noqa: PLC0415

    recordings = {
        str(path.relative_to(CORPUS)): path.read_bytes()
        for path in sorted(CORPUS.rglob("*.sse"))
        if "reframed" not in path.parts[-2]
        and path.relative_to(CORPUS).parts[0] in ("responses", "chat")  # the OpenAI APIs
    }
    for name in [*provider_files("anthropic"), *provider_files("gemini")]:
        recordings[name] = (CORPUS / name).read_bytes()
    return recordings


@attrs.frozen
class Served:
    """The emulator, served by uvicorn on 127.0.0.1."""

    url: str
    emulator: Emulator

    async def no_open_bodies(self) -> None:
        """Wait (boundedly) until the server has finished or dropped every response body."""
        with anyio.fail_after(5):
            while self.emulator.open_bodies:  # noqa: ASYNC110 - a counter of the server's thread
                await anyio.sleep(0.01)


@contextmanager
def serve_with_uvicorn(app: Any, *, lifespan: Literal["on", "off"] = "off") -> Iterator[str]:
    """Serve ``app`` with uvicorn on 127.0.0.1, port 0, in a thread; yield its base URL."""
    import uvicorn  # noqa: PLC0415

    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    config = uvicorn.Config(
        app, log_level="critical", lifespan=lifespan, timeout_graceful_shutdown=2
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            pytest.fail("the test server did not start")
        time.sleep(0.01)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        sock.close()
        assert not thread.is_alive(), "the test server did not stop"


@pytest.fixture(scope="session", params=["uvicorn", "rillet"])
def served(
    request: pytest.FixtureRequest, emulator_recordings: dict[str, bytes]
) -> Iterator[Served]:
    """The emulator on 127.0.0.1, in a thread, for the whole session: served by uvicorn, and
    by rillet's own server (what ``rillet serve`` and the pytest plugin use)."""
    emulator = Emulator(emulator_recordings)
    server = (
        serve_with_uvicorn(emulator) if request.param == "uvicorn" else serve_in_thread(emulator)
    )
    with server as url:
        yield Served(url=f"{url}/v1", emulator=emulator)
