"""The lexical index of an index's chunks: BM25 over their stemmed words, and per word the
chunks that hold it and how rare it is (word coverage reads those).

Built from the chunks' term counts (`TermCounts`: per chunk, its stemmed words and how often
each occurs), in memory, or, for an index in a folder, written there by ingest with the chunk
table (table.py, `write_tables`) and memory-mapped at load: stemming every chunk and building
BM25 was a third of the load time at 95,000 chunks (10 s), and the postings a second copy of
what BM25 already holds. The postings are read from BM25's own inverted index (a sparse matrix
by word: which chunks, what score), so there is one structure, not two.

BM25 is computed here from the counts, with numpy, exactly as bm25s computes it from the
words (the same float32 scores: tests/test_lexical.py compares them), not by bm25s's own
`index`: ingest keeps the counts of every chunk beside the tables, so a run stems only the
chunks of the documents it changed, and the whole matrix is rebuilt from the counts in well
under a second at 95,000 chunks (BM25's statistics, the average length and each word's
rarity, are global: every score can change with one document, so the matrix is recomputed,
the stemming is not).

Deliberately not here: how scores are fused (retrieve.py).
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from assistant.models import Chunk
from assistant.text import content_terms


class LexicalIndex:
    """BM25 over the chunks (by position in the list it was built from), with per word the
    chunks holding it and its inverse document frequency."""

    def __init__(self, bm25: Any) -> None:
        self._bm25 = bm25
        self._vocabulary: dict[str, int] = bm25.vocab_dict
        self._indptr = bm25.scores["indptr"]
        self._indices = bm25.scores["indices"]
        self.size = int(bm25.scores["num_docs"])
        counts = np.diff(np.asarray(self._indptr, dtype=np.int64))
        known = counts[counts > 0]
        self.max_idf = float(_idf(int(known.min()), self.size)) if len(known) else 1.0

    @classmethod
    def build(cls, chunks: Sequence[Chunk]) -> LexicalIndex:
        return cls.of_counts(TermCounts.of_chunks(chunks))

    @classmethod
    def of_counts(cls, counts: TermCounts) -> LexicalIndex:
        """BM25 (bm25s's defaults: Lucene's formula, k1 1.5, b 0.75, float32 scores) of the
        chunks whose words `counts` holds, the numbers bm25s's `index` gives for them."""
        import bm25s

        bm25 = bm25s.BM25()
        size, vocabulary = len(counts), counts.vocabulary
        rows = np.repeat(np.arange(size, dtype=np.int32), np.diff(counts.at))
        lengths = counts.lengths()
        average = lengths.mean() if size else 1.0  # as bm25s: a float64 mean of the lengths
        holding = np.bincount(counts.term, minlength=len(vocabulary))
        # Each word's rarity by Python's math.log, cast to float32, as bm25s does.
        seen, which = np.unique(holding, return_inverse=True)
        rarity = np.array([_idf(int(n), size) if n else 0.0 for n in seen], dtype=np.float32)
        frequency = counts.count.astype(np.float32)
        saturation = frequency / (
            bm25.k1 * ((1 - bm25.b) + bm25.b * lengths[rows] / average) + frequency
        )
        scores = (rarity[which][counts.term] * saturation).astype(np.float32)
        # bm25s's CSC order: by word, then chunk (the rows are in chunk order: a stable sort)
        by_word = np.argsort(counts.term, kind="stable")
        bm25.scores = {
            "data": scores[by_word],
            "indices": rows[by_word],
            "indptr": np.concatenate([[0], np.cumsum(holding)]).astype(np.int64),
            "num_docs": size,
        }
        bm25.vocab_dict = {term: i for i, term in enumerate(vocabulary)}
        bm25.vocab_dict[""] = len(vocabulary)  # bm25s's empty word, after the others
        bm25.unique_token_ids_set = set(bm25.vocab_dict.values())
        bm25.nonoccurrence_array = None
        return cls(bm25)

    def scores(self, terms: list[str]) -> np.ndarray:
        """BM25 score of every chunk for these words (zeros when none is known)."""
        known = [t for t in terms if t in self._vocabulary]
        if not known:
            return np.zeros(self.size, dtype=np.float32)
        return np.asarray(self._bm25.get_scores(known), dtype=np.float32)

    def holders(self, term: str) -> np.ndarray:
        """Positions of the chunks that hold the word (none for an unknown word)."""
        column = self._vocabulary.get(term)
        if column is None:
            return np.zeros(0, dtype=np.int64)
        return np.asarray(self._indices[self._indptr[column] : self._indptr[column + 1]])

    def __contains__(self, term: object) -> bool:
        return term in self._vocabulary and term != ""

    def idf(self, term: str) -> float | None:
        """How rare the word is among the chunks; None for a word no chunk holds."""
        count = len(self.holders(term))
        return _idf(count, self.size) if count else None

    def save(self, folder: Path) -> None:
        """Write the index into `folder` (bm25s's files)."""
        self._bm25.save(str(folder), show_progress=False)

    @classmethod
    def load(cls, folder: Path) -> LexicalIndex:
        """The index saved in `folder`, memory-mapped (its pages are read when searched)."""
        import bm25s

        return cls(bm25s.BM25.load(str(folder), mmap=True, show_progress=False))


@dataclass
class TermCounts:
    """Per chunk (by position), its stemmed words and how often each occurs in it: the words
    of chunk i are `term[at[i]:at[i + 1]]` (numbers in `vocabulary`, sorted), with their
    counts in `count`."""

    at: np.ndarray
    term: np.ndarray
    count: np.ndarray
    vocabulary: list[str]

    @classmethod
    def of_chunks(cls, chunks: Sequence[Chunk]) -> TermCounts:
        bags = [Counter(content_terms(c.embedding_text())) for c in chunks]
        vocabulary = sorted(set().union(*bags))
        number = {term: i for i, term in enumerate(vocabulary)}
        sizes = np.fromiter((len(bag) for bag in bags), dtype=np.int64, count=len(bags))
        return cls(
            at=np.concatenate([[0], np.cumsum(sizes)]).astype(np.int64),
            term=np.fromiter((number[t] for bag in bags for t in bag), dtype=np.int32),
            count=np.fromiter((n for bag in bags for n in bag.values()), dtype=np.int32),
            vocabulary=vocabulary,
        )

    def __len__(self) -> int:
        return len(self.at) - 1

    def lengths(self) -> np.ndarray:
        """How many words (repeats counted) each chunk has."""
        total = np.concatenate([[0], np.cumsum(self.count, dtype=np.int64)])
        return total[self.at[1:]] - total[self.at[:-1]]


def _idf(count: int, size: int) -> float:
    return math.log(1 + (size - count + 0.5) / (count + 0.5))
