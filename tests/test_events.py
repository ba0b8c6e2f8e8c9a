"""Typed events: the registry, every corpus event, round trips and the Response object."""

from __future__ import annotations

import itertools
import json
import pickle
import re
from typing import Any

import attrs
import pytest

from corpus_files import manifest, read
from rillet import events as ev
from rillet.events import (
    EVENT_TYPES,
    RESPONSE_EVENT_TYPES,
    ChatCompletionChunk,
    ChatErrorEvent,
    DeltaEvent,
    Event,
    InvalidEvent,
    KeepaliveEvent,
    MessageItem,
    Model,
    OutputTextContent,
    ResponseCompletedEvent,
    ResponseIncompleteEvent,
    ResponseLifecycleEvent,
    ResponseOutputTextDeltaEvent,
    ResponseStreamEvent,
    UnknownEvent,
    parse_chat_chunk,
    parse_event,
    parse_event_data,
)
from rillet.events._model import maker
from rillet.sse import ServerSentEvent, SSEDecoder

RESPONSES = [e["file"] for e in manifest() if not e["file"].startswith("chat/")]
CHATS = [e["file"] for e in manifest() if e["file"].startswith("chat/")]


def sse_events(name: str) -> list[ServerSentEvent]:
    decoder = SSEDecoder()
    events = decoder.feed(read(name))
    decoder.close()
    return events


def expected_class_name(event_type: str) -> str:
    if event_type == "error":
        return "ResponseErrorEvent"
    words = re.split(r"[._]", event_type)
    return "".join(word.capitalize() for word in words) + "Event"


def test_every_responses_event_type_has_its_class() -> None:
    documented = set(RESPONSE_EVENT_TYPES) - {"keepalive"}
    assert len(documented) == 59
    for event_type, cls in RESPONSE_EVENT_TYPES.items():
        assert issubclass(cls, ResponseStreamEvent)
        assert cls.__name__ == expected_class_name(event_type)
        assert cls.__doc__
        assert "__slots__" in vars(cls)
    assert set(EVENT_TYPES) > set(RESPONSE_EVENT_TYPES)


@pytest.mark.parametrize("name", RESPONSES)
def test_every_corpus_event_is_typed_and_round_trips(name: str) -> None:
    for sse in sse_events(name):
        event = parse_event(sse)
        assert type(event) is RESPONSE_EVENT_TYPES[event.type]
        assert not isinstance(event, UnknownEvent)
        assert event.to_dict() == json.loads(sse.raw_data)
        assert type(event).from_dict(event.to_dict()) == event
        if isinstance(event, ResponseLifecycleEvent):
            assert event.response.to_dict() == json.loads(sse.raw_data)["response"]
        if isinstance(event, DeltaEvent):
            assert isinstance(event.delta, str)


@pytest.mark.parametrize("name", CHATS)
def test_every_corpus_chat_chunk_is_typed_and_round_trips(name: str) -> None:
    events = sse_events(name)
    assert events[-1].raw_data == b"[DONE]"
    for sse in events[:-1]:
        chunk = parse_chat_chunk(sse.raw_data)
        assert isinstance(chunk, ChatCompletionChunk)
        assert chunk.type == "chat.completion.chunk"
        assert chunk.to_dict() == json.loads(sse.raw_data)
        assert ChatCompletionChunk.from_dict(chunk.to_dict()) == chunk


def completed_response(name: str) -> ResponseCompletedEvent | ResponseIncompleteEvent | None:
    for sse in sse_events(name):
        event = parse_event(sse)
        if isinstance(event, ResponseCompletedEvent | ResponseIncompleteEvent):
            return event
    return None


# Streams that end with the whole response (not the failed one, nor one cut short).
FINISHED = [name for name in RESPONSES if completed_response(name) is not None]


def test_nearly_every_corpus_stream_finishes() -> None:
    assert len(FINISHED) == len(RESPONSES) - 1


