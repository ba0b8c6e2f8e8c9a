"""Charts for docs/performance.md, drawn from the saved results of the benchmarks.

Run the benchmarks first (``nox -s bench`` writes ``benchmarks/results/*.json``), then
``python benchmarks/plot.py`` (or ``nox -s plots``, which does both) to redraw
``docs/_static/performance/*.png`` (``python benchmarks/plot.py speed`` redraws one chart).
Each chart says when and on what machine it was measured.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import matplotlib as mpl

mpl.use("Agg")  # files only, no screen

import matplotlib.pyplot as plt
from matplotlib import ticker

from _results import RESULTS

CHARTS = Path(__file__).parent.parent / "docs" / "_static" / "performance"
PALETTE = ("#1f5fa8", "#6f9bd1", "#9a9a9a", "#c9c9c9")  # the first library listed is the darkest
BAR = 0.8


def ratio_label(
    value: float, baseline: float, *, higher_is_better: bool = True, unit: str = ""
) -> str:
    factor = max(value, baseline) / min(value, baseline)
    digits = 2 if factor < 2 else 1
    if unit.endswith("B"):  # memory: more or less of it
        return f"{factor:.{digits}f}x {'more' if value > baseline else 'less'}"
    better = value > baseline if higher_is_better else value < baseline
    return f"{factor:.{digits}f}x {'faster' if better else 'slower'}"


def figure_label(value: float) -> str:
    """Large figures (events/s) to the unit, small ones (µs/event) to two significant digits."""
    return f"{value:,.0f}" if value >= 100 else f"{value:.2g}" if value >= 1 else f"{value:.2f}"


def draw(result: dict[str, Any]) -> Path:
    rows = result["rows"]
    higher_is_better = result.get("higher_is_better", True)  # older results lack the field
    cases = list(dict.fromkeys(row["case"] for row in rows))
    libraries = list(dict.fromkeys(row["library"] for row in rows))
    value = {(row["case"], row["library"]): float(row["value"]) for row in rows}
    step = BAR / len(libraries)
    figure, axes = plt.subplots(figsize=(9, 1.2 + len(cases) * len(libraries) * 0.32))
    top = max(value.values())
    for index, library in enumerate(libraries):
        ys = [c + (index - (len(libraries) - 1) / 2) * step for c in range(len(cases))]
        xs = [value.get((case, library), 0.0) for case in cases]
        axes.barh(ys, xs, height=step * 0.9, color=PALETTE[index % len(PALETTE)], label=library)
        for y, x, case in zip(ys, xs, cases, strict=True):
            if not x:
                continue
            text = figure_label(x)
            base = value.get((case, result["baseline"]))
            if library != result["baseline"] and base:
                label = ratio_label(x, base, higher_is_better=higher_is_better, unit=result["unit"])
                text += f"  ({label})"
            axes.text(x + top * 0.01, y, text, va="center", fontsize=8)
    axes.set_yticks(range(len(cases)), cases, fontsize=9)
    axes.invert_yaxis()  # the first case on top
    axes.set_xlim(0, top * 1.35)
    axes.xaxis.set_major_formatter(ticker.StrMethodFormatter("{x:,.0f}"))
    better = "higher" if higher_is_better else "lower"
    axes.set_xlabel(f"{result['unit']} ({better} is better)")
    axes.spines[["top", "right"]].set_visible(False)
    axes.legend(loc="lower right", fontsize=8, frameon=False)
    title = result["title"]
    if len(libraries) > 1:
        title += f": ratios against {result['baseline']}"
    axes.set_title(title, fontsize=11)
    versions = ", ".join(f"{name} {version}" for name, version in result["versions"].items())
    footer = (
        f"Measured {result['date']} on {result['machine']}; Python {result['python']}; {versions}"
    )
    figure.text(0.01, 0.01, footer, fontsize=6.5, color="#555555")
    figure.tight_layout(rect=(0, 0.04, 1, 1))
    CHARTS.mkdir(parents=True, exist_ok=True)
    path = CHARTS / f"{result['benchmark']}.png"
    figure.savefig(path, dpi=110, metadata={"Software": None})
    plt.close(figure)
    return path


def main(names: list[str]) -> None:
    """Draw every saved result, or only those of the benchmarks ``names`` (``speed``, ...)."""
    saved = [RESULTS / f"{name}.json" for name in names] or sorted(RESULTS.glob("*.json"))
    if not saved or not all(path.exists() for path in saved):
        message = f"no results in {RESULTS}: run the benchmarks first (nox -s bench)"
        raise SystemExit(message)
    for path in saved:
        print(f"{path.name} -> {draw(json.loads(path.read_text(encoding='utf-8')))}")


if __name__ == "__main__":
    main(sys.argv[1:])
