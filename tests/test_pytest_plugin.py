"""The pytest plugin, used from a test suite written the way a user would write one."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.json_independent

USER_CONFTEST = """
import pytest

pytest_plugins = ["rillet.testing.pytest_plugin"]


@pytest.fixture(params=["asyncio", "trio"])
def anyio_backend(request):
    return request.param
"""

USER_TESTS = """
import openai_like  # the user's own code, which makes its own client from the environment
import pytest

from rillet import StreamTruncatedError
from rillet.testing import Emulator, Fault


def test_a_blocking_client(rillet_client):
    response = rillet_client.responses.create(model="rillet-text", input="hi")
    assert response.status == "completed"
    assert response.output_text


@pytest.mark.anyio
async def test_an_async_client_and_handlers(rillet_async_client):
    calls = []
    stream = await rillet_async_client.responses.create(
        model="rillet-parallel_function_calls", input="Weather in Oslo?", stream=True
    )

    @stream.on("response.function_call_arguments.done")
    def called(event):
        calls.append(event.arguments)

    async with stream:
        response = await stream.dispatch()
    assert len(calls) == 2
    assert [item.type for item in response.output] == ["function_call", "function_call"]


def test_code_that_makes_its_own_client(rillet_openai_env):
    assert openai_like.ask("Tell me about rivers") == openai_like.ask("Tell me about rivers")
    assert openai_like.BASE_URL_SEEN == [rillet_openai_env] * 2


def test_anthropic_code_that_makes_its_own_client(rillet_anthropic_env):
    import anthropic

    message = anthropic.Anthropic().messages.create(
        model="rillet-function_call",
        max_tokens=100,
        messages=[{"role": "user", "content": "Weather in Oslo?"}],
    )
    assert message.stop_reason == "tool_use"


def test_gemini_code_that_makes_its_own_client(rillet_gemini_env):
    from google import genai

    client = genai.Client()  # kept: google-genai closes its connections when it is collected
    response = client.models.generate_content(model="rillet-incomplete", contents="hi")
    assert response.candidates[0].finish_reason == "MAX_TOKENS"


def test_faults(rillet_client):
    fault = Fault(kind="drop-after-events", count=4)
    with pytest.raises(StreamTruncatedError) as caught:
        with rillet_client.responses.create(
            model="rillet-text", input="hi", stream=True, extra_headers=fault.headers()
        ) as stream:
            stream.get_final_response()
    assert caught.value.partial is not None


@pytest.fixture
def rillet_emulator():
    return Emulator(delay=0.001)  # overridden: a slower pace


def test_the_emulator_can_be_overridden(rillet_emulator, rillet_client):
    rillet_client.responses.create(model="rillet-refusal", input="hi")
    assert rillet_emulator.delay == 0.001
    assert len(rillet_emulator.requests) == 1
"""

USER_MODULE = """
import os

from rillet import Client

BASE_URL_SEEN = []


def ask(question):
    BASE_URL_SEEN.append(os.environ["OPENAI_BASE_URL"])
    with Client() as client:
        return client.responses.create(model="rillet-text", input=question).output_text
"""


def test_the_fixtures_work_in_a_user_suite(pytester: pytest.Pytester) -> None:
    pytester.makeconftest(USER_CONFTEST)
    pytester.makepyfile(test_user=USER_TESTS, openai_like=USER_MODULE)
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider")
    result.assert_outcomes(passed=8)  # seven tests, the async one on both loops


def test_the_plugin_is_not_loaded_unless_asked_for(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_user="def test_it(rillet_client):\n    pass\n")
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider")
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(["*fixture 'rillet_client' not found*"])
