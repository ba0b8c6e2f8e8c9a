r"""Folds the events of a Messages API stream into the ``Message``, and derives neutral events.

Sans-IO: :meth:`MessageAccumulator.add` takes one event and returns the provider-neutral events
it completes (:class:`~rillet.events.TextDelta`, :class:`~rillet.events.ToolCallDone`...).

The message is built as the official SDK builds it (``get_final_message()``): text and thinking
joined, citations appended, the signature and a compaction summary set, the tool input parsed
from its streamed JSON, and ``message_delta`` setting the stop reason and overwriting each usage
count it sends (they are cumulative totals; one it leaves out keeps the ``message_start``
value). Where rillet differs, on purpose:

* text is kept in :class:`~rillet._accumulate._text.TextBuffer`\\ s and the tool input parsed
  once, at the block's end, not re-parsed at every delta (the SDK's work grows with the square of
  a long input);
* a tool input that the stream cuts off (``max_tokens`` before ``content_block_stop``) is parsed
  as far as it goes, an open string kept as far as it came (as the SDK does for the
  fine-grained tool streaming beta; without it the SDK drops the open string);
* a second ``message_start`` that repeats the first (same id) is ignored, one of another message
  is an error (the SDK would merge two messages' blocks into one).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Final, Literal, cast

from rillet._accumulate._partial import PartialValues
from rillet._accumulate._text import TextBuffer
from rillet._errors import (
    EventDecodeError,
    InconsistentStreamError,
    PartialJSONError,
    ServerStreamError,
    StreamTruncatedError,
    excerpt,
)
from rillet._json import loads
from rillet.anthropic._events import (
    AnthropicErrorEvent,
    CitationsBlockDelta,
    CompactionBlockDelta,
    ContentBlockDeltaEvent,
    ContentBlockStartEvent,
    ContentBlockStopEvent,
    InputJSONBlockDelta,
    MessageDeltaEvent,
    MessageStartEvent,
    MessageStopEvent,
    SignatureBlockDelta,
    TextBlockDelta,
    ThinkingBlockDelta,
)
from rillet.anthropic._message import ContentBlock, Message, end_reason, neutral_usage
from rillet.events import (
    Event,
    Finished,
    NeutralEvent,
    ReasoningDelta,
    TextDelta,
    TextDone,
    ToolCallArgumentsDelta,
    ToolCallDone,
    ToolCallStarted,
    UsageReported,
)
from rillet.events._model import evolve, json_to_read, maker

__all__ = ["MessageAccumulator", "Outcome"]

Outcome = Literal["streaming", "stopped", "failed"]
"""Where a stream is: still streaming, ended by ``message_stop``, or ended by an ``error``."""

_TOOL_KINDS: Final = frozenset({"tool_use", "server_tool_use", "mcp_tool_use"})
"""The blocks whose input streams as JSON."""

_text_delta = maker(TextDelta, "text")
_text_done = maker(TextDone, "text")
_reasoning_delta = maker(ReasoningDelta, "text")
_arguments_delta = maker(ToolCallArgumentsDelta, "index", "id", "name", "delta")
_tool_started = maker(ToolCallStarted, "index", "id", "name")
_tool_done = maker(ToolCallDone, "index", "id", "name", "arguments")
_usage_reported = maker(UsageReported, "usage")
_finished = maker(Finished, "reason", "provider_reason")


class _Block:
    """A content block being streamed: its start, and what its deltas brought."""

    __slots__ = (
        "built",
        "call",
        "changes",
        "citations",
        "cut",
        "done",
        "json",
        "kind",
        "start",
        "text",
    )

    def __init__(self, start: ContentBlock, call: int) -> None:
        self.start: Any = start  # read by kind: its fields differ
        self.kind: str = start.type
        self.call = call  # its index among the client tool calls (-1: not one)
        self.text: TextBuffer | None = None  # text, thinking: None until a delta
        self.json: TextBuffer | None = None  # the streamed input of a tool block
        self.citations: list[Any] | None = None
        self.changes: dict[str, Any] = {}  # other fields set by deltas (signature, compaction)
        self.done = False
        self.cut = False  # the message ended before the block did
        self.built: ContentBlock | None = start

    def build(self) -> ContentBlock:
        built = self.built
        if built is None:
            changes = dict(self.changes)
            if self.text is not None:
                changes["thinking" if self.kind == "thinking" else "text"] = self.text.value()
            if self.citations is not None:
                changes["citations"] = list(self.citations)
            if self.json is not None and len(self.json):
                changes["input"] = self.input()
            built = self.built = evolve(self.start, **changes) if changes else self.start
        return built

    def input(self) -> Any:  # noqa: ANN401 - JSON
        """The tool input: the streamed JSON parsed (as far as it has come, while it streams)."""
        text = self.json.value() if self.json is not None else ""
        if not text:
            return getattr(self.start, "input", {})
        if self.done and not self.cut:
            return loads(text.encode())
        from rillet._partial_json import PartialJSON  # noqa: PLC0415 - a block not whole

        parser = PartialJSON()
        try:
            parser.feed(text)
        except PartialJSONError:
            return getattr(self.start, "input", {})
        return parser.value

    def arguments(self) -> str:
        """The JSON text of the input, whole: as streamed, else the input's own JSON."""
        text = self.json.value() if self.json is not None else ""
        if text and not self.cut:
            return text
        import json  # noqa: PLC0415 - only for calls that did not stream their input

        return json.dumps(self.input(), ensure_ascii=False)


