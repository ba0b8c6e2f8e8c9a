"""The Gemini API (``streamGenerateContent``): typed chunks, their accumulation, the stream rules.

``import rillet`` does not import this package: it is imported when first used.
"""

from __future__ import annotations

from typing import TypeAlias as _TypeAlias

from rillet.gemini._accumulate import GeminiAccumulator
from rillet.gemini._client import DEFAULT_BASE_URL, AsyncClient, AsyncModels, Client, Models
from rillet.gemini._decoder import FrameDecodeError, GeminiDecoder
from rillet.gemini._params import (
    ContentDict,
    Contents,
    GenerateContentConfig,
    GenerationConfig,
    ThinkingConfig,
)
from rillet.gemini._parse import parse_gemini_frame
from rillet.gemini._protocol import GeminiProtocol
from rillet.gemini._streams import (
    GeminiStreamEvent,
    GenerateContentStream,
    SyncGenerateContentStream,
)
from rillet.gemini._types import (
    Blob,
    BlockReason,
    Candidate,
    CitationMetadata,
    CitationSource,
    CodeExecutionResult,
    Content,
    ExecutableCode,
    FileData,
    FinishReason,
    FunctionCall,
    FunctionResponse,
    GeminiError,
    GeminiErrorEvent,
    GenerateContentResponse,
    GroundingMetadata,
    HarmCategory,
    HarmProbability,
    ModalityTokenCount,
    Part,
    PartialArg,
    PromptFeedback,
    SafetyRating,
    ToolCall,
    ToolResponse,
    UrlContextMetadata,
    UrlMetadata,
    UsageMetadata,
)

__all__ = [
    "AsyncClient",
    "AsyncModels",
    "Blob",
    "BlockReason",
    "Candidate",
    "CitationMetadata",
    "CitationSource",
    "Client",
    "CodeExecutionResult",
    "Content",
    "ContentDict",
    "Contents",
    "DEFAULT_BASE_URL",
    "ExecutableCode",
    "FileData",
    "FinishReason",
    "FrameDecodeError",
    "FunctionCall",
    "FunctionResponse",
    "GeminiAccumulator",
    "GeminiDecoder",
    "GeminiError",
    "GeminiErrorEvent",
    "GeminiEvent",
    "GeminiProtocol",
    "GeminiStreamEvent",
    "GenerateContentConfig",
    "GenerateContentResponse",
    "GenerateContentStream",
    "GenerationConfig",
    "GroundingMetadata",
    "HarmCategory",
    "HarmProbability",
    "ModalityTokenCount",
    "Models",
    "Part",
    "PartialArg",
    "PromptFeedback",
    "SafetyRating",
    "SyncGenerateContentStream",
    "ThinkingConfig",
    "ToolCall",
    "ToolResponse",
    "UrlContextMetadata",
    "UrlMetadata",
    "UsageMetadata",
    "parse_gemini_frame",
]

GeminiEvent: _TypeAlias = GenerateContentResponse | GeminiErrorEvent
"""What a Gemini stream's body holds: chunks, and an error object (``type`` narrows it)."""
