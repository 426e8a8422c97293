"""Benchmark: three ways for the retriever to reach its sentence vectors, printed as numbers.

    python -m evals.bench_vectors [--index .index] [--embedder minilm|hash] [--asks 60]

- `memory`: every vector copied into one matrix at load (what the retriever did before),
- `store`: the rows a question needs read from the store by id in one request
  (assistant/vectors.py, what it does with a Chroma server; a fresh cache per question, so
  every question pays its read),
- `mmap`: the index's vector file, memory-mapped (what it does in an index folder; an index
  without the file yet gets the same matrix written to a temporary file).

Printed per way: the time to get ready at load, and per question (the evaluation set's English
questions, each asked `--rounds` times, the ways taking turns) the p50/p95 of passage search plus the reader (`Retriever.retrieve`), which is
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
    parser.add_argument("--rounds", type=int, default=3, help="times each question is asked")
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
        spans, documents = retriever.sentence_spans, retriever.documents
        served = SentenceVectors(store, spans, documents)
        if served._matrix is None:
            print("(the index has no vector file yet: mmap is a file written here)")

        def by_id() -> SentenceVectors:
            vectors = SentenceVectors(store, spans, documents)
            vectors._matrix = None  # as with a Chroma server
            return vectors

        ways = {
            "memory": lambda: matrix,
            "store": by_id,
            "mmap": lambda: served if served._matrix is not None else mapped,
        }
        for query in queries:  # warm-up: headings embedded, caches filled
            retriever.retrieve(query, 10)
        times: dict[str, list[float]] = {name: [] for name in ways}
        outcomes: dict[str, list[list[int]]] = {name: [] for name in ways}
        for _ in range(args.rounds):
            for query in queries:
                # The ways take turns on each question, so a busy moment hits all of them.
                for name, make in ways.items():
                    vectors = make()
                    retriever.sentence_vectors = vectors  # type: ignore[assignment]
                    retriever.view.vectors = vectors
                    began = time.perf_counter()
                    result = retriever.retrieve(query, 10)
                    times[name].append((time.perf_counter() - began) * 1000)
                    outcomes[name].append([u.unit.start for u in result.units[:3]])
        for name in ways:
            print(
                f"{name:6}  ready {ready[name] * 1000:8.1f} ms  retrieve p50 "
                f"{percentile(times[name], 50):6.2f} ms  p95 {percentile(times[name], 95):6.2f} ms"
            )
    same = outcomes["memory"] == outcomes["store"] == outcomes["mmap"]
    print(f"same units chosen by all three: {same}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
