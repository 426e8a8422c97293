"""The index at sizes beyond the sample corpus (issue 17): an index of any size loads, ingest
writes in batches, parses each file once for both indexes, and the refusal stays short."""

from __future__ import annotations

import hashlib

import pytest
from conftest import copy_corpus, fast_settings, ingest

from assistant.build import build_assistant
from assistant.embedding import HashEmbedder
from assistant.models import Chunk, Document, DocumentMeta
from assistant.store import ChromaStore, index_signature

SQLITE_VARIABLES = 32_766


def _big_document(sentences: int, per_chunk: int = 60) -> tuple[Document, list[Chunk]]:
    """One document of many short sentences, chunked by hand (the chunker would take minutes)."""
    lines = [f"Note {n} says a cooling vest can ease heat in summer." for n in range(sentences)]
    text = " ".join(lines)
    spans, start = [], 0
    for line in lines:
        spans.append((start, start + len(line)))
        start += len(line) + 1
    content_hash = hashlib.sha256(text.encode()).hexdigest()
    document = Document(
        meta=DocumentMeta(doc_id="big-notes", title="Many notes"),
        text=text,
        source_path="",
        content_hash=content_hash,
    )
    chunks = []
    for index, lo in enumerate(range(0, sentences, per_chunk)):
        group = spans[lo : lo + per_chunk]
        begin, end = group[0][0], group[-1][1]
        chunks.append(
            Chunk(
                chunk_id=f"big-notes:{content_hash[:10]}:{index:04d}",
                doc_id="big-notes",
                start=begin,
                end=end,
                text=text[begin:end],
                sentences=tuple(group),
                blocks=((begin, end, "paragraph"),),
            )
        )
    return document, chunks


@pytest.mark.real  # about 30 s: 33,000 sentences written to Chroma
def test_an_index_with_more_sentences_than_sqlite_variables_loads_and_answers(tmp_path):
    corpus = copy_corpus(tmp_path / "corpus")
    settings = fast_settings(corpus, tmp_path / "index")
    assert len(ingest([corpus], settings).added) == 5
    document, chunks = _big_document(SQLITE_VARIABLES + 500)
    spans = sorted({span for chunk in chunks for span in chunk.sentences})
    embedder = HashEmbedder()
    store = ChromaStore(settings.index_dir, index_signature(settings), create=False)
    store.write_document(
        document,
        chunks,
        embedder.embed_passages([c.embedding_text() for c in chunks]),
        spans,
        embedder.embed_passages([document.text[s:e] for s, e in spans]),
    )
    assistant = build_assistant(settings)
    assert len(assistant.documents) == 6
    assert len(assistant.retriever.chunks) > len(chunks)
    answer = assistant.ask("What does an occupational therapist do?")
    assert answer.status == "answered"
    assert answer.citations
