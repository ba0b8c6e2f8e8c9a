"""What ``import rillet`` leaves for later, and that what is built later behaves the same.

What a fresh import loads is checked in a subprocess (this process has long imported
everything). How long anything takes is measured in ``benchmarks/bench_import.py``, never here.
"""

from __future__ import annotations

import json
import os
import pickle
import subprocess
import sys
from pathlib import Path
from typing import Any

import attrs
import pytest

import rillet
import rillet.events
import rillet.sse
import rillet.testing
from event_sources import FakeSource
from rillet import Router
from rillet._dispatch import dispatch_sync
from rillet.events import (
    CHAT_EVENT_TYPES,
    EVENT_TYPES,
    NEUTRAL_EVENT_TYPES,
    RESPONSE_EVENT_TYPES,
    DeltaEvent,
    Event,
    ItemEvent,
    ResponseAudioDeltaEvent,
    ResponseStreamEvent,
    ResponseWebSearchCallCompletedEvent,
    _registry,
    _responses,
    _responses_rare,
    parse_event_data,
)

HEAVY = [
    "httpx",
    "httpcore",
    "h11",
    "trio",
    "importlib.metadata",
    "email.utils",
    "anyio.streams.memory",
    "rillet._client",
    "rillet.params",  # the request types: for type checkers (the client imports them for them only)
    "rillet._stream",
    "rillet._sync_stream",
    "rillet.testing._emulator",
    "rillet.testing._server",
    "rillet.testing._relay",  # the emulator's relay routes: with a relay only
    "rillet.testing._anthropic",  # the emulator's, imported with it
    "rillet.testing._gemini",
    "pydantic_core",  # imported by the models' pydantic hooks, when pydantic calls them
    "rillet.events._pydantic",
    "rillet._partial_json",  # light, but few use it: its patterns are compiled on first use
    "rillet.anthropic",  # a provider's package: imported by those who use it
    "rillet.gemini",  # a provider's package: imported when its user imports it
    "opentelemetry",  # never imported by rillet: streams report only if something else did
    "rillet.relay",  # imported by those who relay streams
]
RARE = "rillet.events._responses_rare"
WEB_SEARCH_DONE = {
    "type": "response.web_search_call.completed",
    "sequence_number": 12,
    "item_id": "ws_1",
    "output_index": 1,
    "extra": {"not": "modelled"},
}


def run(code: str) -> dict[str, Any]:
    """Run ``code`` in a fresh interpreter; it sets ``out`` (JSON), or it fails the test."""
    env = {**os.environ, "PYTHONPATH": str(Path(rillet.__file__).parents[1])}
    script = f"import json, sys\nout = {{}}\n{code}\nprint(json.dumps(out))"
    done = subprocess.run(  # noqa: S603 - our own interpreter, our own code
        [sys.executable, "-c", script], capture_output=True, text=True, env=env, check=False
    )
    assert done.returncode == 0, done.stderr
    result: dict[str, Any] = json.loads(done.stdout.splitlines()[-1])  # after what code printed
    return result


def test_import_rillet_leaves_the_clients_the_rare_events_and_their_imports_for_later() -> None:
    out = run(
        "import rillet, rillet.sse, rillet.events._parse as parse\n"
        "out['loaded'] = sorted(sys.modules)\n"
        "out['chat_routes'] = parse._chat_builders"
    )
    loaded = set(out["loaded"])
    assert loaded.isdisjoint([*HEAVY, RARE])
    assert out["chat_routes"] is None


def test_what_is_imported_later_comes_when_used() -> None:
    out = run(
        "from rillet import AsyncClient, PartialJSON, ResponseStream\n"
        "client = AsyncClient(api_key='sk-test')\n"
        "out['loaded'] = sorted(sys.modules)\n"
        "out['names'] = [AsyncClient.__module__, ResponseStream.__module__]"
    )
    assert {"httpx", "rillet._client", "rillet._stream", "rillet._partial_json"} <= set(
        out["loaded"]
    )
    assert out["names"] == ["rillet._client", "rillet._stream"]


def test_the_request_types_import_without_the_clients() -> None:
    out = run(
        "from rillet.params import ResponseCreateParams, EasyInputMessageParam\n"
        "out['loaded'] = sorted(sys.modules)\n"
        "out['required'] = sorted(EasyInputMessageParam.__required_keys__)\n"
        "out['options'] = 'timeout' in ResponseCreateParams.__optional_keys__"
    )
    assert set(out["loaded"]).isdisjoint(["httpx", "rillet._client"])
    assert out["required"] == ["content", "role"]  # at run time too: Required[] is seen
    assert out["options"] is True


