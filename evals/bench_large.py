"""Benchmark: the assistant on generated corpora of growing size, printed as numbers (never
pass/fail).

    python -m evals.bench_large [--chunks 1000 10000 100000] [--embedder minilm|hash]
                                [--asks 60] [--plot evals/results/bench_large.png]

For each size it writes documents made of the real corpus's paragraphs recombined
(evals/bench_ingest.py), about `--chunks` chunks of them, into a temporary folder, indexes
them (one index, the English lane), then in a fresh process (so the figures are that size's
alone) loads the assistant, asks the evaluation set's English questions and looks up its
passages with `find`. Printed per size: chunks, ingest time, index size on disk, load time,
the process's RSS after the asks, ask and find p50/p95. The plot shows load time, RSS and
ask/find p95 against the number of chunks (log scale).

The default embedder is the one the assistant ships with (MiniLM). `--embedder hash` (the
tests' bag-of-words stand-in) makes large sizes quick to build on a small machine: the
figures are then everything but the model's own time per question.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import math
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from evals.bench_ingest import write_corpus
from evals.metrics import percentile

CHUNKS_PER_DOCUMENT = 3.0
"""Chunks ingest makes of one generated document (six paragraphs), measured: 1,327 chunks
came from 445 documents."""
CASES = Path(__file__).resolve().parent / "cases.jsonl"


def _settings(base: Path, embedder: str) -> Any:
    from assistant.settings import Settings

    return dataclasses.replace(
        Settings(),
        corpus_dir=base / "corpus",
        index_dir=base / "index",
        embedder=embedder,
        translated_embedder="",
    )


def build(base: Path, chunks: int, embedder: str) -> dict[str, float]:
    """Write the corpus and index it; the ingest time and the index's size on disk."""
    from assistant.build import build_embedder
    from ingest.pipeline import run_ingest_all

    settings = _settings(base, embedder)
    write_corpus(settings.corpus_dir, max(1, math.ceil(chunks / CHUNKS_PER_DOCUMENT)))
    model = build_embedder(settings)  # loaded before the clock starts: ingest, not start-up
    started = time.perf_counter()
    reports = run_ingest_all(
        [settings.corpus_dir], settings, lambda s: model, progress=lambda m: None
    )
    seconds = time.perf_counter() - started
    if not reports[0].added:
        raise SystemExit(f"nothing was indexed: {reports[0].failed[:3]}")
    size = sum(f.stat().st_size for f in settings.index_dir.rglob("*") if f.is_file())
    # A generated document whose paragraphs cleaning all drops (page furniture) is skipped.
    return {"ingest s": seconds, "index MB": size / 1e6, "skipped files": len(reports[0].failed)}


def _texts() -> tuple[list[str], list[str]]:
    """The evaluation set's English questions and its passages (texts to find)."""
    cases = [json.loads(line) for line in CASES.read_text(encoding="utf-8").splitlines()]
    english = [c for c in cases if c.get("language", "en") == "en"]
    questions = [c["question"] for c in english if c.get("question")]
    passages = [p for c in english for p in c.get("passages", [])]
    return questions, passages


def serve(base: Path, embedder: str, asks: int) -> dict[str, float]:
    """Load the assistant over the index, then time asks and finds (run in its own process)."""
    from assistant.build import build_assistant

    started = time.perf_counter()
    assistant = build_assistant(_settings(base, embedder))
    load = time.perf_counter() - started
    questions, passages = _texts()
    # What is built on first use (the language detector's models) is paid before the clock.
    assistant.ask(questions[0])
    assistant.language_of("Wie lange dauert eine Physiotherapie normalerweise?")
    assistant.find(passages[0], k=30, language="en")
    ask_ms, find_ms = [], []
    for question in questions[:asks]:
        began = time.perf_counter()
        assistant.ask(question)
        ask_ms.append((time.perf_counter() - began) * 1000)
    for text in passages[:asks]:
        began = time.perf_counter()
        assistant.find(text, k=30, language="en")
        find_ms.append((time.perf_counter() - began) * 1000)
    return {
        "chunks": len(assistant.retriever.chunks),
        "load s": load,
        "RSS MB": _rss_mb(),
        "ask p50 ms": percentile(ask_ms, 50) or 0.0,
        "ask p95 ms": percentile(ask_ms, 95) or 0.0,
        "find p50 ms": percentile(find_ms, 50) or 0.0,
        "find p95 ms": percentile(find_ms, 95) or 0.0,
    }


