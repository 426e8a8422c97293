"""Hybrid retrieval: dense similarity (chunks and their sentences) fused with BM25.

Dense scores come from Chroma (chunk vectors) and from the stored sentence vectors, so a
chunk whose one sentence matches a question closely is found even if the rest of the
chunk is about something else. The lexical side (BM25 over stemmed words, plus the share of
the question's rare words a chunk contains) finds exact terms the embedding model does not
know: "IADL", "dalfampridine", "two-hour rule".

`retrieve` then hands the answer units of the best passages to the reader (reader.py), which
reads them against what is asked; the result is a `RetrievalResult`, the only thing the
answerer sees. The chunks and the sentence table are compact arrays (assistant/table.py);
for an index in a folder they and the lexical index (assistant/lexical.py) are written by
ingest and read at load, otherwise built from the store's chunks once per process. The
vectors stay in the store and are read for the sentences a question needs
(assistant/vectors.py); answer units are built for the passages a question reads.
"""

from __future__ import annotations

import bisect
import dataclasses
import functools
import re
from dataclasses import dataclass
from math import ceil

import numpy as np

from assistant.embedding import Embedder, unit
from assistant.errors import IndexMissingError
from assistant.lexical import LexicalIndex
from assistant.memory import give_back_freed_memory
from assistant.models import Chunk, Document, Passage
from assistant.reader import ScoredUnit, UnitReader, View
from assistant.settings import Settings
from assistant.store import Store, sentence_of_id
from assistant.table import ChunkTable, SentenceTable
from assistant.text import content_terms, expand
from assistant.units import AnswerUnit, build_units
from assistant.vectors import SentenceVectors

CANDIDATE_CHUNKS = 6
"""How many of the best passages' units the reader looks at."""


@dataclass(frozen=True)
class Query:
    text: str
    """What passage retrieval reads: the question with the conversation's topic and the
    documents' words for its everyday words."""
    vector: np.ndarray
    terms: tuple[str, ...]
    focus: str = ""
    """What is asked, in the person's own words: the question sentences of a long post, a
    follow-up's own words. Answer units are read against it. Empty: the same as `text`."""
    focus_vector: np.ndarray | None = None
    focus_terms: tuple[str, ...] = ()
    focus_parts: tuple[tuple[str, float], ...] = ()
    """The texts `focus_vector` mixes, with their weights, for other models to embed alike."""
    context_terms: tuple[str, ...] = ()
    """Words of the earlier topic a follow-up leans on: they count, at a lower weight."""
    already_said: str = ""
    """The previous answer: what a follow-up's "it" or "that" may point at."""
    quoted_before: str = ""
    """Every earlier answer of a follow-up's conversation: their quotes are not given again
    as its answer (the person has read them: "who could show me how?", two turns after an
    answer on stretching, was given that answer's quotes again)."""


@dataclass(frozen=True)
class RetrievalResult:
    """What retrieval hands to the answerer: the passages, their answer units read against
    the question (best first) and how well the best of them answers it."""

    query: Query
    passages: tuple[Passage, ...]
    units: tuple[ScoredUnit, ...]
    evidence: float
    question: str = ""
    """The question as the person asked it (with the topic a follow-up leans on), for an
    answerer that writes its own sentences; empty: `query.focus` stands for it."""


