"""Accumulators (sans-IO): stream events in, whole ``Response`` / ``ChatCompletion`` out."""

from rillet._accumulate._chat import ChatCompletionAccumulator as ChatCompletionAccumulator
from rillet._accumulate._responses import ResponseAccumulator as ResponseAccumulator
from rillet._accumulate._responses import ResponseOutcome as ResponseOutcome
from rillet._accumulate._responses_neutral import ResponseNeutralEvents as ResponseNeutralEvents

__all__ = [
    "ChatCompletionAccumulator",
    "ResponseAccumulator",
    "ResponseNeutralEvents",
    "ResponseOutcome",
]
