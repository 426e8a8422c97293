"""Provenance: text the credited publisher did not write is not indexed under their name;
every document says where its text comes from; an unverified document is found, never quoted.

Fast tier (hash embedder), except the last tests (marked `real`): the life-span question
and find with the real models.
"""

from __future__ import annotations

import json
import shutil

import pytest
from conftest import CORPUS, fast_settings, ingest

from assistant import __main__ as cli
from assistant.build import build_assistant, build_embedder
from assistant.contract import find_json
from assistant.models import DocumentSummary
from ingest.cleaning import clean_text
from ingest.corpus import METADATA_FILE, build_document, read_entries
from ingest.layers import Layers
from ingest.library import Library, MetadataEdit
from webui import render

VERYWELL = "verywell-physical-therapy-for-ms"
VERYWELL_FILE = f"{VERYWELL}.txt"
# (No quotation marks: find's exact match does not yet handle them, see the report.)
ACCOUNTABLE = (
    "Your therapist can serve as someone who holds you accountable for your own rehab and care."
)
# Pieces of what the copying site appended: search snippets, videos, its author profile.
COPIED = [
    "Average life span of 25 to 35 years",
    "AMPYRA",
    "approximately 50 %",
    "7 Foods to Avoid",
    "Can MS patients regain mobility?",
    "Diana:",
    "Nicholas R. Metrus",
    "Physiotherapy treatment for multiple sclerosis - Dr Susan Coote",
    "(A New Day for Ice)",
    "Deandrea McKenzie",
    "Real-Estate Executive",
    "›",
]
# Lines of the saved page before its reference list that are not the article's sentences.
ARTICLE_FURNITURE = {
    "Physical Therapy for Multiple Sclerosis: Regaining Mobility (2022)",
    "Physical Therapy for Multiple Sclerosis: Regaining Mobility (1)",
    "(Video) Fighting for MS Mobility: Paul’s Patient Story",
    "How to Choose the Right Cane If You Have Multiple Sclerosis",
    "(Video) Multiple Sclerosis Physical Therapy [Live Class]",
    "Rehabilitation Therapies to Manage Your MS",
}


def _verywell_text() -> str:
    return build_document(CORPUS / VERYWELL_FILE, read_entries(CORPUS)[VERYWELL_FILE]).text


# Cleaning


@pytest.mark.parametrize("copied", COPIED)
def test_the_copying_sites_additions_are_not_indexed(copied):
    assert copied not in _verywell_text()


def test_every_line_of_the_verywell_article_survives_verbatim():
    raw = (CORPUS / VERYWELL_FILE).read_text(encoding="utf-8")
    article = raw[: raw.index("4 Sources")]
    lines = {" ".join(line.split()) for line in article.splitlines()} - {""}
    text = _verywell_text()
    missing = [line for line in lines - ARTICLE_FURNITURE if line.lstrip("• ") not in text]
    assert missing == []
    assert text.endswith("engage in your everyday work and recreational activities.")


SNIPPETS = """Our article.

Is this a question? ›

A snippet from somewhere.

What else? ›

First paragraph of a longer snippet.

Second paragraph of it.

Last question? ›

Its snippet.

After the block."""


def test_people_also_ask_block_is_dropped_with_its_snippets():
    assert clean_text(SNIPPETS) == "Our article.\n\nAfter the block."


def test_a_line_ending_in_an_arrow_that_is_no_question_is_kept():
    text = "Living with MS ›\n\nExercise helps people with MS keep their strength."
    assert clean_text(text) == text


def test_every_shipped_document_says_where_its_text_comes_from():
    data = json.loads((CORPUS / METADATA_FILE).read_text(encoding="utf-8"))
    assert len(data["documents"]) == 5
    for entry in data["documents"]:
        assert entry["source_note"].strip()
        assert entry["verified"] is True


def test_a_file_without_an_entry_says_its_origin_is_not_recorded(tmp_path):
    path = tmp_path / "notes.txt"
    path.write_text("Cooling vests help some people with MS exercise in the heat.\n")
    meta = build_document(path, None).meta
    assert meta.source_note is not None
    assert meta.source_note.startswith("Added on ")
    assert meta.source_note.endswith("; origin not recorded.")
    assert meta.verified is True


def test_a_verified_flag_that_is_not_true_or_false_is_refused(tmp_path):
    entry = {"file": "a.txt", "doc_id": "a", "verified": "no"}
    (tmp_path / METADATA_FILE).write_text(json.dumps({"documents": [entry]}))
    with pytest.raises(Exception, match="must be true or false"):
        read_entries(tmp_path)


# The index and the command line (hash embedder)


def test_the_index_carries_the_source_note_and_the_flag(fast_assistant):
    meta = fast_assistant.source(VERYWELL).meta
    assert meta.source_note is not None
    assert meta.source_note.startswith("Copy of a Verywell Health article")
    assert meta.verified is True


