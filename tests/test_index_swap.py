"""The embedded index is never written where it is served (issue 13): a run with work to do
writes a copy of the index folder and swaps it in; a run with nothing to do copies nothing;
what a killed run left beside the index is cleared by the next run; two runs take turns; and
a process serving the index (the app) answers from the swapped-in folder, whether the swap
was made by another process or by its own upload. Hash embedder."""

from __future__ import annotations

import dataclasses
import fcntl
import os
import shutil
import signal
import subprocess
import sys
import time

import pytest
from conftest import ROOT, copy_corpus, fast_env, fast_settings, ingest

from assistant.build import build_assistant, build_embedder
from assistant.errors import IndexDamagedError
from assistant.store import ChromaStore, forget_open_stores, generation, index_signature, open_store
from ingest.library import Library

NEW_TEXT = (
    "Aquatic exercise\n\nWater walking in a cool pool lets people with multiple sclerosis "
    "train their balance without overheating. Aquatic exercise classes meet twice a week.\n"
)
NEW_QUESTION = "Can water walking in a cool pool help my balance?"


@pytest.fixture
def indexed(tmp_path):
    corpus = copy_corpus(tmp_path / "corpus")
    settings = fast_settings(corpus, tmp_path / "index", index_check_seconds=0.0)
    assert len(ingest([corpus], settings).added) == 5
    return corpus, settings


def _build(settings) -> tuple[int, str]:
    """Which build of the folder is in place: (its inode, its generation)."""
    return os.stat(settings.index_dir).st_ino, generation(settings.index_dir)


def _beside(tmp_path) -> list[str]:
    return sorted(p.name for p in tmp_path.iterdir() if p.name.startswith("index"))


def test_a_run_with_nothing_to_do_copies_nothing(indexed, tmp_path):
    corpus, settings = indexed
    before = _build(settings)
    version = open_store(settings).version()
    report = ingest([corpus], settings)
    assert (len(report.unchanged), report.added, report.updated, report.removed) == (5, [], [], [])
    assert _build(settings) == before
    assert open_store(settings).version() == version  # a serving process has nothing to reload
    assert _beside(tmp_path) == ["index"]


def test_a_run_with_work_swaps_a_new_build_in(indexed, tmp_path):
    corpus, settings = indexed
    before = _build(settings)
    served = open_store(settings)  # a process reading the index meanwhile
    version = served.version()
    # It has read the documents (as a serving process does at load): Chroma opens a
    # collection's files when first read, so a store that never read them would open the
    # build in place then, and the run itself no longer reads them (ingest/indexed.py).
    assert "aquatic-exercise" not in served.documents()
    (corpus / "aquatic-exercise.txt").write_text(NEW_TEXT, encoding="utf-8")
    assert ingest([corpus], settings).added == ["aquatic-exercise"]
    after = _build(settings)
    assert after[0] != before[0]
    assert after[1] not in ("", before[1])
    assert "aquatic-exercise" not in served.documents()  # it still reads the old build...
    assert served.version() != version  # ...and says that the index changed
    assert served.version() != served.version()  # every time it is asked
    assert "aquatic-exercise" in open_store(settings).documents()  # a reopen reads the new one
    assert _beside(tmp_path) == ["index"]


