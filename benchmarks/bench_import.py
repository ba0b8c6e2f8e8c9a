"""Start-up: what importing rillet, making a client and the CLI cost, against the openai package.

Every figure comes from fresh processes, the cases taken in turn (so that a busy moment of the
machine hits them all), 15 runs each; the table gives the fastest and the median run. The code
of each case is timed inside its process with ``time.perf_counter``, so the interpreter's own
start-up is left out; the CLI is timed from outside, whole processes, beside ``python -c pass``.

* ``import``: ``import rillet`` / ``import openai``; and the cumulative time
  ``python -X importtime`` reports for it (the figure the import-time target is written in).
* ``import + client``: ``from rillet import AsyncClient; AsyncClient(api_key=...)``, against
  ``openai.AsyncOpenAI(api_key=...)``: what a program does before its first request.
* ``to a streamed response``: the import, the client and one short Responses stream (20 text
  deltas) read to its end, from a local HTTP server over loopback, with each client's own
  default HTTP stack: the cold start a short script pays.
* ``--help``: ``python -m rillet --help`` and the ``rillet`` console script (openai 3.54 has no
  command line).
* First event of a type: parsing one event in a fresh process, the first of its type and then a
  second, for a rare type (its class is built on first use) and a common one.

Bytecode is compiled once before timing (as an installed package has it). Run:
``python benchmarks/bench_import.py`` (or ``nox -s bench``).
"""

from __future__ import annotations

import http.server
import json
import os
import shutil
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Generator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from _results import Results
from _workload import responses_stream

RUNS = 15
PYTHON = sys.executable

TIMED = """\
import time
_start = time.perf_counter()
{code}
print(time.perf_counter() - _start)
"""

STREAM_RILLET = """\
import anyio
from rillet import AsyncClient

async def main() -> None:
    async with AsyncClient(api_key="sk-bench", base_url="{url}", max_retries=0) as client:
        async with await client.responses.create(model="m", input="hi", stream=True) as stream:
            async for _ in stream:
                pass

anyio.run(main)
"""

STREAM_OPENAI = """\
import asyncio
import openai

async def main() -> None:
    async with openai.AsyncOpenAI(api_key="sk-bench", base_url="{url}", max_retries=0) as client:
        async with await client.responses.create(model="m", input="hi", stream=True) as stream:
            async for _ in stream:
                pass

asyncio.run(main())
"""

RARE = {
    "type": "response.mcp_list_tools.in_progress",
    "sequence_number": 7,
    "item_id": "mcpl_1",
    "output_index": 1,
}
OTHER_RARE = {"type": "response.audio.done", "sequence_number": 8}
COMMON = {
    "type": "response.output_text.delta",
    "sequence_number": 9,
    "item_id": "msg_1",
    "output_index": 0,
    "content_index": 0,
    "delta": " the",
    "logprobs": [],
    "obfuscation": "xq",
}
# The parses a fresh process makes, in order. The first of a type makes its structure function;
# the first of a rare type also builds the rare events' classes (all of them, together).
PARSES = [
    ("a rare type, first (builds the rare classes)", RARE),
    ("the same rare type, again", RARE),
    ("another rare type, first", OTHER_RARE),
    ("a common type, first", COMMON),
    ("the same common type, again", COMMON),
]
FIRST_EVENTS = """\
import time
from rillet.events import parse_event_data
for data in {payloads!r}:
    start = time.perf_counter()
    parse_event_data(None, data)
    print(time.perf_counter() - start)
"""


def environment() -> dict[str, str]:
    """This environment, allowed to write bytecode (so that it is cached after the first run)."""
    env = dict(os.environ)
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    return env


@dataclass
class Case:
    """One thing to time in fresh processes, and its runs (seconds)."""

    name: str
    library: str
    command: list[str]
    timed_inside: bool = True  # the process prints its own figure(s); else the wall time
    runs: list[list[float]] = field(default_factory=list)

    def run(self, env: dict[str, str]) -> None:
        start = time.perf_counter()
        done = subprocess.run(  # noqa: S603 - our own interpreter, our own code
            self.command, env=env, capture_output=True, text=True, check=False
        )
        wall = time.perf_counter() - start
        if done.returncode != 0:
            msg = f"{self.name} ({self.library}) failed:\n{done.stdout}\n{done.stderr}"
            raise RuntimeError(msg)
        if self.command[1:3] == ["-X", "importtime"]:
            self.runs.append([importtime_total(done.stderr)])
        elif self.timed_inside:
            self.runs.append([float(line) for line in done.stdout.split()])
        else:
            self.runs.append([wall])

    def figures(self, index: int = 0) -> tuple[float, float]:
        """The fastest and the median run, in seconds."""
        values = [run[index] for run in self.runs]
        return min(values), statistics.median(values)


