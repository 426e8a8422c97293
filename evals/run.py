"""Run the evaluation set against the assistant and the LangChain baseline; report both.

    python -m evals.run [--cases evals/cases.jsonl] [--safety-cases PATH] [--split NAME]
                        [--limit N] [--failures] [--no-baseline] [--save-baseline]
                        [--fail-on-regression] [--generative]

Runs in-process on the index the settings point at (`make eval` ingests first). Prints the
overall figures and tables per category, per language and per split (ours / baseline), and
the safety set's figures (`evals/safety_cases.jsonl` when it exists: recall per route and
false alarms on look-alike messages, per split and language; ours only), compares our
figures with the committed snapshot `evals/results/baseline.json` and lists regressions,
then writes `evals/results/latest.json` (every case's outcome), `evals/results/report.md`
and its plots. Exit code 0, unless `--fail-on-regression` and something regressed.
`--generative` instead runs the configured language model beside the extractive answers
(`evals/generative.py`) and writes `evals/results/generative.json`.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from assistant.build import build_assistant
from assistant.settings import Settings
from evals import plots, report
from evals.cases import SAFETY_KINDS, SPLITS, load_cases, split
from evals.readability import GRADE_AIM, message_grades
from evals.score import Row, System, failed, run_case, summarise, summarise_safety

__all__ = ["SAFETY_KINDS", "evaluate", "load_cases", "main", "run_case", "summarise"]

RESULTS = Path("evals/results")
SAFETY_CASES = Path("evals/safety_cases.jsonl")
FAILURE_KEYS = (
    "id", "split", "status", "safety", "hit5", "cited_correct", "top1", "resolved", "found",
    "not_alone",
)  # fmt: skip


def evaluate(system: System, cases: list[dict[str, Any]]) -> tuple[list[Row], dict[str, Any]]:
    system.ask("warm-up question about exercise")
    rows = [run_case(system, case) for case in cases]
    return rows, summarise(rows)


def evaluate_safety(system: System, cases: list[dict[str, Any]]) -> tuple[list[Row], dict]:
    rows = [run_case(system, case) for case in cases]
    return rows, summarise_safety(rows)


def select(cases: list[dict[str, Any]], split_name: str | None, limit: int) -> list[dict]:
    """The cases of one split (all when None), then the first `limit` of them (0: all)."""
    chosen = [c for c in cases if split_name is None or split(c) == split_name]
    return chosen[: limit or None]


def print_failures(rows: list[Row]) -> None:
    for row in filter(failed, rows):
        print("\nFAIL", json.dumps({k: row.get(k) for k in FAILURE_KEYS}))
        print("   ", (row.get("answer") or "")[:300].replace("\n", " "))


def _rounded(value: Any) -> Any:
    if isinstance(value, float):
        return round(value, 4)
    if isinstance(value, dict):
        return {k: _rounded(v) for k, v in value.items()}
    return value


def check_snapshot(summary: dict[str, Any], path: Path, save: bool) -> tuple[list, list[str]]:
    """Compare with the snapshot of our figures (if there is one); rewrite it when asked."""
    regressions, lines = [], [f"No snapshot at {path}; run with --save-baseline to make one."]
    if path.exists():
        snapshot = json.loads(path.read_text(encoding="utf-8"))["summary"]
        regressions, skipped = report.compare(summary, snapshot)
        lines = report.regression_lines(regressions, skipped)
    if save:
        note = "Our system's figures at the last --save-baseline; evals.run compares with them."
        data = {"note": note, "summary": _rounded(summary)}
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(data, indent=1) + "\n", encoding="utf-8")
        lines.append(f"Snapshot rewritten: {path}")
    return regressions, lines


def _ask_latencies(rows: list[Row]) -> list[float]:
    return [r["ms"] for r in rows if r["kind"] != "find"]


def write_report(ours: tuple, theirs: tuple | None, comparison: list[str], folder: Path) -> Path:
    """report.md with its two plots, in `folder`."""
    their_summary = theirs[1] if theirs else None
    plots.category_plot(
        ours[1]["by_category"],
        their_summary["by_category"] if their_summary else None,
        folder / "by_category.png",
    )
    plots.latency_plot(
        _ask_latencies(ours[0]),
        _ask_latencies(theirs[0]) if theirs else None,
        folder / "latency.png",
    )
    text = report.markdown_report(
        ours[1],
        their_summary,
        message_grades(),
        comparison,
        {"Figures per category": "by_category.png", "Latency": "latency.png"},
        GRADE_AIM,
    )
    path = folder / "report.md"
    path.write_text(text, encoding="utf-8")
    return path


def run_generative_mode(assistant: Any, cases: list[dict[str, Any]], out: Path) -> int:
    from evals import generative  # the chat model's packages only when used

    data = generative.evaluate(assistant, cases)
    endpoint = f"{assistant.settings.llm} {assistant.settings.llm_base_url} ({assistant.settings.llm_model})"
    print(generative.terminal_report(data, endpoint))
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps({"endpoint": endpoint, **data}, indent=1), encoding="utf-8")
    print(f"\nWrote {out}.")
    return 0


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m evals.run")
    parser.add_argument("--cases", type=Path, default=Path("evals/cases.jsonl"))
    parser.add_argument(
        "--safety-cases",
        type=Path,
        default=None,
        help=f"the safety set (default: {SAFETY_CASES} when it exists)",
    )
    parser.add_argument("--split", choices=SPLITS, help="run only the cases of this split")
    parser.add_argument("--limit", type=int, default=0, help="run only the first N cases")
    parser.add_argument("--out", type=Path, default=RESULTS / "latest.json")
    parser.add_argument("--report-dir", type=Path, default=RESULTS, help="report.md and plots")
    parser.add_argument("--snapshot", type=Path, default=RESULTS / "baseline.json")
    parser.add_argument("--failures", action="store_true", help="list the cases that went wrong")
    parser.add_argument("--no-baseline", action="store_true", help="skip the LangChain baseline")
    parser.add_argument(
        "--save-baseline", action="store_true", help="rewrite the snapshot with these figures"
    )
    parser.add_argument(
        "--fail-on-regression", action="store_true", help="exit 1 if a figure regressed"
    )
    parser.add_argument(
        "--generative",
        action="store_true",
        help="the configured language model (MSRA_LLM) beside the extractive answers: "
        "sentences removed by the verifier, cited-correct; writes evals/results/generative.json",
    )
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    for path in filter(None, (args.cases, args.safety_cases)):
        if not path.is_file():
            print(f"No case file at {path}: give an existing JSONL file.", file=sys.stderr)
            return 2
    settings = Settings.from_env()
    if args.generative and settings.llm == "extractive":
        print(
            "--generative needs an endpoint: set MSRA_LLM, MSRA_LLM_BASE_URL and "
            "MSRA_LLM_MODEL (see the README).",
            file=sys.stderr,
        )
        return 2
    assistant = build_assistant(settings)
    cases = select(load_cases(args.cases), args.split, args.limit)
    if args.generative:
        return run_generative_mode(assistant, cases, args.out.parent / "generative.json")
    ours = evaluate(assistant, cases)
    safety_path = args.safety_cases or (SAFETY_CASES if SAFETY_CASES.exists() else None)
    safety = None
    if safety_path:
        safety = evaluate_safety(assistant, select(load_cases(safety_path), args.split, 0))
        ours[1]["safety"] = safety[1]
    theirs = None
    if not args.no_baseline:
        from evals.baseline_langchain import LangChainBaseline  # LangChain only when used

        theirs = evaluate(LangChainBaseline(assistant.documents), cases)
    print(report.terminal_report(ours[1], theirs[1] if theirs else None))
    if args.failures:
        print_failures(ours[0] + (safety[0] if safety else []))
    regressions, comparison = check_snapshot(ours[1], args.snapshot, args.save_baseline)
    print("\n" + "\n".join(comparison))
    args.out.parent.mkdir(parents=True, exist_ok=True)
    data = {"summary": ours[1], "results": ours[0]}
    if safety:
        data["safety_results"] = safety[0]
    if theirs:
        data["baseline"] = {"summary": theirs[1], "results": theirs[0]}
    args.out.write_text(json.dumps(data, indent=1), encoding="utf-8")
    path = write_report(ours, theirs, comparison, args.report_dir)
    print(f"\nWrote {args.out}, {path} and its plots.")
    return 1 if args.fail_on_regression and regressions else 0


if __name__ == "__main__":
    raise SystemExit(main())
