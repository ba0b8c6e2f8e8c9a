"""Benchmark results saved as JSON (what was measured, when, on what machine), for the plots."""

from __future__ import annotations

import datetime as dt
import json
import os
import platform
from dataclasses import asdict, dataclass, field
from importlib import metadata
from pathlib import Path
from typing import Literal

RESULTS = Path(__file__).parent / "results"
PACKAGES = ("rillet", "openai", "httpx-sse", "httpx", "anyio", "orjson")


def machine() -> str:
    """The CPU and its core count, as the OS reports them."""
    model = platform.processor() or platform.machine()
    try:
        with Path("/proc/cpuinfo").open(encoding="utf-8") as cpuinfo:
            for line in cpuinfo:
                if line.startswith("model name"):
                    model = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    return f"{model}, {os.cpu_count()} cores, {platform.system()} {platform.machine()}"


def versions() -> dict[str, str]:
    found = {}
    for package in PACKAGES:
        try:
            found[package] = metadata.version(package)
        except metadata.PackageNotFoundError:
            continue
    return found


@dataclass
class Results:
    """One benchmark's figures: a value per (case, library), in one unit."""

    benchmark: str
    title: str
    unit: str
    baseline: str  # what the others are compared with
    rows: list[dict[str, str | float]] = field(default_factory=list)
    better: Literal["higher", "lower"] = "higher"  # lower for memory, say

    def add(self, case: str, library: str, value: float) -> None:
        self.rows.append({"case": case, "library": library, "value": value})

    def save(self) -> Path:
        """Write ``results/<benchmark>.json``, stamped with the date, machine and versions."""
        record = {
            **asdict(self),
            "date": dt.datetime.now(dt.UTC).date().isoformat(),
            "machine": machine(),
            "python": platform.python_version(),
            "versions": versions(),
        }
        RESULTS.mkdir(exist_ok=True)
        path = RESULTS / f"{self.benchmark}.json"
        path.write_text(json.dumps(record, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
        print(f"saved {path.relative_to(Path.cwd()) if path.is_relative_to(Path.cwd()) else path}")
        return path
