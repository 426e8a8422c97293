"""Read a file into raw text pages: .txt, .md, .html/.htm and .pdf (with page numbers).

A loader returns the text as the file says it, split into pages (one page for anything
but PDF), plus whatever metadata the file itself carries (HTML <title>, PDF info). A PDF's
text is read as people read it (ingest/pdftext.py: whole paragraphs, columns in order, no
running headers or footers), and its title is its first heading when the PDF's own title
is a file name ("Microsoft Word - x.docx").
Anything that cannot be read raises `DocumentLoadError` with the file name, the reason
and what to do. Cleaning and chunking happen elsewhere.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from assistant.errors import DocumentLoadError

SUPPORTED = (".txt", ".md", ".html", ".htm", ".pdf")


@dataclass(frozen=True)
class RawDocument:
    pages: list[str]
    found_meta: dict[str, str] = field(default_factory=dict)
    """Metadata the file states about itself (title, author, language)."""


def load_file(path: Path) -> RawDocument:
    suffix = path.suffix.lower()
    if suffix not in SUPPORTED:
        raise DocumentLoadError(
            f"{path.name}: unsupported file type '{suffix or '(none)'}'. "
            f"Save it as one of {', '.join(SUPPORTED)}."
        )
    data = path.read_bytes()
    if not data.strip():
        raise DocumentLoadError(f"{path.name}: the file is empty.")
    if suffix == ".pdf":
        return _load_pdf(path, data)
    text = _decode(path, data)
    if suffix in (".html", ".htm"):
        return _load_html(text)
    if suffix == ".md":
        return RawDocument(pages=[_markdown_to_text(text)])
    return RawDocument(pages=[text])


def _decode(path: Path, data: bytes) -> str:
    if b"\x00" in data[:8192]:
        raise DocumentLoadError(
            f"{path.name}: this looks like a binary file, not text. "
            "Export it as .txt, .md, .html or .pdf first."
        )
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise DocumentLoadError(
            f"{path.name}: the text is not UTF-8 (unreadable byte at position {exc.start}). "
            "Re-save the file with UTF-8 encoding."
        ) from exc


def _load_pdf(path: Path, data: bytes) -> RawDocument:
    import io

    from pypdf import PdfReader

    from ingest.pdftext import looks_like_file_name, read_pdf_text

    try:
        reader = PdfReader(io.BytesIO(data))
        if reader.is_encrypted and not reader.decrypt(""):
            raise DocumentLoadError(
                f"{path.name}: the PDF is password-protected. Save an unprotected copy and add that."
            )
        info: Mapping[str, Any] = reader.metadata or {}
        read = read_pdf_text(data)
    except DocumentLoadError:
        raise
    except Exception as exc:  # pypdf and pdfminer raise many kinds of error on a damaged file
        raise DocumentLoadError(
            f"{path.name}: the PDF is damaged or not a PDF ({exc or type(exc).__name__}). "
            "Open it in a PDF viewer and save it again, or export a fresh copy."
        ) from exc
    if not any(page.strip() for page in read.pages):
        raise DocumentLoadError(
            f"{path.name}: the PDF has no text layer (probably scanned images). "
            "Run it through OCR first, then add the result."
        )
    title = str(info.get("/Title") or "").strip()
    if looks_like_file_name(title):
        title = read.first_heading
    found = {"title": title, "author": str(info.get("/Author") or "")}
    return RawDocument(pages=read.pages, found_meta={k: v for k, v in found.items() if v.strip()})


_BLOCK_TAGS = "p div section article li h1 h2 h3 h4 h5 h6 tr br ul ol table blockquote".split()
_FURNITURE_TAGS = "script style noscript nav header footer aside form button svg iframe".split()


def _load_html(text: str) -> RawDocument:
    from bs4 import BeautifulSoup

    soup = BeautifulSoup(text, "html.parser")
    found = {}
    if soup.title and soup.title.string:
        found["title"] = soup.title.string.strip()
    if soup.html and soup.html.get("lang"):
        found["language"] = str(soup.html.get("lang")).split("-")[0].lower()
    author = soup.find("meta", attrs={"name": "author"})
    if author and author.get("content"):
        found["author"] = str(author.get("content"))
    for tag in soup(_FURNITURE_TAGS):
        tag.decompose()
    if soup.title:
        soup.title.decompose()
    for tag in soup.find_all("li"):
        tag.insert(0, "• ")
    for tag in soup.find_all(_BLOCK_TAGS):
        tag.insert_before("\n")
        tag.insert_after("\n")
    body = soup.body or soup
    lines = [" ".join(line.split()) for line in body.get_text().split("\n")]
    return RawDocument(pages=["\n".join(lines)], found_meta=found)


_MD_HEADING = re.compile(r"^\s{0,3}#{1,6}\s+")
_MD_BULLET = re.compile(r"^(\s*)[-*+]\s+")
_MD_LINK = re.compile(r"!?\[([^\]]*)\]\([^)]*\)")


def _markdown_to_text(text: str) -> str:
    """Drop Markdown markup that is not words: heading marks, bullet marks, link targets."""
    out = []
    for line in text.split("\n"):
        line = _MD_HEADING.sub("", line)
        line = _MD_BULLET.sub(r"\1• ", line)
        out.append(_MD_LINK.sub(r"\1", line))
    return "\n".join(out)
