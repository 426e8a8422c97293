"""Load (issue 13): 20 clients x 10 questions (five languages, follow-ups with their history)
to the running app over HTTP while staff upload and remove documents through the app's own
library; every answer complete and correct (each quote is the document's text at its
offsets; the reference questions cite the document they cite when asked alone), the index
consistent at the end. Prints throughput and p95. Hash embedder (the fast variant)."""

from __future__ import annotations

import statistics
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from live_app import app_settings, call, serving

from assistant.store import ChromaStore, forget_open_stores, index_signature
from ingest.corpus import find_files
from ingest.layers import Layers

pytestmark = pytest.mark.slow

CLIENTS = 20
QUESTIONS = 10
STATUSES = {"answered", "abstained", "emergency", "crisis", "advice", "invalid"}
FIELDS = {"question", "status", "answer", "citations", "retrieved", "timings_ms"}
# (question, is a follow-up of the one before)
SCRIPT = [
    ("What does an occupational therapist do?", False),
    ("Does insurance cover it?", True),
    ("¿Qué hace un fisioterapeuta?", False),
    ("¿Y cuántas sesiones necesito?", True),
    ("Qu'est-ce que la rééducation dans la sclérose en plaques ?", False),
    ("Wie hilft Physiotherapie beim Gehen?", False),
    ("What exercises help with balance?", False),
    ("And what about fatigue?", True),
    ("Che cosa fa un terapista occupazionale?", False),
    ("How can physical therapy help with walking?", False),
]
REFERENCE = [q for q, follow_up in SCRIPT if not follow_up and q.isascii()]
NOTE = (
    "Cooling notes {n}\n\n"
    "A cooling vest can help people whose symptoms worsen in hot weather, note {n}.\n\n"
    "Cool showers before exercise make training easier on warm days.\n"
)


def _client(url: str, number: int) -> list[tuple[float, dict]]:
    """One visitor: the script, rotated so clients differ, each follow-up with its history."""
    done: list[tuple[float, dict]] = []
    history: list[dict[str, str]] = []
    for step in range(QUESTIONS):
        question, follow_up = SCRIPT[(step + number) % len(SCRIPT)]
        if not follow_up:
            history = []
        started = time.perf_counter()
        event, answer = call(url, "ask", [question, history or None], timeout=600)
        seconds = time.perf_counter() - started
        assert event == "complete", (question, answer)
        done.append((seconds, answer))
        history += [
            {"role": "user", "content": question},
            {"role": "assistant", "content": answer["answer"]},
        ]
    return done


def _staff(url: str, services, uploads: Path, stop: threading.Event) -> int:
    """Upload a note, then remove it, again and again, as the Documents tab does."""
    changes = 0
    quiet = lambda message: None  # noqa: E731
    while not stop.is_set():
        path = uploads / f"cooling-{changes}.txt"
        path.write_text(NOTE.format(n=changes), encoding="utf-8")
        [added] = services.library.add([path], quiet)
        assert added.ok, added.message
        assert services.reload() == ""
        if changes % 3 != 2:  # every third note stays
            document = services.assistant.documents[added.doc_id]
            removed = services.library.remove(added.doc_id, document.source_path, quiet)
            assert removed.ok, removed.message
            assert services.reload() == ""
        changes += 1
    return changes


def _check_quotes(answer: dict, sources: dict[str, str], url: str) -> None:
    assert set(answer) >= FIELDS, answer
    assert answer["status"] in STATUSES
    assert answer["answer"].strip()
    for citation in answer["citations"]:
        doc_id = citation["doc_id"]
        if doc_id not in sources:
            event, source = call(url, "source", [doc_id])
            assert event == "complete"
            sources[doc_id] = source.get("text", "")
        assert sources[doc_id][citation["start"] : citation["end"]] == citation["quote"]


def _consistent(settings) -> None:
    forget_open_stores()
    store = ChromaStore(settings.index_dir, index_signature(settings), create=False)
    documents = store.documents()
    layers = Layers.of(settings)
    files = [p for p in find_files(layers.folders()) if not layers.hides(p)]
    assert sorted(d.source_path for d in documents.values()) == sorted(map(str, files))
    chunks = store.chunks(documents)
    assert {c.doc_id for c in chunks} == set(documents)
    for collection in (store._chunks, store._sentences):
        for found in store._pages(collection, ["metadatas"]):
            for meta in found["metadatas"]:
                assert meta["doc_id"] in documents, f"orphan of {meta['doc_id']}"


def test_20_clients_ask_10_questions_each_while_staff_change_the_library(tmp_path):
    settings = app_settings(tmp_path / "app")
    uploads = tmp_path / "uploads"
    uploads.mkdir()
    with serving(settings) as (url, services):
        alone = {}
        for question in REFERENCE:
            event, answer = call(url, "ask", [question, None])
            assert event == "complete"
            alone[question] = {c["doc_id"] for c in answer["citations"]}
        sources: dict[str, str] = {}
        stop = threading.Event()
        started = time.perf_counter()
        with ThreadPoolExecutor(CLIENTS + 1) as pool:
            staff = pool.submit(_staff, url, services, uploads, stop)
            clients = [pool.submit(_client, url, n) for n in range(CLIENTS)]
            results = [item for client in clients for item in client.result()]
            stop.set()
            changes = staff.result()
        seconds = time.perf_counter() - started
        for _, answer in results:
            _check_quotes(answer, sources, url)
            if answer["question"] in alone and alone[answer["question"]]:
                cited = {c["doc_id"] for c in answer["citations"]}
                assert cited & alone[answer["question"]], answer["question"]
        _consistent(settings)
    latencies = sorted(s for s, _ in results)
    p95 = latencies[int(0.95 * len(latencies)) - 1]
    assert len(results) == CLIENTS * QUESTIONS
    assert changes >= 1
    print(
        f"\n{len(results)} questions from {CLIENTS} clients in {seconds:.1f} s "
        f"({len(results) / seconds:.1f} questions/s) with {changes} uploads and "
        f"{changes - changes // 3} removals meanwhile; latency median "
        f"{statistics.median(latencies):.2f} s, p95 {p95:.2f} s"
    )
