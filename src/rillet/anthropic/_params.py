"""What ``client.messages.create()`` takes: the request body's parameters, and the call's options.

Hand-written and concise: the common parameters of ``POST /v1/messages``, their nested values as
JSON (a ``Message``'s content blocks may be sent back as they are: rillet writes them as the
JSON they came from). A parameter newer than these goes in ``extra_body``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Literal, Required, TypedDict

from rillet._options import StreamCallOptions

__all__ = ["MessageCreateParams", "MessageParam"]


class MessageParam(TypedDict, total=False):
    """One turn of the conversation: ``{"role": "user", "content": "Hello"}``.

    ``content`` is text, or a list of content blocks (JSON objects, or rillet's blocks of an
    earlier ``Message``).
    """

    role: Required[Literal["user", "assistant"]]
    content: Required[str | Sequence[Any]]


class MessageCreateParams(StreamCallOptions, total=False):
    """The parameters of ``POST /v1/messages`` (besides ``stream``), and the call's options.

    Attributes:
        model: The model (``"claude-sonnet-4-5"``...).
        max_tokens: The most tokens the answer may have.
        messages: The conversation so far, ending with the user's turn.
        system: The system prompt: text, or text blocks.
        tools: The tools the model may call (client tools, and server tools by ``type``).
        tool_choice: Whether and which tool it must call (``{"type": "auto"}``...).
        thinking: Extended thinking (``{"type": "enabled", "budget_tokens": 2048}``).
        temperature: Randomness, 0 to 1.
        top_p: Nucleus sampling.
        top_k: Sample from the ``top_k`` most likely tokens only.
        stop_sequences: Texts that end the answer when generated.
        metadata: ``{"user_id": ...}``.
        service_tier: ``"auto"`` or ``"standard_only"``.
        betas: Beta features, sent as the ``anthropic-beta`` header (not in the body).
    """

    model: Required[str]
    max_tokens: Required[int]
    messages: Required[Sequence[MessageParam | Mapping[str, Any]]]
    system: str | Sequence[Mapping[str, Any]]
    tools: Sequence[Mapping[str, Any]]
    tool_choice: Mapping[str, Any]
    thinking: Mapping[str, Any]
    temperature: float
    top_p: float
    top_k: int
    stop_sequences: Sequence[str]
    metadata: Mapping[str, Any]
    service_tier: Literal["auto", "standard_only"]
    container: str | Mapping[str, Any]
    mcp_servers: Sequence[Mapping[str, Any]]
    context_management: Mapping[str, Any]
    betas: Sequence[str]