@pytest.mark.parametrize("name", FINISHED)
def test_output_text_joins_the_text_of_every_message(name: str) -> None:
    completed = completed_response(name)
    assert completed is not None
    deltas = [
        e for e in map(parse_event, sse_events(name)) if isinstance(e, ResponseOutputTextDeltaEvent)
    ]
    output = completed.response.output
    by_item = {item.id: i for i, item in enumerate(output) if isinstance(item, MessageItem)}
    deltas.sort(key=lambda e: (by_item[e.item_id], e.content_index))  # stable: stream order
    assert completed.response.output_text == "".join(e.delta for e in deltas)


def test_output_text_of_two_messages_and_of_none() -> None:
    completed = completed_response("responses/two_message_items.sse")
    assert completed is not None
    messages = [i for i in completed.response.output if isinstance(i, MessageItem)]
    assert len(messages) == 2
    texts = [p.text for m in messages for p in m.content if isinstance(p, OutputTextContent)]
    assert completed.response.output_text == "".join(texts)
    assert "".join(texts)
    assert completed.response.from_dict({"id": "resp_1", "output": []}).output_text == ""


def test_unknown_and_keepalive_events() -> None:
    unknown = parse_event_data(
        "response.rate_limits.updated",
        b'{"type":"response.rate_limits.updated","sequence_number":9,"rate_limits":[]}',
    )
    assert isinstance(unknown, UnknownEvent)
    assert (unknown.type, unknown.sequence_number) == ("unknown", 9)
    assert unknown.event_type == "response.rate_limits.updated"
    assert unknown.data == {
        "type": "response.rate_limits.updated",
        "sequence_number": 9,
        "rate_limits": [],
    }
    assert UnknownEvent.from_dict(unknown.to_dict()) == unknown
    keepalive = parse_event(ServerSentEvent(raw_data=b'{"type":"keepalive"}'))
    assert isinstance(keepalive, KeepaliveEvent)
    assert keepalive.sequence_number is None


def test_models_built_by_hand_have_their_fields_as_dict() -> None:
    event = ResponseOutputTextDeltaEvent(
        item_id="msg_1", output_index=0, content_index=0, delta="Hi", sequence_number=3
    )
    assert event.to_dict() == {
        "type": "response.output_text.delta",
        "sequence_number": 3,
        "item_id": "msg_1",
        "output_index": 0,
        "content_index": 0,
        "delta": "Hi",
        "logprobs": [],
        "obfuscation": None,
    }
    assert ResponseOutputTextDeltaEvent.from_dict(event.to_dict()) == event
    # A chunk's type is not on the wire, so it is not in its dict either.
    assert "type" not in ChatCompletionChunk(id="c1").to_dict()


def test_to_dict_is_a_copy_and_from_dict_keeps_none_of_the_input() -> None:
    data = {"type": "keepalive", "sequence_number": 1, "extra": {"nested": [1]}}
    event = KeepaliveEvent.from_dict(data)
    data["extra"]["nested"].append(2)  # type: ignore[index]
    first = event.to_dict()
    first["extra"]["nested"].append(3)
    assert event.to_dict() == {"type": "keepalive", "sequence_number": 1, "extra": {"nested": [1]}}


def test_chat_error_payload_and_azure_chunk() -> None:
    error = parse_chat_chunk(
        b'{"error":{"message":"overloaded","type":"server_error","code":null}}'
    )
    assert isinstance(error, ChatErrorEvent)
    assert (error.type, error.error.message, error.error.type) == (
        "chat.error",
        "overloaded",
        "server_error",
    )
    assert "type" not in error.to_dict()
    assert ChatErrorEvent.from_dict(error.to_dict()) == error
    first_azure = sse_events("chat/azure_prompt_filter_results.sse")[0]
    chunk = parse_chat_chunk(first_azure.raw_data)
    assert isinstance(chunk, ChatCompletionChunk)
    assert (chunk.object, chunk.choices) == ("", [])


def test_every_event_class_is_an_event() -> None:
    for cls in EVENT_TYPES.values():
        assert issubclass(cls, Event)


