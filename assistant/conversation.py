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
    topic = topic_of(question, history)
    return f"{topic} {question}" if topic else question


def topic_of(question: str, history: list[Turn]) -> str:
    """The earlier question a follow-up leans on ("" when it stands on its own)."""
    if not history or not is_follow_up(question):
        return ""
    return _latest_topic(history)


def last_answer(history: list[Turn]) -> str:
    """The assistant's latest reply: what a follow-up's "it" or "that" may point at."""
    return next((t.content for t in reversed(history) if t.role == "assistant"), "")


def earlier_answers(history: list[Turn]) -> str:
    """Every reply of the assistant so far, whose quotes a follow-up is not given again."""
    return "\n\n".join(t.content for t in history if t.role == "assistant")


_SENTENCES = re.compile(r"(?<=[.!?…])[\s\"”)]+(?=\S)|\n+")
_ASKING = re.compile(
    r"^\W*(how|what|what's|which|who|where|when|why|is|are|am|can|could|should|would|will|"
    r"do|does|did|has|have|any|anyone|tips|advice|help|please|i need|i want to know|"
    r"i'?d like to know|i wonder|wondering|is there|are there|cu[aá]l|c[oó]mo|qu[eé]|"
    r"comment|quel|quelle|est-ce|wie|was|welche|kann|gibt es|como|qual|o que|posso)\b",
    re.IGNORECASE,
)
LONG_POST_WORDS = 35
"""A message longer than this, in more than two sentences, is read for its question."""


def what_is_asked(text: str, with_context: bool = True) -> str:
    """The part of a message that asks: a long post's question sentences, with the sentence
    before the first of them (it usually names the problem) unless `with_context` is False.
    Short messages are all asked."""
    sentences = [s.strip() for s in _SENTENCES.split(text) if s and s.strip()]
    if len(sentences) <= 2 or len(words(text)) <= LONG_POST_WORDS:
        return text
    asking = [i for i, s in enumerate(sentences) if s.endswith("?") or _ASKING.match(s)]
    if not asking:
        asking = [len(sentences) - 1]
    keep = set(asking)
    if with_context and asking[0] > 0:
        keep.add(asking[0] - 1)
    return " ".join(sentences[i] for i in sorted(keep))


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
