"""The semantic safety layer: what a message means, beyond the words the patterns know.

A bank of example messages (`safety_bank.txt`: crisis, emergency, advice, and ordinary rehab
questions that share their words) is embedded with the multilingual e5 model, and a small
logistic regression (numpy, four classes) is trained on it when the assistant is built.
A message's probability for a route decides: at or above `certain` the route replaces the
answer; in the grey band down to `beside` (crisis and emergency only) the answer is given
with the support message beside it. The thresholds were chosen on the bank (the "dev" split
of evals/safety_cases.jsonl) by cross-validation; the "heldout" split never informed them.

The bank's embeddings are cached as a .npy file in a folder given by the caller (the index
folder), keyed by the bank's hash and the model's name, so only the first start pays for
embedding it. This module does not look at the conversation or at patterns: see safety.py.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from assistant.embedding import Embedder
from assistant.safety import Verdict, normalise

BANK = Path(__file__).parent / "safety_bank.txt"
CLASSES = ("crisis", "emergency", "advice", "ordinary")


@dataclass(frozen=True)
class Thresholds:
    """Probabilities a route needs: `certain` replaces the answer, `beside` (crisis and
    emergency) shows the support message beside it. Either also needs the message to sit
    nearer the route's examples than the ordinary ones (its `neighbours` closest of each)."""

    certain: dict[str, float] = field(
        default_factory=lambda: {"crisis": 0.8, "emergency": 0.8, "advice": 0.4}
    )
    beside: dict[str, float] = field(default_factory=lambda: {"crisis": 0.3, "emergency": 0.3})
    neighbours: int = 3
    beside_margin: float = 0.005
    advice_margin: float = -0.01
    """Advice may sit a little nearer ordinary questions about medicines than its own examples."""
    """The grey band also needs the route's examples this much nearer than the ordinary ones."""


def read_bank(path: Path = BANK) -> tuple[list[str], list[str]]:
    """(labels, texts) of the bank: one `label<TAB>message` per line, # for comments."""
    labels, texts = [], []
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.startswith("#"):
            label, text = line.split("\t", 1)
            labels.append(label)
            texts.append(text)
    return labels, texts


class SemanticLayer:
    def __init__(
        self,
        embedder: Embedder,
        cache_dir: Path | None = None,
        bank: Path = BANK,
        thresholds: Thresholds | None = None,
    ) -> None:
        self.embedder = embedder
        self.thresholds = thresholds or Thresholds()
        labels, texts = read_bank(bank)
        vectors = _bank_vectors(embedder, [normalise(t) for t in texts], bank, cache_dir)
        self._mean = vectors.mean(axis=0)
        self._scale = vectors.std(axis=0) + 1e-6
        self._targets = np.array([CLASSES.index(label) for label in labels])
        self._vectors = vectors
        self._weights, self._bias = _train(self._standard(vectors), self._targets)

    def scores(self, text: str) -> tuple[dict[str, float], dict[str, float]]:
        """For a normalised message: each class's probability, and for each route how much
        nearer its closest examples are than the closest ordinary ones (cosine, > 0: nearer)."""
        vector = np.asarray(_embed([text], self.embedder), dtype=np.float32)
        z = self._standard(vector) @ self._weights + self._bias
        p = np.exp(z - z.max())
        p = (p / p.sum())[0]
        similarity = self._vectors @ vector[0]
        k = self.thresholds.neighbours
        nearest = {
            name: float(np.sort(similarity[self._targets == i])[-k:].mean())
            for i, name in enumerate(CLASSES)
        }
        probabilities = {name: float(p[i]) for i, name in enumerate(CLASSES)}
        margins = {name: nearest[name] - nearest["ordinary"] for name in CLASSES[:3]}
        return probabilities, margins

    def classify(self, text: str, personal_medicine: bool = True) -> Verdict:
        """The route a normalised message most likely takes, certain or in the grey band.
        Advice only when the message speaks of the person's own medicine (`personal_medicine`)."""
        probabilities, margins = self.scores(text)
        # Advice also needs a medicine named in the first person, and may sit a little nearer
        # the ordinary questions about medicines in general than its own examples.
        routes = [r for r in ("crisis", "emergency") if margins[r] > 0]
        near_advice = margins["advice"] > self.thresholds.advice_margin
        routes += ["advice"] if personal_medicine and near_advice else []
        for name in routes:
            if probabilities[name] >= self.thresholds.certain[name]:
                return Verdict(name)  # type: ignore[arg-type]
        for name, floor in self.thresholds.beside.items():
            near = margins[name] > self.thresholds.beside_margin
            if near and probabilities[name] >= floor:
                return Verdict(name, certain=False)  # type: ignore[arg-type]
        return Verdict(None)

    def _standard(self, vectors: np.ndarray) -> np.ndarray:
        return (vectors - self._mean) / self._scale


def _embed(texts: list[str], embedder: Embedder) -> np.ndarray:
    """Messages are compared with messages, so both sides take e5's "query: " prefix."""
    if hasattr(embedder, "embed_queries"):
        return np.asarray(embedder.embed_queries(texts), dtype=np.float32)
    return np.stack([embedder.embed_query(t) for t in texts]).astype(np.float32)


def _bank_vectors(
    embedder: Embedder, texts: list[str], bank: Path, cache_dir: Path | None
) -> np.ndarray:
    key = hashlib.sha256(f"{embedder.name}\n{bank.read_bytes().hex()}".encode()).hexdigest()
    path = cache_dir / f"safety-bank-{key[:16]}.npy" if cache_dir else None
    if path and path.exists():
        cached = np.load(path)
        if cached.shape[0] == len(texts):
            return cached
    vectors = _embed(texts, embedder)
    if path:
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            np.save(path, vectors)
        except OSError:
            pass  # a read-only index folder: embed again next start, nothing else changes
    return vectors


def _train(
    features: np.ndarray,
    targets: np.ndarray,
    l2: float = 0.01,
    epochs: int = 300,
    step: float = 0.2,
) -> tuple[np.ndarray, np.ndarray]:
    """Multinomial logistic regression by full-batch gradient descent (deterministic)."""
    weights = np.zeros((features.shape[1], len(CLASSES)), dtype=np.float32)
    bias = np.zeros(len(CLASSES), dtype=np.float32)
    onehot = np.eye(len(CLASSES), dtype=np.float32)[targets]
    for _ in range(epochs):
        z = features @ weights + bias
        p = np.exp(z - z.max(axis=1, keepdims=True))
        p /= p.sum(axis=1, keepdims=True)
        gradient = (p - onehot) / len(features)
        weights -= step * (features.T @ gradient + l2 * weights)
        bias -= step * gradient.sum(axis=0)
    return weights, bias
