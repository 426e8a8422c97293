from __future__ import annotations

import json
from pathlib import Path

import pytest

from ingest.cleaning import clean_text
from ingest.corpus import build_document, read_entries

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT / "corpus"
ENTRIES = read_entries(CORPUS)
FURNITURE = [
    "Skip to navigation",
    "Was this page helpful?",
    "By providing your email address",
    "Gov. Deandrea McKenzie",
    "Hobby:",
    "This has been added to your Favorites",
    "GO Physical Therapy",
    "(Video)",
    "Verywell Health uses only high-quality sources",
    "From Biogen",
]


def _cleaned() -> dict[str, str]:
    docs = {}
    for name, entry in ENTRIES.items():
        document = build_document(CORPUS / name, entry)
        docs[document.doc_id] = document.text
    return docs


CLEANED = _cleaned()
CASES = [
    json.loads(line)
    for line in (ROOT / "evals" / "cases.jsonl").read_text(encoding="utf-8").splitlines()
    if line.strip()
]
PASSAGES = [
    (case["id"], case["doc_id"], passage)
    for case in CASES
    if case.get("passages") and case.get("doc_id")
    for passage in case["passages"]
]


def _flat(text: str) -> str:
    return " ".join(text.split())


def test_every_seed_document_is_cleaned():
    assert len(CLEANED) == 5


@pytest.mark.parametrize("doc_id", sorted(CLEANED))
@pytest.mark.parametrize("furniture", FURNITURE)
def test_furniture_is_gone(doc_id, furniture):
    assert furniture not in CLEANED[doc_id]


@pytest.mark.parametrize(("case_id", "doc_id", "passage"), PASSAGES)
def test_expected_passage_survives_cleaning(case_id, doc_id, passage):
    assert _flat(passage) in _flat(CLEANED[doc_id])


def test_plain_paragraph_is_unchanged():
    text = "Physical therapy helps people with MS keep their strength and balance."
    assert clean_text(text) == text


def test_whitespace_is_normalised_and_blank_lines_collapsed():
    raw = "  First  line\there.\n\n\n\nSecond line.  \n\n"
    assert clean_text(raw) == "First line here.\n\nSecond line."
