"""Word-level text helpers shared by retrieval, composition and conversation.

Tokens are lower-cased, stop words dropped and stemmed (Snowball English via PyStemmer),
so "exercising" and "exercise" meet. Not a sentence splitter: sentences are found at
ingest time and stored with their offsets.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache
from pathlib import Path

_WORD = re.compile(r"[a-z0-9]+(?:['’][a-z]+)?")

_STOPWORD_TEXT = """
    a about above after again against all am an and any are aren't as at be because been
    before being below between both but by can can't cannot could couldn't did didn't do
    does doesn't doing don't down during each few for from further get gets getting got had
    hadn't has hasn't have haven't having he her here hers herself him himself his how i i'm
    if in into is isn't it it's its itself just let's me might more most much must my myself
    no nor not now of off on once only or other ought our ours ourselves out over own same
    she should shouldn't so some such than that that's the their theirs them themselves then
    there these they they're this those through to too under until up very was wasn't we
    were weren't what what's when where which while who whom why will with won't would
    wouldn't you you're your yours yourself yourselves also any anything something tell know
    want need like please really thing things way ways kind lot lots ok okay hi hello thanks
    thank
"""
STOPWORDS = frozenset(_STOPWORD_TEXT.split())


@lru_cache(maxsize=1)
def _stemmer():  # type: ignore[no-untyped-def]
    import Stemmer

    return Stemmer.Stemmer("english")


def words(text: str) -> list[str]:
    """Lower-cased words, apostrophes normalised."""
    return _WORD.findall(text.lower().replace("’", "'"))


def content_terms(text: str) -> list[str]:
    """Stemmed words that carry meaning (stop words removed), in order, with repeats."""
    kept = [w for w in words(text) if w not in STOPWORDS and len(w) > 1]
    return list(_stemmer().stemWords(kept))


def fold(text: str) -> str:
    """Lower-cased, accents removed, ß as ss: "Ergothérapie" -> "ergotherapie"."""
    decomposed = unicodedata.normalize("NFKD", text.lower().replace("ß", "ss"))
    return "".join(c for c in decomposed if not unicodedata.combining(c))


_GLOSSARIES = {
    "en": Path(__file__).parent / "glossary.txt",
    "translated": Path(__file__).parent / "glossary_translated.txt",
}


# How a glossary's lay phrase is matched. English: whole words with their usual endings, so
# "wee" is not found in "weeks" nor "rub" in "rubbish" (a stem says `\w*` itself). The
# translated glossary lists stems across four languages ("fisioterap", "ergotherap"), so its
# phrases match the start of a word.
_PHRASE = {
    "en": r"(?<!\w)(?:{})(?:s|es|ed|d|ing|er|ers|ness|ful|ly|able|['’]s)?(?!\w)",
    "translated": r"(?<!\w)(?:{})",
}


@lru_cache(maxsize=2)
def _glossary(which: str) -> tuple[tuple[re.Pattern[str], str], ...]:
    rules = []
    for line in _GLOSSARIES[which].read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.startswith("#") and "=>" in line:
            lay, terms = line.split("=>", 1)
            rules.append(
                (re.compile(_PHRASE[which].format(lay.strip()), re.IGNORECASE), terms.strip())
            )
    return tuple(rules)


def expand(text: str, language: str = "en") -> str:
    """The documents' (English) vocabulary for the words of `text`, space-separated.

    English questions use glossary.txt (everyday words -> document terms); questions in the
    other languages use glossary_translated.txt, matched with accents folded away.
    """
    if language == "en":
        return " ".join(terms for pattern, terms in _glossary("en") if pattern.search(text))
    folded = fold(text)
    return " ".join(terms for pattern, terms in _glossary("translated") if pattern.search(folded))
