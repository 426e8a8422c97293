"""The dataclasses that cross every module boundary: documents, chunks, passages, answers.

No LangChain or Chroma object leaves the module that uses it; these travel instead.
Offsets (`start`, `end`) always index the document's cleaned `text`.
"""

from __future__ import annotations

import calendar
from dataclasses import asdict, dataclass, field
from datetime import date
from typing import Any, Literal

Status = Literal["answered", "abstained", "emergency", "crisis", "advice", "invalid"]


@dataclass(frozen=True)
class DocumentMeta:
    doc_id: str
    title: str
    publisher: str | None = None
    author: str | None = None
    updated: str | None = None
    """Last updated or reviewed, as ISO `YYYY`, `YYYY-MM` or `YYYY-MM-DD`."""
    language: str = "en"
    url: str | None = None
    source_note: str | None = None
    """Where the text comes from and what cleaning removed (documents.json `source_note`)."""
    verified: bool = True
    """False when staff cannot vouch for the document: it is found by `find`, never quoted."""

    def updated_date(self) -> date | None:
        """The latest day `updated` can mean (a bare year counts as its 31 December)."""
        if not self.updated:
            return None
        parts = [int(p) for p in self.updated.split("-")]
        if len(parts) == 1:
            return date(parts[0], 12, 31)
        if len(parts) == 2:
            return date(parts[0], parts[1], calendar.monthrange(parts[0], parts[1])[1])
        return date(parts[0], parts[1], parts[2])


@dataclass(frozen=True)
class Document:
    meta: DocumentMeta
    text: str
    """The cleaned text that all offsets refer to."""
    source_path: str
    content_hash: str
    page_starts: tuple[int, ...] = ()
    """For PDFs: offset in `text` where each page (1, 2, ...) begins."""

    @property
    def doc_id(self) -> str:
        return self.meta.doc_id

    def paragraph_around(self, start: int, end: int) -> tuple[int, int]:
        """The span of the paragraph(s) holding `start`..`end`: up to the nearest blank lines."""
        before = self.text.rfind("\n\n", 0, start)
        after = self.text.find("\n\n", end)
        return (0 if before < 0 else before + 2), (len(self.text) if after < 0 else after)

    def page_at(self, offset: int) -> int | None:
        """The 1-based PDF page holding `offset`, or None for documents without pages."""
        if not self.page_starts:
            return None
        page = 1
        for number, start in enumerate(self.page_starts, start=1):
            if start <= offset:
                page = number
        return page


@dataclass(frozen=True)
class Chunk:
    chunk_id: str
    doc_id: str
    start: int
    end: int
    text: str
    """Exactly `document.text[start:end]`."""
    section: str = ""
    """The heading this chunk sits under; embedded with the chunk, not part of its span."""
    sentences: tuple[tuple[int, int], ...] = ()
    """Sentence spans inside the chunk, as absolute document offsets."""
    page: int | None = None
    blocks: tuple[tuple[int, int, str], ...] = ()
    """The chunk's lines as (start, end, kind), kind "heading", "paragraph" or "bullet": the
    structure answer units are built from (absolute document offsets)."""

    def embedding_text(self) -> str:
        if self.section and not self.text.startswith(self.section):
            return f"{self.section}\n{self.text}"
        return self.text


@dataclass(frozen=True)
class Passage:
    chunk: Chunk
    title: str
    score: float
    dense: float = 0.0
    lexical: float = 0.0

    def to_json(self) -> dict[str, Any]:
        return {
            "doc_id": self.chunk.doc_id,
            "title": self.title,
            "text": self.chunk.text,
            "score": round(self.score, 4),
            "start": self.chunk.start,
            "end": self.chunk.end,
            "section": self.chunk.section,
            "page": self.chunk.page,
            "dense": round(self.dense, 4),
            "lexical": round(self.lexical, 4),
        }


