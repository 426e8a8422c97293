"""Faults (issue 13): `python -m ingest` killed with SIGKILL at 16 different moments, the
corpus flipping between two versions so every run has work to do (changed, added and removed
documents; some runs with --reset). After every kill the index is queryable and each document
in it is whole, in its old or its new version, never half-written; the run that is finally
left to finish ends consistent: documents = files, no orphan or duplicate chunks or sentences.
Hash embedder, so a run takes seconds."""

from __future__ import annotations

import random
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pytest
from conftest import ROOT, copy_corpus, fast_env, fast_settings, ingest

from assistant.build import build_assistant, build_embedder
from assistant.store import ChromaStore, forget_open_stores, index_signature
from ingest.corpus import find_files, identify, read_entries
from ingest.layers import Layers
from ingest.library import Library

pytestmark = pytest.mark.slow

KILLS = 16
EXTRA = 45
TOPICS = ["fatigue", "balance", "walking", "heat", "bladder", "spasticity", "pacing", "stretching"]


def _text(n: int, version: str) -> str:
    topic = TOPICS[n % len(TOPICS)]
    body = " ".join(
        f"Point {n}.{k} ({version}): {topic} improves when therapy, rest and exercise are planned."
        for k in range(40)
    )
    return f"Note {n} on {topic}\n\n{body}\n"


