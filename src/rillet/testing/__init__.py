"""Test your code against an emulator of the OpenAI streaming API: no key, no network.

:class:`Emulator` is an ASGI app that replays recorded streams with faults on demand; serve it
with uvicorn on 127.0.0.1, or in-process with :func:`replay_transport`.
"""

from rillet.testing._emulator import DROP as DROP
from rillet.testing._emulator import STALL as STALL
from rillet.testing._emulator import Emulator as Emulator
from rillet.testing._emulator import Reply as Reply
from rillet.testing._faults import Fault as Fault
from rillet.testing._faults import FaultKind as FaultKind
from rillet.testing._replay import ReplayTransport as ReplayTransport
from rillet.testing._replay import replay_transport as replay_transport

__all__ = [
    "DROP",
    "Emulator",
    "Fault",
    "FaultKind",
    "ReplayTransport",
    "Reply",
    "STALL",
    "replay_transport",
]