class MessageAccumulator:
    """Builds the ``Message`` of a Messages API stream from its events.

    Feed it events with :meth:`add` (it returns the neutral events each completes), read
    :attr:`snapshot` at any time, and :meth:`result` at the end.
    """

    def __init__(self) -> None:
        self._start: Message | None = None
        self._blocks: list[_Block] = []
        self._by_index: dict[int, _Block] = {}
        self._calls = 0  # client tool calls so far
        self._call_blocks: list[int] = []  # the content index of each client tool call
        self._changes: dict[str, Any] = {}  # message fields message_delta set
        self._usage: dict[str, Any] = {}  # usage counts message_delta set
        self._snapshot: Message | None = None
        self._partials: PartialValues[int] = PartialValues()
        self.outcome: Outcome = "streaming"
        self.events = 0  # events added
        self.error: AnthropicErrorEvent | None = None

    # -- reading ------------------------------------------------------------------------------

    @property
    def snapshot(self) -> Message | None:
        """The message so far (``None`` before ``message_start``)."""
        snapshot = self._snapshot
        if snapshot is None:
            start = self._start
            if start is None:
                return None
            changes = dict(self._changes)
            changes["content"] = [block.build() for block in self._blocks]
            if self._usage:
                changes["usage"] = evolve(start.usage, **self._usage)
            snapshot = self._snapshot = evolve(start, **changes)
        return snapshot

    @property
    def partial_output(self) -> Any:  # noqa: ANN401 - JSON
        """The first text block parsed as JSON as far as it has come (structured output).

        Raises:
            PartialJSONError: The text is not JSON.
        """
        for block in self._blocks:
            if block.kind == "text":
                text = block.text
                return None if text is None else self._partials.read(-1, text)
        return None

    def partial_arguments(self, index: int) -> Any:  # noqa: ANN401 - JSON
        """The input of the tool block at content ``index`` parsed as JSON as far as it has come.

        Raises:
            PartialJSONError: The input is not JSON.
        """
        block = self._by_index.get(index)
        if block is None or block.json is None:
            return None
        return self._partials.read(index, block.json)

    def block_of_call(self, call: int) -> int:
        """The content index of client tool call number ``call`` (-1: no such call)."""
        blocks = self._call_blocks
        return blocks[call] if 0 <= call < len(blocks) else -1

    def result(self) -> Message:
        """The whole message, once ``message_stop`` came.

        Raises:
            StreamTruncatedError: The stream has not ended (or was cut); it carries the partial
                message.
            ServerStreamError: The stream ended with an ``error`` event.
        """
        if self.outcome == "failed" and self.error is not None:
            raise self._server_error(self.error)
        snapshot = self.snapshot
        if self.outcome != "stopped" or snapshot is None:
            what = "no message_start" if snapshot is None else "no message_stop"
            reason = f"the stream ended after {self.events} event(s) with {what}"
            raise StreamTruncatedError(reason, partial=snapshot)
        return snapshot

    # -- adding -------------------------------------------------------------------------------

    def add(self, event: Event) -> list[NeutralEvent]:
        """Fold one event in; return the neutral events it derives, in order.

        Raises:
            InconsistentStreamError: The event contradicts the earlier ones (a block that was
                never started, an event before ``message_start``...).
            StreamTruncatedError: A ``message_start`` of another message came before this one
                ended (the error carries this one).
            EventDecodeError: A tool block's streamed input is not JSON.
        """
        self.events += 1
        kind = type(event)
        if kind is ContentBlockDeltaEvent:
            return self._delta(event)  # type: ignore[arg-type]  # pyright: ignore[reportArgumentType]
        handler = _HANDLERS.get(kind)
        if handler is None:
            return []  # ping, unknown events
        derived: list[NeutralEvent] = handler(self, event)
        return derived

    def _require_start(self, event: Event) -> Message:
        if self._start is None:
            raise InconsistentStreamError(
                event_type=event.type, sequence_number=None, reason="no message_start before it"
            )
        return self._start

    def _message_start(self, event: MessageStartEvent) -> list[NeutralEvent]:
        message = event.message
        if self._start is not None:
            if message.id == self._start.id:
                return []  # sent twice: the same message
            reason = (
                f"a message_start of another message ({message.id}) came before message "
                f"{self._start.id} ended"
            )
            raise StreamTruncatedError(reason, partial=self.snapshot, code="other_response")
        self._start = message
        self._snapshot = None
        derived: list[NeutralEvent] = []
        # A message may arrive whole in message_start (programmatic tool calling).
        for index, block in enumerate(message.content):
            new = self._open(index, block, derived)
            new.done = True
            self._close(new, derived)
        return derived

    def _open(self, index: int, block: ContentBlock, derived: list[NeutralEvent]) -> _Block:
        if index in self._by_index:
            raise InconsistentStreamError(
                event_type="content_block_start",
                sequence_number=None,
                reason=f"block {index} started twice",
            )
        call = -1
        if block.type == "tool_use":
            call, self._calls = self._calls, self._calls + 1
            self._call_blocks.append(index)
            derived.append(_tool_started(call, block.id, block.name))
        new = self._by_index[index] = _Block(block, call)
        self._blocks.append(new)
        if block.type == "text" and block.text:
            derived.append(_text_delta(block.text))
        return new

    def _block_start(self, event: ContentBlockStartEvent) -> list[NeutralEvent]:
        self._require_start(event)
        self._snapshot = None
        derived: list[NeutralEvent] = []
        block = event.content_block
        self._open(event.index, block, derived)
        if block.type == "unknown" and block.block_type == "fallback":
            # The model that served the answer after a fallback (as the SDK relabels it).
            to = json_to_read(block).get("to")
            model = cast("dict[str, Any]", to).get("model") if isinstance(to, dict) else None
            if type(model) is str:
                self._changes["model"] = model
        return derived

    def _block(self, event: Event, index: int) -> _Block:
        block = self._by_index.get(index)
        if block is None:
            raise InconsistentStreamError(
                event_type=event.type,
                sequence_number=None,
                reason=f"content block {index} was never started",
            )
        return block

    def _delta(self, event: ContentBlockDeltaEvent) -> list[NeutralEvent]:
        block = self._by_index.get(event.index) or self._block(event, event.index)
        block.built = self._snapshot = None
        fold = _DELTAS.get(type(event.delta))
        return [] if fold is None else fold(block, event.delta)

    def _block_stop(self, event: ContentBlockStopEvent) -> list[NeutralEvent]:
        block = self._block(event, event.index)
        if block.done:
            return []
        block.done = True
        block.built = self._snapshot = None
        derived: list[NeutralEvent] = []
        self._close(block, derived)
        return derived

    def _close(self, block: _Block, derived: list[NeutralEvent]) -> None:
        """The block is whole (or the message ended): its input parsed, its neutral end."""
        if block.kind in _TOOL_KINDS:
            try:
                block.build()
            except ValueError as error:
                text = block.json.value() if block.json is not None else ""
                raise EventDecodeError(
                    event_type="content_block_stop",
                    field="input",
                    reason=f"the streamed tool input is not JSON ({error})",
                    excerpt=excerpt(text.encode()),
                ) from None
            if block.call >= 0:
                start: Any = block.start
                arguments = block.arguments()
                if block.json is None or not block.json.value():
                    # Its input came whole (in the block's start): one delta of all of it, so
                    # that the deltas make the arguments, as for a streamed input.
                    derived.append(_arguments_delta(block.call, start.id, start.name, arguments))
                derived.append(_tool_done(block.call, start.id, start.name, arguments))
        elif block.kind == "text":
            derived.append(_text_done(block.text.value() if block.text else block.start.text))

    def _message_delta(self, event: MessageDeltaEvent) -> list[NeutralEvent]:
        self._require_start(event)
        self._snapshot = None
        changes, delta = self._changes, event.delta
        changes["stop_reason"] = delta.stop_reason
        changes["stop_sequence"] = delta.stop_sequence
        changes["stop_details"] = delta.stop_details
        if delta.container is not None:
            changes["container"] = delta.container
        wire = json_to_read(event)
        for name in ("context_management", "input_transformations"):
            value = wire.get(name)
            if value is not None:
                changes[name] = value
        usage: Any = wire.get("usage")
        if type(usage) is dict:
            # Cumulative totals: each count sent overwrites, one left out (or null) stays.
            counts = cast("dict[str, Any]", usage)
            self._usage.update((key, value) for key, value in counts.items() if value is not None)
        return []

    def _message_stop(self, event: MessageStopEvent) -> list[NeutralEvent]:
        self._require_start(event)
        derived: list[NeutralEvent] = []
        # A block the stream left open (max_tokens mid-input) ends with the message.
        for block in self._blocks:
            if not block.done:
                block.done = block.cut = True
                block.built = None
                self._close(block, derived)
        self._snapshot = None
        self.outcome = "stopped"
        message = self.snapshot
        assert message is not None  # noqa: S101 - message_start came
        derived.append(_usage_reported(neutral_usage(message.usage)))
        reason = message.stop_reason
        derived.append(_finished(end_reason(reason, self._calls), reason))
        return derived

    def _error(self, event: AnthropicErrorEvent) -> list[NeutralEvent]:
        self.outcome = "failed"
        self.error = event
        return [_finished("error", event.error.type or None)]

    def _server_error(self, event: AnthropicErrorEvent) -> ServerStreamError[Any]:
        return ServerStreamError(
            message=event.error.message,
            code=None,
            error_type=event.error.type or None,
            param=None,
            event=event,
            partial=self.snapshot,
        )


