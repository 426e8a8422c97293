"""Plain-text export of answers, the feedback store, and the document overview."""

from __future__ import annotations

import json
import sqlite3
import threading
from collections import Counter
from pathlib import Path

import pytest

from assistant.models import Answer, Citation, Document, DocumentMeta
from webui.export import answer_as_text, reference
from webui.feedback import FeedbackStore
from webui.labels import ui_labels


def citation(n: int = 1, **fields) -> Citation:
    values = {
        "doc_id": "pacing",
        "title": "Pacing and MS",
        "quote": "Rest often between tasks.",
        "start": 10,
        "end": 35,
        **fields,
    }
    return Citation(n=n, **values)


def answer(text: str = "Rest often between tasks [1].", citations=(), **fields) -> Answer:
    values = {"question": "How do I pace myself?", "status": "answered", **fields}
    return Answer(answer=text, citations=tuple(citations), **values)


# answer_as_text: the body of an e-mail reply


LABELS = ui_labels("en")
NOTE = LABELS["email_note"]


def document(doc_id: str, text: str) -> Document:
    meta = DocumentMeta(doc_id=doc_id, title=doc_id)
    return Document(meta=meta, text=text, source_path="", content_hash="x")


def test_reference_with_every_detail():
    cited = citation(publisher="MS Society", updated="2019-04", url="https://example.org/pacing")
    assert reference(cited, 1, LABELS) == (
        "[1] Pacing and MS. MS Society, updated 2019-04. https://example.org/pacing"
    )


def test_reference_leaves_out_what_nobody_stated():
    assert reference(citation(n=2), 2, LABELS) == "[2] Pacing and MS."


def test_e_mail_body_is_passages_then_references_then_note():
    first = citation(1, publisher="MS Society", updated="2024-05", stale=True)
    second = citation(
        2, doc_id="heat", title="Heat and MS", quote="Heat can\n make symptoms worse.", page=1
    )
    framed = (
        "The documents say:\n\nRest often between tasks. [1]\n\nHeat can make symptoms worse. [2]"
    )
    text = answer_as_text(answer(framed, [first, second]))
    assert text == (
        "Rest often between tasks. [1]\n\n"
        "Heat can make symptoms worse. [2, page 1]\n\n"
        "References\n"
        "[1] Pacing and MS. MS Society, updated 2024-05.\n"
        "[2] Heat and MS.\n\n"
        f"{NOTE}\n"
    )
    for chat_only in ("The documents say", "over three years", "not stated", "Sources:"):
        assert chat_only not in text


def test_a_lead_in_and_its_list_items_are_one_passage_with_one_reference():
    text = "Intro.\nYou may need:\n• a cane\n• a walker\nOther text. More text here."
    doc = document("aids", text)

    def at(n: int, quote: str) -> Citation:
        start = text.index(quote)
        return citation(
            n, doc_id="aids", title="Aids", quote=quote, start=start, end=start + len(quote)
        )

    cited = [at(1, "You may need:"), at(2, "a cane"), at(3, "a walker"), at(4, "More text here.")]
    body = answer_as_text(answer("x", cited), {"aids": doc})
    assert body == (
        "You may need:\n- a cane\n- a walker [1]\n\n"
        "More text here. [1]\n\n"
        "References\n[1] Aids.\n\n"
        f"{NOTE}\n"
    )


def test_sentences_that_follow_each_other_read_as_one_passage():
    text = "First sentence. Second sentence."
    doc = document("d", text)
    cited = [
        citation(1, doc_id="d", title="D", quote="First sentence.", start=0, end=15),
        citation(2, doc_id="d", title="D", quote="Second sentence.", start=16, end=32),
    ]
    assert answer_as_text(answer("x", cited), {"d": doc}).startswith(
        "First sentence. Second sentence. [1]\n\nReferences\n[1] D.\n"
    )


def test_e_mail_body_follows_the_answer_language():
    body = answer_as_text(answer("x", [citation(updated="2020")], language="de"))
    assert "Quellen\n[1] Pacing and MS. Aktualisiert 2020." in body
    assert ui_labels("de")["email_note"] in body


def test_answer_as_text_has_no_markup():
    cited = citation(publisher="MS Society", url="https://example.org/pacing", section="Pacing")
    text = answer_as_text(answer(citations=[cited]))
    for markup in ("<", ">", "**", "](", "&lt;", "&amp;", "\\["):
        assert markup not in text


