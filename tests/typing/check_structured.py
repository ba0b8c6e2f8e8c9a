"""What type checkers see of structured output: run by mypy --strict and pyright strict.

Not collected by pytest (nothing here runs): the checkers read it. ``text_format=`` and a class
as ``response_format=`` give results typed by the class, for attrs classes, dataclasses,
TypedDicts and pydantic models; the API's own ``response_format`` object keeps the plain types;
the parsed streams are the plain streams too (code annotated ``ResponseStream`` takes them).
"""

from __future__ import annotations

import dataclasses
from typing import TypedDict, assert_type

import attrs
import pydantic

from rillet import (
    AsyncClient,
    ChatCompletionStream,
    Client,
    ParsedChatCompletionStream,
    ParsedResponseStream,
    ResponseStream,
    StructuredOutputError,
    SyncParsedChatCompletionStream,
    SyncParsedResponseStream,
)
from rillet.events import (
    ChatCompletion,
    ParsedChatCompletion,
    ParsedChatCompletionMessage,
    ParsedResponse,
    Response,
)


@attrs.frozen
class Recipe:
    title: str


@dataclasses.dataclass
class Point:
    x: float


class Movie(TypedDict):
    title: str


class Film(pydantic.BaseModel):
    title: str


async def responses(client: AsyncClient) -> None:
    parsed = await client.responses.parse(model="m", input="hi", text_format=Recipe)
    assert_type(parsed, ParsedResponse[Recipe])
    assert_type(parsed.output_parsed, Recipe | None)
    assert_type(parsed.output_text, str)
    plain: Response = parsed  # a ParsedResponse is a Response
    del plain

    created = await client.responses.create(model="m", input="hi", text_format=Point)
    assert_type(created, ParsedResponse[Point])
    movie = await client.responses.parse(model="m", input="hi", text_format=Movie)
    assert_type(movie.output_parsed, Movie | None)
    film = await client.responses.parse(model="m", input="hi", text_format=Film)
    assert_type(film.output_parsed, Film | None)

    stream = await client.responses.create(model="m", input="hi", stream=True, text_format=Recipe)
    assert_type(stream, ParsedResponseStream[Recipe])
    async with stream:
        assert_type(stream.text_format, type[Recipe])
        assert_type(await stream.final_response(), ParsedResponse[Recipe])
        assert_type(await stream.get_final_response(), ParsedResponse[Recipe])
        assert_type(await stream.dispatch(), ParsedResponse[Recipe])
    annotated: ResponseStream = stream  # code written for plain streams takes it
    del annotated

    unformatted = await client.responses.create(model="m", input="hi")
    assert_type(unformatted, Response)
    await client.responses.parse(model="m", input="hi")  # type: ignore[call-arg]  # pyright: ignore[reportCallIssue]


async def chat(client: AsyncClient) -> None:
    parsed = await client.chat.completions.parse(
        model="m", messages=[{"role": "user", "content": "hi"}], response_format=Recipe
    )
    assert_type(parsed, ParsedChatCompletion[Recipe])
    message = parsed.choices[0].message
    assert_type(message, ParsedChatCompletionMessage[Recipe])
    assert_type(message.parsed, Recipe | None)
    assert_type(message.refusal, str | None)
    plain: ChatCompletion = parsed
    del plain

    movie = await client.chat.completions.create(
        model="m", messages=[{"role": "user", "content": "hi"}], response_format=Movie
    )
    assert_type(movie.choices[0].message.parsed, Movie | None)

    own = await client.chat.completions.create(
        model="m",
        messages=[{"role": "user", "content": "hi"}],
        response_format={"type": "json_object"},
    )
    assert_type(own, ChatCompletion)

    stream = await client.chat.completions.create(
        model="m", messages=[{"role": "user", "content": "hi"}], stream=True, response_format=Film
    )
    assert_type(stream, ParsedChatCompletionStream[Film])
    async with stream:
        assert_type(stream.response_format, type[Film])
        final = await stream.final_response()
        assert_type(final, ParsedChatCompletion[Film])
        assert_type(final.choices[0].message.parsed, Film | None)
    annotated: ChatCompletionStream = stream
    del annotated


def blocking(client: Client) -> None:
    parsed = client.responses.parse(model="m", input="hi", text_format=Recipe)
    assert_type(parsed, ParsedResponse[Recipe])
    with client.responses.create(model="m", input="hi", stream=True, text_format=Recipe) as stream:
        assert_type(stream, SyncParsedResponseStream[Recipe])
        assert_type(stream.get_final_response(), ParsedResponse[Recipe])
        assert_type(stream.final_response(), ParsedResponse[Recipe])
    completion = client.chat.completions.parse(
        model="m", messages=[{"role": "user", "content": "hi"}], response_format=Point
    )
    assert_type(completion.choices[0].message.parsed, Point | None)
    with client.chat.completions.create(
        model="m", messages=[{"role": "user", "content": "hi"}], stream=True, response_format=Point
    ) as chat_stream:
        assert_type(chat_stream, SyncParsedChatCompletionStream[Point])
        assert_type(chat_stream.get_final_response(), ParsedChatCompletion[Point])


def errors(error: StructuredOutputError) -> None:
    assert_type(error.problems, list[str])
    assert_type(error.text, str | None)
    assert_type(error.response, Response | ChatCompletion | None)
