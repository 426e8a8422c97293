"""Bad files for ingest and upload (issue 13): every file gets a clear result of its own in
bounded time, and the index, the corpus and the data folder change only by the good files.
Every file is made here, in tmp (PDFs with reportlab and pypdf, as tests/pdf_corpus.py does)."""

from __future__ import annotations

import io
import json
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import pytest
from conftest import ROOT, copy_corpus, fast_env, fast_settings

from assistant.build import build_assistant, build_embedder
from assistant.store import forget_open_stores
from ingest.library import Library

SHIPPED = 5
WORDS = "Pacing and rest between tasks help people with multiple sclerosis manage fatigue."


def _pdf(pages: list[list[str]], password: str = "") -> bytes:
    """A PDF with a text layer: one list of lines per page."""
    from reportlab.pdfgen import canvas

    buffer = io.BytesIO()
    drawing = canvas.Canvas(buffer, encrypt=password or None)
    for lines in pages:
        for number, line in enumerate(lines):
            drawing.drawString(72, 780 - 20 * number, line)
        drawing.showPage()
    drawing.save()
    return buffer.getvalue()


def _image_only_pdf() -> bytes:
    """Pages with a drawing and no text at all, as a scan without OCR looks to a reader."""
    from reportlab.pdfgen import canvas

    buffer = io.BytesIO()
    drawing = canvas.Canvas(buffer)
    for _ in range(2):
        drawing.rect(72, 400, 300, 300, fill=1)
        drawing.showPage()
    drawing.save()
    return buffer.getvalue()


def _zip() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("inside.txt", WORDS * 20)
    return buffer.getvalue()


GOOD_PDF = _pdf(
    [[f"Balance exercise {n}: {WORDS}", "Stand near a wall for support."] for n in (1, 2)]
)
LONG_PDF = [[f"Section {p}.{k}: exercise number {p * 7 + k} keeps walking steady." for k in range(6)] for p in range(500)]  # fmt: skip

