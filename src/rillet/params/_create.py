"""The keyword arguments of ``create``: a request body's parameters and the per-call options."""

from rillet._options import StreamCallOptions
from rillet.params._chat import CreateChatCompletionRequestParam
from rillet.params._responses import CreateResponseParam

__all__ = ["ChatCompletionCreateParams", "ResponseCreateParams"]


class ResponseCreateParams(CreateResponseParam, StreamCallOptions, total=False):
    """What ``client.responses.create()`` takes besides ``stream``: the body and the options."""


class ChatCompletionCreateParams(CreateChatCompletionRequestParam, StreamCallOptions, total=False):
    """What ``client.chat.completions.create()`` takes besides ``stream``."""
