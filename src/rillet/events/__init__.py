"""Typed events and objects of the Responses API and Chat Completions streams.

Sans-IO: these classes and parse functions do no I/O. See :func:`parse_event`.
"""

import typing

from rillet._lazy import imported_on_first_use as _imported_on_first_use
from rillet.events._chat import CHAT_EVENT_TYPES as CHAT_EVENT_TYPES
from rillet.events._chat import ChatCompletion as ChatCompletion
from rillet.events._chat import ChatCompletionChunk as ChatCompletionChunk
from rillet.events._chat import ChatCompletionMessage as ChatCompletionMessage
from rillet.events._chat import ChatContentDeltaEvent as ChatContentDeltaEvent
from rillet.events._chat import ChatContentDoneEvent as ChatContentDoneEvent
from rillet.events._chat import ChatError as ChatError
from rillet.events._chat import ChatErrorEvent as ChatErrorEvent
from rillet.events._chat import ChatEvent as ChatEvent
from rillet.events._chat import ChatRefusalDeltaEvent as ChatRefusalDeltaEvent
from rillet.events._chat import ChatRefusalDoneEvent as ChatRefusalDoneEvent
from rillet.events._chat import ChatToolCall as ChatToolCall
from rillet.events._chat import ChatToolCallArgumentsDeltaEvent as ChatToolCallArgumentsDeltaEvent
from rillet.events._chat import ChatToolCallArgumentsDoneEvent as ChatToolCallArgumentsDoneEvent
from rillet.events._chat import ChoiceDelta as ChoiceDelta
from rillet.events._chat import ChoiceDeltaFunctionCall as ChoiceDeltaFunctionCall
from rillet.events._chat import ChoiceDeltaToolCall as ChoiceDeltaToolCall
from rillet.events._chat import ChoiceLogprobs as ChoiceLogprobs
from rillet.events._chat import ChunkChoice as ChunkChoice
from rillet.events._chat import CompletionChoice as CompletionChoice
from rillet.events._chat import CompletionTokensDetails as CompletionTokensDetails
from rillet.events._chat import CompletionUsage as CompletionUsage
from rillet.events._chat import FunctionCall as FunctionCall
from rillet.events._chat import PromptTokensDetails as PromptTokensDetails
from rillet.events._chat import TokenLogprob as TokenLogprob
from rillet.events._literals import ApplyPatchCallStatus as ApplyPatchCallStatus
from rillet.events._literals import ChatRole as ChatRole
from rillet.events._literals import CodeInterpreterCallStatus as CodeInterpreterCallStatus
from rillet.events._literals import FileSearchCallStatus as FileSearchCallStatus
from rillet.events._literals import FinishReason as FinishReason
from rillet.events._literals import ImageGenerationCallStatus as ImageGenerationCallStatus
from rillet.events._literals import IncompleteReason as IncompleteReason
from rillet.events._literals import ItemStatus as ItemStatus
from rillet.events._literals import McpCallStatus as McpCallStatus
from rillet.events._literals import MessagePhase as MessagePhase
from rillet.events._literals import ResponseStatus as ResponseStatus
from rillet.events._literals import ServiceTier as ServiceTier
from rillet.events._literals import Truncation as Truncation
from rillet.events._literals import WebSearchCallStatus as WebSearchCallStatus
from rillet.events._model import Model as Model
from rillet.events._neutral import NEUTRAL_EVENT_TYPES as NEUTRAL_EVENT_TYPES
from rillet.events._neutral import AnyNeutralEvent as AnyNeutralEvent
from rillet.events._neutral import EndReason as EndReason
from rillet.events._neutral import Finished as Finished
from rillet.events._neutral import NeutralEvent as NeutralEvent
from rillet.events._neutral import NeutralResult as NeutralResult
from rillet.events._neutral import NeutralToolCall as NeutralToolCall
from rillet.events._neutral import NeutralUsage as NeutralUsage
from rillet.events._neutral import Provider as Provider
from rillet.events._neutral import ReasoningDelta as ReasoningDelta
from rillet.events._neutral import TextDelta as TextDelta
from rillet.events._neutral import TextDone as TextDone
from rillet.events._neutral import ToolCallArgumentsDelta as ToolCallArgumentsDelta
from rillet.events._neutral import ToolCallDone as ToolCallDone
from rillet.events._neutral import ToolCallStarted as ToolCallStarted
from rillet.events._neutral import UsageReported as UsageReported
from rillet.events._parse import InvalidEvent as InvalidEvent
from rillet.events._parse import OnInvalid as OnInvalid
from rillet.events._parse import parse_chat_chunk as parse_chat_chunk
from rillet.events._parse import parse_event as parse_event
from rillet.events._parse import parse_event_data as parse_event_data
from rillet.events._registry import EVENT_TYPES as EVENT_TYPES
from rillet.events._response import Annotation as Annotation
from rillet.events._response import ApplyPatchCallItem as ApplyPatchCallItem
from rillet.events._response import CodeInterpreterCallItem as CodeInterpreterCallItem
from rillet.events._response import CompactionItem as CompactionItem
from rillet.events._response import ComputerCallItem as ComputerCallItem
from rillet.events._response import ContainerFileCitation as ContainerFileCitation
from rillet.events._response import ContentPart as ContentPart
from rillet.events._response import CustomToolCallItem as CustomToolCallItem
from rillet.events._response import FileCitation as FileCitation
from rillet.events._response import FilePathAnnotation as FilePathAnnotation
from rillet.events._response import FileSearchCallItem as FileSearchCallItem
from rillet.events._response import FunctionCallItem as FunctionCallItem
from rillet.events._response import ImageGenerationCallItem as ImageGenerationCallItem
from rillet.events._response import IncompleteDetails as IncompleteDetails
from rillet.events._response import InputTokensDetails as InputTokensDetails
from rillet.events._response import LocalShellCallItem as LocalShellCallItem
from rillet.events._response import Logprob as Logprob
from rillet.events._response import McpApprovalRequestItem as McpApprovalRequestItem
from rillet.events._response import McpCallItem as McpCallItem
from rillet.events._response import McpListToolsItem as McpListToolsItem
from rillet.events._response import MessageContent as MessageContent
from rillet.events._response import MessageItem as MessageItem
from rillet.events._response import OutputItem as OutputItem
from rillet.events._response import OutputTextContent as OutputTextContent
from rillet.events._response import OutputTokensDetails as OutputTokensDetails
from rillet.events._response import ReasoningItem as ReasoningItem
from rillet.events._response import ReasoningTextContent as ReasoningTextContent
from rillet.events._response import RefusalContent as RefusalContent
from rillet.events._response import Response as Response
from rillet.events._response import ResponseError as ResponseError
from rillet.events._response import ResponseUsage as ResponseUsage
from rillet.events._response import ShellCallItem as ShellCallItem
from rillet.events._response import ShellCallOutputItem as ShellCallOutputItem
from rillet.events._response import SummaryTextContent as SummaryTextContent
from rillet.events._response import TopLogprob as TopLogprob
from rillet.events._response import UnknownAnnotation as UnknownAnnotation
from rillet.events._response import UnknownContent as UnknownContent
from rillet.events._response import UnknownItem as UnknownItem
from rillet.events._response import URLCitation as URLCitation
from rillet.events._response import WebSearchCallItem as WebSearchCallItem
from rillet.events._responses import ContentEvent as ContentEvent
from rillet.events._responses import DeltaEvent as DeltaEvent
from rillet.events._responses import Event as Event
from rillet.events._responses import ItemEvent as ItemEvent
from rillet.events._responses import KeepaliveEvent as KeepaliveEvent
from rillet.events._responses import (
    ResponseCodeInterpreterCallCodeDeltaEvent as ResponseCodeInterpreterCallCodeDeltaEvent,
)
from rillet.events._responses import (
    ResponseCodeInterpreterCallCodeDoneEvent as ResponseCodeInterpreterCallCodeDoneEvent,
)
from rillet.events._responses import ResponseCompletedEvent as ResponseCompletedEvent
from rillet.events._responses import ResponseContentPartAddedEvent as ResponseContentPartAddedEvent
from rillet.events._responses import ResponseContentPartDoneEvent as ResponseContentPartDoneEvent
from rillet.events._responses import ResponseCreatedEvent as ResponseCreatedEvent
from rillet.events._responses import (
    ResponseCustomToolCallInputDeltaEvent as ResponseCustomToolCallInputDeltaEvent,
)
from rillet.events._responses import (
    ResponseCustomToolCallInputDoneEvent as ResponseCustomToolCallInputDoneEvent,
)
from rillet.events._responses import ResponseErrorEvent as ResponseErrorEvent
from rillet.events._responses import ResponseFailedEvent as ResponseFailedEvent
from rillet.events._responses import (
    ResponseFunctionCallArgumentsDeltaEvent as ResponseFunctionCallArgumentsDeltaEvent,
)
from rillet.events._responses import (
    ResponseFunctionCallArgumentsDoneEvent as ResponseFunctionCallArgumentsDoneEvent,
)
from rillet.events._responses import (
    ResponseImageGenerationCallPartialImageEvent as ResponseImageGenerationCallPartialImageEvent,
)
from rillet.events._responses import ResponseIncompleteEvent as ResponseIncompleteEvent
from rillet.events._responses import ResponseInProgressEvent as ResponseInProgressEvent
from rillet.events._responses import ResponseLifecycleEvent as ResponseLifecycleEvent
from rillet.events._responses import (
    ResponseMcpCallArgumentsDeltaEvent as ResponseMcpCallArgumentsDeltaEvent,
)
from rillet.events._responses import (
    ResponseMcpCallArgumentsDoneEvent as ResponseMcpCallArgumentsDoneEvent,
)
from rillet.events._responses import ResponseOutputItemAddedEvent as ResponseOutputItemAddedEvent
from rillet.events._responses import ResponseOutputItemDoneEvent as ResponseOutputItemDoneEvent
from rillet.events._responses import (
    ResponseOutputTextAnnotationAddedEvent as ResponseOutputTextAnnotationAddedEvent,
)
from rillet.events._responses import ResponseOutputTextDeltaEvent as ResponseOutputTextDeltaEvent
from rillet.events._responses import ResponseOutputTextDoneEvent as ResponseOutputTextDoneEvent
from rillet.events._responses import ResponseQueuedEvent as ResponseQueuedEvent
from rillet.events._responses import (
    ResponseReasoningSummaryPartAddedEvent as ResponseReasoningSummaryPartAddedEvent,
)
from rillet.events._responses import (
    ResponseReasoningSummaryPartDoneEvent as ResponseReasoningSummaryPartDoneEvent,
)
from rillet.events._responses import (
    ResponseReasoningSummaryTextDeltaEvent as ResponseReasoningSummaryTextDeltaEvent,
)
from rillet.events._responses import (
    ResponseReasoningSummaryTextDoneEvent as ResponseReasoningSummaryTextDoneEvent,
)
from rillet.events._responses import (
    ResponseReasoningTextDeltaEvent as ResponseReasoningTextDeltaEvent,
)
from rillet.events._responses import (
    ResponseReasoningTextDoneEvent as ResponseReasoningTextDoneEvent,
)
from rillet.events._responses import ResponseRefusalDeltaEvent as ResponseRefusalDeltaEvent
from rillet.events._responses import ResponseRefusalDoneEvent as ResponseRefusalDoneEvent
from rillet.events._responses import ResponseStreamEvent as ResponseStreamEvent
from rillet.events._responses import UnknownEvent as UnknownEvent

