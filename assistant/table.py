"""The sentence table: every indexed sentence as (doc_id, start, end), sorted, in three arrays.

The retriever numbers sentences by their row here (answer units, the vector file and Find
refer to rows). A row reads as a tuple, and the table is a sequence sorted by
(doc_id, start, end), so `bisect` finds a sentence or a document's first row in it. Held as
numpy arrays, not a list of tuples: at 570,000 sentences that is 7 MB instead of about 95 MB,
and it is built from the chunks' own sentence lists in a second instead of several.

Deliberately not here: what a row's vector is (vectors.py) or which chunk holds it
(retrieve.py).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import overload

import numpy as np

from assistant.models import Chunk


class SentenceTable(Sequence[tuple[str, int, int]]):
    """Rows (doc_id, start, end), sorted, from the documents `doc_ids` (sorted) and, per row,
    the number of its document in it and its offsets."""

    def __init__(
        self, doc_ids: list[str], doc: np.ndarray, start: np.ndarray, end: np.ndarray
    ) -> None:
        self.doc_ids = doc_ids
        self.doc = doc
        self.start = start
        self.end = end

    @classmethod
    def of_chunks(cls, chunks: Sequence[Chunk]) -> SentenceTable:
        """The distinct sentences the chunks record (a sentence two chunks share, once)."""
        doc_ids = sorted({c.doc_id for c in chunks})
        number = {doc_id: i for i, doc_id in enumerate(doc_ids)}
        rows = np.array(
            [(number[c.doc_id], s, e) for c in chunks for s, e in c.sentences], dtype=np.int64
        ).reshape(-1, 3)
        rows = np.unique(rows, axis=0) if len(rows) else rows
        return cls(
            doc_ids,
            rows[:, 0].astype(np.int32),
            rows[:, 1].astype(np.int32),
            rows[:, 2].astype(np.int32),
        )

    def __len__(self) -> int:
        return len(self.doc)

    @overload
    def __getitem__(self, row: int) -> tuple[str, int, int]: ...

    @overload
    def __getitem__(self, row: slice) -> list[tuple[str, int, int]]: ...

    def __getitem__(self, row: int | slice) -> tuple[str, int, int] | list[tuple[str, int, int]]:
        if isinstance(row, slice):
            return [self[r] for r in range(*row.indices(len(self)))]
        return self.doc_ids[self.doc[row]], int(self.start[row]), int(self.end[row])

    def __iter__(self) -> Iterator[tuple[str, int, int]]:
        for row in range(len(self)):
            yield self[row]

    def runs(self) -> Iterator[tuple[str, int, int]]:
        """(doc_id, first row, row after the last) of each document's run of rows."""
        bounds = np.flatnonzero(np.diff(self.doc)) + 1
        firsts = np.concatenate([[0], bounds]).astype(int) if len(self) else np.zeros(0, int)
        ends = np.concatenate([bounds, [len(self)]]).astype(int) if len(self) else firsts
        for first, end in zip(firsts, ends, strict=True):
            yield self.doc_ids[self.doc[first]], int(first), int(end)
