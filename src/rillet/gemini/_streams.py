"""Gemini streams, async and blocking: the shared loops, and a view of the Gemini protocol."""

from __future__ import annotations

from typing import Any, TypeAlias

from rillet._dispatch import ArgumentsEvent
from rillet._protocols import Item
from rillet._stream import _EventStream
from rillet._sync_stream import _SyncEventStream
from rillet._view import _AccumulatorView
from rillet.events import (
    AnyNeutralEvent,
    InvalidEvent,
    ToolCallArgumentsDelta,
    ToolCallDone,
    ToolCallStarted,
)
from rillet.gemini._accumulate import GeminiAccumulator
from rillet.gemini._types import GeminiErrorEvent, GenerateContentResponse, UsageMetadata

__all__ = ["GeminiStreamEvent", "GenerateContentStream", "SyncGenerateContentStream"]

GeminiStreamEvent: TypeAlias = (
    GenerateContentResponse | GeminiErrorEvent | AnyNeutralEvent | InvalidEvent
)
"""What ``stream.events()`` yields: the chunks, an error object, and the neutral events."""


class _GeminiView(_AccumulatorView[GenerateContentResponse, GeminiAccumulator, UsageMetadata]):
    """What a Gemini stream adds: iteration yields the chunks."""

    _yields: type[Item] = GenerateContentResponse

    def partial_arguments(self, event: ArgumentsEvent) -> Any:  # noqa: ANN401 - JSON
        """The arguments so far of the function call a neutral tool call event is about.

        Any other event gives ``None`` (Gemini's own chunks carry whole calls).
        """
        if isinstance(event, ToolCallStarted | ToolCallArgumentsDelta | ToolCallDone):
            return self.accumulator.partial_arguments(event.index, event.choice)
        return None


class GenerateContentStream(
    _EventStream[GenerateContentResponse, GenerateContentResponse, GeminiStreamEvent], _GeminiView
):
    """A Gemini stream: ``async for`` yields each chunk (a ``GenerateContentResponse``).

    ``events()`` also yields the neutral events (``TextDelta``, ``ToolCallDone``,
    ``Finished``...) after the chunk they come from. ``await final_response()`` returns the
    whole response, its parts joined.
    """


class SyncGenerateContentStream(
    _SyncEventStream[GenerateContentResponse, GenerateContentResponse, GeminiStreamEvent],
    _GeminiView,
):
    """A Gemini stream for blocking code (``for chunk in stream``).

    As :class:`GenerateContentStream`, without ``await``.
    """
