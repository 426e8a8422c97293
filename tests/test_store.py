"""Every `Store` through the same tests: in memory (tests/memory_store.py), embedded Chroma in
a folder, and a real Chroma server (`chroma run` on 127.0.0.1, marked real). Then the server
end to end: ingest into it and answer from it through the CLI, while a second process that
was serving before the ingest sees the new document."""

from __future__ import annotations

import dataclasses
import json
import os
import shutil
import subprocess
import sys
import time
import urllib.request
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import numpy as np
import pytest
from conftest import ROOT, _free_port, copy_corpus, fast_settings
from memory_store import MemoryStore

from assistant.build import build_assistant
from assistant.embedding import HashEmbedder
from assistant.errors import IndexDamagedError
from assistant.settings import Settings
from assistant.store import VECTOR_FILE, IndexedDocument, Store, open_store, sentence_of_id
from assistant.vectors import SentenceVectors
from ingest.chunking import chunk_document
from ingest.corpus import build_document, find_files, read_entries

OT_ID = "above-ms-occupational-therapy"
OT_QUESTION = "What does an occupational therapist do?"
POOL = (
    "Aquatic therapy in a warm pool lets people with MS exercise with less strain. "
    "The water carries the body's weight, so balance training is safer."
)


@pytest.fixture(scope="session")
def chroma_server(tmp_path_factory) -> Iterator[str]:
    """A Chroma server (`chroma run`, from the chromadb package) on a free local port."""
    chroma = shutil.which("chroma", path=str(Path(sys.executable).parent)) or shutil.which("chroma")
    if chroma is None:
        pytest.fail("The `chroma` command (package chromadb) is not installed; run `make install`.")
    base = tmp_path_factory.mktemp("chroma-server")
    port = _free_port()
    log = (base / "server.log").open("wb")
    process = subprocess.Popen(
        [chroma, "run", "--path", str(base / "data"), "--host", "127.0.0.1", "--port", str(port)],
        stdout=log,
        stderr=log,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_for(f"{url}/api/v2/heartbeat", process)
        yield url
    finally:
        process.terminate()
        process.wait(timeout=20)
        log.close()


def _wait_for(url: str, process: subprocess.Popen, seconds: float = 60.0) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"The Chroma server stopped at start (exit code {process.returncode}).")
        try:
            with urllib.request.urlopen(url, timeout=2):
                return
        except OSError:
            time.sleep(0.2)
    pytest.fail(f"The Chroma server did not answer at {url} within {seconds:.0f} s.")


KINDS = ["memory", "embedded", pytest.param("server", marks=pytest.mark.real)]


@pytest.fixture(params=KINDS)
def kind(request) -> str:
    return request.param


@pytest.fixture
def settings(tmp_path, kind, request) -> Settings:
    base = fast_settings(tmp_path / "corpus", tmp_path / "index", index_check_seconds=0.0)
    if kind != "server":
        return base
    url = request.getfixturevalue("chroma_server")
    # Each test its own collections on the shared server.
    return dataclasses.replace(base, chroma_url=url, collection_prefix=f"t{uuid.uuid4().hex}_")


@pytest.fixture
def make_store(kind, settings) -> Callable[[], Store]:
    """Opens the test's store (the same one each time it is called)."""
    memory = MemoryStore()
    if kind == "memory":
        return lambda: memory
    return lambda: open_store(settings, create=True)


def indexed(paths: list[Path], settings: Settings) -> list[IndexedDocument]:
    """The files as ingest would write them, embedded with the hash embedder."""
    embedder = HashEmbedder()
    written = []
    for path in paths:
        entry = read_entries(path.parent).get(path.name)
        document = build_document(path, entry)
        chunks = chunk_document(document, settings.chunk_max_chars)
        spans = sorted({span for chunk in chunks for span in chunk.sentences})
        written.append(
            IndexedDocument(
                document,
                chunks,
                embedder.embed_passages([c.embedding_text() for c in chunks]),
                spans,
                embedder.embed_passages([document.text[s:e] for s, e in spans]),
            )
        )
    return written


def corpus_documents(tmp_path: Path, settings: Settings) -> list[IndexedDocument]:
    corpus = copy_corpus(tmp_path / "corpus")
    return indexed(find_files([corpus]), settings)


