"""Test your code against an emulator of the OpenAI, Anthropic and Gemini APIs: no key, no network.

:class:`Emulator` is an ASGI app that generates realistic streams (see ``SCENARIOS``) or
replays recorded ones, with faults on demand. Serve it on 127.0.0.1 with :func:`serve` or
:func:`serve_in_thread` (or any ASGI server), or in-process with :func:`replay_transport`
(:func:`sync_replay_transport` for ``httpx.Client``).
The pytest plugin ``rillet.testing.pytest_plugin`` gives fixtures for all of this.
"""

import typing

from rillet._lazy import imported_on_first_use as _imported_on_first_use
from rillet.testing._faults import Fault as Fault
from rillet.testing._faults import FaultKind as FaultKind
from rillet.testing._scenarios import SCENARIOS as SCENARIOS
from rillet.testing._scenarios import Scenario as Scenario

if typing.TYPE_CHECKING:
    from rillet.testing._emulator import DROP as DROP
    from rillet.testing._emulator import STALL as STALL
    from rillet.testing._emulator import Emulator as Emulator
    from rillet.testing._emulator import Reply as Reply
    from rillet.testing._replay import ReplayTransport as ReplayTransport
    from rillet.testing._replay import SyncReplayTransport as SyncReplayTransport
    from rillet.testing._replay import replay_transport as replay_transport
    from rillet.testing._replay import sync_replay_transport as sync_replay_transport
    from rillet.testing._server import serve as serve
    from rillet.testing._server import serve_in_thread as serve_in_thread

# The emulator, its server and the replay transports are imported when first used: they need
# anyio, h11 and httpx, which the command line's help (it lists SCENARIOS) has no use for.
if not typing.TYPE_CHECKING:
    __getattr__, __dir__ = _imported_on_first_use(
        globals(),
        {
            "DROP": "rillet.testing._emulator",
            "STALL": "rillet.testing._emulator",
            "Emulator": "rillet.testing._emulator",
            "Reply": "rillet.testing._emulator",
            "ReplayTransport": "rillet.testing._replay",
            "SyncReplayTransport": "rillet.testing._replay",
            "replay_transport": "rillet.testing._replay",
            "sync_replay_transport": "rillet.testing._replay",
            "serve": "rillet.testing._server",
            "serve_in_thread": "rillet.testing._server",
        },
    )

__all__ = [
    "DROP",
    "Emulator",
    "Fault",
    "FaultKind",
    "ReplayTransport",
    "Reply",
    "SCENARIOS",
    "STALL",
    "Scenario",
    "SyncReplayTransport",
    "replay_transport",
    "serve",
    "serve_in_thread",
    "sync_replay_transport",
]
