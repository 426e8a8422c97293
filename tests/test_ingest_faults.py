"""Ingest against hostile or broken input and faults (issue 16): ids that collide across
folders, links out of the corpus, files that take too long or decompress to too much,
interrupted runs and a damaged index. Every input is built here, in tmp_path."""

from __future__ import annotations

import errno
import os
import signal
import sqlite3
import subprocess
import sys
import time
import zlib

import pytest
from conftest import ROOT, copy_corpus, fast_settings, ingest

from assistant.build import build_assistant, build_embedder
from assistant.errors import DocumentLoadError, IndexDamagedError
from assistant.store import ChromaStore, forget_open_stores, index_signature
from ingest.chunking import chunk_document
from ingest.corpus import build_document
from ingest.library import Library

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
    # A link to a file within the corpus that is not indexed itself (a link to an indexed
    # one is a copy of it, see test_ingest.py).
    (corpus / ".kept").mkdir()
    (corpus / ".kept" / "notes.txt").write_text(OTHER_TEXT, encoding="utf-8")
    (corpus / "inside-link.txt").symlink_to(corpus / ".kept" / "notes.txt")
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


# Item 10: a PDF that unpacks to far more than it weighs


def bomb_pdf(pages: int, stream_mb: int) -> bytes:
    """A PDF whose every page has one line of text, then `stream_mb` MB of spaces, deflated
    (a megabyte of spaces packs into about a kilobyte)."""
    packer = zlib.compressobj(9)
    parts = [packer.compress(b"BT /F1 12 Tf 72 720 Td (Walking aids help people.) Tj ET\n")]
    parts += [packer.compress(b" " * (1 << 20)) for _ in range(stream_mb)]
    stream = b"".join([*parts, packer.flush()])
    font = 3 + 2 * pages
    kids = [3 + 2 * i for i in range(pages)]
    objects = {
        1: b"<< /Type /Catalog /Pages 2 0 R >>",
        2: b"<< /Type /Pages /Kids [%s] /Count %d >>"
        % (b" ".join(b"%d 0 R" % k for k in kids), pages),
        font: b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    }
    for kid in kids:
        objects[kid] = (
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] "
            b"/Resources << /Font << /F1 %d 0 R >> >> /Contents %d 0 R >>" % (font, kid + 1)
        )
        objects[kid + 1] = (
            b"<< /Length %d /Filter /FlateDecode >>\nstream\n" % len(stream)
            + stream
            + b"\nendstream"
        )
    out, offsets = bytearray(b"%PDF-1.4\n"), {}
    for number in sorted(objects):
        offsets[number] = len(out)
        out += b"%d 0 obj\n" % number + objects[number] + b"\nendobj\n"
    xref, size = len(out), max(objects) + 1
    out += b"xref\n0 %d\n0000000000 65535 f \n" % size
    out += b"".join(b"%010d 00000 n \n" % offsets[n] for n in range(1, size))
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (size, xref)
    return bytes(out)


UNPACKS_TOO_MUCH = (
    "bomb.pdf: the PDF's pages unpack to more than 100 MB (a damaged file, or one made to "
    "exhaust memory). Nothing of it was read. Export a fresh copy of the PDF."
)


@pytest.mark.parametrize(
    ("pages", "stream_mb"),
    [pytest.param(2, 200, id="one-huge-stream"), pytest.param(30, 9, id="many-streams")],
)
def test_decompression_bomb_pdf_is_refused_and_the_rest_indexed(tmp_path, pages, stream_mb):
    corpus = copy_corpus(tmp_path / "corpus")
    (corpus / "bomb.pdf").write_bytes(bomb_pdf(pages, stream_mb))
    started = time.monotonic()
    report = ingest([corpus], fast_settings(corpus, tmp_path / "index"))
    assert time.monotonic() - started < 30
    assert report.failed == [("bomb.pdf", UNPACKS_TOO_MUCH)]
    assert len(report.added) == 5


