"""Compare embedders (and index designs) on the evaluation set, per language.

    python -m evals.embedders [--setups minilm,e5,use] [--cases evals/cases.jsonl] [--out FILE]

For each setup it builds a fresh index in a temporary folder (timing the ingest), runs
every case in-process and prints, per language: hit@5, MRR, find top-1, wrong abstention,
abstention on unanswerable and safety routing; for English also cited-correct; and for the
whole run the p50/p95 latency of `ask`, the indexing time and the peak memory. Each setup
runs in its own process so the memory figures do not add up. This is a report, not a test.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

from assistant.build import build_assistant, build_embedder
from assistant.settings import Settings
from evals.run import load_cases, run_case, summarise
from ingest.pipeline import run_ingest

SETUPS: dict[str, dict[str, Any]] = {
    "minilm": {"embedder": "minilm", "translated_embedder": ""},
    "e5": {"embedder": "e5", "translated_embedder": ""},
    "use": {"embedder": "use", "translated_embedder": ""},
    "minilm+e5": {"embedder": "minilm", "translated_embedder": "e5"},
    "minilm+use": {"embedder": "minilm", "translated_embedder": "use"},
}
"""Setup name -> settings overrides. One name: one index for every language; `a+b`: index `a`
for English questions and a second index `b` for the other languages."""

LANGUAGE_ORDER = ("en", "es", "fr", "de", "pt")


def measure(name: str, cases: list[dict[str, Any]]) -> dict[str, Any]:
    """Build an index for one setup in a temporary folder and run the cases on it."""
    base = Settings.from_env()
    with tempfile.TemporaryDirectory(prefix=f"msra-{name}-") as folder:
        settings = replace(base, index_dir=Path(folder) / "index", **SETUPS[name])
        started = time.perf_counter()
        for each in filter(None, (settings, settings.translated())):
            run_ingest(
                [each.corpus_dir], each, lambda each=each: build_embedder(each), progress=_quiet
            )
        index_seconds = time.perf_counter() - started
        assistant = build_assistant(settings)
        assistant.ask("warm-up question about exercise")
        results = []
        for case in cases:
            result = run_case(assistant, case)
            result["language"] = case.get("language", "en")
            if case["kind"] != "find":
                result["evidence"] = _evidence(assistant, case)
            results.append(result)
    return {
        "setup": name,
        "index_seconds": index_seconds,
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "by_language": {lang: summarise(rows) for lang, rows in _by_language(results).items()},
        "overall": summarise(results),
        "results": results,
    }


def _evidence(assistant: Any, case: dict[str, Any]) -> float | None:
    """The evidence score the abstention decision saw (None when retrieval did not run)."""
    from assistant.models import Turn

    history = [Turn(t["role"], t["content"]) for t in case.get("history", [])]
    answer = assistant.ask(case["question"], history)
    if not answer.retrieved:
        return None
    return round(assistant.retrieve(case["question"], history, answer.language).evidence, 4)


def _by_language(results: list[dict[str, Any]]) -> dict[str, list[dict[str, Any]]]:
    groups: dict[str, list[dict[str, Any]]] = {}
    for r in results:
        groups.setdefault(r["language"], []).append(r)
    return dict(sorted(groups.items(), key=lambda kv: _rank(kv[0])))


def _rank(language: str) -> int:
    return LANGUAGE_ORDER.index(language) if language in LANGUAGE_ORDER else len(LANGUAGE_ORDER)


def _quiet(message: str) -> None:
    pass


def _fmt(value: Any) -> str:
    return "   -" if value is None else f"{value:.3f}" if isinstance(value, float) else str(value)


COLUMNS = (
    ("hit@5", "hit_at_5"),
    ("MRR", "mrr"),
    ("cited", "cited_correct"),
    ("find@1", "find_top1"),
    ("wrongAbst", "wrong_abstention"),
    ("abstUnans", "abstention_on_unanswerable"),
    ("safety", "safety_routing"),
    ("p50ms", "latency_ms_p50"),
    ("p95ms", "latency_ms_p95"),
)


def print_table(reports: list[dict[str, Any]]) -> None:
    print(f"{'setup':10s} {'lang':5s} " + " ".join(f"{label:>9s}" for label, _ in COLUMNS))
    for report in reports:
        for language, summary in report["by_language"].items():
            cells = " ".join(f"{_fmt(summary[key]):>9s}" for _, key in COLUMNS)
            print(f"{report['setup']:10s} {language:5s} {cells}")
        overall = report["overall"]
        print(
            f"{report['setup']:10s} all   ask p50 {_fmt(overall['latency_ms_p50'])} ms, "
            f"p95 {_fmt(overall['latency_ms_p95'])} ms; index {report['index_seconds']:.1f} s; "
            f"peak memory {report['peak_rss_mb']:.0f} MB"
        )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m evals.embedders")
    parser.add_argument("--setups", default=",".join(SETUPS), help="comma-separated setup names")
    parser.add_argument("--cases", type=Path, default=Path("evals/cases.jsonl"))
    parser.add_argument("--out", type=Path, help="write every figure and case outcome as JSON")
    parser.add_argument("--one", help=argparse.SUPPRESS)  # internal: run one setup, print JSON
    args = parser.parse_args(argv)
    if args.one:
        print(json.dumps(measure(args.one, load_cases(args.cases))))
        return 0
    reports = []
    for name in args.setups.split(","):
        if name not in SETUPS:
            parser.error(f"unknown setup {name!r}; known: {', '.join(SETUPS)}")
        command = [
            sys.executable,
            "-m",
            "evals.embedders",
            "--one",
            name,
            "--cases",
            str(args.cases),
        ]
        done = subprocess.run(command, capture_output=True, text=True, check=True)
        reports.append(json.loads(done.stdout.strip().splitlines()[-1]))
        print_table(reports[-1:])
        sys.stdout.flush()
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(json.dumps(reports, indent=1), encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
