"""The lexical index of an index's chunks: BM25 over their stemmed words, and per word the
chunks that hold it and how rare it is (word coverage reads those).

Built in memory from the chunks, or, for an index in a folder, written there at the end of
every ingest run (`LEXICAL_FOLDER`, by the store, in the copy of the folder that is swapped
in) and memory-mapped at load: stemming every chunk and building BM25 was a third of the load
time at 95,000 chunks (10 s), and the postings a second copy of what BM25 already holds. The
postings are read from BM25's own inverted index (a sparse matrix by word: which chunks,
what score), so there is one structure, not two.

A file is used only for the very chunk list it was built from (their ids, in order, are
hashed into `key`); any other list builds the index in memory, which is always correct.

Deliberately not here: how scores are fused (retrieve.py).
"""

from __future__ import annotations

import hashlib
import json
import math
import shutil
import uuid
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from assistant.models import Chunk
from assistant.text import content_terms

LEXICAL_FOLDER = "lexical"
"""In an index folder: the BM25 index of its chunks (bm25s's files) and `built.json`."""
_BUILT = "built.json"
_PARAMS = "params.index.json"
"""One of the files bm25s writes (there is none for an index without chunks)."""


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

    @classmethod
    def load(cls, folder: Path, key: str) -> LexicalIndex | None:
        """The index saved in `folder` for the chunk list `key` names, memory-mapped; None
        when there is none or it was built for other chunks."""
        import bm25s

        if built_for(folder).get("key") != key or not (folder / _PARAMS).exists():
            return None
        return cls(bm25s.BM25.load(str(folder), mmap=True, show_progress=False))


def write(folder: Path, chunks: Sequence[Chunk], version: str) -> None:
    """Build the index of `chunks` and write it into `folder` (replacing one there), saying
    which chunks (`chunks_key`) and which version of the store it was built for. An index
    with no chunks gets only that record (there is nothing to search)."""
    building = folder.with_name(f"{folder.name}.{uuid.uuid4().hex[:8]}")
    if chunks:
        LexicalIndex.build(chunks)._bm25.save(str(building), show_progress=False)
    building.mkdir(parents=True, exist_ok=True)
    built = {"key": chunks_key(chunks), "version": version}
    (building / _BUILT).write_text(json.dumps(built), encoding="utf-8")
    shutil.rmtree(folder, ignore_errors=True)
    building.rename(folder)


def built_for(folder: Path) -> dict[str, str]:
    """What the index saved in `folder` was built for ({} when there is none)."""
    try:
        return dict(json.loads((folder / _BUILT).read_text(encoding="utf-8")))
    except (OSError, ValueError):
        return {}


def chunks_key(chunks: Sequence[Chunk]) -> str:
    """A name for a chunk list: the hash of their ids, in order."""
    digest = hashlib.sha256()
    for chunk in chunks:
        digest.update(chunk.chunk_id.encode())
        digest.update(b"\n")
    return digest.hexdigest()


def _idf(count: int, size: int) -> float:
    return math.log(1 + (size - count + 0.5) / (count + 0.5))
