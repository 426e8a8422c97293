"""Split a cleaned document into chunks that follow its structure, with exact offsets.

- A heading starts a section; the first chunk of a section includes the heading lines,
  later chunks carry the heading as `section` (embedded with them, not in their span).
- A paragraph that introduces a list (or is directly followed by one) stays with the list.
- A question heading (FAQ) stays with its answer, because the answer is its section.
- A section longer than the size limit is split between units, and a unit longer than
  the limit between sentences (or list items); never inside a sentence.

Every chunk's text is exactly `document.text[start:end]`, and its sentence spans are
absolute offsets, so any sentence can be quoted verbatim. This module does not embed.
"""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass
from functools import lru_cache

from assistant.models import Chunk, Document

CHUNKER_VERSION = "structure-v1"

_BULLET = re.compile(r"^(•|-|\*|–|\d{1,2}[.)])\s+")
_SENTENCE_END = re.compile(r"[.!;,\"”’')]$")
_ENDS_OPEN = re.compile(r"[—–\-:]$")
_FINITE_VERB = re.compile(
    r"\b(can|will|may|might|should|must|is|are|was|were|has|have|helps?|reduces?|improves?)\b",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class Line:
    start: int
    end: int
    text: str
    kind: str  # "heading", "bullet" or "paragraph"


@dataclass
class Unit:
    """Lines that must stay together: a paragraph with its list, or a run of list items."""

    lines: list[Line]

    @property
    def start(self) -> int:
        return self.lines[0].start

    @property
    def end(self) -> int:
        return self.lines[-1].end


MIN_CHARS = 200
"""Chunks shorter than this (a table row, a title) join a neighbour in the same document."""


def chunk_document(document: Document, max_chars: int) -> list[Chunk]:
    lines = _classify(document.text)
    sentences = sorted(_sentence_spans(document.text, lines))
    starts = [s for s, _ in sentences]
    spans: list[tuple[int, int, str]] = []
    for section, headings, units in _sections(lines):
        for number, (first, last) in enumerate(_pack(units, max_chars)):
            start = headings[0].start if headings and number == 0 else first
            spans.append((start, last, section))
    return [
        Chunk(
            chunk_id=f"{document.doc_id}:{document.content_hash[:10]}:{index:04d}",
            doc_id=document.doc_id,
            start=start,
            end=end,
            text=document.text[start:end],
            section=section,
            sentences=_within(sentences, starts, start, end),
            page=document.page_at(start),
            blocks=tuple((ln.start, ln.end, ln.kind) for ln in lines if start <= ln.start < end),
        )
        for index, (start, end, section) in enumerate(_merge_small(spans, max_chars))
    ]


def _within(
    sentences: list[tuple[int, int]], starts: list[int], start: int, end: int
) -> tuple[tuple[int, int], ...]:
    """The sentences inside [start, end), found by bisection: testing every sentence for
    every chunk grew with the square of the document's length."""
    first = bisect.bisect_left(starts, start)
    last = bisect.bisect_right(starts, end)
    return tuple((s, e) for s, e in sentences[first:last] if e <= end)


def _merge_small(spans: list[tuple[int, int, str]], max_chars: int) -> list[tuple[int, int, str]]:
    merged: list[tuple[int, int, str]] = []
    for start, end, section in spans:
        if merged:
            prev_start, prev_end, prev_section = merged[-1]
            small = end - start < MIN_CHARS or prev_end - prev_start < MIN_CHARS
            if small and end - prev_start <= max_chars:
                keep = prev_section if prev_end - prev_start >= MIN_CHARS else section
                merged[-1] = (prev_start, end, keep)
                continue
        merged.append((start, end, section))
    return merged


def _classify(text: str) -> list[Line]:
    raw: list[tuple[int, int, str]] = []
    offset = 0
    for piece in text.split("\n"):
        if piece.strip():
            raw.append((offset, offset + len(piece), piece))
        offset += len(piece) + 1
    lines = []
    for index, (start, end, piece) in enumerate(raw):
        has_next = index + 1 < len(raw)
        lines.append(Line(start, end, piece, _kind(piece, has_next)))
    return lines


def _kind(text: str, has_next: bool) -> str:
    if _BULLET.match(text):
        return "bullet"
    if has_next and _looks_like_heading(text):
        return "heading"
    return "paragraph"


def _looks_like_heading(text: str) -> bool:
    """Short lines without closing punctuation; questions count (FAQ headings). A line that
    ends open (a dash: a photo caption with its credit; a colon: a list's lead-in) is not."""
    words = text.split()
    if text.endswith("?"):
        return len(text) <= 120
    if len(text) > 90 or _SENTENCE_END.search(text) or _ENDS_OPEN.search(text):
        return False
    capitalised = sum(w[:1].isupper() for w in words) / len(words)
    if capitalised >= 0.6:
        return True
    # Table cells saved as lines read like headings but say something: they have a verb.
    return len(words) <= 9 and not _FINITE_VERB.search(text)


def _sections(lines: list[Line]) -> list[tuple[str, list[Line], list[Unit]]]:
    """Group lines into (heading text, heading lines, units) in document order."""
    sections: list[tuple[str, list[Line], list[Unit]]] = []
    headings: list[Line] = []
    units: list[Unit] = []
    for line in lines:
        if line.kind == "heading":
            if units:
                sections.append((_title(headings), headings, units))
                headings, units = [], []
            headings.append(line)
        elif line.kind == "bullet" and units and _takes_list(units[-1]):
            units[-1].lines.append(line)
        else:
            units.append(Unit([line]))
    if units or headings:
        sections.append((_title(headings), headings, units or [Unit(headings[-1:])]))
    return sections


def _takes_list(unit: Unit) -> bool:
    last = unit.lines[-1]
    return last.kind == "bullet" or last.text.rstrip().endswith(":") or len(unit.lines) == 1


def _title(headings: list[Line]) -> str:
    return headings[-1].text if headings else ""


def _pack(units: list[Unit], max_chars: int) -> list[tuple[int, int]]:
    """Spans (start, end) covering the units, each at most max_chars where possible."""
    spans: list[tuple[int, int]] = []
    for piece_start, piece_end in _split_large(units, max_chars):
        if spans and piece_end - spans[-1][0] <= max_chars:
            spans[-1] = (spans[-1][0], piece_end)
        else:
            spans.append((piece_start, piece_end))
    return spans


def _split_large(units: list[Unit], max_chars: int) -> list[tuple[int, int]]:
    pieces: list[tuple[int, int]] = []
    for unit in units:
        if unit.end - unit.start <= max_chars:
            pieces.append((unit.start, unit.end))
            continue
        for line in unit.lines:
            if line.end - line.start <= max_chars:
                pieces.append((line.start, line.end))
            else:
                pieces.extend(_sentence_groups(line, max_chars))
    return pieces


def _sentence_groups(line: Line, max_chars: int) -> list[tuple[int, int]]:
    groups: list[tuple[int, int]] = []
    for start, end in _split_sentences(line.text, line.start):
        if groups and end - groups[-1][0] <= max_chars:
            groups[-1] = (groups[-1][0], end)
        else:
            groups.append((start, end))
    return groups


def _sentence_spans(text: str, lines: list[Line]) -> list[tuple[int, int]]:
    spans: list[tuple[int, int]] = []
    for line in lines:
        if line.kind == "heading":
            continue
        if line.kind == "bullet":
            marker = _BULLET.match(line.text)
            spans.append((line.start + (marker.end() if marker else 0), line.end))
        else:
            spans.extend(_split_sentences(line.text, line.start))
    return [(s, e) for s, e in spans if text[s:e].strip()]


SEGMENT_CHARS = 1000
"""pysbd's time grows with the square of its input's length (5 MB on one line did not end in
15 minutes), so a long line reaches it in pieces of about this size, cut where a sentence
most likely ends."""
_PIECE_END = re.compile(r"[.!?;:。！？]\s+|\s+")


def _split_sentences(text: str, offset: int) -> list[tuple[int, int]]:
    """Sentence spans of one line, as absolute offsets, surrounding spaces trimmed."""
    spans = []
    for start, end in _pieces(text, SEGMENT_CHARS):
        spans.extend(_segment(text[start:end], offset + start))
    return spans


def _pieces(text: str, size: int) -> list[tuple[int, int]]:
    """(start, end) of pieces of `text` of at most about `size` characters, each cut after the
    last sentence end in it (else the last space; else at `size`)."""
    pieces, start = [], 0
    while len(text) - start > size:
        window = text[start : start + size]
        ends = [m.end() for m in _PIECE_END.finditer(window) if m.group()[0] in ".!?;:。！？"]
        spaces = [m.end() for m in _PIECE_END.finditer(window)]
        cut = (ends or spaces or [size])[-1]
        pieces.append((start, start + cut))
        start += cut
    pieces.append((start, len(text)))
    return pieces


_INNER_END = re.compile(r"[.!?。！？…]")


def _segment(text: str, offset: int) -> list[tuple[int, int]]:
    sentence = text.strip()
    if sentence and not _INNER_END.search(sentence[:-1]):
        # Nothing that could end a sentence before the last character: one sentence, and
        # no need for pysbd (about half a millisecond a call, on every line of a document).
        found = text.find(sentence)
        return [(offset + found, offset + found + len(sentence))]
    spans = []
    cursor = 0
    for piece in _segmenter().segment(text):
        sentence = piece.strip()
        if not sentence:
            continue
        # pysbd's own spans can drift on repeated text; locate each sentence ourselves.
        found = text.find(sentence, cursor)
        if found < 0:
            continue
        spans.append((offset + found, offset + found + len(sentence)))
        cursor = found + len(sentence)
    return spans


@lru_cache(maxsize=1)
def _segmenter():  # type: ignore[no-untyped-def]
    import pysbd

    return pysbd.Segmenter(language="en", clean=False, char_span=False)
