"""The peer baseline: the standard LangChain retrieval recipe, run on the same cases.

RecursiveCharacterTextSplitter(chunk_size=1000, chunk_overlap=200) over the same cleaned
documents the assistant indexed -> the same all-MiniLM-L6-v2 model -> an in-memory Chroma
vector store -> `similarity_search(question, k=5)` -> the top chunk is the answer, cited
whole. What a user would otherwise build in twenty lines.

It deliberately has no abstention, no safety routing and no conversation handling (a
follow-up is searched on its own words), because the recipe has none. It answers in our
own dataclasses (`Answer`, `Match`), so the same scoring code runs on it; no LangChain or
Chroma object leaves this module. Nothing is downloaded: the model is the packaged one.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Sequence

import chromadb.config
from langchain_chroma import Chroma
from langchain_core.documents import Document as LCDocument
from langchain_core.embeddings import Embeddings
from langchain_text_splitters import RecursiveCharacterTextSplitter

from assistant.embedding import Embedder, MiniLMEmbedder
from assistant.models import Answer, Chunk, Citation, Document, Match, Passage, Turn

CHUNK_SIZE = 1000
CHUNK_OVERLAP = 200
TOP_K = 5


class EmbedderEmbeddings(Embeddings):
    """LangChain's `Embeddings` over one of our embedders (the packaged MiniLM by default).

    Used instead of langchain-huggingface, which would pin another huggingface_hub; the
    model and its vectors are the same (all-MiniLM-L6-v2 already ends in a normalising layer).
    """

    def __init__(self, embedder: Embedder | None = None) -> None:
        self._embedder = embedder or MiniLMEmbedder()

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        return self._embedder.embed_passages(list(texts)).tolist()

    def embed_query(self, text: str) -> list[float]:
        return self._embedder.embed_query(text).tolist()


def split_documents(documents: dict[str, Document]) -> list[LCDocument]:
    splitter = RecursiveCharacterTextSplitter(
        chunk_size=CHUNK_SIZE, chunk_overlap=CHUNK_OVERLAP, add_start_index=True
    )
    ordered = sorted(documents.values(), key=lambda d: d.doc_id)
    return splitter.create_documents(
        [d.text for d in ordered],
        metadatas=[{"doc_id": d.doc_id, "title": d.meta.title} for d in ordered],
    )


class LangChainBaseline:
    """Answers with the top chunk of a plain similarity search; never abstains or routes."""

    name = "langchain"

    def __init__(self, documents: dict[str, Document], embeddings: Embeddings | None = None):
        self.documents = documents
        self.chunks = split_documents(documents)
        self._store = Chroma.from_documents(
            self.chunks,
            embeddings or EmbedderEmbeddings(),
            collection_name=f"baseline-{uuid.uuid4().hex[:8]}",
            client_settings=chromadb.config.Settings(anonymized_telemetry=False),
        )

    def search(self, text: str, k: int = TOP_K) -> list[tuple[Chunk, float]]:
        """The k nearest chunks with their cosine similarity (Chroma returns squared L2
        distance, and the vectors are unit length)."""
        found = self._store.similarity_search_with_score(text, k=k)
        return [(_as_chunk(d, n), 1.0 - distance / 2) for n, (d, distance) in enumerate(found)]

    def ask(self, question: str, history: Sequence[Turn] = ()) -> Answer:
        started = time.perf_counter()
        found = self.search(question)
        retrieved = tuple(Passage(c, self._title(c), score, dense=score) for c, score in found)
        citations = tuple(self._cite(c) for c, _ in found[:1])
        answer = f"{found[0][0].text} [1]" if found else ""
        total = (time.perf_counter() - started) * 1000
        timings = {"retrieve": total, "answer": 0.0, "total": total}
        return Answer(question, "answered", answer, citations, retrieved, timings, question)

    def find(self, text: str, k: int = TOP_K) -> list[Match]:
        return [
            Match(c.doc_id, self._title(c), c.text, c.start, c.end, score)
            for c, score in self.search(text, k)
        ]

    def _title(self, chunk: Chunk) -> str:
        return self.documents[chunk.doc_id].meta.title

    def _cite(self, chunk: Chunk) -> Citation:
        meta = self.documents[chunk.doc_id].meta
        return Citation(
            1, chunk.doc_id, meta.title, chunk.text, chunk.start, chunk.end,
            meta.publisher, meta.url, meta.updated,
        )  # fmt: skip


def _as_chunk(document: LCDocument, rank: int) -> Chunk:
    start = int(document.metadata["start_index"])
    doc_id = str(document.metadata["doc_id"])
    text = document.page_content
    return Chunk(f"{doc_id}:{start}:{rank}", doc_id, start, start + len(text), text)
