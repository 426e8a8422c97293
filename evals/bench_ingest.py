"""Benchmark: ingest time on generated corpora, printed as numbers (not a pass/fail test).

    python -m evals.bench_ingest [--docs 200 1000] [--lanes 2]
    python -m evals.bench_ingest --throughput minilm [--docs 200]

For each size, writes that many small documents (paragraphs of the real corpus recombined)
into a temporary folder and indexes them with the hash embedder (no model, so the figures
are the pipeline's and Chroma's own cost), then changes one document in ten and indexes
again (the update path: old chunks deleted), then loads the assistant over the index.
With `--lanes 2` a second index is built beside it as for the multilingual lane (again with
the hash embedder), so the figures include reading each file for both.

`--throughput MODEL` instead measures, in one run, the model's raw encode time for exactly the
texts ingest embeds (every chunk and every sentence of the generated documents, in one call)
and then the whole ingest of those documents with the same loaded model: texts per second of
each and their ratio (ingest at the model's speed is 1.0).
"""

from __future__ import annotations

import argparse
import dataclasses
import random
import tempfile
import time
from pathlib import Path

from assistant.build import build_assistant, build_embedder
from assistant.embedding import HashEmbedder
from assistant.settings import Settings
from ingest.chunking import chunk_document
from ingest.corpus import build_document, find_files, read_entries
from ingest.pipeline import run_ingest_all

CORPUS = Path(__file__).resolve().parent.parent / "corpus"


def paragraphs() -> list[str]:
    found = []
    for path in sorted(CORPUS.glob("*.txt")):
        blocks = path.read_text(encoding="utf-8").split("\n\n")
        found.extend(b.strip() for b in blocks if len(b.split()) >= 12)
    return found


def write_corpus(folder: Path, count: int, seed: int = 0) -> None:
    pool, rng = paragraphs(), random.Random(seed)
    folder.mkdir(parents=True, exist_ok=True)
    for n in range(count):
        body = "\n\n".join(rng.sample(pool, 6))
        (folder / f"doc-{n:05d}.txt").write_text(f"Generated document {n}\n\n{body}\n", "utf-8")


def change_some(folder: Path, every: int = 10) -> int:
    changed = sorted(folder.glob("doc-*.txt"))[::every]
    for path in changed:
        path.write_text(path.read_text("utf-8") + "\nA sentence added for the update run.\n")
    return len(changed)


def _generated(count: int, base: Path, embedder: str, translated: str) -> Settings:
    """A generated corpus of `count` documents in `base`, and the settings that index it."""
    corpus = base / "corpus"
    write_corpus(corpus, count)
    return dataclasses.replace(
        Settings(),
        corpus_dir=corpus,
        index_dir=base / "index",
        data_dir=base / "data",  # never the library changes of this checkout
        embedder=embedder,
        translated_embedder=translated,
    )


def measure(count: int, base: Path, lanes: int = 1) -> dict[str, float]:
    settings = _generated(count, base, "hash", "hash-multilingual" if lanes == 2 else "")
    corpus = settings.corpus_dir

    def ingest() -> float:
        started = time.perf_counter()
        reports = run_ingest_all(
            [corpus], settings, lambda s: HashEmbedder(), progress=lambda m: None
        )
        assert len(reports) == lanes
        assert not reports[0].failed, reports[0].failed
        return time.perf_counter() - started

    first = ingest()
    changed = change_some(corpus)
    update = ingest()
    unchanged = ingest()
    started = time.perf_counter()
    assistant = build_assistant(dataclasses.replace(settings, translated_embedder=""))
    load = time.perf_counter() - started
    return {
        "documents": count,
        "lanes": lanes,
        "chunks": len(assistant.retriever.chunks),
        "first ingest s": first,
        f"re-ingest, {changed} changed s": update,
        "re-ingest, unchanged s": unchanged,
        "load s": load,
    }


def embedded_texts(corpus: Path, settings: Settings) -> list[str]:
    """What ingest embeds for these files: each chunk's text, then each distinct sentence."""
    texts = []
    for path in find_files([corpus]):
        document = build_document(path, read_entries(path.parent).get(path.name))
        chunks = chunk_document(document, settings.chunk_max_chars)
        texts += [c.embedding_text() for c in chunks]
        spans = sorted({span for chunk in chunks for span in chunk.sentences})
        texts += [document.text[s:e] for s, e in spans]
    return texts


def throughput(count: int, base: Path, embedder: str) -> dict[str, float]:
    """Raw encode of the texts ingest embeds vs the ingest itself, same model, same run."""
    settings = _generated(count, base, embedder, "")
    corpus = settings.corpus_dir
    model = build_embedder(settings)
    texts = embedded_texts(corpus, settings)
    model.embed_passages(texts[:32])  # first call's set-up paid before the clock
    started = time.perf_counter()
    model.embed_passages(texts)
    raw = time.perf_counter() - started
    started = time.perf_counter()
    reports = run_ingest_all([corpus], settings, lambda s: model, progress=lambda m: None)
    ingest = time.perf_counter() - started
    if not reports[0].added:
        raise SystemExit(f"nothing was indexed: {reports[0].failed[:3]}")
    return {
        "documents": count,
        "texts": len(texts),
        "raw encode s": raw,
        "ingest s": ingest,
        "raw texts/s": len(texts) / raw,
        "ingest texts/s": len(texts) / ingest,
        "ingest / raw": raw / ingest,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m evals.bench_ingest")
    parser.add_argument("--docs", type=int, nargs="+", default=[200, 1000])
    parser.add_argument("--lanes", type=int, choices=[1, 2], default=1)
    parser.add_argument(
        "--throughput",
        metavar="MODEL",
        choices=["minilm", "e5", "hash"],
        help="ingest throughput against the model's raw encode of the same texts",
    )
    args = parser.parse_args(argv)
    for count in args.docs:
        with tempfile.TemporaryDirectory() as folder:
            if args.throughput:
                row = throughput(count, Path(folder), args.throughput)
            else:
                row = measure(count, Path(folder), args.lanes)
        print(
            "  ".join(
                f"{k}: {v:.2f}" if isinstance(v, float) else f"{k}: {v}" for k, v in row.items()
            )
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
