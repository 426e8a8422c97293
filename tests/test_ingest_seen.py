"""A run reads only the files that changed (ingest/seen.py), and copies of the index share
the vector file instead of copying it (issue 14: one document into a 95,000-chunk library).

What a file's stat tells: the same stat is trusted; a file touched without a change is read
and found unchanged; a change that keeps the size and puts the modification time back, and a
file replaced by another of the same size and time, are both seen (the change time and the
inode differ); a file changed too recently to tell its times apart from a next change is
read again next time. A file that fails cleaning is not parsed again until it changes. The
index a run leaves is the one a run from scratch builds, and a run that fails after writing
vectors leaves the index as it was. Hash embedder."""

from __future__ import annotations

import dataclasses
import json
import os

import numpy as np
import pytest
from conftest import copy_corpus, fast_settings, ingest

from assistant.build import build_assistant
from assistant.errors import IndexDamagedError
from assistant.store import VECTOR_FILE, ChromaStore, forget_open_stores, open_store
from ingest import pipeline, seen
from ingest.indexed import INDEXED_FILE
from ingest.pipeline import remove_from_index
from ingest.seen import SEEN_FILE, SeenFiles

NEW_TEXT = (
    "Aquatic exercise\n\nWater walking in a cool pool lets people with multiple sclerosis "
    "train their balance without overheating. Aquatic exercise classes meet twice a week.\n"
)


@pytest.fixture
def reads(monkeypatch) -> list[str]:
    """The names of the files each run reads to hash them (cleared by the caller)."""
    names: list[str] = []
    read = SeenFiles._read

    def counted(self, path, fields):
        names.append(path.name)
        return read(self, path, fields)

    monkeypatch.setattr(SeenFiles, "_read", counted)
    return names


@pytest.fixture
def indexed(tmp_path, monkeypatch, reads):
    """The shipped corpus indexed; files count as settled at once (no two-second wait)."""
    monkeypatch.setattr(seen, "_RACY_NS", 0)
    corpus = copy_corpus(tmp_path / "corpus")
    settings = fast_settings(corpus, tmp_path / "index")
    assert len(ingest([corpus], settings).added) == 5
    reads.clear()
    return corpus, settings


def _some_file(corpus):
    return sorted(corpus.glob("*.txt"))[0]


def test_an_unchanged_library_reads_no_file_and_rehash_reads_them_all(indexed, reads):
    corpus, settings = indexed
    report = ingest([corpus], settings)
    assert (len(report.unchanged), report.added, report.updated) == (5, [], [])
    assert reads == []
    report = ingest([corpus], settings, rehash=True)
    assert len(report.unchanged) == 5
    assert len(reads) == len(list(corpus.glob("*.*"))) - 1  # every file but documents.json


def test_a_touched_file_is_read_and_found_unchanged(indexed, reads):
    corpus, settings = indexed
    path = _some_file(corpus)
    later = path.stat().st_mtime_ns + 5_000_000_000
    os.utime(path, ns=(later, later))
    version = open_store(settings).version()
    report = ingest([corpus], settings)
    assert (len(report.unchanged), report.updated) == (5, [])
    assert reads == [path.name]
    assert open_store(settings).version() == version  # nothing written, nothing copied
    reads.clear()
    ingest([corpus], settings)
    assert reads == []  # its new stat is remembered


def test_a_change_of_the_same_size_with_its_time_put_back_is_seen(indexed, reads):
    corpus, settings = indexed
    path = _some_file(corpus)
    before = path.stat()
    text = path.read_text("utf-8")
    changed = text.replace("e", "E", 1)
    assert len(changed.encode()) == len(text.encode())
    assert changed != text
    with path.open("r+", encoding="utf-8") as file:  # in place: the same inode
        file.write(changed)
    os.utime(path, ns=(before.st_atime_ns, before.st_mtime_ns))
    after = path.stat()
    assert (after.st_size, after.st_mtime_ns, after.st_ino) == (
        before.st_size,
        before.st_mtime_ns,
        before.st_ino,
    )
    report = ingest([corpus], settings)
    assert len(report.updated) == 1
    assert reads == [path.name]


