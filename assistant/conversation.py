"""Resolve a follow-up question from the conversation, without a language model.

"Is it covered by insurance?" after "What does an occupational therapist do?" means
"occupational therapist ... covered by insurance". A question counts as a follow-up when
it leans on something said before (a pronoun such as "it" or "they", an opening such as
"what about" or "and", or too few words of its own to stand alone); then the topic words of
the latest self-contained user question are added for retrieval. The user's own words
are kept as they are; only the retrieval query grows.

The same signals are listed for Spanish, French, German and Portuguese ("¿y el seguro?",
"et ça coûte combien ?", "und was kostet das?", "e isso é coberto?"); the multilingual
embedder then reads the combined query. Unknown languages simply never count as follow-ups.
"""

from __future__ import annotations

import re

from assistant.models import Turn
from assistant.text import content_terms, words

_ANAPHORA = frozenset(
    [
        "it",
        "its",
        "it's",
        "that",
        "this",
        "they",
        "them",
        "their",
        "those",
        "these",
        "there",
        "he",
        "she",
    ]
)
_OPENERS = re.compile(
    r"^\s*(and|also|but|so|what about|how about|what if|and if|then|ok|okay|same for|"
    r"is that|does that|can they|do they|are they|will it|would it)\b",
    re.IGNORECASE,
)
# Spanish, French, German, Portuguese: pronouns that point back, and openings that continue.
_ANAPHORA_OTHER = frozenset(
    "eso esto ello ellos ellas esa ese "
    "ça cela ceci ils elles "
    "das dies diese dieser dafür davon damit dazu darüber "
    "isso isto eles elas ele ela".split()
)
_OPENERS_OTHER = re.compile(
    r"^\W*(y|también|pero|entonces|y si|qué tal|"
    r"et|aussi|mais|alors|et si|qu'en est-il|"
    r"und|auch|aber|dann|und wenn|was ist mit|wie ist es mit|"
    r"e|também|mas|então|e se|e quanto)\b",
    re.IGNORECASE,
)
_LETTERS = re.compile(r"[^\W\d_]+(?:['’][^\W\d_]+)?")


def is_follow_up(question: str) -> bool:
    tokens = words(question)
    if not tokens:
        return False
    leans_back = bool(_ANAPHORA.intersection(tokens)) or bool(_OPENERS.match(question))
    return leans_back or _leans_back_other(question) or len(content_terms(question)) <= 1


def _leans_back_other(question: str) -> bool:
    tokens = set(_LETTERS.findall(question.lower()))
    return bool(_ANAPHORA_OTHER & tokens) or bool(_OPENERS_OTHER.match(question))


def resolve(question: str, history: list[Turn]) -> str:
    """The query retrieval should see: the question, plus the topic it follows up on."""
    if not history or not is_follow_up(question):
        return question
    topic = _latest_topic(history)
    return f"{topic} {question}" if topic else question


def _latest_topic(history: list[Turn]) -> str:
    """The most recent user question that stands on its own (folding in chains of follow-ups)."""
    chain: list[str] = []
    for turn in reversed(history):
        if turn.role != "user" or not turn.content.strip():
            continue
        chain.append(turn.content.strip())
        if not is_follow_up(turn.content):
            break
    return " ".join(reversed(chain))
