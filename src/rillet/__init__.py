"""rillet: an async-first, event-driven streaming framework for LLM response streams."""

import typing

from rillet._accumulate import ChatCompletionAccumulator as ChatCompletionAccumulator
from rillet._accumulate import ResponseAccumulator as ResponseAccumulator
from rillet._accumulate import ResponseOutcome as ResponseOutcome
from rillet._dispatch import DispatchContext as DispatchContext
from rillet._dispatch import ErrorPolicy as ErrorPolicy
from rillet._dispatch import HandlerError as HandlerError
from rillet._dispatch import Router as Router
from rillet._dispatch import UnknownEventTypeWarning as UnknownEventTypeWarning
from rillet._errors import APIConnectionError as APIConnectionError
from rillet._errors import APIError as APIError
from rillet._errors import APIStatusError as APIStatusError
from rillet._errors import APITimeoutError as APITimeoutError
from rillet._errors import AuthenticationError as AuthenticationError
from rillet._errors import BadRequestError as BadRequestError
from rillet._errors import ConflictError as ConflictError
from rillet._errors import EventDecodeError as EventDecodeError
from rillet._errors import EventTooLargeError as EventTooLargeError
from rillet._errors import InconsistentStreamError as InconsistentStreamError
from rillet._errors import InternalServerError as InternalServerError
from rillet._errors import InvalidResponseError as InvalidResponseError
from rillet._errors import NotEventStreamError as NotEventStreamError
from rillet._errors import NotFoundError as NotFoundError
from rillet._errors import PermissionDeniedError as PermissionDeniedError
from rillet._errors import RateLimitError as RateLimitError
from rillet._errors import RequestBodyError as RequestBodyError
from rillet._errors import ResponseFailedError as ResponseFailedError
from rillet._errors import RilletError as RilletError
from rillet._errors import ServerStreamError as ServerStreamError
from rillet._errors import SSEError as SSEError
from rillet._errors import StreamError as StreamError
from rillet._errors import StreamProgress as StreamProgress
from rillet._errors import StreamTruncatedError as StreamTruncatedError
from rillet._errors import StructuredOutputError as StructuredOutputError
from rillet._errors import TruncationCode as TruncationCode
from rillet._errors import UnprocessableEntityError as UnprocessableEntityError
from rillet._lazy import imported_on_first_use as _imported_on_first_use
from rillet._machine import StreamStats as StreamStats
from rillet._policy import ResumePosition as ResumePosition
from rillet._policy import RetryPolicy as RetryPolicy
from rillet._policy import Timeouts as Timeouts

if typing.TYPE_CHECKING:
    from rillet._client import AsyncClient as AsyncClient
    from rillet._client import AzureAsyncClient as AzureAsyncClient
    from rillet._client import AzureClient as AzureClient
    from rillet._client import Client as Client
    from rillet._options import CallOptions as CallOptions
    from rillet._options import StreamCallOptions as StreamCallOptions
    from rillet._stream import ChatCompletionStream as ChatCompletionStream
    from rillet._stream import ResponseStream as ResponseStream
    from rillet._sync_stream import SyncChatCompletionStream as SyncChatCompletionStream
    from rillet._sync_stream import SyncResponseStream as SyncResponseStream

# The clients and the streams are imported when first used: they need httpx, whose import (with
# httpcore's, and trio's where it is installed) costs more than all the rest of rillet's.
if not typing.TYPE_CHECKING:
    __getattr__, __dir__ = _imported_on_first_use(
        globals(),
        {
            "AsyncClient": "rillet._client",
            "AzureAsyncClient": "rillet._client",
            "AzureClient": "rillet._client",
            "CallOptions": "rillet._options",
            "Client": "rillet._client",
            "StreamCallOptions": "rillet._options",
            "ChatCompletionStream": "rillet._stream",
            "ResponseStream": "rillet._stream",
            "SyncChatCompletionStream": "rillet._sync_stream",
            "SyncResponseStream": "rillet._sync_stream",
        },
    )

__all__ = [
    "APIConnectionError",
    "APIError",
    "APIStatusError",
    "APITimeoutError",
    "AsyncClient",
    "AuthenticationError",
    "AzureAsyncClient",
    "AzureClient",
    "BadRequestError",
    "CallOptions",
    "ChatCompletionAccumulator",
    "ChatCompletionStream",
    "Client",
    "ConflictError",
    "DispatchContext",
    "ErrorPolicy",
    "EventDecodeError",
    "EventTooLargeError",
    "HandlerError",
    "InconsistentStreamError",
    "InternalServerError",
    "InvalidResponseError",
    "NotEventStreamError",
    "NotFoundError",
    "PermissionDeniedError",
    "RateLimitError",
    "RequestBodyError",
    "ResponseAccumulator",
    "ResponseFailedError",
    "ResponseOutcome",
    "ResponseStream",
    "ResumePosition",
    "RetryPolicy",
    "RilletError",
    "Router",
    "SSEError",
    "ServerStreamError",
    "StreamCallOptions",
    "StreamError",
    "StreamProgress",
    "StreamStats",
    "StreamTruncatedError",
    "StructuredOutputError",
    "SyncChatCompletionStream",
    "SyncResponseStream",
    "Timeouts",
    "TruncationCode",
    "UnknownEventTypeWarning",
    "UnprocessableEntityError",
]
