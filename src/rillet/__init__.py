"""rillet: an async-first, event-driven streaming framework for LLM response streams."""

from rillet._accumulate import ChatCompletionAccumulator as ChatCompletionAccumulator
from rillet._accumulate import ResponseAccumulator as ResponseAccumulator
from rillet._accumulate import ResponseOutcome as ResponseOutcome
from rillet._errors import EventDecodeError as EventDecodeError
from rillet._errors import EventTooLargeError as EventTooLargeError
from rillet._errors import InconsistentStreamError as InconsistentStreamError
from rillet._errors import ResponseFailedError as ResponseFailedError
from rillet._errors import RilletError as RilletError
from rillet._errors import ServerStreamError as ServerStreamError
from rillet._errors import SSEError as SSEError
from rillet._errors import StreamError as StreamError
from rillet._errors import StreamTruncatedError as StreamTruncatedError

__all__ = [
    "ChatCompletionAccumulator",
    "EventDecodeError",
    "EventTooLargeError",
    "InconsistentStreamError",
    "ResponseAccumulator",
    "ResponseFailedError",
    "ResponseOutcome",
    "RilletError",
    "SSEError",
    "ServerStreamError",
    "StreamError",
    "StreamTruncatedError",
]
