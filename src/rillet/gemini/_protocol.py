"""The rules of a Gemini stream, for the stream machine (sans-IO).

A Gemini stream has no end event and no ``[DONE]``: the body just ends. That end is the
stream's own end if the response finished (a ``finishReason`` on every candidate) or the
prompt was blocked (``promptFeedback.blockReason``, no candidates: a finished stream whose
neutral reason is ``content_filter``, not an error); otherwise the stream was cut, a
:class:`~rillet.StreamTruncatedError` carrying what came. An error object in the body (bare
JSON, or a ``data:`` frame holding ``{"error": ...}``) ends the stream with a
:class:`~rillet.ServerStreamError` (``code``: the HTTP-like code, ``error_type``: the status
such as ``"CANCELLED"``), which carries the partial response too.
"""

from __future__ import annotations

from collections.abc import Iterable

from rillet._errors import ServerStreamError, StreamTruncatedError
from rillet._protocols import Record, StreamProtocol
from rillet._sse import ServerSentEvent
from rillet.events import Event, OnInvalid, TextDelta
from rillet.gemini._accumulate import GeminiAccumulator
from rillet.gemini._decoder import GeminiDecoder
from rillet.gemini._parse import parse_gemini_frame
from rillet.gemini._types import GeminiErrorEvent, GenerateContentResponse, UsageMetadata

__all__ = ["GeminiProtocol"]


class GeminiProtocol(StreamProtocol[GenerateContentResponse]):
    """A ``streamGenerateContent`` stream: chunks, their neutral events, and the body's end."""

    text_type = TextDelta

    def __init__(self, *, on_invalid: OnInvalid = "raise") -> None:
        self.on_invalid: OnInvalid = on_invalid
        self.accumulator = GeminiAccumulator()
        self._decoder = GeminiDecoder()
        self._ended = False

    def decoder(self) -> GeminiDecoder:
        """A decoder of ``data:`` frames and bare JSON objects."""
        self._decoder = GeminiDecoder()
        return self._decoder

    def receive_all(self, chunk: bytes, events: Iterable[ServerSentEvent], record: Record) -> bool:
        """Type, accumulate and record each chunk, then its neutral events.

        Raises:
            ServerStreamError: An error object came (after it and its Finished are recorded).
        """
        del chunk
        on_invalid, add = self.on_invalid, self.accumulator.add
        for sse in events:
            data = sse.raw_data
            frame = parse_gemini_frame(data, on_invalid=on_invalid)
            if type(frame) is GenerateContentResponse:
                derived = add(frame)
                record(frame, (None, data))
                for event in derived:
                    record(event, event)
            elif type(frame) is GeminiErrorEvent:
                record(frame, (None, data))
                self._fail(frame, record)
            else:
                record(frame, (None, data))  # an InvalidEvent, under on_invalid="return"
        return False

    def _fail(self, frame: GeminiErrorEvent, record: Record) -> None:
        error = frame.error
        for event in self.accumulator.failed(error.status or str(error.code)):
            record(event, event)
        raise ServerStreamError(
            message=error.message,
            code=error.code,
            error_type=error.status,
            param=None,
            event=frame,
            partial=self.snapshot,
        )

    def receive_eof(self, record: Record) -> None:
        """Take the last frame the end completed; if the response finished, its end events."""
        self.receive_all(b"", self._decoder.tail, record)
        if self._decoder.unterminated is None and self.accumulator.finished:
            self._ended = True
            for event in self.accumulator.finish():
                record(event, event)

    @property
    def ended(self) -> bool:
        """Whether the body ended with the response finished (or the prompt blocked)."""
        return self._ended

    @property
    def snapshot(self) -> GenerateContentResponse | None:
        """The response accumulated so far."""
        return self.accumulator.snapshot

    @property
    def usage(self) -> UsageMetadata | None:
        """The last ``usageMetadata``."""
        return self.accumulator.usage

    @property
    def response_id(self) -> str | None:
        """The ``responseId``, once a chunk said it."""
        snapshot = self.snapshot
        return None if snapshot is None else snapshot.response_id

    def replay(self, entry: tuple[str | None, bytes]) -> Event:
        """Parse a logged frame again."""
        return parse_gemini_frame(entry[1], on_invalid="return")

    def result(self, cut: str) -> GenerateContentResponse:
        """The whole response, or the error that says why there is none."""
        snapshot = self.snapshot
        if self._ended and snapshot is not None:
            return snapshot
        if self.accumulator.chunks == 0:
            why = "no chunk came"
        else:
            why = "no finishReason on every candidate, and no prompt block"
        reason = f"{cut}: {why}"
        raise StreamTruncatedError(reason, partial=snapshot)
