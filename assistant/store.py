"""The index: a Chroma store holding documents, chunks and sentences.

`Store` is what the retriever, the finder and ingest use. `ChromaStore` implements it over
Chroma, either embedded (a folder on disk, `PersistentClient`) or a Chroma server
(`HttpClient`, chosen by the setting `chroma_url`; nothing is written locally then, and
several app processes share one index). `open_store` picks one from the settings. The fast
tests have an in-memory implementation of their own (tests/memory_store.py).

Three collections:
- `documents`: one record per document: its cleaned text (what offsets refer to),
  metadata, and the content hash of the version that is current.
- `chunks`: passages with their embeddings, for dense retrieval.
- `sentences`: every quotable sentence with its embedding, for picking answer sentences.

Beside an embedded index, in its folder: the sentence vectors as a file (VECTOR_FILE), and
the chunk table and lexical index (`tables/`, assistant/table.py), written at the end of every
ingest run, so a reader does not read every chunk or index their words at load.

Writes are ordered so an interrupted run leaves the previous index usable: a changed
document's new chunks are added under new ids, then its document record is switched to
the new version, then the old chunks are deleted. Readers only trust chunks whose
version matches the document record, so half-written versions are invisible.

The `chunks` collection records how the index was built (`signature`); a store opened
with another signature refuses to serve and says what to run. Each ingest records a new
`version` there too: a process serving the index checks it (one cheap request) and reloads
when another process has changed the index. An embedded index is not written where it is
served: ingest writes a copy of the folder and swaps it in, and the copy's `generation` file
names the build, so a process still holding the replaced folder's files sees the name change
and reopens (`version`, `_folder_client`). No Chroma object leaves this module.
"""

from __future__ import annotations

import errno
import functools
import itertools
import json
import os
import shutil
import threading
import uuid
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol, TypeVar
from urllib.parse import urlsplit

import numpy as np

from assistant.errors import ConfigError, IndexDamagedError, IndexMismatchError, IndexMissingError
from assistant.lexical import LexicalIndex
from assistant.models import Chunk, Document, DocumentMeta
from assistant.settings import Settings
from assistant.table import (
    TABLES_FOLDER,
    ChunkTable,
    built_for,
    read_tables,
    restamp_tables,
    stamp_tables,
    update_tables,
    write_tables,
)

INDEX_FORMAT = "v4"
"""Bump when cleaning, chunking or the stored metadata change what an index contains.
v4: chunks record their lines (`blocks`) for answer units; "People also ask" snippets
dropped by cleaning; documents carry source_note and verified; PDF text read by layout and
headings no longer end in a dash or colon."""


def index_signature(settings: Settings) -> dict[str, str | int]:
    """How an index is built, from settings alone (no model needs loading to check it)."""
    return {
        "format": INDEX_FORMAT,
        "embedder": settings.embedder,
        "model_path": settings.embedding_model_path,
        "chunk_max_chars": settings.chunk_max_chars,
    }


class Store(Protocol):
    """An index: what ingest writes and the retriever and finder read."""

    where: str
    """Where the index is, for messages ("the index in .index/", "the Chroma server at ...")."""

    def documents(self, texts: bool = True) -> dict[str, Document]:
        """Every document; with `texts` False the texts may be left empty (ingest compares
        only versions and paths, and the texts were most of the read)."""
        ...

    def holds(self, doc_id: str) -> bool:
        """The index has this document (one lookup, not every document read)."""
        ...

    def chunks(self, documents: dict[str, Document]) -> list[Chunk]:
        """Current chunks of the given documents, sorted by document and start."""
        ...

    def sentences(
        self, documents: dict[str, Document]
    ) -> tuple[list[tuple[str, int, int]], np.ndarray]:
        """(doc_id, start, end) of every current sentence, with their embeddings as rows."""
        ...

    def sentence_vectors(self, ids: list[str]) -> np.ndarray:
        """The embeddings of these sentences (ids as `sentence_id` makes them), one row each in
        the order given; a row of zeros for an id the index does not hold."""
        ...

    def sentence_matrix(
        self, documents: dict[str, Document]
    ) -> tuple[RowFile, dict[str, tuple[int, int]]] | None:
        """The sentence vectors' file (rows read when asked for), with, per current document,
        the row of its first sentence in it and how many it has (they follow, by offset); None
        when the index keeps no such file (a Chroma server): `sentence_vectors` reads them then."""
        ...

    def nearest_chunks(self, vector: np.ndarray, n: int) -> list[tuple[str, float]]:
        """(chunk id, cosine similarity) of the n nearest chunks, nearest first."""
        ...

    def nearest_sentences(self, vector: np.ndarray, n: int) -> list[tuple[str, float]]:
        """(sentence id, cosine similarity) of the n nearest sentences, nearest first; the id
        is IndexedDocument.sentence_id (read back with sentence_of_id)."""
        ...

    def write_documents(self, written: list[IndexedDocument], replacing: set[str]) -> None: ...

    def remove_document(self, doc_id: str) -> None:
        """Take a document out; gives the index a new version."""
        ...

    def record_corpus_hash(self, corpus_hash: str) -> None:
        """Say the index now holds this corpus; gives the index a new version."""
        ...

    def needs_upgrade(self) -> bool:
        """The index was built by an older version and a run should bring it up to date (its
        sentence vector file, its tables), though no document changed."""
        ...

    def saved_tables(
        self, documents: dict[str, Document]
    ) -> tuple[ChunkTable, LexicalIndex] | None:
        """The chunk table and lexical index ingest wrote for exactly these documents' versions
        (read, not built); None when the index keeps none (a Chroma server) or they were
        written for other versions: the reader builds them from `chunks` then."""
        ...

    def write_tables(self) -> None:
        """Write the chunk table and lexical index of the current documents beside the index
        (nothing with a Chroma server): the end of every ingest run and of a removal."""
        ...

    def version(self) -> str:
        """Changes whenever an ingest changed the index (cheap: no records are read)."""
        ...


