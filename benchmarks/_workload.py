"""Workloads shared by the benchmarks: realistic Responses and Chat Completions streams as bytes,
and chunkings."""

from __future__ import annotations

import json
import random
import string
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass

# Deltas with some non-ASCII text written raw, as the API sends it.
_WORDS = (
    "the",
    "stream",
    "of",
    "tokens",
    "arrives",
    "quickly",
    "and",
    "every",
    "delta",
    "carries",
    "a",
    "few",
    "characters",
    "of",
    "text",
    "while",
    "the",
    "model",
    "thinks",
    "about",
    "cafés",
    "—",
    "“quoted”",
    "words,",
    "emoji",
    "🙂",
    "and",
    "日本語",
)


def _event(payload: dict[str, object]) -> bytes:
    data = json.dumps(payload, ensure_ascii=False, separators=(",", ":"))
    return f"event: {payload['type']}\ndata: {data}\n\n".encode()


def responses_stream(n_deltas: int, *, seed: int = 0) -> bytes:
    """A Responses API text stream with ``n_deltas`` ``response.output_text.delta`` events.

    Shaped like the API's: created/in_progress, an output item and content part, the deltas
    (real-looking ids and obfuscation padding, ~270 bytes each), then the done events.
    """
    rng = random.Random(seed)
    resp_id = "resp_" + "".join(rng.choices("0123456789abcdef", k=48))
    item_id = "msg_" + "".join(rng.choices("0123456789abcdef", k=48))
    response = {
        "id": resp_id,
        "object": "response",
        "created_at": 1760000000,
        "status": "in_progress",
        "model": "gpt-5-2025-08-07",
        "output": [],
        "usage": None,
    }
    seq = 0
    out = [
        _event({"type": "response.created", "sequence_number": 0, "response": response}),
        _event({"type": "response.in_progress", "sequence_number": 1, "response": response}),
    ]
    seq = 2
    out.append(
        _event(
            {
                "type": "response.output_item.added",
                "sequence_number": seq,
                "output_index": 0,
                "item": {
                    "id": item_id,
                    "type": "message",
                    "status": "in_progress",
                    "content": [],
                    "role": "assistant",
                },
            }
        )
    )
    seq += 1
    out.append(
        _event(
            {
                "type": "response.content_part.added",
                "sequence_number": seq,
                "item_id": item_id,
                "output_index": 0,
                "content_index": 0,
                "part": {"type": "output_text", "annotations": [], "logprobs": [], "text": ""},
            }
        )
    )
    alphabet = string.ascii_letters + string.digits
    text: list[str] = []
    for _ in range(n_deltas):
        seq += 1
        delta = " " + rng.choice(_WORDS)
        text.append(delta)
        out.append(
            _event(
                {
                    "type": "response.output_text.delta",
                    "content_index": 0,
                    "delta": delta,
                    "item_id": item_id,
                    "logprobs": [],
                    "obfuscation": "".join(rng.choices(alphabet, k=rng.randint(1, 16))),
                    "output_index": 0,
                    "sequence_number": seq,
                }
            )
        )
    full = "".join(text)
    part = {"type": "output_text", "annotations": [], "logprobs": [], "text": full}
    item = {
        "id": item_id,
        "type": "message",
        "status": "completed",
        "content": [part],
        "role": "assistant",
    }
    at = {"item_id": item_id, "output_index": 0, "content_index": 0}
    seq += 1
    out.append(
        _event(
            {
                "type": "response.output_text.done",
                "sequence_number": seq,
                **at,
                "text": full,
                "logprobs": [],
            }
        )
    )
    seq += 1
    out.append(
        _event({"type": "response.content_part.done", "sequence_number": seq, **at, "part": part})
    )
    seq += 1
    out.append(
        _event(
            {
                "type": "response.output_item.done",
                "sequence_number": seq,
                "output_index": 0,
                "item": item,
            }
        )
    )
    seq += 1
    done = {**response, "status": "completed", "output": [item]}
    out.append(_event({"type": "response.completed", "sequence_number": seq, "response": done}))
    return b"".join(out)


