"""The question path (issue 17 items 4 and 7): each ask embeds its texts in one pass of the
model, each text once; passage scores read only what the vector searches and the lexical
index find, and equal the full computation over every chunk and sentence for those chunks."""

from __future__ import annotations

import dataclasses
import math
from pathlib import Path

import numpy as np
import pytest

from assistant.build import build_assistant
from assistant.embedding import HashEmbedder
from assistant.models import Turn
from assistant.retrieve import NEAREST, Retriever
from assistant.store import ChromaStore, index_signature, sentence_of_id
from assistant.text import content_terms

ROOT = Path(__file__).resolve().parent.parent

QUESTIONS = [
    "Does insurance cover occupational therapy?",
    "What exercises help with balance?",
    "How can I manage fatigue at work?",
    "cooling vest heat",
]


class CountingEmbedder(HashEmbedder):
    """The tests' hash embedder, recording every call: (method, texts)."""

    def __init__(self) -> None:
        super().__init__()
        self.calls: list[tuple[str, list[str]]] = []

    def embed_passages(self, texts: list[str]) -> np.ndarray:
        self.calls.append(("embed_passages", list(texts)))
        return super().embed_passages(texts)

    def embed_query(self, text: str) -> np.ndarray:
        self.calls.append(("embed_query", [text]))
        return self._embed(text)

    def embed_queries(self, texts: list[str]) -> np.ndarray:
        self.calls.append(("embed_queries", list(texts)))
        return np.stack([self._embed(t) for t in texts])


@pytest.fixture(scope="module")
def counted(fast_settings_built):
    embedder = CountingEmbedder()
    assistant = build_assistant(fast_settings_built, embedder=embedder)
    return assistant, embedder


LONG_POST = (
    "I was diagnosed two years ago and I still work full time in an office. By the afternoon "
    "I am so tired that I cannot think straight and my legs feel heavy. My manager is kind "
    "but I do not know what to ask for. What changes at work could help with my fatigue?"
)


@pytest.mark.parametrize(
    ("question", "history"),
    [
        ("What does an occupational therapist do?", []),
        (
            "Is it covered by insurance?",
            [
                Turn("user", "What does an occupational therapist do?"),
                Turn("assistant", "An occupational therapist helps with daily tasks. [1]"),
            ],
        ),
        ("Is it covered by insurance?", [Turn("user", "What does an occupational therapist do?")]),
        (LONG_POST, []),
    ],
    ids=["question", "follow-up", "follow-up-without-answer", "long-post"],
)
def test_each_ask_embeds_in_one_pass_and_each_text_once(counted, question, history):
    assistant, embedder = counted
    embedder.calls.clear()
    answer = assistant.ask(question, history)
    assert answer.status in ("answered", "abstained")
    assert len(embedder.calls) == 1, embedder.calls
    texts = embedder.calls[0][1]
    assert len(texts) == len(set(texts))
    # The person's own words go through the model once, not inside two texts (a long post
    # is read whole and for its question sentences: two texts, still one pass).
    if question != LONG_POST:
        assert sum(question in text for text in texts) == 1, texts


def test_find_embeds_once(counted):
    assistant, embedder = counted
    embedder.calls.clear()
    assert assistant.find("Coverage for OT services varies by plan.")
    assert len(embedder.calls) == 1


def _full_dense(retriever, query) -> np.ndarray:
    """The scan this replaced: every sentence vector times the query, best per chunk."""
    scores = np.zeros(len(retriever.chunks), dtype=np.float32)
    for chunk_id, similarity in retriever._store.nearest_chunks(query.vector, n=NEAREST):
        scores[retriever._position[chunk_id]] = similarity
    best = np.full(len(retriever.chunks), -1.0, dtype=np.float32)
    known = retriever.sentence_chunk >= 0
    np.maximum.at(
        best, retriever.sentence_chunk[known], (_every_vector(retriever) @ query.vector)[known]
    )
    return np.clip(0.5 * scores + 0.5 * np.maximum(best, 0.0), 0.0, 1.0)


def _every_vector(retriever) -> np.ndarray:
    """Every sentence's vector, row by row of the sentence table (read from the store)."""
    return retriever.sentence_vectors[np.arange(len(retriever.sentence_spans))]


def _full_coverage(retriever, query) -> np.ndarray:
    """The per-chunk pass this replaced: the weighted share of the query's words each holds."""
    wanted = set(query.terms)
    total = sum(retriever._weight(t) for t in wanted)
    held = [set(content_terms(c.embedding_text())) for c in retriever.chunks]
    return np.array([sum(retriever._weight(t) for t in wanted & h) / total for h in held])


@pytest.mark.parametrize("question", QUESTIONS)
def test_passage_scores_equal_the_full_scan(fast_assistant, question):
    retriever = fast_assistant.retriever
    query = retriever.query(question)
    # The sample corpus is small enough that every chunk is a candidate: same numbers.
    assert len(retriever.chunks) <= NEAREST
    everything = np.arange(len(retriever.chunks))
    assert np.allclose(retriever._dense_scores(query, everything), _full_dense(retriever, query))
    assert np.allclose(retriever._coverage(query), _full_coverage(retriever, query), atol=1e-6)
    ranked = retriever.search(query, 8)
    fused = 0.8 * _full_dense(retriever, query) + 0.2 * retriever._lexical_scores(query)
    assert [p.chunk.chunk_id for p in ranked] == [
        retriever.chunks[i].chunk_id for i in np.argsort(-fused, kind="stable")[:8]
    ]


