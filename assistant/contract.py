"""The JSON of the command-line contract (shared/contract.md) for `ask` and `find`, built in
one place so the CLI and the app's API answer with the same objects.

Input is taken as it comes from a JSON line or an API call: anything that is not a string
question or a well-formed history turn is treated as missing, and a history that is not a list
at all makes the request `invalid`; never a crash.
"""

from __future__ import annotations

import re
from typing import Any

from assistant.core import Assistant
from assistant.finder import CALIBRATION_POOL, is_close_match
from assistant.models import Answer, Match, Turn


def history_problem(history: Any) -> str:
    """Why `history` cannot be a conversation (it must be a list of turns), or ""."""
    if history is None or isinstance(history, list):
        return ""
    return 'the history must be a list of turns like {"role": "user", "content": "..."}'


HISTORY_TURNS = 40
"""Latest turns of a history that are read: a follow-up leans on the last few, and a history of
thousands of turns must cost no more than a short one."""
ANSWER_CHARS = 20_000
"""Longest assistant turn read, in characters (an answer with its quotes is a few thousand)."""


def turns_from(history: Any, question_chars: int = 2000) -> list[Turn]:
    """The contract's `history` ([{"role", "content"}], oldest first) as turns; others skipped.
    Only the latest HISTORY_TURNS are read, a user turn up to the longest question accepted
    and an assistant turn up to ANSWER_CHARS, so no history holds up the question."""
    if not isinstance(history, list):
        return []
    return [
        Turn(t["role"], _text(str(t.get("content", ""))[: _longest(t, question_chars)]))
        for t in history[-HISTORY_TURNS:]
        if isinstance(t, dict) and t.get("role") in ("user", "assistant")
    ]


def _longest(turn: dict[str, Any], question_chars: int) -> int:
    return question_chars if turn["role"] == "user" else ANSWER_CHARS


_SURROGATE = re.compile(r"[\ud800-\udfff]")


def _text(given: Any) -> str:
    """A string as given, with lone surrogates (not text, and not encodable) as U+FFFD."""
    return _SURROGATE.sub("\ufffd", given) if isinstance(given, str) else ""


def ask_json(assistant: Assistant, question: Any, history: Any = None) -> dict[str, Any]:
    text = _text(question)
    problem = history_problem(history)
    if text != question and isinstance(question, str):
        problem = "the question contains a lone surrogate (such as \\ud800), which is not text"
    if problem:
        return Answer(text, "invalid", f"Invalid input: {problem}.").to_json()
    turns = turns_from(history, assistant.settings.max_question_chars)
    return assistant.ask(text, turns).to_json()


def find_matches(assistant: Assistant, text: str, k: int = 5) -> tuple[list[Match], bool, str]:
    """(the `k` best matches, whether the best is a close match, the text's language)."""
    language = assistant.language_of(text) if text.strip() else "en"
    ranked = assistant.find(text, k=max(k, CALIBRATION_POOL), language=language)
    return ranked[:k], is_close_match(ranked, language), language


def find_json(assistant: Assistant, given: Any) -> dict[str, Any]:
    text = _text(given)
    matches, close, language = find_matches(assistant, text)
    return {
        "text": text,
        "language": language,
        "close_match": close,
        "matches": [m.to_json() for m in matches],
    }
