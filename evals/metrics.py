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


# --- Does a quote read alone? -------------------------------------------------------------
# A general rule set, not a list of this corpus's lines: a quote a reader cannot understand
# without the page around it (a heading, a link line, a bare bullet, a byline, a sentence that
# points at a table or video the answer does not show) fails.

_END = re.compile(r"[.!?][\"'”’)\]]*$")
_BULLET = re.compile(r"^\s*(?:[•·▪◦‣*–-]|\d{1,2}[.)])\s+")
_LINK = re.compile(
    r"https?://|\bwww\.|(?<!@)\b[\w-]+\.(?:org|com|net|gov|edu|int)\b/?\s*\.?$", re.I
)
_NAVIGATION = re.compile(
    r"^(?:find out (?:more|how)|learn (?:more|how|about)|read (?:more|on)|click here|see (?:more|also)"
    r"|visit\b|go to\b|back to\b|skip to\b|sign up|subscribe|download\b|share this|print this"
    r"|watch\b|listen\b)",
    re.I,
)
_FEEDBACK = re.compile(r"\bwas this (?:page|article|information) helpful\b|\bclick here\b", re.I)
_BYLINE = re.compile(
    r"^(?:by|written by|(?:medically )?reviewed by|fact[- ]checked by|updated (?:on|by))\s+[A-Z]"
    r"|^[A-Z][\w.'’-]+(?:\s+[A-Z][\w.'’-]+){1,3},?(?:\s+[A-Z]{2,5},?)*\s+is an?\s"
    r"[^.]*\b(?:years of experience|board[- ]certified|writer|journalist|editor|author)\b",
)
_POINTER = re.compile(
    r"\b(?:table|figure|chart|graph|diagram|image|picture|video|list|box|link)s?\s+(?:below|above)\b"
    r"|\b(?:see|listed|shown|described|outlined|detailed)\s+(?:below|above)\b"
    r"|\bas (?:shown|seen|illustrated)\b|\bthe following\b|\bthis (?:video|table|chart|figure|graphic)\b"
    r"|\bbelow (?:shows|lists|highlights)\b",
    re.I,
)
_SMALL_WORDS = {"a", "an", "and", "as", "at", "by", "for", "from", "in", "of", "on", "or", "the",
                "to", "with", "is", "are", "your", "you", "can", "do", "does", "how", "what"}  # fmt: skip


def _words(text: str) -> list[str]:
    return re.findall(r"[^\W_][\w'’-]*", text)


def _heading_like(line: str) -> bool:
    """Short or Title-Case text without sentence-ending punctuation; or a lone question."""
    words = _words(line)
    if _END.search(line):
        return line.rstrip().endswith("?") and len(re.findall(r"[.!?](?:\s|$)", line)) == 1
    if len(words) < 6:
        return True
    content = [w for w in words if w.lower() not in _SMALL_WORDS]
    capitals = [w for w in content if w[0].isupper()]
    return bool(content) and len(capitals) / len(content) >= 0.6


def reads_alone(quote: str) -> bool:
    """False for a quote that cannot be understood without the page around it: a heading,
    title or subtitle; a link or navigation line; a bare bullet of one to three words; a
    byline or author blurb; a list lead-in without its list; or a sentence that points at
    something the answer does not show ("the table below", "this video")."""
    lines = [line.strip() for line in quote.splitlines() if line.strip()]
    if not lines:
        return False
    first, text = lines[0], " ".join(lines)
    body = _BULLET.sub("", first)
    if _BULLET.match(first) and len(lines) == 1 and len(_words(body)) <= 3:
        return False
    if len(_words(text)) <= 3:
        return False
    if _LINK.search(text) and len(_words(text)) < 15:
        return False
    if _NAVIGATION.match(body) or _FEEDBACK.search(text) or _BYLINE.search(body):
        return False
    if _POINTER.search(text):
        return False
    if lines[-1].endswith(":"):
        return False  # a lead-in whose list is not shown
    lead_in_with_list = len(lines) > 1 and first.endswith(":")
    return lead_in_with_list or not _heading_like(body)
