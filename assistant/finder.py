"""Find the place in the documents that says what a given text says (for translators).

Three signals, best first: the text occurs verbatim (ignoring case, spacing and the kind of
apostrophe) -> score 1.0; it nearly matches a sentence or a run of up to three sentences
(typos, small edits; rapidfuzz) ; or it means the same (embedding similarity). An exact or
near-exact match therefore always ranks first. A translation shares no letters with its
source, so for text in another language only the meaning counts: the Assistant hands it to
the finder over the multilingual index, whose embeddings put a sentence and its translation
close together. Documents marked unverified are searched too; each match says whether its
document is verified, so the UI can label it (only answers leave such documents out).

Only what retrieval finds for the text is compared with it (the sentences of the best
passages, dense + BM25, and the sentences nearest it in the store), so a find costs the
same at a hundred chunks as at a hundred thousand.

One match per paragraph (a line of the cleaned text): the best window in it stands for it.
When two to four sentences are pasted (two sentences of a paragraph, or a sentence and its
translation), each match also marks, in its paragraph, the sentence that says each pasted
sentence (`Match.highlights`), when that sentence is about the best place for it anywhere.
`close_match` says whether the best match clearly stands out from the rest; calibrated on
the find cases of evals/cases.jsonl and on unrelated sentences, in every language (see
`is_close_match`). Locations are for people: section heading, paragraph number (counted on
the page for PDFs) and page.
"""

from __future__ import annotations

import re
import statistics
from bisect import bisect_left
from dataclasses import dataclass, replace

import numpy as np
from rapidfuzz import fuzz

from assistant.models import Document, Match
from assistant.retrieve import Query, Retriever

_QUOTES = "'’‘`\"“”"


FIND_CHUNKS = 20
"""How many of the best passages (dense + lexical) have their sentences compared with the text,
beside the sentences nearest it: enough for the CALIBRATION_POOL paragraphs below."""
NEAREST_SENTENCES = 100


@dataclass(frozen=True)
class _Window:
    """A run of sentences (or an exact hit) and its score, before it becomes a Match."""

    doc_id: str
    start: int
    end: int
    score: float
    exact: bool