_HANDLERS: Final[dict[type[Event], Any]] = {
    MessageStartEvent: MessageAccumulator._message_start,  # noqa: SLF001
    ContentBlockStartEvent: MessageAccumulator._block_start,  # noqa: SLF001
    ContentBlockStopEvent: MessageAccumulator._block_stop,  # noqa: SLF001
    MessageDeltaEvent: MessageAccumulator._message_delta,  # noqa: SLF001
    MessageStopEvent: MessageAccumulator._message_stop,  # noqa: SLF001
    AnthropicErrorEvent: MessageAccumulator._error,  # noqa: SLF001
}


# -- deltas: each kind folded into the block it is for (a delta for another kind of block is
# ignored, as the SDK ignores it) ------------------------------------------------------------


def _fold_text(block: _Block, delta: TextBlockDelta) -> list[NeutralEvent]:
    if block.kind != "text":
        return []
    text = delta.text
    if block.text is None:
        block.text = TextBuffer(block.start.text)
    block.text.append(text)
    return [_text_delta(text)] if text else []


def _fold_json(block: _Block, delta: InputJSONBlockDelta) -> list[NeutralEvent]:
    if block.kind not in _TOOL_KINDS:
        return []
    part = delta.partial_json
    if block.json is None:
        block.json = TextBuffer()
    block.json.append(part)
    if part and block.call >= 0:
        start: Any = block.start
        return [_arguments_delta(block.call, start.id, start.name, part)]
    return []