_Method = TypeVar("_Method", bound=Callable[..., Any])


def _guard(method: _Method) -> _Method:
    """A store method whose failures come out as ChromaStore.guarded() says."""

    @functools.wraps(method)
    def guarded(self: ChromaStore, *args: Any, **kwargs: Any) -> Any:
        with self.guarded():
            return method(self, *args, **kwargs)

    return guarded  # type: ignore[return-value]


def index_problem(index_dir: Path, exc: BaseException) -> IndexDamagedError:
    reason = str(exc).strip() or type(exc).__name__
    full = "disk is full" in reason or "No space left on device" in reason
    if full or getattr(exc, "errno", None) == errno.ENOSPC:
        return IndexDamagedError(
            f"The disk that holds {index_dir}/ is full ({reason}). Free some space, then run "
            "`python -m ingest` again; documents indexed before stay as they were."
        )
    return IndexDamagedError(
        f"The index in {index_dir}/ cannot be read or written ({reason}). Run "
        "`python -m ingest --reset` to rebuild it from the documents."
    )


def server_problem(url: str, exc: BaseException) -> IndexDamagedError:
    reason = str(exc).strip() or type(exc).__name__
    return IndexDamagedError(
        f"The Chroma server at {url} did not answer as expected ({reason}). Check that it runs "
        "(`chroma run --path FOLDER --port PORT`) and that MSRA_CHROMA_URL names it, or unset "
        "MSRA_CHROMA_URL to use the index folder on this machine."
    )


def forget_open_stores() -> None:
    """Drop the stores this process has open (Chroma keeps one per folder), after an index
    folder was swapped for another: the next store opened reads the folder as it now is."""
    from chromadb.api.shared_system_client import SharedSystemClient

    with _OPENING:
        SharedSystemClient.clear_system_cache()
        _OPENED.clear()


GENERATION_FILE = "generation"
"""The file in an index folder that names its build (a new name each time ingest swaps a
folder in); none in a folder built before there were generations."""


def generation(index_dir: Path) -> str:
    """The name of the build now in the folder ("" for none)."""
    try:
        return (index_dir / GENERATION_FILE).read_text(encoding="utf-8").strip()
    except OSError:
        return ""


def stamp_generation(folder: Path) -> None:
    """Name a new build of the index folder, and of the indexes in its subfolders (the
    multilingual one in `translated/` is swapped in with it)."""
    name = uuid.uuid4().hex
    for each in [folder, *(found.parent for found in folder.glob("*/chroma.sqlite3"))]:
        (each / GENERATION_FILE).write_text(name, encoding="utf-8")


def open_store(
    settings: Settings, create: bool = False, reset: bool = False, shown_as: Path | None = None
) -> ChromaStore:
    """The index these settings name: on the Chroma server of `chroma_url` when one is set
    (collections named with `collection_prefix`), else in the folder `index_dir` (called
    `shown_as` in messages: ingest works on a copy of the index it names)."""
    signature = index_signature(settings)
    if settings.chroma_url:
        return ChromaStore(
            settings.index_dir,
            signature,
            create,
            reset,
            url=settings.chroma_url,
            prefix=settings.collection_prefix,
        )
    return ChromaStore(settings.index_dir, signature, create, reset, shown_as=shown_as)


_META_FIELDS = ("title", "publisher", "author", "updated", "language", "url", "source_note")


