"""What of a stream goes into a channel: selectors, from an event to zero or more entries."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from typing import TypeAlias

from typing_extensions import TypeVar

from rillet.events._chat import ChatEvent
from rillet.events._neutral import NeutralEvent, TextDelta
from rillet.events._responses import Event

__all__ = ["E", "Selector", "all_events", "only", "text"]

E = TypeVar("E", default=Event)
"""The events of a stream that is relayed: rillet's, or any of the user's."""

Selector: TypeAlias = Callable[[E], Iterable[tuple[str, str]]]
"""Chooses what of an event goes into a channel: zero or more ``(event name, data)`` entries."""


def _entry(event: Event) -> tuple[str, str]:
    return event.type, json.dumps(event.to_dict(), ensure_ascii=False, separators=(",", ":"))


_DERIVED = (NeutralEvent, ChatEvent)  # derived by rillet from the provider's events


def all_events(event: Event) -> Iterable[tuple[str, str]]:
    """The provider's own events, each as it came (its type, its JSON).

    Not the events rillet derives from them: neither the neutral ones nor, for chat, the
    ``chat.*`` events (a chat stream's entries are its chunks).
    """
    return () if isinstance(event, _DERIVED) else (_entry(event),)


def only(*kinds: str | type[Event]) -> Selector:
    """The events of these types (type strings or event classes, neutral ones too), as JSON.

    ``only("response.output_text.delta", ToolCallDone)``.
    """
    names = frozenset(kind for kind in kinds if isinstance(kind, str))
    classes = tuple(kind for kind in kinds if not isinstance(kind, str))

    def select(event: Event) -> Iterable[tuple[str, str]]:
        chosen = event.type in names or isinstance(event, classes)
        return (_entry(event),) if chosen else ()

    return select


def text(event: Event) -> Iterable[tuple[str, str]]:
    """The output text (of the first choice), delta by delta: ``("text", <a JSON string>)``."""
    if isinstance(event, TextDelta) and event.choice == 0 and event.text:
        return (("text", json.dumps(event.text, ensure_ascii=False)),)
    return ()
