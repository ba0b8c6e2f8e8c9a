"""Fixtures for testing code that streams from OpenAI, Anthropic or Gemini, against the emulator.

Enable it in a ``conftest.py`` (it is not loaded into every pytest run)::

    pytest_plugins = ["rillet.testing.pytest_plugin"]

Each test gets its own :class:`~rillet.testing.Emulator`, served on 127.0.0.1 in a thread.
Override the ``rillet_emulator`` fixture to serve recordings or change its pace. Choose what it
answers with the model name (``model="rillet-function_call"``, see
``rillet.testing.SCENARIOS``) and inject faults with :meth:`Fault.headers()
<rillet.testing.Fault.headers>` as a request's ``extra_headers``.
"""

from rillet.testing._fixtures import rillet_anthropic_env as rillet_anthropic_env
from rillet.testing._fixtures import rillet_async_client as rillet_async_client
from rillet.testing._fixtures import rillet_client as rillet_client
from rillet.testing._fixtures import rillet_emulator as rillet_emulator
from rillet.testing._fixtures import rillet_gemini_env as rillet_gemini_env
from rillet.testing._fixtures import rillet_openai_env as rillet_openai_env
from rillet.testing._fixtures import rillet_url as rillet_url

__all__ = [
    "rillet_anthropic_env",
    "rillet_async_client",
    "rillet_client",
    "rillet_emulator",
    "rillet_gemini_env",
    "rillet_openai_env",
    "rillet_url",
]
