"""A PDF's text as people read it: paragraphs whole, columns in order, no page furniture.

pdfminer.six gives each text line with its position and font size; from those this module
- drops running headers and footers (a line near the top or bottom of the page that repeats,
  digits aside, on at least half of the pages) and bare page numbers ("3", "Page 3 of 8");
- reads two-column pages column by column (a full-width block between them starts a new band),
  and a table row by row, its cells joined by " | ";
- joins the lines of a paragraph, and starts a new paragraph at a list marker, a change of
  font size or weight (headings), a larger vertical gap, or a line that ends early (the next
  line's first word would have fit, and a sentence ended there);
- undoes hyphenation at line ends. The rule, using only the document's own words: "reha-" +
  "bilitation" joins to "rehabilitation" unless the hyphenated form ("well-known") occurs
  elsewhere in the document, or both halves occur as words of their own and the joined word
  does not ("self-" + "management"); a capital after the hyphen ("MS-" + "Society") keeps it;
- keeps a paragraph that runs over a column or page break whole, on the page where it starts,
  so each page's start offset is where its first own paragraph begins and quotes keep their
  page (the page a quote starts on).

One paragraph, heading or list item per line; blocks are separated by a blank line. It does
not do OCR (a scanned page has no text) and does not read text in images or form fields.
"""

from __future__ import annotations

import io
import itertools
import re
import statistics
import time
from collections import Counter
from dataclasses import dataclass

_BULLETS = "•●▪◦‣∙·–-*\uf0b7\uf0a7\uf076\uf0d8"
_MARKER = re.compile(rf"^([{re.escape(_BULLETS)}]|\(?\d{{1,2}}[.)]|\(?[a-z][.)])\s")
_PAGE_NUMBER = re.compile(
    r"[-–—|\s]*(page|p\.|seite|página|pagina)?\s*#+\s*((of|/|von|de)\s*#+)?[-–—|\s]*", re.I
)
_SENTENCE_END = re.compile(r"[.!?:;][\"”’')]?$")
_FILE_NAME_TITLE = re.compile(
    r"(?i)^(microsoft\s+\w+\s+-\s+.*|untitled.*|document\d*|.*\.(docx?|odt|rtf|pdf|pptx?|indd|txt|pages))$"
)
_WORD = re.compile(r"[^\W\d_]+(?:-[^\W\d_]+)*")
EDGE = 0.1
"""Share of the page height at the top and at the bottom where running headers and footers sit."""


@dataclass
class _Line:
    x0: float
    x1: float
    top: float
    bottom: float
    size: float
    bold: bool
    text: str


@dataclass
class _Block:
    lines: list[_Line]
    table: bool = False

    @property
    def x0(self) -> float:
        return min(line.x0 for line in self.lines)

    @property
    def x1(self) -> float:
        return max(line.x1 for line in self.lines)

    @property
    def top(self) -> float:
        return min(line.top for line in self.lines)

    @property
    def bottom(self) -> float:
        return max(line.bottom for line in self.lines)


@dataclass
class PdfText:
    pages: list[str]
    """Each page's cleaned text (a paragraph that runs over a page break sits on its first page)."""
    first_heading: str = ""
    """The first heading on page 1 (larger or bold text), or "" when there is none."""


def looks_like_file_name(title: str) -> bool:
    """True for metadata titles nobody would call a title: "Microsoft Word - x.docx", "untitled"."""
    return not title.strip() or bool(_FILE_NAME_TITLE.match(title.strip()))


class PdfTooSlow(Exception):
    """Reading the layout took longer than allowed; `pages` were read by then."""

    def __init__(self, pages: int) -> None:
        super().__init__(f"stopped after {pages} pages")
        self.pages = pages


def read_pdf_text(data: bytes, max_seconds: float | None = None) -> PdfText:
    """The text of every page of a PDF, as people read it (see the module docstring).
    Raises PdfTooSlow when reading the pages takes longer than `max_seconds`."""
    started = time.monotonic()
    pages: list[tuple[float, list[_Block]]] = []
    for height, page in _layout_pages(data):
        if max_seconds is not None and time.monotonic() - started > max_seconds:
            raise PdfTooSlow(len(pages))
        pages.append((height, _blocks(page)))
    _drop_furniture(pages)
    ordered = [_reading_order(blocks) for _, blocks in pages]
    words = _vocabulary(ordered)
    paragraphs = [[_paragraphs(block, words) for block in blocks] for blocks in ordered]
    _join_cut_paragraphs(paragraphs, words)
    texts = ["\n\n".join("\n".join(block) for block in page if block) for page in paragraphs]
    return PdfText(pages=texts, first_heading=_first_heading(ordered[:1]))


