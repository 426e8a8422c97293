"""The index at sizes beyond the sample corpus (issue 17): an index of any size loads, ingest
writes in batches, parses each file once for both indexes, and the refusal stays short."""

from __future__ import annotations

import hashlib
from collections import Counter

import pytest
from conftest import copy_corpus, fast_settings, ingest

from assistant.build import build_assistant
from assistant.core import covered_titles
from assistant.embedding import HashEmbedder
from assistant.errors import IndexDamagedError
from assistant.messages import message
from assistant.models import Chunk, Document, DocumentMeta
from assistant.settings import Settings
from assistant.store import ChromaStore, IndexedDocument, forget_open_stores, index_signature
from evals.metrics import flesch_kincaid_grade
from ingest import pipeline
from ingest.chunking import chunk_document
from ingest.corpus import build_document, read_entries
from ingest.pipeline import run_ingest_all

SQLITE_VARIABLES = 32_766
OT_ID = "above-ms-occupational-therapy"
OLD = "Coverage for OT services varies by plan."
NEW = "Coverage for OT services was rewritten for this test."


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


# Issue 14: nothing per sentence is copied into memory at load


def test_loading_and_answering_read_no_sentence_record_from_chroma(tmp_path, monkeypatch):
    """The sentence table comes from the chunks and the vectors from the memory-mapped file:
    neither the start nor a question reads the sentence collection's records (a copy of every
    vector took most of the load time and doubled what Chroma already holds in memory)."""
    corpus = copy_corpus(tmp_path / "corpus")
    settings = fast_settings(corpus, tmp_path / "index")
    assert len(ingest([corpus], settings).added) == 5
    read: list[str] = []
    monkeypatch.setattr(ChromaStore, "sentences", lambda self, docs: read.append("every"))
    by_id = ChromaStore.sentence_vectors
    monkeypatch.setattr(
        ChromaStore, "sentence_vectors", lambda self, ids: read.extend(ids) or by_id(self, ids)
    )
    assistant = build_assistant(settings)
    answer = assistant.ask("Does insurance cover occupational therapy?")
    assert answer.status == "answered"
    assert answer.citations[0].doc_id == OT_ID
    assert assistant.find(OLD)[0].doc_id == OT_ID
    assert read == []


# Items 2 and 3: writes batched across documents, stale chunks looked for only where there
# were old ones, each file parsed and chunked once for both indexes


def _stored_versions(settings, doc_id: str) -> set[str]:
    """Versions of a document's chunks and sentences in the store, current or not."""
    forget_open_stores()
    store = ChromaStore(settings.index_dir, index_signature(settings), create=False)
    found = [
        collection.get(where={"doc_id": doc_id}, include=["metadatas"])
        for collection in (store._chunks, store._sentences)
    ]
    return {str(meta["version"]) for each in found for meta in each["metadatas"] or []}


def test_new_documents_skip_the_stale_scan_and_a_changed_one_loses_its_old_chunks(
    tmp_path, monkeypatch
):
    corpus = copy_corpus(tmp_path / "corpus")
    settings = fast_settings(corpus, tmp_path / "index")
    looked_for: list[list[str]] = []
    delete_stale = ChromaStore._delete_stale

    def spy(self, current):
        looked_for.append([c["doc_id"] for c in current])
        return delete_stale(self, current)

    monkeypatch.setattr(ChromaStore, "_delete_stale", spy)
    assert len(ingest([corpus], settings).added) == 5
    assert looked_for == [[]]
    old = _stored_versions(settings, OT_ID)
    path = corpus / f"{OT_ID}.txt"
    path.write_text(path.read_text(encoding="utf-8").replace(OLD, NEW), encoding="utf-8")
    looked_for.clear()
    assert ingest([corpus], settings).updated == [OT_ID]
    assert looked_for == [[OT_ID]]
    new = _stored_versions(settings, OT_ID)
    assert len(old) == len(new) == 1
    assert old != new
    assert NEW in build_assistant(settings).source(OT_ID).text


def test_both_indexes_get_each_file_parsed_once_and_written_in_one_batch(tmp_path, monkeypatch):
    corpus = copy_corpus(tmp_path / "corpus")
    settings = fast_settings(corpus, tmp_path / "index", translated_embedder="hash-second")
    parsed, chunked, writes = Counter(), Counter(), Counter()
    build, chunk = pipeline.build_document, pipeline.chunk_document
    write = ChromaStore.write_documents

    def building(path, *args):
        parsed[path.name] += 1
        return build(path, *args)

    def chunking(document, *args):
        chunked[document.doc_id] += 1
        return chunk(document, *args)

    def writing(self, written, replacing):
        writes[self.shown_dir.name] += 1  # the index the run's copy replaces
        return write(self, written, replacing)

    monkeypatch.setattr(pipeline, "build_document", building)
    monkeypatch.setattr(pipeline, "chunk_document", chunking)
    monkeypatch.setattr(ChromaStore, "write_documents", writing)
    reports = run_ingest_all([corpus], settings, lambda s: HashEmbedder(), progress=lambda m: None)
    assert [len(r.added) for r in reports] == [5, 5]
    assert set(parsed.values()) == set(chunked.values()) == {1}
    assert len(chunked) == 5
    assert writes == {"index": 1, "translated": 1}
    lanes = (settings, settings.translated())
    chunks = []
    for each in lanes:
        forget_open_stores()
        store = ChromaStore(each.index_dir, index_signature(each), create=False)
        chunks.append([(c.chunk_id, c.text) for c in store.chunks(store.documents())])
    assert chunks[0] == chunks[1]
    assert len(chunks[0]) > 5


