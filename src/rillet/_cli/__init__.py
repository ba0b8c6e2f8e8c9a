"""The ``rillet`` command: ``demo``, ``stream``, ``replay``, ``inspect`` and ``serve``.

The parser needs little: each command imports what it runs (the client, the emulator, anyio,
httpx) when it runs, so that ``rillet --help`` and usage errors answer at once.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable, Coroutine, Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

from rillet._cli._output import Output
from rillet._errors import APIConnectionError, RilletError
from rillet._version import __version__
from rillet.testing import SCENARIOS

if TYPE_CHECKING:
    from rillet._cli._live import Mode

__all__ = ["main", "main_exit"]

EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_INTERRUPTED = 0, 1, 2, 130
DEMO_PROMPT = "What makes a streaming library pleasant to use?"
DEFAULT_MODELS = {
    "openai": "gpt-5-mini",
    "anthropic": "claude-sonnet-4-5",
    "gemini": "gemini-2.5-flash",
}


class UsageError(RilletError):
    """The command line asks for something that cannot be done (exit status 2)."""


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; return the exit status."""
    args = _parser().parse_args(argv)
    output = Output()
    try:
        run: Callable[[argparse.Namespace, Output], int] = args.run
        return run(args, output)
    except BrokenPipeError:  # the reader went away (`| head`): stop quietly
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_FAILED
    except KeyboardInterrupt:
        output.end_line()
        return EXIT_OK if args.command == "serve" else EXIT_INTERRUPTED
    except UsageError as error:
        output.end_line()
        output.err.write(f"rillet {args.command}: error: {error}\n")
        return EXIT_USAGE
    except APIConnectionError as error:
        output.end_line()
        output.err.write(f"rillet {args.command}: error: cannot reach the server: {error}\n")
        return EXIT_FAILED
    except RilletError as error:
        output.end_line()
        output.err.write(f"rillet {args.command}: error: {error}\n")
        return EXIT_FAILED


def main_exit() -> None:
    """The console script: run, then exit with the status."""
    raise SystemExit(main())


def _run(args: argparse.Namespace, command: Callable[[], Coroutine[Any, Any, object]]) -> int:
    import anyio  # noqa: PLC0415 - imported by the commands that run, not by --help

    try:
        anyio.run(command, backend=args.backend)
    except BaseExceptionGroup as group:  # a task group's: report what actually happened
        leaves = list(_leaves(group))
        if len(leaves) == 1:
            raise leaves[0] from None
        raise
    return EXIT_OK


def _leaves(error: BaseException) -> Iterator[BaseException]:
    if isinstance(error, BaseExceptionGroup):
        # isinstance() leaves the group's type argument unknown to pyright.
        for inner in cast("BaseExceptionGroup[BaseException]", error).exceptions:
            yield from _leaves(inner)
    else:
        yield error


def _mode(args: argparse.Namespace) -> Mode:
    return "json" if args.json else "events" if args.events else "text"


def _demo(args: argparse.Namespace, output: Output) -> int:
    from rillet._cli._commands import demo  # noqa: PLC0415 - see the module's docstring

    return _run(
        args,
        lambda: demo(
            output,
            scenario=args.scenario,
            prompt=args.prompt,
            delay=args.delay,
            provider=args.provider,
        ),
    )


def _stream(args: argparse.Namespace, output: Output) -> int:
    from rillet._cli._commands import stream  # noqa: PLC0415 - see the module's docstring

    return _run(
        args,
        lambda: stream(
            output,
            prompt=args.prompt,
            model=args.model or DEFAULT_MODELS[args.provider],
            base_url=args.base_url,
            api_key=args.api_key,
            mode=_mode(args),
            provider=args.provider,
        ),
    )


def _replay(args: argparse.Namespace, output: Output) -> int:
    from rillet._cli._commands import replay  # noqa: PLC0415 - see the module's docstring

    return _run(args, lambda: replay(output, path=args.file, speed=args.speed, mode=_mode(args)))


