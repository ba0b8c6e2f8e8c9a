"""The API's closed sets: ``Literal`` types for type checkers, any string kept at run time."""

from __future__ import annotations

import json
import typing
from typing import Any, Literal, assert_type

import attrs
import pytest

from rillet import ChatCompletionAccumulator
from rillet._json import Loads, _stdlib_loads, loads
from rillet.events import (
    ChatCompletionChunk,
    ChatRole,
    CodeInterpreterCallItem,
    Event,
    FinishReason,
    ItemStatus,
    MessageItem,
    Response,
    ResponseCompletedEvent,
    ResponseStatus,
    parse_chat_chunk,
)
from rillet.events._direct import direct_decoder
from rillet.events._model import converter, structure_hook
from rillet.events._parse import read_chunk, read_event

# orjson where it is installed (else the standard library again): both must keep the values.
READERS = {"stdlib": _stdlib_loads, "backend": loads}

NEW_ITEM: dict[str, Any] = {
    "type": "message",
    "id": "msg_1",
    "role": "narrator",
    "status": "paused",
    "phase": "aside",
    "content": [],
}
NEW_RESPONSE: dict[str, Any] = {
    "id": "resp_1",
    "object": "response",
    "status": "hibernating",
    "service_tier": "overnight",
    "truncation": "middle_out",
    "incomplete_details": {"reason": "out_of_ink"},
    "output": [
        NEW_ITEM,
        {"type": "code_interpreter_call", "id": "ci_1", "status": "compiling"},
    ],
}


def completed_event(response: dict[str, Any]) -> bytes:
    event = {"type": "response.completed", "sequence_number": 9, "response": response}
    return json.dumps(event).encode()


@pytest.mark.parametrize("reader", READERS.values(), ids=READERS)
def test_values_outside_the_responses_sets_are_kept_as_sent(reader: Loads) -> None:
    data = completed_event(NEW_RESPONSE)
    event = read_event("response.completed", data, "raise", reader)
    assert isinstance(event, ResponseCompletedEvent)
    response = event.response
    message, code = response.output
    assert isinstance(message, MessageItem)
    assert isinstance(code, CodeInterpreterCallItem)
    seen = (
        response.status,
        response.service_tier,
        response.truncation,
        response.incomplete_details and response.incomplete_details.reason,
        message.role,
        message.status,
        message.phase,
        code.status,
    )
    details = NEW_RESPONSE["incomplete_details"]
    assert isinstance(details, dict)
    assert seen == (
        NEW_RESPONSE["status"],
        NEW_RESPONSE["service_tier"],
        NEW_RESPONSE["truncation"],
        details["reason"],
        NEW_ITEM["role"],
        NEW_ITEM["status"],
        NEW_ITEM["phase"],
        "compiling",
    )
    assert response.to_dict() == NEW_RESPONSE
    assert Response.from_dict(NEW_RESPONSE) == response


@pytest.mark.parametrize("reader", READERS.values(), ids=READERS)
def test_values_outside_the_chat_sets_are_kept_through_the_accumulator(reader: Loads) -> None:
    def chunk(delta: dict[str, Any], finish: str | None) -> bytes:
        choice = {"index": 0, "delta": delta, "finish_reason": finish}
        body = {"id": "c", "object": "chat.completion.chunk", "service_tier": "overnight"}
        return json.dumps({**body, "choices": [choice]}).encode()

    accumulator = ChatCompletionAccumulator()
    for data in [chunk({"role": "oracle", "content": "Hi"}, None), chunk({}, "took_a_nap")]:
        parsed = read_chunk(data, "raise", reader)
        assert isinstance(parsed, ChatCompletionChunk)
        assert parsed.to_dict() == reader(data)
        accumulator.add(parsed)
    accumulator.close()
    completion = accumulator.result()
    (choice,) = completion.choices
    seen: tuple[str | None, ...] = (
        choice.finish_reason,
        choice.message.role,
        completion.service_tier,
    )
    assert seen == ("took_a_nap", "oracle", "overnight")


def test_a_value_of_the_wrong_json_type_is_still_refused() -> None:
    data = completed_event({**NEW_RESPONSE, "status": 3})
    with pytest.raises(Exception, match=r"response\.status: expected a string or null, got int"):
        read_event("response.completed", data, "raise", loads)


@pytest.mark.parametrize("kind", [ItemStatus, ItemStatus | None, Literal["assistant"]])
def test_the_detailed_hooks_take_any_string_and_only_strings(kind: object) -> None:
    hook = converter.get_structure_hook(kind)
    assert hook("a status from the future", kind) == "a status from the future"
    with pytest.raises(TypeError, match="expected a string"):
        hook(["completed"], kind)


def test_a_closed_literal_stays_closed() -> None:
    kind = Literal["output_text"]  # a type discriminator, not one of the API's open sets
    hook = converter.get_structure_hook(kind)
    assert hook("output_text", kind) == "output_text"
    with pytest.raises(Exception, match="not_text"):
        hook("not_text", kind)


@attrs.frozen(kw_only=True)
class StatusEvent(Event):
    """An event of the shape msgspec decodes directly, with a field of an open set."""

    type: Literal["test.status"] = "test.status"
    status: ItemStatus | None = None


def test_msgspec_decodes_known_values_and_leaves_the_others_to_the_builder() -> None:
    pytest.importorskip("msgspec")
    direct = direct_decoder(StatusEvent)
    assert direct is not None
    build = structure_hook(StatusEvent, routed=True)
    for status in ["completed", "in_progress", "parked"]:
        data = json.dumps({"type": "test.status", "status": status}).encode()
        decoded = direct(data)
        built = build(json.loads(data), StatusEvent, data)
        assert built.status == status
        if status in typing.get_args(ItemStatus):
            assert decoded == built
        else:
            assert decoded is None  # msgspec refuses it: the builder, which keeps it, builds it


def test_the_types_are_the_literals() -> None:
    # Checked by mypy (``assert_type``) with the rest of the tests; run, these are no-ops.
    response = Response(id="r", status="completed")
    assert_type(response.status, ResponseStatus | None)
    chunk = parse_chat_chunk(b'{"id":"c","choices":[{"index":0,"delta":{"role":"user"}}]}')
    assert isinstance(chunk, ChatCompletionChunk)
    assert_type(chunk.choices[0].finish_reason, FinishReason | None)
    assert_type(chunk.choices[0].delta.role, ChatRole | None)
    assert chunk.choices[0].delta.role == "user"