def _layout_pages(data: bytes):  # type: ignore[no-untyped-def]
    from pdfminer.high_level import extract_pages
    from pdfminer.layout import LAParams

    for page in extract_pages(io.BytesIO(data), laparams=LAParams()):
        yield page.height, page


def _blocks(page) -> list[_Block]:  # type: ignore[no-untyped-def]
    from pdfminer.layout import LTChar, LTTextBox, LTTextLine

    blocks = []
    for box in page:
        if not isinstance(box, LTTextBox):
            continue
        lines = []
        for line in box:
            if not isinstance(line, LTTextLine):
                continue
            text = _normalise(line.get_text())
            if not text:
                continue
            chars = [c for c in line if isinstance(c, LTChar) and c.get_text().strip()]
            size = statistics.median(c.size for c in chars) if chars else 0.0
            bold = bool(chars) and sum("bold" in c.fontname.lower() for c in chars) > len(chars) / 2
            top = page.height - line.y1
            lines.append(_Line(line.x0, line.x1, top, page.height - line.y0, size, bold, text))
        if lines:
            blocks.append(_Block(lines))
    return _tables(blocks)


def _normalise(text: str) -> str:
    text = re.sub(r"[\uf0b7\uf0a7\u25cf\u25aa]", "•", text)
    return " ".join(text.replace("\u00ad", "").split())


# ------------------------------------------------------------------ running headers, footers


def _furniture_key(line: _Line) -> str:
    return re.sub(r"\d+", "#", line.text.lower())


def _in_edge(line: _Line, height: float) -> bool:
    return line.bottom < height * EDGE or line.top > height * (1 - EDGE)


