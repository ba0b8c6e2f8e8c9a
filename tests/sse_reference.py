"""A deliberately simple, obviously-correct SSE decoder: the oracle for differential tests.

It decodes the whole stream at once, character by character, following the WHATWG
"interpreting an event stream" algorithm literally. Slow, but easy to check against the spec.
"""

from __future__ import annotations

from rillet.sse import ServerSentEvent


def reference_decode(  # noqa: C901, PLR0912, PLR0915 (the spec, step by step)
    stream: bytes, last_event_id: str = ""
) -> tuple[list[ServerSentEvent], str, int | None]:
    """Decode a complete stream: (events, committed last event ID, retry)."""
    text = stream.decode("utf-8", "replace")
    text = text.removeprefix("\ufeff")
    lines: list[str] = []
    current: list[str] = []
    i = 0
    terminated = False
    while i < len(text):
        ch = text[i]
        if ch in "\r\n":
            lines.append("".join(current))
            current = []
            if ch == "\r" and i + 1 < len(text) and text[i + 1] == "\n":
                i += 1
            terminated = True
        else:
            current.append(ch)
            terminated = False
        i += 1
    del terminated  # an unterminated last line is never processed: EOF discards it
    events: list[ServerSentEvent] = []
    data = ""
    event_type = ""
    id_buffer = last_event_id
    committed = last_event_id
    retry: int | None = None
    for line in lines:
        if line == "":
            committed = id_buffer
            if data == "":
                event_type = ""
                continue
            data = data.removesuffix("\n")
            events.append(
                ServerSentEvent(
                    event=event_type or "message",
                    raw_data=data.encode("utf-8"),
                    id=id_buffer,
                    retry=retry,
                    has_event_field=bool(event_type),
                )
            )
            data = ""
            event_type = ""
            continue
        if line.startswith(":"):
            continue
        if ":" in line:
            name, _, value = line.partition(":")
            value = value.removeprefix(" ")
        else:
            name, value = line, ""
        if name == "data":
            data += value + "\n"
        elif name == "event":
            event_type = value
        elif name == "id":
            if "\0" not in value:
                id_buffer = value
        elif name == "retry" and value and all("0" <= c <= "9" for c in value):
            digits = value.lstrip("0") or "0"
            retry = int(digits) if len(digits) <= 10 else 9_999_999_999  # rillet's documented cap
    return events, committed, retry