def chat_stream(n_deltas: int, *, include_usage: bool = True, seed: int = 0) -> bytes:
    """A Chat Completions text stream with ``n_deltas`` content chunks, then ``data: [DONE]``.

    Shaped like the API's (as recorded in late 2025): a role chunk (``content: ""``), the content
    chunks (~330 bytes each: id, ``service_tier``, ``system_fingerprint``, ``obfuscation``
    padding), a ``finish_reason`` chunk and, with ``include_usage`` (what
    ``stream_options={"include_usage": True}`` asks for), a usage chunk with no choices:
    ``n_deltas + 3`` chunks in all.
    """
    rng = random.Random(seed)
    alphabet = string.ascii_letters + string.digits
    head = {
        "id": "chatcmpl-" + "".join(rng.choices(alphabet, k=29)),
        "object": "chat.completion.chunk",
        "created": 1766084443,
        "model": "gpt-4o-2024-08-06",
        "service_tier": "default",
        "system_fingerprint": "fp_" + "".join(rng.choices("0123456789abcdef", k=10)),
    }

    def chunk(choices: list[object], usage: object = None) -> bytes:
        payload = {
            **head,
            "choices": choices,
            "usage": usage,
            "obfuscation": "".join(rng.choices(alphabet, k=rng.randint(1, 16))),
        }
        data = json.dumps(payload, ensure_ascii=False, separators=(",", ":"))
        return f"data: {data}\n\n".encode()

    def choice(delta: dict[str, object], finish_reason: str | None = None) -> list[object]:
        return [{"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish_reason}]

    out = [chunk(choice({"role": "assistant", "content": "", "refusal": None}))]
    out.extend(chunk(choice({"content": " " + rng.choice(_WORDS)})) for _ in range(n_deltas))
    out.append(chunk(choice({}, "stop")))
    if include_usage:
        usage = {
            "prompt_tokens": 14,
            "completion_tokens": n_deltas,
            "total_tokens": 14 + n_deltas,
            "prompt_tokens_details": {"cached_tokens": 0, "audio_tokens": 0},
            "completion_tokens_details": {
                "reasoning_tokens": 0,
                "audio_tokens": 0,
                "accepted_prediction_tokens": 0,
                "rejected_prediction_tokens": 0,
            },
        }
        out.append(chunk([], usage))
    out.append(b"data: [DONE]\n\n")
    return b"".join(out)


def big_event(size: int) -> bytes:
    """One event whose data line is ``size`` bytes (an image-generation partial, say)."""
    head = b'event: response.image_generation_call.partial_image\ndata: {"partial_image_b64":"'
    tail = b'"}\n\n'
    return head + b"A" * (size - len(head) - len(tail)) + tail


def chunked(body: bytes, size: int) -> list[bytes]:
    """``body`` cut into chunks of ``size`` bytes, as a network would deliver them."""
    return [body[i : i + size] for i in range(0, len(body), size)]


@dataclass(frozen=True)
class Result:
    """One timed run: the best of several repeats."""

    name: str
    seconds: float
    events: int
    nbytes: int

    @property
    def us_per_event(self) -> float:
        return self.seconds / self.events * 1e6

    @property
    def mb_per_s(self) -> float:
        return self.nbytes / self.seconds / 1e6


def best_of(repeats: int, run: Callable[[], int]) -> tuple[float, int]:
    """Run ``run`` ``repeats`` times with the GC paused; return (best seconds, its result)."""
    import gc  # noqa: PLC0415
    import time  # noqa: PLC0415

    best = float("inf")
    result = 0
    for _ in range(repeats):
        gc.collect()
        gc.disable()
        try:
            start = time.perf_counter()
            result = run()
            best = min(best, time.perf_counter() - start)
        finally:
            gc.enable()
    return best, result


def body_of(chunks: list[bytes]) -> Callable[[], AsyncIterator[bytes]]:
    """An async byte stream of ``chunks``, anew at each call (a mock transport's body)."""

    async def body() -> AsyncIterator[bytes]:
        for chunk in chunks:
            yield chunk

    return body
