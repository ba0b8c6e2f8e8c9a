"""From a frame's JSON to its typed object: a chunk, or an error object."""

from __future__ import annotations

from typing import Final

from rillet._json import JSONValue, Loads, loads
from rillet.events._model import Build, structure_hook
from rillet.events._parse import _INVALID, InvalidEvent, OnInvalid, _invalid, _not_json, _not_valid
from rillet.gemini._types import GeminiErrorEvent, GenerateContentResponse

__all__ = ["parse_gemini_frame", "read_frame"]

_CHUNK: Final = "gemini.chunk"
_ERROR: Final = "gemini.error"
_builders: tuple[Build[GenerateContentResponse], Build[GeminiErrorEvent]] | None = None


def _make_builders() -> tuple[Build[GenerateContentResponse], Build[GeminiErrorEvent]]:
    global _builders  # noqa: PLW0603 - made once, at the first frame
    _builders = (
        structure_hook(GenerateContentResponse, routed=True),
        structure_hook(GeminiErrorEvent, routed=True),
    )
    return _builders


def parse_gemini_frame(
    data: bytes, *, on_invalid: OnInvalid = "raise"
) -> GenerateContentResponse | GeminiErrorEvent | InvalidEvent:
    """The object in one frame of a Gemini stream: a chunk, or an ``{"error": ...}`` object.

    Raises:
        EventDecodeError: The data is not a valid chunk (with ``on_invalid="raise"``).
    """
    return read_frame(data, on_invalid, loads)


def read_frame(
    data: bytes, on_invalid: OnInvalid, read: Loads
) -> GenerateContentResponse | GeminiErrorEvent | InvalidEvent:
    """:func:`parse_gemini_frame`, the JSON read by ``read``."""
    try:
        payload: JSONValue = read(data)
    except (ValueError, RecursionError) as error:
        return _not_json(_CHUNK, data, error, on_invalid)
    if type(payload) is not dict:
        return _invalid(_CHUNK, data, None, "not a JSON object", on_invalid)
    build_chunk, build_error = _builders or _make_builders()
    if "error" in payload and "candidates" not in payload:
        try:
            return build_error(payload, GeminiErrorEvent, data)
        except _INVALID as error:
            return _not_valid(
                error, GeminiErrorEvent, payload, data, event_type=_ERROR, on_invalid=on_invalid
            )
    try:
        return build_chunk(payload, GenerateContentResponse, data)
    except _INVALID as error:
        return _not_valid(
            error, GenerateContentResponse, payload, data, event_type=_CHUNK, on_invalid=on_invalid
        )
