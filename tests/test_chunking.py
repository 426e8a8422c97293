from __future__ import annotations

import itertools
from pathlib import Path

import pytest

from ingest.chunking import chunk_document
from ingest.corpus import build_document, read_entries

CORPUS = Path(__file__).resolve().parent.parent / "corpus"
ENTRIES = read_entries(CORPUS)
OT = "above-ms-occupational-therapy.txt"
FAQ = "physical-therapy-faqs-about-interventions.txt"


def _chunked(name: str):
    document = build_document(CORPUS / name, ENTRIES[name])
    return document, chunk_document(document, 900)


@pytest.fixture(scope="module", params=[OT, FAQ])
def chunked(request):
    return _chunked(request.param)


def _holding(chunks, text):
    found = [c for c in chunks if text in c.text]
    assert found, text
    return found[0]


def test_chunk_text_is_exact_slice(chunked):
    document, chunks = chunked
    assert chunks
    for chunk in chunks:
        assert chunk.text == document.text[chunk.start : chunk.end]


def test_sentences_lie_inside_their_chunk(chunked):
    _, chunks = chunked
    for chunk in chunks:
        assert chunk.sentences
        for start, end in chunk.sentences:
            assert chunk.start <= start < end <= chunk.end


def test_chunks_are_in_order_without_overlap(chunked):
    _, chunks = chunked
    assert all(a.end <= b.start for a, b in itertools.pairwise(chunks))


def test_list_stays_with_its_introduction():
    _, chunks = _chunked(OT)
    chunk = _holding(chunks, "Common treatment sessions for MS may include:")
    assert "• Fall prevention" in chunk.text
    assert "• Safety" in chunk.text


def test_faq_question_stays_with_its_answer():
    _, chunks = _chunked(FAQ)
    chunk = _holding(chunks, "Is a physical therapist (PT) the same as a physiatrist?")
    assert "A physiatrist is a doctor" in chunk.text


def test_chunk_carries_section_heading():
    _, chunks = _chunked(OT)
    assert (
        _holding(chunks, "Coverage for OT services varies by plan.").section == "Insurance for OT"
    )


def test_chunk_ids_are_unique_and_pages_none_for_text():
    _, chunks = _chunked(OT)
    assert len({c.chunk_id for c in chunks}) == len(chunks)
    assert all(c.page is None for c in chunks)