def test_a_file_replaced_by_another_of_the_same_size_and_time_is_seen(indexed, reads, tmp_path):
    corpus, settings = indexed
    path = _some_file(corpus)
    before = path.stat()
    text = path.read_text("utf-8")
    other = tmp_path / "other.txt"
    other.write_text(text.replace("a", "A", 1), encoding="utf-8")
    os.utime(other, ns=(before.st_atime_ns, before.st_mtime_ns))
    os.replace(other, path)  # as `cp -p` or a sync tool that keeps times would leave it
    assert (path.stat().st_size, path.stat().st_mtime_ns) == (before.st_size, before.st_mtime_ns)
    report = ingest([corpus], settings)
    assert len(report.updated) == 1
    assert reads == [path.name]


def test_changed_details_in_documents_json_make_a_new_version_without_reading(indexed, reads):
    corpus, settings = indexed
    meta_path = corpus / "documents.json"
    data = json.loads(meta_path.read_text("utf-8"))
    entry = data["documents"][0]
    entry["title"] = entry.get("title", "") + " (revised)"
    meta_path.write_text(json.dumps(data, indent=2), encoding="utf-8")
    report = ingest([corpus], settings)
    assert report.updated == [entry.get("doc_id") or report.updated[0]]
    assert len(report.unchanged) == 4
    assert reads == [entry["file"]]  # its bytes read again for the new content hash only


def test_a_file_changed_just_before_a_run_is_read_again_by_the_next(indexed, reads, monkeypatch):
    corpus, settings = indexed
    monkeypatch.setattr(seen, "_RACY_NS", 2_000_000_000)
    (corpus / "aquatic-exercise.txt").write_text(NEW_TEXT, encoding="utf-8")
    assert ingest([corpus], settings).added == ["aquatic-exercise"]
    assert set(reads) == {"aquatic-exercise.txt"}  # (by the first look and by the run)
    reads.clear()
    assert len(ingest([corpus], settings).unchanged) == 6
    assert reads == ["aquatic-exercise.txt"]  # too recent to be trusted by its times
    monkeypatch.setattr(seen, "_RACY_NS", 0)  # as two seconds later
    ingest([corpus], settings)
    reads.clear()
    ingest([corpus], settings)
    assert reads == []


def test_a_file_that_fails_cleaning_is_parsed_again_only_once_it_changed(indexed, monkeypatch):
    corpus, settings = indexed
    empty = corpus / "empty-notes.txt"
    empty.write_text("   \n\nNothing.\n", encoding="utf-8")
    built: list[str] = []
    build = pipeline.build_document
    monkeypatch.setattr(
        pipeline, "build_document", lambda path, *a: built.append(path.name) or build(path, *a)
    )
    first = ingest([corpus], settings).failed
    assert built == ["empty-notes.txt"]
    second = ingest([corpus], settings).failed
    assert built == ["empty-notes.txt"]  # not parsed again
    assert second == first
    assert [(r.code, r.values) for _, r in second] == [(r.code, r.values) for _, r in first]
    assert first[0][1].code == "no_text_after_cleaning"
    empty.write_text(NEW_TEXT, encoding="utf-8")
    report = ingest([corpus], settings)
    assert (report.added, report.failed) == (["empty-notes"], [])
    assert built[1:] == ["empty-notes.txt"] * 2  # by the first look and by the run


def test_a_removed_file_leaves_the_index_and_the_record(indexed):
    corpus, settings = indexed
    path = _some_file(corpus)
    path.unlink()
    report = ingest([corpus], settings)
    assert len(report.removed) == 1
    remembered = json.loads((settings.index_dir / SEEN_FILE).read_text("utf-8"))["files"]
    assert str(path) not in remembered
    assert len(remembered) == 4


