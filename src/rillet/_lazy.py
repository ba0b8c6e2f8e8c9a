"""Names a package imports when they are first used (PEP 562): what keeps its import short."""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping
from typing import Any

__all__ = ["imported_on_first_use"]


def imported_on_first_use(
    namespace: dict[str, Any], sources: Mapping[str, str]
) -> tuple[Callable[[str], object], Callable[[], list[str]]]:
    """The ``__getattr__`` and ``__dir__`` of a module whose ``sources`` names are imported late.

    ``sources`` maps each name to the module that defines it; ``namespace`` is the module's
    ``globals()``, which keeps a name once imported (then found without ``__getattr__``).
    Assign them under ``if not TYPE_CHECKING:``, with the names imported for type checkers
    under ``if TYPE_CHECKING:``, so that a misspelt name stays an error for them.
    """

    def module_getattr(name: str) -> object:
        source = sources.get(name)
        if source is None:
            msg = f"module {namespace['__name__']!r} has no attribute {name!r}"
            raise AttributeError(msg)
        value = getattr(importlib.import_module(source), name)
        namespace[name] = value
        return value

    def module_dir() -> list[str]:
        return sorted({*namespace, *sources})

    return module_getattr, module_dir
