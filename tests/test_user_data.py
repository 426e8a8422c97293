"""User state lives in the data folder, never in the tracked tree (issue 13, privacy): adding,
editing and removing documents leave a git checkout clean, the changes survive a restart, and
`python -m ingest` sees the same library as the app. Each test works in a fresh git repository
in tmp holding a copy of the shipped corpus and the project's .gitignore."""

from __future__ import annotations

import dataclasses
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import CORPUS, ROOT

from assistant.build import build_assistant, build_embedder
from assistant.settings import Settings
from assistant.store import forget_open_stores
from ingest.library import Library, MetadataEdit

OT_FILE = "above-ms-occupational-therapy.txt"
OT_ID = "above-ms-occupational-therapy"
NMSS_FILE = "nmss-rehabilitation-in-ms.txt"
NMSS_ID = "nmss-rehabilitation-in-ms"
SHIPPED = {
    "above-ms-occupational-therapy",
    "msif-what-to-expect-from-rehabilitation",
    "nmss-rehabilitation-in-ms",
    "physical-therapy-faqs-about-interventions",
    "verywell-physical-therapy-for-ms",
}
FATIGUE = (
    "Fatigue notes\n\n"
    "Energy conservation means planning the day so that tiring tasks alternate with rest.\n\n"
    "A cooling vest can help people whose symptoms worsen in hot weather.\n"
)


def _git(repo: Path, *args: str) -> str:
    done = subprocess.run(
        ["git", "-c", "user.name=t", "-c", "user.email=t@t", *args],
        cwd=repo,
        capture_output=True,
        text=True,
        check=True,
    )
    return done.stdout


@pytest.fixture
def checkout(tmp_path) -> Path:
    """A git checkout with the shipped corpus and .gitignore committed, nothing else."""
    if shutil.which("git") is None:
        pytest.skip("git is not installed")
    repo = tmp_path / "checkout"
    shutil.copytree(CORPUS, repo / "corpus")
    shutil.copy(ROOT / ".gitignore", repo / ".gitignore")
    _git(repo, "init", "-q")
    _git(repo, "add", ".")
    _git(repo, "commit", "-q", "-m", "shipped")
    return repo


def _settings(repo: Path) -> Settings:
    """The defaults as a user gets them (relative folders), anchored in the checkout."""
    defaults = Settings()
    return dataclasses.replace(
        defaults,
        corpus_dir=repo / defaults.corpus_dir,
        index_dir=repo / defaults.index_dir,
        data_dir=repo / defaults.data_dir,
        embedder="hash",
        translated_embedder="",
    )


def _use_the_library(settings: Settings, uploads: Path) -> None:
    """What staff do in the Documents tab: add, edit a shipped and an added document, remove
    a shipped one, replace another shipped one, all through the library the app uses."""
    library = Library(settings, build_embedder)
    quiet = lambda message: None  # noqa: E731
    assert library.reindex(quiet).failed == []
    uploads.mkdir()
    (uploads / "fatigue.txt").write_text(FATIGUE, encoding="utf-8")
    (uploads / NMSS_FILE).write_text(
        "Our own leaflet\n\nPhysiotherapy sessions are offered on Tuesdays at the clinic.\n",
        encoding="utf-8",
    )
    assert [r.ok for r in library.add([uploads / "fatigue.txt"], quiet)] == [True]
    assert [r.ok for r in library.add([uploads / NMSS_FILE], quiet, replace=True)] == [True]
    edit = MetadataEdit(title="Fatigue and heat", publisher="Our clinic", updated="2024")
    added = settings.data_dir / "documents" / "fatigue.txt"
    assert library.update_metadata("fatigue", str(added), edit, quiet).ok
    shipped = settings.corpus_dir / "verywell-physical-therapy-for-ms.txt"
    edit = MetadataEdit(title="PT for MS (checked)", publisher="Verywell Health", updated="2022")
    assert library.update_metadata("verywell-physical-therapy-for-ms", str(shipped), edit, quiet).ok
    assert library.remove(OT_ID, str(settings.corpus_dir / OT_FILE), quiet).ok