def test_a_damaged_record_means_every_file_is_read(indexed, reads):
    corpus, settings = indexed
    (settings.index_dir / SEEN_FILE).write_text("{not json", encoding="utf-8")
    report = ingest([corpus], settings)
    assert len(report.unchanged) == 5
    assert len(reads) == 5


def test_copies_of_the_index_share_the_vector_file_and_copy_the_rest(indexed, monkeypatch):
    corpus, settings = indexed
    live = settings.index_dir
    links: dict[str, bool] = {}
    copy_beside = pipeline._copy_beside

    def watched(index_dir):
        building = copy_beside(index_dir)
        for path in building.rglob("*"):
            if path.is_file():
                same = path.stat().st_ino == (live / path.relative_to(building)).stat().st_ino
                links[str(path.relative_to(building))] = same
        return building

    monkeypatch.setattr(pipeline, "_copy_beside", watched)
    (corpus / "aquatic-exercise.txt").write_text(NEW_TEXT, encoding="utf-8")
    assert ingest([corpus], settings).added == ["aquatic-exercise"]
    assert links[VECTOR_FILE] is True
    assert links["chroma.sqlite3"] is False
    assert [name for name, shared in links.items() if shared] == [VECTOR_FILE]


QUESTION = "How can I manage fatigue?"


def _index_contents(settings) -> dict[str, object]:
    """Documents, current chunks, each document's sentence vectors (from the vector file, as
    the retriever reads them) and an answer."""
    forget_open_stores()
    store = open_store(settings)
    documents = store.documents()
    chunks = store.chunks(documents)
    mapped = store.sentence_matrix(documents)
    assert mapped is not None
    rows, where = mapped
    vectors = {
        doc_id: np.round(rows[list(range(start, start + count))], 6).tolist()
        for doc_id, (start, count) in sorted(where.items())
    }
    answer = build_assistant(settings).ask(QUESTION)
    return {
        "documents": {d: (doc.content_hash, doc.text) for d, doc in documents.items()},
        "chunks": sorted((c.chunk_id, c.start, c.end, tuple(c.sentences)) for c in chunks),
        "vectors": vectors,
        "answer": (answer.status, answer.answer, [(c.doc_id, c.quote) for c in answer.citations]),
    }


def test_add_change_and_remove_leave_the_index_a_run_from_scratch_builds(indexed, tmp_path):
    corpus, settings = indexed
    (corpus / "aquatic-exercise.txt").write_text(NEW_TEXT, encoding="utf-8")
    assert ingest([corpus], settings).added == ["aquatic-exercise"]
    path = _some_file(corpus)
    path.write_text(path.read_text("utf-8") + "\nPacing helps with fatigue every day.\n", "utf-8")
    assert len(ingest([corpus], settings).updated) == 1
    removed = sorted(corpus.glob("*.txt"))[-1]
    removed.unlink()
    assert len(ingest([corpus], settings).removed) == 1
    fresh = fast_settings(corpus, tmp_path / "fresh" / "index")
    assert len(ingest([corpus], fresh).added) == 5
    assert _index_contents(settings) == _index_contents(fresh)


def test_a_run_that_fails_after_writing_vectors_leaves_the_index_as_it_was(
    indexed, tmp_path, monkeypatch
):
    """The run appends to the vector file the index in place shares; it fails before any
    record names those rows: the index reads and answers as before, and the next run ends
    with the index a run from scratch builds."""
    corpus, settings = indexed
    before = _index_contents(settings)
    size = (settings.index_dir / VECTOR_FILE).stat().st_size
    (corpus / "aquatic-exercise.txt").write_text(NEW_TEXT, encoding="utf-8")
    add = ChromaStore._add

    def failing(self, collection, *args, **kwargs):
        if collection is self._documents:  # chunks, sentences and vector rows written
            raise OSError("stopped halfway")
        return add(self, collection, *args, **kwargs)

    monkeypatch.setattr(ChromaStore, "_add", failing)
    with pytest.raises(IndexDamagedError):
        ingest([corpus], settings)
    monkeypatch.undo()
    assert (settings.index_dir / VECTOR_FILE).stat().st_size > size  # rows no record names
    assert _index_contents(settings) == before
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith("index")) == ["index"]
    assert ingest([corpus], settings).added == ["aquatic-exercise"]
    fresh = fast_settings(corpus, tmp_path / "fresh" / "index")
    ingest([corpus], fresh)
    assert _index_contents(settings) == _index_contents(fresh)