def test_a_pdf_that_takes_too_long_to_read_is_refused(tmp_path):
    from ingest.loaders import Budget, load_file

    # The layout reader (pdfminer) reads this file in well under a second, so the budget is
    # set below its reading time: the reading must stop between pages and say so.
    path = tmp_path / "slow.pdf"
    path.write_bytes(bomb_pdf(6, 4))
    with pytest.raises(DocumentLoadError) as info:
        load_file(path, Budget(max_seconds=1e-9))
    assert str(info.value).startswith("slow.pdf: reading the PDF took more than 1e-09 s")


def test_decompression_bomb_upload_is_refused_and_leaves_nothing_behind(tmp_path):
    corpus = copy_corpus(tmp_path / "corpus")
    settings = fast_settings(corpus, tmp_path / "index")
    library = Library(settings, build_embedder)
    library.reindex(lambda _: None)
    upload = tmp_path / "bomb.pdf"
    upload.write_bytes(bomb_pdf(2, 200))
    [result] = library.add([upload], lambda _: None)
    assert (result.ok, result.message) == (False, f"{UNPACKS_TOO_MUCH} Nothing was added.")
    assert not (corpus / "bomb.pdf").exists()
    assert not (settings.index_dir / ".staging").exists()


# Item 11: pages that made the loaders quadratic, in bounded time


def _timed_document(path):
    started = time.monotonic()
    document = build_document(path, None)
    chunks = chunk_document(document, 900)
    return document, chunks, time.monotonic() - started


WORDS = "Fatigue is common in multiple sclerosis and rest helps people manage it"


def test_flat_html_with_16000_line_breaks_is_read_in_bounded_time(tmp_path):
    path = tmp_path / "flat.html"
    lines = "".join(f"{WORDS[:50]} {n}<br>" for n in range(16_000))  # 960 KB
    path.write_text(f"<html><body><p>{lines}</p></body></html>", encoding="utf-8")
    document, chunks, seconds = _timed_document(path)
    assert seconds < 20  # minutes before (a scan of the siblings per inserted line break)
    assert f"{WORDS[:50]} 15999" in document.text
    assert sum(len(c.sentences) for c in chunks) == 16_000


def test_deeply_nested_html_is_read_in_bounded_time(tmp_path):
    path = tmp_path / "nested.html"
    path.write_text("<div>" * 100_000 + WORDS + "</div>" * 100_000, encoding="utf-8")
    document, _, seconds = _timed_document(path)
    assert seconds < 20  # did not end in 900 s before
    assert document.text.strip() == WORDS


def test_one_line_markdown_over_the_budget_is_refused_at_once(tmp_path):
    path = tmp_path / "one-line.md"
    path.write_text(f"{WORDS}. " * 75_000, encoding="utf-8")  # 5.6 MB
    started = time.monotonic()
    with pytest.raises(DocumentLoadError) as info:
        build_document(path, None)
    assert time.monotonic() - started < 5
    assert str(info.value) == (
        "one-line.md: the text is 5,475,000 characters long and one document may have at "
        "most 1,000,000. Split it into smaller files."
    )


def test_one_long_line_under_the_budget_is_split_into_sentences_in_bounded_time(tmp_path):
    path = tmp_path / "long-line.md"
    path.write_text(f"{WORDS}. " * 4_000, encoding="utf-8")  # 300 KB on one line
    document, chunks, seconds = _timed_document(path)
    assert seconds < 20  # pysbd alone grows with the square of a line's length
    assert sum(len(c.sentences) for c in chunks) == 4_000
    for chunk in chunks:
        for start, end in chunk.sentences:
            assert document.text[start:end] == f"{WORDS}."


# Item 13: a run killed with SIGKILL never leaves a half-built index


def _env(settings) -> dict[str, str]:
    return {
        **os.environ,
        "MSRA_CORPUS_DIR": str(settings.corpus_dir),
        "MSRA_INDEX_DIR": str(settings.index_dir),
        "MSRA_EMBEDDER": "hash",
        "MSRA_TRANSLATED_EMBEDDER": "",
    }


