"""Questions on MS topics the rehabilitation documents do not cover, recognised by meaning.

`out_of_scope*.txt` names such topics by their words ("pregnan\\w*", "heredit\\w*"), and people
ask in others ("Can I still have children if I have MS?", "Can my kids catch MS from me?").
This check reads what is asked with the multilingual e5 model against a bank of example
questions (scope_bank.txt): ones a rehabilitation library does not answer ("outside") and ones
it does ("inside"). A question whose nearest outside examples are clearly nearer than its
nearest inside ones is refused, whatever words it shares with the documents. The margin
(Settings.off_topic_margin) was chosen on the dev and legacy cases (README, Evaluation).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from assistant.embedding import Embedder
from assistant.safety_semantic import bank_vectors, read_bank

BANK = Path(__file__).parent / "scope_bank.txt"
NEIGHBOURS = 3
"""How many nearest examples on each side are averaged."""


class ScopeBank:
    """The example questions, embedded once (cached in `cache_dir`)."""

    def __init__(self, embedder: Embedder, path: Path = BANK, cache_dir: Path | None = None):
        self.embedder = embedder
        labels, texts = read_bank(path)
        vectors = bank_vectors(embedder, texts, path, cache_dir, "scope-bank")
        outside = np.array([label == "outside" for label in labels])
        self._outside, self._inside = vectors[outside], vectors[~outside]

    def margin(self, vector: np.ndarray) -> float:
        """How much nearer (cosine) the question is to its nearest outside examples than to
        its nearest inside ones; above 0: more like what the library does not answer."""
        outside = np.sort(self._outside @ vector)[-NEIGHBOURS:].mean()
        inside = np.sort(self._inside @ vector)[-NEIGHBOURS:].mean()
        return float(outside - inside)
