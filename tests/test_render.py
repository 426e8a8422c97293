"""HTML and Markdown built from the assistant's dataclasses: escaping, highlights, layout."""

from __future__ import annotations

import pytest

from assistant.models import (
    Answer,
    Citation,
    Document,
    DocumentMeta,
    DocumentSummary,
    Match,
)
from webui.render import (
    answer_markdown,
    document_link,
    document_page,
    documents_table,
    escape_markdown,
    find_html,
    highlighted_context,
    missing_document_page,
    sources_html,
    urgent_banner,
)

TEXT = (
    "Fatigue is common in MS.\n\n"
    "Pacing helps. Rest often between tasks and plan the day.\n\n"
    "Heat can make symptoms worse for a while."
)
QUOTE = "Rest often between tasks"
START = TEXT.index(QUOTE)
END = START + len(QUOTE)

EVIL = "<script>alert(1)</script> <img src=x onerror=alert(1)>"
EVIL_ESCAPED = "&lt;script&gt;alert(1)&lt;/script&gt; &lt;img src=x onerror=alert(1)&gt;"


def document(
    text: str = TEXT, doc_id: str = "pacing", page_starts: tuple[int, ...] = (), **meta
) -> Document:
    fields = {"title": "Pacing and MS", "publisher": "MS Society", "updated": "2024-05", **meta}
    return Document(
        meta=DocumentMeta(doc_id=doc_id, **fields),
        text=text,
        source_path=f"/corpus/{doc_id}.txt",
        content_hash="hash",
        page_starts=page_starts,
    )


def citation(n: int = 1, **fields) -> Citation:
    values = {
        "doc_id": "pacing",
        "title": "Pacing and MS",
        "quote": QUOTE,
        "start": START,
        "end": END,
        "publisher": "MS Society",
        "updated": "2024-05",
        **fields,
    }
    return Citation(n=n, **values)


def answer(status="answered", text="Rest often between tasks [1].", citations=()) -> Answer:
    return Answer(question="How do I pace?", status=status, answer=text, citations=citations)


def match(exact: bool = True, score: float = 1.0, **fields) -> Match:
    values = {
        "doc_id": "pacing",
        "title": "Pacing and MS",
        "text": QUOTE,
        "start": START,
        "end": END,
        **fields,
    }
    return Match(score=score, exact=exact, **values)


def summary(file_bytes: int | None = 4683, **meta) -> DocumentSummary:
    fields = {"doc_id": "pacing", "title": "Pacing and MS", "publisher": "MS Society", **meta}
    return DocumentSummary(
        meta=DocumentMeta(**fields),
        source_path="/corpus/pacing.txt",
        characters=4600,
        chunks=7,
        file_bytes=file_bytes,
    )


# Escaping: nothing from a document or a user runs


def _evil_document() -> Document:
    text = f"Intro.\n\nBefore {EVIL} after.\n\nEnd."
    return document(text=text, doc_id=EVIL, title=EVIL, publisher=EVIL, updated=EVIL)


def _evil_span(doc: Document) -> tuple[int, int]:
    start = doc.text.index(EVIL)
    return start, start + len(EVIL)


def _rendered_with_evil() -> dict[str, str]:
    doc = _evil_document()
    start, end = _evil_span(doc)
    cited = citation(
        doc_id=EVIL, title=EVIL, quote=EVIL, start=start, end=end, publisher=EVIL, section=EVIL
    )
    found = match(doc_id=EVIL, title=EVIL, text=EVIL, start=start, end=end, section=EVIL)
    return {
        "sources_html": sources_html(answer(citations=(cited,)), {EVIL: doc}),
        "sources_html without document": sources_html(answer(citations=(cited,)), {}),
        "find_html": find_html(EVIL, [found], {EVIL: doc}),
        "find_html without document": find_html(EVIL, [found], {}),
        "documents_table": documents_table(
            [summary(doc_id=EVIL, title=EVIL, publisher=EVIL, updated=EVIL, language=EVIL)]
        ),
        "document_page": document_page(doc, start, end),
        "missing_document_page": missing_document_page(EVIL),
        "urgent_banner": urgent_banner(answer(status="crisis", text=EVIL)),
        "highlighted_context": highlighted_context(doc, start, end),
    }