def importtime_total(stderr: str) -> float:
    """The cumulative time of the last top-level import ``-X importtime`` reports (s).

    With ``-c "import X"`` that is X's import, everything it imports included, and nothing of
    the interpreter's own start-up (``site``, ``encodings``), which comes before.
    """
    last = stderr.strip().splitlines()[-1]
    _, cumulative, name = last.removeprefix("import time:").split("|")
    assert not name.startswith("  "), last  # a top-level import
    return int(cumulative) / 1e6


def timed(code: str) -> list[str]:
    return [PYTHON, "-c", TIMED.format(code=code)]


def importtime(code: str) -> list[str]:
    return [PYTHON, "-X", "importtime", "-c", code]


@contextmanager
def local_server(body: bytes) -> Generator[str, None, None]:
    """A local HTTP server answering every POST with the Responses stream ``body``."""

    class Handler(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_POST(self) -> None:
            self.rfile.read(int(self.headers.get("Content-Length", 0)))
            self.send_response(200)
            self.send_header("Content-Type", "text/event-stream")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *_: object, **__: object) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/v1"
    finally:
        server.shutdown()
        server.server_close()


def cases(url: str) -> list[Case]:
    script = shutil.which("rillet", path=str(Path(PYTHON).parent))
    found = [
        Case("import", "rillet", timed("import rillet")),
        Case("import", "openai", timed("import openai")),
        Case("import (-X importtime)", "rillet", importtime("import rillet")),
        Case("import (-X importtime)", "openai", importtime("import openai")),
        Case(
            "import + client",
            "rillet",
            timed("from rillet import AsyncClient\nAsyncClient(api_key='sk-bench')"),
        ),
        Case(
            "import + client",
            "openai",
            timed("import openai\nopenai.AsyncOpenAI(api_key='sk-bench')"),
        ),
        Case("to a streamed response", "rillet", timed(STREAM_RILLET.format(url=url))),
        Case("to a streamed response", "openai", timed(STREAM_OPENAI.format(url=url))),
        Case("python -c pass", "python", [PYTHON, "-c", "pass"], timed_inside=False),
        Case(
            "python -m rillet --help",
            "rillet",
            [PYTHON, "-m", "rillet", "--help"],
            timed_inside=False,
        ),
    ]
    if script is not None:
        found.append(Case("rillet --help", "rillet", [script, "--help"], timed_inside=False))
    return found


def first_events() -> Case:
    payloads = [json.dumps(payload).encode() for _, payload in PARSES]
    return Case("first events", "rillet", [PYTHON, "-c", FIRST_EVENTS.format(payloads=payloads)])


def ms(seconds: float) -> str:
    return f"{seconds * 1e3:,.1f}"


def main() -> None:
    env = environment()
    with local_server(responses_stream(20)) as url:
        timings = [*cases(url), first_events()]
        for case in timings:  # compile and cache the bytecode, warm the file cache
            case.run(env)
            case.runs.clear()
        for _ in range(RUNS):
            for case in timings:
                case.run(env)
    *starts, parses = timings
    print(f"Fresh processes, {RUNS} runs each, taken in turn; ms: fastest (median)")
    print()
    figures = Results("import", "Start-up", "ms", baseline="rillet", higher_is_better=False)
    by_name = {(case.name, case.library): case for case in starts}
    print("| case | rillet | openai | rillet vs openai |")
    print("|---|---:|---:|---:|")
    for name in ("import", "import (-X importtime)", "import + client", "to a streamed response"):
        ours, theirs = by_name[name, "rillet"].figures(), by_name[name, "openai"].figures()
        print(
            f"| {name} | {ms(ours[0])} ({ms(ours[1])}) | {ms(theirs[0])} ({ms(theirs[1])}) "
            f"| {ours[0] / theirs[0]:.2f} |"
        )
        figures.add(name, "rillet", ours[0] * 1e3)
        figures.add(name, "openai", theirs[0] * 1e3)
    print()
    print("| whole process | fastest | median |")
    print("|---|---:|---:|")
    for case in starts:
        if case.timed_inside:
            continue
        fastest, median = case.figures()
        print(
            f"| `{' '.join([Path(case.command[0]).name, *case.command[1:]])}` "
            f"| {ms(fastest)} | {ms(median)} |"
        )
        if case.library == "rillet":  # (the interpreter alone is in the table, not the chart)
            figures.add(f"{case.name} (whole process)", "rillet", fastest * 1e3)
    figures.save()
    print()
    first = Results(
        "import_first_event",
        "Parsing the first events of a process",
        "µs",
        baseline="rillet",
        higher_is_better=False,
    )
    print("| parse, in order, in a fresh process | µs (fastest) | µs (median) |")
    print("|---|---:|---:|")
    for index, (label, payload) in enumerate(PARSES):
        fastest, median = parses.figures(index)
        print(f"| {label}: `{payload['type']}` | {fastest * 1e6:,.1f} | {median * 1e6:,.1f} |")
        first.add(label, "rillet", fastest * 1e6)
    first.save()


if __name__ == "__main__":
    main()
