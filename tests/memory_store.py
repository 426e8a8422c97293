"""An in-memory `Store` for the fast tests: dictionaries and an exact cosine search.

It keeps the rules of the real store that readers rely on (only chunks whose version is the
document's current one are served; a new ingest gives a new version) and nothing else: no
files, no batching, no signature check.
"""

from __future__ import annotations

import uuid

import numpy as np

from assistant.models import Chunk, Document
from assistant.store import IndexedDocument


class MemoryStore:
    def __init__(self) -> None:
        self.where = "the in-memory index"
        self._documents: dict[str, Document] = {}
        self._chunks: dict[str, tuple[Chunk, str, np.ndarray]] = {}
        """chunk id -> (chunk, version, vector)"""
        self._sentences: dict[tuple[str, str, int, int], np.ndarray] = {}
        """(doc_id, version, start, end) -> vector"""
        self._version = ""

    def documents(self, texts: bool = True) -> dict[str, Document]:
        return dict(self._documents)

    def holds(self, doc_id: str) -> bool:
        return doc_id in self._documents

    def chunks(self, documents: dict[str, Document]) -> list[Chunk]:
        current = [
            c for c, version, _ in self._chunks.values() if _current(c.doc_id, version, documents)
        ]
        return sorted(current, key=lambda c: (c.doc_id, c.start))

    def sentences(
        self, documents: dict[str, Document]
    ) -> tuple[list[tuple[str, int, int]], np.ndarray]:
        kept = [
            (key, v) for key, v in self._sentences.items() if _current(key[0], key[1], documents)
        ]
        spans = [(doc_id, start, end) for (doc_id, _, start, end), _ in kept]
        rows = [vector for _, vector in kept]
        matrix = np.asarray(rows, dtype=np.float32) if rows else np.zeros((0, 1), np.float32)
        return spans, matrix

    def sentence_vectors(self, ids: list[str]) -> np.ndarray:
        width = len(next(iter(self._sentences.values()))) if self._sentences else 1
        by_id = {
            f"{doc_id}:{version[:10]}:s{start}-{end}": v
            for (doc_id, version, start, end), v in self._sentences.items()
        }
        rows = np.zeros((len(ids), width), dtype=np.float32)
        for row, each in enumerate(ids):
            if each in by_id:
                rows[row] = by_id[each]
        return rows

    def sentence_matrix(self, documents: dict[str, Document]) -> None:
        return None  # no file: the vectors are read by id (sentence_vectors)

    def nearest_chunks(self, vector: np.ndarray, n: int) -> list[tuple[str, float]]:
        return _nearest({cid: v for cid, (_, _, v) in self._chunks.items()}, vector, n)

    def nearest_sentences(self, vector: np.ndarray, n: int) -> list[tuple[str, float]]:
        rows = {
            f"{doc_id}:{version[:10]}:s{start}-{end}": v
            for (doc_id, version, start, end), v in self._sentences.items()
        }
        return _nearest(rows, vector, n)

    def write_documents(self, written: list[IndexedDocument], replacing: set[str]) -> None:
        for each in written:
            document, version = each.document, each.document.content_hash
            for chunk, vector in zip(each.chunks, each.chunk_vectors, strict=True):
                self._chunks[chunk.chunk_id] = (chunk, version, np.asarray(vector, np.float32))
            for (start, end), vector in zip(
                each.sentence_spans, each.sentence_vectors, strict=True
            ):
                self._sentences[(document.doc_id, version, start, end)] = np.asarray(vector)
            self._documents[document.doc_id] = document
            self._drop(document.doc_id, keep=version)

    def write_document(
        self,
        document: Document,
        chunks: list[Chunk],
        chunk_vectors: np.ndarray,
        sentence_spans: list[tuple[int, int]],
        sentence_vectors: np.ndarray,
    ) -> None:
        written = IndexedDocument(document, chunks, chunk_vectors, sentence_spans, sentence_vectors)
        self.write_documents([written], replacing={document.doc_id})

    def remove_document(self, doc_id: str) -> None:
        self._documents.pop(doc_id, None)
        self._drop(doc_id, keep=None)
        self._version = uuid.uuid4().hex

    def record_corpus_hash(self, corpus_hash: str) -> None:
        self._version = uuid.uuid4().hex

    def version(self) -> str:
        return self._version

    def needs_upgrade(self) -> bool:
        return False

    def saved_tables(self, documents: dict[str, Document]) -> None:
        return None  # no folder: the retriever builds its tables from the chunks

    def write_tables(self) -> None:
        pass

    def _drop(self, doc_id: str, keep: str | None) -> None:
        for cid, (chunk, version, _) in list(self._chunks.items()):
            if chunk.doc_id == doc_id and version != keep:
                del self._chunks[cid]
        for key in [k for k in self._sentences if k[0] == doc_id and k[1] != keep]:
            del self._sentences[key]


def _nearest(rows: dict[str, np.ndarray], vector: np.ndarray, n: int) -> list[tuple[str, float]]:
    """Exact cosine search over all rows, nearest first."""
    if not rows:
        return []
    ids = list(rows)
    matrix = np.stack([rows[i] for i in ids])
    norms = np.linalg.norm(matrix, axis=1) * (float(np.linalg.norm(vector)) or 1.0)
    similarity = matrix @ vector / np.where(norms > 0, norms, 1.0)
    order = np.argsort(-similarity, kind="stable")[:n]
    return [(ids[i], float(similarity[i])) for i in order]


def _current(doc_id: str, version: str, documents: dict[str, Document]) -> bool:
    document = documents.get(doc_id)
    return document is not None and document.content_hash == version
