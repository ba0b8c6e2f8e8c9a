"""Two uvicorn processes on one real Redis: either serves the channels the other produces.

Each process serves the emulator with a relay on Redis (``relay_app.py``). A generation started
in process A is read from process B; when A is killed (SIGKILL) mid-stream, B's subscriber gets
a clear ``error`` end within a few seconds (the producer's lease is short), never a hang.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import attrs
import httpx
import pytest

import rillet
from rillet.relay import PRODUCER_GONE
from rillet.sse import ServerSentEvent, SSEDecoder

pytestmark = pytest.mark.json_independent

TESTS = Path(__file__).parent
LEASE = 1.0  # seconds: how soon a killed producer's channel is known to be dead
KILL_AFTER = 5  # events read from B before A is killed
REQUEST = {"model": "rillet-text", "input": "Tell me about rivers"}


@contextmanager
def uvicorn_processes(redis_url: str, logs: list[Path]) -> Iterator[list[Server]]:
    """``uvicorn --factory relay_app:app`` processes on free ports of 127.0.0.1, one per log
    file, started side by side; all killed at the end."""
    source = str(Path(rillet.__file__).parents[1])  # this tree's rillet, not an installed one
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([source, str(TESTS)]),
        "RILLET_TEST_REDIS": redis_url,
        "RILLET_TEST_LEASE": str(LEASE),
    }
    servers: list[Server] = []
    try:
        for log in logs:
            with socket.socket() as sock, log.open("wb") as output:
                sock.bind(("127.0.0.1", 0))
                command = [sys.executable, "-m", "uvicorn", "--factory", "relay_app:app"]
                command += ["--fd", str(sock.fileno()), "--log-level", "warning"]
                process = subprocess.Popen(  # noqa: S603 - this interpreter, our arguments
                    command, env=env, stdout=output, stderr=output, pass_fds=[sock.fileno()]
                )
                servers.append(Server(f"http://127.0.0.1:{sock.getsockname()[1]}", process, log))
        for server in servers:
            server.wait_until_ready()
        yield servers
    finally:
        for server in servers:
            server.process.kill()
            server.process.wait(timeout=10)


@attrs.frozen
class Server:
    """A uvicorn process serving the emulator with a relay on Redis."""

    url: str
    process: subprocess.Popen[bytes]
    log: Path

    def wait_until_ready(self) -> None:
        deadline = time.monotonic() + 15
        while True:
            try:
                if httpx.get(f"{self.url}/relay", timeout=1).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            if self.process.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"the uvicorn process did not start:\n{self.log.read_text()}")
            time.sleep(0.02)


def start(url: str, delay: float) -> str:
    answer = httpx.post(f"{url}/relay", json=REQUEST, headers={"x-rillet-delay": str(delay)})
    assert answer.status_code == 200, answer.text
    channel: str = answer.json()["channel"]
    return channel


def read(url: str, channel: str, *, kill: Server | None = None) -> list[ServerSentEvent]:
    """The channel's events from ``url``; once ``KILL_AFTER`` came, ``kill`` is killed."""
    decoder = SSEDecoder()
    events: list[ServerSentEvent] = []
    with httpx.stream("GET", f"{url}/relay/{channel}", timeout=10) as response:
        assert response.status_code == 200
        for chunk in response.iter_bytes():
            events.extend(decoder.feed(chunk))
            if kill is not None and len(events) >= KILL_AFTER and kill.process.poll() is None:
                kill.process.send_signal(signal.SIGKILL)
    return events


def test_one_process_serves_what_another_produces_and_sees_it_die(
    redis_url: str, tmp_path: Path
) -> None:
    logs = [tmp_path / "a.log", tmp_path / "b.log"]
    with uvicorn_processes(redis_url, logs) as (a, b):
        whole = read(b.url, start(a.url, delay=0))
        slow = start(a.url, delay=0.05)  # 62 events: 3 s
        killing = time.monotonic()
        cut = read(b.url, slow, kill=a)
        noticed = time.monotonic() - killing
    assert [int(event.id) for event in whole] == list(range(1, len(whole) + 1))
    assert whole[-1].event == "relay.end"
    assert json.loads(whole[-1].data) == {"status": "completed", "message": ""}
    assert whole[0].event == "response.created"
    assert a.process.returncode == -signal.SIGKILL
    # What was produced before the kill, then the end.
    assert KILL_AFTER <= len(cut) < len(whole) / 2
    assert [event.event for event in cut[:-1]] == [event.event for event in whole[: len(cut) - 1]]
    assert cut[-1].event == "relay.end"
    assert json.loads(cut[-1].data) == {"status": "error", "message": PRODUCER_GONE.message}
    assert noticed < 4 * LEASE  # the lease ran out, a check noticed: a clear end, not a hang
