"""The chunk table and the lexical index (BM25 and word postings) written beside an embedded
index at ingest and read at load (the lexical index memory-mapped): they give the same chunks
and search as tables built from the store's chunks in memory, follow every change of the index
(re-ingest, removal, the copy swapped in), are written for an index from before them, and are
used only for the very documents' versions they were written for. The compact sentence table
reads like the list of tuples it replaced."""

from __future__ import annotations

import bisect
import dataclasses
import math
import shutil

import numpy as np
import pytest
from conftest import copy_corpus, fast_settings, ingest
from memory_store import MemoryStore
from test_store import indexed

from assistant.build import build_embedder
from assistant.retrieve import Retriever
from assistant.settings import Settings
from assistant.store import open_store
from assistant.table import TABLES_FOLDER, ChunkTable, SentenceTable, built_for, documents_key
from assistant.text import content_terms
from ingest.pipeline import remove_from_index

QUESTIONS = [
    "What does an occupational therapist do?",
    "How long does physical therapy take?",
    "IADL dalfampridine two-hour rule",
    "Does insurance cover occupational therapy?",
]
OT_ID = "above-ms-occupational-therapy"


@pytest.fixture
def built(tmp_path) -> Settings:
    settings = fast_settings(copy_corpus(tmp_path / "corpus"), tmp_path / "index")
    assert ingest([settings.corpus_dir], settings).failed == []
    return settings


def _retriever(settings: Settings, in_memory: bool = False) -> Retriever:
    store = open_store(settings)
    if in_memory:
        store.saved_tables = lambda documents: None  # type: ignore[method-assign]
    return Retriever(store, build_embedder(settings), settings)


def _searches(retriever: Retriever) -> list[list[tuple[str, float, float]]]:
    found = []
    for question in QUESTIONS:
        query = retriever.query(question)
        found.append(
            [
                (p.chunk.chunk_id, round(p.score, 6), round(p.lexical, 6))
                for p in retriever.search(query, 8)
            ]
        )
    return found


def _old_postings(retriever: Retriever) -> dict[str, list[int]]:
    """Per word, the chunks holding it, as the retriever built them before the file."""
    holders: dict[str, list[int]] = {}
    for index, chunk in enumerate(retriever.chunks):
        for term in dict.fromkeys(content_terms(chunk.embedding_text())):
            holders.setdefault(term, []).append(index)
    return holders


def _written_for(settings: Settings, retriever: Retriever) -> bool:
    return built_for(settings.index_dir / TABLES_FOLDER)["documents"] == documents_key(
        retriever.documents
    )


def test_ingest_writes_them_and_the_retriever_reads_them(built):
    retriever = _retriever(built)
    assert _written_for(built, retriever)
    assert not open_store(built).needs_upgrade()
    saved = open_store(built).saved_tables(retriever.documents)
    assert saved is not None
    chunks, lexical = saved
    assert isinstance(lexical._indices, np.memmap)  # mapped, not copied
    store = open_store(built)
    assert list(chunks) == store.chunks(store.documents())


def test_the_file_searches_exactly_like_the_index_built_in_memory(built):
    from_file, in_memory = _retriever(built), _retriever(built, in_memory=True)
    assert from_file._lexical is not in_memory._lexical
    assert _searches(from_file) == _searches(in_memory)
    for question in QUESTIONS:
        query = from_file.query(question)
        assert np.array_equal(from_file._coverage(query), in_memory._coverage(query))


def test_postings_and_rarity_come_from_bm25s_own_index(built):
    retriever = _retriever(built)
    old = _old_postings(retriever)
    size = len(retriever.chunks)
    for term, chunks in old.items():
        assert sorted(retriever._lexical.holders(term).tolist()) == chunks
        expected = math.log(1 + (size - len(chunks) + 0.5) / (len(chunks) + 0.5))
        assert retriever._weight(term) == pytest.approx(expected)
    rarest = max(math.log(1 + (size - len(c) + 0.5) / (len(c) + 0.5)) for c in old.values())
    assert retriever._weight("zzzunknownword") == pytest.approx(rarest)
    assert len(retriever._lexical.holders("zzzunknownword")) == 0


def test_it_follows_a_changed_a_new_and_a_removed_document(built):
    corpus = built.corpus_dir
    changed = corpus / f"{OT_ID}.txt"
    title, rest = changed.read_text(encoding="utf-8").split("\n\n", 1)
    added = "Zanzibarian splints are fitted by occupational therapists for weak hands."
    changed.write_text(f"{title}\n\n{added}\n\n{rest}", encoding="utf-8")
    (corpus / "pool.txt").write_text(
        "Pool therapy\n\nQuokkabelt aquatic exercise lets people with MS train with less strain.\n",
        encoding="utf-8",
    )
    removed = next(p for p in sorted(corpus.glob("*.txt")) if OT_ID not in p.name)
    removed_id = removed.stem
    removed.unlink()
    report = ingest([corpus], built)
    assert report.updated
    assert report.added
    assert report.removed
    retriever = _retriever(built)
    assert _written_for(built, retriever)
    assert retriever.documents.keys().isdisjoint({removed_id})
    for word, doc_id in (("zanzibarian", OT_ID), ("quokkabelt", "pool")):
        holders = retriever._lexical.holders(content_terms(word)[0])
        assert {retriever.chunks[int(i)].doc_id for i in holders} == {doc_id}
    assert _searches(retriever) == _searches(_retriever(built, in_memory=True))