# Item 5: the refusal names a few documents, not the catalogue


def _documents(count: int) -> list[Document]:
    return [
        Document(
            meta=DocumentMeta(doc_id=f"d{n}", title=f"Walking aid guide {n}"),
            text="Canes help. " * (n + 1),
            source_path="",
            content_hash=str(n),
        )
        for n in range(count)
    ]


@pytest.mark.parametrize("language", ["en", "es", "fr", "de", "pt"])
def test_the_refusal_at_a_thousand_documents_names_five_and_counts_the_rest(language):
    topics = covered_titles(_documents(1_165), language)
    largest = [f"Walking aid guide {n}" for n in range(1_160, 1_165)]
    assert topics.split(". ")[0].split("; ") == largest
    assert "1160" in topics.split(". ")[1]
    refusal = message("abstain", language, topics=topics)
    assert len(refusal) < 700
    assert "Walking aid guide 1159" not in refusal


def test_the_refusal_over_a_small_library_names_every_document():
    topics = covered_titles(_documents(3), "en")
    assert topics == "Walking aid guide 0; Walking aid guide 1; Walking aid guide 2"


def test_the_english_refusal_reads_at_grade_8_or_below():
    refusal = message("abstain", "en", topics=covered_titles(_documents(1_165), "en"))
    assert flesch_kincaid_grade(refusal, "en") <= 8.0


def test_the_assistant_refuses_naming_its_documents(fast_assistant):
    answer = fast_assistant.ask("Who won the 2018 FIFA World Cup?")
    assert answer.status == "abstained"
    titles = sorted({d.meta.title for d in fast_assistant.documents.values()}, key=str.casefold)
    assert len(titles) == 5
    assert answer.answer == message("abstain", "en", topics="; ".join(titles))


def _written(path) -> IndexedDocument:
    """A file as ingest writes it, embedded with the hash embedder."""
    document = build_document(path, read_entries(path.parent).get(path.name))
    chunks = chunk_document(document, Settings().chunk_max_chars)
    spans = sorted({span for chunk in chunks for span in chunk.sentences})
    embed = HashEmbedder().embed_passages
    return IndexedDocument(
        document,
        chunks,
        embed([c.embedding_text() for c in chunks]),
        spans,
        embed([document.text[s:e] for s, e in spans]),
    )


def _fail_at(monkeypatch, step: str) -> None:
    """Make the write stop at `step` ("documents": before records switch version; "stale":
    before old chunks are deleted), as a killed run would."""
    add, delete_stale = ChromaStore._add, ChromaStore._delete_stale

    def adding(self, collection, *args, **kwargs):
        if step == "documents" and collection is self._documents:
            raise OSError("stopped before the document records switch")
        return add(self, collection, *args, **kwargs)

    def deleting(self, current):
        if step == "stale" and current:
            raise OSError("stopped before old chunks are deleted")
        return delete_stale(self, current)

    monkeypatch.setattr(ChromaStore, "_add", adding)
    monkeypatch.setattr(ChromaStore, "_delete_stale", deleting)


@pytest.mark.parametrize(("step", "served"), [("documents", OLD), ("stale", NEW)])
def test_a_batch_cut_short_leaves_one_whole_version_of_each_document(
    tmp_path, monkeypatch, step, served
):
    corpus = copy_corpus(tmp_path / "corpus")
    settings = fast_settings(corpus, tmp_path / "index")
    assert len(ingest([corpus], settings).added) == 5
    path = corpus / f"{OT_ID}.txt"
    path.write_text(path.read_text(encoding="utf-8").replace(OLD, NEW), encoding="utf-8")
    (corpus / "new.txt").write_text("Walking aids such as canes help people keep moving.\n")
    _fail_at(monkeypatch, step)
    # Written in place, as a run against a Chroma server writes (an embedded run writes a
    # copy that is thrown away if it fails, see test_index_swap.py).
    store = ChromaStore(settings.index_dir, index_signature(settings), create=False)
    with pytest.raises(IndexDamagedError):
        store.write_documents([_written(path), _written(corpus / "new.txt")], {OT_ID})
    monkeypatch.undo()
    assert len(_stored_versions(settings, OT_ID)) == 2  # new chunks written, old ones kept
    assistant = build_assistant(settings)
    assert served in assistant.source(OT_ID).text
    chunks = [c for c in assistant.retriever.chunks if c.doc_id == OT_ID]
    assert chunks
    assert any(served in c.text for c in chunks)
    assert len({c.chunk_id.split(":")[1] for c in chunks}) == 1
    assert ingest([corpus], settings).failed == []
    assert NEW in build_assistant(settings).source(OT_ID).text
