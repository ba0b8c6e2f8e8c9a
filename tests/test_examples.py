"""The examples in docs/examples run against the emulator and print what the docs say they do."""

from __future__ import annotations

import json
import re
import runpy
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
import trio

from clients import API_KEY
from conftest import Served, serve_with_uvicorn
from rillet import AsyncClient, Client
from rillet.events import Event
from rillet.sse import connect
from rillet.testing import Emulator

EXAMPLES = Path(__file__).parent.parent / "docs" / "examples"


def load(name: str) -> dict[str, Any]:
    """The example's globals, without running its ``__main__`` block."""
    return runpy.run_path(str(EXAMPLES / f"{name}.py"), run_name=f"example_{name}")


@pytest.fixture
def api(rillet_emulator: Emulator, rillet_openai_env: str) -> Served:
    """The emulator, generating every answer; the examples find it in the environment."""
    return Served(url=rillet_openai_env, emulator=rillet_emulator)


def last_request(api: Served) -> dict[str, Any]:
    method, path, _, body = api.emulator.requests[-1]
    assert method == "POST"
    return {"path": path, **json.loads(body)}


def answer_to(api: Served, request: dict[str, Any]) -> str:
    """What the emulator answers to the same request, asked again without streaming."""
    with Client(base_url=api.url) as client:
        if request["path"].endswith("/chat/completions"):
            chat = client.chat.completions.create(
                model=request["model"], messages=request["messages"]
            )
            return chat.choices[0].message.content or ""
        return client.responses.create(model=request["model"], input=request["input"]).output_text


def stream_of(api: Served, request: dict[str, Any]) -> list[Event]:
    """The events the emulator streams for the same request, asked again."""
    with Client(base_url=api.url) as client:
        stream = client.responses.create(
            model=request["model"], input=request["input"], stream=True
        )
        with stream:
            return list(stream)


def asked(question: str) -> dict[str, Any]:
    """The request the examples make for ``question``."""
    return {"path": "/v1/responses", "model": "gpt-5-mini", "input": question}


async def run(name: str, capsys: pytest.CaptureFixture[str]) -> list[str]:
    await load(name)["main"]()
    return capsys.readouterr().out.splitlines()


@pytest.mark.anyio
async def test_stream_text(api: Served, capsys: pytest.CaptureFixture[str]) -> None:
    lines = await run("stream_text", capsys)
    assert lines == [answer_to(api, last_request(api))]


@pytest.mark.anyio
async def test_filter_events(api: Served, capsys: pytest.CaptureFixture[str]) -> None:
    lines = await run("filter_events", capsys)
    assert lines[0] == "response.created"
    assert "response.in_progress" in lines
    assert "item done: message" in lines
    assert re.fullmatch(r"completed: \d+ tokens", lines[-1])
    assert not [line for line in lines if line.startswith("response.output_text.")]


@pytest.mark.anyio
async def test_final_response(api: Served, capsys: pytest.CaptureFixture[str]) -> None:
    text, summary = await run("final_response", capsys)
    assert text == answer_to(api, last_request(api))
    status, tokens = summary.split()
    assert status == "completed"
    assert int(tokens) > 0


@pytest.mark.anyio
async def test_iterate_again(api: Served, capsys: pytest.CaptureFixture[str]) -> None:
    first, text, count = await run("iterate_again", capsys)
    expected = answer_to(api, last_request(api))
    assert first == f"first word: {expected.split()[0]}"
    assert text == expected
    assert count == f"{len(stream_of(api, last_request(api)))} events"


@pytest.mark.anyio
async def test_chat_deltas(api: Served, capsys: pytest.CaptureFixture[str]) -> None:
    text, summary = await run("chat_deltas", capsys)
    assert text == answer_to(api, last_request(api))
    assert re.fullmatch(r"stop \d+ tokens", summary)


