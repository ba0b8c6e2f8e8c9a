"""rillet: an async-first, event-driven streaming framework for LLM response streams."""

from rillet._errors import EventDecodeError as EventDecodeError
from rillet._errors import EventTooLargeError as EventTooLargeError
from rillet._errors import RilletError as RilletError
from rillet._errors import SSEError as SSEError

__all__ = ["EventDecodeError", "EventTooLargeError", "RilletError", "SSEError"]
