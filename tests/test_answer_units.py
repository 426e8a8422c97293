"""The answer layer: answer units, what a long post asks, follow-ups, composition from a
retrieval result. Fast tier (hash embedder, Chroma on disk); the real-model behaviour the
issue reported is in tests/test_answer_real.py."""

from __future__ import annotations

import dataclasses

import pytest

from assistant.compose import ExtractiveAnswerer
from assistant.conversation import topic_of, what_is_asked
from assistant.models import Turn
from assistant.units import points_elsewhere, stands_alone
from evals.metrics import reads_alone


@pytest.mark.parametrize(
    "line",
    [
        "Swallowing difficulty",
        "Vocational rehabilitation",
        "Learn how occupational therapists (OTs) may help people living with MS",
        "Find out more about OTs from the American Occupational Therapy Association.",
        "The table below highlights the benefits of exercises for a person who is wheelchair-bound.",
        "An information booklet on rehabilitation from the National MS Society, USA",
        "Watch this video to see how it works.",
        "Medically reviewed by Jane Doe, MD",
        "Pain",
    ],
)
def test_lines_that_cannot_stand_alone_are_never_quoted_alone(line):
    assert not stands_alone(line)


@pytest.mark.parametrize(
    "line",
    [
        "Speech therapy improves communication for those who may have difficulty speaking or swallowing due to weakness or poor coordination.",
        "Aerobic exercise can help promote general fitness and reduce fatigue",
        "OTs treat in all kinds of settings.",
        "If not, you did too much.",
    ],
)
def test_sentences_stand_alone(line):
    assert stands_alone(line)


def test_a_pointer_to_something_not_shown_is_recognised():
    assert points_elsewhere("The table below shows some types of exercises.")
    assert points_elsewhere("Exercises such as those shown in the table below.")
    assert not points_elsewhere("Exercise can reduce risk of blood clotting in legs")


def test_a_long_post_is_read_for_what_it_asks():
    post = (
        "I have been bedbound for months, then wheelchair dependent. Every time I tried "
        "exercising before I ended up exhausted for days and my legs got worse. My neurologist "
        "says I should move more but I am scared. How do I start, and what exercises won't do "
        "this to me? Thanks for reading all this."
    )
    asked = what_is_asked(post)
    assert asked.startswith("My neurologist says I should move more but I am scared.")
    assert "How do I start, and what exercises won't do this to me?" in asked
    assert "bedbound" not in asked
    assert what_is_asked(post, with_context=False) == (
        "How do I start, and what exercises won't do this to me?"
    )


def test_a_short_question_is_all_asked():
    question = "I have trouble swallowing. Which therapist should I see?"
    assert what_is_asked(question) == question


def test_units_never_start_or_end_on_a_heading(fast_assistant):
    retriever = fast_assistant.retriever
    headings = {
        (chunk.doc_id, start)
        for chunk in retriever.chunks
        for start, _, kind in chunk.blocks
        if kind == "heading"
    }
    assert headings, "the corpus has headings"
    for unit in retriever.units:
        assert (unit.doc_id, unit.start) not in headings
        assert unit.spans
        text = retriever.documents[unit.doc_id].text
        assert all(text[s:e].strip() for s, e in unit.spans)


def test_a_list_unit_keeps_its_lead_in(fast_assistant):
    retriever = fast_assistant.retriever
    lists = [u for u in retriever.units if u.kind == "list" and u.lead_in]
    assert lists
    for unit in lists:
        text = retriever.documents[unit.doc_id].text
        lead_in = text[unit.spans[0][0] : unit.spans[0][1]]
        assert lead_in.rstrip().endswith(":") or len(unit.spans) > 1


@pytest.mark.parametrize(
    "question",
    [
        "What does speech therapy do for people with MS?",
        "Will my insurance pay for occupational therapy?",
        "What exercises help if I use a wheelchair?",
        "What is vocational rehabilitation?",
        "What kinds of exercise might my PT recommend?",
    ],
)
def test_every_quote_reads_alone_and_is_verbatim(fast_assistant, question):
    answer = fast_assistant.ask(question)
    assert answer.status == "answered"
    for citation in answer.citations:
        assert reads_alone(citation.quote), citation.quote
        text = fast_assistant.source(citation.doc_id).text
        assert text[citation.start : citation.end] == citation.quote


def test_the_answer_carries_its_parts(fast_assistant):
    answer = fast_assistant.ask("What does speech therapy do for people with MS?")
    assert answer.framing
    assert answer.answer.startswith(answer.framing)
    assert answer.notes
    assert answer.answer.endswith(answer.notes[-1])
    for citation in answer.citations:
        assert f"{citation.quote.strip()} [{citation.n}]" in answer.answer
    # The UI and the evaluation read the parts; they give back exactly the text composed.
    assert "\n\n".join(answer.paragraphs()) == answer.answer
    assert answer.own_words() == "\n".join([answer.framing, *answer.notes])


def test_an_advice_answer_is_rebuilt_from_its_parts(fast_assistant):
    answer = fast_assistant.ask("Should I stop taking my baclofen before physical therapy?")
    assert answer.status == "advice"
    assert "\n\n".join(answer.paragraphs()) == answer.answer


def test_a_follow_up_never_repeats_the_previous_answer(fast_assistant):
    first = fast_assistant.ask("What does speech therapy do for people with MS?")
    history = [
        Turn("user", "What does speech therapy do for people with MS?"),
        Turn("assistant", first.answer),
    ]
    assert topic_of("And who would do that with me?", history)
    follow_up = fast_assistant.ask("And who would do that with me?", history)
    earlier = {c.quote for c in first.citations}
    assert follow_up.resolved_question.startswith("What does speech therapy do")
    assert not earlier & {c.quote for c in follow_up.citations}


def test_a_follow_up_never_repeats_any_earlier_answer_of_the_conversation(fast_assistant):
    history: list[Turn] = []
    quoted: set[str] = set()
    for question in (
        "My legs get really stiff in the mornings",
        "would stretching help with that?",
        "who could show me how?",
    ):
        answer = fast_assistant.ask(question, history)
        if history:
            assert answer.status == "answered"
            assert not quoted & {c.quote for c in answer.citations}, question
        quoted |= {c.quote for c in answer.citations}
        history += [Turn("user", question), Turn("assistant", answer.answer)]


def test_the_answerer_reads_only_the_retrieval_result(fast_assistant):
    result = fast_assistant.retrieve("What does speech therapy do for people with MS?", [], "en")
    assert result.units
    assert result.evidence == result.units[0].score
    scores = [u.score for u in result.units]
    assert scores == sorted(scores, reverse=True)
    answerer = ExtractiveAnswerer(fast_assistant.documents, max_quotes=1, stale_after_days=10**6)
    composed = answerer.compose(result, "Framing.")
    best = result.units[0].unit
    [citation] = composed.citations
    assert (citation.doc_id, best.start <= citation.start, citation.end <= best.end) == (
        best.doc_id,
        True,
        True,
    )
    # With no units, nothing is quoted, whatever the passages were.
    empty = dataclasses.replace(result, units=())
    assert answerer.compose(empty, "Framing.").citations == ()