@pytest.mark.anyio
async def test_close_streams(api: Served, capsys: pytest.CaptureFixture[str]) -> None:
    lines = await run("close_streams", capsys)
    events = stream_of(api, last_request(api))
    types = [event.type for event in events]
    read = types.index("response.output_item.added") + 1
    deltas = types.count("response.output_text.delta")
    assert lines == [f"closed after {read} events", f"read {deltas} deltas", "finished in time"]
    await api.no_open_bodies()


@pytest.mark.anyio
async def test_timeouts_and_errors(api: Served, capsys: pytest.CaptureFixture[str]) -> None:
    (line,) = await run("timeouts_and_errors", capsys)
    match = re.fullmatch(r"total timeout after (\d+) words: '(.*)'", line)
    assert match, line
    expected = answer_to(api, last_request(api))
    assert expected.startswith(match[2])  # the text that arrived before the deadline
    assert int(match[1]) == len(match[2].split()) < len(expected.split())


@pytest.mark.anyio
async def test_first_handler(api: Served, capsys: pytest.CaptureFixture[str]) -> None:
    text, usage, status = await run("first_handler", capsys)
    assert text == answer_to(api, last_request(api))
    assert re.fullmatch(r"\[\d+ tokens\]", usage)
    assert status == "completed"


def test_blocking(api: Served, capsys: pytest.CaptureFixture[str]) -> None:
    load("blocking")["main"]()
    text, status = capsys.readouterr().out.splitlines()
    assert text == answer_to(api, last_request(api))
    assert status == "completed"


# The Starlette service, served by uvicorn; its clients here run on asyncio and trio.


@contextmanager
def service(api: Served, **options: Any) -> Iterator[str]:
    app = load("starlette_service")["create_app"](base_url=api.url, api_key=API_KEY, **options)
    with serve_with_uvicorn(app, lifespan="on") as url:
        yield url


async def ask(url: str, question: str = "Tell me about rivers.") -> list[tuple[str, Any]]:
    question_json = {"question": question}
    async with connect(f"{url}/ask", "POST", json=question_json, max_reconnects=0) as source:
        return [(sse.event, json.loads(sse.data)) async for sse in source]


def usage(url: str) -> dict[str, int]:
    return dict(httpx.get(f"{url}/usage").json())


@pytest.mark.anyio
async def test_service_relays_the_text_and_records_usage(api: Served) -> None:
    with service(api) as url:
        assert usage(url) == {"responses": 0, "input_tokens": 0, "output_tokens": 0}
        first = await ask(url, "Tell me about rivers.")
        second = await ask(url, "And about lakes?")
        totals = usage(url)

    for events, question in [(first, "Tell me about rivers."), (second, "And about lakes?")]:
        *texts, (last, done) = events
        assert {event for event, _ in texts} == {"text"}
        assert "".join(text for _, text in texts) == answer_to(api, asked(question))
        assert last == "done"
        assert done["status"] == "completed"
    usages = [events[-1][1]["usage"] for events in (first, second)]
    assert totals == {
        "responses": 2,
        "input_tokens": sum(u["input_tokens"] for u in usages),
        "output_tokens": sum(u["output_tokens"] for u in usages),
    }


@pytest.mark.anyio
async def test_service_closes_the_model_stream_when_its_client_goes_away(api: Served) -> None:
    # The model's stream stalls after its first text delta: only a close ends it.
    stall = {"x-rillet-fault": "stall-after-events=5"}
    with service(api, default_headers=stall) as url:
        async with connect(f"{url}/ask", "POST", json={"question": "Hi"}) as source:
            async for sse in source:
                assert sse.event == "text"
                break  # the client leaves
        await api.no_open_bodies()  # so the service closed its stream from the model
        assert usage(url)["responses"] == 0


