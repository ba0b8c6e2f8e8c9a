"""The usual ``content_block_delta`` decoded by msgspec in one C call (``rillet[speedups]``).

Text, tool input and thinking deltas are most of a stream. msgspec decodes such a payload into
the structs below only when the delta's JSON has exactly its ``type`` and its one field
(``forbid_unknown_fields``): the delta's ``to_dict()``, made from its fields, is then its JSON,
and the event's is its payload as ever. Anything else (another kind, another field, a type that
is off, what msgspec refuses) is read by the JSON path, which builds the same or explains.

No ``from __future__ import annotations`` here: msgspec reads the structs' annotations.
"""

from collections.abc import Callable
from typing import Any, Literal

import msgspec

from rillet.events import Event

__all__ = ["delta_decoder"]


class _Text(msgspec.Struct, tag_field="type", tag="text_delta", forbid_unknown_fields=True):
    text: str


class _JSON(msgspec.Struct, tag_field="type", tag="input_json_delta", forbid_unknown_fields=True):
    partial_json: str


class _Thinking(msgspec.Struct, tag_field="type", tag="thinking_delta", forbid_unknown_fields=True):
    thinking: str


class _Delta(msgspec.Struct):
    type: Literal["content_block_delta"]
    index: int
    delta: _Text | _JSON | _Thinking


def delta_decoder(
    event: Callable[..., Event],
    text: Callable[..., Any],
    json_text: Callable[..., Any],
    thinking: Callable[..., Any],
) -> Callable[[bytes], Event | None]:
    """Decodes a payload into its event (made by ``event`` and the delta's maker), or ``None``."""
    decode = msgspec.json.Decoder(_Delta).decode
    refused = msgspec.MsgspecError

    def direct(data: bytes) -> Event | None:
        try:
            found = decode(data)
        except refused:
            return None
        delta = found.delta
        if isinstance(delta, _Text):
            made = text(delta.text, None)
        elif isinstance(delta, _JSON):
            made = json_text(delta.partial_json, None)
        else:
            made = thinking(delta.thinking, None)
        return event(found.index, made, data)

    return direct
