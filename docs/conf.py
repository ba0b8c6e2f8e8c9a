"""Sphinx configuration: MyST Markdown, furo, autodoc with Google-style docstrings."""

from __future__ import annotations

import importlib
import pkgutil
from functools import cache
from importlib import metadata
from typing import Any

from sphinx.application import Sphinx
from sphinx.pycode import ModuleAnalyzer

project = "rillet"
author = "The rillet developers"
copyright = "2026, The rillet developers"
release = metadata.version("rillet")
version = release

extensions = [
    "myst_parser",
    "sphinx.ext.autodoc",
    "sphinx.ext.napoleon",
    "sphinx.ext.doctest",
]
source_suffix = {".md": "markdown", ".rst": "restructuredtext"}
exclude_patterns = ["_build", "README.md"]
myst_enable_extensions = ["colon_fence"]
myst_heading_anchors = 3

html_theme = "furo"
html_title = "rillet"

autodoc_member_order = "bysource"
autodoc_typehints = "description"
autodoc_default_options = {"members": True, "show-inheritance": True}
napoleon_google_docstring = True
napoleon_numpy_docstring = False
napoleon_use_ivar = True
nitpicky = True
# Standard-library targets cannot be resolved offline (CI has no network for intersphinx).
nitpick_ignore_regex = [
    (r"py:class", r"(bytes|str|int|float|bool|object|Exception|memoryview|bytearray)"),
    (r"py:class", r"(collections\.abc|typing|types|pathlib|random|httpx|anyio|_pytest)\..*"),
    # Private bases and helpers of public classes are not documented.
    (r"py:class", r"rillet\..*\._\w+"),
    (r"py:class", r"rillet\._closing\.\w+"),  # the context managers' mixins
    (r"py:class", r"rillet\._client_base\.\w+"),  # what every provider's client shares
    (r"py:class", r"rillet\._routing\.\w+"),  # the mixin that types on() for checkers
    (r"py:class", r"rillet\._protocols\.\w+"),  # the machine's seam, a provider's protocol base
    # rillet.params (generated TypedDicts) is not in the reference (see check_reference.py).
    (r"py:class", r"(rillet\.params\.\S+|ResponseCreateParams|ChatCompletionCreateParams)"),
    # The streams' generic bases name these as strings (forward references).
    (r"py:class", r"Response|ResponseEvent|ChatCompletionEvent|AnyResponseEvent|AnyChatEvent"),
    (r"py:class", r"AnthropicEvent( \| AnyNeutralEvent)?"),
    (r"py:class", r"Base|rillet\._protocols\.StreamProtocol"),  # the shared bases
    (r"py:class", r"_\w+"),  # private names in signatures (sources are made by connect())
    (r"py:(class|obj)", r"(rillet\.(events\.|relay\.)?_\w+\.)?[A-Z]"),  # type variables
    # OpenTelemetry's providers (the optional rillet[otel]): its docs are not linked offline.
    (r"py:class", r"(opentelemetry\.\S+\.)?(TracerProvider|MeterProvider)"),
    # What the dispatcher needs from a stream (a protocol that the streams satisfy).
    (r"py:class", r"(rillet\._dispatch\.)?DispatchSource"),
    (
        r"py:class",
        r"ErrorPolicy|Headers|Query|Body|Send|SyncSend|StreamMachine|Registrar|Base|ArgumentsEvent",
    ),  # aliases, spelled out where used; streams are made by the clients, not by users
]


# Constants and type aliases are documented where they are defined (a docstring after the
# assignment), in private modules; autodoc looks in the public module that re-exports them.
# This hook finds those docstrings for the ``autodata`` entries of api.md.


@cache
def _defined_docs() -> dict[str, list[str]]:
    import rillet  # noqa: PLC0415

    docs: dict[str, list[str]] = {}
    modules = pkgutil.walk_packages(rillet.__path__, "rillet.")
    skipped = ("__main__", "._pydantic")  # (._pydantic needs pydantic: an optional integration)
    for module in sorted(info.name for info in modules if not info.name.endswith(skipped)):
        try:
            importlib.import_module(module)
        except ImportError:  # it needs an optional dependency (msgspec...) that is not here
            continue
        for (scope, name), lines in ModuleAnalyzer.for_module(module).find_attr_docs().items():
            if not scope:
                docs.setdefault(name, list(lines))
    return docs


def _fill_docstring(
    app: Sphinx, what: str, name: str, obj: Any, options: Any, lines: list[str]
) -> None:
    documented = _defined_docs().get(name.rpartition(".")[2])
    if what == "data" and documented:  # else a dict's data shows dict's own docstring
        lines[:] = documented


# Annotations that name a client rillet imports only for type checkers stay unqualified
# (``AsyncClient``): they mean the OpenAI clients, not those of rillet.gemini or other providers.
_CLIENTS = {"AsyncClient": "rillet.AsyncClient", "Client": "rillet.Client"}


def _qualify_clients(app: Sphinx, what: str, name: str, *_: object) -> None:
    del what
    annotations = app.env.current_document.autodoc_annotations.get(name, {})
    for key, value in annotations.items():
        annotations[key] = _CLIENTS.get(value, value)


def setup(app: Sphinx) -> None:
    app.connect("autodoc-process-docstring", _fill_docstring)
    # After autodoc records the type hints (its handler has the default priority, 500).
    app.connect("autodoc-process-signature", _qualify_clients, priority=600)
