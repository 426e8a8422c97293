"""Questions without real words, and over-long questions (issue 16, item 9), fast tier."""

from __future__ import annotations

import pytest

from assistant.language import detect_language
from assistant.messages import message


@pytest.mark.parametrize("text", ["aaaa", "a" * 1999, "aaaa aaaa!", "zzzzzz ??? 1234"])
def test_letters_that_make_no_word_are_not_a_language(text):
    assert detect_language(text) == "en"
    assert detect_language(text, fallback="de") == "de"


@pytest.mark.parametrize("question", ["aaaa", "a" * 1999, "aaaa aaaa!", "zzzzzz ??? 1234"])
def test_input_without_real_words_is_invalid(fast_assistant, question):
    answer = fast_assistant.ask(question)
    assert (answer.status, answer.language) == ("invalid", "en")
    assert answer.answer == message("invalid_nowords", "en")
    assert answer.citations == answer.retrieved == ()


@pytest.mark.parametrize("word", ["insurance", "seguro", "Versicherung", "aaaa"])
def test_too_long_message_of_one_repeated_word_is_in_english(fast_assistant, word):
    question = f"{word} " * 20_000
    answer = fast_assistant.ask(question)
    assert (answer.status, answer.language) == ("invalid", "en")
    assert answer.answer == message("invalid_long", "en", length=len(question), limit=2000)


def test_too_long_message_in_a_real_language_is_answered_in_that_language(fast_assistant):
    question = (
        "Tengo esclerosis múltiple y me canso mucho por la tarde; quisiera saber si la "
        "fisioterapia puede ayudarme a caminar mejor y cuántas sesiones suelen hacer falta. "
    ) * 30
    answer = fast_assistant.ask(question)
    assert (answer.status, answer.language) == ("invalid", "es")
