"""The semantic safety layer: what a message means, beyond the words the patterns know.

A bank of example messages (`safety_bank.txt`: crisis, emergency, advice, and ordinary rehab
questions that share their words) is embedded with the multilingual e5 model, and a small
logistic regression (numpy, four classes) is trained on it when the assistant is built;
a second one on the bank's character n-grams (safety_ngrams.py: wording, inflections, typos)
is mixed into its probabilities (`Thresholds.ngram_weight`).
A message's probability for a route decides: at or above `certain` the route replaces the
answer; in the grey band down to `beside` (crisis and emergency only) the answer is given
with the support message beside it. A message of several sentences is also read sentence by
sentence, and the most urgent reading counts. An emergency the message tells of as past,
recurring, resolved or brought on by heat (safety.not_happening_now) is one step less urgent:
sure, the note beside the answer; unsure, nothing. The thresholds were chosen on the "dev" split of
evals/safety_cases.jsonl by five-fold cross-validation (`python -m evals.safety --cv`: each
fold routed by a layer trained without it); the "heldout" split never informed them.

The bank's embeddings are cached as a .npy file in a folder given by the caller (the index
folder), keyed by the bank's hash and the model's name, so only the first start pays for
embedding it; the n-gram regression likewise (.npz). This module does not look at the conversation or at patterns: see safety.py.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence
from contextlib import suppress
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np

from assistant.embedding import Embedder
from assistant.safety import Verdict, as_a_topic, normalise, not_happening_now
from assistant.safety_ngrams import NgramModel
from assistant.text import fold

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
    beside: dict[str, float] = field(default_factory=lambda: {"crisis": 0.05, "emergency": 0.2})
    """Crisis 0.1: with the bank's ordinary statements, "I am exhausted and I feel like giving
    up" read 0.11 (0.25 before); on dev (cross-validated) 0.1 heard one crisis more than 0.2.
    0.09 since the round-5 bank: that message read 0.0998, and on dev (cross-validated) 0.08,
    0.09 and 0.1 hear the same 242 of 244 crisis messages and flag the same 30 of 387
    look-alikes. A message this near the floor is a coin toss the next bank may turn.
    0.05 since the round-6 bank: it turned, that message read 0.057; on dev (cross-validated)
    0.05 against 0.09 heard 284 of 286 crisis messages against 283, 130 of 132 emergencies
    against 131 (one now has the crisis note beside instead), and flagged 35 of 430 look-alikes
    against 32."""
    ngram_weight: float = 0.2
    """The share of the character n-gram regression (safety_ngrams.py) in each class's
    probability; the rest is the embedding regression's. 0: the embedding alone."""
    neighbours: int = 3
    certain_margin: float = 0.005
    """A crisis or emergency reading replaces the answer only when its examples are at least
    this much nearer than the ordinary ones; nearer than that, however sure the regression,
    it is the grey band (the answer with the support message beside it). Far from every
    example the regression can be sure of anything: "And in between the blocks, do I just stop
    seeing them completely?" (a follow-up about physio) read 0.97 crisis at margin 0.003. On
    dev (cross-validated) 0.005 against 0: the same 242 of 244 crisis messages heard (5 of
    them with the answer kept and the support beside it), look-alikes routed 7 of 387
    against 8, the answer cases' short questions routed 0.006 against 0.017; 0.01 heard 240."""
    beside_margin: float = 0.0
    """The grey band needs the route's examples at least this much nearer than the ordinary ones."""
    near_tie: float = -0.005
    """A whole message the regression is sure of (`certain`) whose examples are nearly as near
    as the ordinary ones (a margin above this, below `beside_margin`) takes the grey band: on
    wording no family had, the nearest-example margin was what missed ("si je partais ce soir,
    au fond, ça changerait quoi pour qui" read 0.95 crisis at margin -0.004). Round 8, left one
    family out at a time (dev, README): crisis 235 -> 237 of 248 heard, look-alikes flagged 78
    -> 81 of 306, routed the same."""
    emergency_over_crisis: float = 0.6
    """In the grey band, emergency rather than crisis when its probability is at least this and
    larger than crisis's: lay emergencies (sudden blindness in one eye, chest pain into the arm,
    a swelling throat after an infusion) read 0.6-0.8 emergency but took the crisis note as the
    larger multiple of its floor. Left one family out (semantic layer alone): emergency 98 ->
    107 of 114 with the near tie, crisis 224 -> 222 (0.5: two crisis messages more lost)."""
    advice_margin: float = -0.01
    """Advice may sit a little nearer ordinary questions about medicines than its own examples."""
    sentence_margin: float = 0.02
    """A sentence read alone needs its route's examples at least this much nearer. Of the 79
    long posts of the answer cases (dev and legacy), 71 got the support note beside the answer
    when the bank had no ordinary statements ("I'm retired, I don't need a job." read alone as
    a crisis), 25 with them at margin 0, 13 at 0.02; cross-validated dev recall is the same.
    Since round 5 this holds on the sure path too (before, a sentence the regression was sure
    of needed only a margin above 0): the long posts with the note fell from 15 of 79 to 5 (held-out
    from 9 of 39 to 4), cross-validated dev crisis recall the same 242 of 244 once "disappearing
    for good" became a pattern in the five languages (a Portuguese buried-distress message
    had relied on it). Round 7 (bank with v8): 0.025 and 0.03 flagged 6 and 5 of the 79 long
    posts against 7, but cross-validated dev crisis recall fell from 327 to 324 of 328."""


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
        vectors = bank_vectors(embedder, [normalise(t) for t in texts], bank, cache_dir)
        self._mean = vectors.mean(axis=0)
        self._scale = vectors.std(axis=0) + 1e-6
        self._targets = np.array([CLASSES.index(label) for label in labels])
        self._vectors = vectors
        self._weights, self._bias = _train(self._standard(vectors), self._targets)
        self._ngrams = ngram_model(
            [fold(normalise(t)) for t in texts], self._targets, bank, cache_dir
        )

    def scores(self, text: str) -> tuple[dict[str, float], dict[str, float]]:
        """For a normalised message: each class's probability, and for each route how much
        nearer its closest examples are than the closest ordinary ones (cosine, > 0: nearer)."""
        return self._scores([text])[0]

    def _scores(
        self, texts: list[str], alongside: Sequence[str] = ()
    ) -> list[tuple[dict[str, float], dict[str, float]]]:
        """The readings of `texts`; `alongside` (texts another part of the ask will embed with
        the same model) are embedded in the same pass, for the embedder to remember."""
        vectors = _embed([*texts, *alongside], self.embedder)[: len(texts)]
        z = self._standard(vectors) @ self._weights + self._bias
        p = np.exp(z - z.max(axis=1, keepdims=True))
        p /= p.sum(axis=1, keepdims=True)
        w = self.thresholds.ngram_weight
        if w:
            p = (1 - w) * p + w * self._ngrams.probabilities([fold(t) for t in texts])
        # Bank-major product on purpose: `vectors @ bank.T` took OpenBLAS's threaded path here,
        # and its spinning threads slowed the next e5 embedding from ~10 ms to ~1.7 s.
        similarity = (self._vectors @ vectors.T).T
        k = self.thresholds.neighbours
        found = []
        for row, sims in zip(p, similarity, strict=True):
            nearest = {
                name: float(np.sort(sims[self._targets == i])[-k:].mean())
                for i, name in enumerate(CLASSES)
            }
            probabilities = {name: float(row[i]) for i, name in enumerate(CLASSES)}
            margins = {name: nearest[name] - nearest["ordinary"] for name in CLASSES[:3]}
            found.append((probabilities, margins))
        return found

    def classify(
        self, text: str, personal_medicine: bool = True, alongside: Sequence[str] = ()
    ) -> Verdict:
        """The route a normalised message most likely takes, certain or in the grey band.
        Advice only when the message speaks of the person's own medicine (`personal_medicine`).
        `alongside`: texts to embed in the same pass (see _scores).

        A long message is also read sentence by sentence: one sentence of distress among
        several about rehab is diluted in the whole message's embedding, not in its own."""
        parts = sentences(text)
        # A sentence read alone is a weaker signal than the whole message ("I have trouble
        # swallowing.", "I'm scared I'll lose my job." alone read as an emergency or a
        # crisis): it only puts the support message beside the answer, and only in a longer
        # message (three pieces or more), where the whole message's reading dilutes it.
        pieces = [text, *(parts if len(parts) >= MIN_PIECES else [])]
        verdicts = [
            self._decide(probabilities, margins, personal_medicine, whole=i == 0)
            for i, (probabilities, margins) in enumerate(self._scores(pieces, alongside))
        ]
        whole, *alone = verdicts
        alone = [replace(v, certain=False) if v.route else v for v in alone]
        # A red flag a sentence tells of as past or as a topic ("My dad had a stroke last
        # month and can't move his right arm well.") is not one happening: as for the patterns.
        alone = [
            Verdict(None) if v.route == "emergency" and _told_of(fold(piece)) else v
            for v, piece in zip(alone, pieces[1:], strict=True)
        ]
        if whole.route == "emergency" and not_happening_now(fold(text)):
            whole = _settled(whole)
        return min([whole, *alone], key=_urgency)

    def _decide(
        self,
        probabilities: dict[str, float],
        margins: dict[str, float],
        personal_medicine: bool,
        whole: bool = True,
    ) -> Verdict:
        t = self.thresholds
        # Advice also needs a medicine named in the first person (in the whole message: one
        # sentence of it may not name it), and may sit a little nearer the ordinary questions
        # about medicines in general than its own examples. A sentence alone needs a wider
        # margin for the grey band (Thresholds.sentence_margin).
        routes = [r for r in ("crisis", "emergency") if margins[r] > 0]
        near_advice = margins["advice"] > t.advice_margin
        routes += ["advice"] if personal_medicine and near_advice and whole else []
        # A sentence alone is never surer than its own margin allows (Thresholds.sentence_margin).
        least = t.certain_margin if whole else max(t.certain_margin, t.sentence_margin)
        for name in routes:
            sure = name == "advice" or margins[name] >= least
            if probabilities[name] >= t.certain[name] and sure:
                return Verdict(name)  # type: ignore[arg-type]
        margin = t.beside_margin if whole else t.sentence_margin
        grey = [
            name
            for name, floor in t.beside.items()
            if margins[name] > margin and probabilities[name] >= floor
        ]
        # In both grey bands, the route whose probability is the larger multiple of its floor
        # ("I feel like I'm going to pass out" has crisis examples near it too); crisis first
        # only lost emergencies on dev (cross-validated), by probability alone crises.
        if grey:
            best = max(grey, key=lambda name: probabilities[name] / t.beside[name])
            emergency = probabilities["emergency"]
            if "emergency" in grey and emergency >= t.emergency_over_crisis:
                best = "emergency" if emergency > probabilities["crisis"] else best
            return Verdict(best, certain=False)  # type: ignore[arg-type]
        if whole:
            for name in ("crisis", "emergency"):
                if probabilities[name] >= t.certain[name] and margins[name] > t.near_tie:
                    return Verdict(name, certain=False)  # type: ignore[arg-type]
        return Verdict(None)

    def _standard(self, vectors: np.ndarray) -> np.ndarray:
        return (vectors - self._mean) / self._scale


