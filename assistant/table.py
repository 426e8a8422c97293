"""The retriever's tables of an index, compact: its sentences and its chunks as arrays.

The sentence table: every indexed sentence as (doc_id, start, end), sorted, in three arrays.

The retriever numbers sentences by their row here (answer units, the vector file and Find
refer to rows). A row reads as a tuple, and the table is a sequence sorted by
(doc_id, start, end), so `bisect` finds a sentence or a document's first row in it. Held as
numpy arrays, not a list of tuples: at 570,000 sentences that is 7 MB instead of about 95 MB,
and it is built from the chunks' own sentence lists in a second instead of several.

The chunk table: the chunks as arrays, a `Chunk` made when asked for. For an index in a
folder both it and the lexical index (lexical.py) are written there by ingest
(`write_tables`) and read at load (`read_tables`), for exactly the documents they were
written for; otherwise (a Chroma server, an index from before them) they are built from the
store's chunks.

Beside them ingest keeps what they are made of (`_Pieces`: per chunk its row of the chunk
table and its words' counts, per document the version they are of), so that a run that
changed a few documents reads and stems only those documents' chunks (`update_tables`) and
makes the tables again from the pieces, the same tables a full build makes: at 95,000
chunks a full build (every chunk read from Chroma and stemmed) took 20-28 s per run.

Deliberately not here: what a row's vector is (vectors.py) or which chunk holds it
(retrieve.py).
"""

from __future__ import annotations

import hashlib
import json
import shutil
import uuid
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import overload

import numpy as np

from assistant.lexical import LexicalIndex, TermCounts
from assistant.models import Chunk, Document


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
        if isinstance(chunks, ChunkTable):
            doc_ids, rows = chunks.doc_ids, chunks.sentence_rows()
        else:
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


