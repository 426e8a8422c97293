"""The Assistant: the one object the CLI and the app talk to.

`ask` runs the request path: detect the language -> validate -> safety route -> resolve the
follow-up -> retrieve -> abstain or compose. The assistant's own sentences (framing,
abstention, safety messages) come out in the question's language; quotes stay verbatim in
the language of the document. `find` locates the passages that say what a given text
says. `source` returns a document's cleaned text. Each returns our own dataclasses.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Sequence
from pathlib import Path

from assistant.compose import Answerer
from assistant.conversation import resolve
from assistant.errors import UnknownDocumentError
from assistant.finder import Finder
from assistant.language import detect_language, real_words
from assistant.messages import message
from assistant.models import Answer, Document, DocumentSummary, Match, Passage, Turn
from assistant.retrieve import Query, Retriever
from assistant.safety import out_of_scope_phrases, route
from assistant.settings import Settings
from assistant.text import content_terms


class Assistant:
    """`retriever` and `answerer` read the main index; `translated`, when given, is the
    retriever and answerer over the multilingual index used for questions not in English."""

    def __init__(
        self,
        settings: Settings,
        retriever: Retriever,
        answerer: Answerer,
        translated: tuple[Retriever, Answerer] | None = None,
    ) -> None:
        self.settings = settings
        self.retriever = retriever
        self.answerer = answerer
        self.finder = Finder(retriever)
        self.translated = translated
        self._translated_finder = Finder(translated[0]) if translated else None

    def reader(self, language: str) -> tuple[Retriever, Answerer]:
        """The retriever and answerer for a question in `language`."""
        if language != "en" and self.translated:
            return self.translated
        return self.retriever, self.answerer

    @property
    def documents(self) -> dict[str, Document]:
        return self.retriever.documents

    def language_of(self, text: str, history: Sequence[Turn] = ()) -> str:
        """The language to answer `text` in: detected, else the conversation's, else English."""
        earlier = " ".join(t.content for t in history if t.role == "user")[-500:]
        fallback = detect_language(earlier) if earlier.strip() else "en"
        return detect_language(text[:500], fallback)

    def ask(self, question: str, history: Sequence[Turn] = ()) -> Answer:
        started = time.perf_counter()
        language = self.language_of(question or "", history)
        problem = self._invalid_reason(question, language)
        if problem:
            return Answer(
                question, "invalid", problem, timings_ms=_since(started), language=language
            )
        safety = route(question)
        if safety in ("emergency", "crisis"):
            text = message(safety, language)
            return Answer(question, safety, text, timings_ms=_since(started), language=language)
        resolved = resolve(question, list(history))
        retriever, _ = self.reader(language)
        query = retriever.query(resolved, language)
        passages = retriever.search(query, self.settings.top_k)
        retrieved_at = time.perf_counter()
        answer = self._answer(
            question, resolved, query, passages, language, advice=safety == "advice"
        )
        timings = {
            "retrieve": (retrieved_at - started) * 1000,
            "answer": (time.perf_counter() - retrieved_at) * 1000,
            "total": (time.perf_counter() - started) * 1000,
        }
        return Answer(
            question,
            answer.status,
            answer.answer,
            answer.citations,
            tuple(passages),
            timings,
            resolved,
            language,
        )

    def _answer(
        self,
        question: str,
        resolved: str,
        query: Query,
        passages: list[Passage],
        language: str,
        advice: bool,
    ) -> Answer:
        covered = (
            bool(passages)
            and self.evidence(query, passages, language) >= self.abstain_below(language)
            and not self._outside_scope(question, passages, language)
        )
        _, answerer = self.reader(language)
        if advice:
            framing = message("advice_covered", language)
            composed = answerer.compose(query, passages, framing, "", language) if covered else None
            text = message("advice", language)
            if composed and composed.citations:
                return Answer(question, "advice", f"{text}\n\n{composed.text}", composed.citations)
            return Answer(question, "advice", f"{text}\n\n{self._abstain_text(language)}")
        if covered:
            follow_up = question if resolved != question else ""
            framing = message("framing", language)
            composed = answerer.compose(query, passages, framing, follow_up, language)
            if composed.citations:
                text = f"{composed.text}\n\n{message('closing', language)}"
                return Answer(question, "answered", text, composed.citations)
        return Answer(question, "abstained", self._abstain_text(language))

    def evidence(self, query: Query, passages: list[Passage], language: str = "en") -> float:
        """How well the best passages answer the query.

        In English: dense similarity and the share of the question's words a passage holds.
        In another language the word match means nothing (the lexical tools are English), so
        the evidence is the dense similarity alone, judged against its own threshold.
        """
        retriever, _ = self.reader(language)
        weight = self.settings.abstain_dense_weight if language == "en" else 1.0
        return max(
            weight * p.dense + (1 - weight) * retriever.covered(query, retriever.terms_of(p.chunk))
            for p in passages[:3]
        )

    def abstain_below(self, language: str) -> float:
        """The evidence threshold for a question in `language`."""
        if language == "en":
            return self.settings.abstain_below
        return self.settings.abstain_below_translated

    def _outside_scope(self, question: str, passages: list[Passage], language: str) -> bool:
        """The question names a topic (out_of_scope*.txt) that the best passages never mention."""
        retriever, _ = self.reader(language)
        present = set().union(*(retriever.terms_of(p.chunk) for p in passages[:3]))
        return any(
            not set(content_terms(phrase)) <= present
            for phrase in out_of_scope_phrases(question, language)
        )

    def _abstain_text(self, language: str) -> str:
        titles = sorted({d.meta.title for d in self.documents.values()})
        return message("abstain", language, topics="; ".join(titles))

    def _invalid_reason(self, question: str, language: str) -> str:
        if not question or not question.strip():
            return message("invalid_empty", language)
        if len(question) > self.settings.max_question_chars:
            limit = self.settings.max_question_chars
            return message("invalid_long", language, length=len(question), limit=limit)
        if not real_words(question):
            return message("invalid_nowords", language)
        return ""

    def find(self, text: str, k: int = 5, language: str | None = None) -> list[Match]:
        """Passages that say what `text` says, best first; a translation finds its source."""
        if not text or not text.strip():
            return []
        language = language or self.language_of(text)
        finder = self._translated_finder if language != "en" and self._translated_finder else None
        return (finder or self.finder).find(text[: self.settings.max_question_chars], k, language)

    def overview(self) -> list[DocumentSummary]:
        """The indexed documents with their sizes and chunk counts, by title."""
        counts = Counter(chunk.doc_id for chunk in self.retriever.chunks)
        return sorted(
            (
                DocumentSummary(
                    meta=document.meta,
                    source_path=document.source_path,
                    characters=len(document.text),
                    chunks=counts[doc_id],
                    file_bytes=_file_size(document.source_path),
                )
                for doc_id, document in self.documents.items()
            ),
            key=lambda summary: summary.meta.title.casefold(),
        )

    def source(self, doc_id: str) -> Document:
        document = self.documents.get(doc_id)
        if document is None:
            known = ", ".join(sorted(self.documents)) or "none"
            raise UnknownDocumentError(
                f"No document with id '{doc_id}'. Indexed documents: {known}."
            )
        return document


def _file_size(path: str) -> int | None:
    try:
        return Path(path).stat().st_size
    except OSError:
        return None


def _since(started: float) -> dict[str, float]:
    total = (time.perf_counter() - started) * 1000
    return {"retrieve": 0.0, "answer": 0.0, "total": total}
