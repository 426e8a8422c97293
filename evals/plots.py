"""The report's plots (matplotlib, Agg backend: no display, no network).

`category_plot`: task success and hit@5 per category, ours beside the baseline, as grouped
bars. `latency_plot`: the cumulative distribution of ask latency for both systems.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # after choosing the backend

OURS, THEIRS = "MS Rehab Assistant", "LangChain baseline"
COLOURS = {OURS: "#1b7837", THEIRS: "#999999"}
# PNG metadata without the matplotlib version, so an unchanged figure is an unchanged file.
_PNG = {"metadata": {"Software": None}}


def _bars(axis: Any, names: list[str], series: dict[str, list[float | None]], title: str):
    width = 0.8 / len(series)
    for n, (label, values) in enumerate(series.items()):
        xs = [i + (n - (len(series) - 1) / 2) * width for i in range(len(names))]
        heights = [v if v is not None else 0.0 for v in values]
        axis.bar(xs, heights, width, label=label, color=COLOURS.get(label))
    axis.set_title(title, fontsize=10)
    axis.set_ylim(0, 1.18)
    axis.set_xticks(range(len(names)), names, rotation=30, ha="right", fontsize=8)
    axis.grid(axis="y", alpha=0.3)


def category_plot(ours: dict[str, dict], theirs: dict[str, dict] | None, path: Path) -> Path:
    """Grouped bars per category: task success (all) and hit@5 (where it applies)."""
    names = list(ours)
    retrieval = [n for n in names if ours[n].get("hit_at_5") is not None]
    figure, (top, bottom) = plt.subplots(2, 1, figsize=(9, 7.5), constrained_layout=True)
    for axis, metric, shown, title in (
        (top, "success", names, "Task success per category (answer quoted / abstained / "
         "routed / passage found first)"),
        (bottom, "hit_at_5", retrieval, "hit@5: an answering passage among the top 5"),
    ):  # fmt: skip
        series = {OURS: [ours[n].get(metric) for n in shown]}
        if theirs is not None:
            series[THEIRS] = [theirs.get(n, {}).get(metric) for n in shown]
        _bars(axis, shown, series, title)
    top.legend(loc="upper center", ncols=2, fontsize=8)
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path, dpi=110, **_PNG)
    plt.close(figure)
    return path


def latency_plot(ours_ms: Sequence[float], theirs_ms: Sequence[float] | None, path: Path) -> Path:
    """Cumulative share of asks answered within a given time, log-scaled milliseconds."""
    figure, axis = plt.subplots(figsize=(7, 4), constrained_layout=True)
    for label, values in ((OURS, ours_ms), (THEIRS, theirs_ms)):
        if values:
            ordered = sorted(max(v, 0.01) for v in values)
            shares = [(i + 1) / len(ordered) for i in range(len(ordered))]
            axis.step(ordered, shares, where="post", label=label, color=COLOURS[label])
    axis.set_xscale("log")
    axis.set_xlabel("ask latency (ms, log scale)")
    axis.set_ylabel("share of asks")
    axis.set_title(
        "Latency of an ask, warm, in-process (safety-routed questions return before retrieval)",
        fontsize=9,
    )
    axis.grid(alpha=0.3)
    axis.legend(fontsize=8)
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path, dpi=110, **_PNG)
    plt.close(figure)
    return path
