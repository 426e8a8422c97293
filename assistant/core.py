"""The Assistant: the one object the CLI and the app talk to.

`ask` runs the request path: detect the language -> validate -> resolve the follow-up (the
query) -> safety route -> retrieve -> abstain or compose. The assistant's own sentences (framing,
abstention, safety messages) come out in the question's language; quotes stay verbatim in
the language of the document. `find` locates the passages that say what a given text
says. `source` returns a document's cleaned text. Each returns our own dataclasses.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Generator, Iterator, Sequence
from dataclasses import replace
from pathlib import Path

from assistant.compose import Answerer, Composed
from assistant.conversation import earlier_answers, last_answer, topic_of, what_is_asked
from assistant.embedding import mixed_query
from assistant.errors import UnknownDocumentError
from assistant.lanes import Lanes
from assistant.language import detect_language, real_words
from assistant.messages import message
from assistant.models import Answer, Document, DocumentSummary, Match, Turn
from assistant.retrieve import Query, RetrievalResult, Retriever
from assistant.safety import SafetyRouter, out_of_scope_phrases
from assistant.scope import ScopeBank
from assistant.settings import Settings
from assistant.text import content_terms

WEAK_OFF_TOPIC = (0.005, 0.1)
"""(margin, coverage): a question more than this margin nearer the questions the library does
not answer (assistant/scope.py), whose best answer unit holds less than this share of its
words, is refused. Chosen on hand-written probe questions (README, round 7), checked on dev and
legacy: no answerable one is refused by it."""

SHORT_OFF_TOPIC = 0.01
"""A short question (not a long post, not a follow-up) more than this margin nearer the
questions the library does not answer is refused, unless its best answer unit holds every word
it asks ("What is the relapsing-remitting pattern of MS?"). The examples of scope_bank.txt are
short questions, so a short question's margin says more than a long post's, whose asking
sentences drift with its story (dev posts about identity sit at 0.017-0.020). Chosen on dev,
legacy and probe sets A-D (README, round 8), checked on a set written after the choice."""


class Assistant:
    """Answers from the lanes (lanes.py): the main index, and for questions not in English
    the multilingual one when there is one."""

    def __init__(
        self,
        settings: Settings,
        lanes: Lanes,
        safety: SafetyRouter | None = None,
        scope: ScopeBank | None = None,
    ) -> None:
        self.settings = settings
        self.safety = safety or SafetyRouter()
        self.scope = scope
        """The meaning-based out-of-scope check (None: the topic words of out_of_scope*.txt alone)."""
        self.lanes = lanes
        self._titles: tuple[dict[str, Document] | None, dict[str, str]] = (None, {})
        """(the documents, per language the titles a refusal names), see _abstain_text."""

    def reader(self, language: str) -> tuple[Retriever, Answerer]:
        """The retriever and answerer for a question in `language`."""
        lane = self.lanes.for_language(language)
        return lane.retriever, lane.answerer

    @property
    def retriever(self) -> Retriever:
        """The main index's retriever."""
        return self.lanes.main.retriever

    @property
    def answerer(self) -> Answerer:
        return self.lanes.main.answerer

    @property
    def documents(self) -> dict[str, Document]:
        return self.retriever.documents

    def language_of(self, text: str, history: Sequence[Turn] = ()) -> str:
        """The language to answer `text` in: detected, else the conversation's, else English."""
        earlier = " ".join(t.content for t in history if t.role == "user")[-500:]
        fallback = detect_language(earlier) if earlier.strip() else "en"
        return detect_language(text[:500], fallback)

    def ask(self, question: str, history: Sequence[Turn] = ()) -> Answer:
        return _last(self.ask_stream(question, history))

    def ask_stream(self, question: str, history: Sequence[Turn] = ()) -> Iterator[str | Answer]:
        """`ask`, for a reader who watches: with a generative answerer each checked sentence
        (with its passage markers, numbered as the model cited them) comes as a string while
        the model writes; the last item is always the whole Answer, whose text and citation
        numbers are final and may differ (renumbered, or the extractive fallback)."""
        started = time.perf_counter()
        self.lanes.refresh()
        language = self.language_of(question or "", history)
        problem = self._invalid_reason(question, language)
        if problem:
            yield Answer(
                question, "invalid", problem, timings_ms=_since(started), language=language
            )
            return
        # The query first (texts, and MiniLM for English): the safety layer's e5 pass then
        # embeds the texts the answer reader reads with e5 too, so the reader's is not a second.
        query = self.query(question, history, language)
        reader_texts = [text for text, _ in query.focus_parts] or [query.text]
        verdict = self.safety.route(question, history, alongside=reader_texts)
        safety = verdict.status
        if safety in ("emergency", "crisis"):
            urgent = verdict.language or language
            text = message(safety, urgent)
            yield Answer(question, safety, text, timings_ms=_since(started), language=urgent)
            return
        retriever, _ = self.reader(language)
        result = replace(retriever.retrieve(query, self.settings.top_k), question=question)
        retrieved_at = time.perf_counter()
        answer = yield from self._answer(question, result, language, advice=safety == "advice")
        timings = {
            "retrieve": (retrieved_at - started) * 1000,
            "answer": (time.perf_counter() - retrieved_at) * 1000,
            "total": (time.perf_counter() - started) * 1000,
        }
        yield replace(
            answer,
            retrieved=result.passages,
            timings_ms=timings,
            resolved_question=result.query.text,
            language=language,
            safety=verdict.beside,
        )

    def retrieve(self, question: str, history: Sequence[Turn], language: str) -> RetrievalResult:
        """What the documents hold for the question: a follow-up is read with the topic it
        leans on and the answer it got, a long post for its question sentences (with the
        sentence before them, which usually names the problem)."""
        retriever, _ = self.reader(language)
        return retriever.retrieve(self.query(question, history, language), self.settings.top_k)

    def query(self, question: str, history: Sequence[Turn], language: str) -> Query:
        """The question as retrieval reads it (see `retrieve`)."""
        turns = list(history)
        topic = topic_of(question, turns)
        retriever, _ = self.reader(language)
        return retriever.query(
            f"{topic} {question}" if topic else question,
            language,
            asked=what_is_asked(question),
            context=topic,
            already_said=last_answer(turns) if topic else "",
            quoted_before=earlier_answers(turns) if topic else "",
        )

    def _answer(
        self, question: str, result: RetrievalResult, language: str, advice: bool
    ) -> Generator[str, None, Answer]:
        covered = result.evidence >= self.abstain_below(language) and not self._outside_scope(
            question, result, language
        )
        _, answerer = self.reader(language)
        if advice:
            framing = message("advice_covered", language)
            composed = (
                (yield from _compose(answerer, result, framing, language)) if covered else None
            )
            text = message("advice", language)
            if composed and composed.citations:
                return Answer(
                    question,
                    "advice",
                    f"{text}\n\n{composed.text}",
                    composed.citations,
                    framing=f"{text}\n\n{framing}",
                    notes=composed.notes,
                    answerer=composed.answerer,
                    sentences=composed.sentences,
                )
            return Answer(question, "advice", f"{text}\n\n{self._abstain_text(language)}")
        if covered:
            framing = message("framing", language)
            composed = yield from _compose(answerer, result, framing, language)
            if composed.citations:
                closing = message("closing", language)
                text = f"{composed.text}\n\n{closing}"
                return Answer(
                    question,
                    "answered",
                    text,
                    composed.citations,
                    framing=composed.framing,
                    notes=(*composed.notes, closing),
                    answerer=composed.answerer,
                    sentences=composed.sentences,
                )
        return Answer(question, "abstained", self._abstain_text(language))

    def abstain_below(self, language: str) -> float:
        """The evidence threshold for a question in `language`."""
        if language == "en":
            return self.settings.abstain_below
        return self.settings.abstain_below_translated

    def _outside_scope(self, question: str, result: RetrievalResult, language: str) -> bool:
        """The question names a topic (out_of_scope*.txt) that the best passages never mention
        (as a phrase: "life expectancy" is not mentioned by "expect ... your life"). Of a long
        post only the sentences that ask count: its story may name anything."""
        margin = self.off_topic(result)
        if margin > self.settings.off_topic_margin:
            return True
        asked = what_is_asked(question, with_context=False)
        if language == "en":
            # English only: other languages' word coverage comes from the translated glossary
            # alone, so it is low for answerable questions too.
            best = result.units[0].parts.get("coverage", 1.0) if result.units else 1.0
            # Two weak signals that agree: it reads a little more like what the library does
            # not answer, and the best unit holds almost none of what is asked ("Is swimming
            # good for MS?", "Can I donate blood?").
            if margin > WEAK_OFF_TOPIC[0] and best < WEAK_OFF_TOPIC[1]:
                return True
            # A short question, not a follow-up, read at a smaller margin (SHORT_OFF_TOPIC).
            short = asked == question and not result.query.already_said
            if short and margin > SHORT_OFF_TOPIC and best < 1.0:
                return True
        passages = [" ".join(content_terms(p.chunk.embedding_text())) for p in result.passages[:3]]
        return any(
            not any(f" {' '.join(content_terms(phrase))} " in f" {text} " for text in passages)
            for phrase in out_of_scope_phrases(asked, language)
        )

    def off_topic(self, result: RetrievalResult) -> float:
        """How much more what is asked reads like a question the library does not answer than
        like one it does (assistant/scope.py); 0 without the check. The reader embedded the
        same texts with e5 a moment ago, so the model does not run again."""
        if self.scope is None:
            return 0.0
        query = result.query
        focus = query.focus_parts or ((query.text, 1.0),)
        return self.scope.margin(mixed_query(self.scope.embedder, focus))

    def _abstain_text(self, language: str) -> str:
        # Once per loaded index and language, not per refusal: it is a pass over every
        # document (143 ms at 33,000 documents, most of a refusal's time).
        documents = self.documents
        if self._titles[0] is not documents:
            self._titles = (documents, {})
        topics = self._titles[1].get(language)
        if topics is None:
            topics = covered_titles(list(documents.values()), language)
            self._titles[1][language] = topics
        return message("abstain", language, topics=topics)

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
        self.lanes.refresh()
        language = language or self.language_of(text)
        finder = self.lanes.for_language(language).finder
        return finder.find(text[: self.settings.max_question_chars], k, language)

    def overview(self) -> list[DocumentSummary]:
        """The indexed documents with their sizes and chunk counts, by title."""
        self.lanes.refresh()
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


