"""The relay's page in a real browser: headless Chromium, driven by Selenium and chromedriver.

The page (``GET /relay``) is served by uvicorn from the emulator with a relay. The server drops
each page's first connection to the channel mid-stream; the browser's own ``EventSource``
reconnects with ``Last-Event-ID``, and the page must show the whole text exactly once. Its Stop
button cancels the generation, and a reload shows the channel again from the URL's hash.
"""

from __future__ import annotations

import os
import re
import shutil
from collections.abc import Awaitable, Callable, Iterator
from typing import TYPE_CHECKING, Final

import pytest

from conftest import serve_with_uvicorn
from rillet._asgi import Message as ASGIMessage
from rillet._asgi import Receive, Send
from rillet.relay import Relay
from rillet.testing import Emulator
from test_cli import generated_text

if TYPE_CHECKING:
    from selenium.webdriver.remote.webdriver import WebDriver

pytestmark = pytest.mark.json_independent

CHROMIUM: Final = "/usr/bin/chromium"
CHROMEDRIVER: Final = "/usr/bin/chromedriver"
# No network, no first-run or background work, a profile of its own (see the fixture).
FLAGS: Final = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
PROMPT: Final = "Tell me about rivers"
DROP_AFTER: Final = 10  # entries sent on a first connection before the server drops it
# What a page shows once its channel ended (else null).
ENDED: Final = """
const page = document.body.dataset;
if (page.state !== "ended") return null;
const text = document.getElementById("text").textContent;
return {text: text, outcome: page.outcome, opens: page.opens};
"""

App = Callable[[ASGIMessage, Receive, Send], Awaitable[None]]


class _Dropped(Exception):  # noqa: N818 - a signal, not an error
    pass


class DropFirstConnections:
    """ASGI middleware: a ``GET /relay/{id}`` without ``Last-Event-ID`` (a page's first
    connection) is dropped after ``after`` entries: the response is left unfinished, and the
    server closes the connection, as a flaky network would."""

    def __init__(self, app: App, after: int) -> None:
        self.app = app
        self.after = after
        self.dropped = 0
        """How many connections were dropped."""

    async def __call__(
        self,
        scope: ASGIMessage,
        receive: Receive,
        send: Send,
    ) -> None:
        first = scope["type"] == "http" and scope["method"] == "GET"
        first = first and re.fullmatch(r"/relay/[^/]+", scope["path"]) is not None
        first = first and not any(name == b"last-event-id" for name, _ in scope["headers"])
        if not first:
            await self.app(scope, receive, send)
            return
        sent = 0

        async def counting_send(message: ASGIMessage) -> None:
            nonlocal sent
            body: bytes = message.get("body", b"")
            sent += body.count(b"\nid:") + body.startswith(b"id:")
            await send(message)
            if sent >= self.after:
                raise _Dropped

        try:
            await self.app(scope, receive, counting_send)
        except Exception:
            if sent < self.after:
                raise
            self.dropped += 1  # returned unfinished: uvicorn closes the connection


@pytest.fixture(scope="module")
def browser(tmp_path_factory: pytest.TempPathFactory) -> Iterator[WebDriver]:
    """Headless Chromium, driven by chromedriver (which listens on 127.0.0.1 only)."""
    missing = [path for path in (CHROMIUM, CHROMEDRIVER) if shutil.which(path) is None]
    if missing:
        reason = f"a real browser is needed: {', '.join(missing)} not found"
        if os.environ.get("RILLET_REQUIRE_SERVICES") == "1":
            pytest.fail(reason)
        pytest.skip(reason)
    from selenium import webdriver  # noqa: PLC0415 - only where a browser runs

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in [*FLAGS, f"--user-data-dir={tmp_path_factory.mktemp('chromium')}"]:
        options.add_argument(flag)
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("SE_OFFLINE", "true")  # Selenium Manager: never fetch a driver or browser
        driver = webdriver.Chrome(options, webdriver.ChromeService(CHROMEDRIVER))
    try:
        yield driver
    finally:
        driver.quit()


def test_pages_reconnect_and_show_the_text_once(browser: WebDriver) -> None:
    from selenium.webdriver.common.by import By  # noqa: PLC0415
    from selenium.webdriver.support.wait import WebDriverWait  # noqa: PLC0415

    emulator = Emulator(relay=Relay(), delay=0.01, relay_retry=50)  # reconnect after 50 ms
    app = DropFirstConnections(emulator, after=DROP_AFTER)
    wait = WebDriverWait(browser, 10, poll_frequency=0.02)
    with serve_with_uvicorn(app, lifespan="on") as url:
        browser.get(f"{url}/relay")
        first = browser.current_window_handle
        browser.switch_to.new_window("tab")  # a second page, ready to join
        browser.get(f"{url}/relay")
        second = browser.current_window_handle
        browser.switch_to.window(first)
        prompt = browser.find_element(By.ID, "prompt")
        prompt.clear()
        prompt.send_keys(PROMPT)
        browser.find_element(By.ID, "generate").click()
        channel = wait.until(lambda b: b.execute_script("return document.body.dataset.channel"))
        browser.switch_to.window(second)
        browser.execute_script("location.hash = arguments[0]", channel)  # joins mid-stream
        pages: list[object] = []
        for handle in (first, second):
            browser.switch_to.window(handle)
            pages.append(wait.until(lambda b: b.execute_script(ENDED)))
            assert browser.current_url == f"{url}/relay#{channel}"
    text = generated_text(PROMPT)
    ended = {"text": text, "outcome": "completed", "opens": "2"}  # once dropped, once resumed
    assert pages == [ended, ended]
    assert app.dropped == 2  # each page's first connection


def test_stop_cancels_the_generation_and_a_reload_shows_the_channel_again(
    browser: WebDriver,
) -> None:
    from selenium.webdriver.common.by import By  # noqa: PLC0415
    from selenium.webdriver.support.wait import WebDriverWait  # noqa: PLC0415

    emulator = Emulator(relay=Relay(), delay=0.05)  # slow enough to stop mid-answer
    wait = WebDriverWait(browser, 10, poll_frequency=0.02)
    shown = 'return document.getElementById("text").textContent'
    with serve_with_uvicorn(emulator, lifespan="on") as url:
        browser.get(f"{url}/relay")
        prompt = browser.find_element(By.ID, "prompt")
        prompt.clear()
        prompt.send_keys(PROMPT)
        browser.find_element(By.ID, "generate").click()
        wait.until(lambda b: len(b.execute_script(shown)) > 0)  # some text came
        browser.find_element(By.ID, "stop").click()
        stopped = wait.until(lambda b: b.execute_script(ENDED))
        browser.refresh()  # the channel id is in the URL: the page shows the channel again
        reloaded = wait.until(lambda b: b.execute_script(ENDED))
    text = generated_text(PROMPT)
    assert isinstance(stopped, dict)
    assert stopped["outcome"] == "cancelled"
    assert text.startswith(stopped["text"])
    assert 0 < len(stopped["text"]) < len(text)
    assert reloaded == {**stopped, "opens": "1"}