class ChunkTable(Sequence[Chunk]):
    """The chunks, sorted by document and start, as arrays: a chunk is made when asked for
    (its text sliced from its document's then), not held. At 95,000 chunks the chunks as
    objects held about 200 MB (their texts a second copy of the documents')."""

    def __init__(
        self,
        arrays: dict[str, np.ndarray],
        names: dict[str, list[str]],
        documents: Mapping[str, Document],
    ) -> None:
        self._arrays = arrays
        self.ids = names["ids"]
        self._doc_ids = names["doc_ids"]
        self._sections = names["sections"]
        self._kinds = names["kinds"]
        self._documents = documents
        self._doc = arrays["doc"].tolist()
        self._start = arrays["start"].tolist()
        self._end = arrays["end"].tolist()

    @classmethod
    def of_chunks(cls, chunks: Sequence[Chunk], documents: Mapping[str, Document]) -> ChunkTable:
        doc_ids = sorted({c.doc_id for c in chunks})
        sections = sorted({c.section for c in chunks})
        kinds = sorted({kind for c in chunks for _, _, kind in c.blocks})
        number, section, kind = (
            {name: i for i, name in enumerate(names)} for names in (doc_ids, sections, kinds)
        )
        arrays = {
            "doc": np.array([number[c.doc_id] for c in chunks], dtype=np.int32),
            "start": np.array([c.start for c in chunks], dtype=np.int32),
            "end": np.array([c.end for c in chunks], dtype=np.int32),
            "page": np.array([-1 if c.page is None else c.page for c in chunks], dtype=np.int32),
            "section": np.array([section[c.section] for c in chunks], dtype=np.int32),
            "sentence_at": _bounds([len(c.sentences) for c in chunks]),
            "sentences": np.array(
                [span for c in chunks for span in c.sentences], dtype=np.int32
            ).reshape(-1, 2),
            "block_at": _bounds([len(c.blocks) for c in chunks]),
            "blocks": np.array(
                [(s, e) for c in chunks for s, e, _ in c.blocks], dtype=np.int32
            ).reshape(-1, 2),
            "block_kind": np.array(
                [kind[k] for c in chunks for _, _, k in c.blocks], dtype=np.int8
            ),
        }
        names = {
            "ids": [c.chunk_id for c in chunks],
            "doc_ids": doc_ids,
            "sections": sections,
            "kinds": kinds,
        }
        return cls(arrays, names, documents)

    def __len__(self) -> int:
        return len(self.ids)

    @overload
    def __getitem__(self, index: int) -> Chunk: ...

    @overload
    def __getitem__(self, index: slice) -> list[Chunk]: ...

    def __getitem__(self, index: int | slice) -> Chunk | list[Chunk]:
        if isinstance(index, slice):
            return [self[i] for i in range(*index.indices(len(self)))]
        if index < 0:
            index += len(self)
        a = self._arrays
        doc_id = self._doc_ids[self._doc[index]]
        start, end = self._start[index], self._end[index]
        first, last = a["sentence_at"][index], a["sentence_at"][index + 1]
        sentences = tuple((s, e) for s, e in a["sentences"][first:last].tolist())
        first, last = a["block_at"][index], a["block_at"][index + 1]
        kinds = a["block_kind"][first:last].tolist()
        blocks = tuple(
            (s, e, self._kinds[k])
            for (s, e), k in zip(a["blocks"][first:last].tolist(), kinds, strict=True)
        )
        page = int(a["page"][index])
        return Chunk(
            chunk_id=self.ids[index],
            doc_id=doc_id,
            start=start,
            end=end,
            text=self._documents[doc_id].text[start:end],
            section=self._sections[int(a["section"][index])],
            sentences=sentences,
            page=page if page >= 0 else None,
            blocks=blocks,
        )

    def __iter__(self) -> Iterator[Chunk]:
        for index in range(len(self)):
            yield self[index]

    def column(self, name: str) -> np.ndarray:
        """Per chunk: "doc" (number in `doc_ids`), "start" or "end"."""
        return self._arrays[name].astype(np.int64)

    def doc_id(self, index: int) -> str:
        return self._doc_ids[self._doc[index]]

    def span(self, index: int) -> tuple[int, int]:
        return self._start[index], self._end[index]

    def headings(self) -> set[str]:
        """Every chunk's section and the text of every heading line (what answer units sit
        under), without making the chunks."""
        found = set(self._sections)
        if "heading" in self._kinds:
            a = self._arrays
            rows = np.flatnonzero(a["block_kind"] == self._kinds.index("heading"))
            owners = np.searchsorted(a["block_at"], rows, side="right") - 1
            for row, owner in zip(rows.tolist(), owners.tolist(), strict=True):
                start, end = a["blocks"][row].tolist()
                found.add(self._documents[self.doc_id(owner)].text[start:end].strip())
        return found - {""}

    def sentence_rows(self) -> np.ndarray:
        """(document number in `doc_ids`, start, end) of every chunk's sentences."""
        a = self._arrays
        owners = np.repeat(np.arange(len(self)), np.diff(a["sentence_at"]))
        return np.column_stack([a["doc"][owners], a["sentences"]]).astype(np.int64)

    @property
    def doc_ids(self) -> list[str]:
        return self._doc_ids

    def names(self) -> dict[str, list[str]]:
        """The names the arrays number: chunk ids, documents, sections, kinds of line."""
        return {
            "ids": self.ids,
            "doc_ids": self._doc_ids,
            "sections": self._sections,
            "kinds": self._kinds,
        }

    def arrays(self) -> dict[str, np.ndarray]:
        return dict(self._arrays)

    def save(self, folder: Path) -> None:
        np.savez(folder / _CHUNK_ARRAYS, **self._arrays)  # type: ignore[arg-type]
        (folder / _CHUNK_NAMES).write_text(json.dumps(self.names()), encoding="utf-8")

    @classmethod
    def load(cls, folder: Path, documents: Mapping[str, Document]) -> ChunkTable:
        with np.load(folder / _CHUNK_ARRAYS) as saved:
            arrays = {name: saved[name] for name in saved.files}
        names = json.loads((folder / _CHUNK_NAMES).read_text(encoding="utf-8"))
        return cls(arrays, names, documents)


def _bounds(counts: list[int]) -> np.ndarray:
    return np.concatenate([[0], np.cumsum(counts, dtype=np.int64)]).astype(np.int64)


TABLES_FOLDER = "tables"
"""In an index folder: the chunk table and the lexical index, written by ingest (the store's
`write_tables`) for the documents as they were then, and read at load instead of reading
every chunk from Chroma and indexing their words again (two thirds of the load time at
95,000 chunks). Used only for exactly those documents' versions (`built.json`). Ingest's
pieces (`_Pieces`) are kept there too; a folder written before them has none, and the next
run that changes a document builds them all."""
_BUILT = "built.json"
_CHUNK_ARRAYS = "chunks.npz"
_CHUNK_NAMES = "chunks.json"
_LEXICAL = "bm25"
_TERM_ARRAYS = "terms.npz"
_TERM_NAMES = "terms.json"


def documents_key(documents: Mapping[str, Document]) -> str:
    """A name for a set of documents' versions: the chunks of an index are those of exactly
    these versions (chunking settings are part of the index's signature)."""
    return _versions_key({doc_id: d.content_hash for doc_id, d in documents.items()})


def _versions_key(versions: Mapping[str, str]) -> str:
    digest = hashlib.sha256()
    for doc_id in sorted(versions):
        digest.update(f"{doc_id}:{versions[doc_id]}\n".encode())
    return digest.hexdigest()


