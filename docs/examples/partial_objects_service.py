"""A FastAPI service that shows a structured answer in a browser while the model writes it.

``GET /`` is a page whose ``EventSource`` shows the recipe as it grows. ``GET /recipe?dish=...``
answers ``text/event-stream``: a ``partial`` event with the recipe so far (a JSON object that only
grows) after each piece of the model's text, then ``done`` with the parsed recipe, or ``error``.
The model's stream is parsed incrementally (``stream.partial_output``): each piece costs the
same, however long the recipe already is. A browser that goes away closes the model's stream.

Run it with ``python partial_objects_service.py`` (``OPENAI_BASE_URL`` may point at
``rillet serve``, which answers with JSON of the schema), then open http://127.0.0.1:8000/.
"""

import dataclasses
import json
from collections.abc import AsyncGenerator, AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI
from fastapi.responses import HTMLResponse, StreamingResponse

from rillet import AsyncClient, RilletError


@dataclasses.dataclass
class Step:
    text: str
    minutes: int | None


@dataclasses.dataclass
class Recipe:
    title: str
    servings: int
    steps: list[Step]


PAGE = """<!doctype html>
<meta charset="utf-8">
<title>Recipe</title>
<input id="dish" value="onion soup"> <button id="go">Cook</button>
<pre id="recipe"></pre>
<script>
document.getElementById("go").onclick = () => {
  const shown = document.getElementById("recipe");
  const source = new EventSource("/recipe?dish=" + encodeURIComponent(dish.value));
  source.addEventListener("partial", (e) => {
    shown.textContent = JSON.stringify(JSON.parse(e.data), null, 2);
  });
  source.addEventListener("done", () => source.close());
  source.addEventListener("error", () => source.close());
};
</script>
"""


def sse(event: str, data: object) -> bytes:
    """One server-sent event, its data as one line of JSON."""
    return f"event: {event}\ndata: {json.dumps(data, ensure_ascii=False)}\n\n".encode()


def create_app(model: str = "gpt-5", **client_options: Any) -> FastAPI:  # noqa: ANN401
    """The service; ``client_options`` go to its ``AsyncClient`` (``base_url``, ``api_key``...)."""
    client = AsyncClient(**client_options)

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncGenerator[None]:
        async with client:
            yield

    app = FastAPI(lifespan=lifespan)

    @app.get("/", response_class=HTMLResponse)
    async def page() -> str:
        return PAGE

    @app.get("/recipe")
    async def recipe(dish: str) -> StreamingResponse:
        stream = await client.responses.create(
            model=model, input=f"A recipe for {dish}.", stream=True, text_format=Recipe
        )

        async def events() -> AsyncIterator[bytes]:
            async with stream:  # closed when the browser goes away (the generator is closed)
                try:
                    async for event in stream:
                        if event.type == "response.output_text.delta" and stream.partial_output:
                            yield sse("partial", stream.partial_output)
                    response = await stream.final_response()
                except RilletError as error:
                    yield sse("error", {"type": type(error).__name__, "message": str(error)})
                    return
                parsed = response.output_parsed
                yield sse("done", None if parsed is None else dataclasses.asdict(parsed))

        return StreamingResponse(events(), media_type="text/event-stream")

    return app


if __name__ == "__main__":
    import uvicorn

    uvicorn.run(create_app(), host="127.0.0.1", port=8000)