@pytest.mark.parametrize("name", list(_rendered_with_evil()))
def test_html_escapes_markup_from_documents_and_users(name):
    html = _rendered_with_evil()[name]
    assert "<script" not in html
    assert "<img" not in html
    assert EVIL_ESCAPED in html


@pytest.mark.parametrize("status", ["answered", "emergency", "crisis", "abstained"])
def test_answer_markdown_escapes_html(status):
    markdown = answer_markdown(answer(status=status, text=f"See this: {EVIL}"))
    assert "<" not in markdown.replace("**Urgent: please read this first\\.**", "")
    assert "&lt;script&gt;alert\\(1\\)&lt;/script&gt; &lt;img src=x onerror=alert\\(1\\)&gt;" in (
        markdown
    )


def test_escape_markdown_backslashes_markdown_syntax():
    assert escape_markdown("**bold** _it_ [link](http://x) # h1 <b>") == (
        "\\*\\*bold\\*\\* \\_it\\_ \\[link\\]\\(http://x\\) \\# h1 &lt;b&gt;"
    )


# highlighted_context and paragraph_around


def test_paragraph_around_stops_at_blank_lines():
    doc = document()
    para = "Pacing helps. Rest often between tasks and plan the day."
    assert doc.paragraph_around(START, END) == (TEXT.index(para), TEXT.index(para) + len(para))
    assert doc.paragraph_around(0, 5) == (0, TEXT.index("\n\n"))
    last = TEXT.index("Heat")
    assert doc.paragraph_around(last, last + 4) == (last, len(TEXT))


def test_highlighted_context_marks_exactly_the_span_within_its_paragraph():
    assert highlighted_context(document(), START, END) == (
        "Pacing helps. <mark>Rest often between tasks</mark> and plan the day."
    )


def test_highlighted_context_escapes_text_around_the_span():
    text = "a < b & c\n\nx <i>y</i> z"
    start = text.index("<i>")
    assert highlighted_context(document(text=text), start, start + 3) == (
        "x <mark>&lt;i&gt;</mark>y&lt;/i&gt; z"
    )


def test_highlighted_context_trims_long_paragraphs_with_ellipses():
    before, after = "a" * 400, "b" * 400
    text = f"Other.\n\n{before}QUOTE{after}\n\nMore."
    start = text.index("QUOTE")
    assert highlighted_context(document(text=text), start, start + 5) == (
        f"… {'a' * 320}<mark>QUOTE</mark>{'b' * 320} …"
    )


def test_highlighted_context_no_ellipsis_when_exactly_at_the_limit():
    text = f"{'a' * 320}QUOTE{'b' * 320}"
    assert highlighted_context(document(text=text), 320, 325) == (
        f"{'a' * 320}<mark>QUOTE</mark>{'b' * 320}"
    )


# document_link and document_page


def test_document_link_without_span():
    assert document_link("pacing") == "/document/pacing"


def test_document_link_encodes_the_id_and_points_at_the_quote():
    assert document_link("a b/ç?#", 3, 9) == "/document/a%20b%2F%C3%A7%3F%23?start=3&end=9#quote"


def test_document_link_needs_both_offsets_for_the_quote():
    assert document_link("pacing", 3, None) == "/document/pacing"


def test_document_page_marks_exactly_the_span():
    page = document_page(document(), START, END)
    assert (
        "Fatigue is common in MS.\n\nPacing helps. "
        f'<mark id="quote" tabindex="-1">{QUOTE}</mark> and plan the day.'
    ) in page
    assert page.count("<mark") == 1
    assert "<title>Pacing and MS · MS Rehab Assistant</title>" in page
    assert "<strong>Pacing and MS</strong> — MS Society, updated 2024-05." in page


@pytest.mark.parametrize(
    ("start", "end"),
    [(None, None), (-1, 5), (5, len(TEXT) + 1), (10, 10), (12, 4), (len(TEXT), len(TEXT) + 3)],
)
def test_document_page_ignores_missing_or_out_of_range_offsets(start, end):
    page = document_page(document(), start, end)
    assert "<mark" not in page
    assert f'<div class="text">{TEXT}</div>' in page