def _check_the_changes_are_there(settings: Settings) -> None:
    forget_open_stores()
    assistant = build_assistant(settings)
    assert set(assistant.documents) == (SHIPPED - {OT_ID}) | {"fatigue"}
    assert assistant.source("fatigue").meta.title == "Fatigue and heat"
    assert assistant.source("verywell-physical-therapy-for-ms").meta.title == "PT for MS (checked)"
    assert "Tuesdays" in assistant.source(NMSS_ID).text
    assert assistant.source(NMSS_ID).meta.publisher is None


def test_using_the_library_leaves_the_checkout_clean_and_survives_a_restart(checkout, tmp_path):
    settings = _settings(checkout)
    _use_the_library(settings, tmp_path / "uploads")
    assert _git(checkout, "status", "--porcelain", "--untracked-files=all") == ""
    assert not (checkout / "corpus" / ".removed").exists()
    _check_the_changes_are_there(settings)
    # A restart: a new Library over the same folders catches up with nothing to do.
    report = Library(settings, build_embedder).reindex(lambda message: None)
    assert (report.added, report.updated, report.removed, report.failed) == ([], [], [], [])
    _check_the_changes_are_there(settings)
    changes = json.loads((settings.data_dir / "library.json").read_text(encoding="utf-8"))
    assert changes["removed"] == [OT_FILE, NMSS_FILE]
    assert set(changes["edited"]) == {"verywell-physical-therapy-for-ms.txt"}


def test_ingest_on_the_command_line_sees_the_library_the_app_changed(checkout, tmp_path):
    settings = _settings(checkout)
    _use_the_library(settings, tmp_path / "uploads")
    shutil.rmtree(settings.index_dir)
    env = {k: v for k, v in os.environ.items() if not k.startswith("MSRA_")}
    env.update(MSRA_EMBEDDER="hash", MSRA_TRANSLATED_EMBEDDER="", PYTHONPATH=str(ROOT))
    done = subprocess.run(
        [sys.executable, "-m", "ingest"],
        cwd=checkout,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert "Index: 5 documents." in done.stderr
    _check_the_changes_are_there(settings)
    assert _git(checkout, "status", "--porcelain", "--untracked-files=all") == ""


def test_a_bad_upload_leaves_no_trace_anywhere(checkout, tmp_path):
    settings = _settings(checkout)
    library = Library(settings, build_embedder)
    library.reindex(lambda message: None)
    (tmp_path / "binary.txt").write_bytes(b"\x00\x01\x02 not text " * 50)
    [result] = library.add([tmp_path / "binary.txt"], lambda message: None)
    assert result.ok is False
    assert _git(checkout, "status", "--porcelain", "--untracked-files=all") == ""
    assert sorted(p.name for p in settings.data_dir.rglob("*") if p.is_file()) == []


def test_the_feedback_database_is_in_the_data_folder_by_default():
    settings = Settings()
    assert settings.feedback_file == Path(".data/feedback.sqlite3")
    absolute = dataclasses.replace(settings, feedback_path=Path("/var/lib/msra/feedback.sqlite3"))
    assert absolute.feedback_file == Path("/var/lib/msra/feedback.sqlite3")
    moved = dataclasses.replace(settings, data_dir=Path("/srv/msra"))
    assert moved.feedback_file == Path("/srv/msra/feedback.sqlite3")


def test_git_ignores_the_data_folder():
    if shutil.which("git") is None or not (ROOT / ".git").exists():
        pytest.skip("not a git checkout")
    ignored = subprocess.run(
        ["git", "check-ignore", ".data/feedback.sqlite3", ".data/documents/x.txt"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert ignored.stdout.split() == [".data/feedback.sqlite3", ".data/documents/x.txt"]


def test_a_broken_record_of_changes_says_what_to_do(tmp_path):
    settings = _settings(tmp_path)
    shutil.copytree(CORPUS, settings.corpus_dir)
    settings.data_dir.mkdir()
    (settings.data_dir / "library.json").write_text("{not json", encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if not k.startswith("MSRA_")}
    env.update(MSRA_EMBEDDER="hash", MSRA_TRANSLATED_EMBEDDER="", PYTHONPATH=str(ROOT))
    done = subprocess.run(
        [sys.executable, "-m", "ingest"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 2
    assert "Traceback" not in done.stderr
    assert "library.json: the record of library changes is not valid" in done.stderr
    assert "delete it to go back to the shipped library" in done.stderr
