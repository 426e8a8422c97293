from __future__ import annotations

from assistant.conversation import is_follow_up, resolve
from assistant.models import Turn

HISTORY = [
    Turn("user", "What does an occupational therapist do?"),
    Turn("assistant", "..."),
]


def test_follow_up_takes_topic_from_history():
    resolved = resolve("Is it covered by insurance?", HISTORY)
    assert "occupational therapist" in resolved
    assert resolved.endswith("Is it covered by insurance?")


def test_self_contained_question_is_unchanged():
    question = "How does physical therapy improve balance in multiple sclerosis?"
    assert resolve(question, HISTORY) == question


def test_no_history_is_unchanged():
    assert resolve("Is it covered by insurance?", []) == "Is it covered by insurance?"


def test_is_follow_up():
    assert is_follow_up("What about them?")
    assert is_follow_up("And speech therapy?")
    assert not is_follow_up("What does a speech therapist do for swallowing problems?")


def test_chain_of_follow_ups_keeps_original_topic():
    history = [*HISTORY, Turn("user", "Is it covered by insurance?"), Turn("assistant", "...")]
    assert "occupational therapist" in resolve("And how long does it last?", history)
