"""Which language a question or a pasted text is in: English, Spanish, French, German or
Portuguese, the languages the assistant's own messages are written in.

Detection uses `lingua` (statistical n-gram models shipped inside the package, offline),
restricted to these five languages, which makes it both faster and more accurate on short
questions. A few unambiguous letters settle the close Spanish/Portuguese calls on very short
texts ("¿", "ñ" are Spanish; "ã", "õ" Portuguese). When lingua is unsure the answer is the
fallback (English unless the caller knows better, e.g. the language of the conversation so
far). This module does not translate anything.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any

from assistant.errors import DependencyError

LANGUAGES = ("en", "es", "fr", "de", "pt")
"""Languages the assistant detects and speaks; documents may be in any of them."""

LANGUAGE_NAMES = {
    "en": "English",
    "es": "Español",
    "fr": "Français",
    "de": "Deutsch",
    "pt": "Português",
}
"""Each language's own name for itself, for the UI's language picker or label."""

MIN_CONFIDENCE = 0.5
"""Below this confidence in the best language, the detector is unsure and the fallback wins."""

_HINTS = (
    (re.compile(r"[¿¡ñ]", re.IGNORECASE), "es"),
    (re.compile(r"[ãõ]", re.IGNORECASE), "pt"),
    (re.compile(r"ß", re.IGNORECASE), "de"),
)


_LETTERS = re.compile(r"[^\W\d_]+")
REPEATED_WORDS = 10
"""A text of at least this many words with fewer than three different ones ("insurance
insurance ...") says nothing about its language."""


def real_words(text: str) -> list[str]:
    """The runs of letters in `text` that can be words: two or more different letters, so
    "aaaa" or "zzzzzz" is not one (n-gram detectors happily call such runs Spanish)."""
    return [w for w in _LETTERS.findall(text) if len(set(w.lower())) >= 2]


def detect_language(text: str, fallback: str = "en") -> str:
    """The language `text` is written in, as a two-letter code in LANGUAGES."""
    words = real_words(text)
    if not words or (len(words) >= REPEATED_WORDS and len({w.lower() for w in words}) < 3):
        return fallback
    if _plainly_english(words):
        return "en"
    values = _detector().compute_language_confidence_values(text)
    if not values:
        return fallback
    best, runner_up = values[0], values[1] if len(values) > 1 else None
    code = best.language.iso_code_639_1.name.lower()
    for pattern, hinted in _HINTS:
        if pattern.search(text):
            return hinted
    if best.value >= MIN_CONFIDENCE or (runner_up and best.value >= 2 * runner_up.value):
        return code
    return fallback


_ENGLISH = frozenset(
    "the what how does do did is are was were can could should would will which who why when "
    "where my your their our it its this that these those there have has with for and of to "
    "from about after before any help i you they me we be been get getting "
    "than then not but if at because just really very much many more "
    # the same words as people type them without the apostrophe
    "whats hows whos wheres whens im ive dont doesnt didnt cant isnt arent wont".split()
)
"""Small words of English that are not words of Spanish, French, German or Portuguese
(except "me", which is also theirs: it is never the only evidence, see _plainly_english)."""
_OTHER = frozenset(
    "el la los las un una del al que y en es por para con mi mis cómo qué cuál se lo le su "
    "le les des du et est pour avec je mon ma mes comment quel quelle ce il elle pas une au "
    "der die das und ist ich mit für wie was mein meine ein eine nicht zu den dem bei auch "
    "sie er wir du "
    "o os as um uma do da dos das e é para com meu minha como não em no na se que".split()
)
"""Small words of the four other languages (several are also English-looking: "a", "die")."""


SHORT = 8
"""A question of at most this many words is too short for the statistical detector to be
trusted: "Whats a physiatrist" read as German, "is ocrevus better than kesimpta?" (names the
detector has never seen) as French."""


def _plainly_english(words: list[str]) -> bool:
    """English beyond doubt without the statistical detector, whose models take a second or
    more to load on a command line's first question: no small word of the other four
    languages, no letter outside ASCII, and at least three English small words, or in a
    short question one ("me" does not count alone: "me cuesta caminar" is Spanish)."""
    lowered = [w.lower() for w in words]
    if any(not w.isascii() for w in lowered) or _OTHER.intersection(lowered):
        return False
    english = _ENGLISH.intersection(lowered)
    return len(english) >= 3 or (len(words) <= SHORT and bool(english - {"me"}))


@lru_cache(maxsize=1)
def _detector() -> Any:
    try:
        from lingua import Language, LanguageDetectorBuilder
    except ImportError as exc:
        raise DependencyError(
            "Language detection needs the `lingua-language-detector` package. Install it in "
            "the project's virtual environment (it is in pyproject.toml)."
        ) from exc
    languages = [Language.from_iso_code_639_1(_iso(code)) for code in LANGUAGES]
    return LanguageDetectorBuilder.from_languages(*languages).build()


def _iso(code: str) -> Any:
    from lingua import IsoCode639_1

    return getattr(IsoCode639_1, code.upper())
