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

import codecs
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

from assistant.errors import DocumentLoadError
from ingest.reasons import refusal

SUPPORTED = (".txt", ".md", ".html", ".htm", ".pdf")


@dataclass(frozen=True)
class Budget:
    """What reading one file may cost: a damaged or hostile file is refused by name instead of
    holding the library for hours (a 1.5 MB PDF can unpack to 1.5 GB)."""

    max_chars: int = 1_000_000
    max_seconds: float = 60.0
    max_unpacked_bytes: int = 100_000_000
    """Page content of a PDF, after decompression, all pages together."""

    def check_length(self, path: Path, length: int) -> None:
        if length > self.max_chars:
            raise refusal("too_long", name=path.name, length=length, limit=self.max_chars)


@dataclass(frozen=True)
class RawDocument:
    pages: list[str]
    found_meta: dict[str, str] = field(default_factory=dict)
    """Metadata the file states about itself (title, author, language)."""


def load_file(path: Path, budget: Budget | None = None) -> RawDocument:
    budget = budget or Budget()
    raw = _load(path, budget)
    budget.check_length(path, sum(len(page) for page in raw.pages))
    return raw


def _load(path: Path, budget: Budget) -> RawDocument:
    suffix = path.suffix.lower()
    if suffix not in SUPPORTED:
        types = ", ".join(SUPPORTED)
        if not suffix:
            raise refusal("no_file_type", name=path.name, types=types)
        raise refusal("unsupported_type", name=path.name, suffix=suffix, types=types)
    data = path.read_bytes()
    if not data.strip():
        raise refusal("empty_file", name=path.name)
    if suffix == ".pdf":
        return _load_pdf(path, data, budget)
    text = _decode(path, data)
    if suffix not in (".html", ".htm"):
        budget.check_length(path, len(text))  # before any parsing of it
    if suffix in (".html", ".htm"):
        return _load_html(text)
    if suffix == ".md":
        return RawDocument(pages=[_markdown_to_text(text)])
    return RawDocument(pages=[text])


_BOMS = (
    # UTF-32 first: its little-endian mark starts with UTF-16's.
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)


def _decode(path: Path, data: bytes) -> str:
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            try:
                return data.decode(encoding)
            except UnicodeDecodeError as exc:
                raise refusal(
                    "wrong_encoding_mark",
                    name=path.name,
                    encoding=encoding.upper(),
                    position=str(exc.start),
                ) from exc
    if b"\x00" in data[:8192]:
        raise refusal("binary_file", name=path.name)
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise refusal("not_utf8", name=path.name, position=str(exc.start)) from exc


def _load_pdf(path: Path, data: bytes, budget: Budget) -> RawDocument:
    import io

    from pypdf import PdfReader, apply_configuration
    from pypdf.errors import LimitReachedError

    from ingest.pdftext import PdfTooSlow, looks_like_file_name, read_pdf_text

    try:
        reader = PdfReader(io.BytesIO(data))
        if reader.is_encrypted and not reader.decrypt(""):
            raise refusal("encrypted_pdf", name=path.name)
        # No single page stream may unpack to more than the whole file's budget allows.
        with apply_configuration(zlib_maximum_output_length=budget.max_unpacked_bytes // 10):
            _check_unpacked_size(path, reader, budget)
        info: Mapping[str, Any] = reader.metadata or {}
        read = read_pdf_text(data, budget.max_seconds)
    except DocumentLoadError:
        raise
    except LimitReachedError as exc:
        raise _unpacks_too_much(path, budget) from exc
    except PdfTooSlow as exc:
        raise refusal(
            "pdf_too_slow", name=path.name, seconds=float(budget.max_seconds), pages=str(exc.pages)
        ) from exc
    except Exception as exc:  # pypdf and pdfminer raise many kinds of error on a damaged file
        error = str(exc) or type(exc).__name__
        raise refusal("damaged_pdf", name=path.name, error=error) from exc
    budget.check_length(path, sum(len(p) for p in read.pages))
    if not any(page.strip() for page in read.pages):
        raise refusal("no_text_layer", name=path.name)
    title = str(info.get("/Title") or "").strip()
    if looks_like_file_name(title):
        title = read.first_heading
    found = {"title": title, "author": str(info.get("/Author") or "")}
    return RawDocument(pages=read.pages, found_meta={k: v for k, v in found.items() if v.strip()})


def _check_unpacked_size(path: Path, reader: Any, budget: Budget) -> None:
    """Refuse a PDF whose page content unpacks to more than the budget: cheap, and done
    before any layout parsing, so a decompression bomb is never expanded in full."""
    unpacked = 0
    for page in reader.pages:
        contents = page.get_contents()
        unpacked += len(contents.get_data()) if contents is not None else 0
        if unpacked > budget.max_unpacked_bytes:
            raise _unpacks_too_much(path, budget)


def _unpacks_too_much(path: Path, budget: Budget) -> DocumentLoadError:
    limit = str(budget.max_unpacked_bytes // 1_000_000)
    return refusal("pdf_unpacks_too_much", name=path.name, limit=limit)


_BLOCK_TAGS = frozenset(
    "p div section article li h1 h2 h3 h4 h5 h6 tr br ul ol table blockquote".split()
)
_FURNITURE_TAGS = frozenset(
    "script style noscript nav header footer aside form button svg iframe".split()
)


def _load_html(text: str) -> RawDocument:
    """The words of a page, a line break around every block, furniture (scripts, menus,
    forms) left out. One pass over the markup, never a tree that is edited: inserting line
    breaks into a parsed tree costs a scan of the siblings per insertion, which made a flat
    page with 16,000 <br> take minutes, and deep nesting is no deeper here than flat."""
    reader = _HtmlText()
    reader.feed(text)
    reader.close()
    parts = reader.body if reader.seen_body else reader.everything
    lines = [" ".join(line.split()) for line in "".join(parts).split("\n")]
    return RawDocument(pages=["\n".join(lines)], found_meta=reader.found)


class _HtmlText(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.everything: list[str] = []
        self.body: list[str] = []
        self.found: dict[str, str] = {}
        self.seen_body = self._in_body = self._in_title = False
        self._skipping = 0
        """How many furniture elements the parser is inside."""
        self._title: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {name: value or "" for name, value in attrs}
        if tag == "html" and values.get("lang"):
            self.found.setdefault("language", values["lang"].split("-")[0].lower())
        elif tag == "meta" and values.get("name") == "author" and values.get("content"):
            self.found.setdefault("author", values["content"])
        elif tag == "body":
            self.seen_body = self._in_body = True
        elif tag == "title":
            self._in_title = True
        if tag in _FURNITURE_TAGS:
            self._skipping += 1
        elif tag in _BLOCK_TAGS:
            self._emit("\n\n" if tag == "br" else "\n• " if tag == "li" else "\n")

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)
        if tag != "br":
            self.handle_endtag(tag)

    def handle_endtag(self, tag: str) -> None:
        if tag in _FURNITURE_TAGS:
            self._skipping = max(0, self._skipping - 1)
        elif tag == "title" and self._in_title:
            self._in_title = False
            title = "".join(self._title).strip()
            if title:
                self.found.setdefault("title", title)
        elif tag == "body":
            self._in_body = False
        elif tag in _BLOCK_TAGS and tag != "br":
            self._emit("\n")

    def handle_data(self, data: str) -> None:
        if self._in_title:
            self._title.append(data)
        else:
            self._emit(data)

    def _emit(self, text: str) -> None:
        if self._skipping or self._in_title:
            return
        self.everything.append(text)
        if self._in_body:
            self.body.append(text)


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