def _set_version(corpus: Path, version: str) -> None:
    """Version A: notes 0..EXTRA-1. Version B: the first third changed, the second third as
    in A, the last third removed and as many new notes added."""
    for path in corpus.glob("note-*.txt"):
        path.unlink()
    for n in range(EXTRA):
        if version == "B" and n >= 2 * EXTRA // 3:
            continue
        changed = version == "B" and n < EXTRA // 3
        (corpus / f"note-{n:03d}.txt").write_text(_text(n, "B" if changed else "A"), "utf-8")
    if version == "B":
        for n in range(EXTRA, EXTRA + EXTRA // 3):
            (corpus / f"note-{n:03d}.txt").write_text(_text(n, "B"), encoding="utf-8")


def _expected(corpus: Path) -> dict[str, str]:
    """doc_id -> content hash of every file of the corpus as it is now."""
    entries = read_entries(corpus)
    return dict(identify(path, entries.get(path.name)) for path in find_files([corpus]))


def _raw(store: ChromaStore, collection) -> list[dict]:
    return [dict(meta) for found in store._pages(collection, ["metadatas"]) for meta in found["metadatas"]]  # fmt: skip


def _check_whole(settings, versions: dict[str, set[str]]) -> int:
    """Every document in the index is one of its known versions, with all its chunks and
    sentences; the index answers a question. Returns the number of documents."""
    forget_open_stores()
    store = ChromaStore(settings.index_dir, index_signature(settings), create=False)
    documents = store.documents()
    chunks = store.chunks(documents)
    per_doc = Counter(c.doc_id for c in chunks)
    records = store._documents.get(ids=list(documents), include=["metadatas"])
    chunk_counts = dict(
        zip(records["ids"], (m["chunk_count"] for m in records["metadatas"]), strict=True)
    )
    for doc_id, document in documents.items():
        assert document.content_hash in versions[doc_id], doc_id
        assert per_doc[doc_id] == chunk_counts[doc_id], doc_id
    for chunk in chunks:
        assert documents[chunk.doc_id].text[chunk.start : chunk.end] == chunk.text
    spans, _ = store.sentences(documents)
    assert {doc for doc, _, _ in spans} == set(documents)
    answer = build_assistant(settings).ask("How do rest and exercise help with fatigue?")
    assert answer.status in ("answered", "abstained")
    return len(documents)


def _check_consistent(settings, corpus: Path) -> None:
    """documents = files; every raw chunk and sentence belongs to a current document version,
    and none is there twice."""
    forget_open_stores()
    store = ChromaStore(settings.index_dir, index_signature(settings), create=False)
    documents = store.documents()
    assert {d: documents[d].content_hash for d in documents} == _expected(corpus)
    for collection in (store._chunks, store._sentences):
        metas = _raw(store, collection)
        for meta in metas:
            assert meta["doc_id"] in documents, f"orphan of {meta['doc_id']}"
            assert meta["version"] == documents[meta["doc_id"]].content_hash, "stale version"
        spans = Counter((m["doc_id"], m["start"], m["end"]) for m in metas)
        assert max(spans.values()) == 1, "a duplicate"
    chunks = store.chunks(documents)
    assert {c.doc_id for c in chunks} == set(documents)


def test_ingest_killed_at_16_moments_never_leaves_a_half_written_index(tmp_path):
    corpus = copy_corpus(tmp_path / "corpus")
    _set_version(corpus, "A")
    settings = fast_settings(corpus, tmp_path / "index")
    assert ingest([corpus], settings).failed == []
    versions: dict[str, set[str]] = {}
    for version in ("A", "B"):
        _set_version(corpus, version)
        for doc_id, content_hash in _expected(corpus).items():
            versions.setdefault(doc_id, set()).add(content_hash)
    env = fast_env(settings)
    # One run left to finish says how long a run takes on this machine now; the kills land
    # at random moments within that span (fixed delays miss on a faster or busier machine).
    _set_version(corpus, "B")
    started = time.monotonic()
    subprocess.run([sys.executable, "-m", "ingest"], cwd=ROOT, env=env, capture_output=True)
    span = time.monotonic() - started
    rng = random.Random(13)
    killed, finished = [], 0
    for number in range(KILLS):
        _set_version(corpus, "AB"[number % 2])
        reset = ["--reset"] if number % 4 == 3 else []
        run = subprocess.Popen(
            [sys.executable, "-m", "ingest", *reset],
            cwd=ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        delay = rng.uniform(0.05, 0.75) * span
        time.sleep(delay)
        run.send_signal(signal.SIGKILL)
        if run.wait() == -signal.SIGKILL:
            killed.append(round(delay, 1))
        else:
            finished += 1
        count = _check_whole(settings, versions)
        assert count > 0
    print(f"\n{len(killed)} runs killed (after {sorted(killed)} s), {finished} finished first")
    assert len(killed) >= 12, f"only {len(killed)} runs were cut short"
    _set_version(corpus, "B")
    done = subprocess.run(
        [sys.executable, "-m", "ingest"], cwd=ROOT, env=env, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
    _check_consistent(settings, corpus)
    # A killed run leaves the copy it was writing beside the index (never in its place); the
    # next run, any run, clears it.
    assert sorted(p.name for p in tmp_path.iterdir()) == ["corpus", "index"]
    done = subprocess.run(
        [sys.executable, "-m", "ingest", "--reset"], cwd=ROOT, env=env, capture_output=True
    )
    assert done.returncode == 0, done.stderr
    _check_consistent(settings, corpus)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["corpus", "index"]


UPLOAD_SCRIPT = """
import sys
from pathlib import Path
from assistant.build import build_embedder
from assistant.settings import Settings
from ingest.library import Library

library = Library(Settings.from_env(), build_embedder)
print([r.ok for r in library.add([Path(p) for p in sys.argv[1:]], lambda message: None)])
"""


def test_an_upload_killed_at_8_moments_is_caught_up_at_the_next_start(tmp_path):
    """The app's library (the code behind the upload button) killed while adding files; the
    next start (Library.reindex, as the app does before serving) ends consistent, and the
    shipped corpus was never touched."""
    corpus = copy_corpus(tmp_path / "corpus")
    shipped = {p.name: p.read_bytes() for p in corpus.iterdir()}
    settings = fast_settings(corpus, tmp_path / "index")
    library = Library(settings, build_embedder)
    library.reindex(lambda message: None)
    uploads = tmp_path / "uploads"
    uploads.mkdir()
    env = fast_env(settings, PYTHONPATH=str(ROOT))
    # How long one upload takes here, so the kills land within it (see above).
    first = uploads / "upload-first.txt"
    first.write_text(_text(99, "U"), encoding="utf-8")
    started = time.monotonic()
    subprocess.run([sys.executable, "-c", UPLOAD_SCRIPT, str(first)], cwd=tmp_path, env=env)
    span = time.monotonic() - started
    rng = random.Random(8)
    killed = 0
    for round_ in range(8):
        files = []
        for n in range(6):
            path = uploads / f"upload-{round_}-{n}.txt"
            path.write_text(_text(round_ * 10 + n, f"U{round_}"), encoding="utf-8")
            files.append(str(path))
        run = subprocess.Popen(
            [sys.executable, "-c", UPLOAD_SCRIPT, *files],
            cwd=tmp_path,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        time.sleep(rng.uniform(0.1, 0.9) * span)
        run.send_signal(signal.SIGKILL)
        killed += run.wait() == -signal.SIGKILL
        forget_open_stores()
        report = Library(settings, build_embedder).reindex(lambda message: None)
        assert report.failed == []
        _check_library(settings)
        assert {p.name: p.read_bytes() for p in corpus.iterdir()} == shipped
    assert killed >= 6, f"only {killed} uploads were cut short"


def _check_library(settings) -> None:
    """documents = the library's files, each with its chunks, and no orphan records."""
    forget_open_stores()
    store = ChromaStore(settings.index_dir, index_signature(settings), create=False)
    documents = store.documents()
    layers = Layers.of(settings)
    files = [p for p in find_files(layers.folders()) if not layers.hides(p)]
    assert sorted(d.source_path for d in documents.values()) == sorted(map(str, files))
    assert {c.doc_id for c in store.chunks(documents)} == set(documents)
    for collection in (store._chunks, store._sentences):
        for meta in _raw(store, collection):
            assert meta["doc_id"] in documents, f"orphan of {meta['doc_id']}"
            assert meta["version"] == documents[meta["doc_id"]].content_hash, "stale version"
