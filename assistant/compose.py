"""The extractive answerer: answer by quoting the best answer units of a retrieval result.

It reads only the `RetrievalResult` (units already read against the question and ordered by
the reader): the best unit leads, the next ones follow while they score nearly as well, one
citation per unit. From a unit it quotes what a reader can understand alone: a short
paragraph whole; from a longer one its best sentence with the one it leans on, the sentences
after it that lean on it ("If not, you did too much.") or answer nearly as well, up to three;
a list with its lead-in (whole when short, else up to the last item that matches). Sentences
that cannot stand alone (see units.py) never open or close a quote. A unit stating prognosis
or disability figures the question did not ask about never leads. Every citation is checked
against the document text: one that is not a verbatim substring is dropped, never shown.

It writes no words of its own but the fixed framing lines in `messages/`.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Protocol

from assistant.messages import message
from assistant.models import Citation, Document
from assistant.reader import ScoredUnit
from assistant.retrieve import RetrievalResult
from assistant.text import content_terms
from assistant.units import AnswerUnit

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
    framing: str = ""
    notes: tuple[str, ...] = ()
    answerer: str = "extractive"
    """Who wrote it: "extractive", "generative" or "extractive-fallback"."""
    sentences: tuple[str, ...] = ()
    """A generated answer's checked sentences, markers renumbered to the citations."""


class Answerer(Protocol):
    """Composes an answer from a retrieval result (it reads nothing else); `language` is the
    one the answer's own sentences are written in (quotes stay as the documents have them)."""

    name: str

    def compose(self, result: RetrievalResult, framing: str, language: str = "en") -> Composed: ...


class ExtractiveAnswerer:
    """Quotes the best answer units of a retrieval result, one citation per unit."""

    name = "extractive"

    def __init__(
        self,
        documents: dict[str, Document],
        max_quotes: int,
        stale_after_days: int,
        today: date | None = None,
    ) -> None:
        self._documents = documents
        self._max_quotes = max_quotes
        self._stale_after_days = stale_after_days
        self._today = today or date.today()

    def compose(self, result: RetrievalResult, framing: str, language: str = "en") -> Composed:
        spans = [self._quote_span(scored) for scored in self._choose(result)]
        citations = verified_citations(spans, self._documents, self.is_stale)
        if not citations:
            return Composed("", ())
        notes = tuple(self.stale_notes(citations, language))
        lines = [framing] if framing else []
        lines += [f"{c.quote.strip()} [{c.n}]" for c in citations]
        lines += notes
        return Composed("\n\n".join(lines), citations, framing, notes)

    def _choose(self, result: RetrievalResult) -> list[ScoredUnit]:
        """The units to quote: the best, and the next ones nearly as good, up to the limit.
        A unit with figures about prognosis or disability only leads when they were asked."""
        focus = result.query.focus or result.query.text
        ranked = sorted(
            result.units, key=lambda s: (_unasked_figures(s, self._documents, focus), -s.score)
        )
        if not ranked or _unasked_figures(ranked[0], self._documents, focus):
            return []
        best = ranked[0].score
        return [s for s in ranked if s.score >= best - QUOTE_MARGIN][: self._max_quotes]

    def _quote_span(self, scored: ScoredUnit) -> tuple[str, int, int]:
        unit = scored.unit
        text = self._documents[unit.doc_id].text
        if unit.kind == "list":
            first, last = _list_window(scored, text)
        else:
            first, last = _sentence_window(scored, text)
        return unit.doc_id, unit.spans[first][0], unit.spans[last][1]

    def is_stale(self, document: Document) -> bool:
        updated = document.meta.updated_date()
        return updated is not None and (self._today - updated).days > self._stale_after_days

    def stale_notes(self, citations: tuple[Citation, ...], language: str) -> list[str]:
        by_year: dict[str, list[int]] = {}
        for c in citations:
            if c.stale and c.updated:
                by_year.setdefault(c.updated[:4], []).append(c.n)
        return [
            message("stale", language, refs=", ".join(f"[{n}]" for n in numbers), year=year)
            for year, numbers in sorted(by_year.items())
        ]


