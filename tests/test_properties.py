"""Property-based tests (hypothesis) on cleaning, chunking, offsets and quoting (issue 13):
whatever the text, every offset points at the text it claims to, and every quote in an
answer or a match is the document's text at its offsets. Fast tier, hash embedder."""

from __future__ import annotations

import tempfile
from pathlib import Path

from conftest import fast_settings, ingest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from assistant.build import build_assistant
from assistant.contract import ask_json, find_json
from assistant.errors import DocumentLoadError
from assistant.models import Document, DocumentMeta
from assistant.store import forget_open_stores
from ingest.chunking import chunk_document
from ingest.cleaning import clean_text
from ingest.corpus import build_document

STATUSES = {"answered", "abstained", "emergency", "crisis", "advice", "invalid"}
WORDS = (
    "fatigue walking balance therapy occupational physical exercise heat cooling vest "
    "bladder insurance coverage plan rest pacing energy cane walker wheelchair spasticity "
    "stretching fisioterapia fatiga Müdigkeit équilibre 疲劳 التعب 😀"
).split()

# Any text a file or a user could hold: every code point class, with line breaks, tabs,
# control characters, RTL and zero-width marks, and lines made of real words.
noise = st.text(
    alphabet=st.characters(codec="utf-8", exclude_categories=("Cs",)),
    max_size=300,
)
sentence = st.lists(st.sampled_from(WORDS), min_size=3, max_size=14).map(
    lambda ws: " ".join(ws).capitalize() + "."
)
line = st.one_of(
    sentence,
    noise,
    st.just(""),
    st.sampled_from(["# Heading", "- a bullet item", "* another", "1. numbered", "\u200f\u200b"]),
)
raw_text = st.lists(line, max_size=40).map("\n".join)
PROPERTY = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _document(text: str) -> Document:
    meta = DocumentMeta(doc_id="doc", title="Doc")
    return Document(meta=meta, text=text, source_path="doc.txt", content_hash="h")


@PROPERTY
@given(raw_text)
def test_cleaning_never_fails_and_leaves_no_carriage_return_or_padding(raw):
    cleaned = clean_text(raw)
    assert "\r\n" not in cleaned
    for each in cleaned.split("\n"):
        assert each == each.strip(" \t")
    assert "\n\n\n" not in cleaned


@PROPERTY
@given(raw_text, st.sampled_from([60, 200, 900]))
def test_chunk_and_sentence_offsets_point_at_their_text(raw, max_chars):
    text = clean_text(raw)
    document = _document(text)
    chunks = chunk_document(document, max_chars)
    previous_end = 0
    for chunk in chunks:
        assert 0 <= chunk.start < chunk.end <= len(text)
        assert chunk.text == text[chunk.start : chunk.end]
        assert chunk.start >= previous_end  # in order, never overlapping
        previous_end = chunk.end
        for start, end in chunk.sentences:
            assert chunk.start <= start < end <= chunk.end
            assert text[start:end].strip() == text[start:end]
        for start, end, kind in chunk.blocks:
            assert chunk.start <= start <= end <= chunk.end
            assert kind in ("heading", "paragraph", "bullet")


@settings(max_examples=12, deadline=None, suppress_health_check=list(HealthCheck))
@given(st.lists(st.one_of(sentence, sentence, noise), min_size=6, max_size=30), st.data())
def test_every_quote_in_an_answer_or_a_match_is_the_document_text_at_its_offsets(lines, data):
    """A document made of anything, indexed; questions made from its own words, or anything.
    Every citation, retrieved passage and match quotes the document at its offsets."""
    with tempfile.TemporaryDirectory() as folder:
        base = Path(folder)
        corpus = base / "corpus"
        corpus.mkdir()
        (corpus / "generated.txt").write_text("Generated\n\n" + "\n".join(lines), encoding="utf-8")
        config = fast_settings(corpus, base / "index")
        report = ingest([corpus], config)
        if report.failed:  # too little readable text: refused by name, which is fine
            assert report.failed[0][0] == "generated.txt"
            return
        forget_open_stores()
        assistant = build_assistant(config)
        text = assistant.source("generated").text
        questions = [
            data.draw(sentence),
            data.draw(noise),
            data.draw(st.sampled_from([ln for ln in lines if ln.strip()] or ["x"])),
        ]
        for question in questions:
            answer = ask_json(assistant, question)
            assert answer["status"] in STATUSES
            for citation in answer["citations"]:
                assert text[citation["start"] : citation["end"]] == citation["quote"]
            for passage in answer["retrieved"]:
                assert text[passage["start"] : passage["end"]] == passage["text"]
            for match in find_json(assistant, question)["matches"]:
                assert text[match["start"] : match["end"]] == match["text"]


@PROPERTY
@given(raw_text)
def test_a_file_with_any_text_is_indexed_or_refused_with_a_reason(raw):
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "any.txt"
        path.write_text(raw, encoding="utf-8")
        try:
            document = build_document(path, None)
        except DocumentLoadError as exc:
            refused = str(exc)
        else:
            refused = ""
        if refused:  # anything else than DocumentLoadError fails the test
            assert refused.startswith("any.txt: ")
            return
        for chunk in chunk_document(document, 900):
            assert chunk.text == document.text[chunk.start : chunk.end]