if typing.TYPE_CHECKING:
    from rillet.events._parsed import ParsedChatCompletion as ParsedChatCompletion
    from rillet.events._parsed import ParsedChatCompletionMessage as ParsedChatCompletionMessage
    from rillet.events._parsed import ParsedChoice as ParsedChoice
    from rillet.events._parsed import ParsedResponse as ParsedResponse
    from rillet.events._registry import RESPONSE_EVENT_TYPES as RESPONSE_EVENT_TYPES
    from rillet.events._responses_rare import ResponseAudioDeltaEvent as ResponseAudioDeltaEvent
    from rillet.events._responses_rare import ResponseAudioDoneEvent as ResponseAudioDoneEvent
    from rillet.events._responses_rare import (
        ResponseAudioTranscriptDeltaEvent as ResponseAudioTranscriptDeltaEvent,
    )
    from rillet.events._responses_rare import (
        ResponseAudioTranscriptDoneEvent as ResponseAudioTranscriptDoneEvent,
    )
    from rillet.events._responses_rare import (
        ResponseCodeInterpreterCallCompletedEvent as ResponseCodeInterpreterCallCompletedEvent,
    )
    from rillet.events._responses_rare import (
        ResponseCodeInterpreterCallInProgressEvent as ResponseCodeInterpreterCallInProgressEvent,
    )
    from rillet.events._responses_rare import (
        ResponseCodeInterpreterCallInterpretingEvent as ResponseCodeInterpreterCallInterpretingEvent,  # noqa: E501
    )
    from rillet.events._responses_rare import (
        ResponseCompactionCompactingEvent as ResponseCompactionCompactingEvent,
    )
    from rillet.events._responses_rare import (
        ResponseFileSearchCallCompletedEvent as ResponseFileSearchCallCompletedEvent,
    )
    from rillet.events._responses_rare import (
        ResponseFileSearchCallInProgressEvent as ResponseFileSearchCallInProgressEvent,
    )
    from rillet.events._responses_rare import (
        ResponseFileSearchCallSearchingEvent as ResponseFileSearchCallSearchingEvent,
    )
    from rillet.events._responses_rare import (
        ResponseImageGenerationCallCompletedEvent as ResponseImageGenerationCallCompletedEvent,
    )
    from rillet.events._responses_rare import (
        ResponseImageGenerationCallGeneratingEvent as ResponseImageGenerationCallGeneratingEvent,
    )
    from rillet.events._responses_rare import (
        ResponseImageGenerationCallInProgressEvent as ResponseImageGenerationCallInProgressEvent,
    )
    from rillet.events._responses_rare import (
        ResponseMcpCallCompletedEvent as ResponseMcpCallCompletedEvent,
    )
    from rillet.events._responses_rare import (
        ResponseMcpCallFailedEvent as ResponseMcpCallFailedEvent,
    )
    from rillet.events._responses_rare import (
        ResponseMcpCallInProgressEvent as ResponseMcpCallInProgressEvent,
    )
    from rillet.events._responses_rare import (
        ResponseMcpListToolsCompletedEvent as ResponseMcpListToolsCompletedEvent,
    )
    from rillet.events._responses_rare import (
        ResponseMcpListToolsFailedEvent as ResponseMcpListToolsFailedEvent,
    )
    from rillet.events._responses_rare import (
        ResponseMcpListToolsInProgressEvent as ResponseMcpListToolsInProgressEvent,
    )
    from rillet.events._responses_rare import (
        ResponseShellCallCommandAddedEvent as ResponseShellCallCommandAddedEvent,
    )
    from rillet.events._responses_rare import (
        ResponseShellCallCommandDeltaEvent as ResponseShellCallCommandDeltaEvent,
    )
    from rillet.events._responses_rare import (
        ResponseShellCallCommandDoneEvent as ResponseShellCallCommandDoneEvent,
    )
    from rillet.events._responses_rare import (
        ResponseShellCallOutputContentDeltaEvent as ResponseShellCallOutputContentDeltaEvent,
    )
    from rillet.events._responses_rare import (
        ResponseShellCallOutputContentDoneEvent as ResponseShellCallOutputContentDoneEvent,
    )
    from rillet.events._responses_rare import (
        ResponseWebSearchCallCompletedEvent as ResponseWebSearchCallCompletedEvent,
    )
    from rillet.events._responses_rare import (
        ResponseWebSearchCallInProgressEvent as ResponseWebSearchCallInProgressEvent,
    )
    from rillet.events._responses_rare import (
        ResponseWebSearchCallSearchingEvent as ResponseWebSearchCallSearchingEvent,
    )
    from rillet.events._unions import ChatCompletionEvent as ChatCompletionEvent
    from rillet.events._unions import ResponseEvent as ResponseEvent

