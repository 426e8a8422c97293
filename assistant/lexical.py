"""The lexical index of an index's chunks: BM25 over their stemmed words, and per word the
chunks that hold it and how rare it is (word coverage reads those).

Built in memory from the chunks, or, for an index in a folder, written there by ingest with
the chunk table (table.py, `write_tables`) and memory-mapped at load: stemming every chunk
and building BM25 was a third of the load time at 95,000 chunks (10 s), and the postings a
second copy of what BM25 already holds. The postings are read from BM25's own inverted index
(a sparse matrix by word: which chunks, what score), so there is one structure, not two.

Deliberately not here: how scores are fused (retrieve.py).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
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
        import bm25s

        bm25 = bm25s.BM25()
        bm25.index([content_terms(c.embedding_text()) for c in chunks], show_progress=False)
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


def _idf(count: int, size: int) -> float:
    return math.log(1 + (size - count + 0.5) / (count + 0.5))
