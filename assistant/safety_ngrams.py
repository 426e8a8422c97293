"""A character n-gram reading of a message, beside the embedding one (safety_semantic.py).

Each message, normalised and folded, is cut into character n-grams of 2 to 5 within its words
(each word padded with a space, as typed: "kil myself", "n aguento", "ich ritze mich"); the
n-grams found in at least two bank messages are the features, weighted by TF-IDF (sublinear
term frequency) and scaled to unit length. A multinomial logistic regression is trained on
them by full-batch gradient descent, in numpy on sparse rows (no scikit-learn): deterministic,
a second or two for the bank, and well under a millisecond per message.

What it adds: the embedding hears meaning but smooths over wording it has not seen, while
n-grams keep the words themselves, their inflections and their typos. It does not decide
anything alone: safety_semantic.py mixes its probabilities with the embedding's.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence
from pathlib import Path

import numpy as np

SIZES = (2, 3, 4, 5)


def grams(text: str) -> Counter[str]:
    """The character n-grams of each word of a (folded) text, the word padded with spaces."""
    found: Counter[str] = Counter()
    for word in text.split():
        padded = f" {word} "
        for n in SIZES:
            found.update(padded[i : i + n] for i in range(max(len(padded) - n + 1, 1)))
    return found


class NgramModel:
    def __init__(
        self, vocabulary: Sequence[str], idf: np.ndarray, weights: np.ndarray, bias: np.ndarray
    ) -> None:
        self._index = {g: i for i, g in enumerate(vocabulary)}
        self._idf, self._weights, self._bias = idf, weights, bias

    @classmethod
    def train(
        cls, texts: Sequence[str], targets: np.ndarray, classes: int, min_df: int = 2
    ) -> NgramModel:
        counted = [grams(t) for t in texts]
        df = Counter(g for c in counted for g in c)
        kept = sorted(g for g, n in df.items() if n >= min_df)
        idf = np.array(
            [math.log((1 + len(texts)) / (1 + df[g])) + 1 for g in kept], dtype=np.float32
        )
        model = cls(kept, idf, np.zeros(0), np.zeros(0))
        rows = [model._row(c) for c in counted]
        model._weights, model._bias = _train(rows, targets, classes, len(kept))
        return model

    def save(self, path: Path) -> None:
        with path.open("wb") as out:
            np.savez(
                out,
                vocabulary=np.array(list(self._index)),
                idf=self._idf,
                weights=self._weights,
                bias=self._bias,
            )

    @classmethod
    def load(cls, path: Path) -> NgramModel:
        with np.load(path, allow_pickle=False) as saved:
            vocabulary = [str(g) for g in saved["vocabulary"]]
            return cls(vocabulary, saved["idf"], saved["weights"], saved["bias"])

    def _row(self, counted: Counter[str]) -> tuple[np.ndarray, np.ndarray]:
        """(feature indices, unit-length TF-IDF values) of one message."""
        pairs = [(self._index[g], n) for g, n in counted.items() if g in self._index]
        if not pairs:
            return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float32)
        indices = np.array([i for i, _ in pairs], dtype=np.int64)
        values = (1 + np.log([n for _, n in pairs])).astype(np.float32) * self._idf[indices]
        return indices, values / np.linalg.norm(values)

    def probabilities(self, texts: Sequence[str]) -> np.ndarray:
        """One row of class probabilities per (folded) text."""
        z = np.stack([self._logits(self._row(grams(t))) for t in texts])
        return _softmax(z)

    def _logits(self, row: tuple[np.ndarray, np.ndarray]) -> np.ndarray:
        indices, values = row
        # Elementwise on purpose, not `values @ weights`: a BLAS product here may wake
        # OpenBLAS's threads, whose spinning slows the next e5 embedding (safety_semantic.py).
        return (values[:, None] * self._weights[indices]).sum(axis=0) + self._bias


def _softmax(z: np.ndarray) -> np.ndarray:
    p = np.exp(z - z.max(axis=1, keepdims=True))
    return p / p.sum(axis=1, keepdims=True)


def _train(
    rows: list[tuple[np.ndarray, np.ndarray]],
    targets: np.ndarray,
    classes: int,
    features: int,
    l2: float = 1e-4,
    epochs: int = 100,
    step: float = 4.0,
) -> tuple[np.ndarray, np.ndarray]:
    """Multinomial logistic regression by full-batch gradient descent with momentum, on
    sparse rows kept as flat arrays (indices, values, the row of each)."""
    indices = np.concatenate([r[0] for r in rows])
    values = np.concatenate([r[1] for r in rows])
    owner = np.repeat(np.arange(len(rows)), [len(r[0]) for r in rows])
    onehot = np.eye(classes, dtype=np.float32)[targets]
    weights: np.ndarray = np.zeros((features, classes), dtype=np.float32)
    bias: np.ndarray = np.zeros(classes, dtype=np.float32)
    velocity_w, velocity_b = np.zeros_like(weights), np.zeros_like(bias)
    for _ in range(epochs):
        z = np.stack(
            [np.bincount(owner, values * weights[indices, c], len(rows)) for c in range(classes)],
            axis=1,
        )
        gradient = (_softmax(z + bias) - onehot) / len(rows)
        spread = values[:, None] * gradient[owner]
        grad_w = np.stack(
            [np.bincount(indices, spread[:, c], features) for c in range(classes)], axis=1
        ).astype(np.float32)
        velocity_w = (0.9 * velocity_w - step * (grad_w + l2 * weights)).astype(np.float32)
        velocity_b = (0.9 * velocity_b - step * gradient.sum(axis=0)).astype(np.float32)
        weights += velocity_w
        bias += velocity_b
    return weights, bias