def _rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    import resource  # not Linux: the peak instead

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def measure(
    chunks: int, embedder: str, asks: int, keep: Path | None = None, serve: bool = True
) -> dict[str, float]:
    """One size's row. With `keep`, its corpus and index stay in keep/chunks-N, and an index
    already built there (by an earlier run, e.g. `--build-only`) is served as it is."""
    if keep is None:
        with tempfile.TemporaryDirectory() as folder:
            return _measure_in(Path(folder), chunks, embedder, asks, serve)
    return _measure_in(keep / f"chunks-{chunks}", chunks, embedder, asks, serve)


def _measure_in(base: Path, chunks: int, embedder: str, asks: int, serve: bool) -> dict[str, float]:
    built = base / "build.json"
    if built.exists():
        figures = json.loads(built.read_text(encoding="utf-8"))
    else:
        figures = build(base, chunks, embedder)
        built.write_text(json.dumps(figures), encoding="utf-8")
    row: dict[str, float] = {"asked chunks": chunks, **figures}
    if serve:
        command = ["-m", "evals.bench_large", "--serve", str(base), "--embedder", embedder]
        served = subprocess.run(
            [sys.executable, *command, "--asks", str(asks)],
            capture_output=True,
            text=True,
            check=True,
        )
        row |= json.loads(served.stdout.strip().splitlines()[-1])
    return row


def plot(rows: list[dict[str, float]], path: Path) -> bool:
    """Load time, RSS and p95 latencies against chunks; False when matplotlib is missing."""
    try:
        from evals import plots
    except ImportError:
        return False
    figure, axes = plots.plt.subplots(1, 3, figsize=(12, 3.6))
    chunks = [r["chunks"] for r in rows]
    panels = [
        ("load time (s)", ["load s"]),
        ("RSS (MB)", ["RSS MB"]),
        ("latency (ms)", ["ask p50 ms", "ask p95 ms", "find p50 ms", "find p95 ms"]),
    ]
    for axis, (title, keys) in zip(axes, panels, strict=True):
        for key in keys:
            axis.plot(chunks, [r[key] for r in rows], marker="o", label=key)
        axis.set_xscale("log")
        axis.set_xlabel("chunks")
        axis.set_title(title, fontsize=10)
        if len(keys) > 1:
            axis.legend(fontsize=8)
    figure.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path, dpi=110, metadata={"Software": None})
    return True


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m evals.bench_large")
    parser.add_argument("--chunks", type=int, nargs="+", default=[1000, 10000, 100000])
    parser.add_argument("--embedder", default="minilm", choices=["minilm", "hash"])
    parser.add_argument("--asks", type=int, default=60, help="questions and finds per size")
    parser.add_argument("--plot", type=Path, default=Path("evals/results/bench_large.png"))
    parser.add_argument(
        "--keep", type=Path, help="keep each size's corpus and index in KEEP/chunks-N (reused)"
    )
    parser.add_argument(
        "--build-only", action="store_true", help="build (and keep) the indexes, serve none"
    )
    parser.add_argument("--serve", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.serve:
        print(json.dumps(serve(args.serve, args.embedder, args.asks)))
        return 0
    rows = []
    for chunks in args.chunks:
        row = measure(chunks, args.embedder, args.asks, args.keep, not args.build_only)
        rows.append(row)
        print(
            "  ".join(
                f"{k}: {v:.1f}" if isinstance(v, float) else f"{k}: {v}" for k, v in row.items()
            ),
            flush=True,
        )
    if args.build_only:
        return 0
    if plot(rows, args.plot):
        print(f"Wrote {args.plot}")
    else:
        print("matplotlib is not installed: no plot (pip install matplotlib).")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
