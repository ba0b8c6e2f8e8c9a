"""Which class each event type string names: the registries, and classes built on first use.

28 Responses event types (the progress of hosted tools, shell calls, compaction, audio) have no
handler in the accumulator, and most streams never carry one: their classes are in
:mod:`rillet.events._responses_rare`, built the first time one of them is needed (an event of
such a type is parsed, a class is imported, or ``RESPONSE_EVENT_TYPES`` is read), not at
``import rillet``, where building them cost ~7 ms. Knowing the type strings builds nothing:
``EVENT_TYPES`` lists them all (the router checks its patterns against it), and looks a class up
only when asked for it.
"""

from __future__ import annotations

import importlib
from collections.abc import Iterator, Mapping
from typing import TYPE_CHECKING, Final

from rillet.events._chat import CHAT_EVENT_TYPES
from rillet.events._model import by_type
from rillet.events._neutral import NEUTRAL_EVENT_TYPES
from rillet.events._responses import (
    Event,
    KeepaliveEvent,
    ResponseCodeInterpreterCallCodeDeltaEvent,
    ResponseCodeInterpreterCallCodeDoneEvent,
    ResponseCompletedEvent,
    ResponseContentPartAddedEvent,
    ResponseContentPartDoneEvent,
    ResponseCreatedEvent,
    ResponseCustomToolCallInputDeltaEvent,
    ResponseCustomToolCallInputDoneEvent,
    ResponseErrorEvent,
    ResponseFailedEvent,
    ResponseFunctionCallArgumentsDeltaEvent,
    ResponseFunctionCallArgumentsDoneEvent,
    ResponseImageGenerationCallPartialImageEvent,
    ResponseIncompleteEvent,
    ResponseInProgressEvent,
    ResponseMcpCallArgumentsDeltaEvent,
    ResponseMcpCallArgumentsDoneEvent,
    ResponseOutputItemAddedEvent,
    ResponseOutputItemDoneEvent,
    ResponseOutputTextAnnotationAddedEvent,
    ResponseOutputTextDeltaEvent,
    ResponseOutputTextDoneEvent,
    ResponseQueuedEvent,
    ResponseReasoningSummaryPartAddedEvent,
    ResponseReasoningSummaryPartDoneEvent,
    ResponseReasoningSummaryTextDeltaEvent,
    ResponseReasoningSummaryTextDoneEvent,
    ResponseReasoningTextDeltaEvent,
    ResponseReasoningTextDoneEvent,
    ResponseRefusalDeltaEvent,
    ResponseRefusalDoneEvent,
    ResponseStreamEvent,
)

__all__ = [
    "EVENT_TYPES",
    "RESPONSE_EVENT_TYPES",
    "provider_event_classes",
    "response_event_class",
]

_CLASSES: Final[dict[str, type[ResponseStreamEvent]]] = {
    **by_type(
        ResponseErrorEvent,
        ResponseCreatedEvent,
        ResponseQueuedEvent,
        ResponseInProgressEvent,
        ResponseCompletedEvent,
        ResponseFailedEvent,
        ResponseIncompleteEvent,
        ResponseOutputItemAddedEvent,
        ResponseOutputItemDoneEvent,
        ResponseContentPartAddedEvent,
        ResponseContentPartDoneEvent,
        ResponseOutputTextDeltaEvent,
        ResponseOutputTextDoneEvent,
        ResponseOutputTextAnnotationAddedEvent,
        ResponseRefusalDeltaEvent,
        ResponseRefusalDoneEvent,
        ResponseFunctionCallArgumentsDeltaEvent,
        ResponseFunctionCallArgumentsDoneEvent,
        ResponseCustomToolCallInputDeltaEvent,
        ResponseCustomToolCallInputDoneEvent,
        ResponseReasoningSummaryPartAddedEvent,
        ResponseReasoningSummaryPartDoneEvent,
        ResponseReasoningSummaryTextDeltaEvent,
        ResponseReasoningSummaryTextDoneEvent,
        ResponseReasoningTextDeltaEvent,
        ResponseReasoningTextDoneEvent,
        ResponseCodeInterpreterCallCodeDeltaEvent,
        ResponseCodeInterpreterCallCodeDoneEvent,
        ResponseImageGenerationCallPartialImageEvent,
        ResponseMcpCallArgumentsDeltaEvent,
        ResponseMcpCallArgumentsDoneEvent,
    ),
    "keepalive": KeepaliveEvent,
}
# The Responses event classes built so far, by type string: the parser's registry.

