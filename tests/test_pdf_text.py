"""PDF text as people read it, on PDFs made here by two tools (see tests/pdf_corpus.py)."""

from __future__ import annotations

import pytest
from conftest import fast_settings, ingest
from pdf_corpus import make_factsheet, make_leaflet, make_libreoffice

from assistant.build import build_assistant
from ingest.chunking import chunk_document
from ingest.corpus import build_document
from ingest.pdftext import join_lines, looks_like_file_name

MAKERS = {"factsheet": make_factsheet, "two-columns": make_leaflet, "libreoffice": make_libreoffice}


@pytest.fixture(scope="module")
def made(tmp_path_factory):
    folder = tmp_path_factory.mktemp("pdfs")
    return {name: maker(folder) for name, maker in MAKERS.items()}


@pytest.fixture(scope="module")
def documents(made):
    return {name: build_document(pdf.path, None) for name, pdf in made.items()}


@pytest.mark.parametrize("name", MAKERS)
def test_every_sentence_comes_out_whole(made, documents, name):
    text = documents[name].text
    missing = [sentence for sentence in made[name].sentences if sentence not in text]
    assert missing == []


@pytest.mark.parametrize("name", MAKERS)
def test_no_running_header_or_footer_in_any_chunk(made, documents, name):
    chunks = chunk_document(documents[name], max_chars=900)
    assert chunks
    for chunk in chunks:
        for furniture in made[name].furniture:
            assert furniture not in chunk.text
        assert "Page " not in chunk.text


@pytest.mark.parametrize("name", MAKERS)
def test_title_is_the_first_heading_when_the_pdf_title_is_a_file_name(made, documents, name):
    assert documents[name].meta.title == made[name].title


@pytest.mark.parametrize("name", MAKERS)
def test_each_paragraph_is_on_the_page_it_starts_on(made, documents, name):
    document = documents[name]
    assert len(document.page_starts) >= 2
    for opening, page in made[name].pages.items():
        assert document.page_at(document.text.index(opening)) == page, opening


def test_a_paragraph_cut_by_a_page_break_stays_whole_on_its_first_page(made, documents):
    document = documents["factsheet"]
    sentence = "Most people can reduce the exercises once dizziness has settled for a month."
    assert document.page_at(document.text.index(sentence)) == 1
    assert document.page_at(document.text.index("Ask your MS nurse for a referral")) == 2


def test_lists_and_table_rows_keep_their_own_lines(documents):
    lines = documents["factsheet"].text.split("\n")
    assert "– balance training standing on foam or with the eyes closed" in lines
    assert "Habituation | 3 | 15" in lines
    assert "How the exercises work" in lines
    assert "2. Food sticking in the throat, or a wet or gurgly voice after meals." in (
        documents["libreoffice"].text.split("\n")
    )


def test_two_columns_are_read_column_by_column(documents):
    text = documents["two-columns"].text
    left_last = text.index("Keeping cool matters")
    right_first = text.index("Regular aerobic exercise")
    assert text.index("Fatigue is one of") < left_last < right_first


@pytest.mark.parametrize(
    ("first", "second", "words", "joined"),
    [
        ("Vestibular reha-", "bilitation works", set(), "Vestibular rehabilitation works"),
        ("exer-", "cises", {"exercises"}, "exercises"),
        ("A well-", "known example", {"well-known"}, "A well-known example"),
        ("Self-", "management", {"self", "management"}, "Self-management"),
        ("the MS-", "Society page", set(), "the MS-Society page"),
        ("ends here", "and goes on", set(), "ends here and goes on"),
    ],
)
def test_join_lines_undoes_hyphenation_only_at_breaks_inside_a_word(first, second, words, joined):
    assert join_lines(first, second, words) == joined


@pytest.mark.parametrize(
    ("title", "file_like"),
    [
        ("Microsoft Word - VRT_factsheet_v3_FINAL.docx", True),
        ("VRT_factsheet_v3_FINAL.docx", True),
        ("untitled", True),
        ("", True),
        ("Vestibular rehabilitation in MS", False),
    ],
)
def test_file_name_titles(title, file_like):
    assert looks_like_file_name(title) is file_like


def test_answer_from_an_uploaded_pdf_cites_the_right_page(made, tmp_path):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / made["factsheet"].path.name).write_bytes(made["factsheet"].path.read_bytes())
    settings = fast_settings(corpus, tmp_path / "index")
    assert ingest([corpus], settings).failed == []
    answer = build_assistant(settings).ask("Who do I ask for a referral to a physiotherapist?")
    assert answer.status == "answered"
    cited = [c for c in answer.citations if "referral" in c.quote]
    assert cited
    assert {c.page for c in cited} == {2}