def _indexed(settings) -> tuple[int, set[str]]:
    """(documents, documents that have chunks) as a fresh reader sees them."""
    forget_open_stores()
    store = ChromaStore(settings.index_dir, index_signature(settings), create=False)
    documents = store.documents()
    return len(documents), {c.doc_id for c in store.chunks(documents)}


EXTRA = 120


def test_kill_during_reset_leaves_the_previous_index_whole(tmp_path):
    corpus = copy_corpus(tmp_path / "corpus")
    # Enough documents that a reset runs well past the last kill, also now that ingest
    # writes in large batches.
    for n in range(EXTRA):
        text = " ".join(
            f"Paragraph {n}.{k} says rest and pacing help with fatigue." for k in range(60)
        )
        (corpus / f"extra-{n:03d}.txt").write_text(f"Extra {n}\n\n{text}\n", encoding="utf-8")
    settings = fast_settings(corpus, tmp_path / "index")
    assert len(ingest([corpus], settings).added) == 5 + EXTRA
    killed = 0
    for delay in (1.2, 2.0, 2.8, 3.6):
        run = subprocess.Popen(
            [sys.executable, "-m", "ingest", "--reset"],
            cwd=ROOT,
            env=_env(settings),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        time.sleep(delay)
        run.kill()
        killed += run.wait() == -signal.SIGKILL
        count, with_chunks = _indexed(settings)
        assert count == 5 + EXTRA, f"killed after {delay} s: {count} documents left"
        assert len(with_chunks) == 5 + EXTRA
    assert killed >= 2  # some runs really were cut short
    finished = subprocess.run(
        [sys.executable, "-m", "ingest", "--reset"],
        cwd=ROOT,
        env=_env(settings),
        capture_output=True,
        check=False,
    )
    assert finished.returncode == 0, finished.stderr
    assert _indexed(settings)[0] == 5 + EXTRA
    assert sorted(p.name for p in tmp_path.iterdir()) == ["corpus", "index"]


# Item 14: a damaged index or a full disk gives a sentence and a way out


def _cli(module: str, settings, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", module, *args],
        cwd=ROOT,
        env=_env(settings),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_a_damaged_index_says_how_to_rebuild_and_reset_rebuilds_it(indexed):
    _, settings = indexed
    database = settings.index_dir / "chroma.sqlite3"
    data = bytearray(database.read_bytes())
    data[:4096] = bytes(range(256)) * 16
    database.write_bytes(bytes(data))
    forget_open_stores()
    with pytest.raises(IndexDamagedError) as info:
        build_assistant(settings)
    assert str(info.value).startswith(f"The index in {settings.index_dir}/ cannot be read")
    assert "python -m ingest --reset" in str(info.value)
    for command in (("assistant", "ask", "--json", "What is OT?"), ("ingest",)):
        result = _cli(*command[:1], settings, *command[1:])
        assert result.returncode == 2
        assert "Traceback" not in result.stderr
        assert "Run `python -m ingest --reset` to rebuild it" in result.stderr
    assert _cli("ingest", settings, "--reset").returncode == 0
    forget_open_stores()
    assert build_assistant(settings).ask("What does an occupational therapist do?").citations


@pytest.mark.parametrize(
    "failure",
    [
        OSError(errno.ENOSPC, "No space left on device"),
        sqlite3.OperationalError("database or disk is full"),
    ],
)
def test_a_full_disk_during_ingest_says_so(indexed, monkeypatch, failure):
    corpus, settings = indexed
    (corpus / "new.txt").write_text(OTHER_TEXT + "Rest between tasks.\n", encoding="utf-8")

    def full(*args, **kwargs):
        raise failure

    monkeypatch.setattr(ChromaStore, "_add", full)
    with pytest.raises(IndexDamagedError) as info:
        ingest([corpus], settings)
    assert str(info.value).startswith(f"The disk that holds {settings.index_dir}/ is full")
    monkeypatch.undo()
    assert "new" not in build_assistant(settings).documents  # the rest is as it was
    assert len(build_assistant(settings).documents) == 5
