"""The in-process transports: the emulator's answers with no sockets."""

from __future__ import annotations

import httpx
import pytest

from corpus_files import CORPUS
from rillet.testing import Emulator, replay_transport

TEXT = "responses/plain_text_sorted_keys_2026.sse"
BODY = (CORPUS / TEXT).read_bytes()
URL = "http://emulator/v1/responses"
STREAM = {"model": "m", "input": "hi", "stream": True}


@pytest.mark.anyio
async def test_the_async_transport_counts_open_bodies_on_the_emulator_too() -> None:
    emulator = Emulator({TEXT: BODY})
    transport = replay_transport(emulator)
    async with httpx.AsyncClient(transport=transport) as http:
        response = await http.send(http.build_request("POST", URL, json=STREAM), stream=True)
        assert (transport.open_bodies, emulator.open_bodies) == (1, 1)
        await response.aclose()
        await response.aclose()
        assert (transport.open_bodies, emulator.open_bodies) == (0, 0)