def _drop_furniture(pages: list[tuple[float, list[_Block]]]) -> None:
    counts: Counter[str] = Counter()
    for height, blocks in pages:
        keys = {_furniture_key(line) for b in blocks for line in b.lines if _in_edge(line, height)}
        counts.update(keys)
    needed = max(2, (len(pages) + 1) // 2)
    for index, (height, blocks) in enumerate(pages):
        for block in blocks:
            block.lines = [
                line
                for line in block.lines
                if not _in_edge(line, height)
                or not (
                    counts[_furniture_key(line)] >= needed
                    or _PAGE_NUMBER.fullmatch(_furniture_key(line))
                )
            ]
        pages[index] = (height, [b for b in blocks if b.lines])


# ------------------------------------------------------------------ tables and columns


def _side_by_side(a: _Block, b: _Block) -> bool:
    overlap = min(a.bottom, b.bottom) - max(a.top, b.top)
    return (a.x1 <= b.x0 or b.x1 <= a.x0) and overlap > 0.5 * min(
        a.bottom - a.top, b.bottom - b.top
    )


def _short_lines(block: _Block) -> bool:
    return statistics.median(len(line.text.split()) for line in block.lines) <= 5


def _tables(blocks: list[_Block]) -> list[_Block]:
    """Side-by-side blocks of short lines on shared baselines are one table, read by rows."""
    out: list[_Block] = []
    taken: set[int] = set()
    for i, block in enumerate(blocks):
        if i in taken:
            continue
        members = [i]
        for j in range(i + 1, len(blocks)):
            if j not in taken and any(_side_by_side(blocks[m], blocks[j]) for m in members):
                members.append(j)
        group = [blocks[m] for m in members]
        if len(group) > 1 and all(_short_lines(g) for g in group) and _shared_rows(group):
            taken.update(members)
            out.append(_Block(_rows([line for g in group for line in g.lines]), table=True))
        else:
            out.append(block)
    return out


def _shared_rows(group: list[_Block]) -> bool:
    rows = _rows([line for g in group for line in g.lines])
    return sum(" | " in row.text for row in rows) >= 2


def _rows(lines: list[_Line]) -> list[_Line]:
    rows: list[list[_Line]] = []
    for line in sorted(lines, key=lambda item: item.top):
        if rows and abs(rows[-1][0].top - line.top) < 0.5 * max(line.size, 1.0):
            rows[-1].append(line)
        else:
            rows.append([line])
    out = []
    for row in rows:
        cells = sorted(row, key=lambda item: item.x0)
        first = cells[0]
        text = " | ".join(cell.text for cell in cells)
        out.append(_Line(first.x0, cells[-1].x1, first.top, first.bottom, first.size, False, text))
    return out


def _reading_order(blocks: list[_Block]) -> list[_Block]:
    """Top to bottom; where there are two columns, the left one first, band by band."""
    gutter = _gutter(blocks)
    ordered = sorted(blocks, key=lambda b: (b.top, b.x0))
    if gutter is None:
        return ordered
    out: list[_Block] = []
    band: list[_Block] = []
    for block in ordered:
        if block.x0 < gutter < block.x1:  # full width: ends the band above it
            out.extend(_band(band, gutter))
            band = []
            out.append(block)
        else:
            band.append(block)
    return out + _band(band, gutter)


def _band(blocks: list[_Block], gutter: float) -> list[_Block]:
    left = [b for b in blocks if b.x1 <= gutter]
    right = [b for b in blocks if b.x0 >= gutter]
    return sorted(left, key=lambda b: b.top) + sorted(right, key=lambda b: b.top)


def _gutter(blocks: list[_Block]) -> float | None:
    """An x position between two columns of prose, or None for a single column."""
    prose = [b for b in blocks if not b.table and not _short_lines(b)]
    for a in prose:
        for b in prose:
            if a.x1 < b.x0 and _side_by_side(a, b):
                return (a.x1 + b.x0) / 2
    return None


# ------------------------------------------------------------------ paragraphs


def _vocabulary(pages: list[list[_Block]]) -> set[str]:
    words: set[str] = set()
    for blocks in pages:
        for block in blocks:
            for line in block.lines:
                words.update(w.lower() for w in _WORD.findall(line.text))
    return words


def _paragraphs(block: _Block, words: set[str]) -> list[str]:
    if block.table:
        return [line.text for line in block.lines]
    right = max(line.x1 for line in block.lines)
    paragraphs: list[str] = []
    previous: _Line | None = None
    for line in block.lines:
        if previous is None or _starts_paragraph(previous, line, right):
            paragraphs.append(line.text)
        else:
            paragraphs[-1] = join_lines(paragraphs[-1], line.text, words)
        previous = line
    return paragraphs


def _starts_paragraph(previous: _Line, line: _Line, right: float) -> bool:
    if _MARKER.match(line.text):
        return True
    if abs(previous.size - line.size) > 0.5 or previous.bold != line.bold:
        return True
    if line.top - previous.bottom > 0.8 * max(line.size, 1.0):
        return True
    if previous.text.endswith("-"):
        return False
    first_word = line.text.split()[0]
    # Average glyph width is about half the font size; a generous margin keeps sentences whole.
    room = right - previous.x1
    would_fit = room > (len(first_word) + 2) * 0.6 * line.size
    ended = bool(_SENTENCE_END.search(previous.text))
    return would_fit and (ended or line.text[:1].isupper())


def join_lines(first: str, second: str, words: set[str]) -> str:
    """`first` and `second` as one line, undoing hyphenation at the end of `first`."""
    match = re.search(r"([^\W\d_]+)-$", first)
    if not match or not second[:1].isalpha():
        return f"{first} {second}"
    head = match.group(1)
    tail = re.match(r"[^\W\d_]+", second)
    tail_word = tail.group(0) if tail else ""
    if _keeps_hyphen(head, tail_word, words):
        return first + second
    return first[:-1] + second


def _keeps_hyphen(head: str, tail: str, words: set[str]) -> bool:
    joined, hyphenated = (head + tail).lower(), f"{head}-{tail}".lower()
    if tail[:1].isupper():
        return True
    if joined in words:
        return False
    if hyphenated in words:
        return True
    return head.lower() in words and tail.lower() in words


def _continues(last: str, first: str) -> bool:
    """Whether `first` goes on the paragraph `last` (cut by a column or page break)."""
    if _MARKER.match(first):
        return False
    return last.endswith("-") or (not _SENTENCE_END.search(last) and first[:1].islower())


def _join_cut_paragraphs(pages: list[list[list[str]]], words: set[str]) -> None:
    """A paragraph cut by a column or page break is joined where it starts (on its first page)."""
    blocks = [block for page in pages for block in page if block]
    for here, after in itertools.pairwise(blocks):
        if here and after and _continues(here[-1], after[0]):
            here[-1] = join_lines(here[-1], after.pop(0), words)


def _first_heading(pages: list[list[_Block]]) -> str:
    lines = [line for blocks in pages for block in blocks for line in block.lines]
    if not lines:
        return ""
    body = statistics.median(line.size for line in lines)
    for line in lines:
        if (line.size > body + 0.5 or line.bold) and len(line.text) <= 120:
            return line.text
    return ""