def test_document_page_names_the_pdf_page():
    text = "Page one words here.\n\nPage two has the quote."
    doc = document(text=text, page_starts=(0, text.index("Page two")))
    start = text.index("the quote")
    assert "updated 2024-05., page 2</p>" in document_page(doc, start, start + 9)


def test_document_page_links_only_web_addresses():
    linked = document_page(document(url="https://example.org/pacing?a=1&b=2"), None, None)
    assert (
        '<a href="https://example.org/pacing?a=1&amp;b=2" rel="noopener noreferrer">'
        "https://example.org/pacing?a=1&amp;b=2</a>"
    ) in linked
    for url in ("javascript:alert(1)", "data:text/html,hi", "ftp://example.org/x"):
        page = document_page(document(url=url), None, None)
        assert "<a " not in page
        assert url not in page


def test_missing_document_page():
    page = missing_document_page("gone")
    assert "<title>Document not found · MS Rehab Assistant</title>" in page
    assert "No document with id “gone” is indexed." in page


# sources_html


def test_sources_html_empty_without_citations():
    assert sources_html(answer(citations=()), {"pacing": document()}) == ""


def test_sources_html_shows_provenance_context_and_location():
    cited = citation(page=3, section="Pacing")
    html = sources_html(answer(citations=(cited,)), {"pacing": document()})
    assert html.startswith('<section class="sources" aria-labelledby="sources-heading">')
    assert (
        '<span class="source-n" aria-hidden="true">[1]</span><span class="visually-hidden">Source 1:</span> <strong>Pacing and MS</strong> — MS Society, '
        in (html)
    )
    assert "updated 2024-05.</p>" in html
    assert (
        '<blockquote class="context">Pacing helps. <mark>Rest often between tasks</mark> '
        "and plan the day.</blockquote>"
    ) in html
    assert f"page 3, section “Pacing”, characters {START}–{END}</p>" in html
    assert f'href="/document/pacing?start={START}&amp;end={END}#quote"' in html
    assert "stale" not in html


def test_sources_html_says_what_is_not_stated_and_when_stale():
    cited = citation(publisher=None, updated=None, stale=True)
    html = sources_html(answer(citations=(cited,)), {"pacing": document()})
    assert (
        "<strong>Pacing and MS</strong> — publisher not stated, date not stated. "
        '<strong class="stale">Over three years old: check for newer advice.</strong>'
    ) in html
    assert f"· characters {START}–{END}</p>" in html
    assert "page " not in html
    assert "section “" not in html


def test_sources_html_one_item_per_citation_in_order():
    first, second = citation(1), citation(2, doc_id="other", title="Other", quote="Heat")
    html = sources_html(answer(citations=(first, second)), {"pacing": document()})
    assert html.count('<li class="source"') == 2
    assert html.index('id="source-1"') < html.index('id="source-2"')
    assert "<mark>Heat</mark>" in html  # no document: the quote alone


# urgent_banner and answer_markdown


def test_urgent_banner_empty_unless_urgent():
    for status in ("answered", "abstained", "advice", "invalid"):
        assert urgent_banner(answer(status=status)) == ""


@pytest.mark.parametrize(
    ("status", "heading"), [("emergency", "Get help now"), ("crisis", "You are not alone")]
)
def test_urgent_banner_is_an_alert(status, heading):
    banner = urgent_banner(answer(status=status, text="Call 999.\n\nStay with someone."))
    assert banner == (
        f'<div class="urgent urgent-{status}" role="alert">'
        f"<h2>Urgent: {heading}</h2><p>Call 999.</p><p>Stay with someone.</p></div>"
    )


@pytest.mark.parametrize("status", ["emergency", "crisis"])
def test_answer_markdown_urgent_opens_with_a_warning(status):
    markdown = answer_markdown(answer(status=status, text="Call 999."))
    assert markdown == "**Urgent: please read this first\\.**\n\nCall 999\\."


def test_answer_markdown_plain_answer():
    markdown = answer_markdown(answer(text=" Rest often [1].\n\n Plan the day. "))
    # Seen as [1] (drawn by CSS from the class), heard as "(source 1)".
    assert markdown == (
        'Rest often <span class="cite cite-1"><span class="visually-hidden">(source 1)</span>'
        "</span>\\.\n\nPlan the day\\."
    )


