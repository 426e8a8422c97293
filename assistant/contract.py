"""The JSON of the command-line contract (shared/contract.md) for `ask` and `find`, built in
one place so the CLI and the app's API answer with the same objects.

Input is taken as it comes from a JSON line or an API call: anything that is not a string
question or a well-formed history turn is treated as missing, and a history that is not a list
at all makes the request `invalid`; never a crash.
"""

from __future__ import annotations

from typing import Any

from assistant.core import Assistant
from assistant.finder import CALIBRATION_POOL, is_close_match
from assistant.models import Answer, Match, Turn


def history_problem(history: Any) -> str:
    """Why `history` cannot be a conversation (it must be a list of turns), or ""."""
    if history is None or isinstance(history, list):
        return ""
    return 'the history must be a list of turns like {"role": "user", "content": "..."}'


def turns_from(history: Any) -> list[Turn]:
    """The contract's `history` ([{"role", "content"}], oldest first) as turns; others skipped."""
    if not isinstance(history, list):
        return []
    return [
        Turn(role=t["role"], content=str(t.get("content", "")))
        for t in history or []
        if isinstance(t, dict) and t.get("role") in ("user", "assistant")
    ]


def ask_json(assistant: Assistant, question: Any, history: Any = None) -> dict[str, Any]:
    text = question if isinstance(question, str) else ""
    problem = history_problem(history)
    if problem:
        return Answer(text, "invalid", f"Invalid input: {problem}.").to_json()
    return assistant.ask(text, turns_from(history)).to_json()


def find_matches(assistant: Assistant, text: str, k: int = 5) -> tuple[list[Match], bool, str]:
    """(the `k` best matches, whether the best is a close match, the text's language)."""
    language = assistant.language_of(text) if text.strip() else "en"
    ranked = assistant.find(text, k=max(k, CALIBRATION_POOL), language=language)
    return ranked[:k], is_close_match(ranked, language), language


def find_json(assistant: Assistant, given: Any) -> dict[str, Any]:
    text = given if isinstance(given, str) else ""
    matches, close, language = find_matches(assistant, text)
    return {
        "text": text,
        "language": language,
        "close_match": close,
        "matches": [m.to_json() for m in matches],
    }
