"""A key that cannot go in a header is refused when the client is built, showing none of it."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from rillet import AsyncClient, AzureAsyncClient, AzureClient, Client, RetryPolicy, RilletError
from rillet.testing import Emulator, serve_in_thread

KEY = "sk-proj-QZXJ9w8vKTB4RMN2"  # no run of 4 of its characters is in any message
AZURE = {"azure_endpoint": "http://127.0.0.1:9", "api_version": "2024-10-21"}
FACTORIES: dict[str, tuple[Callable[..., Any], str, dict[str, Any]]] = {
    "AsyncClient": (AsyncClient, "OPENAI_API_KEY", {}),
    "Client": (Client, "OPENAI_API_KEY", {}),
    "AzureAsyncClient": (AzureAsyncClient, "AZURE_OPENAI_API_KEY", AZURE),
    "AzureClient": (AzureClient, "AZURE_OPENAI_API_KEY", AZURE),
}
# The key with what is wrong with it, and what the message must say.
BAD = [
    (KEY + "\n", "whitespace"),
    (KEY + "\r\n", "whitespace"),
    (KEY + " ", "whitespace"),
    (" " + KEY, "whitespace"),
    ("\t" + KEY, "whitespace"),
    (KEY + "\u00a0", "whitespace"),
    (KEY[:12] + "\n" + KEY[12:], "control character at position 13"),
    (KEY[:5] + "\x00" + KEY[5:], "control character at position 6"),
    (KEY[:8] + "\x7f" + KEY[8:], "control character at position 9"),
    (KEY[:12] + "\u00e9" + KEY[12:], "non-ASCII character at position 13"),
    (KEY[:3] + "\u2019" + KEY[3:], "non-ASCII character at position 4"),
]


def pieces(key: str) -> Iterator[str]:
    """Every run of 4 characters of the key: none may appear anywhere."""
    return (key[i : i + 4] for i in range(len(key) - 3))


def assert_hidden(key: str, *texts: str) -> None:
    for text in texts:
        assert not [piece for piece in pieces(key) if piece in text], text


@pytest.fixture
def no_env_keys(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    for name in ("OPENAI_API_KEY", "AZURE_OPENAI_API_KEY", "OPENAI_BASE_URL"):
        monkeypatch.delenv(name, raising=False)
    return monkeypatch


@pytest.mark.parametrize("source", ["argument", "environment"])
@pytest.mark.parametrize("factory", FACTORIES)
@pytest.mark.parametrize("bad", BAD, ids=[repr(key) for key, _ in BAD])
def test_a_bad_key_is_refused_without_showing_it(
    bad: tuple[str, str],
    factory: str,
    source: str,
    no_env_keys: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    key, problem = bad
    cls, variable, options = FACTORIES[factory]
    if source == "argument":
        options = {**options, "api_key": key}
    elif "\x00" in key:
        pytest.skip("an environment variable cannot hold a NUL")
    else:
        no_env_keys.setenv(variable, key)
    with caplog.at_level(logging.DEBUG), pytest.raises(RilletError) as caught:
        cls(**options)
    message = str(caught.value)
    assert problem in message
    assert (variable in message) == (source == "environment")
    assert caught.value.__cause__ is None
    assert caught.value.__context__ is None
    assert_hidden(key, message, repr(caught.value), caplog.text)


@pytest.mark.parametrize("factory", ["Client", "AzureClient"])
@pytest.mark.parametrize(("key", "problem"), BAD[:1] + BAD[-1:])
def test_a_bad_key_never_reaches_a_request(
    key: str, problem: str, factory: str, caplog: pytest.LogCaptureFixture
) -> None:
    """Sent, such a key used to end up in httpx's error, rillet's retry log line and
    httpcore's debug log (or to escape as a bare UnicodeEncodeError)."""
    emulator = Emulator()
    retry = RetryPolicy(max_retries=1, initial_delay=0.001)
    with serve_in_thread(emulator) as url, caplog.at_level(logging.DEBUG):
        cls, _, options = FACTORIES[factory]
        options = {**options, "base_url": f"{url}/v1", "max_retries": retry, "api_key": key}
        with pytest.raises(RilletError, match=problem) as caught:
            client = cls(**options)
            with client:
                client.responses.retrieve("resp_1")  # a GET: retried, and logged when it is
    assert_hidden(key, str(caught.value), repr(caught.value), caplog.text)
    assert emulator.requests == []


@pytest.mark.parametrize("factory", ["Client", "AzureClient"])
def test_with_options_keeps_a_good_key_and_checks_a_new_one(factory: str) -> None:
    emulator = Emulator()
    with serve_in_thread(emulator) as url:
        cls, _, options = FACTORIES[factory]
        with cls(**options, api_key=KEY, base_url=f"{url}/v1") as client:
            other = client.with_options(max_retries=0)
            other.responses.create(model="rillet-text", input="hi")
            with pytest.raises(RilletError, match="whitespace") as caught:
                client.with_options(api_key=KEY + "\n")
        assert_hidden(KEY, str(caught.value))
    sent = emulator.requests[-1][2]
    header = "authorization" if factory == "Client" else "api-key"
    assert sent[header] == (f"Bearer {KEY}" if factory == "Client" else KEY)


def test_a_key_that_is_not_a_string_is_refused(no_env_keys: pytest.MonkeyPatch) -> None:
    del no_env_keys
    with pytest.raises(RilletError, match="must be a str, not bytes") as caught:
        Client(api_key=KEY.encode())  # type: ignore[arg-type]
    assert_hidden(KEY, str(caught.value))
