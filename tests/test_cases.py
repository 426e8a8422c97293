"""The evaluation set itself: every expected passage is really in its document's cleaned text
(the real ingest cleaning, no model), ids are unique, and the cases written the way people
write (style "people") have the shape, the splits and the mix issue 10 asks for."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from evals.cases import load_cases, split
from evals.metrics import normalise, reads_alone
from ingest.corpus import build_document, read_entries

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT / "corpus"
CASES = load_cases(ROOT / "evals" / "cases.jsonl")
NEW = [c for c in CASES if split(c) != "legacy"]


def _cleaned() -> dict[str, str]:
    documents = (
        build_document(CORPUS / name, entry) for name, entry in read_entries(CORPUS).items()
    )
    return {d.doc_id: normalise(d.text) for d in documents}


CLEANED = _cleaned()
EXPECTED = [
    (case["id"], doc_id, text)
    for case in CASES
    for doc_id, text in [(case.get("doc_id"), p) for p in case.get("passages", [])]
    + [(p["doc_id"], p["text"]) for p in case.get("other_passages", [])]
]


def test_case_ids_are_unique():
    repeated = [i for i, n in Counter(c["id"] for c in CASES).items() if n > 1]
    assert repeated == []


@pytest.mark.parametrize(("case_id", "doc_id", "passage"), EXPECTED)
def test_expected_passage_is_in_the_cleaned_document(case_id, doc_id, passage):
    assert doc_id in CLEANED, f"{case_id}: unknown document {doc_id}"
    assert normalise(passage) in CLEANED[doc_id]


def test_every_answerable_case_names_what_answers_it():
    for case in CASES:
        if case["kind"] in ("answerable", "followup", "find"):
            assert case.get("doc_id") in CLEANED, case["id"]
            assert case.get("passages"), case["id"]
        else:
            assert not case.get("passages"), case["id"]
            assert not case.get("other_passages"), case["id"]


def test_new_cases_are_many_and_of_every_kind():
    kinds = Counter(c["kind"] for c in NEW)
    assert len(NEW) >= 130
    assert kinds["unanswerable"] >= 40
    assert kinds["followup"] >= 20
    assert set(kinds) == {"answerable", "followup", "unanswerable"}
    assert {c.get("style") for c in NEW} == {"people"}
    assert all(c.get("language", "en") == "en" for c in NEW)


def test_new_cases_are_split_a_third_held_out_per_kind():
    for kind in ("answerable", "followup", "unanswerable"):
        of_kind = [c for c in NEW if c["kind"] == kind]
        heldout = sum(split(c) == "heldout" for c in of_kind)
        assert abs(heldout - len(of_kind) / 3) <= 1, kind
    assert {split(c) for c in NEW} == {"dev", "heldout"}


def test_follow_ups_carry_both_sides_of_the_conversation():
    followups = [c for c in NEW if c["kind"] == "followup"]
    for case in followups:
        roles = [turn["role"] for turn in case["history"]]
        assert roles[0] == "user", case["id"]
        assert "assistant" in roles, case["id"]
        assert all(turn["content"].strip() for turn in case["history"]), case["id"]
    assert any(len(c["history"]) >= 4 for c in followups)  # chains of three turns too


def test_new_cases_are_written_at_length():
    """People write several sentences with the question inside: most new single-turn
    questions are long posts."""
    single = [c for c in NEW if not c.get("history")]
    long_posts = [c for c in single if c["question"].count(". ") + c["question"].count("? ") >= 2]
    assert len(long_posts) / len(single) >= 0.6


def test_expected_passages_of_new_cases_read_alone():
    """An expected passage is an answer a reader would accept: never a heading, link line,
    bare bullet or pointer at something not shown."""
    not_alone = [
        (c["id"], text)
        for c in NEW
        for text in c.get("passages", []) + [p["text"] for p in c.get("other_passages", [])]
        if not reads_alone(text)
    ]
    assert not_alone == []
