"""Find the place in the documents that says what a given text says (for translators).

Three signals, best first: the text occurs verbatim (ignoring case, spacing and the kind of
apostrophe) -> score 1.0; it nearly matches a sentence or a run of up to three sentences
(typos, small edits; rapidfuzz) ; or it means the same (embedding similarity). An exact or
near-exact match therefore always ranks first. A translation shares no letters with its
source, so for text in another language only the meaning counts: the Assistant hands it to
the finder over the multilingual index, whose embeddings put a sentence and its translation
close together. Documents marked unverified are searched too; each match says whether its
document is verified, so the UI can label it (only answers leave such documents out).
"""

from __future__ import annotations

import re

from rapidfuzz import fuzz

from assistant.models import Match
from assistant.retrieve import Retriever

_QUOTES = "'’‘`\"“”"


class Finder:
    def __init__(self, retriever: Retriever) -> None:
        self._retriever = retriever

    def find(self, text: str, k: int, language: str = "en") -> list[Match]:
        wanted = " ".join(text.split())
        matches = self._exact(wanted) + self._similar(wanted, language)
        return _best_distinct(matches, k)

    def _exact(self, wanted: str) -> list[Match]:
        pattern = _loose_pattern(wanted)
        found = []
        for document in self._retriever.documents.values():
            for hit in pattern.finditer(document.text):
                found.append(self._match(document.doc_id, hit.start(), hit.end(), 1.0, exact=True))
        return found

    def _similar(self, wanted: str, language: str) -> list[Match]:
        retriever = self._retriever
        similarities = retriever.sentence_similarities(retriever.query(wanted, language))
        spans = retriever.sentence_spans
        found = []
        for index, (doc_id, start, _) in enumerate(spans):
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
                dense = float(similarities[index : last + 1].mean())
                score = max(fuzzy, 0.5 * fuzzy + 0.5 * dense, dense * 0.95)
                found.append(self._match(doc_id, start, end, score, exact=False))
        return found

    def _match(self, doc_id: str, start: int, end: int, score: float, exact: bool) -> Match:
        document = self._retriever.documents[doc_id]
        chunk_index = self._retriever.chunk_at(doc_id, start)
        section = self._retriever.chunks[chunk_index].section if chunk_index >= 0 else ""
        return Match(
            doc_id=doc_id,
            title=document.meta.title,
            text=document.text[start:end],
            start=start,
            end=end,
            score=min(score, 1.0),
            section=section,
            page=document.page_at(start),
            exact=exact,
            verified=document.meta.verified,
        )


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


def _best_distinct(matches: list[Match], k: int) -> list[Match]:
    """Best first; a match overlapping a better one in the same document is left out."""
    chosen: list[Match] = []
    for match in sorted(matches, key=lambda m: (-m.score, not m.exact, m.end - m.start)):
        overlaps = any(
            c.doc_id == match.doc_id and c.start < match.end and match.start < c.end for c in chosen
        )
        if not overlaps:
            chosen.append(match)
        if len(chosen) == k:
            break
    return chosen