class ChromaStore:
    """The index in Chroma: embedded in the folder `index_dir`, or, given `url`, on a Chroma
    server (collection names then start with `prefix`, so several indexes share a server)."""

    def __init__(
        self,
        index_dir: Path,
        signature: dict[str, str | int],
        create: bool,
        reset: bool = False,
        url: str = "",
        prefix: str = "",
        shown_as: Path | None = None,
    ) -> None:
        self.index_dir = index_dir
        self.shown_dir = shown_as or index_dir
        self.url = url
        self.prefix = prefix if url else ""
        self.where = f"the Chroma server at {url}" if url else f"the index in {self.shown_dir}/"
        self.signature = {k: str(v) for k, v in signature.items()}
        if not url and not create and not (index_dir / "chroma.sqlite3").exists():
            raise IndexMissingError(
                f"No index found in {index_dir}/. Run `python -m ingest` (or `make ingest`) first."
            )
        self._vector_rows: dict[str, tuple[int, int, str]] | None = None
        self._changed: set[str] | None = None
        """Documents this store changed since it last wrote the tables (None: none yet)."""
        self._tables_in_step = False
        """The tables were those of the index when this store began changing it."""
        with self.guarded():
            self._generation = ""
            if url:
                self._client = _server_client(url)
            else:
                self._generation, self._client = _folder_client(index_dir)
            if reset:
                for name in self._names():
                    self._client.delete_collection(self._name(name))
                if not url:
                    (index_dir / VECTOR_FILE).unlink(missing_ok=True)
                    shutil.rmtree(index_dir / TABLES_FOLDER, ignore_errors=True)
            self._open(create)

    @contextmanager
    def guarded(self) -> Iterator[None]:
        """Failures of the files under the index (damaged, disk full) or of the server as a
        sentence that says what to do; our own errors pass as they are."""
        import sqlite3

        from chromadb.errors import ChromaError

        from assistant.errors import AssistantError

        try:
            yield
        except AssistantError:
            raise
        except (ChromaError, sqlite3.Error, OSError) as exc:
            if self.url:
                raise server_problem(self.url, exc) from exc
            raise index_problem(self.shown_dir, exc) from exc
        except Exception as exc:
            # Over HTTP a lost connection is an httpx error, a refused one a ValueError.
            if self.url:
                raise server_problem(self.url, exc) from exc
            raise

    def _name(self, collection: str) -> str:
        return f"{self.prefix}{collection}"

    def _names(self) -> set[str]:
        """This index's collections that exist (without the prefix)."""
        names = {c.name for c in self._client.list_collections()}
        return {n.removeprefix(self.prefix) for n in names if n.startswith(self.prefix)} & set(
            _COLLECTIONS
        )

    def _open(self, create: bool) -> None:
        names = self._names()
        if not create and "chunks" not in names:
            raise IndexMissingError(
                f"{self.where[0].upper()}{self.where[1:]} is empty. Run `python -m ingest` first."
            )
        if "chunks" in names:
            self._check_signature(self._client.get_collection(self._name("chunks")).metadata or {})
        space = {"hnsw": {"space": "cosine"}}
        meta = {"built_with": json.dumps(self.signature, sort_keys=True)}
        self._documents = self._client.get_or_create_collection(
            self._name("documents"),
            embedding_function=None,
            configuration=space,  # type: ignore[arg-type]
        )
        self._chunks = self._client.get_or_create_collection(
            self._name("chunks"),
            metadata=meta,
            embedding_function=None,
            configuration=space,  # type: ignore[arg-type]
        )
        self._sentences = self._client.get_or_create_collection(
            self._name("sentences"),
            embedding_function=None,
            configuration=space,  # type: ignore[arg-type]
        )

    def _check_signature(self, metadata: dict[str, Any]) -> None:
        built = json.loads(str(metadata.get("built_with", "{}")))
        if built != self.signature:
            differences = ", ".join(
                f"{key}: index has {built.get(key)!r}, settings want {value!r}"
                for key, value in sorted(self.signature.items())
                if built.get(key) != value
            )
            error = IndexMismatchError(
                f"{self.where[0].upper()}{self.where[1:]} was built differently ({differences}). "
                "Run `python -m ingest` to rebuild it (or `python -m ingest --reset` to start over)."
            )
            error.differences = differences
            raise error

    @_guard
    def version(self) -> str:
        """The version the last ingest recorded (one small read of the collection's record).
        Once another build of the folder was swapped in, this store reads files that are no
        longer the index: it says so with a version never seen before, every time, so whoever
        compares versions opens the index again."""
        if not self.url and generation(self.index_dir) != self._generation:
            return f"replaced {uuid.uuid4().hex}"
        metadata = self._client.get_collection(self._name("chunks")).metadata or {}
        return str(metadata.get("version", ""))

    # Reading

    @_guard
    def documents(self, texts: bool = True) -> dict[str, Document]:
        docs, rows = {}, {}
        include = ["documents", "metadatas"] if texts else ["metadatas"]
        for found in self._pages(self._documents, include):
            for doc_id, document, meta in _document_records(found):
                docs[doc_id] = document
                rows[doc_id] = _vector_rows(meta)
        self._vector_rows = rows
        return docs

    @_guard
    def holds(self, doc_id: str) -> bool:
        return bool(self._documents.get(ids=[doc_id], include=[])["ids"])

    @_guard
    def chunks(self, documents: dict[str, Document]) -> list[Chunk]:
        """Current chunks of the given documents, in document order."""
        pages = self._pages(self._chunks, ["metadatas"])
        chunks = [c for found in pages for c in _current_chunks(found, documents)]
        return sorted(chunks, key=lambda c: (c.doc_id, c.start))

    @_guard
    def sentences(
        self, documents: dict[str, Document]
    ) -> tuple[list[tuple[str, int, int]], np.ndarray]:
        """(doc_id, start, end) of every current sentence, with their embeddings as rows."""
        spans, rows = [], []
        for found in self._pages(self._sentences, ["metadatas", "embeddings"]):
            vectors = found["embeddings"] if found["embeddings"] is not None else []
            for meta, vector in zip(found["metadatas"] or [], vectors, strict=True):
                meta = dict(meta or {})
                if _is_current(meta, documents):
                    start, end = int(str(meta["start"])), int(str(meta["end"]))
                    spans.append((str(meta["doc_id"]), start, end))
                    rows.append(vector)
        matrix = np.asarray(rows, dtype=np.float32) if rows else np.zeros((0, 1), np.float32)
        return spans, matrix

    @_guard
    def sentence_vectors(self, ids: list[str]) -> np.ndarray:
        """The embeddings of these sentences, in the order given (zeros for an unknown id), in
        one request per `get_max_batch_size()` ids."""
        found: dict[str, Any] = {}
        for lo, hi in _batches(len(ids), self._client.get_max_batch_size()):
            got = self._sentences.get(ids=ids[lo:hi], include=["embeddings"])
            vectors = got["embeddings"] if got["embeddings"] is not None else []
            found.update(zip(got["ids"], vectors, strict=True))
        width = len(next(iter(found.values()))) if found else self._sentence_width()
        rows = np.zeros((len(ids), width), dtype=np.float32)
        for row, sentence in enumerate(ids):
            if sentence in found:
                rows[row] = found[sentence]
        return rows

    @_guard
    def sentence_matrix(
        self, documents: dict[str, Document]
    ) -> tuple[RowFile, dict[str, tuple[int, int]]] | None:
        """The vector file (VECTOR_FILE), opened, not read, and where each current document's
        sentences are in it (first row, count); None with a Chroma server or before the first
        write."""
        path = self.index_dir / VECTOR_FILE
        width = int(self._metadata().get("vector_width", 0))
        if self.url or not width or not path.exists() or path.stat().st_size < 4 * width:
            return None
        matrix = RowFile(path, width)
        # Where each document's rows are was read with the documents (not read again).
        if self._vector_rows is None:
            self.documents()
        first = {}
        for doc_id, (row, count, version) in (self._vector_rows or {}).items():
            document = documents.get(doc_id)
            if row >= 0 and document and document.content_hash == version:
                first[doc_id] = (row, count)
        return matrix, first

    def _sentence_width(self) -> int:
        """Length of the stored sentence vectors (1 when there are none)."""
        some = self._sentences.peek(limit=1)
        vectors = some["embeddings"] if some["embeddings"] is not None else []
        return len(vectors[0]) if len(vectors) else 1

    def _pages(self, collection: Any, include: list[str]) -> Iterator[Any]:
        """Every record of a collection, a page at a time: one `get` of all of them asks
        SQLite for a variable per record, and above 32,766 records it refuses."""
        size = self._client.get_max_batch_size()
        for offset in itertools.count(0, size):
            found = collection.get(include=include, limit=size, offset=offset)
            if not found["ids"]:
                return
            yield found
            if len(found["ids"]) < size:
                return

    @_guard
    def nearest_chunks(self, vector: np.ndarray, n: int) -> list[tuple[str, float]]:
        """(chunk id, cosine similarity) of the n nearest chunks, nearest first."""
        return self._nearest(self._chunks, vector, n)

    @_guard
    def nearest_sentences(self, vector: np.ndarray, n: int) -> list[tuple[str, float]]:
        """(sentence id, cosine similarity) of the n nearest sentences, nearest first; the id
        says which sentence it is (`sentence_of_id`), so no metadata is read (10 ms a query)."""
        return self._nearest(self._sentences, vector, n)

    def _nearest(self, collection: Any, vector: np.ndarray, n: int) -> list[tuple[str, float]]:
        # No count() first (it was 2.25 of a 2.4 ms query): Chroma answers a query for more
        # records than it holds, or on an empty collection, with what it has.
        found = collection.query(
            query_embeddings=[vector.tolist()], n_results=n, include=["distances"]
        )
        distances = (found["distances"] or [[]])[0]
        return [(rid, 1.0 - float(d)) for rid, d in zip(found["ids"][0], distances, strict=True)]

    # Writing

    @_guard
    def write_document(
        self,
        document: Document,
        chunks: list[Chunk],
        chunk_vectors: np.ndarray,
        sentence_spans: list[tuple[int, int]],
        sentence_vectors: np.ndarray,
    ) -> None:
        """One document, replacing any earlier version of it."""
        written = IndexedDocument(document, chunks, chunk_vectors, sentence_spans, sentence_vectors)
        self.write_documents([written], replacing={document.doc_id})

    @_guard
    def write_documents(self, written: list[IndexedDocument], replacing: set[str]) -> None:
        """Many documents in few large Chroma calls. `replacing` names those that had a version
        in the index before: only their old chunks are looked for and deleted (a scan of the
        collection each, so new documents are spared it). The documents being written are
        named in the index (`pending`) until the run is done with them, so that what a run
        killed halfway leaves (chunks of a version no record names, or beside a record that
        already switched) is swept by the next one (`_sweep_pending`)."""
        self._sweep_pending()
        self._changing(w.document.doc_id for w in written)
        self._record(pending=json.dumps(sorted(w.document.doc_id for w in written)))
        chunks = [(w, c) for w in written for c in w.chunks]
        self._add(
            self._chunks,
            ids=[c.chunk_id for _, c in chunks],
            vectors=_rows([w.chunk_vectors for w in written]),
            texts=[c.text for _, c in chunks],
            metas=[{**w.base(), **_chunk_record(c)} for w, c in chunks],
        )
        sentences = [(w, s, e) for w in written for s, e in w.sentence_spans]
        self._add(
            self._sentences,
            ids=[w.sentence_id(s, e) for w, s, e in sentences],
            vectors=_rows([w.sentence_vectors for w in written]),
            texts=[w.document.text[s:e] for w, s, e in sentences],
            metas=[{**w.base(), "start": s, "end": e} for w, s, e in sentences],
        )
        rows = self._append_vectors([w.sorted_sentence_vectors() for w in written])
        # Only now, with every new chunk in place, do the document records switch version.
        self._add(
            self._documents,
            ids=[w.document.doc_id for w in written],
            vectors=np.asarray([w.centroid() for w in written]),
            texts=[w.document.text for w in written],
            metas=[
                {
                    **_document_record(w.document, len(w.chunks)),
                    "vector_row": row,
                    "vector_count": len(w.sentence_spans),
                }
                for w, row in zip(written, rows, strict=True)
            ],
        )
        self._delete_stale([w.base() for w in written if w.document.doc_id in replacing])
        self._record(pending="[]")

    def _sweep_pending(self) -> None:
        """Chunks and sentences that a killed run left of the documents it named: those of
        another version than the document's record, or all of them when it has no record."""
        metadata = self._client.get_collection(self._name("chunks")).metadata or {}
        named = json.loads(str(metadata.get("pending") or "[]"))
        if not named:
            return
        found = self._documents.get(ids=named, include=["metadatas"])
        versions = {
            doc_id: str(meta["content_hash"])
            for doc_id, meta in zip(found["ids"], found["metadatas"] or [], strict=True)
        }
        self._delete_stale([{"doc_id": d, "version": v} for d, v in versions.items()])
        unrecorded = [d for d in named if d not in versions]
        if unrecorded:
            self._chunks.delete(where={"doc_id": {"$in": unrecorded}})
            self._sentences.delete(where={"doc_id": {"$in": unrecorded}})
        self._record(pending="[]")

    @_guard
    def remove_document(self, doc_id: str) -> None:
        self._sweep_pending()
        self._changing([doc_id])
        self._record(pending=json.dumps([doc_id]))
        self._documents.delete(ids=[doc_id])
        self._chunks.delete(where={"doc_id": doc_id})
        self._sentences.delete(where={"doc_id": doc_id})
        self._record(pending="[]", version=uuid.uuid4().hex)

    @_guard
    def record_corpus_hash(self, corpus_hash: str) -> None:
        # Also the end of a run that wrote nothing: what a killed one left goes now, and an
        # index built before the vector file gets it.
        self._sweep_pending()
        self._changing(())
        self._fill_vector_file()
        self._record(corpus_hash=corpus_hash, version=uuid.uuid4().hex)
        self.write_tables()

    @_guard
    def needs_upgrade(self) -> bool:
        if self.url:
            return False
        metadata = self._metadata()
        tables = built_for(self.index_dir / TABLES_FOLDER)
        return metadata.get("vector_file") != "complete" or tables.get("version") != metadata.get(
            "version"
        )

    def saved_tables(
        self, documents: dict[str, Document]
    ) -> tuple[ChunkTable, LexicalIndex] | None:
        if self.url:
            return None
        with self.guarded():
            return read_tables(self.index_dir / TABLES_FOLDER, documents)

    @_guard
    def write_tables(self) -> None:
        """The chunk table and the lexical index of the current chunks, saved in the index
        folder for the documents' versions (so a reader uses them only for those) and the
        store's version (so `needs_upgrade` knows whether they are behind). When they were
        the index's before this store changed it, only the documents it changed are read
        (their records and chunks) and the rest is taken from the tables' pieces; otherwise
        every document and chunk is read."""
        if self.url:
            return
        version = str(self._metadata().get("version", ""))
        folder = self.index_dir / TABLES_FOLDER
        if self._changed is None:  # this store changed nothing
            in_step, changed = built_for(folder).get("version") == version, set()
        else:
            in_step, changed = self._tables_in_step, self._changed
        self._changed = None
        if in_step and not changed:
            stamp_tables(folder, version)
            return
        if in_step:
            documents = self._records_of(sorted(changed))
            chunks = self._chunks_of(documents)
            if update_tables(folder, changed, documents, chunks, version):
                return
        documents = self.documents()
        if not restamp_tables(folder, documents, version):
            write_tables(folder, documents, self.chunks(documents), version)

    def _changing(self, doc_ids: Iterable[str]) -> None:
        """Note the documents about to change. At the first change since the tables were
        last written: whether they are the index's now, and a new version of the index, so
        that the tables' version says they are behind until they are written again (for
        whoever else opens the index: only this store knows which documents changed)."""
        if self.url:
            return
        if self._changed is None:
            recorded = built_for(self.index_dir / TABLES_FOLDER).get("version")
            self._tables_in_step = recorded == self._metadata().get("version", "")
            self._changed = set()
            self._record(version=uuid.uuid4().hex)
        self._changed.update(doc_ids)

    def _records_of(self, doc_ids: list[str]) -> dict[str, Document]:
        """The documents of these ids the index holds (the others are gone)."""
        documents: dict[str, Document] = {}
        for lo, hi in _batches(len(doc_ids), _STALE_PER_CALL):
            found = self._documents.get(ids=doc_ids[lo:hi], include=["documents", "metadatas"])
            documents.update((d, document) for d, document, _ in _document_records(found))
        return documents

    def _chunks_of(self, documents: dict[str, Document]) -> list[Chunk]:
        """The current chunks of these documents, sorted by document and start."""
        doc_ids, chunks = sorted(documents), []
        for lo, hi in _batches(len(doc_ids), _STALE_PER_CALL):
            found = self._chunks.get(
                where={"doc_id": {"$in": doc_ids[lo:hi]}},  # type: ignore[dict-item]
                include=["metadatas"],
            )
            chunks += _current_chunks(found, documents)
        return sorted(chunks, key=lambda c: (c.doc_id, c.start))

    def _metadata(self) -> dict[str, Any]:
        """The chunks collection's metadata as it is now (where the index's own fields are)."""
        return dict(self._client.get_collection(self._name("chunks")).metadata or {})

    def _record(self, **fields: str | int) -> None:
        """Fields in the chunks collection's metadata, kept with the others there."""
        chunks = self._client.get_collection(self._name("chunks"))
        chunks.modify(metadata={**(chunks.metadata or {}), **fields})

    def _append_vectors(self, blocks: list[np.ndarray]) -> list[int]:
        """Each block (one document's sentence vectors, by offset) appended to the vector
        file; the row where each starts (-1 with a Chroma server: nothing is kept locally).
        On disk before any record names a row, so a record's rows are always there."""
        if self.url or not any(len(b) for b in blocks):
            return [-1] * len(blocks)
        width = int(next(b for b in blocks if len(b)).shape[1])
        recorded = int(self._metadata().get("vector_width", 0))
        path = self.index_dir / VECTOR_FILE
        if recorded != width:  # the first write (an embedder change rebuilds the index)
            path.unlink(missing_ok=True)
            self._record(vector_width=width)
        with path.open("ab") as out:
            # A row half-written by a killed run is cut off, so rows stay aligned.
            out.truncate(out.tell() - out.tell() % (4 * width))
            at, starts = out.tell() // (4 * width), []
            for block in blocks:
                starts.append(at if len(block) else -1)
                out.write(np.ascontiguousarray(block, dtype="<f4").tobytes())
                at += len(block)
            out.flush()
            os.fsync(out.fileno())
        return starts

    def _fill_vector_file(self) -> None:
        """Current documents whose record names no row of the vector file (an index built
        before it) get their sentence vectors appended, read from the sentence collection.
        Done once per index: every later write names its rows."""
        if self.url or self._metadata().get("vector_file") == "complete":
            return
        missing = []
        for found in self._pages(self._documents, ["metadatas"]):
            for doc_id, meta in zip(found["ids"], found["metadatas"] or [], strict=True):
                if int(str((meta or {}).get("vector_row", -1))) < 0:
                    missing.append((doc_id, str((meta or {}).get("content_hash", ""))))
        for lo, hi in _batches(len(missing), _STALE_PER_CALL):
            versions = dict(missing[lo:hi])
            found = self._sentences.get(
                where={"doc_id": {"$in": list(versions)}},  # type: ignore[dict-item]
                include=["metadatas", "embeddings"],
            )
            spans: dict[str, list[tuple[int, int, Any]]] = {d: [] for d in versions}
            vectors = found["embeddings"] if found["embeddings"] is not None else []
            for meta, vector in zip(found["metadatas"] or [], vectors, strict=True):
                meta = dict(meta or {})
                if versions.get(str(meta["doc_id"])) == meta.get("version"):
                    spans[str(meta["doc_id"])].append(
                        (int(meta["start"]), int(meta["end"]), vector)
                    )
            ids = [d for d in versions if spans[d]]
            blocks = [
                np.asarray([v for *_, v in sorted(spans[d], key=lambda x: x[:2])]) for d in ids
            ]
            rows = self._append_vectors(blocks)
            if ids:
                self._documents.update(
                    ids=ids,
                    metadatas=[
                        {"vector_row": r, "vector_count": len(b)}
                        for r, b in zip(rows, blocks, strict=True)
                    ],
                )
        self._record(vector_file="complete")

    def _delete_stale(self, current: list[dict[str, str]]) -> None:
        """Chunks and sentences of these documents whose version is not the current one,
        in one delete per collection for up to _STALE_PER_CALL documents."""
        for lo, hi in _batches(len(current), _STALE_PER_CALL):
            clauses = [
                {"$and": [{"doc_id": c["doc_id"]}, {"version": {"$ne": c["version"]}}]}
                for c in current[lo:hi]
            ]
            stale = clauses[0] if len(clauses) == 1 else {"$or": clauses}
            self._chunks.delete(where=stale)  # type: ignore[arg-type]
            self._sentences.delete(where=stale)  # type: ignore[arg-type]

    def _add(
        self,
        collection: Any,
        ids: list[str],
        vectors: np.ndarray,
        texts: list[str],
        metas: list[dict[str, Any]],
    ) -> None:
        for lo, hi in _batches(len(ids), self._client.get_max_batch_size()):
            collection.upsert(
                ids=ids[lo:hi],
                embeddings=vectors[lo:hi].tolist(),
                documents=texts[lo:hi],
                metadatas=metas[lo:hi],
            )


