"""The extractive answerer: answer with a few sentences copied from the best passages.

It picks the sentences closest to the question (by embedding similarity and by the
question's words they contain), keeps a list with the sentence that introduces it and a
sentence such as "If not, you did too much." with the one before it, joins neighbours
into one quote, and orders quotes as they stand in their documents. Each quote becomes a
citation with exact offsets, and every citation is checked against the document text:
one that is not a verbatim substring is dropped, never shown.

It writes no words of its own but the fixed framing lines in `messages/`.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Protocol

import numpy as np

from assistant.messages import message
from assistant.models import Citation, Document, Passage
from assistant.retrieve import Query, Retriever

# A sentence opening like this leans on the one before it.
_LEANS_BACK = re.compile(
    r"^(this|these|that|those|they|it|its|if not|however|additionally|also|again|then|so|but|"
    r"and|or|for example|for instance|such|there)\b",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class Composed:
    text: str
    citations: tuple[Citation, ...]


class Answerer(Protocol):
    """Composes an answer from passages; `follow_up` is the user's own words when the query
    retrieval used was widened with the conversation's topic; `language` is the one the
    answer's own notes are written in (quotes stay as the documents have them)."""

    name: str

    def compose(
        self,
        query: Query,
        passages: list[Passage],
        framing: str,
        follow_up: str = "",
        language: str = "en",
    ) -> Composed: ...


class ExtractiveAnswerer:
    name = "extractive"

    def __init__(
        self,
        retriever: Retriever,
        max_quotes: int,
        stale_after_days: int,
        today: date | None = None,
    ) -> None:
        self._retriever = retriever
        self._max_quotes = max_quotes
        self._stale_after_days = stale_after_days
        self._today = today or date.today()

    def compose(
        self,
        query: Query,
        passages: list[Passage],
        framing: str,
        follow_up: str = "",
        language: str = "en",
    ) -> Composed:
        spans = self._choose_spans(query, passages, follow_up)
        citations = verified_citations(spans, self._retriever.documents, self._is_stale)
        if not citations:
            return Composed("", ())
        lines = [framing] if framing else []
        lines += [f"{c.quote.strip()} [{c.n}]" for c in citations]
        lines += self._stale_notes(citations, language)
        return Composed("\n\n".join(lines), citations)

    def _choose_spans(
        self, query: Query, passages: list[Passage], follow_up: str
    ) -> list[tuple[str, int, int]]:
        scored = self._score_sentences(query, passages, follow_up)
        if not scored:
            return []
        best = scored[0][0]
        chosen: list[int] = []
        seen: set[str] = set()
        for score, index in scored:
            doc_id, start, end = self._retriever.sentence_spans[index]
            text = self._retriever.documents[doc_id].text[start:end].lower()
            if score < best - 0.12 or len(chosen) >= self._max_quotes:
                break
            if text not in seen and len(text) > 12:
                chosen.append(index)
                seen.add(text)
        rows = [self._retriever.sentence_spans[i] for i in self._with_context(chosen)]
        spans = _merge(rows, self._retriever.documents)

        # Best-matching quote first: the answer to the question leads, context follows.
        def rank(span: tuple[str, int, int]) -> int:
            doc_id, start, end = span
            return min(
                (
                    n
                    for n, i in enumerate(chosen)
                    if self._retriever.sentence_spans[i][0] == doc_id
                    and start <= self._retriever.sentence_spans[i][1] < end
                ),
                default=len(chosen),
            )

        return sorted(spans, key=rank)

    def _score_sentences(
        self, query: Query, passages: list[Passage], follow_up: str
    ) -> list[tuple[float, int]]:
        # For a follow-up, the sentences should answer the new question, not the old topic.
        focus = self._retriever.query(follow_up) if follow_up else query
        similarities = self._retriever.sentence_similarities(focus)
        section_terms = self._retriever.section_terms
        top = passages[0].score if passages else 0.0
        rank = {
            self._retriever.chunk_at(p.chunk.doc_id, p.chunk.start): p.score
            for p in passages[:4]
            if p.score >= top - 0.15
        }
        scored = []
        in_ranked = np.isin(self._retriever.sentence_chunk, list(rank))
        for index in np.nonzero(in_ranked)[0]:
            chunk_index = int(self._retriever.sentence_chunk[index])
            terms = self._retriever.sentence_terms[index] | section_terms[chunk_index]
            score = (
                float(similarities[index])
                + 0.3 * self._retriever.covered(focus, terms)
                + 0.2 * rank[chunk_index]
            )
            scored.append((score, int(index)))
        return sorted(scored, reverse=True)

    def _with_context(self, chosen: list[int]) -> list[int]:
        """Add the sentence a chosen one leans on, and the items of a list it introduces."""
        spans = self._retriever.sentence_spans
        chunk_of = self._retriever.sentence_chunk
        out = set(chosen)
        for index in chosen:
            doc_id, start, end = spans[index]
            text = self._retriever.documents[doc_id].text
            same_chunk = index > 0 and chunk_of[index - 1] == chunk_of[index]
            if same_chunk and _LEANS_BACK.match(text[start:end]):
                out.add(index - 1)
            if text[start:end].rstrip().endswith(":"):
                follower = index + 1
                while (
                    follower < len(spans)
                    and chunk_of[follower] == chunk_of[index]
                    and follower - index <= 12
                ):
                    out.add(follower)
                    follower += 1
        return sorted(out)

    def _is_stale(self, document: Document) -> bool:
        updated = document.meta.updated_date()
        return updated is not None and (self._today - updated).days > self._stale_after_days

    def _stale_notes(self, citations: tuple[Citation, ...], language: str) -> list[str]:
        by_year: dict[str, list[int]] = {}
        for c in citations:
            if c.stale and c.updated:
                by_year.setdefault(c.updated[:4], []).append(c.n)
        return [
            message("stale", language, refs=", ".join(f"[{n}]" for n in numbers), year=year)
            for year, numbers in sorted(by_year.items())
        ]


def _merge(
    rows: list[tuple[str, int, int]], documents: dict[str, Document]
) -> list[tuple[str, int, int]]:
    """Join sentences that stand next to each other in a document into one span."""
    spans: list[tuple[str, int, int]] = []
    for doc_id, start, end in sorted(rows):
        if spans and spans[-1][0] == doc_id:
            gap = documents[doc_id].text[spans[-1][2] : start]
            if not gap.strip():
                spans[-1] = (doc_id, spans[-1][1], end)
                continue
        spans.append((doc_id, start, end))
    return spans


def verified_citations(
    spans: list[tuple[str, int, int]],
    documents: dict[str, Document],
    is_stale: Callable[[Document], bool],
) -> tuple[Citation, ...]:
    """Citations for the spans, numbered in the given order; a span not verbatim is dropped."""
    citations: list[Citation] = []
    for doc_id, start, end in spans:
        document = documents.get(doc_id)
        quote = document.text[start:end] if document else ""
        # The check that keeps every quote honest: the exact characters, at the exact place.
        if document is None or not quote.strip() or document.text.find(quote, start) != start:
            continue
        meta = document.meta
        citations.append(
            Citation(
                n=len(citations) + 1,
                doc_id=doc_id,
                title=meta.title,
                quote=quote,
                start=start,
                end=end,
                publisher=meta.publisher,
                url=meta.url,
                updated=meta.updated,
                page=document.page_at(start),
                stale=is_stale(document),
            )
        )
    return tuple(citations)