def _fold_thinking(block: _Block, delta: ThinkingBlockDelta) -> list[NeutralEvent]:
    if block.kind != "thinking":
        return []
    thinking = delta.thinking
    if block.text is None:
        block.text = TextBuffer(block.start.thinking)
    block.text.append(thinking)
    return [_reasoning_delta(thinking)] if thinking else []


def _fold_signature(block: _Block, delta: SignatureBlockDelta) -> list[NeutralEvent]:
    if block.kind == "thinking":
        block.changes["signature"] = delta.signature
    return []


def _fold_citation(block: _Block, delta: CitationsBlockDelta) -> list[NeutralEvent]:
    if block.kind == "text":
        if block.citations is None:
            block.citations = list(block.start.citations or ())
        block.citations.append(delta.citation)
    return []


def _fold_compaction(block: _Block, delta: CompactionBlockDelta) -> list[NeutralEvent]:
    if block.kind == "compaction":  # the summary arrives whole: it replaces the content
        block.changes["content"] = delta.content
        block.changes["encrypted_content"] = delta.encrypted_content
    return []


_DELTAS: Final[dict[type[Any], Callable[[_Block, Any], list[NeutralEvent]]]] = {
    TextBlockDelta: _fold_text,
    InputJSONBlockDelta: _fold_json,
    ThinkingBlockDelta: _fold_thinking,
    SignatureBlockDelta: _fold_signature,
    CitationsBlockDelta: _fold_citation,
    CompactionBlockDelta: _fold_compaction,
}