_RARE: Final[dict[str, str]] = {
    "response.web_search_call.in_progress": "ResponseWebSearchCallInProgressEvent",
    "response.web_search_call.searching": "ResponseWebSearchCallSearchingEvent",
    "response.web_search_call.completed": "ResponseWebSearchCallCompletedEvent",
    "response.file_search_call.in_progress": "ResponseFileSearchCallInProgressEvent",
    "response.file_search_call.searching": "ResponseFileSearchCallSearchingEvent",
    "response.file_search_call.completed": "ResponseFileSearchCallCompletedEvent",
    "response.code_interpreter_call.in_progress": "ResponseCodeInterpreterCallInProgressEvent",
    "response.code_interpreter_call.interpreting": "ResponseCodeInterpreterCallInterpretingEvent",
    "response.code_interpreter_call.completed": "ResponseCodeInterpreterCallCompletedEvent",
    "response.image_generation_call.in_progress": "ResponseImageGenerationCallInProgressEvent",
    "response.image_generation_call.generating": "ResponseImageGenerationCallGeneratingEvent",
    "response.image_generation_call.completed": "ResponseImageGenerationCallCompletedEvent",
    "response.mcp_call.in_progress": "ResponseMcpCallInProgressEvent",
    "response.mcp_call.completed": "ResponseMcpCallCompletedEvent",
    "response.mcp_call.failed": "ResponseMcpCallFailedEvent",
    "response.mcp_list_tools.in_progress": "ResponseMcpListToolsInProgressEvent",
    "response.mcp_list_tools.completed": "ResponseMcpListToolsCompletedEvent",
    "response.mcp_list_tools.failed": "ResponseMcpListToolsFailedEvent",
    "response.shell_call_command.added": "ResponseShellCallCommandAddedEvent",
    "response.shell_call_command.delta": "ResponseShellCallCommandDeltaEvent",
    "response.shell_call_command.done": "ResponseShellCallCommandDoneEvent",
    "response.shell_call_output_content.delta": "ResponseShellCallOutputContentDeltaEvent",
    "response.shell_call_output_content.done": "ResponseShellCallOutputContentDoneEvent",
    "response.compaction.compacting": "ResponseCompactionCompactingEvent",
    "response.audio.delta": "ResponseAudioDeltaEvent",
    "response.audio.done": "ResponseAudioDoneEvent",
    "response.audio.transcript.delta": "ResponseAudioTranscriptDeltaEvent",
    "response.audio.transcript.done": "ResponseAudioTranscriptDoneEvent",
}
# The types whose classes are built on first use, and their names in _responses_rare.


_ANTHROPIC: Final = "rillet.anthropic._events:"
_PROVIDERS: Final[dict[str, tuple[str, ...]]] = {
    "message_start": (_ANTHROPIC + "MessageStartEvent",),
    "content_block_start": (_ANTHROPIC + "ContentBlockStartEvent",),
    "content_block_delta": (_ANTHROPIC + "ContentBlockDeltaEvent",),
    "content_block_stop": (_ANTHROPIC + "ContentBlockStopEvent",),
    "message_delta": (_ANTHROPIC + "MessageDeltaEvent",),
    "message_stop": (_ANTHROPIC + "MessageStopEvent",),
    "ping": (_ANTHROPIC + "PingEvent",),
    "error": (_ANTHROPIC + "AnthropicErrorEvent",),
    "gemini.chunk": ("rillet.gemini._types:GenerateContentResponse",),
    "gemini.error": ("rillet.gemini._types:GeminiErrorEvent",),
}
# The other providers' event types: their classes' modules and names ("module:Class"), imported
# only when a class is asked for (``import rillet`` imports no provider package). A type string
# may name classes of several providers (Anthropic's "error" and the Responses API's).


def provider_event_classes(event_type: str) -> tuple[type[Event], ...]:
    """The classes of another provider's event type ``event_type`` (imports their modules)."""
    classes: list[type[Event]] = []
    for where in _PROVIDERS.get(event_type, ()):
        module, _, name = where.partition(":")
        classes.append(getattr(importlib.import_module(module), name))
    return tuple(classes)


def response_event_class(event_type: str) -> type[ResponseStreamEvent] | None:
    """The class of the Responses event type ``event_type`` (``None``: not one rillet knows).

    A dict lookup; the first lookup of a rare type builds the rare classes.
    """
    cls = _CLASSES.get(event_type)
    if cls is None and event_type in _RARE:
        _build_rare_classes()
        cls = _CLASSES[event_type]
    return cls


def _build_rare_classes() -> None:
    from rillet.events import _responses_rare  # noqa: PLC0415 - the point: only when needed

    for event_type, name in _RARE.items():
        _CLASSES.setdefault(event_type, getattr(_responses_rare, name))


class _EventTypes(Mapping[str, type[Event]]):
    """A read-only mapping of every event type to its class, that builds a class only when asked.

    Its keys are known from the start: listing them, or asking whether a type is known, builds
    nothing.
    """

    def __init__(self, built: Mapping[str, type[Event]]) -> None:
        self._built = built
        self._types = dict.fromkeys([*_CLASSES, *_RARE, *built, *_PROVIDERS])

    def __getitem__(self, event_type: str) -> type[Event]:
        """The class of ``event_type`` (of a type several providers share: the first's)."""
        cls: type[Event] | None = self._built.get(event_type) or response_event_class(event_type)
        if cls is None and event_type in _PROVIDERS:
            cls = provider_event_classes(event_type)[0]
        if cls is None or event_type not in self._types:
            raise KeyError(event_type)
        return cls

    def __contains__(self, event_type: object) -> bool:
        return event_type in self._types

    def __iter__(self) -> Iterator[str]:
        return iter(self._types)

    def __len__(self) -> int:
        return len(self._types)

    def __repr__(self) -> str:
        return f"{type(self).__name__}({dict(self)!r})"


EVENT_TYPES: Mapping[str, type[Event]] = _EventTypes({**CHAT_EVENT_TYPES, **NEUTRAL_EVENT_TYPES})
"""Every event type string rillet knows (of every provider, and the neutral ones), and its class."""

if TYPE_CHECKING:
    RESPONSE_EVENT_TYPES: dict[str, type[ResponseStreamEvent]]
    """Every Responses stream event type string, and its class."""
else:

    def __getattr__(name: str) -> object:
        # RESPONSE_EVENT_TYPES is the parser's registry, made whole when first read.
        if name != "RESPONSE_EVENT_TYPES":
            msg = f"module {__name__!r} has no attribute {name!r}"
            raise AttributeError(msg)
        _build_rare_classes()
        globals()[name] = _CLASSES
        return _CLASSES