_COLLECTIONS = ("documents", "chunks", "sentences")

VECTOR_FILE = "sentence_vectors.f32"
"""In an index folder: every sentence vector written, float32 rows, appended per write; a
document's record names the row where its sentences start (`vector_row`). Read by row
(`RowFile`) by the retriever instead of copied (assistant/vectors.py). Rows of replaced
documents stay until `--reset`."""


class RowFile:
    """The rows of the vector file, read when asked for with `os.pread`, a run of adjacent
    rows (a chunk's sentences) in one read. Not memory-mapped: the pages a mapping touched
    counted in the process's memory (RSS), growing with every question up to the whole file
    (580 MB at 95,000 chunks); read this way they are the system's file cache, and a
    question's rows cost one read per chunk it scores."""

    def __init__(self, path: Path, width: int) -> None:
        self._file = os.open(path, os.O_RDONLY)
        self.width = width
        self._row_bytes = 4 * width
        self._rows = os.fstat(self._file).st_size // self._row_bytes

    def __len__(self) -> int:
        return self._rows

    def __getitem__(self, rows: Any) -> np.ndarray:
        if np.ndim(rows) == 0:
            return self[[int(rows)]][0]
        wanted = np.asarray(rows, dtype=np.int64).ravel()
        if len(wanted) and (wanted.min() < 0 or wanted.max() >= self._rows):
            raise IndexError(f"rows outside the vector file's {self._rows}")
        distinct = np.unique(wanted)
        read = np.empty((len(distinct), self.width), dtype=np.float32)
        runs = np.split(distinct, np.flatnonzero(np.diff(distinct) != 1) + 1)
        at = 0
        for run in (r for r in runs if len(r)):
            data = os.pread(self._file, len(run) * self._row_bytes, int(run[0]) * self._row_bytes)
            read[at : at + len(run)] = np.frombuffer(data, dtype="<f4").reshape(-1, self.width)
            at += len(run)
        return read[np.searchsorted(distinct, wanted)]

    def __del__(self) -> None:
        with suppress(OSError, AttributeError):
            os.close(self._file)