@dataclass(frozen=True)
class Citation:
    n: int
    doc_id: str
    title: str
    quote: str
    start: int
    end: int
    publisher: str | None = None
    url: str | None = None
    updated: str | None = None
    section: str = ""
    page: int | None = None
    stale: bool = False
    """The document was last updated more than the configured number of years ago."""

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class Answer:
    question: str
    status: Status
    answer: str
    citations: tuple[Citation, ...] = ()
    retrieved: tuple[Passage, ...] = ()
    timings_ms: dict[str, float] = field(default_factory=dict)
    resolved_question: str = ""
    """The question as retrieval saw it, after folding in the conversation."""
    language: str = "en"
    """The question's language (two-letter code); the assistant's own sentences use it."""
    framing: str = ""
    """The assistant's own words before the quotes (empty for a refusal or an urgent reply)."""
    notes: tuple[str, ...] = ()
    """The assistant's own lines after the quotes: old-source notes, the closing line."""
    safety: str | None = None
    """"crisis" or "emergency" when the message may mean one (not certain): the answer is given
    as usual and the support message is shown beside it (messages/<language>/<safety>_beside.txt)."""
    answerer: str | None = None
    """Who wrote the answer: "extractive" (quotes), "generative" (a language model, every
    sentence checked) or "extractive-fallback" (quotes, because the model's answer could not be
    used); None when nothing was composed (a refusal, an urgent reply, invalid input)."""
    sentences: tuple[str, ...] = ()
    """A generated answer's checked sentences, each with its [n] markers (empty for quotes)."""

    def paragraphs(self) -> list[str]:
        """The answer's paragraphs from its parts: framing, one quote per citation with its
        marker (a generated answer: its checked sentences as one paragraph), notes. An answer
        without quotes (a refusal, an urgent reply) is its text."""
        if not self.citations:
            return [p.strip() for p in self.answer.split("\n\n") if p.strip()]
        quotes = [f"{c.quote.strip()} [{c.n}]" for c in self.citations]
        if self.sentences:
            quotes = [" ".join(self.sentences)]
        framing = [p.strip() for p in self.framing.split("\n\n") if p.strip()]
        return [*framing, *quotes, *self.notes]

    def own_words(self) -> str:
        """What the assistant itself says, without any quote: framing and notes, or the whole
        text of an answer without quotes."""
        if not self.citations:
            return self.answer
        return "\n".join(p.strip() for p in (self.framing, *self.notes) if p.strip())

    def to_json(self) -> dict[str, Any]:
        return {
            "question": self.question,
            "status": self.status,
            "answer": self.answer,
            "citations": [c.to_json() for c in self.citations],
            "retrieved": [p.to_json() for p in self.retrieved],
            "timings_ms": {k: round(v, 2) for k, v in self.timings_ms.items()},
            "resolved_question": self.resolved_question,
            "language": self.language,
            "safety": self.safety,
            "framing": self.framing,
            "notes": list(self.notes),
            "answerer": self.answerer,
        }


@dataclass(frozen=True)
class Match:
    """A place in a document that says what a given text says (for `find`)."""

    doc_id: str
    title: str
    text: str
    start: int
    end: int
    score: float
    section: str = ""
    page: int | None = None
    exact: bool = False
    verified: bool = True
    """False when the document is marked unverified (never quoted in answers)."""
    paragraph: int | None = None
    """1-based paragraph (non-empty line) number, on its page for PDFs."""
    highlights: tuple[tuple[int, int], ...] = ()
    """When several sentences were pasted: the (start, end) of the sentence in this match's
    paragraph that says each of them; empty otherwise (then start..end is the place)."""

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["score"] = round(self.score, 4)
        data["highlights"] = [list(span) for span in self.highlights]
        return data


@dataclass(frozen=True)
class DocumentSummary:
    """One row of the document list: what a document is and how much of it is indexed."""

    meta: DocumentMeta
    source_path: str
    characters: int
    chunks: int
    file_bytes: int | None
    """Size of the source file on disk, None when the file is gone."""


@dataclass(frozen=True)
class Turn:
    role: Literal["user", "assistant"]
    content: str
