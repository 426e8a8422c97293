"""Tables and the Markdown report from summaries, and regressions against a snapshot.

Pure text from plain data (the summaries `evals.score.summarise` makes): the terminal
tables, the report, and the comparison with the committed snapshot of our own figures
(`evals/results/baseline.json`). Plots are `evals.plots`; running the cases is `evals.run`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

Summary = dict[str, Any]


@dataclass(frozen=True)
class Metric:
    key: str
    label: str
    higher_is_better: bool = True
    tolerance: float = 0.02
    """How much worse than the snapshot still counts as noise."""
    relative: bool = False
    """Tolerance as a fraction of the snapshot value (latency on a shared machine)."""
    overall_only: bool = False
    """Compared only over all cases: per group it is too noisy to mean anything."""
    floor: float = 0.0
    """A change smaller than this never counts, whatever the relative tolerance."""
    compared: bool = True
    """Checked against the snapshot; False for a count that is neither better nor worse."""


METRICS = (
    Metric("success", "task success (the case's job done)"),
    Metric("hit_at_5", "hit@5: an answering passage retrieved"),
    Metric("mrr", "MRR of the first answering passage"),
    Metric("cited_correct", "cited-correct (of answered questions)"),
    Metric("answered_correctly", "answered with an answering quote"),
    Metric("verbatim_quotes", "verbatim quotes"),
    Metric("wrong_abstention", "wrong abstention (answerable)", higher_is_better=False),
    Metric("abstention_on_unanswerable", "abstention on unanswerable"),
    Metric("abstention_precision", "abstention precision"),
    Metric("abstention_recall", "abstention recall (unanswerable)"),
    Metric("safety_routing", "safety routing"),
    Metric("find_top1", "find: right passage first"),
    Metric("reads_alone", "answers whose quotes all read alone"),
    Metric("quotes_per_answer", "quotes per answer", compared=False),
    Metric("grade_framing", "FK grade, own framing text", False, 0.5),
    Metric("grade_answers", "FK grade, whole answers", False, 0.5),
    Metric(
        "latency_ms_p50", "latency p50 (ms)", False, 0.5, relative=True, overall_only=True, floor=5
    ),
    Metric(
        "latency_ms_p95", "latency p95 (ms)", False, 0.5, relative=True, overall_only=True, floor=5
    ),
)
GROUP_COLUMNS = {
    "by_category": ("success", "hit_at_5", "mrr", "answered_correctly", "find_top1"),
    "by_language": (
        "success",
        "hit_at_5",
        "find_top1",
        "abstention_recall",
        "safety_routing",
    ),
    "by_split": (
        "success",
        "cited_correct",
        "answered_correctly",
        "wrong_abstention",
        "abstention_on_unanswerable",
        "reads_alone",
    ),
}
SAFETY_COLUMNS = (
    "crisis_recall",
    "emergency_recall",
    "advice_recall",
    "lookalike_false_alarms",
    "safety_shown_beside",
)
SHORT = {
    "success": "success",
    "hit_at_5": "hit@5",
    "mrr": "MRR",
    "answered_correctly": "ans+cited",
    "find_top1": "find@1",
    "abstention_recall": "abstain",
    "safety_routing": "safety",
    "cited_correct": "cited",
    "wrong_abstention": "wrong-abst",
    "abstention_on_unanswerable": "abst-unans",
    "reads_alone": "reads-alone",
    "crisis_recall": "crisis",
    "emergency_recall": "emergency",
    "advice_recall": "advice",
    "lookalike_false_alarms": "lookalike-alarms",
    "safety_shown_beside": "shown-beside",
}


def fmt(value: Any) -> str:
    if value is None:
        return "-"
    return f"{value:.3f}" if isinstance(value, float) else str(value)


def overall_rows(ours: Summary, theirs: Summary | None) -> list[tuple[str, str, str]]:
    return [
        (m.label, fmt(ours.get(m.key)), fmt(theirs.get(m.key)) if theirs else "-") for m in METRICS
    ]


def group_rows(
    ours: Summary, theirs: Summary | None, group: str
) -> tuple[list[str], list[list[str]]]:
    """Header and rows of a per-category or per-language table: each cell `ours / theirs`."""
    columns = GROUP_COLUMNS[group]
    header = [group.removeprefix("by_"), "n", *(SHORT[c] for c in columns)]
    rows = []
    for name, figures in ours.get(group, {}).items():
        other = (theirs or {}).get(group, {}).get(name, {})
        cells = [_pair(figures.get(c), other.get(c), theirs is not None) for c in columns]
        rows.append([name, str(figures["cases"]), *cells])
    return header, rows


def safety_rows(safety: Summary) -> tuple[list[str], list[list[str]]]:
    """Header and rows of the safety table: all, then each split, then each language."""
    header = ["safety set", "n", *(SHORT[c] for c in SAFETY_COLUMNS)]
    scopes = [("all", safety)]
    scopes += [(f"split {n}", f) for n, f in safety.get("by_split", {}).items()]
    scopes += [(f"language {n}", f) for n, f in safety.get("by_language", {}).items()]
    rows = [[name, str(f["cases"]), *(fmt(f.get(c)) for c in SAFETY_COLUMNS)] for name, f in scopes]
    return header, rows


def _pair(ours: Any, theirs: Any, with_theirs: bool) -> str:
    if not with_theirs or (ours is None and theirs is None):
        return fmt(ours)
    return f"{fmt(ours)} / {fmt(theirs)}"


def text_table(header: list[str], rows: list[list[str]] | list[tuple[str, ...]]) -> str:
    widths = [max(len(str(r[i])) for r in [header, *rows]) for i in range(len(header))]
    lines = ["  ".join(str(c).ljust(w) if i == 0 else str(c).rjust(w)
                       for i, (c, w) in enumerate(zip(row, widths, strict=True)))
             for row in [header, *rows]]  # fmt: skip
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)


def markdown_table(header: list[str], rows: list[list[str]] | list[tuple[str, ...]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]
    return "\n".join(lines)


@dataclass(frozen=True)
class Regression:
    scope: str
    metric: str
    snapshot: float
    now: float

    def __str__(self) -> str:
        return f"{self.scope}: {self.metric} {fmt(self.snapshot)} -> {fmt(self.now)}"


def _worse(metric: Metric, snapshot: float, now: float) -> bool:
    allowed = metric.tolerance * abs(snapshot) if metric.relative else metric.tolerance
    allowed = max(allowed, metric.floor)
    change = snapshot - now if metric.higher_is_better else now - snapshot
    return change > allowed + 1e-9


def _scopes(summary: Summary) -> dict[str, Summary]:
    scopes = {"overall": summary}
    for group in GROUP_COLUMNS:
        for name, figures in summary.get(group, {}).items():
            scopes[f"{group.removeprefix('by_')} {name}"] = figures
    return scopes


def compare(now: Summary, snapshot: Summary) -> tuple[list[Regression], list[str]]:
    """Regressions against the snapshot, in every scope (overall, each category, each
    language) that holds the same number of cases in both; and the scopes not compared."""
    found, skipped = [], []
    now_scopes = _scopes(now)
    for scope, before in _scopes(snapshot).items():
        current = now_scopes.get(scope)
        if current is None or current["cases"] != before["cases"]:
            n = current["cases"] if current else 0
            skipped.append(f"{scope} (cases {before['cases']} -> {n})")
            continue
        for metric in METRICS:
            if not metric.compared or (metric.overall_only and scope != "overall"):
                continue
            old, new = before.get(metric.key), current.get(metric.key)
            if old is not None and new is not None and _worse(metric, old, new):
                found.append(Regression(scope, metric.key, old, new))
    skipped += [f"{s} (new)" for s in now_scopes if s not in _scopes(snapshot)]
    return found, skipped


def regression_lines(regressions: list[Regression], skipped: list[str]) -> list[str]:
    lines = [f"REGRESSION {r}" for r in regressions] or ["No regressions against the snapshot."]
    if skipped:
        lines.append("Not compared (the case set changed): " + "; ".join(skipped))
    return lines


def terminal_report(ours: Summary, theirs: Summary | None) -> str:
    """Overall figures, then per category, language and split; each `ours / langchain`;
    then the safety set's figures when it was run."""
    parts = [text_table(["metric", "ours", "langchain"], overall_rows(ours, theirs))]
    for group in GROUP_COLUMNS:
        parts.append(text_table(*group_rows(ours, theirs, group)))
    if ours.get("safety"):
        parts.append(text_table(*safety_rows(ours["safety"])))
    return "\n\n".join(parts)