def test_nearest_sentences_name_current_sentences(fast_assistant):
    # The store's sentence search is off by default (Settings.nearest_sentences); turned on:
    on = dataclasses.replace(fast_assistant.settings, nearest_sentences=NEAREST)
    retriever = Retriever(fast_assistant.retriever._store, HashEmbedder(), on)
    query = retriever.query("Does insurance cover occupational therapy?")
    rows = retriever.nearest_sentences(query, 10)
    assert len(rows) == 10
    similarities = _every_vector(retriever) @ query.vector
    # Nearest first, and the nearest of all (exact search agrees at this size).
    assert rows[0] == int(np.argmax(similarities))
    assert list(similarities[rows]) == sorted(similarities[rows], reverse=True)


def test_sentence_ids_read_back():
    assert sentence_of_id("a:b-doc:0123456789:s12-345") == ("a:b-doc", "0123456789", 12, 345)


def test_an_empty_store_has_no_nearest_records(tmp_path, fast_settings_built):
    store = ChromaStore(tmp_path / "index", index_signature(fast_settings_built), create=True)
    vector = HashEmbedder().embed_query("fatigue")
    assert store.nearest_chunks(vector, n=5) == []
    assert store.nearest_sentences(vector, n=5) == []


def test_top_keeps_the_order_of_a_stable_sort():
    from assistant.retrieve import _top

    rng = np.random.default_rng(0)
    scores = rng.integers(0, 5, size=500).astype(np.float32)
    for k in (1, 7, 100, 499, 500, 600):
        assert list(_top(scores, k)) == list(np.argsort(-scores, kind="stable")[:k])
    assert math.isclose(float(scores[_top(scores, 1)[0]]), 4.0)


def test_a_question_plainly_in_english_needs_no_language_model():
    from assistant import language

    language._detector.cache_clear()
    assert language.detect_language("What exercises can help with my balance?") == "en"
    assert language.detect_language("How can I get help with my fatigue at work?") == "en"
    assert language._detector.cache_info().currsize == 0
    # Not plainly English: the detector decides.
    assert language.detect_language("Wie lange dauert eine Physiotherapie normalerweise?") == "de"
    assert language._detector.cache_info().currsize == 1


def test_the_english_shortcut_agrees_with_the_detector_on_the_evaluation_texts():
    """The shortcut decides only English texts, and on longer ones it says what the detector
    says. On a short one it may overrule it: "What is a physiatrist?" is German to lingua."""
    import json
    from pathlib import Path

    from assistant import language

    root = Path(__file__).resolve().parent.parent / "evals"
    cases = [
        json.loads(line)
        for name in ("cases.jsonl", "safety_cases.jsonl")
        for line in (root / name).read_text(encoding="utf-8").splitlines()
    ]
    texts = [(c.get("question") or c.get("text") or "", c.get("language") or "en") for c in cases]
    decided = [
        (t, lang) for t, lang in texts if t and language._plainly_english(language.real_words(t))
    ]
    assert len(decided) > 300
    detector = language._detector()
    overruled = []
    for text, labelled in decided:
        # (Or a language the assistant does not speak: "Wat is baclofen?" is Dutch.)
        assert labelled == "en" or labelled not in language.LANGUAGES, text
        best = detector.compute_language_confidence_values(text)[0]
        if best.language.iso_code_639_1.name.lower() != "en" and best.value >= 0.5:
            overruled.append(text)
    assert all(len(language.real_words(t)) <= language.SHORT for t in overruled), overruled


@pytest.mark.real
def test_minilm_runs_without_sentence_transformers_and_gives_its_vectors():
    import subprocess
    import sys

    from assistant.embedding import MiniLMEmbedder, _packaged_minilm_path, _sentence_transformer

    probe = (
        "import sys; from assistant.embedding import MiniLMEmbedder; "
        "MiniLMEmbedder().embed_query('fatigue'); "
        "print(sorted(m for m in ('sentence_transformers', 'sklearn', 'pandas') if m in sys.modules))"
    )
    loaded = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True, cwd=ROOT
    ).stdout.strip()
    assert loaded == "[]"
    texts = [
        "Does insurance cover occupational therapy?",
        "  spaces around  ",
        "OT?",
        "word " * 400,  # beyond the model's 256 tokens: cut as sentence-transformers cuts
        *sorted((ROOT / "corpus").glob("*.txt"))[0].read_text("utf-8").split("\n\n")[:30],
    ]
    ours = MiniLMEmbedder().embed_passages(texts)
    theirs = _sentence_transformer(_packaged_minilm_path()).encode(
        texts, batch_size=32, normalize_embeddings=True, show_progress_bar=False
    )
    assert np.abs(ours - np.asarray(theirs)).max() < 1e-5


def test_a_serving_process_gives_numpy_one_blas_thread(counted):
    """OpenBLAS threads spin after each product, on the cores the models need next
    (assistant/build.py use_query_threads). numpy's own BLAS is the one its products use."""
    from threadpoolctl import threadpool_info

    numpy_dir = str(Path(np.__file__).parent.parent)
    blas = [
        pool
        for pool in threadpool_info()
        if pool["user_api"] == "blas" and pool["filepath"].startswith(numpy_dir + "/numpy")
    ]
    assert blas
    assert all(pool["num_threads"] == 1 for pool in blas)
