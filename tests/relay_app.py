"""The emulator with a relay on Redis, as an app factory for uvicorn processes.

``python -m uvicorn --factory relay_app:app`` (``--app-dir tests``) with ``RILLET_TEST_REDIS``
set to the Redis URL: every such process serves every channel, whichever process produces it.
``RILLET_TEST_LEASE`` (seconds, 1 by default) is the producers' lease: short, so that a killed
producer is noticed soon.
"""

from __future__ import annotations

import os

from rillet.relay import RedisBackend, Relay
from rillet.testing import Emulator
from rillet.testing._emulator import ASGIMessage, Receive, Send


class RelayOnRedis:
    """The emulator with a relay on Redis; the backend runs while the server runs (lifespan)."""

    def __init__(self, url: str, lease: float) -> None:
        self.backend = RedisBackend(url, retention=30.0)
        relay = Relay(self.backend, producer_check=lease / 2)
        self.emulator = Emulator(relay=relay, relay_lease=lease)

    async def __call__(
        self,
        scope: ASGIMessage,
        receive: Receive,
        send: Send,
    ) -> None:
        """Serve the emulator; its lifespan runs inside the backend's."""
        if scope["type"] == "lifespan":
            async with self.backend:
                await self.emulator(scope, receive, send)
        else:
            await self.emulator(scope, receive, send)


def app() -> RelayOnRedis:
    """The app of this process: on the Redis at ``$RILLET_TEST_REDIS``."""
    return RelayOnRedis(
        os.environ["RILLET_TEST_REDIS"], float(os.environ.get("RILLET_TEST_LEASE", "1"))
    )