@pytest.mark.parametrize(
    ("cls", "names", "values"),
    [
        (ev.ChatContentDeltaEvent, ("choice_index", "delta"), (1, "hi")),
        (ev.ChatRefusalDeltaEvent, ("delta",), ("no",)),
        (ev.ChatCompletionChunk, ("id", "created"), ("c", 7)),  # a factory default: choices
    ],
)
def test_a_maker_builds_what_the_keyword_constructor_builds(
    cls: type[ev.Event], names: tuple[str, ...], values: tuple[Any, ...]
) -> None:
    made = maker(cls, *names)(*values)
    fields: dict[str, Any] = dict(zip(names, values, strict=True))
    expected = cls(**fields)
    assert type(made) is cls
    assert made == expected
    assert repr(made) == repr(expected)
    assert made.to_dict() == expected.to_dict()
    with pytest.raises(attrs.exceptions.FrozenInstanceError):
        made.type = "other"  # type: ignore[misc]
    again = maker(cls, *names)(*values)
    if isinstance(made, ev.ChatCompletionChunk) and isinstance(again, ev.ChatCompletionChunk):
        assert made.choices is not again.choices  # a new list each


def test_a_maker_must_be_given_the_fields_without_defaults() -> None:
    with pytest.raises(TypeError, match="delta has no default"):
        maker(ev.ChatContentDeltaEvent, "choice_index")


def twin_class(cls: type[Model]) -> type:
    """A class attrs builds with the fields of ``cls``, writing its own methods for them."""
    if cls not in TWINS:
        TWINS[cls] = attrs.make_class(
            cls.__name__,
            {
                field.name: attrs.field(repr=field.repr, eq=field.eq, hash=field.hash)
                for field in attrs.fields(cls)
            },
            frozen=True,
            slots=True,
            kw_only=True,
        )
    return TWINS[cls]


TWINS: dict[type, type] = {}


def attrs_twin(model: Model) -> object:
    """``model``'s values in its :func:`twin_class`."""
    fields = attrs.fields(type(model))
    return twin_class(type(model))(**{field.alias: getattr(model, field.name) for field in fields})


def models_in(value: object) -> list[Model]:
    """``value`` and every model it holds."""
    found: list[Model] = []
    pending = [value]
    while pending:
        current = pending.pop()
        if isinstance(current, Model):
            found.append(current)
            pending += [getattr(current, field.name) for field in attrs.fields(type(current))]
        elif isinstance(current, list):
            pending += current
    return found


def hash_or_error(value: object) -> int | str:
    try:
        return hash(value)
    except TypeError as error:
        return str(error)


def test_models_repr_compare_and_hash_as_attrs_would() -> None:
    """Models share one __repr__, __eq__ and __hash__ (attrs compiles none): the same results."""
    events: list[Event] = [parse_event(sse) for name in RESPONSES for sse in sse_events(name)] + [
        parse_event_data("response.created", b"{", on_invalid="return")
    ]
    models = [model for event in events for model in models_in(event)]
    assert len({type(model) for model in models}) > 40
    for model, other in itertools.pairwise(models):
        twin, other_twin = attrs_twin(model), attrs_twin(other)
        assert repr(model) == repr(twin)
        assert (model == other, model != other) == (twin == other_twin, twin != other_twin)
        copy = pickle.loads(pickle.dumps(model))  # noqa: S301 - our own bytes
        assert (model == copy, model != copy) == (True, False)
        if not isinstance(model, InvalidEvent):  # its error is not JSON
            rebuilt = type(model).from_dict(model.to_dict())  # another source: not compared
            assert (model == rebuilt, attrs_twin(rebuilt) == twin) == (True, True)
        assert isinstance(hash_or_error(model), int) == isinstance(hash_or_error(twin), int)
        if isinstance(hash_or_error(model), int):
            assert hash(model) == hash(copy)
    for cls in {type(model) for model in models}:
        assert cls.__repr__ is Model.__repr__
        assert cls.__eq__ is Model.__eq__
        assert cls.__hash__ is Model.__hash__