# The classes of the rarer Responses events are built when first used (see _registry), and the
# registry of all of them, complete, when first read.
if not typing.TYPE_CHECKING:
    __getattr__, __dir__ = _imported_on_first_use(
        globals(),
        {
            "ParsedChatCompletion": "rillet.events._parsed",
            "ParsedChatCompletionMessage": "rillet.events._parsed",
            "ParsedChoice": "rillet.events._parsed",
            "ParsedResponse": "rillet.events._parsed",
            "RESPONSE_EVENT_TYPES": "rillet.events._registry",
            "ChatCompletionEvent": "rillet.events._unions",
            "ResponseEvent": "rillet.events._unions",
            "ResponseAudioDeltaEvent": "rillet.events._responses_rare",
            "ResponseAudioDoneEvent": "rillet.events._responses_rare",
            "ResponseAudioTranscriptDeltaEvent": "rillet.events._responses_rare",
            "ResponseAudioTranscriptDoneEvent": "rillet.events._responses_rare",
            "ResponseCodeInterpreterCallCompletedEvent": "rillet.events._responses_rare",
            "ResponseCodeInterpreterCallInProgressEvent": "rillet.events._responses_rare",
            "ResponseCodeInterpreterCallInterpretingEvent": "rillet.events._responses_rare",
            "ResponseCompactionCompactingEvent": "rillet.events._responses_rare",
            "ResponseFileSearchCallCompletedEvent": "rillet.events._responses_rare",
            "ResponseFileSearchCallInProgressEvent": "rillet.events._responses_rare",
            "ResponseFileSearchCallSearchingEvent": "rillet.events._responses_rare",
            "ResponseImageGenerationCallCompletedEvent": "rillet.events._responses_rare",
            "ResponseImageGenerationCallGeneratingEvent": "rillet.events._responses_rare",
            "ResponseImageGenerationCallInProgressEvent": "rillet.events._responses_rare",
            "ResponseMcpCallCompletedEvent": "rillet.events._responses_rare",
            "ResponseMcpCallFailedEvent": "rillet.events._responses_rare",
            "ResponseMcpCallInProgressEvent": "rillet.events._responses_rare",
            "ResponseMcpListToolsCompletedEvent": "rillet.events._responses_rare",
            "ResponseMcpListToolsFailedEvent": "rillet.events._responses_rare",
            "ResponseMcpListToolsInProgressEvent": "rillet.events._responses_rare",
            "ResponseShellCallCommandAddedEvent": "rillet.events._responses_rare",
            "ResponseShellCallCommandDeltaEvent": "rillet.events._responses_rare",
            "ResponseShellCallCommandDoneEvent": "rillet.events._responses_rare",
            "ResponseShellCallOutputContentDeltaEvent": "rillet.events._responses_rare",
            "ResponseShellCallOutputContentDoneEvent": "rillet.events._responses_rare",
            "ResponseWebSearchCallCompletedEvent": "rillet.events._responses_rare",
            "ResponseWebSearchCallInProgressEvent": "rillet.events._responses_rare",
            "ResponseWebSearchCallSearchingEvent": "rillet.events._responses_rare",
        },
    )