class Retriever:
    def __init__(self, store: Store, embedder: Embedder, settings: Settings) -> None:
        self._store = store
        self._embedder = embedder
        self._dense_weight = settings.dense_weight
        self._nearest_sentences = settings.nearest_sentences
        self.documents: dict[str, Document] = store.documents()
        # Written by ingest beside an index in a folder and read (the lexical index mapped);
        # else (a server, an index from before them) built from the store's chunks.
        saved = store.saved_tables(self.documents)
        if saved is None:
            chunks = ChunkTable.of_chunks(store.chunks(self.documents), self.documents)
            saved = chunks, LexicalIndex.build(chunks)
        self.chunks, self._lexical = saved
        if not self.chunks:
            raise IndexMissingError("The index has no documents. Run `python -m ingest` first.")
        self._position = {chunk_id: i for i, chunk_id in enumerate(self.chunks.ids)}
        self._max_idf = self._lexical.max_idf
        # The sentences ingest stored are those of the chunks (each chunk records its own), so
        # the sentence table needs no read of the sentence collection; their vectors are read
        # from the store for the rows a question needs (assistant/vectors.py).
        # Sorted by document and offset, so neighbouring rows are neighbouring sentences.
        self.sentence_spans = SentenceTable.of_chunks(self.chunks)
        self._doc_number = {d: i for i, d in enumerate(self.sentence_spans.doc_ids)}
        self._chunk_key = _keys(self.chunks.column("doc"), self.chunks.column("start"))
        self._chunk_end = self.chunks.column("end").astype(np.int64)
        self.sentence_vectors = SentenceVectors(store, self.sentence_spans, self.documents)
        self.sentence_chunk = self._chunks_at(
            self.sentence_spans.doc.astype(np.int64), self.sentence_spans.start.astype(np.int64)
        )
        self._rows_of_chunk = _RowsOfChunk(self.sentence_chunk, len(self.chunks))
        self._units_of_chunk = functools.lru_cache(maxsize=4096)(self._build_units)
        self._unit_terms = _UnitTerms(self.documents)
        self.view = View(embedder.name, embedder, self.sentence_vectors, scale_of(embedder))
        self.reader = UnitReader([self.view])
        """Reads units with this index's model; build_assistant may give it a second view."""
        give_back_freed_memory()

    @property
    def units(self) -> list[AnswerUnit]:
        """Every chunk's answer units, in order, built now (for tools and tests: a question
        builds only those of its passages)."""
        return [u for index in range(len(self.chunks)) for u in self._units_of_chunk(index)]

    def _build_units(self, index: int) -> list[AnswerUnit]:
        """The answer units of chunk `index`, built when a question first reads it (the last
        4,096 chunks' kept): at 95,000 chunks building all at load took 3.5 s and 80 MB."""
        built = build_units([self.chunks[index]], self.documents, self.sentence_spans)
        return [dataclasses.replace(u, chunk=index) for u in built]

    def headings(self) -> set[str]:
        """Every heading an answer unit can sit under (chunk sections and heading lines),
        for a reader to embed at load without building the units."""
        return self.chunks.headings()

    def chunk_at(self, doc_id: str, start: int) -> int:
        """Index of the chunk holding a sentence (chunks are sorted by document and start)."""
        number = self._doc_number.get(doc_id, -1)
        if number < 0:
            return -1
        return int(self._chunks_at(np.array([number]), np.array([start]))[0])

    def _chunks_at(self, numbers: np.ndarray, starts: np.ndarray) -> np.ndarray:
        """Per (document number, offset), the chunk holding it (-1: none)."""
        keys = _keys(numbers, starts)
        at = np.searchsorted(self._chunk_key, keys, side="right") - 1
        inside = at >= 0
        safe = np.where(inside, at, 0)
        inside &= (self._chunk_key[safe] >> 32) == numbers
        inside &= starts < self._chunk_end[safe]
        return np.where(inside, at, -1)

    def query(
        self,
        text: str,
        language: str = "en",
        asked: str = "",
        context: str = "",
        already_said: str = "",
        quoted_before: str = "",
    ) -> Query:
        """The question as retrieval uses it: everyday words expanded to the documents' terms.

        `text` is what passage retrieval reads (a follow-up with its topic), `asked` the part
        of the message that asks (see Query.focus), `context` what it leans on, read at half
        weight: the earlier question of a follow-up. `already_said` is the previous answer
        of a follow-up, `quoted_before` all its earlier ones (Query.quoted_before). For a question in
        another language than English only the expansion (English terms from
        glossary_translated.txt) feeds the word match: the English stemmer and BM25 would only
        find noise in the foreign words themselves.
        """
        full, terms = self._expanded(text, language)
        if (not asked or asked == text) and not context:
            vector = self._embedder.embed_query(full)
            # The reader reads the question in its own words beside the expanded one: an
            # expansion names a topic ("wheelchair": "mobility aid assistive device") that
            # can outweigh what is asked ("I use a wheelchair, is there any point exercising?").
            reading = ((full, 0.5), (text, 0.5)) if full != text else ((full, 1.0),)
            return Query(
                full,
                vector,
                terms,
                full,
                vector,
                terms,
                reading,
                already_said=already_said,
                quoted_before=quoted_before or already_said,
            )
        asked_full, asked_terms = self._expanded(asked or text, language)
        # What is asked leads; what it leans on (and, for a follow-up, the answer it got)
        # says what "it", "that" or "they" is.
        parts: tuple[tuple[str, float], ...] = ((asked_full, 1.0),)
        parts += ((context, CONTEXT_WEIGHT),) if context else ()
        said = _quoted(already_said)
        parts += ((said, ANSWER_WEIGHT),) if said else ()
        # One pass of the model, each text once: a short follow-up's whole text is its topic
        # and its own words, already among the parts (it was embedded twice before).
        whole = [] if context and text == f"{context} {asked}" else [full]
        rows = self._embedder.embed_queries([*whole, *(t for t, _ in parts)])
        focus_rows = rows[len(whole) :]
        focus_vector = unit(
            np.sum([w * r for (_, w), r in zip(parts, focus_rows, strict=True)], axis=0)
        )
        vector = rows[0] if whole else unit(focus_rows[0] + focus_rows[1])
        context_terms = tuple(
            t for t in self._expanded(context, language)[1] if t not in asked_terms
        )
        if already_said:
            vector = unit(vector + ANSWER_WEIGHT * focus_vector)
        else:
            # A long post: the question sentences lead, the story around them still counts.
            vector = unit(0.6 * focus_vector + 0.4 * vector)
        return Query(
            full,
            vector,
            terms,
            " ".join(t for t, _ in parts),
            focus_vector,
            asked_terms,
            parts,
            context_terms,
            already_said,
            quoted_before or already_said,
        )

    def _expanded(self, text: str, language: str) -> tuple[str, tuple[str, ...]]:
        extra = expand(text, language)
        full = f"{text} {extra}" if extra else text
        if language != "en":
            return full, tuple(content_terms(extra))
        return full, tuple(self._known(t) for t in content_terms(full))

    def _known(self, term: str) -> str:
        """A word no chunk holds, read as the longest word of the index it begins with (at
        least 5 letters and 0.6 of it), or kept as it is. The stemmer leaves some words apart
        from their roots ("referral" is "referr", "refer" and "referred" are "refer";
        "recovery", "recoveri"), and people write British spellings and typos ("counsellor",
        "maximise", "mobilty") that the documents spell otherwise."""
        if term in self._lexical:
            return term
        shortest = max(PREFIX_LETTERS, ceil(PREFIX_SHARE * len(term)))
        for end in range(len(term) - 1, shortest - 1, -1):
            if term[:end] in self._lexical:
                return term[:end]
        return term

    def retrieve(self, query: Query, k: int) -> RetrievalResult:
        """Passages best first, the answer units of the best ones read against what is asked.
        Only passages an answer may quote take part (see `quotable`)."""
        # Searched deeper so that, without unverified documents, k passages remain.
        passages = quotable(self.search(query, 2 * k), self.documents)[:k]
        chunks = {self._position[p.chunk.chunk_id]: p.score for p in passages[:CANDIDATE_CHUNKS]}
        candidates = [u for c in chunks for u in self._units_of_chunk(c)]
        coverage = [self._unit_coverage(query, self._unit_terms[u]) for u in candidates]
        texts = {
            r: self.documents[u.doc_id].text[s:e]
            for u in candidates
            for r, (s, e) in zip(u.sentences, u.spans, strict=True)
        }
        vectors = {
            self.view.name: query.focus_vector if query.focus_vector is not None else query.vector
        }
        said = frozenset(r for r, text in texts.items() if _said_before(text, query.quoted_before))
        focus = query.focus_parts or ((query.text, 1.0),)
        prior = [chunks[u.chunk] for u in candidates]
        units = self.reader.score(focus, vectors, candidates, coverage, texts, said, prior)
        evidence = units[0].score if units else 0.0
        return RetrievalResult(query, tuple(passages), tuple(units), evidence)

    def _unit_coverage(self, query: Query, have: set[str]) -> float:
        """Share of what is asked (its rare words weigh most) that a unit and its heading
        hold; words of the earlier topic of a follow-up count at half weight."""
        wanted = {t: self._weight(t) for t in set(query.focus_terms or query.terms)}
        for term in set(query.context_terms) - set(wanted):
            wanted[term] = 0.5 * self._weight(term)
        total = sum(wanted.values())
        return sum(w for t, w in wanted.items() if t in have) / total if total else 0.0

    def search(self, query: Query, k: int) -> list[Passage]:
        lexical = self._lexical_scores(query)
        dense = self._dense_scores(query, _top(lexical, LEXICAL_CANDIDATES))
        fused = self._dense_weight * dense + (1 - self._dense_weight) * lexical
        order = _top(fused, k)
        return [
            Passage(
                chunk=self.chunks[i],
                title=self.documents[self.chunks[i].doc_id].meta.title,
                score=float(fused[i]),
                dense=float(dense[i]),
                lexical=float(lexical[i]),
            )
            for i in order
        ]

    def sentence_similarities(self, query: Query, rows: np.ndarray) -> np.ndarray:
        """Cosine similarity of the query to the stored sentences `rows` (of sentence_spans)."""
        if len(rows) == 0:
            return np.zeros(0, dtype=np.float32)
        return np.asarray(self.sentence_vectors[rows] @ query.vector, dtype=np.float32)

    def nearest_sentences(self, query: Query, n: int) -> list[int]:
        """Rows (of sentence_spans) of the n sentences nearest the query, nearest first, from
        the store's vector search: current versions only. At most Settings.nearest_sentences
        (none when it is 0: the store's index of every sentence is then never loaded)."""
        rows: list[int] = []
        n = min(n, self._nearest_sentences)
        if n <= 0:
            return rows
        for sentence_id, _ in self._store.nearest_sentences(query.vector, n):
            doc_id, version, start, end = sentence_of_id(sentence_id)
            row = self._row_of((doc_id, start, end))
            document = self.documents.get(doc_id)
            if row is not None and document and document.content_hash.startswith(version):
                rows.append(row)
        return rows

    def _row_of(self, span: tuple[str, int, int]) -> int | None:
        """Row of a sentence in sentence_spans (sorted, so found by bisection; no dict of
        every sentence held for it)."""
        at = bisect.bisect_left(self.sentence_spans, span)
        found = at < len(self.sentence_spans) and self.sentence_spans[at] == span
        return at if found else None

    def chunk_index(self, chunk: Chunk) -> int:
        """Position of a chunk in `chunks`."""
        return self._position[chunk.chunk_id]

    def rows_of_chunk(self, index: int) -> np.ndarray:
        """Rows (of sentence_spans) of the sentences of chunk `index`, in order."""
        return self._rows_of_chunk[index]

    def _weight(self, term: str) -> float:
        # A word no document uses is the most telling of all: it counts fully against coverage.
        idf = self._lexical.idf(term)
        return self._max_idf if idf is None else idf

    def _dense_scores(self, query: Query, also: np.ndarray) -> np.ndarray:
        """Half the chunk as a whole, half its best sentence: a focused match counts. Only the
        chunks the vector searches find (nearest chunks, chunks of the nearest sentences) and
        the lexical candidates `also` are scored; the others keep 0."""
        scores = np.zeros(len(self.chunks), dtype=np.float32)
        for chunk_id, similarity in self._store.nearest_chunks(query.vector, n=NEAREST):
            if chunk_id in self._position:
                scores[self._position[chunk_id]] = similarity
        if len(self.sentence_spans) == 0:
            return np.clip(scores, 0.0, 1.0)
        near = self.sentence_chunk[self.nearest_sentences(query, NEAREST)]
        chunks = np.union1d(np.union1d(np.flatnonzero(scores), near[near >= 0]), also)
        rows = [self._rows_of_chunk[c] for c in chunks]
        similarities = self.sentence_similarities(query, np.concatenate([[], *rows]).astype(int))
        best = np.zeros(len(self.chunks), dtype=np.float32)
        at = 0
        for chunk, chunk_rows in zip(chunks, rows, strict=True):
            if len(chunk_rows):
                best[chunk] = max(float(similarities[at : at + len(chunk_rows)].max()), 0.0)
            at += len(chunk_rows)
        return np.clip(0.5 * scores + 0.5 * best, 0.0, 1.0)

    def _lexical_scores(self, query: Query) -> np.ndarray:
        if not query.terms:
            return np.zeros(len(self.chunks), dtype=np.float32)
        bm25 = self._lexical.scores(list(query.terms))
        top = float(bm25.max())
        relative = bm25 / top if top > 0 else bm25
        return 0.5 * relative + 0.5 * self._coverage(query)

    def _coverage(self, query: Query) -> np.ndarray:
        """Per chunk, the share of the query's meaning-bearing words (weighted by rarity) it
        holds, from the postings of those words (no pass over every chunk's words)."""
        wanted = set(query.terms)
        total = sum(self._weight(t) for t in wanted)
        covered = np.zeros(len(self.chunks), dtype=np.float64)
        for term in wanted:
            covered[self._lexical.holders(term)] += self._weight(term)
        return (covered / total if total else covered).astype(np.float32)