_STALE_PER_CALL = 200
"""Documents whose stale chunks one delete looks for (each adds a few SQL variables)."""


_OPENED: dict[str, str] = {}
"""Index folder -> the generation it had when this process's Chroma opened it."""
_OPENING = threading.Lock()
"""Chroma's cache of open folders is changed by one thread at a time."""


def _folder_client(index_dir: Path) -> tuple[str, Any]:
    """(the folder's generation, a Chroma client reading that build of it). Chroma keeps one
    instance per folder name in a process; one opened on a build that was swapped out since
    would go on reading the old files, so it is dropped and the folder opened anew."""
    import chromadb
    from chromadb.config import Settings as ChromaSettings

    index_dir.mkdir(parents=True, exist_ok=True)
    key = str(index_dir)
    with _OPENING:
        for _ in range(3):
            seen = generation(index_dir)
            if _OPENED.get(key, seen) != seen:
                _drop(key)  # clients made on the old build keep their own reference to it
            _OPENED[key] = seen
            client = chromadb.PersistentClient(
                path=key, settings=ChromaSettings(anonymized_telemetry=False, allow_reset=True)
            )
            if generation(index_dir) == seen:  # no swap while it opened
                break
    return seen, client


def close_folder(folder: Path) -> None:
    """Close what this process has open of the indexes in `folder` (a copy ingest wrote, before
    it is swapped in or thrown away): its files are released and a later folder of that
    name is opened anew. Stores opened there cannot be used afterwards."""
    prefix = str(folder)
    with _OPENING:
        for key in list(_OPENED):
            if key == prefix or key.startswith(prefix + os.sep):
                system = _drop(key)
                if system is not None:
                    system.stop()