def test_what_is_written_is_read_back(tmp_path, settings, make_store):
    written = corpus_documents(tmp_path, settings)
    store = make_store()
    store.write_documents(written, replacing=set())
    documents = store.documents()
    assert sorted(documents) == sorted(w.document.doc_id for w in written)
    assert documents[OT_ID] == next(w.document for w in written if w.document.doc_id == OT_ID)
    chunks = store.chunks(documents)
    expected = sorted((c for w in written for c in w.chunks), key=lambda c: (c.doc_id, c.start))
    assert chunks == expected
    spans, vectors = store.sentences(documents)
    assert sorted(spans) == sorted(
        (w.document.doc_id, s, e) for w in written for s, e in w.sentence_spans
    )
    assert vectors.shape == (len(spans), HashEmbedder().dims)


def test_nearest_chunks_are_by_cosine_similarity(tmp_path, settings, make_store):
    written = corpus_documents(tmp_path, settings)
    store = make_store()
    store.write_documents(written, replacing=set())
    target = written[0]
    nearest = store.nearest_chunks(target.chunk_vectors[1], n=3)
    assert nearest[0][0] == target.chunks[1].chunk_id
    assert nearest[0][1] == pytest.approx(1.0, abs=1e-5)
    assert len(nearest) == 3
    assert [s for _, s in nearest] == sorted((s for _, s in nearest), reverse=True)
    assert store.nearest_chunks(np.ones(HashEmbedder().dims), n=10_000)  # more than there are


def test_nearest_sentences_name_the_sentence(tmp_path, settings, make_store):
    written = corpus_documents(tmp_path, settings)
    store = make_store()
    store.write_documents(written, replacing=set())
    target = written[1]
    start, end = target.sentence_spans[2]
    nearest = store.nearest_sentences(target.sentence_vectors[2], n=5)
    assert nearest[0][0] == target.sentence_id(start, end)
    assert sentence_of_id(nearest[0][0]) == (
        target.document.doc_id,
        target.document.content_hash[:10],
        start,
        end,
    )
    assert nearest[0][1] == pytest.approx(1.0, abs=1e-5)
    assert len(nearest) == 5


def _with_a_changed_document(tmp_path, settings, make_store):
    """A store holding the corpus, then a new version of the OT page written over it."""
    corpus = copy_corpus(tmp_path / "corpus")
    store = make_store()
    store.write_documents(indexed(find_files([corpus]), settings), replacing=set())
    path = corpus / f"{OT_ID}.txt"
    path.write_text(path.read_text(encoding="utf-8") + f"\n\n{POOL}\n", encoding="utf-8")
    [changed] = indexed([path], settings)
    store.write_documents([changed], replacing={OT_ID})
    return store, changed


def test_a_new_version_replaces_the_old_one(tmp_path, settings, make_store):
    store, changed = _with_a_changed_document(tmp_path, settings, make_store)
    documents = store.documents()
    assert documents[OT_ID].content_hash == changed.document.content_hash
    ot_chunks = [c for c in store.chunks(documents) if c.doc_id == OT_ID]
    assert ot_chunks == changed.chunks
    spans, _ = store.sentences(documents)
    assert sorted(s for s in spans if s[0] == OT_ID) == [
        (OT_ID, s, e) for s, e in changed.sentence_spans
    ]
    # The old version's chunks are gone from the vector search too.
    ids = {cid for cid, _ in store.nearest_chunks(changed.chunk_vectors[0], n=10_000)}
    assert {c.chunk_id for c in changed.chunks} <= ids
    assert not any(cid.startswith(OT_ID) and cid not in ids for cid in ids)


def test_a_removed_document_is_gone(tmp_path, settings, make_store):
    store = make_store()
    store.write_documents(corpus_documents(tmp_path, settings), replacing=set())
    assert store.holds(OT_ID)
    store.remove_document(OT_ID)
    documents = store.documents()
    assert OT_ID not in documents
    assert not store.holds(OT_ID)
    assert all(store.holds(doc_id) for doc_id in documents)
    assert all(c.doc_id != OT_ID for c in store.chunks(documents))
    vector = np.ones(HashEmbedder().dims)
    assert all(not cid.startswith(OT_ID) for cid, _ in store.nearest_chunks(vector, 10_000))


def test_each_ingest_gives_the_store_a_new_version(make_store):
    store = make_store()
    first = store.version()
    store.record_corpus_hash("a")
    second = store.version()
    assert second != first
    assert make_store().version() == second  # read again, as another process would
    store.record_corpus_hash("a")
    third = store.version()
    assert third not in (first, second)
    store.remove_document("no-such-document")
    assert store.version() not in (first, second, third)


