"""A server of pre-rendered Responses streams, for the load scripts: run in its own process.

``POST /v1/responses`` answers a stream of ``--deltas`` text deltas. Unpaced, the body goes out
in 64 KiB writes (the server costs next to nothing per event, so a load run measures the
client). With ``x-pace: N`` (events per second) each event is written on its own, and each text
delta's ``obfuscation`` field carries the wall-clock time it was written, so that the client can
measure the delay from the server's write to its handler.

    python benchmarks/load_server.py --port 0 --deltas 200   # prints its URL, then serves
"""

from __future__ import annotations

import argparse
import contextlib
import re
import sys
import time
from pathlib import Path
from typing import Any

import anyio

sys.path.insert(0, str(Path(__file__).parent))
from _workload import responses_stream
from rillet.testing import serve

_OBFUSCATION = re.compile(rb'"obfuscation":"[^"]*"')


def make_app(deltas: int) -> Any:  # noqa: ANN401
    body = responses_stream(deltas)
    blocks = [block + b"\n\n" for block in body.split(b"\n\n") if block]
    chunks = [body[i : i + 65536] for i in range(0, len(body), 65536)]
    headers = [(b"content-type", b"text/event-stream")]

    async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:  # noqa: ANN401
        if scope["type"] != "http":
            return
        while (await receive()).get("more_body"):
            pass
        pace = float(dict(scope["headers"]).get(b"x-pace", b"0"))
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        if pace <= 0:
            for chunk in chunks:
                await send({"type": "http.response.body", "body": chunk, "more_body": True})
        else:
            for block in blocks:
                stamp = b'"obfuscation":"%.6f"' % time.time()
                stamped = _OBFUSCATION.sub(stamp, block)
                await send({"type": "http.response.body", "body": stamped, "more_body": True})
                await anyio.sleep(1 / pace)
        await send({"type": "http.response.body", "body": b"", "more_body": False})

    return app


async def main(port: int, deltas: int) -> None:
    async with serve(make_app(deltas), port=port) as url:
        print(url, flush=True)
        await anyio.sleep_forever()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=str(__doc__).splitlines()[0])
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--deltas", type=int, default=200)
    options = parser.parse_args()
    with contextlib.suppress(KeyboardInterrupt):
        anyio.run(main, options.port, options.deltas)