class Finder:
    def __init__(self, retriever: Retriever) -> None:
        self._retriever = retriever

    def find(self, text: str, k: int, language: str = "en") -> list[Match]:
        """The best match in each of the `k` best paragraphs, best first. Only the passages
        retrieval finds for the text are compared with it, never every sentence."""
        wanted = " ".join(text.split())
        query = self._retriever.query(wanted, language)
        rows = self._candidate_rows(query)
        windows = self._exact(wanted, rows) + self._similar(wanted, query, rows)
        ranked = [self._match(w) for w in self._best_per_paragraph(windows)[:k]]
        parts = pasted_sentences(wanted)
        if not 2 <= len(parts) <= MAX_PASTED_SENTENCES:
            return ranked
        queries = [self._retriever.query(p, language) for p in parts]
        return [self._with_highlights(m, parts, queries, rows) for m in ranked]

    def _with_highlights(
        self, match: Match, parts: list[str], queries: list[Query], candidates: list[int]
    ) -> Match:
        """`match` with the sentence of its paragraph that says each pasted sentence marked.
        `candidates` are the rows the find compared (where else the sentence may be said)."""
        retriever = self._retriever
        spans = retriever.sentence_spans
        text = retriever.documents[match.doc_id].text
        first, last = paragraph_span(text, match.start, match.end)
        inside = []
        for row in range(bisect_left(spans, (match.doc_id, first, -1)), len(spans)):
            doc_id, start, _ = spans[row]
            if doc_id != match.doc_id or start >= last:
                break
            inside.append(row)
        marked: set[tuple[int, int]] = set()
        for part, query in zip(parts, queries, strict=True):
            if not inside:
                break
            # The best place for the sentence anywhere is among its nearest in the store, or,
            # without that search (Settings.nearest_sentences), among the find's candidates.
            nearest = retriever.nearest_sentences(query, 1) or candidates
            rows = np.array(inside + nearest, dtype=int)
            similarity = retriever.sentence_similarities(query, rows)
            scored = [
                (max(_fuzzy(part, text[spans[r][1] : spans[r][2]]), float(similarity[i])), i)
                for i, r in enumerate(inside)
            ]
            score, i = max(scored)
            near_best = bool(similarity[i] >= similarity.max() - HIGHLIGHT_MARGIN)
            if score >= HIGHLIGHT_FUZZY or near_best:
                marked.add((spans[inside[i]][1], spans[inside[i]][2]))
        return replace(match, highlights=tuple(sorted(marked))) if marked else match

    def _candidate_rows(self, query: Query) -> list[int]:
        retriever = self._retriever
        chunks = [retriever.chunk_index(p.chunk) for p in retriever.search(query, FIND_CHUNKS)]
        rows = {int(r) for c in chunks for r in retriever.rows_of_chunk(c)}
        rows.update(retriever.nearest_sentences(query, NEAREST_SENTENCES))
        return sorted(rows)

    def _exact(self, wanted: str, rows: list[int]) -> list[_Window]:
        pattern = _loose_pattern(wanted)
        documents = dict.fromkeys(self._retriever.sentence_spans[r][0] for r in rows)
        return [
            _Window(doc_id, hit.start(), hit.end(), 1.0, exact=True)
            for doc_id in documents
            for hit in pattern.finditer(self._retriever.documents[doc_id].text)
        ]

    def _similar(self, wanted: str, query: Query, rows: list[int]) -> list[_Window]:
        """Every run of one to three sentences starting at or up to two before a candidate."""
        retriever = self._retriever
        spans = retriever.sentence_spans
        starts = sorted({s for r in rows for s in range(r - 2, r + 1) if s >= 0})
        needed = sorted({r for s in starts for r in range(s, s + 3) if r < len(spans)})
        similarity = dict(
            zip(needed, retriever.sentence_similarities(query, np.array(needed, int)), strict=True)
        )
        found = []
        for index in starts:
            doc_id, start, _ = spans[index]
            text = retriever.documents[doc_id].text
            for width in (1, 2, 3):
                last = index + width - 1
                if last >= len(spans) or spans[last][0] != doc_id:
                    break
                end = spans[last][2]
                candidate = text[start:end]
                if width > 1 and len(candidate) > 2.5 * len(wanted):
                    break
                fuzzy = _fuzzy(wanted, candidate)
                dense = sum(float(similarity[r]) for r in range(index, last + 1)) / width
                score = max(fuzzy, 0.5 * fuzzy + 0.5 * dense, dense * 0.95)
                # Capped, so a verbatim hit wins a tie with a window that reads the same.
                found.append(_Window(doc_id, start, end, min(score, 1.0), exact=False))
        return found

    def _best_per_paragraph(self, windows: list[_Window]) -> list[_Window]:
        """Best first; a match in a paragraph that a better match already touches is left out."""
        chosen: list[_Window] = []
        taken: dict[str, list[tuple[int, int]]] = {}
        for window in sorted(windows, key=lambda w: (-w.score, not w.exact, w.end - w.start)):
            text = self._retriever.documents[window.doc_id].text
            first, last = paragraph_span(text, window.start, window.end)
            spans = taken.setdefault(window.doc_id, [])
            if any(s < last and first < e for s, e in spans):
                continue
            spans.append((first, last))
            chosen.append(window)
        return chosen

    def _match(self, window: _Window) -> Match:
        doc_id, start, end = window.doc_id, window.start, window.end
        document = self._retriever.documents[doc_id]
        chunk_index = self._retriever.chunk_at(doc_id, start)
        section = self._retriever.chunks[chunk_index].section if chunk_index >= 0 else ""
        return Match(
            doc_id=doc_id,
            title=document.meta.title,
            text=document.text[start:end],
            start=start,
            end=end,
            score=min(window.score, 1.0),
            section=section,
            page=document.page_at(start),
            exact=window.exact,
            verified=document.meta.verified,
            paragraph=paragraph_number(document, start),
        )


