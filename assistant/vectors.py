"""Sentence vectors for the rows a question reads, not copied into memory at load.

The retriever numbers the index's sentences (the rows of its sentence table, sorted by
document and offset). `SentenceVectors` gives the vectors of some rows. In an index folder
they come from the vector file ingest writes (store.VECTOR_FILE), read with pread
(store.RowFile): nothing is read at load, and a question reads only its candidates' rows,
which then count in the system's file cache, not in the process's memory. With a Chroma server (nothing
is kept locally), or for a document the file does not hold yet, they are read from the store
by id, in one request per call, and the last few thousand are kept, since the reader and Find
read again rows that dense scoring just read.

Measured at 9,527 chunks (evals/bench_vectors.py, the three ways taking turns on each
question, busy machine): retrieval and reading took p50 8.2 / p95 29.8 ms with every vector
copied into memory (10.5 s of load to copy them), 63 / 153 ms reading them from Chroma by id
(about 23 ms per 1,000 ids), 11.8 / 39.8 ms memory-mapped (nothing at load). Read with
pread instead of a memory map (at 95,000 chunks, README), a question costs the same and the
process no longer grows with every row read.

Deliberately not here: which rows a question reads (retrieve.py decides that).
"""

from __future__ import annotations

import itertools
import threading
from collections.abc import Iterator, Mapping, Sequence
from typing import Any, Protocol

import numpy as np

from assistant.models import Document
from assistant.store import RowFile, Store, sentence_id
from assistant.table import SentenceTable

CACHED_ROWS = 8192
"""Rows kept after a read (about 12 MB at 384 dimensions): a few questions' candidates."""


class VectorRows(Protocol):
    """What the reader needs of sentence vectors: the rows asked for, as a matrix."""

    def __getitem__(self, rows: Any) -> np.ndarray: ...

    def __len__(self) -> int: ...


class SentenceVectors:
    """The vectors of the sentences `spans` ((doc_id, start, end) per row) in `store`, for
    the versions of the documents in `documents`; zeros for a sentence the store lacks."""

    def __init__(
        self,
        store: Store,
        spans: Sequence[tuple[str, int, int]],
        documents: Mapping[str, Document],
        cached: int = CACHED_ROWS,
    ) -> None:
        self._store = store
        self._spans = spans
        self._documents = documents
        self._cached = cached
        self._rows: dict[int, np.ndarray] = {}
        self._lock = threading.Lock()  # the app answers questions from several threads
        self._matrix: RowFile | None = None
        self._in_file = np.zeros(0, dtype=np.int64)
        mapped = store.sentence_matrix(dict(documents))
        if mapped is not None:
            self._matrix, where = mapped
            self._in_file = _file_rows(spans, where, len(self._matrix))

    def __len__(self) -> int:
        return len(self._spans)

    def __getitem__(self, rows: Any) -> np.ndarray:
        wanted = np.asarray(rows, dtype=np.int64).ravel()
        if len(wanted) == 0:
            return self._store.sentence_vectors([])
        if self._matrix is not None:
            at = self._in_file[wanted]
            if (at >= 0).all():
                return np.asarray(self._matrix[at], dtype=np.float32)
        return self._read([int(r) for r in wanted])

    def _read(self, wanted: list[int]) -> np.ndarray:
        """From the file what it holds, the rest from the store (kept for the next calls)."""
        have: dict[int, np.ndarray] = {}
        if self._matrix is not None:
            have = {r: self._matrix[self._in_file[r]] for r in wanted if self._in_file[r] >= 0}
        with self._lock:
            have |= {r: self._rows[r] for r in wanted if r in self._rows and r not in have}
        missing = [r for r in dict.fromkeys(wanted) if r not in have]
        if missing:
            read = self._store.sentence_vectors([self._id(r) for r in missing])
            have.update(zip(missing, read, strict=True))
            self._keep(dict(zip(missing, read, strict=True)))
        return np.stack([np.asarray(have[r], dtype=np.float32) for r in wanted])

    def _id(self, row: int) -> str:
        doc_id, start, end = self._spans[row]
        document = self._documents.get(doc_id)
        return sentence_id(doc_id, document.content_hash if document else "", start, end)

    def _keep(self, read: dict[int, np.ndarray]) -> None:
        with self._lock:
            self._rows.update(read)
            # Oldest out first (a dict keeps the order rows were read in).
            excess = max(len(self._rows) - self._cached, 0)
            for row in list(itertools.islice(self._rows, excess)):
                del self._rows[row]


def _file_rows(
    spans: Sequence[tuple[str, int, int]], where: Mapping[str, tuple[int, int]], size: int
) -> np.ndarray:
    """Per row of the sentence table, its row in the vector file (-1: not there). A
    document's sentences are a run of the table and of the file, in the same order; a run
    of another length than the file's is not trusted (read from the store instead)."""
    at = np.full(len(spans), -1, dtype=np.int64)
    for doc_id, row, end in _runs(spans):
        start, count = where.get(doc_id, (-1, 0))
        if start >= 0 and count == end - row and start + count <= size:
            at[row:end] = np.arange(start, start + end - row)
    return at


def _runs(spans: Sequence[tuple[str, int, int]]) -> Iterator[tuple[str, int, int]]:
    """(doc_id, first row, row after the last) of each document's run of rows."""
    if isinstance(spans, SentenceTable):
        yield from spans.runs()
        return
    row = 0
    while row < len(spans):
        doc_id = spans[row][0]
        end = row
        while end < len(spans) and spans[end][0] == doc_id:
            end += 1
        yield doc_id, row, end
        row = end