def _settled(verdict: Verdict) -> Verdict:
    """An emergency the message tells of as past, recurring, resolved or brought on by heat
    (safety.not_happening_now): a sure reading keeps the answer with the emergency note beside
    it; an unsure one leaves the answer alone. Round 9: no dev emergency of any family has
    such a cue (leaving one family out: the same figures), while the fresh probe's look-alikes
    routed fell from 3 to 0 of 41 and flagged from 6 to 3 (the unsure reading kept as a note
    was not measured apart)."""
    if verdict.certain:
        return replace(verdict, certain=False)
    return Verdict(None)


def _told_of(piece: str) -> bool:
    """A red flag a sentence asks about or tells of as not happening now."""
    return as_a_topic(piece) or not_happening_now(piece)


_URGENCY = {("crisis", True): 0, ("emergency", True): 1, ("advice", True): 2}


MIN_PIECES = 3
"""A message is read sentence by sentence too when it has at least this many pieces."""


def _urgency(verdict: Verdict) -> int:
    """Certain crisis first, then emergency, advice, the grey band (crisis, emergency), none."""
    if verdict.route is None:
        return 9
    return _URGENCY.get((verdict.route, verdict.certain), 3 if verdict.route == "crisis" else 4)


_SENTENCE_END = re.compile(r"(?<=[.!?;:])\s+|\n+|\s+[-–—]\s+")
_WINDOW = 14


