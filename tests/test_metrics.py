from __future__ import annotations

import pytest

from evals import metrics

FOUND = ["Nothing relevant here.", "Rest is good.", "Cooling vests help with heat."]


def test_normalise():
    assert metrics.normalise("  It’s  A\n‘Test’ ") == "it's a 'test'"


def test_holds_contains_either_way():
    assert metrics.holds("Cooling vests help with heat. And more.", "cooling  vests help")
    assert metrics.holds("vests", "Cooling vests help")
    assert not metrics.holds("Cooling vests", "warm baths")


def test_holds_normalises_apostrophes_and_whitespace():
    assert metrics.holds("Don’t overdo\n it.", "don't   overdo it.")


def test_holds_empty_is_false():
    assert not metrics.holds("", "x")
    assert not metrics.holds("x", "   ")


def test_first_hit_rank():
    assert metrics.first_hit_rank(FOUND, ["cooling vests"]) == 3
    assert metrics.first_hit_rank(FOUND, ["rest is good", "cooling vests"]) == 2
    assert metrics.first_hit_rank(FOUND, ["absent"]) is None
    assert metrics.first_hit_rank([], ["x"]) is None


def test_hit_at_k():
    assert metrics.hit_at_k(FOUND, ["cooling vests"], 3) is True
    assert metrics.hit_at_k(FOUND, ["cooling vests"], 2) is False
    assert metrics.hit_at_k(FOUND, ["absent"], 5) is False


def test_reciprocal_rank():
    assert metrics.reciprocal_rank(FOUND, ["Nothing relevant"]) == 1.0
    assert metrics.reciprocal_rank(FOUND, ["rest is good"]) == 0.5
    assert metrics.reciprocal_rank(FOUND, ["cooling"]) == pytest.approx(1 / 3)
    assert metrics.reciprocal_rank(FOUND, ["absent"]) == 0.0


def test_cited_correct():
    assert metrics.cited_correct(["Rest is good."], ["rest is good", "other"])
    assert not metrics.cited_correct(["Rest is good."], ["cooling"])
    assert not metrics.cited_correct([], ["cooling"])


def test_verbatim():
    assert metrics.verbatim("two", "one two three", 4, 7)
    assert not metrics.verbatim("two", "one two three", 3, 7)


def test_rate():
    assert metrics.rate([]) is None
    assert metrics.rate([True, False, True, True]) == 0.75
    assert metrics.rate([False]) == 0.0


def test_percentile():
    values = [float(v) for v in range(1, 101)]
    assert metrics.percentile([], 50) is None
    assert metrics.percentile([7.0], 95) == 7.0
    assert metrics.percentile(values, 50) == 50.5
    assert metrics.percentile(values, 95) == pytest.approx(95.05)
    assert metrics.percentile(values, 0) == 1.0
    assert metrics.percentile([1.0, 2.0, 3.0, 4.0, 5.0], 50) == 3.0


def test_percentile_0_is_the_minimum_of_unsorted_values():
    assert metrics.percentile([3.0, 1.0, 2.0, 5.0, 4.0], 0) == 1.0


def test_percentile_100_is_the_maximum():
    assert metrics.percentile([3.0, 1.0, 2.0, 5.0, 4.0], 100) == 5.0


def test_mean_skips_none():
    assert metrics.mean([]) is None
    assert metrics.mean([None, None]) is None
    assert metrics.mean([1.0, None, 2.0]) == 1.5


# Abstention: positive = abstained; actual positive = the question is unanswerable.
ABSTAINED = [True, True, False, False, True]
UNANSWERABLE = [True, False, True, False, True]


def test_precision():
    assert metrics.precision(ABSTAINED, UNANSWERABLE) == pytest.approx(2 / 3)
    assert metrics.precision([False, False], [True, False]) is None
    assert metrics.precision([True], [True]) == 1.0


def test_recall():
    assert metrics.recall(ABSTAINED, UNANSWERABLE) == pytest.approx(2 / 3)
    assert metrics.recall([True, False], [False, False]) is None
    assert metrics.recall([False, True], [True, True]) == 0.5


def test_precision_and_recall_need_equal_lengths():
    with pytest.raises(ValueError):  # noqa: PT011  (zip's own error)
        metrics.precision([True], [True, False])


def test_without_citation_marks():
    assert metrics.without_citation_marks("Rest helps [1]. So does water [2, 3].") == (
        "Rest helps. So does water."
    )