def _drop(key: str) -> Any:
    """Take the folder `key` out of Chroma's cache of open folders; its instance, if any."""
    from chromadb.api.shared_system_client import SharedSystemClient

    _OPENED.pop(key, None)
    SharedSystemClient._identifier_to_refcount.pop(key, None)
    return SharedSystemClient._identifier_to_system.pop(key, None)


def _server_client(url: str) -> Any:
    import chromadb
    from chromadb.config import Settings as ChromaSettings

    parts = urlsplit(url if "//" in url else f"http://{url}")
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ConfigError(
            f"MSRA_CHROMA_URL={url!r} is not a server address; give one like http://127.0.0.1:8000."
        )
    ssl = parts.scheme == "https"
    return chromadb.HttpClient(
        host=parts.hostname,
        port=parts.port or (443 if ssl else 8000),
        ssl=ssl,
        settings=ChromaSettings(anonymized_telemetry=False),
    )


@dataclass(frozen=True)
class IndexedDocument:
    """A document with its chunks and sentences and their embeddings, ready to be written."""

    document: Document
    chunks: list[Chunk]
    chunk_vectors: np.ndarray
    sentence_spans: list[tuple[int, int]]
    sentence_vectors: np.ndarray

    def base(self) -> dict[str, str]:
        return {"doc_id": self.document.doc_id, "version": self.document.content_hash}

    def sentence_id(self, start: int, end: int) -> str:
        return sentence_id(self.document.doc_id, self.document.content_hash, start, end)

    def sorted_sentence_vectors(self) -> np.ndarray:
        """The sentence vectors in the order of their offsets (as the vector file holds them)."""
        order = sorted(range(len(self.sentence_spans)), key=self.sentence_spans.__getitem__)
        return self.sentence_vectors[order] if order else self.sentence_vectors

    def centroid(self) -> np.ndarray:
        vectors = self.chunk_vectors
        centroid = vectors.mean(axis=0) if len(vectors) else np.zeros(1)
        return centroid / (float(np.linalg.norm(centroid)) or 1.0)


