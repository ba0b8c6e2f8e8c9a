"""Check that the built API reference documents every public name (run by ``nox -s docs``).

python docs/check_reference.py BUILD_DIR
"""

from __future__ import annotations

import importlib
import pkgutil
import sys
from pathlib import Path

from sphinx.util.inventory import InventoryFile

# Generated from the API's OpenAPI description (some 250 TypedDicts and aliases, each with the
# spec's docstring): read in the source and in editors, described in types.md.
UNLISTED = {"rillet.params"}


def public_modules() -> list[str]:
    """rillet and its modules whose names have no leading underscore (but ``UNLISTED``)."""
    import rillet  # noqa: PLC0415

    found = pkgutil.walk_packages(rillet.__path__, "rillet.")
    names = [
        info.name
        for info in found
        if not any(p.startswith("_") for p in info.name.split(".")) and info.name not in UNLISTED
    ]
    return ["rillet", *names]


def main(build: Path) -> int:
    with (build / "objects.inv").open("rb") as stream:
        inventory = InventoryFile.load(stream, "", lambda _, uri: uri)
    documented = {
        name for kind, entries in inventory.items() if kind.startswith("py:") for name in entries
    }
    missing = [
        f"{module}.{name}"
        for module in public_modules()
        for name in importlib.import_module(module).__all__
        if f"{module}.{name}" not in documented
    ]
    for name in missing:
        print(f"not in the API reference: {name}", file=sys.stderr)
    return 1 if missing else 0


if __name__ == "__main__":
    sys.exit(main(Path(sys.argv[1])))