NEAREST = 100
"""How many chunks, and how many sentences, the vector searches return per question."""
LEXICAL_CANDIDATES = 50
"""How many of the best lexical matches also get their sentences read (dense scores)."""
PREFIX_LETTERS, PREFIX_SHARE = 5, 0.6
"""A question word no chunk holds is read as an indexed word it begins with, of at least this
many letters and this share of it (Retriever._known): "supermarket" is not "super"."""
CONTEXT_WEIGHT = 0.5
"""Weight of what a follow-up leans on (the earlier question) against its own words."""
ANSWER_WEIGHT = 0.3
"""Weight of the previous answer's quotes in what a follow-up asks (never quoted again)."""
_MARKER = re.compile(r"\s*\[\d+\]\s*$")


def _quoted(answer: str) -> str:
    """The quoted lines of an earlier answer (those ending in a [n] marker), markers removed;
    a reply written by someone else (an API caller) is taken whole. At most 600 characters."""
    lines = [line for line in answer.splitlines() if line.strip()]
    quoted = [_MARKER.sub("", line) for line in lines if _MARKER.search(line)]
    return " ".join(quoted or lines)[:600]


def _said_before(text: str, earlier: str) -> bool:
    """The sentence was quoted in an earlier answer (its text stands in `earlier`)."""
    return bool(earlier) and " ".join(text.split()) in " ".join(earlier.split())