def test_what_a_killed_run_left_beside_the_index_is_cleared_by_the_next_run(indexed, tmp_path):
    """A --reset killed while it builds leaves index.new; the next run, here one with nothing
    to do, clears it (and an index.old of a run killed between its two renames)."""
    corpus, settings = indexed
    run = subprocess.Popen(
        [sys.executable, "-m", "ingest", "--reset"],
        cwd=ROOT,
        env=fast_env(settings),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    building = tmp_path / "index.new"
    deadline = time.monotonic() + 120
    while not (building / "chroma.sqlite3").exists() and time.monotonic() < deadline:
        time.sleep(0.01)
    run.send_signal(signal.SIGKILL)
    assert run.wait() == -signal.SIGKILL
    assert (building / "chroma.sqlite3").exists()
    (tmp_path / "index.old").mkdir()
    (tmp_path / "index.old" / "chroma.sqlite3").write_bytes(b"half a database")
    forget_open_stores()
    report = ingest([corpus], settings)
    assert len(report.unchanged) == 5
    assert _beside(tmp_path) == ["index"]
    assert len(build_assistant(settings).documents) == 5


def test_two_runs_at_once_take_turns(indexed, tmp_path):
    """While one run holds the index (here the test holds its lock), another waits, says so,
    and runs when the first is done."""
    corpus, settings = indexed
    (corpus / "aquatic-exercise.txt").write_text(NEW_TEXT, encoding="utf-8")
    holder = os.open(tmp_path, os.O_RDONLY)
    fcntl.flock(holder, fcntl.LOCK_EX)
    try:
        run = subprocess.Popen(
            [sys.executable, "-m", "ingest"],
            cwd=ROOT,
            env=fast_env(settings),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        time.sleep(8)  # long enough to start and reach the index (about 3 s here)
        assert run.poll() is None, run.stderr.read() if run.stderr else ""
        assert "aquatic-exercise" not in open_store(settings).documents()
    finally:
        os.close(holder)
    _, stderr = run.communicate(timeout=120)
    assert run.returncode == 0, stderr
    assert f"Another run is writing {settings.index_dir}/; waiting for it to finish." in stderr
    forget_open_stores()
    assert "aquatic-exercise" in open_store(settings).documents()


def test_a_serving_process_answers_from_what_another_process_ingested(indexed):
    corpus, settings = indexed
    assistant = build_assistant(settings)  # the app, say
    assert "aquatic-exercise" not in assistant.documents
    assistant.ask(NEW_QUESTION)
    (corpus / "aquatic-exercise.txt").write_text(NEW_TEXT, encoding="utf-8")
    done = subprocess.run(
        [sys.executable, "-m", "ingest"], cwd=ROOT, env=fast_env(settings), capture_output=True
    )
    assert done.returncode == 0, done.stderr
    answer = assistant.ask(NEW_QUESTION)  # the version check before it sees the new build
    assert "aquatic-exercise" in assistant.documents
    assert [c.doc_id for c in answer.citations][:1] == ["aquatic-exercise"]


def test_the_apps_own_upload_is_answered_from_the_new_index(indexed, tmp_path):
    """The app's upload path (Library, in the serving process itself): its assistant, built
    before, answers from the index the upload swapped in."""
    _, settings = indexed
    settings = dataclasses.replace(settings, index_check_seconds=0.0)
    assistant = build_assistant(settings)
    assistant.ask(NEW_QUESTION)
    upload = tmp_path / "aquatic-exercise.txt"
    upload.write_text(NEW_TEXT, encoding="utf-8")
    [result] = Library(settings, build_embedder).add([upload], lambda message: None)
    assert result.ok, result.message
    answer = assistant.ask(NEW_QUESTION)
    assert [c.doc_id for c in answer.citations][:1] == ["aquatic-exercise"]
    assert _beside(tmp_path) == ["index"]


def test_no_room_for_the_copy_says_the_disk_is_full_and_changes_nothing(
    indexed, tmp_path, monkeypatch
):
    corpus, settings = indexed
    before = _build(settings)
    (corpus / "aquatic-exercise.txt").write_text(NEW_TEXT, encoding="utf-8")

    def full(source, target, **kwargs):
        (target / "partial").mkdir(parents=True)
        raise shutil.Error([(str(source), str(target), "[Errno 28] No space left on device")])

    monkeypatch.setattr(shutil, "copytree", full)
    with pytest.raises(IndexDamagedError) as info:
        ingest([corpus], settings)
    assert str(info.value).startswith(f"The disk that holds {settings.index_dir}/ is full")
    assert _build(settings) == before
    assert _beside(tmp_path) == ["index"]
    monkeypatch.undo()
    assert ingest([corpus], settings).added == ["aquatic-exercise"]


def test_where_folders_cannot_be_exchanged_two_renames_do_and_a_cut_between_is_undone(
    indexed, tmp_path, monkeypatch
):
    """Without an atomic exchange (not Linux, or a file system without it) the new folder goes
    in with two renames; a run killed between them left the index as index.old, and the next
    run puts it back before anything else."""
    corpus, settings = indexed
    monkeypatch.setattr("ingest.pipeline._exchange", lambda first, second: False)
    (corpus / "aquatic-exercise.txt").write_text(NEW_TEXT, encoding="utf-8")
    assert ingest([corpus], settings).added == ["aquatic-exercise"]
    assert _beside(tmp_path) == ["index"]
    before = _build(settings)
    settings.index_dir.rename(tmp_path / "index.old")  # killed between the two renames
    (tmp_path / "index.new").mkdir()
    forget_open_stores()
    report = ingest([corpus], settings)
    assert (len(report.unchanged), report.added) == (6, [])
    assert _build(settings) == before
    assert _beside(tmp_path) == ["index"]


def test_a_run_that_fails_halfway_leaves_the_index_as_it_was(indexed, tmp_path, monkeypatch):
    corpus, settings = indexed
    before = _build(settings)
    (corpus / "aquatic-exercise.txt").write_text(NEW_TEXT, encoding="utf-8")
    add = ChromaStore._add

    def failing(self, collection, *args, **kwargs):
        if collection is self._documents:  # chunks and sentences written, records not
            raise OSError("stopped halfway")
        return add(self, collection, *args, **kwargs)

    monkeypatch.setattr(ChromaStore, "_add", failing)
    with pytest.raises(IndexDamagedError) as info:
        ingest([corpus], settings)
    assert str(info.value).startswith(f"The index in {settings.index_dir}/ cannot be read")
    monkeypatch.undo()
    assert _build(settings) == before
    assert _beside(tmp_path) == ["index"]
    store = ChromaStore(settings.index_dir, index_signature(settings), create=False)
    chunks = store._chunks.get(where={"doc_id": "aquatic-exercise"})
    assert chunks["ids"] == []  # nothing of the failed run in the index
    assert ingest([corpus], settings).added == ["aquatic-exercise"]


def test_a_run_whose_only_work_is_a_file_that_fails_copies_nothing(indexed, tmp_path, monkeypatch):
    from ingest import pipeline

    corpus, settings = indexed
    (corpus / "empty-notes.txt").write_text("   \n\n", encoding="utf-8")
    copies: list[object] = []
    copy_beside = pipeline._copy_beside
    monkeypatch.setattr(pipeline, "_copy_beside", lambda d: copies.append(d) or copy_beside(d))
    before = _build(settings)
    report = ingest([corpus], settings)
    assert [name for name, _ in report.failed] == ["empty-notes.txt"]
    assert len(report.unchanged) == 5
    assert copies == []  # the index folder was not copied for a file that can only fail
    assert _build(settings) == before
    assert _beside(tmp_path) == ["index"]
    (corpus / "aquatic-exercise.txt").write_text(NEW_TEXT, encoding="utf-8")
    report = ingest([corpus], settings)  # a file that reads is work again
    assert report.added == ["aquatic-exercise"]
    assert [name for name, _ in report.failed] == ["empty-notes.txt"]
    assert len(copies) == 1
    assert _build(settings)[0] != before[0]