def sentences(text: str) -> list[str]:
    """The sentences of a message of more than one, as pieces to read on their own; a long
    run without punctuation is cut into overlapping windows of words instead."""
    pieces = []
    for sentence in _SENTENCE_END.split(text):
        words = sentence.split()
        if len(words) <= 2 * _WINDOW:
            pieces.append(" ".join(words))
            continue
        step = _WINDOW // 2
        pieces += [" ".join(words[i : i + _WINDOW]) for i in range(0, len(words) - step, step)]
    pieces = [p for p in pieces if len(p.split()) >= 2]
    return pieces if len(pieces) > 1 else []


def _embed(texts: list[str], embedder: Embedder) -> np.ndarray:
    """Messages are compared with messages, so both sides take e5's "query: " prefix."""
    if hasattr(embedder, "embed_queries"):
        return np.asarray(embedder.embed_queries(texts), dtype=np.float32)
    return np.stack([embedder.embed_query(t) for t in texts]).astype(np.float32)


def bank_vectors(
    embedder: Embedder,
    texts: list[str],
    bank: Path,
    cache_dir: Path | None,
    name: str = "safety-bank",
) -> np.ndarray:
    """The bank's vectors, cached as `<name>-<hash of the bank>.npy` in `cache_dir`."""
    key = hashlib.sha256(f"{embedder.name}\n{bank.read_bytes().hex()}".encode()).hexdigest()
    path = cache_dir / f"{name}-{key[:16]}.npy" if cache_dir else None
    if path and path.exists():
        with suppress(OSError, ValueError):  # removed or half written by another process
            cached = np.load(path)
            if cached.shape[0] == len(texts):
                return cached
    vectors = _embed(texts, embedder)
    if path:
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            np.save(path, vectors)
        except OSError:
            return vectors  # a read-only index folder: embed again next start
        # The vectors of earlier banks are of no use any more (also those an older version
        # kept in the folder above).
        for old in [
            *path.parent.glob(f"{name}-*.npy"),
            *path.parent.parent.glob(f"{name}-*.npy"),
        ]:
            if old != path:
                old.unlink(missing_ok=True)
    return vectors


def ngram_model(
    texts: list[str], targets: np.ndarray, bank: Path, cache_dir: Path | None
) -> NgramModel:
    """The n-gram regression of the bank, trained once and cached beside the bank's vectors
    (a second or two of training otherwise at every start)."""
    key = hashlib.sha256(f"ngrams-{NGRAM_VERSION}\n{bank.read_bytes().hex()}".encode()).hexdigest()
    path = cache_dir / f"safety-ngrams-{key[:16]}.npz" if cache_dir else None
    if path and path.exists():
        with suppress(OSError, ValueError, KeyError):  # removed or half written by another process
            return NgramModel.load(path)
    model = NgramModel.train(texts, targets, len(CLASSES))
    if path:
        with suppress(OSError):  # a read-only index folder: train again next start
            path.parent.mkdir(parents=True, exist_ok=True)
            model.save(path)
            for old in path.parent.glob("safety-ngrams-*.npz"):
                if old != path:
                    old.unlink(missing_ok=True)
    return model


NGRAM_VERSION = 1
"""Bumped when safety_ngrams.py changes how it trains, so a cached model is not reused."""


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
