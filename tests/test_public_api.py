"""The public surface: sorted and complete ``__all__``, and a docstring on everything public."""

from __future__ import annotations

import importlib
import inspect
import types

import pytest

PUBLIC_MODULES = [
    "rillet",
    "rillet.anthropic",
    "rillet.events",
    "rillet.gemini",
    "rillet.params",
    "rillet.relay",
    "rillet.sse",
    "rillet.testing",
    "rillet.testing.pytest_plugin",
]


def public_names(module: types.ModuleType) -> set[str]:
    """What the module offers: its non-underscore names that are not modules.

    ``dir()``, not ``vars()``: it lists the names a module imports on first use, too.
    """
    return {
        name
        for name in dir(module)
        if not name.startswith("_")
        and not isinstance(getattr(module, name), types.ModuleType)
        and name != "annotations"
    }


@pytest.mark.parametrize("name", PUBLIC_MODULES)
def test_all_is_sorted_and_complete(name: str) -> None:
    module = importlib.import_module(name)
    exported = list(module.__all__)
    assert exported == sorted(exported)
    assert len(set(exported)) == len(exported)
    assert set(exported) == public_names(module)


def documented_members(obj: object) -> list[tuple[str, object]]:
    """Public methods and properties defined on a class (not inherited from builtins)."""
    members: list[tuple[str, object]] = []
    for attr, value in vars(obj).items():
        if attr.startswith("_") or not (inspect.isfunction(value) or isinstance(value, property)):
            continue
        members.append((attr, value))
    return members


@pytest.mark.parametrize("name", PUBLIC_MODULES)
def test_every_public_object_has_a_docstring(name: str) -> None:
    module = importlib.import_module(name)
    assert inspect.getdoc(module)
    missing = []
    for export in module.__all__:
        obj = getattr(module, export)
        if not (inspect.isclass(obj) or inspect.isfunction(obj)):
            # Constants and type aliases have no runtime docstring: their attribute
            # docstrings are checked by the docs build (autodoc, warnings as errors).
            continue
        if not inspect.getdoc(obj):
            missing.append(export)
        if inspect.isclass(obj):
            missing += [
                f"{export}.{attr}"
                for attr, member in documented_members(obj)
                if not inspect.getdoc(member)
            ]
    assert missing == []


def test_the_sse_module_re_exports_the_decoder() -> None:
    from rillet import _sse, sse  # noqa: PLC0415

    assert sse.SSEDecoder is _sse.SSEDecoder
    assert sse.ServerSentEvent.__module__ == "rillet._sse"