@pytest.mark.parametrize(
    ("model", "error"),
    [("rillet-failed", "ResponseFailedError"), ("rillet-error", "ServerStreamError")],
)
@pytest.mark.anyio
async def test_service_reports_a_failed_model_stream(api: Served, model: str, error: str) -> None:
    with service(api, model=model) as url:
        events = await ask(url)
    last, detail = events[-1]
    assert (last, detail["type"]) == ("error", error)
    assert detail["message"]


def test_service_answers_502_when_the_model_api_refuses(api: Served) -> None:
    refuse = {"x-rillet-fault": "status=429"}
    with service(api, default_headers=refuse, max_retries=0) as url:
        answer = httpx.post(f"{url}/ask", json={"question": "Hi"})
        bad = httpx.post(f"{url}/ask", json=["not", "a", "question"])
        not_json = httpx.post(f"{url}/ask", content=b"question=Hi")
    assert answer.status_code == 502
    assert "429" in answer.json()["error"]
    assert bad.status_code == not_json.status_code == 400


# The trio service: many streams in one nursery, each with its deadline.


def test_trio_service_answers_each_job_within_its_deadline(api: Served) -> None:
    example = load("trio_service")
    job, answer_all = example["Job"], example["answer_all"]
    questions = [f"Question {n}?" for n in range(6)]
    # Each stream takes at least 60 x 20 ms; the first job has 0.3 s.
    jobs = [job(questions[0], deadline=0.3), *(job(q, deadline=30) for q in questions[1:])]

    async def main() -> list[Any]:
        slow = {"x-rillet-delay": "0.02"}
        send, receive = trio.open_memory_channel[Any](0)
        client = AsyncClient(base_url=api.url, api_key=API_KEY, default_headers=slow)
        async with client, trio.open_nursery() as nursery:
            nursery.start_soon(lambda: answer_all(client, jobs, send, concurrency=3))
            return [answer async for answer in receive]

    answers = trio.run(main)
    assert sorted(answer.question for answer in answers) == questions
    late = answers[0]  # the job that timed out finished first, and was reported at once
    assert (late.question, late.status) == (questions[0], "timed out")
    full = answer_to(api, asked(late.question))
    assert full.startswith(late.text)  # what arrived before the deadline
    assert len(late.text) < len(full)
    for answer in answers[1:]:
        assert (answer.status, answer.text) == ("completed", answer_to(api, asked(answer.question)))
        assert answer.output_tokens > 0


# The FastAPI service that shows a structured answer to a browser as it grows.


def grows_into(partial: Any, final: Any) -> bool:
    """Whether ``partial`` is on its way to ``final``: what it has is final, or a prefix of it."""
    if isinstance(partial, dict) and isinstance(final, dict):
        return all(k in final and grows_into(v, final[k]) for k, v in partial.items())
    if isinstance(partial, list) and isinstance(final, list) and len(partial) <= len(final):
        done = all(a == b for a, b in zip(partial[:-1], final, strict=False))
        return done and (not partial or grows_into(partial[-1], final[len(partial) - 1]))
    if isinstance(partial, str) and isinstance(final, str):
        return final.startswith(partial)
    return bool(partial == final)


@pytest.mark.anyio
async def test_partial_objects_service_shows_the_recipe_as_it_grows(api: Served) -> None:
    app = load("partial_objects_service")["create_app"](
        model="rillet-text", base_url=api.url, api_key=API_KEY
    )
    with serve_with_uvicorn(app, lifespan="on") as url:
        async with httpx.AsyncClient() as http:
            page = (await http.get(f"{url}/")).text
        async with connect(f"{url}/recipe?dish=onion+soup", max_reconnects=0) as source:
            events = [(sse.event, json.loads(sse.data)) async for sse in source]
    assert "new EventSource(" in page
    *partials, (last, recipe) = events
    assert last == "done"
    assert set(recipe) == {"title", "servings", "steps"}
    assert len(partials) > 10
    assert {event for event, _ in partials} == {"partial"}
    assert all(grows_into(value, recipe) for _, value in partials)
    assert partials[0][1] != recipe
    assert partials[-1][1] == recipe
