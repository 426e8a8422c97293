"""Answer units: the pieces of a document a reader can understand on their own.

A unit is a paragraph, or a list together with the sentence that introduces it, or a FAQ
answer, with the heading it sits under kept beside it as context (never as the quote).
Units are built from the structure ingest recorded for every chunk (`Chunk.blocks`:
heading, paragraph and bullet lines) and from the stored sentence spans, so nothing here
guesses at structure again or embeds anything.

This module also holds the rules for what is never quoted on its own: a heading or title,
a link or navigation line, a byline, a bare one-to-three-word bullet, and a sentence that
points at something the answer does not show ("the table below", "this video").
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Sequence
from dataclasses import dataclass

from assistant.models import Chunk, Document

_LINK_LINE = re.compile(
    r"^\W*(find out (more|about|how)|learn (more|how|about|what)|read (more|about|on)|click|"
    r"visit|see (also|more|our)|download|watch|subscribe|sign up|share (this|on)|follow us|"
    r"was this (page|article|information) helpful|related (articles?|pages?|stories|content)|"
    r"back to|go to|print this|email this)\b|https?://|www\.|\.(com|org|net)\b",
    re.IGNORECASE,
)
_BYLINE = re.compile(
    r"^\W*(by|written by|medically reviewed by|reviewed by|fact checked by|updated on|"
    r"published on|last updated|author)\b",
    re.IGNORECASE,
)
_POINTER = re.compile(
    r"\b(the|this|these|following) (table|chart|figure|video|graphic|image|picture|diagram|"
    r"infographic|illustration|list|slideshow)s? (below|above|here)\b|"
    r"\b(shown|listed|described|illustrated|outlined|summari[sz]ed) (below|above|in the (table|chart|figure|video))\b|"
    r"\b(see|in|watch) (the )?(below|above|this video|the video)\b|\bthis video\b|\bbelow:?$",
    re.IGNORECASE,
)
_VERB = re.compile(
    r"\b(is|are|was|were|be|been|being|can|could|will|would|may|might|should|must|has|have|"
    r"had|do|does|did|helps?|makes?|includes?|uses?|needs?|gets?|takes?|works?|focus(es)?|"
    r"improves?|offers?|provides?|reduces?|addresses|supports?|keeps?|lets?|means|teaches|"
    r"\w{3,}ed)\b",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class AnswerUnit:
    """A quotable piece: a paragraph, or a list with its lead-in, under `heading`."""

    doc_id: str
    chunk: int
    """Index of the chunk holding the unit (in the retriever's chunk list)."""
    kind: str
    """"paragraph" or "list"."""
    start: int
    end: int
    heading: str
    sentences: tuple[int, ...]
    """Rows of the unit's sentences in the retriever's sentence table, in order."""
    spans: tuple[tuple[int, int], ...]
    """The same sentences as (start, end) offsets in the document."""
    lead_in: bool = False
    """A list introduced by a sentence of its own (its first sentence)."""


def build_units(
    chunks: list[Chunk],
    documents: dict[str, Document],
    sentence_spans: Sequence[tuple[str, int, int]],
) -> list[AnswerUnit]:
    """Every chunk's units, in document order. `sentence_spans` is the retriever's sentence
    table, (doc_id, start, end) sorted, whose row numbers the units refer to."""
    units: list[AnswerUnit] = []
    for index, chunk in enumerate(chunks):
        text = documents[chunk.doc_id].text
        for kind, heading, lines in _groups(chunk, text):
            start, end = lines[0][0], lines[-1][1]
            first = bisect.bisect_left(sentence_spans, (chunk.doc_id, start, -1))
            last = bisect.bisect_left(sentence_spans, (chunk.doc_id, end, -1))
            rows = tuple(r for r in range(first, last) if sentence_spans[r][2] <= end)
            if not rows:
                continue
            spans = tuple(sentence_spans[r][1:] for r in rows)
            lead_in = kind == "list" and lines[0][2] == "paragraph"
            units.append(
                AnswerUnit(chunk.doc_id, index, kind, start, end, heading, rows, spans, lead_in)
            )
    return units


def _groups(chunk: Chunk, text: str) -> list[tuple[str, str, list[tuple[int, int, str]]]]:
    """(kind, heading, lines) for each unit of a chunk: headings become context, a
    paragraph that ends with ':' or is followed by bullets leads the list after it."""
    groups: list[tuple[str, str, list[tuple[int, int, str]]]] = []
    heading = chunk.section
    blocks = list(chunk.blocks)
    for i, (start, end, kind) in enumerate(blocks):
        line = (start, end, kind)
        if kind == "heading":
            heading = text[start:end].strip()
            continue
        following = blocks[i + 1][2] if i + 1 < len(blocks) else ""
        if kind == "bullet" and groups and groups[-1][0] == "list" and groups[-1][2][-1][1] < start:
            previous = groups[-1][2][-1]
            if not text[previous[1] : start].strip():
                groups[-1][2].append(line)
                continue
        if kind == "bullet" or following == "bullet" or text[start:end].rstrip().endswith(":"):
            groups.append(("list", heading, [line]))
        else:
            groups.append(("paragraph", heading, [line]))
    return groups


def is_link_line(sentence: str) -> bool:
    return bool(_LINK_LINE.search(sentence.strip()))


def points_elsewhere(sentence: str) -> bool:
    """The sentence refers to something the answer does not show ("the table below")."""
    return bool(_POINTER.search(sentence))


def stands_alone(sentence: str) -> bool:
    """A sentence that can be quoted by itself: not a link, byline, pointer or bare label."""
    text = sentence.strip()
    if not text or is_link_line(text) or _BYLINE.match(text) or points_elsewhere(text):
        return False
    words = text.split()
    # A question in a document (a FAQ heading, "What keeps you from self-care?") asks, it
    # does not answer.
    if len(words) <= 3 or text.rstrip("\"”’' )").endswith("?"):
        return False
    # A label or title: no sentence-ending punctuation and no verb.
    return bool(re.search(r"[.!?;:)\"”]$", text)) or bool(_VERB.search(text))
