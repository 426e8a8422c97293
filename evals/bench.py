"""Benchmark: warm `ask` latency on this machine, printed as numbers (not a pass/fail test).

    python -m evals.bench [--rounds 3]

Loads the assistant once, warms it up, then asks every question of the evaluation set
`rounds` times and prints p50/p95/max of the total time and of its parts, plus the time
to embed one query on its own.
"""

from __future__ import annotations

import argparse
import math
import time
from pathlib import Path

from assistant.build import build_assistant
from assistant.core import Assistant
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
    floor, floor_read = floors(assistant, [c["question"] for c in cases])
    print(f"asks measured: {len(parts['total'])} (questions that reach retrieval)")
    rows = [*parts.items(), ("query embedding", embed)]
    rows += [("floor", floor), ("floor + e5", floor_read)]
    for key, values in rows:
        print(
            f"{key:16s} p50 {percentile(values, 50):7.2f} ms   p95 {percentile(values, 95):7.2f} ms"
            f"   max {max(values):7.2f} ms"
        )
    print(
        "floor: the question embedded by MiniLM and one vector search, nothing else; "
        "floor + e5: and the question read once by e5 (the answer reader's model)"
    )
    total, least, least_read = (
        percentile(v, 95) or math.nan for v in (parts["total"], floor, floor_read)
    )
    print(f"warm ask p95 / floor: {total / least:.1f}; / floor + e5: {total / least_read:.1f}")
    return 0


def floors(assistant: Assistant, questions: list[str]) -> tuple[list[float], list[float]]:
    """Per question (the same ones the asks were timed on), the least any answer costs: the
    question's MiniLM vector and one vector search of the chunks; and that plus e5 reading
    the question once (new text each time: e5 remembers what it embedded lately)."""
    lane = assistant.lanes.main
    reader = lane.retriever.reader.views[0].embedder
    floor, floor_read = [], []
    for number, question in enumerate(questions):
        t0 = time.perf_counter()
        vector = lane.embedder.embed_query(question)
        lane.store.nearest_chunks(vector, assistant.settings.top_k)
        t1 = time.perf_counter()
        reader.embed_queries([f"{question} ({number})"])
        t2 = time.perf_counter()
        floor.append((t1 - t0) * 1000)
        floor_read.append((t2 - t0) * 1000)
    return floor, floor_read


if __name__ == "__main__":
    raise SystemExit(main())
