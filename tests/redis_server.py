"""A real ``redis-server`` on 127.0.0.1, on a free port, for the tests that claim Redis.

One server for the session (started when a test first asks for it); each test gets it emptied
(``FLUSHALL``). Without ``redis-server`` on the PATH the tests skip, unless
``RILLET_REQUIRE_SERVICES=1`` (CI), where they fail.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from rillet.relay._resp import RespParser, encode_command

__all__ = ["redis_server", "redis_url"]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def redis_command(port: int, *args: str) -> object:
    """Run one command with a plain blocking socket (for the fixture, not the code under test)."""
    parser = RespParser()
    with socket.create_connection(("127.0.0.1", port), timeout=5) as sock:
        sock.sendall(encode_command(args))
        while True:
            replies = parser.feed(sock.recv(65_536) or b"-closed\r\n")
            if replies:
                return replies[0]


@pytest.fixture(scope="session")
def redis_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[int]:
    """A ``redis-server`` for the session; its port."""
    binary = shutil.which("redis-server")
    if binary is None:
        reason = "redis-server is not on the PATH (install the redis-server system package)"
        if os.environ.get("RILLET_REQUIRE_SERVICES") == "1":
            pytest.fail(f"{reason}; RILLET_REQUIRE_SERVICES=1 requires it")
        pytest.skip(reason)
    port = _free_port()
    directory: Path = tmp_path_factory.mktemp("redis")
    args = [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly"]
    args += ["no", "--dir", str(directory)]
    server = subprocess.Popen(  # noqa: S603 - the system's redis-server, our arguments
        args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    try:
        deadline = time.monotonic() + 10
        while True:
            try:
                if redis_command(port, "PING") == "PONG":
                    break
            except OSError:
                pass
            if time.monotonic() > deadline or server.poll() is not None:
                pytest.fail(f"redis-server did not answer PING on 127.0.0.1:{port}")
            time.sleep(0.02)
        yield port
    finally:
        server.terminate()
        server.wait(timeout=10)


@pytest.fixture
def redis_url(redis_server: int) -> str:
    """The session's Redis, emptied for this test: its ``redis://`` URL."""
    redis_command(redis_server, "FLUSHALL")
    return f"redis://127.0.0.1:{redis_server}/0"
