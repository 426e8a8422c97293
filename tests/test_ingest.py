from __future__ import annotations

import dataclasses

import pytest
from conftest import copy_corpus, fast_settings, ingest

from assistant.build import build_assistant, build_embedder
from assistant.errors import IndexMismatchError, IndexMissingError
from ingest.pipeline import run_ingest

OT_FILE = "above-ms-occupational-therapy.txt"
OT_ID = "above-ms-occupational-therapy"
OLD = "Coverage for OT services varies by plan."
NEW = "Coverage for OT services was rewritten for this test."


@pytest.fixture
def indexed(tmp_path):
    corpus = copy_corpus(tmp_path / "corpus")
    settings = fast_settings(corpus, tmp_path / "index")
    first = ingest([corpus], settings)
    assert len(first.added) == 5
    return corpus, settings


def test_second_run_changes_nothing(indexed):
    corpus, settings = indexed
    report = ingest([corpus], settings)
    assert len(report.unchanged) == 5
    assert report.added == report.updated == report.removed == []
    assert report.chunks_embedded == 0
    assert report.documents_in_index == 5


def test_changed_file_is_updated(indexed):
    corpus, settings = indexed
    path = corpus / OT_FILE
    path.write_text(path.read_text(encoding="utf-8").replace(OLD, NEW), encoding="utf-8")
    report = ingest([corpus], settings)
    assert report.updated == [OT_ID]
    assert len(report.unchanged) == 4
    text = build_assistant(settings).source(OT_ID).text
    assert NEW in text
    assert OLD not in text


def test_deleted_file_is_removed(indexed):
    corpus, settings = indexed
    (corpus / OT_FILE).unlink()
    report = ingest([corpus], settings)
    assert report.removed == [OT_ID]
    assert report.documents_in_index == 4
    assert OT_ID not in build_assistant(settings).documents


def test_bad_file_is_reported_and_rest_indexed(tmp_path):
    corpus = copy_corpus(tmp_path / "corpus")
    (corpus / "broken.pdf").write_bytes(b"\x00\x01\x02 not a pdf at all \xff" * 20)
    report = ingest([corpus], fast_settings(corpus, tmp_path / "index"))
    assert [name for name, _ in report.failed] == ["broken.pdf"]
    assert "broken.pdf" in report.failed[0][1]
    assert len(report.added) == 5
    assert report.usable is True


def test_only_bad_file_on_empty_index_is_not_usable(tmp_path):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "broken.pdf").write_bytes(b"\x00\x01\x02 garbage \xff" * 20)
    report = ingest([corpus], fast_settings(corpus, tmp_path / "index"))
    assert [name for name, _ in report.failed] == ["broken.pdf"]
    assert report.documents_in_index == 0
    assert report.usable is False


def test_index_built_with_other_settings_is_refused(indexed):
    _, settings = indexed
    other = dataclasses.replace(settings, chunk_max_chars=settings.chunk_max_chars + 100)
    with pytest.raises(IndexMismatchError) as info:
        build_assistant(other)
    assert "--reset" in str(info.value)


def test_missing_index_is_reported(tmp_path):
    settings = fast_settings(tmp_path / "corpus", tmp_path / "no-index-here")
    with pytest.raises(IndexMissingError):
        build_assistant(settings)


def test_ingest_rebuilds_an_index_built_with_other_settings(indexed):
    corpus, settings = indexed
    other = dataclasses.replace(settings, chunk_max_chars=settings.chunk_max_chars + 100)
    said: list[str] = []
    report = run_ingest([corpus], other, lambda: build_embedder(other), progress=said.append)
    assert len(report.added) == 5
    assert "rebuilding it from scratch" in said[0]
    assert "chunk_max_chars" in said[0]
    assert build_assistant(other).ask("What is IADL?").status == "answered"


def _copy_reason(copy: str, kept: str) -> str:
    return (
        f"{copy}: the same file as {kept} (the same bytes), which is indexed; this copy is not "
        "indexed a second time. Delete one of the two files."
    )


def test_two_identical_files_are_indexed_once_and_the_copy_is_reported(tmp_path):
    corpus = copy_corpus(tmp_path / "corpus")
    (corpus / "ot-copy.txt").write_bytes((corpus / OT_FILE).read_bytes())
    report = ingest([corpus], fast_settings(corpus, tmp_path / "index"))
    assert report.failed == [("ot-copy.txt", _copy_reason("ot-copy.txt", OT_FILE))]
    assert OT_ID in report.added
    assert report.documents_in_index == 5


def test_a_copy_of_an_indexed_file_is_reported_whatever_its_name(indexed):
    """The one the index already has stays, also when the copy comes first by name; a link
    to an indexed file is a copy too. Once the original is gone, the copy is the document."""
    corpus, settings = indexed
    (corpus / "a-copy.txt").write_bytes((corpus / OT_FILE).read_bytes())
    (corpus / "z-link.txt").symlink_to(corpus / OT_FILE)
    report = ingest([corpus], settings)
    assert report.failed == [
        ("a-copy.txt", _copy_reason("a-copy.txt", OT_FILE)),
        ("z-link.txt", _copy_reason("z-link.txt", OT_FILE)),
    ]
    assert (report.added, report.removed, len(report.unchanged)) == ([], [], 5)
    (corpus / "z-link.txt").unlink()
    (corpus / OT_FILE).unlink()
    report = ingest([corpus], settings)
    assert (report.failed, report.added, report.removed) == ([], ["a-copy"], [OT_ID])


def test_a_copy_indexed_before_leaves_the_index(indexed):
    """Both files indexed (one was changed since): once they are the same bytes again, the
    second is a copy and leaves the index."""
    corpus, settings = indexed
    path = corpus / "ot-copy.txt"
    path.write_bytes((corpus / OT_FILE).read_bytes() + b"\nOne more line to tell them apart.\n")
    assert ingest([corpus], settings).added == ["ot-copy"]
    path.write_bytes((corpus / OT_FILE).read_bytes())
    report = ingest([corpus], settings)
    assert report.failed == [("ot-copy.txt", _copy_reason("ot-copy.txt", OT_FILE))]
    assert report.removed == ["ot-copy"]
    assert "ot-copy" not in build_assistant(settings).documents
