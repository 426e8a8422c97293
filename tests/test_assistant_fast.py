from __future__ import annotations

import pytest

from assistant.errors import UnknownDocumentError

QUESTIONS = [
    "What does speech therapy do for people with MS?",
    "Will my insurance pay for occupational therapy?",
    "What is IADL?",
    "What is rehabilitation in MS?",
]


@pytest.mark.parametrize("question", QUESTIONS)
def test_citations_are_verbatim(fast_assistant, question):
    answer = fast_assistant.ask(question)
    assert answer.status == "answered"
    assert answer.citations
    for citation in answer.citations:
        text = fast_assistant.source(citation.doc_id).text
        assert citation.quote == text[citation.start : citation.end]
    assert [c.n for c in answer.citations] == list(range(1, len(answer.citations) + 1))


@pytest.mark.parametrize("question", QUESTIONS)
def test_answered_question_lists_retrieved_passages(fast_assistant, question):
    answer = fast_assistant.ask(question)
    assert len(answer.retrieved) >= 5
    assert set(answer.timings_ms) == {"retrieve", "answer", "total"}


@pytest.mark.parametrize(
    ("question", "status"),
    [
        ("I have sudden chest pain", "emergency"),
        ("I keep thinking about ending my life", "crisis"),
    ],
)
def test_safety_routes_skip_retrieval(fast_assistant, question, status):
    answer = fast_assistant.ask(question)
    assert answer.status == status
    assert answer.citations == ()
    assert answer.retrieved == ()
    assert answer.answer


@pytest.mark.parametrize("question", ["", "   ", "?!?", "12345", "x" * 2001])
def test_invalid_input(fast_assistant, question):
    answer = fast_assistant.ask(question)
    assert answer.status == "invalid"
    assert answer.citations == ()
    assert answer.retrieved == ()


def test_question_at_the_length_limit_is_accepted(fast_assistant):
    question = ("What does an occupational therapist do? " * 60)[:2000]
    assert fast_assistant.ask(question).status != "invalid"


def test_off_topic_question_abstains(fast_assistant):
    answer = fast_assistant.ask("What is the capital of Australia?")
    assert answer.status == "abstained"
    assert answer.citations == ()


def test_find_exact_sentence_ignores_case_and_spaces(fast_assistant):
    matches = fast_assistant.find("COVERAGE for OT   services varies BY plan.")
    top = matches[0]
    assert top.doc_id == "above-ms-occupational-therapy"
    assert top.text == "Coverage for OT services varies by plan."
    assert top.score == 1.0
    assert top.exact is True
    assert fast_assistant.source(top.doc_id).text[top.start : top.end] == top.text


def test_find_empty_text_returns_nothing(fast_assistant):
    assert fast_assistant.find("   ") == []


def test_unknown_document(fast_assistant):
    with pytest.raises(UnknownDocumentError) as info:
        fast_assistant.source("nope")
    assert "nope" in str(info.value)


def test_old_document_citations_are_stale(fast_assistant):
    answer = fast_assistant.ask("What does speech therapy do for people with MS?")
    old = [c for c in answer.citations if c.doc_id == "nmss-rehabilitation-in-ms"]
    assert old
    assert all(c.stale and c.updated == "2007-07-25" for c in old)


def test_all_seed_documents_are_indexed(fast_assistant):
    assert sorted(fast_assistant.documents) == [
        "above-ms-occupational-therapy",
        "msif-what-to-expect-from-rehabilitation",
        "nmss-rehabilitation-in-ms",
        "physical-therapy-faqs-about-interventions",
        "verywell-physical-therapy-for-ms",
    ]


@pytest.mark.parametrize(
    ("question", "read_as"),
    [
        ("Do I need a referral?", "refer"),  # the stemmer: referral "referr", refers "refer"
        ("Can a counsellor help?", "counsel"),  # the documents say counselling, counseling
        ("my mobilty is going", "mobil"),  # a typo
    ],
)
def test_a_word_no_document_holds_is_read_as_the_indexed_word_it_begins_with(
    fast_assistant, question, read_as
):
    retriever = fast_assistant.retriever
    terms = retriever.query(question).terms
    assert read_as in terms
    assert all(t in retriever._lexical for t in terms)


def test_the_reader_reads_a_question_in_its_own_words_beside_its_expansion(fast_assistant):
    question = "I use a wheelchair, is there any point exercising?"
    query = fast_assistant.retriever.query(question)
    assert "mobility aid" in query.text  # the glossary's expansion, for retrieval
    assert query.focus_parts == ((query.text, 0.5), (question, 0.5))


def test_a_word_is_not_read_as_a_much_shorter_one(fast_assistant):
    """At least five letters and 0.6 of the word: "supermarket" is not "super"."""
    retriever = fast_assistant.retriever
    assert "super" in retriever._lexical  # "super" is a word of the documents
    terms = retriever.query("Can I go to the supermarket?").terms
    assert "supermarket" in terms
    assert "super" not in terms
