"""Every Embedder implementation through the same protocol tests (hash in the fast tier; the
packaged MiniLM, multilingual E5 and USE models in the real tier)."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from assistant.build import EMBEDDERS, build_embedder
from assistant.errors import ConfigError
from assistant.settings import Settings

ALL = [
    pytest.param("hash", id="hash"),
    pytest.param("minilm", id="minilm", marks=pytest.mark.real),
    pytest.param("e5", id="e5", marks=pytest.mark.real),
    pytest.param("use", id="use", marks=pytest.mark.real),
]
MULTILINGUAL = [
    pytest.param("e5", id="e5", marks=pytest.mark.real),
    pytest.param("use", id="use", marks=pytest.mark.real),
]

PASSAGES = [
    "Coverage for occupational therapy services varies by insurance plan.",
    "Stretching exercises help with spasticity and stiff muscles.",
    "Speech therapy helps people who have trouble swallowing.",
]


@pytest.fixture(scope="module")
def embedders():
    cache = {}

    def get(name):
        if name not in cache:
            cache[name] = build_embedder(dataclasses.replace(Settings(), embedder=name))
        return cache[name]

    return get


@pytest.mark.parametrize("name", ALL)
def test_passages_are_unit_rows_of_one_width(embedders, name):
    embedder = embedders(name)
    vectors = embedder.embed_passages(PASSAGES)
    assert vectors.shape[0] == len(PASSAGES)
    assert vectors.dtype == np.float32
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-3)
    query = embedder.embed_query("insurance coverage for occupational therapy")
    assert query.shape == (vectors.shape[1],)
    assert embedder.embed_passages([]).shape[0] == 0
    assert isinstance(embedder.name, str)
    assert embedder.name


@pytest.mark.parametrize("name", ALL)
def test_embedding_is_deterministic(embedders, name):
    embedder = embedders(name)
    first = embedder.embed_passages(PASSAGES)
    assert np.allclose(first, embedder.embed_passages(PASSAGES), atol=1e-5)
    assert np.allclose(first[0], embedder.embed_passages(PASSAGES[:1])[0], atol=1e-4)


@pytest.mark.parametrize("name", ALL)
def test_query_is_nearest_to_the_passage_it_matches(embedders, name):
    embedder = embedders(name)
    scores = embedder.embed_passages(PASSAGES) @ embedder.embed_query(
        "Does insurance cover occupational therapy?"
    )
    assert int(np.argmax(scores)) == 0


@pytest.mark.parametrize("name", MULTILINGUAL)
@pytest.mark.parametrize(
    ("question", "expected"),
    [
        ("¿El seguro cubre la terapia ocupacional?", 0),
        ("Quels exercices aident contre la raideur musculaire ?", 1),
        ("Welche Therapie hilft bei Schluckbeschwerden?", 2),
        ("O plano de saúde cobre a terapia ocupacional?", 0),
    ],
)
def test_question_in_another_language_finds_the_english_passage(
    embedders, name, question, expected
):
    embedder = embedders(name)
    scores = embedder.embed_passages(PASSAGES) @ embedder.embed_query(question)
    assert int(np.argmax(scores)) == expected


def test_unknown_embedder_is_a_config_error():
    with pytest.raises(ConfigError) as info:
        build_embedder(dataclasses.replace(Settings(), embedder="nope"))
    for name in EMBEDDERS:
        assert name in str(info.value)
