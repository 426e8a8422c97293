from __future__ import annotations

import dataclasses
import io
import os
from pathlib import Path

import pytest
from conftest import ingest
from pypdf import PdfWriter

from assistant.build import build_assistant
from assistant.errors import DocumentLoadError
from assistant.settings import Settings
from ingest.loaders import load_file

PAGE_TEXTS = ["Page one text about walking aids.", "Page two text about balance training."]


def minimal_pdf(texts: list[str]) -> bytes:
    """A valid text PDF built by hand, one page per text, with a correct xref table."""
    n = len(texts)
    font_id = 3 + 2 * n
    page_ids = [3 + 2 * i for i in range(n)]
    objects: dict[int, bytes] = {
        1: b"<< /Type /Catalog /Pages 2 0 R >>",
        2: b"<< /Type /Pages /Kids ["
        + b" ".join(b"%d 0 R" % p for p in page_ids)
        + b"] /Count %d >>" % n,
        font_id: b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    }
    for page_id, text in zip(page_ids, texts, strict=False):
        stream = b"BT /F1 12 Tf 72 720 Td (" + text.encode("latin-1") + b") Tj ET"
        objects[page_id] = (
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] "
            b"/Resources << /Font << /F1 %d 0 R >> >> /Contents %d 0 R >>" % (font_id, page_id + 1)
        )
        objects[page_id + 1] = b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream"
    out = bytearray(b"%PDF-1.4\n")
    offsets = {}
    for number in sorted(objects):
        offsets[number] = len(out)
        out += b"%d 0 obj\n" % number + objects[number] + b"\nendobj\n"
    xref = len(out)
    size = max(objects) + 1
    out += b"xref\n0 %d\n0000000000 65535 f \n" % size
    for number in range(1, size):
        out += b"%010d 00000 n \n" % offsets[number]
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (size, xref)
    return bytes(out)


def _bad(path: Path) -> str:
    with pytest.raises(DocumentLoadError) as info:
        load_file(path)
    assert path.name in str(info.value)
    return str(info.value)


def test_unknown_extension(tmp_path):
    path = tmp_path / "notes.docx"
    path.write_text("Some words here.")
    assert "unsupported" in _bad(path)


def test_binary_file(tmp_path):
    path = tmp_path / "blob.txt"
    path.write_bytes(b"abc\x00\x01\x02def")
    assert "binary" in _bad(path)


def test_non_utf8_text(tmp_path):
    path = tmp_path / "latin.txt"
    path.write_bytes("Caf\u00e9 au lait is fine.".encode("latin-1"))
    assert "UTF-8" in _bad(path)


def test_empty_file(tmp_path):
    path = tmp_path / "empty.txt"
    path.write_text("  \n")
    assert "empty" in _bad(path)


def test_corrupt_pdf(tmp_path):
    path = tmp_path / "broken.pdf"
    path.write_bytes(os.urandom(2048).replace(b"\x00", b"\x01"))
    _bad(path)


def test_encrypted_pdf(tmp_path):
    writer = PdfWriter()
    writer.add_blank_page(200, 200)
    writer.encrypt("secret")
    buffer = io.BytesIO()
    writer.write(buffer)
    path = tmp_path / "locked.pdf"
    path.write_bytes(buffer.getvalue())
    assert "password" in _bad(path)


def test_two_page_pdf_loads_page_by_page(tmp_path):
    path = tmp_path / "aids.pdf"
    path.write_bytes(minimal_pdf(PAGE_TEXTS))
    raw = load_file(path)
    assert [p.strip() for p in raw.pages] == PAGE_TEXTS


def test_pdf_page_numbers_survive_ingest(tmp_path):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "aids.pdf").write_bytes(minimal_pdf(PAGE_TEXTS))
    settings = dataclasses.replace(
        Settings(),
        corpus_dir=corpus,
        index_dir=tmp_path / "index",
        embedder="hash",
        translated_embedder="",
    )
    report = ingest([corpus], settings)
    assert report.added == ["aids"]
    document = build_assistant(settings).source("aids")
    offset = document.text.index("balance training")
    assert document.page_at(offset) == 2
    assert document.page_at(document.text.index("walking aids")) == 1


def test_html_drops_navigation_and_scripts(tmp_path):
    path = tmp_path / "page.html"
    path.write_text(
        "<html><body><nav>menu</nav><h1>Title</h1><p>Body text sentence one.</p>"
        "<script>alert(1)</script></body></html>",
        encoding="utf-8",
    )
    text = "\n".join(load_file(path).pages)
    assert "Body text sentence one." in text
    assert "Title" in text
    assert "menu" not in text
    assert "alert" not in text


def test_markdown_markup_is_dropped(tmp_path):
    path = tmp_path / "note.md"
    path.write_text("# Heading\n- item one\nSee [the site](http://x.org).", encoding="utf-8")
    assert load_file(path).pages == ["Heading\n• item one\nSee the site."]
