"""Messages API streams: the shared async and blocking loops, with a view of the message.

Plain iteration yields the stream's own events (``message_start``... and unknown ones);
:meth:`events` adds the neutral events derived from them (:class:`~rillet.events.TextDelta`...).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, cast

from rillet._dispatch import ArgumentsEvent
from rillet._protocols import Item
from rillet._stream import _EventStream
from rillet._sync_stream import _SyncEventStream
from rillet._view import _AccumulatorView
from rillet.anthropic._accumulate import MessageAccumulator
from rillet.anthropic._events import (
    AnthropicStreamEvent,
    ContentBlockDeltaEvent,
    ContentBlockStartEvent,
    ContentBlockStopEvent,
)
from rillet.anthropic._message import Message, Usage
from rillet.events import (
    ToolCallArgumentsDelta,
    ToolCallDone,
    ToolCallStarted,
    UnknownEvent,
)

if TYPE_CHECKING:
    # Named in the streams' bases as strings: at run time, the unions would be evaluated.
    from rillet.anthropic._events import AnthropicEvent  # noqa: F401
    from rillet.events import AnyNeutralEvent  # noqa: F401

__all__ = ["MessageStream", "SyncMessageStream"]

_OWN = cast("type[Item]", (AnthropicStreamEvent, UnknownEvent))
# What plain iteration yields: the stream's own events, unknown ones included (a tuple of
# classes, which the log's cursor takes as isinstance() does).


class _MessageView(_AccumulatorView[Message, MessageAccumulator, Usage]):
    """What a Messages API stream adds: the partial JSON of its tool blocks."""

    _yields: type[Item] = _OWN

    def partial_arguments(self, event: ArgumentsEvent) -> Any:  # noqa: ANN401 - JSON
        """The input so far of the tool block ``event`` is about, parsed as JSON.

        ``event`` is a ``content_block_*`` event of a tool block, or a neutral tool call event
        (:class:`~rillet.events.ToolCallArgumentsDelta`...); any other gives ``None``.

        Raises:
            PartialJSONError: The input is not JSON.
        """
        accumulator = self.accumulator
        if isinstance(
            event, ContentBlockStartEvent | ContentBlockDeltaEvent | ContentBlockStopEvent
        ):
            return accumulator.partial_arguments(event.index)
        if isinstance(event, ToolCallArgumentsDelta | ToolCallDone | ToolCallStarted):
            return accumulator.partial_arguments(accumulator.block_of_call(event.index))
        return None


class MessageStream(
    _EventStream[Message, "AnthropicEvent", "AnthropicEvent | AnyNeutralEvent"], _MessageView
):
    """A Messages API stream: ``async for event in stream`` yields its typed events.

    Use it as an async context manager. ``await final_response()`` (or ``get_final_message()``,
    as the official SDK names it) reads the rest and returns the :class:`Message`;
    ``snapshot`` is the message so far; ``text_deltas()`` yields only the text.
    """

    async def get_final_message(self) -> Message:
        """``final_response()``, by the official SDK's name."""
        return await self.final_response()


class SyncMessageStream(
    _SyncEventStream[Message, "AnthropicEvent", "AnthropicEvent | AnyNeutralEvent"],
    _MessageView,
):
    """A Messages API stream for blocking code: ``for event in stream``."""

    def get_final_message(self) -> Message:
        """``get_final_response()``, by the official SDK's name."""
        return self.get_final_response()
