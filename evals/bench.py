"""Benchmark: warm `ask` latency on this machine, printed as numbers (not a pass/fail test).

    python -m evals.bench [--rounds 3]

Loads the assistant once, warms it up, then asks every question of the evaluation set
`rounds` times and prints p50/p95/max of the total time and of its parts, plus the time
to embed one query on its own.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from assistant.build import build_assistant
from assistant.models import Turn
from assistant.settings import Settings
from evals.metrics import percentile
from evals.run import load_cases


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m evals.bench")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--cases", type=Path, default=Path("evals/cases.jsonl"))
    args = parser.parse_args(argv)
    started = time.perf_counter()
    assistant = build_assistant(Settings.from_env())
    print(f"startup (model + index load): {time.perf_counter() - started:.2f} s")
    cases = [c for c in load_cases(args.cases) if "question" in c]
    for case in cases[:5]:
        assistant.ask(case["question"])
    parts: dict[str, list[float]] = {"total": [], "retrieve": [], "answer": []}
    for _ in range(args.rounds):
        for case in cases:
            history = [Turn(t["role"], t["content"]) for t in case.get("history", [])]
            answer = assistant.ask(case["question"], history)
            if answer.status in ("answered", "abstained", "advice"):
                for key in parts:
                    parts[key].append(answer.timings_ms[key])
    embed = []
    for case in cases[:50]:
        t0 = time.perf_counter()
        assistant.retriever.query(case["question"])
        embed.append((time.perf_counter() - t0) * 1000)
    print(f"asks measured: {len(parts['total'])} (questions that reach retrieval)")
    for key, values in [*parts.items(), ("query embedding", embed)]:
        print(
            f"{key:16s} p50 {percentile(values, 50):7.2f} ms   p95 {percentile(values, 95):7.2f} ms"
            f"   max {max(values):7.2f} ms"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