__all__ = [
    "Annotation",
    "AnyNeutralEvent",
    "ApplyPatchCallItem",
    "ApplyPatchCallStatus",
    "CHAT_EVENT_TYPES",
    "ChatCompletion",
    "ChatCompletionChunk",
    "ChatCompletionEvent",
    "ChatCompletionMessage",
    "ChatContentDeltaEvent",
    "ChatContentDoneEvent",
    "ChatError",
    "ChatErrorEvent",
    "ChatEvent",
    "ChatRefusalDeltaEvent",
    "ChatRefusalDoneEvent",
    "ChatRole",
    "ChatToolCall",
    "ChatToolCallArgumentsDeltaEvent",
    "ChatToolCallArgumentsDoneEvent",
    "ChoiceDelta",
    "ChoiceDeltaFunctionCall",
    "ChoiceDeltaToolCall",
    "ChoiceLogprobs",
    "ChunkChoice",
    "CodeInterpreterCallItem",
    "CodeInterpreterCallStatus",
    "CompactionItem",
    "CompletionChoice",
    "CompletionTokensDetails",
    "CompletionUsage",
    "ComputerCallItem",
    "ContainerFileCitation",
    "ContentEvent",
    "ContentPart",
    "CustomToolCallItem",
    "DeltaEvent",
    "EVENT_TYPES",
    "EndReason",
    "Event",
    "FileCitation",
    "FilePathAnnotation",
    "FileSearchCallItem",
    "FileSearchCallStatus",
    "FinishReason",
    "Finished",
    "FunctionCall",
    "FunctionCallItem",
    "ImageGenerationCallItem",
    "ImageGenerationCallStatus",
    "IncompleteDetails",
    "IncompleteReason",
    "InputTokensDetails",
    "InvalidEvent",
    "ItemEvent",
    "ItemStatus",
    "KeepaliveEvent",
    "LocalShellCallItem",
    "Logprob",
    "McpApprovalRequestItem",
    "McpCallItem",
    "McpCallStatus",
    "McpListToolsItem",
    "MessageContent",
    "MessageItem",
    "MessagePhase",
    "Model",
    "NEUTRAL_EVENT_TYPES",
    "NeutralEvent",
    "NeutralResult",
    "NeutralToolCall",
    "NeutralUsage",
    "OnInvalid",
    "OutputItem",
    "OutputTextContent",
    "OutputTokensDetails",
    "ParsedChatCompletion",
    "ParsedChatCompletionMessage",
    "ParsedChoice",
    "ParsedResponse",
    "PromptTokensDetails",
    "Provider",
    "RESPONSE_EVENT_TYPES",
    "ReasoningDelta",
    "ReasoningItem",
    "ReasoningTextContent",
    "RefusalContent",
    "Response",
    "ResponseAudioDeltaEvent",
    "ResponseAudioDoneEvent",
    "ResponseAudioTranscriptDeltaEvent",
    "ResponseAudioTranscriptDoneEvent",
    "ResponseCodeInterpreterCallCodeDeltaEvent",
    "ResponseCodeInterpreterCallCodeDoneEvent",
    "ResponseCodeInterpreterCallCompletedEvent",
    "ResponseCodeInterpreterCallInProgressEvent",
    "ResponseCodeInterpreterCallInterpretingEvent",
    "ResponseCompactionCompactingEvent",
    "ResponseCompletedEvent",
    "ResponseContentPartAddedEvent",
    "ResponseContentPartDoneEvent",
    "ResponseCreatedEvent",
    "ResponseCustomToolCallInputDeltaEvent",
    "ResponseCustomToolCallInputDoneEvent",
    "ResponseError",
    "ResponseErrorEvent",
    "ResponseEvent",
    "ResponseFailedEvent",
    "ResponseFileSearchCallCompletedEvent",
    "ResponseFileSearchCallInProgressEvent",
    "ResponseFileSearchCallSearchingEvent",
    "ResponseFunctionCallArgumentsDeltaEvent",
    "ResponseFunctionCallArgumentsDoneEvent",
    "ResponseImageGenerationCallCompletedEvent",
    "ResponseImageGenerationCallGeneratingEvent",
    "ResponseImageGenerationCallInProgressEvent",
    "ResponseImageGenerationCallPartialImageEvent",
    "ResponseInProgressEvent",
    "ResponseIncompleteEvent",
    "ResponseLifecycleEvent",
    "ResponseMcpCallArgumentsDeltaEvent",
    "ResponseMcpCallArgumentsDoneEvent",
    "ResponseMcpCallCompletedEvent",
    "ResponseMcpCallFailedEvent",
    "ResponseMcpCallInProgressEvent",
    "ResponseMcpListToolsCompletedEvent",
    "ResponseMcpListToolsFailedEvent",
    "ResponseMcpListToolsInProgressEvent",
    "ResponseOutputItemAddedEvent",
    "ResponseOutputItemDoneEvent",
    "ResponseOutputTextAnnotationAddedEvent",
    "ResponseOutputTextDeltaEvent",
    "ResponseOutputTextDoneEvent",
    "ResponseQueuedEvent",
    "ResponseReasoningSummaryPartAddedEvent",
    "ResponseReasoningSummaryPartDoneEvent",
    "ResponseReasoningSummaryTextDeltaEvent",
    "ResponseReasoningSummaryTextDoneEvent",
    "ResponseReasoningTextDeltaEvent",
    "ResponseReasoningTextDoneEvent",
    "ResponseRefusalDeltaEvent",
    "ResponseRefusalDoneEvent",
    "ResponseShellCallCommandAddedEvent",
    "ResponseShellCallCommandDeltaEvent",
    "ResponseShellCallCommandDoneEvent",
    "ResponseShellCallOutputContentDeltaEvent",
    "ResponseShellCallOutputContentDoneEvent",
    "ResponseStatus",
    "ResponseStreamEvent",
    "ResponseUsage",
    "ResponseWebSearchCallCompletedEvent",
    "ResponseWebSearchCallInProgressEvent",
    "ResponseWebSearchCallSearchingEvent",
    "ServiceTier",
    "ShellCallItem",
    "ShellCallOutputItem",
    "SummaryTextContent",
    "TextDelta",
    "TextDone",
    "TokenLogprob",
    "ToolCallArgumentsDelta",
    "ToolCallDone",
    "ToolCallStarted",
    "TopLogprob",
    "Truncation",
    "URLCitation",
    "UnknownAnnotation",
    "UnknownContent",
    "UnknownEvent",
    "UnknownItem",
    "UsageReported",
    "WebSearchCallItem",
    "WebSearchCallStatus",
    "parse_chat_chunk",
    "parse_event",
    "parse_event_data",
]