QUOTE_MARGIN = 0.12
"""A further unit is quoted when it scores within this much of the best one."""
WHOLE_UNIT_CHARS = 500
"""A paragraph this short is quoted whole (minus edge sentences that cannot stand alone),
however many sentences it has: under a heading that matches ("Insurance for OT"), its first
sentence is often the answer though another one shares more words with the question."""
WHOLE_LIST_CHARS = 700
"""A list with its lead-in this short is quoted whole."""
WINDOW = 3
"""Most sentences quoted from a longer paragraph."""
FOLLOWER_MARGIN = 0.2
"""A sentence after the best one joins the quote (room permitting) when it scores within this."""

_FIGURES = re.compile(
    r"\b(life ?span|life expectancy|years after (the )?diagnosis|\d+ ?(%|percent)|"
    r"per ?cent|wheelchairs?|wheelchair-bound|cannot walk|can'?t walk|unable to walk|"
    r"bedbound|bedridden|mortality|die|death)\b",
    re.IGNORECASE,
)


def _unasked_figures(scored: ScoredUnit, documents: dict[str, Document], focus: str) -> bool:
    """The unit's best sentence states a prognosis or disability figure the focus never asks
    about (life span, share of people who need a wheelchair, "cannot walk")."""
    unit = scored.unit
    best = max(range(len(unit.spans)), key=lambda i: scored.sentence_scores[i])
    start, end = unit.spans[best]
    named = {m.group(0).lower() for m in _FIGURES.finditer(documents[unit.doc_id].text[start:end])}
    if not named:
        return False
    asked = set(content_terms(focus))
    return not any(set(content_terms(word)) & asked for word in named) and not _ASKS_FIGURES.search(
        focus
    )


_ASKS_FIGURES = re.compile(
    r"\b(how long|life|live|living|die|death|expectancy|wheelchair|walk(ing)?|percent|"
    r"how many|chances?|odds|prognosis|disabled|disability)\b",
    re.IGNORECASE,
)


def _sentence_window(scored: ScoredUnit, text: str) -> tuple[int, int]:
    """First and last sentence (indices in the unit) to quote from a paragraph."""
    unit, scores = scored.unit, scored.sentence_scores
    usable = [i for i, s in enumerate(scores) if s > -1.0]
    if unit.end - unit.start <= WHOLE_UNIT_CHARS:
        return usable[0], usable[-1]
    best = max(usable, key=lambda i: scores[i])
    first = last = best
    if best > 0 and _LEANS_BACK.match(_sentence(unit, best, text)) and scores[best - 1] > -1.0:
        first = best - 1
    while last + 1 < len(scores) and scores[last + 1] > -1.0:
        follower = _sentence(unit, last + 1, text)
        # A sentence that leans on the last one ("If not, you did too much.") always comes
        # with it; another close match only while the window has room.
        leans = bool(_LEANS_BACK.match(follower))
        if not leans and (
            last - first + 1 >= WINDOW or scores[last + 1] < scores[best] - FOLLOWER_MARGIN
        ):
            break
        last += 1
    # A sentence before it that answers nearly as well opens the quote, room permitting.
    while first > 0 and last - first + 1 < WINDOW and scores[first - 1] >= scores[best] - 0.1:
        first -= 1
    return first, last


def _list_window(scored: ScoredUnit, text: str) -> tuple[int, int]:
    """A list with its lead-in: whole when short, else up to the last item that matches."""
    unit, scores = scored.unit, scored.sentence_scores
    if unit.end - unit.start <= WHOLE_LIST_CHARS:
        return 0, len(unit.spans) - 1
    usable = [i for i, s in enumerate(scores) if s > -1.0]
    best = max(scores[i] for i in usable)
    last = max(i for i in usable if scores[i] >= best - 0.1)
    while last > 0 and unit.spans[last][1] - unit.spans[0][0] > 2 * WHOLE_LIST_CHARS:
        last -= 1
    first = 0 if unit.lead_in else min(usable)
    return first, max(first, last)


def _sentence(unit: AnswerUnit, index: int, text: str) -> str:
    start, end = unit.spans[index]
    return text[start:end]


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
