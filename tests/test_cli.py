"""The ``rillet`` command, run as users run it: in a subprocess, from the installed package."""

from __future__ import annotations

import io
import json
import os
import re
import signal
import socket
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest

from clients import decoded
from corpus_files import CORPUS
from rillet._cli._output import Output
from rillet.events import Response, parse_chat_chunk
from rillet.sse import SSEDecoder
from rillet.testing._anthropic import message_stream
from rillet.testing._gemini import gemini_stream
from rillet.testing._scenarios import response_stream

pytestmark = pytest.mark.json_independent

RECORDING = CORPUS / "responses" / "function_call_parallel.sse"
CHAT_RECORDING = CORPUS / "chat" / "refusal.sse"
COMMANDS = ["demo", "stream", "replay", "inspect", "serve"]


def rillet(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """``python -m rillet ARGS``, with a clean environment (no key, no base URL)."""
    return subprocess.run(  # noqa: S603 - our own command
        [sys.executable, "-m", "rillet", *args],
        capture_output=True,
        text=True,
        timeout=60,
        env=env if env is not None else clean_env(),
        check=False,
    )


def clean_env() -> dict[str, str]:
    drop = {
        "OPENAI_API_KEY", "OPENAI_BASE_URL", "NO_COLOR", "ANTHROPIC_API_KEY", "ANTHROPIC_BASE_URL",
        "GEMINI_API_KEY", "GOOGLE_API_KEY", "GOOGLE_GEMINI_BASE_URL",
    }  # fmt: skip
    return {k: v for k, v in os.environ.items() if k not in drop}


def generated_text(prompt: str) -> str:
    """What the emulator answers to ``prompt`` in the text scenario."""
    final = response_stream("text", {"input": prompt})[-1]["response"]
    return Response.from_dict(final).output_text


@pytest.mark.parametrize("backend", ["asyncio", "trio"])
def test_demo_streams_from_the_emulator_and_sums_up(backend: str) -> None:
    prompt = "Tell me about rivers"
    done = rillet("--backend", backend, "demo", "--scenario", "text", "--prompt", prompt)
    assert done.returncode == 0, done.stderr
    assert "no API key, no network" in done.stderr
    assert generated_text(prompt) in done.stdout  # the text, as it streamed
    for label in ("status", "completed", "first text token", "tokens/s", "usage", "events"):
        assert label in done.stdout
    assert "response.output_text.delta" in done.stdout
    assert "\x1b[" not in done.stdout  # piped: plain


def gemini_text(prompt: str) -> str:
    """What the emulator answers to ``prompt`` in Gemini's text scenario."""
    request = {"contents": [{"parts": [{"text": prompt}]}]}
    frames = gemini_stream("text", request, "rillet-text")
    return "".join(p["text"] for f in frames for p in f["candidates"][0]["content"]["parts"])


@pytest.mark.parametrize("backend", ["asyncio", "trio"])
def test_the_gemini_demo_streams_from_the_emulator(backend: str) -> None:
    prompt = "Tell me about rivers in Lima"
    done = rillet(
        "--backend", backend, "demo", "--provider", "gemini", "--scenario", "text", "--delay", "0",
        "--prompt", prompt,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert gemini_text(prompt) in done.stdout
    assert "gemini.chunk" in done.stdout
    assert "candidatesTokenCount" in done.stdout
    called = rillet(
        "demo", "--provider", "gemini", "--scenario", "function_call", "--prompt", prompt
    )
    assert called.returncode == 0, called.stderr
    assert '-> get_weather({"city": "Lima"})' in called.stdout


def anthropic_text(prompt: str) -> str:
    """What the emulator answers to ``prompt`` in Anthropic's text scenario."""
    request = {"messages": [{"role": "user", "content": prompt}]}
    events = message_stream("text", request)
    return "".join(e["delta"]["text"] for e in events if e["type"] == "content_block_delta")


@pytest.mark.parametrize("backend", ["asyncio", "trio"])
def test_the_anthropic_demo_streams_from_the_emulator(backend: str) -> None:
    prompt = "Tell me about rivers in Oslo"
    done = rillet(
        "--backend", backend, "demo", "--provider", "anthropic", "--scenario", "text",
        "--delay", "0", "--prompt", prompt,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert anthropic_text(prompt) in done.stdout
    assert "content_block_delta" in done.stdout
    assert "output_tokens" in done.stdout
    thought = rillet("demo", "--provider", "anthropic", "--delay", "0", "--prompt", prompt)
    assert thought.returncode == 0, thought.stderr
    assert "**Reading the question**" in thought.stdout  # the thinking, then the text
    assert anthropic_text(prompt) in thought.stdout
    called = rillet(
        "demo", "--provider", "anthropic", "--scenario", "function_call", "--prompt", prompt
    )
    assert '-> get_weather({"city": "Oslo"})' in called.stdout
    failed = rillet("demo", "--provider", "anthropic", "--scenario", "error", "--delay", "0")
    assert failed.returncode == 1
    assert "Overloaded" in failed.stderr


def test_anthropic_recordings_replay() -> None:
    recording = CORPUS / "anthropic" / "tool_use_input_json_delta.sse"
    done = rillet("replay", "--speed", "0", str(recording))
    assert done.returncode == 0, done.stderr
    assert "I'll check the current weather in Paris for you." in done.stdout
    assert '-> get_weather({"location": "Paris"})' in done.stdout
    events = rillet("replay", "--speed", "0", "--events", str(recording))
    assert events.stdout.count("content_block_delta") == 7
    no_key = rillet("stream", "--provider", "anthropic", "hi")
    assert no_key.returncode == 2
    assert "ANTHROPIC_API_KEY" in no_key.stderr


@pytest.mark.parametrize(
    ("name", "outcome", "status", "shown"),
    [
        ("anthropic/thinking_signature.sse", "completed", 0, "stop reason  end_turn"),
        ("anthropic/text_basic_no_trailing_newline.sse", "truncated", 1, "no message_stop"),
        ("gemini/thoughts_text_signature.sse", "completed", 0, "text (thought)"),
        ("gemini/function_call_get_capital.sse", "completed", 0, "functionCall get_capital"),
        ("gemini/error_midstream_bare_json.sse", "error", 1, "error 499 CANCELLED"),
        ("gemini/prompt_blocked_safety.sse", "blocked", 0, "blocked: SAFETY"),
    ],
)
def test_inspect_reads_anthropic_and_gemini_recordings(
    name: str, outcome: str, status: int, shown: str
) -> None:
    done = rillet("inspect", str(CORPUS / name))
    assert done.returncode == status, done.stdout
    assert re.search(rf"^  outcome +{outcome}$", done.stdout, re.MULTILINE)
    assert shown in done.stdout
    api = "Anthropic Messages" if name.startswith("anthropic") else "Gemini"
    assert f"bytes, {api})" in done.stdout


def test_gemini_recordings_replay_and_their_errors_fail() -> None:
    done = rillet("replay", "--speed", "0", str(CORPUS / "gemini" / "text_three_frames.sse"))
    assert done.returncode == 0, done.stderr
    assert "The capital of France is Paris." in done.stdout
    failed = rillet(
        "replay", "--speed", "0", str(CORPUS / "gemini" / "error_midstream_bare_json.sse")
    )
    assert failed.returncode == 1
    assert "First Second" in failed.stdout
    assert "CANCELLED" in failed.stderr
    no_key = rillet("stream", "--provider", "gemini", "hi")
    assert no_key.returncode == 2
    assert "GEMINI_API_KEY" in no_key.stderr


def test_the_default_demo_shows_reasoning_then_text_through_the_console_script() -> None:
    script = Path(sys.executable).parent / "rillet"
    done = subprocess.run(  # noqa: S603
        [script, "demo", "--delay", "0"], capture_output=True, text=True, timeout=60, check=False
    )
    assert done.returncode == 0, done.stderr
    assert "**Reading the question**" in done.stdout
    assert "reasoning)" in done.stdout  # the usage line counts reasoning tokens


@pytest.mark.parametrize("command", [None, *COMMANDS])
def test_help_everywhere(command: str | None) -> None:
    done = rillet(*([command] if command else []), "--help")
    assert done.returncode == 0
    assert done.stdout.startswith("usage: rillet")


def test_inspect_a_sound_recording() -> None:
    done = rillet("inspect", str(RECORDING))
    assert done.returncode == 0, done.stdout
    count = len(decoded(RECORDING.read_bytes()))
    assert f"{count:>6}  in all" in done.stdout
    assert "function_call" in done.stdout
    assert "problems\n  none" in done.stdout


def test_inspect_reports_a_truncated_tail_with_exit_status_1(tmp_path: Path) -> None:
    body = RECORDING.read_bytes()
    cut = tmp_path / "cut.sse"
    cut.write_bytes(body[: len(body) // 2])
    done = rillet("inspect", str(cut))
    assert done.returncode == 1
    assert "truncated: an event begins at byte" in done.stdout
    assert "no terminal event" in done.stdout


def test_inspect_reports_a_broken_event(tmp_path: Path) -> None:
    body = RECORDING.read_bytes().replace(b'"output_index":0', b'"output_index":"zero"', 1)
    broken = tmp_path / "broken.sse"
    broken.write_bytes(body)
    done = rillet("inspect", str(broken))
    assert done.returncode == 1
    assert "output_index" in done.stdout


def test_replay_as_json_lines_gives_the_recorded_events() -> None:
    done = rillet("replay", str(RECORDING), "--speed", "0", "--json")
    assert done.returncode == 0, done.stderr
    lines = [json.loads(line) for line in done.stdout.splitlines()]
    assert lines == [event.to_dict() for event in decoded(RECORDING.read_bytes())]


def test_replay_shows_calls_and_chat_refusals() -> None:
    calls = rillet("replay", str(RECORDING), "--speed", "0")
    assert calls.returncode == 0, calls.stderr
    assert '-> secret_retrieval_tool({"password":"mellon"})' in calls.stdout
    chat = rillet("replay", str(CHAT_RECORDING), "--speed", "0")
    assert chat.returncode == 0, chat.stderr
    assert chat.stdout.startswith("I'm very sorry")


@pytest.mark.parametrize(
    ("args", "status", "message"),
    [
        (["inspect", "missing.sse"], 1, "cannot read missing.sse"),
        (["replay", "missing.sse"], 1, "cannot read missing.sse"),
        (["stream", "hi"], 2, "OPENAI_API_KEY is not set"),
        (["stream", "hi", "--base-url", "http://127.0.0.1:9/v1"], 1, "cannot reach the server"),
        (["replay", str(RECORDING), "--speed", "fast"], 2, "not a number"),
        (["demo", "--scenario", "poetry"], 2, "invalid choice"),
        (["serve", "--recordings", "missing-dir"], 2, "not a directory"),
    ],
)
def test_user_mistakes_get_one_line_and_an_exit_status(
    args: list[str], status: int, message: str
) -> None:
    done = rillet(*args)
    assert done.returncode == status
    assert "Traceback" not in done.stderr
    assert message in done.stderr.strip().splitlines()[-1]  # after argparse's usage, if any


@contextmanager
def serving(*args: str) -> Iterator[str]:
    """``rillet serve`` in a subprocess; yields its URL; stops it with Ctrl-C."""
    command = [sys.executable, "-m", "rillet", "serve", "--delay", "0", *args]
    with subprocess.Popen(  # noqa: S603
        command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=clean_env()
    ) as process:
        try:
            assert process.stdout is not None
            url = process.stdout.readline().strip()
            assert url.startswith("http://127.0.0.1:")
            yield url
        finally:
            process.send_signal(signal.SIGINT)
            try:
                status = process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                raise
        assert status == 0  # Ctrl-C is how a server is stopped


def test_serve_then_stream_from_it() -> None:
    with serving() as url:
        text = rillet("stream", "Tell me about rivers", "--base-url", url, "--model", "rillet-text")
        events = rillet("stream", "hi", "--base-url", url, "--model", "rillet-refusal", "--events")
        lines = rillet("stream", "hi", "--base-url", url, "--model", "rillet-failed", "--json")
    assert text.returncode == 0, text.stderr
    assert text.stdout.startswith(generated_text("Tell me about rivers"))
    assert events.returncode == 0, events.stderr
    assert "    0 response.created" in events.stdout
    assert "response.refusal.delta  ' sorry,'" in events.stdout
    assert lines.returncode == 1  # the response failed: its events, then a one-line error
    assert [json.loads(line)["type"] for line in lines.stdout.splitlines()][-1] == "response.failed"
    assert "error" in lines.stderr
    assert "Traceback" not in lines.stderr


def test_serve_then_stream_anthropic_and_gemini_from_it() -> None:
    with serving() as url:
        root = url.removesuffix("/v1")
        prompt = "Tell me about rivers"
        claude = rillet(
            "stream",
            prompt,
            "--provider",
            "anthropic",
            "--base-url",
            root,
            "--model",
            "rillet-text",
        )
        gemini = rillet(
            "stream", prompt, "--provider", "gemini", "--base-url", root, "--model", "rillet-text",
            "--json",
        )  # fmt: skip
    assert claude.returncode == 0, claude.stderr
    assert claude.stdout.startswith(anthropic_text(prompt))
    assert gemini.returncode == 0, gemini.stderr
    lines = [json.loads(line) for line in gemini.stdout.splitlines()]
    assert all("candidates" in line for line in lines)  # the chunks as the server sent them
    assert lines[-1]["candidates"][0]["finishReason"] == "STOP"


@pytest.mark.json_independent
def test_two_relay_servers_on_one_redis_serve_each_others_channels(redis_url: str) -> None:
    with serving("--relay", "--redis", redis_url) as one, serving("--redis", redis_url) as other:
        started = httpx.post(f"{one.removesuffix('/v1')}/relay", json={"input": "Tell me"})
        channel = started.json()["channel"]
        relayed = httpx.get(f"{other.removesuffix('/v1')}/relay/{channel}")
        page = httpx.get(f"{other.removesuffix('/v1')}/relay")
    events = list(SSEDecoder().feed(relayed.content))
    deltas = [e for e in events if e.event == "response.output_text.delta"]
    assert "".join(json.loads(e.data)["delta"] for e in deltas) == generated_text("Tell me")
    assert (events[-1].event, json.loads(events[-1].data)["status"]) == ("relay.end", "completed")
    assert page.headers["content-type"] == "text/html; charset=utf-8"


def test_serve_on_a_busy_port_says_so() -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        done = rillet("serve", "--port", str(busy.getsockname()[1]))
    assert done.returncode == 1
    assert "cannot serve on 127.0.0.1:" in done.stderr


def test_replay_a_chat_stream_as_json_lines() -> None:
    done = rillet("replay", str(CHAT_RECORDING), "--speed", "0", "--json")
    assert done.returncode == 0, done.stderr
    body = CHAT_RECORDING.read_bytes()
    chunks = [e.raw_data for e in SSEDecoder().feed(body) if e.raw_data != b"[DONE]"]
    assert [json.loads(line) for line in done.stdout.splitlines()] == [
        parse_chat_chunk(data).to_dict() for data in chunks
    ]


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_styled_in_a_terminal_plain_when_piped_or_no_color(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("NO_COLOR", raising=False)
    terminal, pipe = Terminal(), io.StringIO()
    for out in (terminal, pipe):
        output = Output(out, io.StringIO())
        output.write("thinking", "dim")
        output.line("done", "bold")
    assert terminal.getvalue() == "\x1b[2mthinking\x1b[0m\n\x1b[1mdone\x1b[0m\n"
    assert pipe.getvalue() == "thinking\ndone\n"
    monkeypatch.setenv("NO_COLOR", "1")
    assert not Output(Terminal(), Terminal()).styled