def built_for(folder: Path) -> dict[str, str]:
    """What the tables in `folder` were written for ({} when there are none)."""
    try:
        return dict(json.loads((folder / _BUILT).read_text(encoding="utf-8")))
    except (OSError, ValueError):
        return {}


def write_tables(
    folder: Path, documents: Mapping[str, Document], chunks: Sequence[Chunk], version: str
) -> None:
    """Write the chunk table and the lexical index of `chunks` (the current chunks of
    `documents`) into `folder`, replacing what is there, saying for which documents and
    which version of the store. An index without chunks gets only that record."""
    versions = {doc_id: d.content_hash for doc_id, d in documents.items()}
    _write(folder, _Pieces.of_chunks(chunks, versions), version)


def update_tables(
    folder: Path,
    changed: set[str],
    documents: Mapping[str, Document],
    chunks: Sequence[Chunk],
    version: str,
) -> bool:
    """Write the tables of `folder` again for the documents `changed` since they were written:
    those still in the index (`documents`, their current version) with their current
    `chunks`, the others gone; the other documents' pieces are taken from the folder, not
    read or stemmed again. The same tables as `write_tables` over all the current chunks.
    False, with nothing written, when the folder keeps no pieces (written before them)."""
    kept = _Pieces.load(folder)
    if kept is None:
        return False
    versions = {doc_id: d.content_hash for doc_id, d in documents.items()}
    fresh = _Pieces.of_chunks(chunks, versions)
    _write(folder, _Pieces.joined(kept.of_documents(set(kept.versions) - changed), fresh), version)
    return True


def _write(folder: Path, pieces: _Pieces, version: str) -> None:
    """The pieces and the tables made of them written into a new folder put in the place of
    `folder` (a reader never sees half of them)."""
    building = folder.with_name(f"{folder.name}.{uuid.uuid4().hex[:8]}")
    building.mkdir(parents=True)
    if len(pieces):
        pieces.save(building)
        LexicalIndex.of_counts(pieces.term_counts()).save(building / _LEXICAL)
    built = {"documents": _versions_key(pieces.versions), "version": version}
    (building / _BUILT).write_text(json.dumps(built), encoding="utf-8")
    shutil.rmtree(folder, ignore_errors=True)
    building.rename(folder)


def restamp_tables(folder: Path, documents: Mapping[str, Document], version: str) -> bool:
    """Say the tables in `folder` hold the store's `version` too, when they were written for
    exactly these documents (a run that changed no document need not write them again);
    False when they were not (they are to be written)."""
    if built_for(folder).get("documents") != documents_key(documents):
        return False
    stamp_tables(folder, version)
    return True


def stamp_tables(folder: Path, version: str) -> None:
    """Say the tables in `folder` hold the store's `version` too (it changed no document)."""
    built = built_for(folder)
    if built:
        (folder / _BUILT).write_text(json.dumps({**built, "version": version}), encoding="utf-8")


def read_tables(
    folder: Path, documents: Mapping[str, Document]
) -> tuple[ChunkTable, LexicalIndex] | None:
    """The chunk table and the lexical index (memory-mapped) written for exactly these
    documents; None when there are none or they were written for others."""
    if built_for(folder).get("documents") != documents_key(documents):
        return None
    if not (folder / _CHUNK_ARRAYS).exists():
        return None
    return ChunkTable.load(folder, documents), LexicalIndex.load(folder / _LEXICAL)


_RUNS = {
    "sentence_at": ("sentences",),
    "block_at": ("blocks", "block_kind"),
    "term_at": ("term", "count"),
}
"""Arrays of bounds (a run per chunk) and the arrays whose rows they bound."""
_TERM_ARRAYS_KEYS = ("term_at", "term", "count")
_NUMBERS = {"doc": "doc_ids", "section": "sections", "block_kind": "kinds", "term": "terms"}
"""Arrays of numbers into a list of names."""


