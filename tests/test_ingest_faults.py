"""Ingest against hostile or broken input and faults (issue 16): ids that collide across
folders, links out of the corpus, files that take too long or decompress to too much,
interrupted runs and a damaged index. Every input is built here, in tmp_path."""

from __future__ import annotations

import pytest
from conftest import copy_corpus, fast_settings, ingest

from assistant.build import build_assistant

NMSS_FILE = "nmss-rehabilitation-in-ms.txt"
NMSS_ID = "nmss-rehabilitation-in-ms"
OTHER_TEXT = "Walking aids such as canes and walkers help people keep moving in daily life.\n"


@pytest.fixture
def indexed(tmp_path):
    corpus = copy_corpus(tmp_path / "corpus")
    settings = fast_settings(corpus, tmp_path / "index")
    assert len(ingest([corpus], settings).added) == 5
    return corpus, settings


# Item 5: a file from another folder never takes over a document of the same id


@pytest.mark.parametrize("given", ["file", "folder"])
def test_a_file_from_another_folder_never_replaces_the_document_of_the_same_id(
    indexed, tmp_path, given
):
    corpus, settings = indexed
    before = build_assistant(settings).source(NMSS_ID)
    other = tmp_path / "other"
    other.mkdir()
    (other / NMSS_FILE).write_text(OTHER_TEXT, encoding="utf-8")
    report = ingest([other / NMSS_FILE if given == "file" else other], settings)
    assert report.failed == [
        (
            NMSS_FILE,
            f"{other / NMSS_FILE}: its document id '{NMSS_ID}' is already used by "
            f"{corpus / NMSS_FILE}. Rename the file, or give it its own doc_id in a "
            "documents.json beside it.",
        )
    ]
    assert report.added == report.updated == []
    assert build_assistant(settings).source(NMSS_ID) == before
    assert len(ingest([corpus], settings).unchanged) == 5


def test_a_document_whose_file_moved_can_be_indexed_from_its_new_place(indexed, tmp_path):
    corpus, settings = indexed
    moved = tmp_path / "moved"
    moved.mkdir()
    (corpus / NMSS_FILE).rename(moved / NMSS_FILE)
    report = ingest([moved], settings)
    assert (report.failed, report.updated) == ([], [NMSS_ID])
    assert build_assistant(settings).source(NMSS_ID).source_path == str(moved / NMSS_FILE)


# Item 12: a link out of the corpus is not followed


def test_a_link_out_of_the_corpus_is_refused_by_name(indexed, tmp_path):
    corpus, settings = indexed
    secret = tmp_path / "secret.txt"
    secret.write_text("The password of this machine is swordfish, and nobody may read it.\n")
    (corpus / "passwd.txt").symlink_to(secret)
    (corpus / "inside-link.txt").symlink_to(corpus / NMSS_FILE)
    report = ingest([corpus], settings)
    assert report.failed == [
        (
            "passwd.txt",
            f"passwd.txt: it is a link to a file outside {corpus}/. Links out of the folder "
            "are not followed; copy the file into the folder if it belongs there.",
        )
    ]
    assert report.added == ["inside-link"]  # a link within the corpus is an ordinary file
    documents = build_assistant(settings).documents
    assert "passwd" not in documents
    assert not any("swordfish" in d.text for d in documents.values())


def test_a_link_out_of_the_corpus_indexed_earlier_leaves_the_index(indexed, tmp_path):
    corpus, settings = indexed
    secret = tmp_path / "secret.txt"
    secret.write_text("The password of this machine is swordfish, and nobody may read it.\n")
    (corpus / "passwd.txt").symlink_to(secret)
    assert ingest([corpus / "passwd.txt"], settings).added == ["passwd"]  # named on purpose
    report = ingest([corpus], settings)  # found in the folder: refused and dropped
    assert report.removed == ["passwd"]
    assert "passwd" not in build_assistant(settings).documents


# Item 15: UTF-16 text with a byte-order mark is text, not "binary"

UTF16_TEXT = "Réadaptation et sclérose en plaques : la fatigue se gère en planifiant la journée.\n"


@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-be", "utf-32"])
@pytest.mark.parametrize("suffix", [".txt", ".md", ".html"])
def test_utf16_and_utf32_text_with_a_bom_is_read(tmp_path, encoding, suffix):
    from ingest.loaders import load_file

    path = tmp_path / f"notes{suffix}"
    data = UTF16_TEXT.encode(encoding)
    if encoding == "utf-16-be":
        data = b"\xfe\xff" + data
    path.write_bytes(data)
    [page] = load_file(path).pages
    assert page.strip() == UTF16_TEXT.strip()
