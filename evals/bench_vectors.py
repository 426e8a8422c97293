"""Benchmark: three ways for the retriever to reach its sentence vectors, printed as numbers.

    python -m evals.bench_vectors [--index .index] [--embedder minilm|hash] [--asks 60]

- `memory`: every vector copied into one matrix at load (what the retriever did before),
- `store`: the rows a question needs read from the store by id in one request
  (assistant/vectors.py, what it does now; a fresh cache per question, so every question pays
  its read),
- `mmap`: the same matrix in a file, memory-mapped (what an ingest-time file would give).

Printed per way: the time to get ready at load, and per question (the evaluation set's English
questions) the p50/p95 of passage search plus the reader (`Retriever.retrieve`), which is
where the vectors are read.
"""

from __future__ import annotations

import argparse
import dataclasses
import tempfile
import time
from pathlib import Path

import numpy as np

from assistant.build import build_embedder
from assistant.retrieve import Retriever
from assistant.settings import Settings
from assistant.store import open_store
from assistant.vectors import SentenceVectors
from evals.bench_large import _texts
from evals.metrics import percentile


def _matrix(retriever: Retriever) -> np.ndarray:
    """Every sentence vector in the order of the retriever's table, as the old load read it."""
    spans, vectors = retriever._store.sentences(retriever.documents)
    row_of = {span: row for row, span in enumerate(spans)}
    return vectors[[row_of[span] for span in retriever.sentence_spans]]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m evals.bench_vectors")
    parser.add_argument("--index", type=Path, default=Path(".index"))
    parser.add_argument("--embedder", default="minilm", choices=["minilm", "hash"])
    parser.add_argument("--asks", type=int, default=60)
    args = parser.parse_args(argv)
    settings = dataclasses.replace(
        Settings(), index_dir=args.index, embedder=args.embedder, translated_embedder=""
    )
    store = open_store(settings)
    retriever = Retriever(store, build_embedder(settings), settings)
    questions = _texts()[0][: args.asks]
    queries = [retriever.query(q) for q in questions]
    print(f"{len(retriever.chunks)} chunks, {len(retriever.sentence_spans)} sentences")
    started = time.perf_counter()
    matrix = _matrix(retriever)
    ready = {"memory": time.perf_counter() - started, "store": 0.0}
    with tempfile.TemporaryDirectory() as folder:
        np.save(Path(folder) / "vectors.npy", matrix)
        started = time.perf_counter()
        mapped = np.load(Path(folder) / "vectors.npy", mmap_mode="r")
        ready["mmap"] = time.perf_counter() - started
        ways = {
            "memory": lambda: matrix,
            "store": lambda: SentenceVectors(store, retriever.sentence_spans, retriever.documents),
            "mmap": lambda: mapped,
        }
        outcomes = {}
        for name, make in ways.items():
            times, ranked = [], []
            for query in queries:
                vectors = make()
                retriever.sentence_vectors = vectors  # type: ignore[assignment]
                retriever.view.vectors = vectors
                began = time.perf_counter()
                result = retriever.retrieve(query, 10)
                times.append((time.perf_counter() - began) * 1000)
                ranked.append([u.unit.start for u in result.units[:3]])
            outcomes[name] = ranked
            print(
                f"{name:6}  ready {ready[name] * 1000:8.1f} ms  retrieve p50 "
                f"{percentile(times, 50):6.2f} ms  p95 {percentile(times, 95):6.2f} ms",
                flush=True,
            )
    same = outcomes["memory"] == outcomes["store"] == outcomes["mmap"]
    print(f"same units chosen by all three: {same}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