def test_a_half_written_row_left_by_a_killed_run_is_cut_off_by_the_next(indexed):
    corpus, settings = indexed
    with (settings.index_dir / VECTOR_FILE).open("ab") as file:
        file.write(b"\x00" * 6)  # a run killed in the middle of a row
    before = _index_contents(settings)
    (corpus / "aquatic-exercise.txt").write_text(NEW_TEXT, encoding="utf-8")
    assert ingest([corpus], settings).added == ["aquatic-exercise"]
    after = _index_contents(settings)
    assert {d: v for d, v in after["vectors"].items() if d != "aquatic-exercise"} == before[
        "vectors"
    ]


@pytest.fixture
def reads_of_documents(monkeypatch) -> list[bool]:
    """Each read of every document record from Chroma (texts or not)."""
    calls: list[bool] = []
    documents = ChromaStore.documents

    def counted(self, texts=True):
        calls.append(texts)
        return documents(self, texts)

    monkeypatch.setattr(ChromaStore, "documents", counted)
    return calls


def test_a_run_learns_the_indexed_versions_from_the_record_not_from_chroma(
    indexed, reads_of_documents
):
    corpus, settings = indexed
    assert len(ingest([corpus], settings).unchanged) == 5
    (corpus / "aquatic-exercise.txt").write_text(NEW_TEXT, encoding="utf-8")
    assert ingest([corpus], settings).added == ["aquatic-exercise"]
    assert len(ingest([corpus], settings).unchanged) == 6
    assert reads_of_documents == []
    record = json.loads((settings.index_dir / INDEXED_FILE).read_text("utf-8"))
    assert record["version"] == open_store(settings).version()
    assert record["documents"]["aquatic-exercise"] == [
        open_store(settings).documents()["aquatic-exercise"].content_hash,
        str(corpus / "aquatic-exercise.txt"),
    ]


def test_after_a_change_the_record_does_not_know_the_store_is_read(indexed, reads_of_documents):
    """A removal in the app (outside a run) gives the index a new version: the record is not
    trusted, the documents are read from the store once and recorded again."""
    corpus, settings = indexed
    (corpus / "aquatic-exercise.txt").write_text(NEW_TEXT, encoding="utf-8")
    assert ingest([corpus], settings).added == ["aquatic-exercise"]
    remove_from_index(settings, "aquatic-exercise")
    report = ingest([corpus], settings)
    assert report.added == ["aquatic-exercise"]  # the store says it is gone: written again
    assert reads_of_documents == [False]
    assert len(ingest([corpus], settings).unchanged) == 6
    assert reads_of_documents == [False]


def test_a_failure_that_depends_on_the_settings_is_not_remembered(indexed, monkeypatch):
    """Too long for this setting (or too slow on a busy machine) may pass another time: such
    a file is parsed again on every run."""
    corpus, settings = indexed
    (corpus / "aquatic-exercise.txt").write_text(NEW_TEXT * 20, encoding="utf-8")
    strict = dataclasses.replace(settings, max_document_chars=1_000)
    built: list[str] = []
    build = pipeline.build_document
    monkeypatch.setattr(
        pipeline, "build_document", lambda path, *a: built.append(path.name) or build(path, *a)
    )
    for _ in range(2):
        [(name, reason)] = ingest([corpus], strict).failed
        assert (name, reason.code) == ("aquatic-exercise.txt", "too_long")
    assert built == ["aquatic-exercise.txt"] * 2
    assert ingest([corpus], settings).added == ["aquatic-exercise"]