SCALES = {
    "all-MiniLM-L6-v2": (0.1, 0.7),
    "multilingual-e5-small-q4": (0.75, 0.9),
    "hash-bow-256": (0.0, 0.5),  # the tests' bag-of-words stand-in
}
"""Per model: the similarity of an unrelated sentence and of an answering one, roughly."""


def scale_of(embedder: Embedder) -> tuple[float, float]:
    return SCALES.get(embedder.name, (0.0, 1.0))


def quotable(passages: list[Passage], documents: dict[str, Document]) -> list[Passage]:
    """The passages an answer may quote: none from a document staff marked unverified
    (such a document stays findable with `find`, labelled, but is never quoted)."""
    return [p for p in passages if _verified(documents.get(p.chunk.doc_id))]


def _verified(document: Document | None) -> bool:
    return document is not None and document.meta.verified


def _keys(numbers: np.ndarray, starts: np.ndarray) -> np.ndarray:
    """(document number, offset) as one sortable integer."""
    return (numbers.astype(np.int64) << 32) | starts.astype(np.int64)


class _UnitTerms:
    """Per answer unit, the words of its sentences and heading, for word coverage: worked
    out when a question first reads the unit, not for every unit at load (at 10,000 chunks
    that was 2.9 s of load and a set per sentence held); the last few thousand are kept."""

    def __init__(self, documents: dict[str, Document]) -> None:
        self._documents = documents
        self._terms = functools.lru_cache(maxsize=4096)(self._read)

    def __getitem__(self, unit: AnswerUnit) -> set[str]:
        return self._terms(unit)

    def _read(self, unit: AnswerUnit) -> set[str]:
        text = self._documents[unit.doc_id].text
        sentences = (set(content_terms(text[s:e])) for s, e in unit.spans)
        return set().union(*sentences) | set(content_terms(unit.heading))


class _RowsOfChunk:
    """Per chunk, the sentence rows it holds (rows are sorted, so each chunk's are a run):
    two arrays, sliced when asked, rather than an array object per chunk."""

    def __init__(self, sentence_chunk: np.ndarray, chunks: int) -> None:
        known = np.flatnonzero(sentence_chunk >= 0)
        self._order = known[np.argsort(sentence_chunk[known], kind="stable")]
        self._bounds = np.searchsorted(sentence_chunk[self._order], np.arange(chunks + 1))

    def __getitem__(self, chunk: int) -> np.ndarray:
        return self._order[self._bounds[chunk] : self._bounds[chunk + 1]]


def _top(scores: np.ndarray, k: int) -> np.ndarray:
    """Indices of the k highest scores, best first, ties in index order (as a stable sort of
    all of them would give) without sorting every chunk."""
    if k >= len(scores):
        return np.argsort(-scores, kind="stable")
    kth = np.partition(-scores, k - 1)[k - 1]
    chosen = np.flatnonzero(-scores <= kth)
    return chosen[np.argsort(-scores[chosen], kind="stable")][:k]