def test_sentence_vectors_are_read_back_by_id(tmp_path, settings, make_store):
    written = corpus_documents(tmp_path, settings)
    store = make_store()
    store.write_documents(written, replacing=set())
    target = written[1]
    ids = [target.sentence_id(s, e) for s, e in target.sentence_spans[:4]]
    rows = store.sentence_vectors([ids[2], "no-such:0123456789:s0-1", ids[0]])
    assert np.allclose(rows[0], target.sentence_vectors[2])
    assert not rows[1].any()  # an unknown sentence reads as zeros
    assert np.allclose(rows[2], target.sentence_vectors[0])
    assert store.sentence_vectors([]).shape == (0, HashEmbedder().dims)


def _every_vector(store: Store, retriever_spans, documents) -> tuple[np.ndarray, SentenceVectors]:
    vectors = SentenceVectors(store, retriever_spans, documents)
    return vectors[np.arange(len(retriever_spans))], vectors


def _table(store: Store) -> tuple[list[tuple[str, int, int]], dict]:
    documents = store.documents()
    chunks = store.chunks(documents)
    return sorted({(c.doc_id, s, e) for c in chunks for s, e in c.sentences}), documents


def test_the_retriever_reads_the_vectors_the_store_holds(tmp_path, kind, settings, make_store):
    """From the vector file (an index folder) or by id (a server, memory): the same rows,
    also after a document changed (its new version's rows, not the old one's)."""
    store, changed = _with_a_changed_document(tmp_path, settings, make_store)
    spans, documents = _table(store)
    matrix, vectors = _every_vector(store, spans, documents)
    ids = [f"{d}:{documents[d].content_hash[:10]}:s{a}-{b}" for d, a, b in spans]
    assert np.allclose(matrix, store.sentence_vectors(ids))
    ot = [r for r, span in enumerate(spans) if span[0] == OT_ID]
    assert np.allclose(matrix[ot], changed.sorted_sentence_vectors())
    mapped = kind == "embedded"
    assert (vectors._matrix is not None) == mapped
    if mapped:
        assert (vectors._in_file >= 0).all()  # nothing read from Chroma


def test_an_index_from_before_the_vector_file_gets_it_at_the_next_ingest(tmp_path):
    settings = fast_settings(tmp_path / "corpus", tmp_path / "index")
    store = open_store(settings, create=True)
    store.write_documents(corpus_documents(tmp_path, settings), replacing=set())
    spans, documents = _table(store)
    expected, _ = _every_vector(store, spans, documents)
    # As an index built before the file: no file, no rows in the records.
    (settings.index_dir / VECTOR_FILE).unlink()
    store._documents.update(
        ids=list(documents), metadatas=[{"vector_row": -1, "vector_count": 0}] * len(documents)
    )
    before, vectors = _every_vector(store, spans, documents)
    assert vectors._matrix is None
    assert np.allclose(before, expected)  # read from Chroma meanwhile
    store.record_corpus_hash("the next ingest")
    after, vectors = _every_vector(store, spans, documents)
    assert (vectors._in_file >= 0).all()
    assert np.allclose(after, expected)


def test_the_assistant_answers_alike_from_every_store(tmp_path, kind, settings, make_store):
    written = corpus_documents(tmp_path, settings)
    store = make_store()
    store.write_documents(written, replacing=set())
    store.record_corpus_hash("corpus")
    answer = build_assistant(settings, store=store).ask(OT_QUESTION)
    memory = MemoryStore()
    memory.write_documents(written, replacing=set())
    expected = build_assistant(settings, store=memory).ask(OT_QUESTION)
    assert answer.status == "answered"
    assert answer.citations
    assert answer.answer == expected.answer
    assert [c.doc_id for c in answer.citations] == [c.doc_id for c in expected.citations]


def test_a_serving_assistant_picks_up_what_another_ingest_wrote(tmp_path, settings, make_store):
    corpus = copy_corpus(tmp_path / "corpus")
    store = make_store()
    store.write_documents(indexed(find_files([corpus]), settings), replacing=set())
    store.record_corpus_hash("before")
    serving = build_assistant(settings, store=make_store())
    assert "aquatic-therapy" not in serving.documents
    new = corpus / "aquatic-therapy.txt"
    new.write_text(f"Aquatic therapy\n\n{POOL}\n", encoding="utf-8")
    other = make_store()  # another process's connection to the same index
    other.write_documents(indexed([new], settings), replacing=set())
    other.record_corpus_hash("after")
    answer = serving.ask("What does aquatic therapy in a warm pool do?")
    assert "aquatic-therapy" in serving.documents
    assert answer.citations[0].doc_id == "aquatic-therapy"


