"""Functions the model may call, and the loop that calls them while the model is still talking.

``Tools`` registers functions (sync or async), derives each one's JSON schema from its
signature and parses the model's arguments into the parameters' types; :func:`run` (Responses)
and :func:`run_chat` (Chat Completions) stream each turn through a :class:`~rillet.Router`,
start every call as soon as its arguments are complete, send the outputs back, and go on until
the model answers without calls; :func:`run_sync` and :func:`run_chat_sync` do the same for
blocking code (a :class:`~rillet.Client`), the calls in a thread pool (the docs: "Tools while
streaming").
"""

from __future__ import annotations

from rillet._sync_tool_runner import run_chat_sync as run_chat_sync
from rillet._sync_tool_runner import run_sync as run_sync
from rillet._tool_loop import ToolErrorPolicy as ToolErrorPolicy
from rillet._tool_loop import TurnLimitError as TurnLimitError
from rillet._tool_runner import run as run
from rillet._tool_runner import run_chat as run_chat
from rillet._tools import Tool as Tool
from rillet._tools import ToolArgumentsError as ToolArgumentsError
from rillet._tools import Tools as Tools

__all__ = [
    "Tool",
    "ToolArgumentsError",
    "ToolErrorPolicy",
    "Tools",
    "TurnLimitError",
    "run",
    "run_chat",
    "run_chat_sync",
    "run_sync",
]
