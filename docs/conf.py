"""Sphinx configuration: MyST Markdown, furo, autodoc with Google-style docstrings."""

from __future__ import annotations

from importlib import metadata

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
    (r"py:class", r"rillet\._\w+\.[A-Z]"),  # type variables
    (
        r"py:class",
        r"ErrorPolicy|Headers|Query|Body|Reopen|SyncReopen",
    ),  # aliases, spelled out where used
]