def sentence_id(doc_id: str, content_hash: str, start: int, end: int) -> str:
    """The id of a sentence of this version of a document in the `sentences` collection."""
    return f"{doc_id}:{content_hash[:10]}:s{start}-{end}"


def sentence_of_id(sentence_id: str) -> tuple[str, str, int, int]:
    """(doc_id, start of the version hash, start, end) of a sentence id (IndexedDocument)."""
    doc_id, version, span = sentence_id.rsplit(":", 2)
    start, end = span.removeprefix("s").split("-")
    return doc_id, version, int(start), int(end)


def _rows(blocks: list[np.ndarray]) -> np.ndarray:
    """The row vectors of several arrays as one (width from the first that has rows)."""
    filled = [b for b in blocks if len(b)]
    return np.concatenate(filled) if filled else np.zeros((0, 1), dtype=np.float32)


def _batches(total: int, size: int) -> Iterator[tuple[int, int]]:
    for lo in range(0, total, size):
        yield lo, min(lo + size, total)


def _is_current(meta: dict[str, Any], documents: dict[str, Document]) -> bool:
    document = documents.get(str(meta.get("doc_id")))
    return document is not None and document.content_hash == meta.get("version")


def _chunk_record(chunk: Chunk) -> dict[str, Any]:
    return {
        "start": chunk.start,
        "end": chunk.end,
        "section": chunk.section,
        "page": chunk.page if chunk.page is not None else -1,
        "sentences": json.dumps(chunk.sentences),
        "blocks": json.dumps(chunk.blocks),
    }


