"""Shared fixtures: one ingest per tier, in pytest's tmp folders (never the project's .index)."""

from __future__ import annotations

import os

os.environ["HF_HUB_OFFLINE"] = "1"

import dataclasses
import shutil
from pathlib import Path

import pytest

from assistant.build import build_assistant, build_embedder
from assistant.settings import Settings
from ingest.pipeline import run_ingest

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT / "corpus"


def copy_corpus(target: Path) -> Path:
    shutil.copytree(CORPUS, target)
    return target


def fast_settings(corpus_dir: Path, index_dir: Path, **overrides) -> Settings:
    values = {"embedder": "hash", "translated_embedder": "", **overrides}
    return dataclasses.replace(Settings(), corpus_dir=corpus_dir, index_dir=index_dir, **values)


def ingest(paths: list[Path], settings: Settings, **kwargs):
    return run_ingest(
        paths, settings, lambda: build_embedder(settings), progress=lambda m: None, **kwargs
    )


def _built(base: Path, embedder: str, translated_embedder: str):
    corpus = copy_corpus(base / "corpus")
    settings = dataclasses.replace(
        Settings(),
        corpus_dir=corpus,
        index_dir=base / "index",
        embedder=embedder,
        translated_embedder=translated_embedder,
    )
    for each in filter(None, (settings, settings.translated())):
        assert ingest([corpus], each).failed == []
    return settings, build_assistant(settings)


@pytest.fixture(scope="session")
def fast_built(tmp_path_factory):
    return _built(tmp_path_factory.mktemp("fast"), "hash", "")


@pytest.fixture(scope="session")
def fast_settings_built(fast_built):
    return fast_built[0]


@pytest.fixture(scope="session")
def fast_assistant(fast_built):
    return fast_built[1]


@pytest.fixture(scope="session")
def real_built(tmp_path_factory):
    return _built(tmp_path_factory.mktemp("real"), "minilm", "e5")


@pytest.fixture(scope="session")
def real_settings(real_built):
    return real_built[0]


@pytest.fixture(scope="session")
def real_assistant(real_built):
    return real_built[1]