# find_html


@pytest.mark.parametrize("text", ["", "   \n "])
def test_find_html_empty_text(text):
    assert find_html(text, [match()], {"pacing": document()}) == ""


def test_find_html_no_matches():
    assert find_html("Something else", [], {}) == (
        '<p class="empty">No passage in the documents says this.</p>'
    )


def test_find_html_shows_each_match_beside_the_pasted_text():
    html = find_html(
        "rest often between tasks",
        [match(), match(exact=False, score=0.734, section="Pacing", page=2, paragraph=4)],
        {"pacing": document()},
    )
    assert html.count('<div class="side-by-side">') == 2
    assert html.count('<div class="pasted"><h4>Your text</h4><p>rest often between tasks</p>') == 2
    assert (
        "Match 1: <strong>Pacing and MS</strong> — MS Society, updated 2024-05. (exact match)"
        in (html)
    )
    assert "Match 2: " in html
    assert "(similarity 0.73)</h3>" in html
    assert html.count("<mark>Rest often between tasks</mark> and plan the day.") == 2
    assert "page 2, section “Pacing”, paragraph 4</p>" in html
    assert "characters" not in html
    assert "No close match" not in html


def test_find_html_says_no_close_match_in_words():
    html = find_html("rest", [match(exact=False, score=0.6)], {"pacing": document()}, "de", False)
    assert '<p class="no-close-match" role="status">Keine genaue Entsprechung' in html
    assert html.index("no-close-match") < html.index("match-list")


# documents_table


def test_documents_table_empty():
    assert documents_table([]) == (
        '<p class="empty">No documents are indexed yet. Add some below.</p>'
    )


def test_documents_table_is_a_real_table():
    rows = [summary(), summary(file_bytes=None, doc_id="gone", title="Gone", publisher=None)]
    html = documents_table(rows)
    assert html.startswith('<table class="documents"><caption>Indexed documents</caption>')
    assert html.count('<th scope="col">') == 8
    assert '<th scope="col">Where the text comes from</th>' in html
    assert html.count('<tr><th scope="row">') == 2
    assert (
        '<tr><th scope="row"><a href="/document/pacing" target="_blank" '
        'rel="noopener noreferrer">Pacing and MS</a></th><td>MS Society</td><td>not stated</td>'
        "<td>en</td><td>pacing</td><td>4.6 KB (4,600 characters)</td><td>7</td><td></td></tr>"
    ) in html
    assert "<td>not stated</td><td>not stated</td>" in html
    assert "<td>file missing (4,600 characters)</td>" in html


def test_documents_table_sizes_in_megabytes():
    assert "<td>2.5 MB (4,600 characters)</td>" in documents_table(
        [summary(file_bytes=int(2.5 * 1024 * 1024))]
    )


# streaming, empty sources, file results


def test_growing_pieces_end_between_words_outside_tags():
    from webui.render import growing

    marked = (
        'Rest often. <span class="cite cite-1"><span class="visually-hidden">(source 1)</span>'
        "</span>\n\nPlan the day ahead of time."
    )
    pieces = list(growing(marked, 4))
    assert pieces[-1] == marked
    assert len(pieces) >= 3
    for piece in pieces[:-1]:
        assert marked.startswith(piece)
        assert piece.count("<span") == piece.count("</span>"), piece
    assert [len(p) for p in pieces] == sorted(len(p) for p in pieces)


def test_sources_empty_and_file_results_are_escaped_and_localized():
    from ingest.library import FileResult
    from webui.render import file_results, sources_empty

    assert (
        sources_empty("es") == '<p class="empty">Aquí aparecen las fuentes de cada respuesta.</p>'
    )
    shown = file_results(
        [
            FileResult("a<b>.txt", False, "a<b>.txt: the file is empty."),
            FileResult("x", True, "ok"),
        ],
        note="<i>note</i>",
    )
    assert "<b>" not in shown
    assert "<i>" not in shown
    assert (
        '<li class="failed"><strong>Not added:</strong> a&lt;b&gt;.txt: the file is empty.</li>'
        in shown
    )
    assert 'role="status"' in shown