# name -> (content, what the result must say: "" for a good file)
FILES: dict[str, tuple[bytes, str]] = {
    "good.txt": (f"Good notes\n\n{WORDS}\n".encode(), ""),
    "utf16.txt": (f"UTF-16 notes\n\n{WORDS} Rééducation.\n".encode("utf-16"), ""),
    "script.html": (
        f"<html><head><title>Heat and MS</title><script>window.__xss = 1; alert('x')</script>"
        f'</head><body><h1>Heat and MS</h1><p onclick="alert(2)">{WORDS}</p>'
        f"<script>document.write('planted')</script></body></html>".encode(),
        "",
    ),
    "Übungen für Gleichgewicht 平衡.txt": (f"Gleichgewicht\n\n{WORDS}\n".encode(), ""),
    "balance.pdf": (GOOD_PDF, ""),
    "same-as-good.txt": (f"Good notes\n\n{WORDS}\n".encode(), ""),
    "empty.txt": (b"", "the file is empty"),
    "corrupt.pdf": (bytes(range(256)) * 16, "the PDF is damaged or not a PDF"),
    "truncated.pdf": (GOOD_PDF[: len(GOOD_PDF) // 2], "the PDF"),
    "encrypted.pdf": (_pdf([[WORDS]], password="secret"), "password-protected"),
    "scanned.pdf": (_image_only_pdf(), "no text layer"),
    "binary.txt": (bytes(range(256)) * 64, "binary file"),
    "latin1.txt": (f"Notes\n\n{WORDS} Rééducation.\n".encode("latin-1"), "not UTF-8"),
    "megabyte-lines.md": (
        ("# Long\n\n" + "walking aids help " * 70_000 + "\n").encode(),
        "at most 1,000,000",
    ),
    "zip.pdf": (_zip(), "the PDF is damaged or not a PDF"),
    "new\nline.txt": (f"Newline in the name\n\n{WORDS}\n".encode(), ""),
}


def _write(folder: Path, names: list[str]) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for name in names:
        (folder / name).write_bytes(FILES[name][0])


def _good(names, upload: bool = False) -> list[str]:
    return [name for name in names if not _reason(name, upload)]


def _reason(name: str, upload: bool) -> str:
    """What the result for this file must say ("" when it is good). A copy of a file is
    not indexed a second time: in a folder the first of the two is, in uploads the library
    already has it."""
    if name == "same-as-good.txt":
        return "the library already has this file, as good.txt" if upload else "as good.txt"
    return FILES[name][1]


def test_ingest_gives_each_bad_file_its_reason_and_indexes_the_good_ones(tmp_path):
    corpus = copy_corpus(tmp_path / "corpus")
    _write(corpus, list(FILES))
    (corpus / "500-pages.pdf").write_bytes(_pdf(LONG_PDF))
    secret = tmp_path / "secret.txt"
    secret.write_text(f"Secret\n\n{WORDS}\n", encoding="utf-8")
    (corpus / "link-out.txt").symlink_to(secret)
    settings = fast_settings(corpus, tmp_path / "index")
    env = fast_env(settings)
    started = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-m", "ingest"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    seconds = time.perf_counter() - started
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stderr
    failed = [
        line.removeprefix("  - ") for line in done.stderr.splitlines() if line.startswith("  - ")
    ]
    for name in FILES:
        reason = _reason(name, upload=False)
        said = [line for line in failed if line.startswith(f"{name}: ")]
        if reason:
            assert len(said) == 1, (name, failed)
            assert reason in said[0]
        else:
            assert said == [], said
    assert any(line.startswith("link-out.txt: it is a link to a file outside") for line in failed)
    forget_open_stores()
    documents = build_assistant(settings).documents
    good = len(_good(FILES)) + 1  # and the 500 pages
    assert len(documents) == SHIPPED + good
    assert len(failed) == len(FILES) - len(_good(FILES)) + 1  # and the link
    assert "planted" not in documents["script"].text
    assert "alert" not in documents["script"].text
    assert len(documents["500-pages"].page_starts) == 500
    print(
        f"\n{len(FILES) + 2} files ingested in {seconds:.1f} s: {good} indexed, {len(failed)} refused"
    )


@pytest.fixture
def library(tmp_path) -> Library:
    corpus = copy_corpus(tmp_path / "corpus")
    settings = fast_settings(corpus, tmp_path / "index", max_upload_mb=2)
    library = Library(settings, build_embedder)
    library.reindex(lambda message: None)
    return library


def _state(folder: Path) -> dict[str, bytes]:
    if not folder.exists():
        return {}
    return {str(p.relative_to(folder)): p.read_bytes() for p in folder.rglob("*") if p.is_file()}


def test_upload_gives_each_bad_file_its_reason_and_adds_only_the_good_ones(library, tmp_path):
    uploads = tmp_path / "uploads"
    names = [n for n in FILES if n != "megabyte-lines.md"] + ["good.txt"]  # good.txt twice
    _write(uploads, list(FILES))
    (uploads / "over-the-limit.txt").write_bytes((WORDS + "\n").encode() * 32_000)  # 2.5 MB
    shipped = _state(library.corpus)
    before = build_assistant(library.settings).documents
    started = time.perf_counter()
    results = library.add(
        [uploads / n for n in [*names, "megabyte-lines.md", "over-the-limit.txt"]], print
    )
    seconds = time.perf_counter() - started
    by_name = [(r.name, r.ok, r.message) for r in results]
    assert len(results) == len(names) + 2
    for (name, ok, message), expected in zip(by_name, [*names, "megabyte-lines.md"], strict=False):
        reason = _reason(expected, upload=True)
        assert ok is not bool(reason), (name, message)
        if reason:
            assert reason in message
            assert message.endswith("Nothing was added."), message
    assert by_name[len(names) - 1][2] == "good.txt: already in the library, unchanged."
    assert by_name[-1][1:] == (
        False,
        "over-the-limit.txt: the file is 2.5 MB and the limit is 2 MB. Split it into smaller files.",
    )
    assert _state(library.corpus) == shipped  # the shipped corpus is never written
    added = library.settings.data_dir / "documents"
    stored = sorted(r.stored_as for r in results if r.stored_as)
    assert sorted(p.name for p in added.iterdir() if p.name != "documents.json") == stored
    assert all("\n" not in name and "/" not in name for name in stored)
    forget_open_stores()
    after = build_assistant(library.settings).documents
    new = set(after) - set(before)
    assert len(new) == len(_good(FILES, upload=True))
    assert {after[d].source_path for d in new} == {str(added / name) for name in stored}
    assert json.dumps(by_name)  # every result is plain text
    print(f"\n{len(results)} uploads in {seconds:.1f} s: {len(new)} added")