MAX_PASTED_SENTENCES = 4
"""Up to this many pasted sentences are each marked in the matches (one embedding each)."""
HIGHLIGHT_FUZZY = 0.8
"""A sentence of the paragraph whose letters match a pasted sentence this well is marked."""
HIGHLIGHT_MARGIN = 0.02
"""Otherwise it is marked when its meaning is within this of the pasted sentence's best
match anywhere (so an unrelated paragraph gets no second mark)."""
_SENTENCE_END = re.compile(r"(?:(?<=[.!?。])|(?<=[.!?。][\"'”’»)]))\s+")


def pasted_sentences(text: str) -> list[str]:
    """The sentences of pasted text (split after . ! ? and a space); pieces under three words
    ("Dr.", "p. 4") are not sentences of their own and are left out."""
    return [p.strip() for p in _SENTENCE_END.split(text) if len(p.split()) >= 3]


def _loose_pattern(wanted: str) -> re.Pattern[str]:
    parts = []
    for word in wanted.split():
        escaped = re.escape(word)
        for quote in _QUOTES:
            escaped = escaped.replace(re.escape(quote), f"[{re.escape(_QUOTES)}]")
        parts.append(escaped)
    return re.compile(r"\s+".join(parts), re.IGNORECASE)


def _fuzzy(wanted: str, candidate: str) -> float:
    a, b = wanted.lower(), candidate.lower()
    score = fuzz.ratio(a, b)
    if len(a) >= 20 and len(a) < len(b):
        # A fragment of a longer sentence: how well it matches its best-aligned part.
        score = max(score, fuzz.partial_ratio(a, b) * 0.97)
    return score / 100.0


CALIBRATION_POOL = 30
"""How many paragraphs' best matches `is_close_match` compares the best one with."""
CLOSE_SCORE_EN = 0.75
"""English (MiniLM + fuzzy): the unrelated and near-miss sentences score at most 0.66,
the right passages of the find cases at least 0.78 (0.65 for one, which is then 'not close')."""
CLOSE_Z_TRANSLATED = 5.0
"""Other languages (multilingual e5, similarities bunched between 0.75 and 0.92): how many
standard deviations the best stands above the other 29 paragraphs. Unrelated and near-miss
sentences reach at most 4.8; 21 of the 32 translated find cases are above 5."""


def is_close_match(ranked: list[Match], language: str) -> bool:
    """Whether the best of `ranked` (one per paragraph, best first, up to CALIBRATION_POOL)
    clearly says the text, rather than being only the nearest of many alike."""
    if not ranked:
        return False
    best = ranked[0]
    if best.exact:
        return True
    if language == "en":
        return best.score >= CLOSE_SCORE_EN
    rest = [m.score for m in ranked[1:]]
    if len(rest) < 2:
        return False
    spread = statistics.pstdev(rest) or 1e-6
    return (best.score - statistics.mean(rest)) / spread >= CLOSE_Z_TRANSLATED


def paragraph_span(text: str, start: int, end: int) -> tuple[int, int]:
    """The line(s) of the cleaned text (a paragraph, heading or list item) holding start..end."""
    first = text.rfind("\n", 0, start) + 1
    last = text.find("\n", max(end - 1, start))
    return first, len(text) if last < 0 else last


def paragraph_number(document: Document, offset: int) -> int:
    """1-based number of the paragraph holding `offset`: non-empty lines counted from the
    start of the document, or of its page for a PDF, as a reader counts them."""
    page = document.page_at(offset)
    origin = document.page_starts[page - 1] if page else 0
    line_start = document.text.rfind("\n", 0, offset) + 1
    before = document.text[origin:line_start]
    return sum(1 for line in before.split("\n") if line.strip()) + 1
