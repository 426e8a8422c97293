"""Evaluation metrics as pure functions: no model, no index, no I/O.

Expected passages are given as quoted text, not chunk ids, so the evaluation set
survives re-chunking: a retrieved passage or a citation "holds" an expected passage when
one contains the other after whitespace and apostrophes are normalised. Readability is
the Flesch-Kincaid grade from textstat, whose syllable dictionaries ship with it (offline).
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from textstat.textstat import textstatistics


def normalise(text: str) -> str:
    return " ".join(text.replace("’", "'").replace("‘", "'").lower().split())


def holds(found: str, expected: str) -> bool:
    a, b = normalise(found), normalise(expected)
    return bool(a) and bool(b) and (b in a or a in b)


def first_hit_rank(found: Sequence[str], expected: Sequence[str]) -> int | None:
    """1-based rank of the first found text holding any expected passage, or None."""
    for rank, text in enumerate(found, start=1):
        if any(holds(text, e) for e in expected):
            return rank
    return None


def hit_at_k(found: Sequence[str], expected: Sequence[str], k: int) -> bool:
    rank = first_hit_rank(found, expected)
    return rank is not None and rank <= k


def reciprocal_rank(found: Sequence[str], expected: Sequence[str]) -> float:
    rank = first_hit_rank(found, expected)
    return 1.0 / rank if rank else 0.0


def cited_correct(quotes: Sequence[str], expected: Sequence[str]) -> bool:
    """At least one citation quotes (part of) an answering passage."""
    return any(holds(q, e) for q in quotes for e in expected)


def verbatim(quote: str, document_text: str, start: int, end: int) -> bool:
    return document_text[start:end] == quote


def rate(flags: Sequence[bool]) -> float | None:
    return sum(flags) / len(flags) if flags else None


def percentile(values: Sequence[float], q: float) -> float | None:
    """The q-th percentile (0-100), interpolating linearly between the sorted values."""
    if not values:
        return None
    ordered = sorted(values)
    position = (len(ordered) - 1) * min(max(q, 0.0), 100.0) / 100.0
    low = int(position)
    high = min(low + 1, len(ordered) - 1)
    return float(ordered[low] + (ordered[high] - ordered[low]) * (position - low))


def mean(values: Sequence[float | None]) -> float | None:
    """The mean of the values that are not None, or None when there are none."""
    present = [v for v in values if v is not None]
    return sum(present) / len(present) if present else None


def precision(predicted: Sequence[bool], actual: Sequence[bool]) -> float | None:
    """Of the cases predicted positive, the share that are positive (None: none predicted)."""
    return rate([a for p, a in zip(predicted, actual, strict=True) if p])


def recall(predicted: Sequence[bool], actual: Sequence[bool]) -> float | None:
    """Of the positive cases, the share predicted positive (None: no positive case)."""
    return rate([p for p, a in zip(predicted, actual, strict=True) if a])


_CITATION_MARK = re.compile(r"\s*\[\d+(?:\s*,\s*\d+)*\]")


def without_citation_marks(text: str) -> str:
    return _CITATION_MARK.sub("", text)


def framing_text(answer: str, quotes: Sequence[str]) -> str:
    """The assistant's own words in an answer: the text without its quotes (or any other
    text taken from the documents, such as titles) and without [n] marks."""
    for quote in sorted(quotes, key=len, reverse=True):
        if quote.strip():
            answer = answer.replace(quote.strip(), " ")
    answer = without_citation_marks(answer)
    return "\n".join(line.strip() for line in answer.splitlines() if re.search(r"\w", line))


def _as_sentence(line: str) -> str:
    """A line of an answer (a heading, a list item, "The documents say:") is read as a
    sentence of its own, so it ends in a full stop if it has no end punctuation."""
    line = line.strip()
    return line if line[-1] in ".!?" else line + "."


def flesch_kincaid_grade(text: str, language: str = "en") -> float | None:
    """Flesch-Kincaid grade level of the text (textstat; syllables from its dictionaries for
    `language`), or None for text without words. Each line counts as a sentence at least.
    The formula is calibrated on English."""
    if not re.search(r"[^\W\d_]", text):
        return None
    text = " ".join(_as_sentence(line) for line in text.splitlines() if line.strip())
    stats = textstatistics()  # an instance of its own, so the language is not global state
    stats.set_lang(language)
    return float(stats.flesch_kincaid_grade(text))