TITLES_NAMED = 5
"""How many document titles a refusal names; the others are counted."""


def covered_titles(documents: list[Document], language: str) -> str:
    """What the library covers, for a refusal: the titles of its largest documents (those
    that may be quoted first), at most TITLES_NAMED, then how many documents are not named.
    Never the whole catalogue: at a thousand documents that was 68 KB of titles."""
    size: dict[str, tuple[bool, int]] = {}
    for document in documents:
        rank = (document.meta.verified, len(document.text))
        size[document.meta.title] = max(size.get(document.meta.title, rank), rank)
    largest = sorted(size, key=lambda title: (size[title], title), reverse=True)
    named = sorted(largest[:TITLES_NAMED], key=str.casefold)
    more = sum(1 for document in documents if document.meta.title not in named)
    listed = "; ".join(named)
    return message("abstain_more", language, titles=listed, count=more) if more else listed


def _compose(
    answerer: Answerer, result: RetrievalResult, framing: str, language: str
) -> Generator[str, None, Composed]:
    """The answerer's answer; one that streams (the generative one) yields its sentences."""
    stream = getattr(answerer, "compose_stream", None)
    if stream is None:
        return answerer.compose(result, framing, language)
    composed: Composed = yield from stream(result, framing, language)
    return composed


def _last(items: Iterator[str | Answer]) -> Answer:
    """The Answer an `ask_stream` ends with (the sentences before it are dropped)."""
    answer = None
    for item in items:
        answer = item
    assert isinstance(answer, Answer)
    return answer


def _file_size(path: str) -> int | None:
    try:
        return Path(path).stat().st_size
    except OSError:
        return None


def _since(started: float) -> dict[str, float]:
    total = (time.perf_counter() - started) * 1000
    return {"retrieve": 0.0, "answer": 0.0, "total": total}
