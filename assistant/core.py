"""The Assistant: the one object the CLI and the app talk to.

`ask` runs the request path: validate -> safety route -> resolve the follow-up ->
retrieve -> abstain or compose. `find` locates the passages that say what a given text
says. `source` returns a document's cleaned text. Each returns our own dataclasses.
"""

from __future__ import annotations

import re
import time
from collections import Counter
from collections.abc import Sequence
from pathlib import Path

from assistant.compose import Answerer
from assistant.conversation import resolve
from assistant.errors import UnknownDocumentError
from assistant.finder import Finder
from assistant.messages import message
from assistant.models import Answer, Document, DocumentSummary, Match, Passage, Turn
from assistant.retrieve import Query, Retriever
from assistant.safety import out_of_scope_phrases, route
from assistant.settings import Settings
from assistant.text import content_terms


class Assistant:
    def __init__(self, settings: Settings, retriever: Retriever, answerer: Answerer) -> None:
        self.settings = settings
        self.retriever = retriever
        self.answerer = answerer
        self.finder = Finder(retriever)

    @property
    def documents(self) -> dict[str, Document]:
        return self.retriever.documents

    def ask(self, question: str, history: Sequence[Turn] = ()) -> Answer:
        started = time.perf_counter()
        problem = self._invalid_reason(question)
        if problem:
            return Answer(question, "invalid", problem, timings_ms=_since(started))
        safety = route(question)
        if safety in ("emergency", "crisis"):
            return Answer(question, safety, message(safety), timings_ms=_since(started))
        resolved = resolve(question, list(history))
        query = self.retriever.query(resolved)
        passages = self.retriever.search(query, self.settings.top_k)
        retrieved_at = time.perf_counter()
        answer = self._answer(question, resolved, query, passages, advice=safety == "advice")
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
        )

    def _answer(
        self, question: str, resolved: str, query: Query, passages: list[Passage], advice: bool
    ) -> Answer:
        covered = (
            bool(passages)
            and self.evidence(query, passages) >= self.settings.abstain_below
            and not self._outside_scope(question, passages)
        )
        if advice:
            composed = (
                self.answerer.compose(query, passages, message("advice_covered"))
                if covered
                else None
            )
            text = message("advice")
            if composed and composed.citations:
                return Answer(question, "advice", f"{text}\n\n{composed.text}", composed.citations)
            return Answer(question, "advice", f"{text}\n\n{self._abstain_text()}")
        if covered:
            follow_up = question if resolved != question else ""
            composed = self.answerer.compose(query, passages, message("framing"), follow_up)
            if composed.citations:
                text = f"{composed.text}\n\n{message('closing')}"
                return Answer(question, "answered", text, composed.citations)
        return Answer(question, "abstained", self._abstain_text())

    def evidence(self, query: Query, passages: list[Passage]) -> float:
        """How well the best passages answer the query: dense similarity and word coverage."""
        weight = self.settings.abstain_dense_weight
        return max(
            weight * p.dense
            + (1 - weight) * self.retriever.covered(query, self.retriever.terms_of(p.chunk))
            for p in passages[:3]
        )

    def _outside_scope(self, question: str, passages: list[Passage]) -> bool:
        """The question names a topic (out_of_scope.txt) that the best passages never mention."""
        present = set().union(*(self.retriever.terms_of(p.chunk) for p in passages[:3]))
        return any(
            not set(content_terms(phrase)) <= present for phrase in out_of_scope_phrases(question)
        )

    def _abstain_text(self) -> str:
        titles = sorted({d.meta.title for d in self.documents.values()})
        return message("abstain", topics="; ".join(titles))

    def _invalid_reason(self, question: str) -> str:
        if not question or not question.strip():
            return message("invalid_empty")
        if len(question) > self.settings.max_question_chars:
            return message(
                "invalid_long", length=len(question), limit=self.settings.max_question_chars
            )
        if not re.search(r"\w", question) or not re.search(r"[^\W\d_]", question):
            return message("invalid_nowords")
        return ""

    def find(self, text: str, k: int = 5) -> list[Match]:
        if not text or not text.strip():
            return []
        return self.finder.find(text[: self.settings.max_question_chars], k)

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
