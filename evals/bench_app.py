"""Benchmark: how fast the app comes up and answers in a real browser (numbers, not a test).

    python -m evals.bench_app [--questions 12] [--port 7870]

Starts `python app.py` on the existing index, times how long until it answers HTTP, then
in headless Chromium asks questions from the evaluation set one after another and times,
from pressing Enter, the first words of the answer and the complete answer with sources.
The first question is reported apart: the models may still be loading when it is asked.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from pathlib import Path

from evals.browser import CHROMIUM, CHROMIUM_ARGS, wait_until_up
from evals.metrics import percentile
from evals.run import load_cases


def _start(port: int) -> tuple[subprocess.Popen[bytes], float]:
    env = {**os.environ, "MSRA_PORT": str(port), "HF_HUB_OFFLINE": "1"}
    started = time.perf_counter()
    process = subprocess.Popen(
        [sys.executable, "app.py"], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    try:
        wait_until_up(f"http://127.0.0.1:{port}/", process, seconds=180)
    except RuntimeError as exc:
        process.kill()
        raise SystemExit(f"{exc}; is the index built (make ingest)?") from exc
    return process, time.perf_counter() - started


def _questions(count: int) -> list[str]:
    cases = load_cases(Path("evals/cases.jsonl"))
    asked = [c["question"] for c in cases if c.get("kind") == "answerable" and "language" not in c]
    return asked[:count]


def _time_answers(url: str, questions: list[str]) -> tuple[list[float], list[float]]:
    from playwright.sync_api import sync_playwright

    first, complete = [], []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        page = browser.new_page()
        page.goto(url)
        box = page.get_by_label("Your question")
        for question in questions:
            page.get_by_role("button", name="New conversation").click()
            page.wait_for_function(
                "() => document.querySelector('#announce')?.innerText.trim() === ''"
            )
            box.fill(question)
            started = time.perf_counter()
            box.press("Enter")
            page.locator("#conversation [data-testid=bot]").first.wait_for()
            first.append((time.perf_counter() - started) * 1000)
            page.wait_for_function(
                "() => document.querySelector('#announce')?.innerText.trim().length > 0"
            )
            complete.append((time.perf_counter() - started) * 1000)
        browser.close()
    return first, complete


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m evals.bench_app")
    parser.add_argument("--questions", type=int, default=12)
    parser.add_argument("--port", type=int, default=7870)
    args = parser.parse_args(argv)
    process, startup = _start(args.port)
    try:
        print(f"app up (process start to first HTTP 200): {startup:.1f} s")
        first, complete = _time_answers(
            f"http://127.0.0.1:{args.port}/", _questions(args.questions)
        )
    finally:
        process.terminate()
        process.wait(timeout=20)
    # The first question is asked as soon as the page is served, while the models may still
    # be loading in the background: it shows when the app is ready to answer.
    print(
        f"first question, asked at once: answered {complete[0]:.0f} ms later, "
        f"{startup + complete[0] / 1000:.1f} s after start"
    )
    first, complete = first[1:], complete[1:]
    for name, values in (("first words", first), ("complete answer", complete)):
        print(
            f"{name:16s} n={len(values)}  p50 {percentile(values, 50):.0f} ms  "
            f"p95 {percentile(values, 95):.0f} ms  max {max(values):.0f} ms"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