def test_a_reply_without_quotes_is_copied_as_it_is():
    text = answer_as_text(answer("I could not find this in the documents.", status="abstained"))
    assert text == "I could not find this in the documents.\n"


# FeedbackStore


@pytest.fixture
def store(tmp_path) -> FeedbackStore:
    return FeedbackStore(tmp_path / "feedback" / "feedback.sqlite3")


def test_record_returns_increasing_ids(store):
    assert store.record(answer(), liked=True) == 1
    assert store.record(answer(), liked=False) == 2
    assert store.record(answer(), liked=True) == 3


def test_rows_newest_first_with_answer_and_sources(store):
    cited = citation(publisher="MS Society", page=2, stale=True)
    liked = answer(citations=[cited])
    disliked = answer("I could not find this.", question="What is X?", status="abstained")
    store.record(liked, liked=True)
    store.record(disliked, liked=False)
    rows = store.rows()
    assert [(r.id, r.rating, r.question, r.status, r.answer, r.comment) for r in rows] == [
        (2, "down", "What is X?", "abstained", "I could not find this.", ""),
        (1, "up", "How do I pace myself?", "answered", "Rest often between tasks [1].", ""),
    ]
    assert rows[0].sources == []
    assert rows[1].sources == [cited.to_json()]
    assert len(rows[1].created_utc) == len("2025-01-01T00:00:00+00:00")
    assert rows[1].created_utc.endswith("+00:00")


def test_sources_are_stored_as_json(store):
    cited = citation(title="Rééducation", quote="“Quoted” text.")
    store.record(answer(citations=[cited]), liked=True)
    with sqlite3.connect(store.path) as db:
        [(raw,)] = db.execute("SELECT sources FROM feedback").fetchall()
    assert json.loads(raw) == [cited.to_json()]
    assert "Rééducation" in raw  # kept readable, not \u-escaped


def test_add_comment_is_stored_stripped(store):
    first = store.record(answer(), liked=False)
    second = store.record(answer(), liked=False)
    store.add_comment(first, "  The quote is out of date.\n")
    assert [(r.id, r.comment) for r in store.rows()] == [
        (second, ""),
        (first, "The quote is out of date."),
    ]


def test_feedback_survives_reopening(tmp_path):
    path = tmp_path / "feedback.sqlite3"
    row_id = FeedbackStore(path).record(answer(), liked=True)
    FeedbackStore(path).add_comment(row_id, "Helpful")
    reopened = FeedbackStore(path)
    assert [(r.id, r.rating, r.comment) for r in reopened.rows()] == [(1, "up", "Helpful")]
    assert reopened.record(answer(), liked=False) == 2


def test_record_from_several_threads(store):
    ids: list[int] = []
    errors: list[BaseException] = []

    def rate(number: int) -> None:
        try:
            for _ in range(5):
                ids.append(store.record(answer(question=f"Question {number}"), number % 2 == 0))
        except BaseException as exc:  # collected so the test can report it
            errors.append(exc)

    threads = [threading.Thread(target=rate, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert sorted(ids) == list(range(1, 41))
    rows = store.rows()
    assert [r.id for r in rows] == list(range(40, 0, -1))
    assert Counter(r.question for r in rows) == {f"Question {n}": 5 for n in range(8)}
    assert Counter(r.rating for r in rows) == {"up": 20, "down": 20}


# Assistant.overview


def test_overview_one_summary_per_document_by_title(fast_assistant):
    summaries = fast_assistant.overview()
    assert [s.meta.title for s in summaries] == [
        "Occupational therapy & MS",
        "Physical Therapy for Multiple Sclerosis: Regaining Mobility",
        "Physical Therapy: FAQs About Interventions",
        "Rehabilitation in MS",
        "What to expect from MS rehabilitation",
    ]
    assert sorted(s.meta.doc_id for s in summaries) == sorted(fast_assistant.documents)


def test_overview_counts_match_the_index_and_the_files(fast_assistant):
    chunks = Counter(chunk.doc_id for chunk in fast_assistant.retriever.chunks)
    for summary in fast_assistant.overview():
        document = fast_assistant.documents[summary.meta.doc_id]
        assert summary.meta == document.meta
        assert summary.source_path == document.source_path
        assert summary.chunks == chunks[summary.meta.doc_id]
        assert summary.chunks > 0
        assert summary.characters == len(document.text)
        assert summary.file_bytes == Path(document.source_path).stat().st_size
