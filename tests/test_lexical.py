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
from assistant.lexical import LexicalIndex
from assistant.retrieve import Retriever
from assistant.settings import Settings
from assistant.store import ChromaStore, open_store
from assistant.table import (
    TABLES_FOLDER,
    ChunkTable,
    SentenceTable,
    _Pieces,
    built_for,
    documents_key,
)
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
    removed_id = _change_add_and_remove(corpus)
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


def _full_build(settings: Settings) -> tuple[_Pieces, object]:
    """The pieces and BM25 a full build makes of the index's current chunks."""
    store = open_store(settings)
    documents = store.documents()
    versions = {doc_id: d.content_hash for doc_id, d in documents.items()}
    pieces = _Pieces.of_chunks(store.chunks(documents), versions)
    return pieces, LexicalIndex.of_counts(pieces.term_counts())._bm25


def _assert_same_as_a_full_build(settings: Settings) -> None:
    folder = settings.index_dir / TABLES_FOLDER
    kept, full = _Pieces.load(folder), _full_build(settings)
    assert kept is not None
    pieces, bm25 = full
    assert kept.names == pieces.names
    assert kept.versions == pieces.versions
    assert sorted(kept.arrays) == sorted(pieces.arrays)
    for key, array in pieces.arrays.items():
        assert kept.arrays[key].dtype == array.dtype, key
        assert np.array_equal(kept.arrays[key], array), key
    saved = LexicalIndex.load(folder / "bm25")._bm25
    assert saved.vocab_dict == bm25.vocab_dict
    for key in ("data", "indices", "indptr"):
        assert saved.scores[key].dtype == bm25.scores[key].dtype
        assert np.array_equal(saved.scores[key], bm25.scores[key])
    assert saved.scores["num_docs"] == bm25.scores["num_docs"]
    assert built_for(folder)["documents"] == documents_key(open_store(settings).documents())


def _change_add_and_remove(corpus) -> str:
    """One document changed, one added, one removed; the removed one's id."""
    changed = corpus / f"{OT_ID}.txt"
    title, rest = changed.read_text(encoding="utf-8").split("\n\n", 1)
    added = "Zanzibarian splints are fitted by occupational therapists for weak hands."
    changed.write_text(f"{title}\n\n{added}\n\n{rest}", encoding="utf-8")
    (corpus / "pool.txt").write_text(
        "Pool therapy\n\nQuokkabelt aquatic exercise lets people with MS train with less strain.\n",
        encoding="utf-8",
    )
    removed = next(p for p in sorted(corpus.glob("*.txt")) if p.stem not in (OT_ID, "pool"))
    removed.unlink()
    return removed.stem


def test_bm25_from_the_counts_scores_exactly_like_bm25s_own_index(built):
    import bm25s

    store = open_store(built)
    chunks = store.chunks(store.documents())
    theirs = bm25s.BM25()
    theirs.index([content_terms(c.embedding_text()) for c in chunks], show_progress=False)
    ours = LexicalIndex.build(chunks)._bm25
    assert set(ours.vocab_dict) == set(theirs.vocab_dict)
    assert ours.scores["num_docs"] == theirs.scores["num_docs"] == len(chunks)
    for term in ours.vocab_dict:
        if term:
            assert np.array_equal(ours.get_scores([term]), theirs.get_scores([term])), term
    for question in QUESTIONS:
        terms = [t for t in content_terms(question) if t in theirs.vocab_dict]
        assert np.array_equal(ours.get_scores(terms), theirs.get_scores(terms))


def test_a_run_stems_only_the_documents_it_changed_and_gives_a_full_builds_tables(
    built, monkeypatch
):
    import assistant.lexical

    _assert_same_as_a_full_build(built)
    removed = _change_add_and_remove(built.corpus_dir)
    stemmed: list[str] = []

    def counting(text: str) -> list[str]:
        stemmed.append(text)
        return content_terms(text)

    def refused(*args, **kwargs):
        raise AssertionError("every chunk was read")

    monkeypatch.setattr(assistant.lexical, "content_terms", counting)
    monkeypatch.setattr(ChromaStore, "chunks", refused)
    report = ingest([built.corpus_dir], built)
    monkeypatch.undo()
    assert (report.updated, report.added, report.removed) == ([OT_ID], ["pool"], [removed])
    store = open_store(built)
    chunks = store.chunks(store.documents())
    assert stemmed == [c.embedding_text() for c in chunks if c.doc_id in (OT_ID, "pool")]
    _assert_same_as_a_full_build(built)
    assert not store.needs_upgrade()
    assert _searches(_retriever(built)) == _searches(_retriever(built, in_memory=True))


def test_removing_a_document_in_the_app_stems_no_other(built, monkeypatch):
    import assistant.lexical

    stemmed: list[str] = []
    monkeypatch.setattr(assistant.lexical, "content_terms", lambda t: stemmed.append(t) or [])
    remove_from_index(built, OT_ID)
    assert stemmed == []
    monkeypatch.undo()
    _assert_same_as_a_full_build(built)


def test_tables_without_pieces_still_load_and_the_next_change_writes_them_whole(built):
    folder = built.index_dir / TABLES_FOLDER
    expected = _searches(_retriever(built))
    for name in ("terms.npz", "terms.json"):  # as the tables were written before the pieces
        (folder / name).unlink()
    assert not open_store(built).needs_upgrade()
    assert open_store(built).saved_tables(open_store(built).documents()) is not None
    assert _searches(_retriever(built)) == expected
    _change_add_and_remove(built.corpus_dir)
    ingest([built.corpus_dir], built)
    _assert_same_as_a_full_build(built)


def test_a_store_that_did_not_make_the_change_writes_them_whole(built):
    """Only the store that changed the index knows which documents changed: another one,
    seeing the tables behind the index's version, reads every document again."""
    store = open_store(built)
    (built.corpus_dir / "pool.txt").write_text(
        "Pool therapy\n\nQuokkabelt aquatic exercise lets people with MS train with less strain.\n",
        encoding="utf-8",
    )
    store.write_documents(indexed([built.corpus_dir / "pool.txt"], built), set())
    assert open_store(built).needs_upgrade()
    open_store(built).write_tables()
    assert not open_store(built).needs_upgrade()
    _assert_same_as_a_full_build(built)
    assert "pool" in open_store(built).saved_tables(open_store(built).documents())[0].doc_ids
