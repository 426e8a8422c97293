"""Run the evaluation set against the assistant and print the figures.

    python -m evals.run [--cases evals/cases.jsonl] [--limit N] [--out evals/results/latest.json]

Runs in-process on the index the settings point at. Prints hit@5, MRR, cited-correct
rate, verbatim-quote rate, abstention both ways, safety routing accuracy, find top-1 and
latency, per case kind, and writes every case's outcome to the output JSON.
"""

from __future__ import annotations

import argparse
import json
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

from assistant.build import build_assistant
from assistant.core import Assistant
from assistant.models import Turn
from assistant.settings import Settings
from evals import metrics

SAFETY_KINDS = ("emergency", "crisis", "advice")


def load_cases(path: Path) -> list[dict[str, Any]]:
    return [
        json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()
    ]


def run_case(assistant: Assistant, case: dict[str, Any]) -> dict[str, Any]:
    if case["kind"] == "find":
        started = time.perf_counter()
        matches = assistant.find(case["text"])
        elapsed = (time.perf_counter() - started) * 1000
        texts = [m.text for m in matches]
        return {
            "id": case["id"],
            "kind": "find",
            "top1": metrics.hit_at_k(texts, case["passages"], 1),
            "hit5": metrics.hit_at_k(texts, case["passages"], 5),
            "ms": elapsed,
            "found": texts[:1],
        }
    history = [Turn(t["role"], t["content"]) for t in case.get("history", [])]
    answer = assistant.ask(case["question"], history)
    expected = case.get("passages", [])
    retrieved = [p.chunk.text for p in answer.retrieved]
    docs = assistant.documents
    return {
        "id": case["id"],
        "kind": case["kind"],
        "style": case.get("style"),
        "expected_status": case["expect_status"],
        "status": answer.status,
        "hit5": metrics.hit_at_k(retrieved, expected, 5) if expected else None,
        "rr": metrics.reciprocal_rank(retrieved, expected) if expected else None,
        "cited_correct": metrics.cited_correct([c.quote for c in answer.citations], expected)
        if expected and answer.citations
        else (False if expected else None),
        "verbatim": [
            metrics.verbatim(c.quote, docs[c.doc_id].text, c.start, c.end) for c in answer.citations
        ],
        "ms": answer.timings_ms.get("total", 0.0),
        "answer": answer.answer,
        "resolved": answer.resolved_question,
    }


def summarise(results: list[dict[str, Any]]) -> dict[str, Any]:
    answerable = [r for r in results if r["kind"] in ("answerable", "followup")]
    unanswerable = [r for r in results if r["kind"] == "unanswerable"]
    safety = [r for r in results if r["kind"] in SAFETY_KINDS]
    finds = [r for r in results if r["kind"] == "find"]
    asks = [r for r in results if r["kind"] != "find"]
    answered = [r for r in answerable if r["status"] == "answered"]
    latencies = [r["ms"] for r in asks]
    return {
        "cases": len(results),
        "hit_at_5": metrics.rate([r["hit5"] for r in answerable]),
        "mrr": (sum(r["rr"] for r in answerable) / len(answerable)) if answerable else None,
        "cited_correct": metrics.rate([bool(r["cited_correct"]) for r in answered]),
        "verbatim_quotes": metrics.rate([v for r in asks for v in r["verbatim"]]),
        "wrong_abstention": metrics.rate([r["status"] != "answered" for r in answerable]),
        "abstention_on_unanswerable": metrics.rate(
            [r["status"] == "abstained" for r in unanswerable]
        ),
        "safety_routing": metrics.rate([r["status"] == r["expected_status"] for r in safety]),
        "find_top1": metrics.rate([r["top1"] for r in finds]),
        "latency_ms_p50": metrics.percentile(latencies, 50),
        "latency_ms_p95": metrics.percentile(latencies, 95),
        "by_kind": _by_kind(results),
    }


def _by_kind(results: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    groups: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for r in results:
        groups[r["kind"] + (f"/{r['style']}" if r.get("style") else "")].append(r)
    table = {}
    for kind, rows in sorted(groups.items()):
        if kind == "find":
            table[kind] = {"n": len(rows), "top1": metrics.rate([r["top1"] for r in rows])}
            continue
        table[kind] = {
            "n": len(rows),
            "status_ok": metrics.rate([r["status"] == r["expected_status"] for r in rows]),
            "hit5": metrics.rate([r["hit5"] for r in rows if r["hit5"] is not None]),
            "cited_correct": metrics.rate(
                [bool(r["cited_correct"]) for r in rows if r["cited_correct"] is not None]
            ),
        }
    return table


def _fmt(value: Any) -> str:
    return "-" if value is None else f"{value:.3f}" if isinstance(value, float) else str(value)


def print_report(summary: dict[str, Any]) -> None:
    for key, value in summary.items():
        if key != "by_kind":
            print(f"{key:28s} {_fmt(value)}")
    print()
    print(f"{'kind':26s} {'n':>4s} {'status_ok':>10s} {'hit@5':>7s} {'cited':>7s} {'top1':>7s}")
    for kind, row in summary["by_kind"].items():
        print(
            f"{kind:26s} {row['n']:>4d} {_fmt(row.get('status_ok')):>10s} {_fmt(row.get('hit5')):>7s} "
            f"{_fmt(row.get('cited_correct')):>7s} {_fmt(row.get('top1')):>7s}"
        )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m evals.run")
    parser.add_argument("--cases", type=Path, default=Path("evals/cases.jsonl"))
    parser.add_argument("--limit", type=int, default=0, help="run only the first N cases")
    parser.add_argument("--out", type=Path, default=Path("evals/results/latest.json"))
    parser.add_argument("--failures", action="store_true", help="list the cases that went wrong")
    args = parser.parse_args(argv)
    assistant = build_assistant(Settings.from_env())
    cases = load_cases(args.cases)[: args.limit or None]
    assistant.ask("warm-up question about exercise")
    results = [run_case(assistant, case) for case in cases]
    summary = summarise(results)
    print_report(summary)
    if args.failures:
        for r in results:
            bad = (
                r.get("status") != r.get("expected_status")
                or r.get("hit5") is False
                or r.get("top1") is False
            )
            if bad or r.get("cited_correct") is False:
                print(
                    "\nFAIL",
                    json.dumps(
                        {
                            k: r.get(k)
                            for k in (
                                "id",
                                "status",
                                "hit5",
                                "cited_correct",
                                "top1",
                                "resolved",
                                "found",
                            )
                        }
                    ),
                )
                print("   ", (r.get("answer") or "")[:300].replace("\n", " "))
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(
        json.dumps({"summary": summary, "results": results}, indent=1), encoding="utf-8"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
