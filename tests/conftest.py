"""Shared fixtures: one ingest per tier, in pytest's tmp folders (never the project's .index)."""

from __future__ import annotations

import os
import tempfile

os.environ["HF_HUB_OFFLINE"] = "1"
# What the app or CLI would write to the data folder goes to tmp, never the checkout's .data/
# (tests that build their own settings give each its own folder).
os.environ["MSRA_DATA_DIR"] = tempfile.mkdtemp(prefix="msra-test-data-")

import dataclasses
import shutil
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from assistant.build import build_assistant, build_embedder
from assistant.settings import Settings
from evals.browser import CHROMIUM, CHROMIUM_ARGS, wait_until_up
from ingest.pipeline import run_ingest

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT / "corpus"


def copy_corpus(target: Path) -> Path:
    shutil.copytree(CORPUS, target)
    return target


def fast_settings(corpus_dir: Path, index_dir: Path, **overrides) -> Settings:
    values = {
        "embedder": "hash",
        "translated_embedder": "",
        "data_dir": index_dir.parent / "data",
        **overrides,
    }
    return dataclasses.replace(Settings(), corpus_dir=corpus_dir, index_dir=index_dir, **values)


def fast_env(settings: Settings, **extra: str) -> dict[str, str]:
    """The environment that makes a subprocess (`python -m ingest`, the CLI) use `settings`."""
    return {
        **os.environ,
        "MSRA_CORPUS_DIR": str(settings.corpus_dir),
        "MSRA_INDEX_DIR": str(settings.index_dir),
        "MSRA_DATA_DIR": str(settings.data_dir),
        "MSRA_EMBEDDER": settings.embedder,
        "MSRA_TRANSLATED_EMBEDDER": settings.translated_embedder or "",
        **extra,
    }


def ingest(paths: list[Path], settings: Settings, **kwargs):
    return run_ingest(
        paths, settings, lambda: build_embedder(settings), progress=lambda m: None, **kwargs
    )


def _built(base: Path, embedder: str, translated_embedder: str):
    corpus = copy_corpus(base / "corpus")
    settings = dataclasses.replace(
        Settings(),
        corpus_dir=corpus,
        index_dir=base / "index",
        data_dir=base / "data",
        embedder=embedder,
        translated_embedder=translated_embedder,
    )
    for each in filter(None, (settings, settings.translated())):
        assert ingest([corpus], each).failed == []
    return settings, build_assistant(settings)


@pytest.fixture(scope="session")
def fast_built(tmp_path_factory):
    return _built(tmp_path_factory.mktemp("fast"), "hash", "")


@pytest.fixture(scope="session")
def fast_settings_built(fast_built):
    return fast_built[0]


@pytest.fixture(scope="session")
def fast_assistant(fast_built):
    return fast_built[1]


@pytest.fixture(scope="session")
def real_built(tmp_path_factory):
    return _built(tmp_path_factory.mktemp("real"), "minilm", "e5")


@pytest.fixture(scope="session")
def real_settings(real_built):
    return real_built[0]


@pytest.fixture(scope="session")
def real_assistant(real_built):
    return real_built[1]


# --- The app as a subprocess, and a headless Chromium to drive it (browser tests) ---------

LOCAL = ("http://127.0.0.1", "data:", "blob:", "about:")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="session")
def app_server(tmp_path_factory) -> Iterator[dict[str, object]]:
    base = tmp_path_factory.mktemp("app")
    corpus = copy_corpus(base / "corpus")
    port = _free_port()
    env = {
        **os.environ,
        "MSRA_CORPUS_DIR": str(corpus),
        "MSRA_INDEX_DIR": str(base / "index"),
        "MSRA_FEEDBACK_PATH": str(base / "feedback.sqlite3"),
        "MSRA_DATA_DIR": str(base / "data"),
        "MSRA_PORT": str(port),
        "MSRA_EMBEDDER": "minilm",
        "HF_HUB_OFFLINE": "1",
    }
    subprocess.run([sys.executable, "-m", "ingest"], cwd=ROOT, env=env, check=True)
    log = (base / "app.log").open("wb")
    process = subprocess.Popen(
        [sys.executable, "app.py"], cwd=ROOT, env=env, stdout=log, stderr=log
    )
    url = f"http://127.0.0.1:{port}/"
    try:
        wait_until_up(url, process)
        yield {
            "url": url,
            "corpus": corpus,
            "data": base / "data",
            "base": base,
            "feedback": base / "feedback.sqlite3",
        }
    finally:
        process.terminate()
        process.wait(timeout=20)
        log.close()


@pytest.fixture(scope="session")
def browser(app_server):
    if not CHROMIUM.exists():
        pytest.fail(
            "Chromium is not installed at /usr/bin/chromium. `make test` installs it "
            "(Debian package `chromium`)."
        )
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser, app_server):
    yield from open_page(browser, app_server["url"])


@pytest.fixture
def spanish_page(browser, app_server):
    """The app as a browser set to Spanish sees it (labels, Accept-Language)."""
    yield from open_page(browser, app_server["url"], locale="es-ES", question_label="Su pregunta")


def open_page(browser, url: str, locale: str = "en-US", question_label: str = "Your question"):
    """A fresh browser context on the app; afterwards, proof that nothing left the machine,
    no dialog opened and no script planted in a document ran."""
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale=locale)
    context.grant_permissions(["clipboard-read", "clipboard-write"], origin=url)
    outside: list[str] = []
    context.on("request", lambda r: outside.append(r.url) if not r.url.startswith(LOCAL) else None)
    page = context.new_page()
    dialogs: list[str] = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    page.goto(url)
    page.get_by_label(question_label).wait_for()
    yield page
    assert outside == [], f"the page reached outside this machine: {outside}"
    assert dialogs == [], f"a document or answer opened a dialog: {dialogs}"
    assert page.evaluate("window.__xss") is None
    context.close()


def submit_question(page, question: str, label: str = "Your question") -> None:
    """Type a question and press Enter, and see the conversation take it.

    On a loaded machine an Enter pressed the instant after `fill` can reach Gradio before its
    textbox has the new value, and the empty submit is ignored (as the app should): then the
    question is still in the box, and Enter is pressed once more."""
    from playwright.sync_api import expect

    box = page.get_by_label(label)
    box.fill(question)
    expect(box).to_have_value(question)
    asked = page.locator("#conversation [data-testid=user]", has_text=question[:30])
    before = asked.count()
    box.press("Enter")
    try:
        expect(asked).to_have_count(before + 1, timeout=5000)
    except AssertionError:
        expect(box).to_have_value(question)
        box.press("Enter")
        expect(asked).to_have_count(before + 1)