def test_framing_text_drops_quotes_and_marks():
    answer = (
        "The documents say:\n\nCoverage for OT services varies by plan. [1]\n\n"
        "Rest is good. [2]\n\nTalk to your MS care team about what fits you."
    )
    quotes = ["Coverage for OT services varies by plan.", "Rest is good."]
    assert metrics.framing_text(answer, quotes) == (
        "The documents say:\nTalk to your MS care team about what fits you."
    )


def test_framing_text_of_a_whole_chunk_answer_is_empty():
    assert metrics.framing_text("A chunk of text. [1]", ["A chunk of text."]) == ""


def test_flesch_kincaid_grade_known_value():
    # 6 words, 1 sentence, 6 syllables: 0.39 * 6 + 11.8 * 1 - 15.59
    assert metrics.flesch_kincaid_grade("The cat sat on the mat.") == pytest.approx(-1.45)


def test_flesch_kincaid_grade_orders_texts():
    easy = metrics.flesch_kincaid_grade("Rest when you are tired. Drink water.")
    hard = metrics.flesch_kincaid_grade(
        "Comprehensive interdisciplinary rehabilitation necessitates individualized "
        "therapeutic interventions addressing neurological impairments."
    )
    assert easy is not None
    assert hard is not None
    assert easy < 8 < hard


def test_flesch_kincaid_grade_without_words_is_none():
    assert metrics.flesch_kincaid_grade("") is None
    assert metrics.flesch_kincaid_grade(" [1] 42 ") is None


def test_flesch_kincaid_grade_takes_a_language():
    text = "Hable con su equipo de atención sobre lo que le conviene."
    assert metrics.flesch_kincaid_grade(text, "es") is not None
    # The language is per call, not left behind as global state.
    assert metrics.flesch_kincaid_grade("The cat sat on the mat.") == pytest.approx(-1.45)


def test_flesch_kincaid_grade_reads_each_line_as_a_sentence():
    lines = metrics.flesch_kincaid_grade("The documents say:\nRest helps\n• Cooling vests")
    sentences = metrics.flesch_kincaid_grade("The documents say. Rest helps. Cooling vests.")
    assert lines == sentences


@pytest.mark.parametrize(
    "quote",
    [
        "Coverage for OT services varies by plan.",
        "If not, you did too much.",
        "(Becoming overheated tends to worsen MS symptoms.)",
        "Strength exercises can help facilitate transfers",  # a table cell that is a sentence
        "Exercise can reduce risk of blood clotting in legs",
        "They are called Multiple Sclerosis Certified Specialists.",
        "Common treatment sessions for MS may include:\n• Fall prevention\n• Energy conservation",
        "Questions about your diet? Ask the team. They will answer.",
        "If you want to translate it, please write to us at info@example.org",
    ],
)
def test_reads_alone_accepts_sentences_and_whole_lists(quote):
    assert metrics.reads_alone(quote)


@pytest.mark.parametrize(
    ("quote", "why"),
    [
        ("Swallowing difficulty", "a heading"),
        ("Benefits of Exercise for Person Who is Wheelchair Bound", "a Title-Case heading"),
        ("Living Well With a Long-Term Condition Today", "a Title-Case subtitle"),
        ("What is occupational therapy?", "a question heading on its own"),
        ("• Pain", "a bare bullet"),
        ("- Muscle tightness", "a bare bullet"),
        ("Fatigue.", "a bare word"),
        ("Learn how occupational therapists (OTs) may help people living with MS", "a link"),
        ("Find out more about OTs from the American Occupational Therapy Association.", "a link"),
        ("Read more about balance training.", "a link"),
        ("Click here to download the booklet.", "navigation"),
        ("Learn more at AOTA.org .", "a link"),
        ("https://www.example.org/rehab", "a URL"),
        ("Was this page helpful?", "page furniture"),
        ("By Jane Smith, PT", "a byline"),
        ("Medically reviewed by John Doe, MD", "a byline"),
        ("Jane Smith, PT, DPT, is a physical therapist with over 15 years of experience.", "blurb"),
        ("The table below highlights the benefits of exercises for a wheelchair user.", "pointer"),
        ("Some options are shown in the chart above and discussed later.", "pointer"),
        ("Watch this video to see the stretches.", "pointer"),
        ("Try the stretches listed below each morning for best results.", "pointer"),
        ("You can do the following at home to save energy every day.", "pointer"),
        ("Common treatment sessions for MS may include:", "a lead-in without its list"),
        ("", "empty"),
    ],
)
def test_reads_alone_rejects_what_needs_the_page(quote, why):
    assert not metrics.reads_alone(quote), why