def test_the_command_line_help_imports_no_command() -> None:
    out = run(
        "from rillet._cli import main\n"
        "try:\n    main(['--help'])\nexcept SystemExit as done:\n    out['status'] = done.code\n"
        "out['loaded'] = sorted(sys.modules)"
    )
    assert out["status"] == 0
    loaded = set(out["loaded"])
    assert loaded.isdisjoint([*HEAVY, RARE, "rillet._cli._commands", "rillet._cli._inspect"])


def test_a_rare_event_is_built_by_its_first_use_and_is_the_class_users_import() -> None:
    data = json.dumps(WEB_SEARCH_DONE)
    out = run(
        "from rillet.events import EVENT_TYPES, ItemEvent, parse_event_data\n"
        f"known = {WEB_SEARCH_DONE['type']!r} in EVENT_TYPES and len(EVENT_TYPES) > 0\n"
        f"out['built_by_looking'] = {RARE!r} in sys.modules\n"
        f"event = parse_event_data(None, {data.encode()!r})\n"
        f"out['built_by_parsing'] = {RARE!r} in sys.modules\n"
        "from rillet.events import ResponseWebSearchCallCompletedEvent as C\n"
        "out['same'] = type(event) is C and isinstance(event, ItemEvent)"
    )
    assert out == {"built_by_looking": False, "built_by_parsing": True, "same": True}


def test_a_rare_event_parses_narrows_routes_and_round_trips() -> None:
    data = json.dumps(WEB_SEARCH_DONE).encode()
    event = parse_event_data(WEB_SEARCH_DONE["type"], data)  # type: ignore[arg-type]
    assert type(event) is ResponseWebSearchCallCompletedEvent
    assert isinstance(event, ItemEvent | ResponseStreamEvent | Event)
    assert (event.item_id, event.output_index, event.sequence_number) == ("ws_1", 1, 12)
    assert event.to_dict() == WEB_SEARCH_DONE
    assert ResponseWebSearchCallCompletedEvent.from_dict(event.to_dict()) == event
    assert pickle.loads(pickle.dumps(event)) == event  # noqa: S301 - our own bytes
    assert repr(event) == (
        "ResponseWebSearchCallCompletedEvent(sequence_number=12, item_id='ws_1', "
        "output_index=1, type='response.web_search_call.completed')"
    )

    seen: dict[str, list[Event]] = {"class": [], "base": [], "type": [], "delta": []}
    router = Router()
    router.on(ResponseWebSearchCallCompletedEvent)(seen["class"].append)
    router.on(ItemEvent)(seen["base"].append)
    router.on("response.web_search_call.*")(seen["type"].append)
    router.on(DeltaEvent)(seen["delta"].append)
    audio = ResponseAudioDeltaEvent(delta="AAAA", sequence_number=13)
    source = FakeSource([event, audio])
    dispatch_sync(router, source, source, lambda _: None)
    assert seen == {"class": [event], "base": [event], "type": [event], "delta": [audio]}


def test_the_registries_know_every_type_and_its_class() -> None:
    assert type(RESPONSE_EVENT_TYPES) is dict
    assert len(RESPONSE_EVENT_TYPES) == 60
    ours = {**RESPONSE_EVENT_TYPES, **CHAT_EVENT_TYPES, **NEUTRAL_EVENT_TYPES}
    assert len(ours) == len(RESPONSE_EVENT_TYPES) + len(CHAT_EVENT_TYPES) + 8
    assert set(ours) <= set(EVENT_TYPES)
    for event_type, cls in ours.items():
        assert attrs.fields_dict(cls)["type"].default == event_type
        assert EVENT_TYPES[event_type] is cls
        assert getattr(rillet.events, cls.__name__) is cls
    assert "response.nope" not in EVENT_TYPES
    assert EVENT_TYPES.get("response.nope") is None
    with pytest.raises(KeyError):
        EVENT_TYPES["response.nope"]


def test_the_rare_types_are_named_after_their_classes() -> None:
    rare = {
        attrs.fields_dict(getattr(_responses_rare, name))["type"].default: name
        for name in _responses_rare.__all__
    }
    assert rare == _registry._RARE
    for name in rare.values():
        assert name in rillet.events.__all__
        assert not hasattr(_responses, name)  # defined once, in the module built on first use


@pytest.mark.parametrize("module", [rillet, rillet.events, rillet.sse, rillet.testing])
def test_names_imported_on_first_use_are_listed_and_misspellings_are_errors(
    module: object,
) -> None:
    assert set(module.__all__) <= set(dir(module))  # type: ignore[attr-defined]
    with pytest.raises(AttributeError, match="has no attribute 'Nope'"):
        getattr(module, "Nope")  # noqa: B009 - the attribute is looked up on purpose