def test_an_unreachable_server_is_said_in_a_sentence(tmp_path):
    settings = dataclasses.replace(
        fast_settings(tmp_path / "corpus", tmp_path / "index"),
        chroma_url=f"http://127.0.0.1:{_free_port()}",
    )
    with pytest.raises(IndexDamagedError, match=r"The Chroma server at http://127\.0\.0\.1:"):
        open_store(settings)
    assert not (tmp_path / "index").exists()


# --- End to end: the CLI against a Chroma server, and a second process serving meanwhile ---

SERVE = """
import json, sys
from assistant.build import build_assistant
from assistant.settings import Settings
assistant = build_assistant(Settings.from_env())
print("ready", flush=True)
for line in sys.stdin:
    answer = assistant.ask(line.strip())
    print(json.dumps([c.doc_id for c in answer.citations]), flush=True)
"""


@pytest.mark.real
def test_cli_ingests_into_and_answers_from_a_chroma_server(tmp_path, chroma_server):
    corpus = copy_corpus(tmp_path / "corpus")
    env = {
        **os.environ,
        "MSRA_CHROMA_URL": chroma_server,
        "MSRA_COLLECTION_PREFIX": f"cli{uuid.uuid4().hex}_",
        "MSRA_INDEX_DIR": str(tmp_path / "index"),
        "MSRA_CORPUS_DIR": str(corpus),
        "MSRA_EMBEDDER": "hash",
        "MSRA_TRANSLATED_EMBEDDER": "",
        "MSRA_INDEX_CHECK_SECONDS": "0",
    }

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        done = subprocess.run(
            [sys.executable, *args], cwd=ROOT, env=env, capture_output=True, text=True
        )
        assert done.returncode == 0, done.stderr
        return done

    run("-m", "ingest")
    asked = json.loads(run("-m", "assistant", "ask", "--json", OT_QUESTION).stdout)
    assert asked["status"] == "answered"
    assert OT_ID in {c["doc_id"] for c in asked["citations"]}
    assert not (tmp_path / "index").exists()  # nothing of the index is written locally

    serving = subprocess.Popen(
        [sys.executable, "-c", SERVE],
        cwd=ROOT,
        env=env,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    assert serving.stdin is not None
    assert serving.stdout is not None
    try:
        assert serving.stdout.readline().strip() == "ready"
        question = "What does aquatic therapy in a warm pool do?\n"
        serving.stdin.write(question)
        serving.stdin.flush()
        assert "aquatic-therapy" not in json.loads(serving.stdout.readline())
        (corpus / "aquatic-therapy.txt").write_text(f"Aquatic therapy\n\n{POOL}\n", "utf-8")
        run("-m", "ingest")  # the first process adds a document ...
        serving.stdin.write(question)
        serving.stdin.flush()
        # ... and the second, serving since before, answers from it without a restart.
        assert json.loads(serving.stdout.readline())[0] == "aquatic-therapy"
    finally:
        serving.kill()
        serving.wait(timeout=20)
    # --reset empties this index's collections on the server and builds them again.
    reset = run("-m", "ingest", "--reset")
    assert "6 documents" in reset.stderr
    again = json.loads(run("-m", "assistant", "ask", "--json", OT_QUESTION).stdout)
    assert again["citations"] == asked["citations"]
    assert not (tmp_path / "index").exists()


@pytest.mark.real
def test_an_upload_to_a_library_on_a_chroma_server_leaves_nothing_beside_the_corpus(
    tmp_path, chroma_server
):
    from assistant.build import build_embedder
    from ingest.library import Library

    corpus = copy_corpus(tmp_path / "corpus")
    settings = dataclasses.replace(
        fast_settings(corpus, tmp_path / "index"),
        chroma_url=chroma_server,
        collection_prefix=f"lib{uuid.uuid4().hex}_",
    )
    library = Library(settings, build_embedder)
    library.reindex(lambda _: None)
    upload = tmp_path / "uploads" / "Aquatic therapy.txt"
    upload.parent.mkdir()
    upload.write_text(f"Aquatic therapy\n\n{POOL}\n", encoding="utf-8")
    [result] = library.add([upload], lambda _: None)
    assert result.ok, result.message
    assert result.doc_id in open_store(settings).documents()
    assert not (tmp_path / "index").exists()
    assert not (corpus / ".staging").exists() or not any((corpus / ".staging").iterdir())