@dataclass
class _Pieces:
    """What the tables are made of: per chunk (sorted by document and start) the chunk
    table's arrays and its words' counts (`term_at`, `term`, `count`), the names they number
    (`ids`, `doc_ids`, `sections`, `kinds`, `terms`: each sorted but `ids`), and per document
    of the index the version they are of (documents without chunks too)."""

    arrays: dict[str, np.ndarray]
    names: dict[str, list[str]]
    versions: dict[str, str]

    @classmethod
    def of_chunks(cls, chunks: Sequence[Chunk], versions: dict[str, str]) -> _Pieces:
        table, counts = ChunkTable.of_chunks(chunks, {}), TermCounts.of_chunks(chunks)
        arrays = {**table.arrays(), "term_at": counts.at, "term": counts.term}
        return cls(
            {**arrays, "count": counts.count},
            {**table.names(), "terms": counts.vocabulary},
            versions,
        )

    def __len__(self) -> int:
        return len(self.names["ids"])

    def of_documents(self, doc_ids: set[str]) -> _Pieces:
        """The chunks of these documents."""
        wanted = np.array([d in doc_ids for d in self.names["doc_ids"]], dtype=bool)
        rows = np.flatnonzero(wanted[self.arrays["doc"]]) if len(wanted) else np.zeros(0, int)
        kept = self._rows(rows)
        kept.versions = {d: v for d, v in self.versions.items() if d in doc_ids}
        return kept

    @classmethod
    def joined(cls, first: _Pieces, second: _Pieces) -> _Pieces:
        """The chunks of both (of different documents), in order, numbered by names that are
        those used (as `of_chunks` numbers them)."""
        names = {
            key: sorted(set(first.names[key]) | set(second.names[key])) for key in _NUMBERS.values()
        }
        parts = [part._numbered_by(names) for part in (first, second)]
        arrays = {}
        for key in parts[0]:
            if key in _RUNS:
                sizes = np.concatenate([np.diff(part[key]) for part in parts])
                arrays[key] = np.concatenate([[0], np.cumsum(sizes)]).astype(np.int64)
            else:
                arrays[key] = np.concatenate([part[key] for part in parts])
        for key, name in _NUMBERS.items():  # only the names used, numbered in their order
            used = np.bincount(arrays[key], minlength=len(names[name])) > 0
            renumber = np.cumsum(used) - 1
            arrays[key] = renumber[arrays[key]].astype(first.arrays[key].dtype)
            names[name] = [names[name][i] for i in np.flatnonzero(used).tolist()]
        names["ids"] = first.names["ids"] + second.names["ids"]
        both = cls(arrays, names, {**first.versions, **second.versions})
        return both._rows(np.lexsort((arrays["start"], arrays["doc"])))

    def _numbered_by(self, names: dict[str, list[str]]) -> dict[str, np.ndarray]:
        """The arrays, with numbers into `names` (which hold this part's names)."""
        arrays = dict(self.arrays)
        for key, name in _NUMBERS.items():
            number = {value: i for i, value in enumerate(names[name])}
            to = np.array([number[value] for value in self.names[name]], dtype=np.int64)
            arrays[key] = to[arrays[key]] if len(to) else arrays[key].astype(np.int64)
        return arrays

    def _rows(self, rows: np.ndarray) -> _Pieces:
        """These chunks, in this order (the names kept whole)."""
        arrays = {}
        for key, array in self.arrays.items():
            if key in _RUNS:
                sizes = np.diff(array)[rows]
                picked = _runs(array[rows], sizes)
                arrays[key] = np.concatenate([[0], np.cumsum(sizes)]).astype(np.int64)
                for member in _RUNS[key]:
                    arrays[member] = self.arrays[member][picked]
            elif not any(key in members for members in _RUNS.values()):
                arrays[key] = array[rows]
        ids = self.names["ids"]
        names = {**self.names, "ids": [ids[i] for i in rows.tolist()]}
        return _Pieces(arrays, names, self.versions)

    def term_counts(self) -> TermCounts:
        a = self.arrays
        return TermCounts(a["term_at"], a["term"], a["count"], self.names["terms"])

    def save(self, folder: Path) -> None:
        table = {key: a for key, a in self.arrays.items() if key not in _TERM_ARRAYS_KEYS}
        names = {key: n for key, n in self.names.items() if key != "terms"}
        ChunkTable(table, names, {}).save(folder)
        terms = {key: self.arrays[key] for key in _TERM_ARRAYS_KEYS}
        np.savez(folder / _TERM_ARRAYS, **terms)  # type: ignore[arg-type]
        kept = {"terms": self.names["terms"], "versions": self.versions}
        (folder / _TERM_NAMES).write_text(json.dumps(kept), encoding="utf-8")

    @classmethod
    def load(cls, folder: Path) -> _Pieces | None:
        """The pieces kept in `folder`; None when it keeps none."""
        try:
            with np.load(folder / _CHUNK_ARRAYS) as chunks, np.load(folder / _TERM_ARRAYS) as terms:
                arrays = {name: chunks[name] for name in chunks.files}
                arrays.update({name: terms[name] for name in terms.files})
            names = json.loads((folder / _CHUNK_NAMES).read_text(encoding="utf-8"))
            saved = json.loads((folder / _TERM_NAMES).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None
        return cls(arrays, {**names, "terms": saved["terms"]}, saved["versions"])


def _runs(firsts: np.ndarray, sizes: np.ndarray) -> np.ndarray:
    """The positions first, first + 1, ... of each run (`sizes` long), one run after another."""
    ends = np.cumsum(sizes)
    return np.repeat(firsts - (ends - sizes), sizes) + np.arange(int(ends[-1]) if len(ends) else 0)