def _inspect(args: argparse.Namespace, output: Output) -> int:
    from rillet._cli._inspect import inspect  # noqa: PLC0415 - see the module's docstring

    return EXIT_OK if inspect(output, args.file) else EXIT_FAILED


def _serve(args: argparse.Namespace, output: Output) -> int:
    from rillet._cli._commands import serve_forever  # noqa: PLC0415 - see the module's docstring

    return _run(
        args,
        lambda: serve_forever(
            output,
            host=args.host,
            port=args.port,
            delay=args.delay,
            recordings=args.recordings,
            relay=args.relay,
            redis=args.redis,
        ),
    )


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="rillet",
        description="Stream LLM responses as typed events (OpenAI Responses and Chat Completions).",
    )
    parser.add_argument("--version", action="version", version=f"rillet {__version__}")
    parser.add_argument(
        "--backend",
        choices=["asyncio", "trio"],
        default="asyncio",
        help="the event loop to run on (trio must be installed)",
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def command(name: str, run: Callable[..., int], summary: str) -> argparse.ArgumentParser:
        sub = commands.add_parser(name, help=summary, description=summary)
        sub.set_defaults(run=run)
        return sub

    def modes(sub: argparse.ArgumentParser) -> None:
        group = sub.add_mutually_exclusive_group()
        group.add_argument("--events", action="store_true", help="print every event, one a line")
        group.add_argument("--json", action="store_true", help="print every event as JSON lines")

    def provider(sub: argparse.ArgumentParser) -> None:
        sub.add_argument(
            "--provider",
            choices=["openai", "anthropic", "gemini"],
            default="openai",
            help="whose API to speak (default: %(default)s)",
        )

    sub = command(
        "demo", _demo, "Stream a response from the built-in emulator: no key, no network."
    )
    sub.add_argument("--prompt", default=DEMO_PROMPT, help="what to ask")
    sub.add_argument(
        "--scenario", choices=SCENARIOS, default="reasoning", help="what the emulator answers"
    )
    sub.add_argument("--delay", type=_seconds, default=0.02, help="seconds between events")
    provider(sub)

    sub = command("stream", _stream, "Stream a response from the API or a compatible server.")
    sub.add_argument("prompt", help="what to ask")
    sub.add_argument(
        "--model",
        help="the model (default: gpt-5-mini, claude-sonnet-4-5 or gemini-2.5-flash)",
    )
    sub.add_argument("--base-url", help="the API's URL (default: $OPENAI_BASE_URL or OpenAI)")
    sub.add_argument("--api-key", help="the API key (default: $OPENAI_API_KEY)")
    provider(sub)
    modes(sub)

    sub = command("replay", _replay, "Replay a recorded .sse stream through the whole pipeline.")
    sub.add_argument("file", type=Path, help="a recorded text/event-stream body")
    sub.add_argument(
        "--speed", type=_seconds, default=1.0, help="pace multiplier (0: as fast as possible)"
    )
    modes(sub)

    sub = command("inspect", _inspect, "Show what a recorded .sse stream holds and its problems.")
    sub.add_argument("file", type=Path, help="a recorded text/event-stream body")

    sub = command("serve", _serve, "Serve the emulator on 127.0.0.1 until interrupted.")
    sub.add_argument("--host", default="127.0.0.1", help="the address (default: %(default)s)")
    sub.add_argument("--port", type=int, default=0, help="the port (default: a free one)")
    sub.add_argument("--delay", type=_seconds, default=0.02, help="seconds between events")
    sub.add_argument("--recordings", type=Path, help="a directory of .sse files to serve too")
    sub.add_argument(
        "--relay",
        action="store_true",
        help="serve the relay too: POST /relay, GET /relay/ID (SSE), and its page at /relay",
    )
    sub.add_argument(
        "--redis",
        metavar="URL",
        help="keep the relay's channels in Redis at URL, shared by servers (implies --relay)",
    )
    return parser


def _seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        msg = f"not a number: {text!r}"
        raise argparse.ArgumentTypeError(msg) from None
    if value < 0:
        msg = f"must not be negative: {text}"
        raise argparse.ArgumentTypeError(msg)
    return value
