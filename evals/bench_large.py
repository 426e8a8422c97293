"""Benchmark: the assistant on generated corpora of growing size, printed as numbers (never
pass/fail).

    python -m evals.bench_large [--chunks 1000 10000 100000] [--embedder minilm|hash]
                                [--asks 60] [--plot evals/results/bench_large.png]

For each size it writes documents made of the real corpus's paragraphs recombined
(evals/bench_ingest.py), about `--chunks` chunks of them, into a temporary folder, indexes
them (one index, the English lane), then in a fresh process (so the figures are that size's
alone) loads the assistant, asks the evaluation set's English questions and looks up its
passages with `find`. Printed per size: chunks, ingest time, index size on disk, the time
of a run after one document changed, load time, the process's RSS after the asks, ask and find p50/p95. Then the ways people use it, each
in its own process: a cold `python -m assistant ask --json` and `find --json` (start to
printed answer), and `python app.py` over HTTP (page served, first answer to a question asked
at that moment through `/ask`, warm asks and finds through `/ask` and `/find`, the app
process's RSS after them). The plot shows load time, RSS and ask/find p95 against the
number of chunks (log scale).

Settings come from the environment (MSRA_*), e.g. MSRA_NEAREST_SENTENCES=100 to measure with
the store's vector search over every sentence.

The default embedder is the one the assistant ships with (MiniLM). `--embedder hash` (the
tests' bag-of-words stand-in) makes large sizes quick to build on a small machine: the
figures are then everything but the model's own time per question.
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import json
import math
import os
import socket
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
ROOT = Path(__file__).resolve().parent.parent
"""The checkout whose CLI and app are timed."""


def _settings(base: Path, embedder: str) -> Any:
    from assistant.settings import Settings

    return dataclasses.replace(
        Settings.from_env(),
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
    figures = {"ingest s": seconds, "index MB": size / 1e6, "skipped files": len(reports[0].failed)}
    skipped = {name for name, _ in reports[0].failed}
    return figures | {"one changed s": _one_changed(settings, model, skipped)}


def _one_changed(settings: Any, model: Any, skipped: set[str]) -> float:
    """The time of an ingest run after one document changed (a staff upload into a large
    library): the run copies the index folder and brings its tables up to date."""
    from ingest.pipeline import run_ingest_all

    files = sorted(settings.corpus_dir.glob("doc-*.txt"))
    path = next(f for f in files if f.name not in skipped)
    path.write_text(path.read_text("utf-8") + "\nA sentence added for the one-change run.\n")
    started = time.perf_counter()
    reports = run_ingest_all(
        [settings.corpus_dir], settings, lambda s: model, progress=lambda m: None
    )
    if not reports[0].updated:
        raise SystemExit(f"the changed document was not indexed again: {reports[0].failed[:3]}")
    return time.perf_counter() - started


ONE_DOCUMENT_STEPS = ("unchanged", "added", "changed", "removed")
_SPLIT = {
    "hashing": [
        ("ingest.pipeline", "", ["identify", "_copies"]),
        ("ingest.seen", "SeenFiles", ["identify"]),
    ],
    "parsing": [("ingest.pipeline", "", ["build_document"])],
    "copying": [("ingest.pipeline", "", ["_copy_beside"])],
    "writing": [("assistant.store", "ChromaStore", ["write_documents", "remove_document"])],
    "tables": [("assistant.store", "ChromaStore", ["write_tables"])],
}
"""Where a run's time goes: part -> (module, class, functions timed as that part). Names a
checkout lacks are skipped, so the same split times older code. "hashing" is finding what
changed: hashing files, or with ingest/seen.py comparing their stats."""


def one_document(base: Path, embedder: str) -> list[dict[str, float]]:
    """Time ingest runs on a kept library (`--keep`'s chunks-N folder: corpus/ and index/),
    each with its time split: the corpus unchanged, one document added, one changed (a
    sentence added or taken off again), the added one removed. The index is changed (a copy of
    a kept one is the thing to give it). Also the bytes copied for copy-and-swap."""
    import importlib

    from assistant.build import build_embedder
    from ingest.pipeline import run_ingest_all

    settings = dataclasses.replace(_settings(base, embedder), data_dir=base / "data")
    model = build_embedder(settings)
    spent: dict[str, float] = {}
    copied: dict[str, float] = {}

    def timed(part: str, call: Any) -> Any:
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            began = time.perf_counter()
            try:
                result = call(*args, **kwargs)
            finally:
                spent[part] = spent.get(part, 0.0) + time.perf_counter() - began
            if call.__name__ == "_copy_beside":
                copied.update(_copy_bytes(result, settings.index_dir))
            return result

        return wrapper

    for part, places in _SPLIT.items():
        for module, class_name, names in places:
            with contextlib.suppress(ImportError):
                owner: Any = importlib.import_module(module)
                owner = getattr(owner, class_name) if class_name else owner
                for name in names:
                    if hasattr(owner, name):
                        setattr(owner, name, timed(part, getattr(owner, name)))
    rows = []
    for step in ONE_DOCUMENT_STEPS:
        _prepare(step, settings.corpus_dir)
        spent.clear()
        copied.clear()
        began = time.perf_counter()
        report = run_ingest_all(
            [settings.corpus_dir], settings, lambda s: model, progress=lambda m: None
        )[0]
        total = time.perf_counter() - began
        done = {"added": report.added, "changed": report.updated, "removed": report.removed}
        if step != "unchanged" and len(done[step]) != 1:
            raise SystemExit(f"{step}: the run did {done}, failed {report.failed[:3]}")
        row = {"step": step, "total s": total, **{f"{p} s": spent.get(p, 0.0) for p in _SPLIT}}
        row["other s"] = total - sum(spent.values())
        rows.append(row | copied)
    return rows


_ADDED = "bench-one-added.txt"
_CHANGE_LINE = "\nA sentence added for the one-document run, about pacing and rest.\n"


def _prepare(step: str, corpus: Path) -> None:
    """Make the corpus one document different from before, for the step."""
    files = sorted(corpus.glob("doc-*.txt"))
    if step == "added":
        text = files[1].read_text("utf-8") + files[2].read_text("utf-8")
        (corpus / _ADDED).write_text(f"Added for the bench\n\n{text}", encoding="utf-8")
    elif step == "changed":
        text = files[0].read_text("utf-8")
        changed = text.removesuffix(_CHANGE_LINE) if text.endswith(_CHANGE_LINE) else None
        files[0].write_text(text + _CHANGE_LINE if changed is None else changed, "utf-8")
    elif step == "removed":
        (corpus / _ADDED).unlink()


def _copy_bytes(building: Path, index_dir: Path) -> dict[str, float]:
    """MB copied into the folder a run writes and MB shared with the live index (hard links)."""
    sizes = {"copied MB": 0.0, "linked MB": 0.0}
    for path in building.rglob("*"):
        if path.is_file():
            stat = path.stat()
            sizes["linked MB" if stat.st_nlink > 1 else "copied MB"] += stat.st_size / 1e6
    return sizes


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


def _rss_mb(process: str = "self") -> float:
    for line in Path(f"/proc/{process}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    import resource  # not Linux: the peak instead

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _env(base: Path, embedder: str) -> dict[str, str]:
    """The environment that points the CLI and the app at this size's index."""
    settings = _settings(base, embedder)
    return {
        **os.environ,
        "MSRA_INDEX_DIR": str(settings.index_dir),
        "MSRA_CORPUS_DIR": str(settings.corpus_dir),
        "MSRA_DATA_DIR": str(base / "data"),
        "MSRA_EMBEDDER": embedder,
        "MSRA_TRANSLATED_EMBEDDER": "",
        "HF_HUB_OFFLINE": "1",
        "ANONYMIZED_TELEMETRY": "False",
        "GRADIO_ANALYTICS_ENABLED": "False",
    }


def cold_cli(base: Path, embedder: str) -> dict[str, float]:
    """A cold `python -m assistant ask --json` and `find --json` (each its own process), from
    start to the printed answer; SystemExit when one fails (the index cannot be served)."""
    questions, passages = _texts()
    figures = {}
    for command, text in (("ask", questions[0]), ("find", passages[0])):
        started = time.perf_counter()
        done = subprocess.run(
            [sys.executable, "-m", "assistant", command, "--json", text],
            cwd=ROOT,
            env=_env(base, embedder),
            capture_output=True,
            text=True,
            check=False,
        )
        seconds = time.perf_counter() - started
        answer = json.loads(done.stdout) if done.returncode == 0 else {}
        if command == "ask" and answer.get("status") != "answered":
            raise SystemExit(f"the CLI did not answer at {base}: {done.stderr[-500:]}")
        if command == "find" and not answer.get("matches"):
            raise SystemExit(f"the CLI found nothing at {base}: {done.stderr[-500:]}")
        figures[f"CLI {command} s"] = seconds
    return figures


def app_over_http(base: Path, embedder: str, asks: int) -> dict[str, float]:
    """`python app.py` on this size's index: when its page is served, when a question asked
    over HTTP (`/ask`, gradio_client) at that moment is answered, then warm asks and finds
    over HTTP, and the app process's RSS after them."""
    from gradio_client import Client

    from evals.browser import wait_until_up

    port = _free_port()
    env = {**_env(base, embedder), "MSRA_PORT": str(port)}
    started = time.perf_counter()
    app = subprocess.Popen(
        [sys.executable, "app.py"],
        env=env,
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        url = f"http://127.0.0.1:{port}/"
        wait_until_up(url, app, seconds=600)
        up = time.perf_counter() - started
        client = Client(url, verbose=False)
        questions, passages = _texts()
        answer = client.predict(questions[0], None, api_name="/ask")
        first = time.perf_counter() - started
        if answer.get("status") != "answered":
            raise SystemExit(f"the app did not answer at {base}: {answer}")
        ask_ms = [
            _timed(lambda q=q: client.predict(q, None, api_name="/ask"))
            for q in questions[1 : asks + 1]
        ]
        find_ms = [_timed(lambda t=t: client.predict(t, api_name="/find")) for t in passages[:asks]]
        rss = _rss_mb(str(app.pid))
    finally:
        app.terminate()
        try:
            app.wait(timeout=30)
        except subprocess.TimeoutExpired:
            app.kill()
            app.wait()
    return {
        "app up s": up,
        "app first answer s": first,
        "app ask p50 ms": percentile(ask_ms, 50) or 0.0,
        "app ask p95 ms": percentile(ask_ms, 95) or 0.0,
        "app find p95 ms": percentile(find_ms, 95) or 0.0,
        "app RSS MB": rss,
    }


def _timed(call: Any) -> float:
    began = time.perf_counter()
    call()
    return (time.perf_counter() - began) * 1000


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


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
        row |= cold_cli(base, embedder)
        row |= app_over_http(base, embedder, min(asks, 20))
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
    parser.add_argument(
        "--one-document",
        type=Path,
        metavar="DIR",
        help="time runs that add, change and remove one document in DIR (a copy of a kept "
        "chunks-N folder: it is changed)",
    )
    parser.add_argument("--serve", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.one_document:
        for row in one_document(args.one_document, args.embedder):
            print(
                "  ".join(
                    f"{k}: {v:.1f}" if isinstance(v, float) else f"{k}: {v}" for k, v in row.items()
                ),
                flush=True,
            )
        return 0
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