def grade_rows(grades: dict[str, dict[str, float | None]], aim: float) -> list[list[str]]:
    return [
        [language, name, fmt(grade), "yes" if grade is not None and grade <= aim else "NO"]
        for language, by_name in grades.items()
        for name, grade in by_name.items()
    ]


def markdown_report(
    ours: Summary,
    theirs: Summary | None,
    grades: dict[str, dict[str, float | None]],
    comparison: list[str],
    plots: dict[str, str],
    aim: float = 8.0,
) -> str:
    """The report as Markdown; `plots` maps a caption to an image path relative to it."""
    parts = [
        "# Evaluation report",
        "Generated by `python -m evals.run` (`make eval`). Each cell is ours / the LangChain "
        "baseline (RecursiveCharacterTextSplitter 1000/200, the same MiniLM, Chroma "
        "similarity search, top chunk as the answer, no abstention, no safety routing, a "
        "follow-up searched on its own words). The baseline's verbatim rate is 1.0 by "
        "construction: it cites whole chunks. Latency is warm and in-process on a shared "
        "machine, so it moves from run to run.",
        "## Overall",
        markdown_table(["metric", "ours", "LangChain baseline"], overall_rows(ours, theirs)),
    ]
    for group, title in (
        ("by_category", "By category"),
        ("by_language", "By language"),
        ("by_split", "By split (legacy: tuned on; dev; heldout: never tuned on)"),
    ):
        parts += [f"## {title}", markdown_table(*group_rows(ours, theirs, group))]
    if ours.get("safety"):
        parts += [
            "## Safety set (crisis, emergency, advice, look-alike ordinary messages)",
            "Recall counts a route given as the status or as a support message shown beside "
            "an answer (advice: the status only); a false alarm is a look-alike message "
            "routed or shown a support message.",
            markdown_table(*safety_rows(ours["safety"])),
        ]
    parts += [f"![{caption}]({path})" for caption, path in plots.items()]
    parts += [
        f"## Reading grade of the assistant's own messages (aim: grade {aim:g} or below)",
        "Flesch-Kincaid grade (textstat) of each file in `assistant/messages/<language>/`, "
        "placeholders filled with sample values. The formula is calibrated on English.",
        markdown_table(["language", "message", "FK grade", "within aim"], grade_rows(grades, aim)),
        "## Against the committed snapshot (`evals/results/baseline.json`)",
        "\n".join(f"- {line}" for line in comparison),
    ]
    return "\n\n".join(parts) + "\n"
