"""The answers people saw go wrong (issue 10), asked again of the real models and index."""

from __future__ import annotations

import pytest

from assistant.models import Turn
from evals.metrics import reads_alone

pytestmark = pytest.mark.real


def _quotes(answer) -> list[str]:
    return [c.quote for c in answer.citations]


@pytest.mark.parametrize(
    ("question", "answering"),
    [
        (
            "I have trouble swallowing. Which therapist should I see?",
            "Speech therapy improves communication for those who may have difficulty speaking or swallowing",
        ),
        (
            "What is vocational rehabilitation?",
            "Vocational rehabilitation specialists focus on retraining",
        ),
        (
            "Will I be able to walk again?",
            "depends on the extent and nature of the damage",
        ),
        (
            "What does an occupational therapist do for people with MS?",
            "Occupational therapists (OTs) help people do everyday things.",
        ),
    ],
)
def test_the_answering_passage_is_quoted(real_assistant, question, answering):
    answer = real_assistant.ask(question)
    assert answer.status == "answered"
    assert any(answering in quote for quote in _quotes(answer)), _quotes(answer)
    assert all(reads_alone(quote) for quote in _quotes(answer)), _quotes(answer)


def test_a_long_post_is_answered(real_assistant):
    post = (
        "I have been bedbound, then wheelchair dependent for a long time. Every time I tried "
        "to exercise before I ended up exhausted for days and my legs got worse. My physio "
        "wants me to be more active. How do I start and what exercises won't do this to me?"
    )
    answer = real_assistant.ask(post)
    assert answer.status == "answered"
    assert all(reads_alone(quote) for quote in _quotes(answer))


def test_no_quote_points_at_a_table_it_does_not_show(real_assistant):
    answer = real_assistant.ask("What exercises can I do in a wheelchair?")
    assert answer.status == "answered"
    assert not any("table below" in quote for quote in _quotes(answer))


def test_a_follow_up_answers_the_new_question(real_assistant):
    first = real_assistant.ask("Will exercising make MS worse?")
    history = [Turn("user", "Will exercising make MS worse?"), Turn("assistant", first.answer)]
    answer = real_assistant.ask("How do I know if I overdid it?", history)
    assert answer.status == "answered"
    assert any("two-hour rule" in quote for quote in _quotes(answer)), _quotes(answer)
    assert not set(_quotes(first)) & set(_quotes(answer))


@pytest.mark.parametrize(
    "question",
    [
        "What is a charley horse?",
        "Does the keto diet slow MS progression?",
        "How long do people live after an MS diagnosis?",
    ],
)
def test_questions_sharing_only_a_word_are_refused(real_assistant, question):
    assert real_assistant.ask(question).status == "abstained"