def test_find_returns_nothing_from_the_copied_block(fast_assistant):
    data = find_json(fast_assistant, "Average life span of 25 to 35 years")
    assert data["matches"]
    for match in data["matches"]:
        assert "life span" not in match["text"]
        assert match["exact"] is False
        assert match["verified"] is True


def test_find_still_finds_the_articles_own_sentences(fast_assistant):
    top = fast_assistant.find(ACCOUNTABLE)[0]
    assert (top.doc_id, top.text, top.exact) == (VERYWELL, ACCOUNTABLE, True)


def test_cli_source_json_has_the_source_note(fast_settings_built, monkeypatch, capsys):
    monkeypatch.setenv("MSRA_INDEX_DIR", str(fast_settings_built.index_dir))
    monkeypatch.setenv("MSRA_EMBEDDER", "hash")
    monkeypatch.setenv("MSRA_TRANSLATED_EMBEDDER", "")
    assert cli.main(["source", VERYWELL, "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["source_note"].startswith("Copy of a Verywell Health article")
    assert data["verified"] is True


# Unverified documents


@pytest.fixture(scope="module")
def unverified(tmp_path_factory):
    """The shipped corpus with the Verywell article marked unverified, indexed."""
    base = tmp_path_factory.mktemp("unverified")
    corpus = base / "corpus"
    shutil.copytree(CORPUS, corpus)
    data = json.loads((corpus / METADATA_FILE).read_text(encoding="utf-8"))
    for entry in data["documents"]:
        if entry["doc_id"] == VERYWELL:
            entry["verified"] = False
    (corpus / METADATA_FILE).write_text(json.dumps(data), encoding="utf-8")
    settings = fast_settings(corpus, base / "index")
    assert ingest([corpus], settings).failed == []
    return build_assistant(settings)


def test_verified_verywell_is_quoted_on_the_two_hour_rule(fast_assistant):
    answer = fast_assistant.ask("What is the two-hour rule?")
    assert VERYWELL in {c.doc_id for c in answer.citations}


def test_unverified_document_is_never_quoted(unverified):
    for question in ("What is the two-hour rule?", "What is physical therapy for MS?"):
        answer = unverified.ask(question)
        assert VERYWELL not in {c.doc_id for c in answer.citations}
        assert VERYWELL not in {p.chunk.doc_id for p in answer.retrieved}


def test_unverified_document_keeps_the_number_of_passages_considered(unverified):
    assert len(unverified.ask("What is the two-hour rule?").retrieved) >= 5


def test_unverified_document_is_found_and_labelled(unverified):
    data = find_json(unverified, ACCOUNTABLE)
    top = data["matches"][0]
    assert (top["doc_id"], top["exact"], top["verified"]) == (VERYWELL, True, False)
    matches = unverified.find(ACCOUNTABLE)
    html = render.find_html(ACCOUNTABLE, matches, unverified.documents)
    assert html.count("Unverified source") == sum(m.doc_id == VERYWELL for m in matches) >= 1
    for match in matches:
        assert match.verified is (match.doc_id != VERYWELL)


# What staff see


def test_documents_table_shows_the_source_note_and_the_unverified_label(unverified):
    table = render.documents_table(unverified.overview())
    assert "Where the text comes from" in table
    assert "Copy of a Verywell Health article saved from a third-party site" in table
    assert table.count("Unverified source") == 1


def test_documents_table_escapes_the_source_note(fast_assistant):
    summary = fast_assistant.overview()[0]
    meta = summary.meta.__class__(**{**vars(summary.meta), "source_note": "<b>x</b>"})
    table = render.documents_table([DocumentSummary(meta, "", 1, 1, 1)])
    assert "&lt;b&gt;x&lt;/b&gt;" in table
    assert "<b>x</b>" not in table


def test_document_page_shows_where_the_text_comes_from(unverified):
    page = render.document_page(unverified.source(VERYWELL), None, None)
    assert "Where the text comes from: Copy of a Verywell Health article" in page
    assert "Unverified source" in page
    other = render.document_page(unverified.source("above-ms-occupational-therapy"), None, None)
    assert "Text of an Above MS (Biogen) web page" in other
    assert "Unverified source" not in other


def test_labels_exist_in_every_language():
    from assistant.language import LANGUAGES
    from webui.labels import _labels

    for language in LANGUAGES:
        labels = _labels(language)
        for key in ("source_note", "verified_label", "unverified_source", "unverified_explained"):
            assert labels.get(key), (language, key)


# The library edit (the Documents tab's form goes through it)


@pytest.fixture
def library(tmp_path) -> Library:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    for name in (VERYWELL_FILE, "above-ms-occupational-therapy.txt", METADATA_FILE):
        shutil.copy(CORPUS / name, corpus / name)
    library = Library(fast_settings(corpus, tmp_path / "index"), build_embedder)
    library.reindex(lambda message: None)
    return library


def _entry(library: Library) -> dict:
    """The details ingest reads: the shipped documents.json with the staff's edits over it."""
    data = json.loads((library.corpus / METADATA_FILE).read_text(encoding="utf-8"))
    entry = next(e for e in data["documents"] if e["doc_id"] == VERYWELL)
    edits = Layers.of(library.settings).edits.get(entry["file"], {})
    return {**entry, **edits}


def test_marking_a_document_unverified_is_saved_and_stops_quotes(library):
    path = library.corpus / VERYWELL_FILE
    before = build_assistant(library.settings)
    assert VERYWELL in {c.doc_id for c in before.ask("What is the two-hour rule?").citations}
    edit = MetadataEdit(
        title="Physical Therapy for Multiple Sclerosis: Regaining Mobility",
        publisher="Verywell Health",
        updated="2022",
        source_note="Copied from a site we cannot vouch for.",
        verified=False,
    )
    result = library.update_metadata(VERYWELL, str(path), edit, lambda message: None)
    assert result.ok, result.message
    entry = _entry(library)
    assert (entry["verified"], entry["source_note"]) == (
        False,
        "Copied from a site we cannot vouch for.",
    )
    after = build_assistant(library.settings)
    meta = after.source(VERYWELL).meta
    assert (meta.verified, meta.source_note) == (False, "Copied from a site we cannot vouch for.")
    assert VERYWELL not in {c.doc_id for c in after.ask("What is the two-hour rule?").citations}
    assert after.find(ACCOUNTABLE)[0].verified is False


def test_an_edit_without_note_or_flag_leaves_them_as_they_are(library):
    before = _entry(library)
    edit = MetadataEdit(title="A new title", publisher="Verywell Health", updated="2022")
    path = str(library.corpus / VERYWELL_FILE)
    assert library.update_metadata(VERYWELL, path, edit, lambda message: None).ok
    after = _entry(library)
    assert after["title"] == "A new title"
    assert (after["source_note"], after["verified"]) == (before["source_note"], True)


def test_a_cleared_note_says_the_origin_is_not_recorded(library):
    edit = MetadataEdit(title="T", source_note="  ", verified=True)
    path = str(library.corpus / VERYWELL_FILE)
    assert library.update_metadata(VERYWELL, path, edit, lambda message: None).ok
    assert _entry(library)["source_note"] is None
    note = build_assistant(library.settings).source(VERYWELL).meta.source_note
    assert note is not None
    assert note.endswith("origin not recorded.")


def test_an_overlong_note_is_refused(library):
    edit = MetadataEdit(title="T", source_note="x" * 1001)
    path = str(library.corpus / VERYWELL_FILE)
    result = library.update_metadata(VERYWELL, path, edit, lambda message: None)
    assert not result.ok
    assert "longer than 1000 characters" in result.message


def test_an_upload_without_an_entry_says_its_origin_is_not_recorded(library, tmp_path):
    upload = tmp_path / "cooling.txt"
    upload.write_text("Cooling vests\n\nA cooling vest can help people with MS exercise.\n")
    [result] = library.add([upload], lambda message: None)
    assert result.ok, result.message
    meta = build_assistant(library.settings).source("cooling").meta
    assert meta.source_note is not None
    assert meta.source_note.startswith("Added on ")
    assert meta.source_note.endswith("origin not recorded.")
    assert meta.verified is True


# Real tier: the real models over the shipped corpus


@pytest.mark.real
def test_life_span_question_gets_nothing_from_the_copied_block(real_assistant):
    answer = real_assistant.ask("How long do people live after an MS diagnosis?")
    quoted = " ".join(c.quote for c in answer.citations)
    assert "life span" not in quoted
    assert "25 to 35 years" not in quoted
    assert "causes of death" not in quoted


@pytest.mark.real
def test_life_span_question_abstains(real_assistant):
    answer = real_assistant.ask("How long do people live after an MS diagnosis?")
    assert answer.status == "abstained"


@pytest.mark.real
def test_find_life_span_finds_nothing_from_the_copied_block(real_settings):
    from test_real import _cli

    result = _cli(real_settings, "find", "--json", "Average life span of 25 to 35 years")
    assert result.returncode == 0, result.stderr
    matches = json.loads(result.stdout)["matches"]
    assert all("life span" not in m["text"] and not m["exact"] for m in matches)


@pytest.mark.real
def test_the_verywell_article_is_still_answered(real_assistant):
    answer = real_assistant.ask("How long does a PT episode of care usually run?")
    assert answer.status == "answered"
    assert any(c.doc_id == VERYWELL and "four to six weeks" in c.quote for c in answer.citations)
