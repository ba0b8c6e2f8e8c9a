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

NAMES: Final = {
    # The spec has both X and XParam here: X, on the main path of a request (the tools list,
    # a message's content), is XParam; the spec's XParam gets a name saying where it is used.
    "FunctionToolParam": "NamespaceFunctionToolParam",
    "InputTextContentParam": "FunctionCallOutputTextParam",
    "InputImageContentParamAutoParam": "FunctionCallOutputImageParam",
    "InputFileContentParam": "FunctionCallOutputFileParam",
    # Not identifiers, or names that say nothing.
    "ConversationParam-2": "ConversationObjectParam",
    "GrammarSyntax1": "GrammarSyntaxParam",
}
"""Schema name -> Python name, where ``<schema>Param`` (or the name itself) will not do."""

SAME: Final = {
    # The request-side twins of these differ only in length limits: one type serves both.
    "ToolCallCallerParam": "ToolCallCaller",
    "DirectToolCallCallerParam": "DirectToolCallCaller",
    "ProgramToolCallCallerParam": "ProgramToolCallCaller",
}
"""Schema -> the schema whose type it uses (the generator checks they come out the same)."""

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