def _document_records(found: Any) -> Iterator[tuple[str, Document, dict[str, Any]]]:
    """(doc_id, document, its record's metadata) of a `get` of document records."""
    texts = found["documents"] or [""] * len(found["ids"])  # not read: empty
    for doc_id, text, meta in zip(found["ids"], texts, found["metadatas"] or [], strict=True):
        meta = dict(meta or {})
        yield doc_id, _document_from_record(doc_id, text or "", meta), meta


def _current_chunks(found: Any, documents: dict[str, Document]) -> list[Chunk]:
    """The chunks of a `get` of chunk records that are of these documents' versions. A
    chunk's text is its document's text from start to end: not read a second time."""
    return [
        _chunk_from_record(cid, documents[str(meta["doc_id"])].text, dict(meta))
        for cid, meta in zip(found["ids"], found["metadatas"] or [], strict=True)
        if meta and _is_current(dict(meta), documents)
    ]


def _vector_rows(meta: dict[str, Any]) -> tuple[int, int, str]:
    """(first row in the vector file, how many, version) a document record names."""
    row, count = int(str(meta.get("vector_row", -1))), int(str(meta.get("vector_count", 0)))
    return row, count, str(meta.get("content_hash", ""))


def _chunk_from_record(chunk_id: str, document_text: str, meta: dict[str, Any]) -> Chunk:
    page = int(meta.get("page", -1))
    start, end = int(meta["start"]), int(meta["end"])
    return Chunk(
        chunk_id=chunk_id,
        doc_id=str(meta["doc_id"]),
        start=start,
        end=end,
        text=document_text[start:end],
        section=str(meta.get("section", "")),
        sentences=tuple((int(s), int(e)) for s, e in json.loads(str(meta.get("sentences", "[]")))),
        page=page if page >= 0 else None,
        blocks=tuple(
            (int(s), int(e), str(k)) for s, e, k in json.loads(str(meta.get("blocks", "[]")))
        ),
    )


def _document_record(document: Document, chunk_count: int) -> dict[str, Any]:
    # Every field is written, "" for none: Chroma's upsert merges metadata, so a field
    # left out would keep its old value after someone clears it.
    record: dict[str, Any] = {key: getattr(document.meta, key) or "" for key in _META_FIELDS}
    record.update(
        verified=document.meta.verified,
        source_path=document.source_path,
        content_hash=document.content_hash,
        page_starts=json.dumps(document.page_starts),
        chunk_count=chunk_count,
    )
    return record


def _document_from_record(doc_id: str, text: str, meta: dict[str, Any]) -> Document:
    fields = {key: (str(meta[key]) if meta.get(key) else None) for key in _META_FIELDS}
    return Document(
        meta=DocumentMeta(
            doc_id=doc_id,
            title=fields["title"] or doc_id,
            publisher=fields["publisher"],
            author=fields["author"],
            updated=fields["updated"],
            language=fields["language"] or "en",
            url=fields["url"],
            source_note=fields["source_note"],
            verified=bool(meta.get("verified", True)),
        ),
        text=text,
        source_path=str(meta.get("source_path", "")),
        content_hash=str(meta.get("content_hash", "")),
        page_starts=tuple(json.loads(str(meta.get("page_starts", "[]")))),
    )
