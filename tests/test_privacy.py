"""Privacy (issue 13): ingest, the command line and the app work with the network cut (a
network namespace of their own, `unshare -rn`, where the kernel allows it; skipped with the
reason otherwise), without being told to stay offline; and no question reaches a log: what the
app and the CLI print to their logs (stderr, and the app's stdout) never holds it."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from conftest import ROOT, copy_corpus

MARKER = "Zebrafinch"
QUESTION = f"What does an occupational therapist do, asks {MARKER}?"


def _network_cut() -> list[str]:
    """The command prefix that runs a program without any network, or a skip."""
    if shutil.which("unshare") is None:
        pytest.skip("unshare (util-linux) is not installed")
    probe = subprocess.run(["unshare", "-rn", "true"], capture_output=True, check=False)
    if probe.returncode != 0:
        pytest.skip(f"this kernel does not allow a network namespace: {probe.stderr.decode()}")
    return ["unshare", "-rn"]


def _env(base: Path, **extra: str) -> dict[str, str]:
    # Not told to stay offline: whatever would reach out would find no network.
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith("MSRA_") and k not in ("HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE")
    }
    env.update(
        MSRA_CORPUS_DIR=str(base / "corpus"),
        MSRA_INDEX_DIR=str(base / "index"),
        MSRA_DATA_DIR=str(base / "data"),
        PYTHONPATH=f"{ROOT}{os.pathsep}{ROOT / 'tests'}",
        PYTHONIOENCODING="utf-8",
        **extra,
    )
    return env


APP_SCRIPT = textwrap.dedent(
    f"""
    # The app in this process, asked over HTTP on 127.0.0.1 (the namespace's loopback).
    import sys
    from pathlib import Path
    from live_app import app_settings, call, serving

    with serving(app_settings(Path(sys.argv[1]))) as (url, services):
        event, answer = call(url, "ask", [{QUESTION!r}, None])
        assert event == "complete" and answer["status"] == "answered", answer
        event, found = call(url, "find", [{QUESTION!r}])
        assert event == "complete" and found["matches"], found
    print("app answered")
    """
)


def test_ingest_the_cli_and_the_app_work_with_the_network_cut_and_log_no_question(tmp_path):
    cut = _network_cut()
    copy_corpus(tmp_path / "corpus")
    env = _env(tmp_path, MSRA_EMBEDDER="hash", MSRA_TRANSLATED_EMBEDDER="")

    def run(*command: str) -> subprocess.CompletedProcess[str]:
        # The loopback interface of a new namespace starts down; the app needs it.
        line = " ".join(f"'{part}'" for part in command)
        return subprocess.run(
            [*cut, "sh", "-c", f"ip link set lo up 2>/dev/null; exec {line}"],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )

    ingest = run(sys.executable, "-m", "ingest")
    assert ingest.returncode == 0, ingest.stderr
    ask = run(sys.executable, "-m", "assistant", "ask", "--json", QUESTION)
    assert ask.returncode == 0, ask.stderr
    assert json.loads(ask.stdout)["status"] == "answered"
    assert MARKER not in ask.stderr  # the answer (stdout) echoes it; the log does not
    find = run(sys.executable, "-m", "assistant", "find", "--json", QUESTION)
    assert json.loads(find.stdout)["matches"]
    assert MARKER not in find.stderr
    (tmp_path / "serve_once.py").write_text(APP_SCRIPT, encoding="utf-8")
    if shutil.which("ip") is None:
        pytest.skip("`ip` (iproute2) is needed to bring up the namespace's loopback for the app")
    app = run(sys.executable, str(tmp_path / "serve_once.py"), str(tmp_path / "app"))
    assert app.returncode == 0, app.stderr[-3000:]
    assert app.stdout.strip().endswith("app answered")
    assert MARKER not in app.stdout + app.stderr  # nothing the app logged holds the question
    for path in (tmp_path / "app").rglob("*"):  # nor anything it stored
        assert not path.is_file() or MARKER.encode() not in path.read_bytes(), path


@pytest.mark.real
def test_the_real_models_answer_with_the_network_cut(real_settings, tmp_path):
    cut = _network_cut()
    env = _env(tmp_path)
    env.update(
        MSRA_CORPUS_DIR=str(real_settings.corpus_dir), MSRA_INDEX_DIR=str(real_settings.index_dir)
    )
    for command, question in (("ask", QUESTION), ("ask", "¿Qué hace un terapeuta ocupacional?")):
        done = subprocess.run(
            [*cut, sys.executable, "-m", "assistant", command, "--json", question],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=600,
            check=False,
        )
        assert done.returncode == 0, done.stderr
        assert json.loads(done.stdout)["status"] == "answered"
        assert MARKER not in done.stderr


def test_without_an_index_the_cli_says_so_before_loading_any_model(tmp_path):
    """Issue 13: the CLI loaded the embedding model (seconds, and a progress bar) before it
    noticed there was no index."""
    env = _env(tmp_path)  # the real models, which are never loaded here
    done = subprocess.run(
        [sys.executable, "-m", "assistant", "ask", "--json", "What is OT?"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 2
    assert done.stderr.strip() == (
        f"Error: No index found in {tmp_path / 'index'}/. Run `python -m ingest` (or `make "
        "ingest`) first."
    )
