"""The emulator with a relay on Redis, as an app factory for uvicorn processes.

``python -m uvicorn --factory relay_app:app`` (``--app-dir tests``) with ``RILLET_TEST_REDIS``
set to the Redis URL: every such process serves every channel, whichever process produces it.
``RILLET_TEST_LEASE`` (seconds, 1 by default) is the producers' lease: short, so that a killed
producer is noticed soon (its subscribers check every half lease).
"""

from __future__ import annotations

import os

from rillet.relay import RedisBackend, Relay
from rillet.testing import Emulator


def app() -> Emulator:
    """The app of this process: the emulator, its relay on the Redis at ``$RILLET_TEST_REDIS``."""
    lease = float(os.environ.get("RILLET_TEST_LEASE", "1"))
    backend = RedisBackend(os.environ["RILLET_TEST_REDIS"], retention=30.0)
    return Emulator(relay=Relay(backend, producer_check=lease / 2), relay_lease=lease)
