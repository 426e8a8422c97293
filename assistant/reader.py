"""The second look: read what is asked against each candidate answer unit.

Retrieval ranks chunks; this stage decides which unit inside the best chunks answers the
question, and how well. It reads the question's focus (the question sentences of a long
post, the own words of a follow-up) against every sentence of a unit and against the
heading the unit sits under (a FAQ question heading that matches the question is strong
evidence that the paragraph below it answers it), through one or more embedding models
("views"), plus the share of the question's meaning-bearing words the unit and its heading
contain.

For English the reading is done with multilingual-e5-small (trained on query/passage
relevance; together with all-MiniLM-L6-v2 it read worse on the dev cases than alone); its
stored sentence vectors are read from the multilingual index, so only the question and the
headings are embedded here. A reader takes any number of views (models), averaged. No
cross-encoder or extractive-QA model ships in a package this project can install, so the
reading is a combination of these signals, weighed on the dev cases (README).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from assistant.embedding import Embedder, mixed_query
from assistant.units import AnswerUnit, stands_alone
from assistant.vectors import VectorRows


@dataclass
class View:
    """One embedding model's sentence vectors, aligned to the retriever's sentence table."""

    name: str
    embedder: Embedder
    vectors: VectorRows
    """Row i is the vector of sentence i of the retriever the units come from (zeros if unknown)."""
    scale: tuple[float, float]
    """(unrelated, answering): typical similarities, mapped to 0 and 1 so views can be added."""
    headings: dict[str, np.ndarray] = field(default_factory=dict)

    def calibrated(self, similarity: np.ndarray | float) -> np.ndarray | float:
        low, high = self.scale
        return (similarity - low) / (high - low)

    def embed_headings(self, texts: list[str]) -> None:
        missing = sorted({t for t in texts if t and t not in self.headings})
        if missing:
            for text, vector in zip(missing, self.embedder.embed_passages(missing), strict=True):
                self.headings[text] = vector


@dataclass(frozen=True)
class ScoredUnit:
    unit: AnswerUnit
    score: float
    """How well the unit answers the question (calibrated; about 0 unrelated, 1 answering)."""
    sentence_scores: tuple[float, ...]
    """Per sentence of the unit, how well it answers (same scale), in the unit's order."""
    parts: dict[str, float]
    """The signals behind `score`, for the JSON output and for tuning."""


WEIGHTS = {"sentence": 0.5, "heading": 0.1, "coverage": 0.35, "passage": 0.2}
"""How much each signal counts, chosen on the English dev and legacy cases (never the held-out
ones). Questions in the other languages are read with the same weights: their word coverage
comes from the translated glossary's English terms. Read without word coverage or the passage's
score (sentence 0.7, heading 0.3), 40 of the 47 translated legacy questions got an answering
quote; with these weights 44."""


class UnitReader:
    """Scores answer units for a question. `views` are the embedding models to read with."""

    def __init__(self, views: list[View], weights: dict[str, float] | None = None) -> None:
        self.views = views
        self.weights = weights or WEIGHTS

    def prepare(self, headings: list[str]) -> None:
        """Embed every heading answer units can sit under once, at load, not on a question's
        time (Retriever.headings: without building the units)."""
        for view in self.views:
            view.embed_headings(headings)

    def score(
        self,
        focus: tuple[tuple[str, float], ...],
        focus_vectors: dict[str, np.ndarray],
        units: list[AnswerUnit],
        coverage: list[float],
        sentence_texts: dict[int, str],
        said: frozenset[int] = frozenset(),
        passage: list[float] | None = None,
    ) -> list[ScoredUnit]:
        """`focus` is what is asked, as texts with weights (see Query.focus_parts);
        `focus_vectors` holds it already embedded by a view's name (reused, not recomputed); `coverage[i]` is the word coverage of unit i; sentences in `said` were
        quoted in the previous answer and are not given again; best first."""
        if not units:
            return []
        rows = sorted({r for u in units for r in u.sentences})
        position = {r: i for i, r in enumerate(rows)}
        sentence = np.zeros(len(rows), dtype=np.float32)
        heading = np.zeros(len(units), dtype=np.float32)
        by_view: dict[str, np.ndarray] = {}
        for view in self.views:
            vector = focus_vectors.get(view.name)
            if vector is None:
                vector = mixed_query(view.embedder, focus)
            by_view[view.name] = np.asarray(
                view.calibrated(view.vectors[rows] @ vector), np.float32
            )
            sentence += by_view[view.name]
            view.embed_headings([u.heading for u in units])
            for i, unit in enumerate(units):
                if unit.heading in view.headings:
                    similarity = float(view.headings[unit.heading] @ vector)
                    heading[i] += float(view.calibrated(similarity))
        sentence /= len(self.views)
        heading /= len(self.views)
        scored = []
        w = self.weights
        for i, unit in enumerate(units):
            # Items of an introduced list are quoted with their lead-in; elsewhere a sentence
            # that cannot stand alone (a label, a link, "the table below") never answers.
            per_sentence = tuple(
                _sentence_score(float(sentence[position[r]]), sentence_texts[r], n, unit)
                if r not in said
                else -1.0
                for n, r in enumerate(unit.sentences)
            )
            best = max(per_sentence)
            if best <= -1.0:
                continue
            head = float(heading[i]) if unit.heading else 0.0
            prior = passage[i] if passage else 0.0
            parts = {"sentence": best, "heading": head, "coverage": coverage[i], "passage": prior}
            total = (
                w["sentence"] * best
                + w["heading"] * max(head, 0.0)
                + w["coverage"] * coverage[i]
                + w.get("passage", 0.0) * prior
            )
            parts |= {
                name: float(max(v[position[r]] for r in unit.sentences))
                for name, v in by_view.items()
            }
            scored.append(ScoredUnit(unit, total, per_sentence, parts))
        return sorted(scored, key=lambda s: -s.score)


BARE_ITEM = 0.35
"""A list item too short to stand alone ("Fatigue") names a topic, it does not explain it:
it counts at this share of its similarity, and only inside its introduced list."""


def _sentence_score(similarity: float, text: str, index: int, unit: AnswerUnit) -> float:
    # A sentence that cannot stand alone (a label, a link, "the table below") never answers.
    if stands_alone(text):
        return similarity
    if unit.lead_in and index > 0:
        return BARE_ITEM * similarity
    return -1.0
