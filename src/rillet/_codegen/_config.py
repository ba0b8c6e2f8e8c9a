"""What is generated from the OpenAPI description, and the few choices the schemas cannot make."""

from __future__ import annotations

from typing import Final

ROOTS: Final = {
    # schema: (module, keys put first, keys left out: ``stream`` is the overloads' own argument)
    "CreateResponse": ("_responses", ("model", "input"), frozenset({"stream"})),
    "CreateChatCompletionRequest": ("_chat", ("model", "messages"), frozenset({"stream"})),
}
"""The request bodies typed, each in its module; what both use goes in ``_shared``."""

SHARED_MODULE: Final = "_shared"

REQUEST_TWINS: Final = {
    "InputImageContent": "InputImageContentParamAutoParam",
}
"""Schema -> the twin that describes it as a request takes it, where that is not ``<schema>Param``.

The spec describes some objects twice: as the API returns them (``FunctionTool``: ``strict``
required) and as a request takes them (``FunctionToolParam``). A reference to the first is
typed by the second, found by its name (``<schema>Param``) or here.
"""

NAMES: Final = {
    "InputImageContentParamAutoParam": "InputImageContentParam",  # the twin's name, repaired
    # Not identifiers, or names that say nothing.
    "ConversationParam-2": "ConversationObjectParam",
    "GrammarSyntax1": "GrammarSyntaxParam",
}
"""Schema name -> Python name, where ``<schema>Param`` (or the name itself) will not do."""

INLINE_NAMES: Final = {
    "VoiceIdsOrCustomVoice": "CustomVoiceParam",
    "CreateChatCompletionRequestAudio": "ChatCompletionAudioParam",
    "CreateChatCompletionRequestWebSearchOptions": "ChatCompletionWebSearchOptionsParam",
    "ChatCompletionNamedToolChoiceCustomCustom": "ChatCompletionNamedCustomToolParam",
    "ChatCompletionMessageCustomToolCallCustom": "ChatCompletionCustomToolCallInputParam",
    "CustomToolChatCompletionsCustom": "ChatCompletionCustomToolDefinitionParam",
    "ChatCompletionCustomToolDefinitionGrammarFormatGrammar": (
        "ChatCompletionCustomToolGrammarParam"
    ),
    "ResponseFormatJsonSchemaJsonSchema": "ResponseFormatJsonSchemaDefinitionParam",
}
"""Inline objects' names, where ``<parent><Key>Param`` (their place) reads badly.

Keys are the derived names without ``Param``; a nested object's name is derived from its
parent's final name.
"""

EXTRA_MEMBERS: Final = {
    "InputItem": ("OutputItem",),
    "ChatCompletionRequestMessage": ("ChatCompletionMessage",),
    "ChatCompletionMessageToolCalls": ("ChatToolCall",),
}
"""Schema -> rillet model classes it also takes (for an array: its items), from rillet.events.

So that what the API returned goes straight back in: ``input=[*response.output, ...]``,
``messages.append(completion.choices[0].message)``.
"""