def test_removing_a_document_in_the_app_rewrites_it(built):
    remove_from_index(built, OT_ID)
    retriever = _retriever(built)
    assert OT_ID not in retriever.documents
    assert _written_for(built, retriever)
    assert not open_store(built).needs_upgrade()


def test_an_index_from_before_the_file_gets_it_at_the_next_ingest(built):
    expected = _searches(_retriever(built))
    shutil.rmtree(built.index_dir / TABLES_FOLDER)
    assert open_store(built).needs_upgrade()
    assert _searches(_retriever(built)) == expected  # built in memory meanwhile
    report = ingest([built.corpus_dir], built)
    assert not (report.added)
    assert not (report.updated)
    assert not (report.removed)
    assert (built.index_dir / TABLES_FOLDER / "built.json").exists()
    assert not open_store(built).needs_upgrade()
    assert _searches(_retriever(built)) == expected


def test_tables_written_for_other_versions_are_not_used(built):
    store = open_store(built)
    documents = store.documents()
    assert store.saved_tables(documents) is not None
    fewer = dict(list(documents.items())[:-1])
    assert store.saved_tables(fewer) is None
    other = {**documents, OT_ID: dataclasses.replace(documents[OT_ID], content_hash="other")}
    assert store.saved_tables(other) is None


def test_the_chunk_table_gives_back_the_chunks(built):
    store = open_store(built)
    documents = store.documents()
    chunks = store.chunks(documents)
    table = ChunkTable.of_chunks(chunks, documents)
    assert len(table) == len(chunks)
    assert list(table) == chunks
    assert table[-1] == chunks[-1]
    assert table[1:3] == chunks[1:3]
    assert table.ids == [c.chunk_id for c in chunks]


def test_without_a_folder_it_is_built_in_memory(built):
    memory = MemoryStore()
    store = open_store(built)
    documents = store.documents()
    memory.write_documents(indexed(sorted(built.corpus_dir.glob("*.txt")), built), set())
    assert memory.saved_tables({}) is None
    retriever = Retriever(memory, build_embedder(built), built)
    assert len(retriever.chunks) == len(store.chunks(documents))
    assert _searches(retriever)[0]


def test_the_sentence_table_reads_like_the_sorted_list_of_tuples(built):
    retriever = _retriever(built)
    table = retriever.sentence_spans
    assert isinstance(table, SentenceTable)
    expected = sorted({(c.doc_id, s, e) for c in retriever.chunks for s, e in c.sentences})
    assert list(table) == expected
    assert len(table) == len(expected)
    assert table[3] == expected[3]
    assert table[2:5] == expected[2:5]
    for probe in [expected[0], expected[len(expected) // 2], (OT_ID, 0, -1), ("zzz", 0, 0)]:
        assert bisect.bisect_left(table, probe) == bisect.bisect_left(expected, probe)
    runs = list(table.runs())
    assert [doc for doc, _, _ in runs] == sorted({d for d, _, _ in expected})
    assert sum(end - first for _, first, end in runs) == len(expected)


def test_sentences_chunks_and_units_match_the_tables_they_replaced(built):
    retriever = _retriever(built)
    for row, (doc_id, start, _) in enumerate(retriever.sentence_spans):
        chunk = retriever.chunks[retriever.sentence_chunk[row]]
        assert chunk.doc_id == doc_id
        assert chunk.start <= start < chunk.end
    assert retriever.chunk_at("no-such-document", 0) == -1
    assert retriever.chunk_at(OT_ID, 10**9) == -1
    from assistant.units import build_units

    every = build_units(retriever.chunks, retriever.documents, list(retriever.sentence_spans))
    assert retriever.units == every
    headings = {u.heading for u in every if u.heading}
    assert headings <= retriever.headings()


def test_a_setting_of_no_nearest_sentences_never_asks_the_store(built):
    settings = dataclasses.replace(built, nearest_sentences=0)
    store = open_store(settings)

    def refused(*args, **kwargs):
        raise AssertionError("the sentence search was used")

    store.nearest_sentences = refused  # type: ignore[method-assign]
    retriever = Retriever(store, build_embedder(settings), settings)
    assert retriever.nearest_sentences(retriever.query(QUESTIONS[0]), 100) == []
    assert _searches(retriever)[0]


def test_a_run_that_changes_no_document_only_restamps_them(built):
    tables = built.index_dir / TABLES_FOLDER
    written = (tables / "chunks.npz").stat().st_mtime_ns
    store = open_store(built)
    store.record_corpus_hash("the same documents")
    assert (tables / "chunks.npz").stat().st_mtime_ns == written
    assert built_for(tables)["version"] == store._metadata()["version"]
    assert not store.needs_upgrade()
    assert store.saved_tables(store.documents()) is not None


def test_the_vector_file_reads_rows_as_written(tmp_path):
    from assistant.store import RowFile

    rows = np.arange(40, dtype="<f4").reshape(10, 4)
    path = tmp_path / "vectors.f32"
    path.write_bytes(rows.tobytes() + b"\0\0")  # a row half-written by a killed run
    vectors = RowFile(path, 4)
    assert len(vectors) == 10
    wanted = [7, 2, 3, 3, 9, 0]
    assert np.array_equal(vectors[wanted], rows[wanted])
    assert np.array_equal(vectors[np.array([4])], rows[[4]])
    assert np.array_equal(vectors[5], rows[5])
    assert vectors[[]].shape == (0, 4)
    with pytest.raises(IndexError):
        vectors[[10]]
