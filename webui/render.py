"""HTML and Markdown for the app, built from the assistant's dataclasses.

Every piece of text that comes from a document or from a user goes through `html.escape`
(and, for Markdown, a backslash escape) before it is placed in markup, so a document that
contains `<script>` shows those characters and runs nothing. Nothing here retrieves,
ranks or rewrites text: it only lays out what the assistant returned. Its own words come
from `ui_labels(language)`, in the language of the question (quotes stay as written).
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterator, Mapping
from typing import TYPE_CHECKING
from urllib.parse import quote, urlencode

from assistant.messages import message
from assistant.models import Answer, Citation, Document, DocumentSummary, Match
from ingest.reasons import Reason
from webui.labels import ui_labels

if TYPE_CHECKING:
    from ingest.library import FileResult

URGENT = ("emergency", "crisis")
Labels = Mapping[str, str]
_CONTEXT_CHARS = 320
"""How much of the surrounding paragraph is shown on each side of a highlighted quote."""


def escape_markdown(text: str) -> str:
    """Text made safe for Gradio's Markdown: HTML escaped, Markdown syntax backslashed."""
    escaped = html.escape(text, quote=False)
    return re.sub(r"([\\`*_{}\[\]()#+\-.!|~>])", r"\\\1", escaped)


def answer_markdown(answer: Answer) -> str:
    """The chat message for an answer. Urgent answers open with a line that says so in words.

    A marker shows as `[1]` and is read as "source 1": the brackets are drawn by CSS with empty
    alternative text (the chat's sanitiser drops aria-hidden and data attributes, so the number
    travels in the class), the words are visually hidden."""
    body = "\n\n".join(escape_markdown(p) for p in answer.paragraphs())
    labels = ui_labels(answer.language)
    spoken = html.escape(labels["source_word"])
    body = _ESCAPED_MARKER.sub(
        rf'<span class="cite cite-\1"><span class="visually-hidden">({spoken} \1)</span></span>',
        body,
    )
    if answer.status in URGENT:
        return f"**{escape_markdown(labels['urgent_read_first'])}**\n\n{body}"
    if answer.answerer in ("generative", "extractive-fallback"):
        # With a language model configured, say who wrote this answer (quotes-only: no line).
        body += f"\n\n*{escape_markdown(message(f'answerer_{answer.answerer}', answer.language))}*"
    return body


def streamed_markdown(sentences: list[str]) -> str:
    """The checked sentences of an answer still being written, markers shown as in the answer."""
    return _ESCAPED_MARKER.sub(r"[\1]", escape_markdown(" ".join(sentences)))


_ESCAPED_MARKER = re.compile(r"\\\[(\d+)\\\]")
_MARKER = re.compile(r"\[(\d+)\]")


def announcement(answer: Answer) -> str:
    """What a screen reader says once the answer is complete: the answer, markers as words."""
    labels = ui_labels(answer.language)
    opening = labels["urgent"] if answer.status in URGENT else labels["answer_ready"]
    if answer.safety in URGENT and answer.status not in URGENT:
        beside = " ".join(message(f"{answer.safety}_beside", answer.language).split())
        opening = f"{labels[f'support_{answer.safety}']}: {beside} {opening}"
    spoken = " ".join(" ".join(answer.paragraphs()).split())
    text = _MARKER.sub(rf"({labels['source_word']} \1)", spoken)
    return f"<p>{html.escape(f'{opening} {text}')}</p>"


_TOKEN = re.compile(r"<[^>]*>|[^\s<]+|\s+")


def growing(markdown: str, steps: int) -> Iterator[str]:
    """The message in about `steps` growing pieces, ending with all of it. Pieces end between
    words and never inside a tag, so a half-streamed message is never broken markup."""
    tokens = _TOKEN.findall(markdown)
    cuts, depth = [], 0
    for index, token in enumerate(tokens):
        if token.startswith("</"):
            depth -= 1
        elif token.startswith("<"):
            depth += 1
        elif depth == 0 and not token.isspace():
            cuts.append(index)  # a word outside any tag: the piece may end just before it
    stride = max(1, len(cuts) // steps)
    for index in cuts[stride::stride]:
        yield "".join(tokens[:index]).rstrip()
    yield markdown


def sources_empty(language: str = "en") -> str:
    return f'<p class="empty">{html.escape(ui_labels(language)["sources_empty"])}</p>'


def file_results(
    results: list[FileResult], note: str = "", language: str = "en", failed: str = "not_added"
) -> str:
    """One line per file or document: done or not (`failed` names the label), and why, in
    `language` when the library said why as a label, as a status region."""
    labels = ui_labels(language)
    items = "".join(
        f'<li class="{"ok" if r.ok else "failed"}">'
        f"<strong>{html.escape(labels['done' if r.ok else failed])}:</strong> "
        f"{html.escape(_said(r, labels, language))}</li>"
        for r in results
    )
    extra = f"<p>{html.escape(note)}</p>" if note else ""
    return f'<ul class="results" role="status">{items}</ul>{extra}'


def _said(result: FileResult, labels: Labels, language: str) -> str:
    if result.reason not in labels:
        return result.message
    values = dict(result.values)
    if result.causes:
        said = " ".join(reason_text(cause, language) for cause in result.causes)
        values.update(reason=said, reasons=said)
    return labels[result.reason].format(**values)


def reason_text(reason: str, language: str = "en") -> str:
    """Why a file could not be indexed, in `language` from the label `load_<code>` of a
    `Reason`; any other text (an index error) as it is."""
    if not isinstance(reason, Reason) or f"load_{reason.code}" not in ui_labels(language):
        return str(reason)
    template = ui_labels(language)[f"load_{reason.code}"]
    return template.format(**{k: number(v, language) for k, v in reason.values.items()})


_THOUSANDS = {"en": ",", "es": ".", "de": ".", "pt": ".", "fr": "\u202f"}


def number(value: str | int | float, language: str) -> str:
    """A value of a reason as the language writes it: 1,000,000 / 1.000.000 / 1 000 000,
    0.5 / 0,5. Text stays as it is."""
    if isinstance(value, str):
        return value
    if isinstance(value, int):
        return f"{value:,}".replace(",", _THOUSANDS.get(language, ","))
    return f"{value:g}" if language == "en" else f"{value:g}".replace(".", ",")


def urgent_banner(answer: Answer) -> str:
    """A banner above the conversation for emergency and crisis answers, or the support note
    for an answer given with a possible crisis or emergency beside it; empty otherwise."""
    if answer.status not in URGENT:
        return support_note(answer)
    labels = ui_labels(answer.language)
    heading = labels["urgent_emergency" if answer.status == "emergency" else "urgent_crisis"]
    paragraphs = "".join(f"<p>{html.escape(p)}</p>" for p in answer.paragraphs())
    return (
        f'<div class="urgent urgent-{answer.status}" role="alert">'
        f"<h2>{html.escape(heading)}</h2>{paragraphs}</div>"
    )


def support_note(answer: Answer) -> str:
    """The support message shown before an answer whose question may mean a crisis or an
    emergency (`answer.safety`), with a heading that says so in words; empty otherwise."""
    if answer.safety not in URGENT:
        return ""
    labels = ui_labels(answer.language)
    text = message(f"{answer.safety}_beside", answer.language)
    paragraphs = "".join(f"<p>{html.escape(p.strip())}</p>" for p in text.splitlines() if p.strip())
    return (
        f'<div class="urgent support support-{answer.safety}" role="note">'
        f"<h2>{html.escape(labels[f'support_{answer.safety}'])}</h2>{paragraphs}</div>"
    )


def document_link(doc_id: str, start: int | None = None, end: int | None = None) -> str:
    """Address of the document page, scrolled to the highlighted span when one is given."""
    path = f"/document/{quote(doc_id, safe='')}"
    if start is None or end is None:
        return path
    return f"{path}?{urlencode({'start': start, 'end': end})}#quote"


def highlighted_context(
    document: Document, start: int, end: int, spans: tuple[tuple[int, int], ...] = ()
) -> str:
    """The paragraph around `start`..`end` with that span marked (or each of `spans`, when
    given), trimmed to a readable size."""
    marks = sorted(spans) or [(start, end)]
    first, last = marks[0][0], max(e for _, e in marks)
    para_start, para_end = document.paragraph_around(first, last)
    begin, finish = max(para_start, first - _CONTEXT_CHARS), min(para_end, last + _CONTEXT_CHARS)
    pieces = ["… " if begin > para_start else ""]
    position = begin
    for mark_start, mark_end in marks:
        if mark_start < position:  # overlapping spans: the earlier mark already holds it
            continue
        pieces.append(html.escape(document.text[position:mark_start]))
        pieces.append(f"<mark>{html.escape(document.text[mark_start:mark_end])}</mark>")
        position = mark_end
    pieces.append(html.escape(document.text[position:finish]))
    return "".join(pieces) + (" …" if finish < para_end else "")


def _context(
    document: Document | None,
    start: int,
    end: int,
    text: str,
    spans: tuple[tuple[int, int], ...] = (),
) -> str:
    """The span(s) marked in their paragraph, or just the text when the document is not at hand."""
    if document is None:
        return f"<mark>{html.escape(text)}</mark>"
    return highlighted_context(document, start, end, spans)


def sources_html(answer: Answer, documents: Mapping[str, Document]) -> str:
    """The sources of one answer: who says it, when, and the quote inside its paragraph."""
    if not answer.citations:
        return ""
    labels = ui_labels(answer.language)
    items = "".join(_source_item(c, documents.get(c.doc_id), labels) for c in answer.citations)
    return (
        '<section class="sources" aria-labelledby="sources-heading">'
        f'<h2 id="sources-heading">{html.escape(labels["sources"])}</h2>'
        f'<ol class="source-list">{items}</ol></section>'
    )


def _source_item(citation: Citation, document: Document | None, labels: Labels) -> str:
    context = _context(document, citation.start, citation.end, citation.quote)
    said = labels["source_n"].format(n=citation.n)
    where = _location(citation.start, citation.end, citation.page, citation.section, labels)
    return (
        f'<li class="source" id="source-{citation.n}">'
        f'<p class="source-head"><span class="source-n" aria-hidden="true">[{citation.n}]</span>'
        f'<span class="visually-hidden">{html.escape(said)}</span> '
        f"{_provenance(citation.title, citation.publisher, citation.updated, citation.stale, labels)}</p>"
        f'<blockquote class="context">{context}</blockquote>'
        f'<p class="source-foot">{_open_link(citation.doc_id, citation.start, citation.end, labels)}'
        f" · {where}</p></li>"
    )


def _provenance(
    title: str, publisher: str | None, updated: str | None, stale: bool, labels: Labels
) -> str:
    when = labels["updated"].format(date=updated) if updated else labels["date_not_stated"]
    note = f' <strong class="stale">{html.escape(labels["over_three_years"])}</strong>'
    return (
        f"<strong>{html.escape(title)}</strong> — "
        f"{html.escape(publisher or labels['publisher_not_stated'])}, {html.escape(when)}."
        f"{note if stale else ''}"
    )


def _location(start: int, end: int, page: int | None, section: str, labels: Labels) -> str:
    parts = [labels["page"].format(n=page)] if page is not None else []
    if section:
        parts.append(labels["section"].format(name=section))
    parts.append(labels["characters"].format(start=start, end=end))
    return html.escape(", ".join(parts))


def _match_location(match: Match, labels: Labels) -> str:
    """Page (PDFs), section and paragraph: what a reader can find again; no character offsets."""
    parts = [labels["page"].format(n=match.page)] if match.page is not None else []
    if match.section:
        parts.append(labels["section"].format(name=match.section))
    if match.paragraph is not None:
        parts.append(labels["paragraph"].format(n=match.paragraph))
    return html.escape(", ".join(parts))


def _open_link(doc_id: str, start: int, end: int, labels: Labels) -> str:
    return (
        f'<a href="{html.escape(document_link(doc_id, start, end))}" target="_blank" '
        f'rel="noopener noreferrer">{html.escape(labels["open_here"])}'
        f'<span class="visually-hidden"> {html.escape(labels["opens_new_tab"])}</span></a>'
    )


def find_html(
    text: str,
    matches: list[Match],
    documents: Mapping[str, Document],
    language: str = "en",
    close_match: bool = True,
) -> str:
    """Each match beside the pasted text, so wording can be compared line by line; first, in
    words, "No close match" when the best one does not clearly stand out."""
    if not text.strip():
        return ""
    labels = ui_labels(language)
    if not matches:
        return f'<p class="empty">{html.escape(labels["no_match"])}</p>'
    rows = "".join(
        _match_item(n, text, m, documents.get(m.doc_id), labels) for n, m in enumerate(matches, 1)
    )
    warning = (
        ""
        if close_match
        else f'<p class="no-close-match" role="status">{html.escape(labels["no_close_match"])}</p>'
    )
    return (
        '<section class="matches" aria-labelledby="matches-heading">'
        f'<h2 id="matches-heading">{html.escape(labels["matching_passages"])}</h2>'
        f'{warning}<ol class="match-list">{rows}</ol></section>'
    )


def _match_item(n: int, text: str, match: Match, document: Document | None, labels: Labels) -> str:
    context = _context(document, match.start, match.end, match.text, match.highlights)
    kind = (
        labels["exact_match"]
        if match.exact
        else labels["similarity"].format(score=f"{match.score:.2f}")
    )
    meta = document.meta if document else None
    provenance = _provenance(
        match.title,
        meta.publisher if meta else None,
        meta.updated if meta else None,
        False,
        labels,
    )
    heading = labels["match_n"].format(n=n)
    # The pasted text keeps its language for screen readers; the source is the document's.
    source_language = html.escape(meta.language if meta else "en")
    return (
        f'<li class="match"><h3 class="match-head">{html.escape(heading)}: {provenance} '
        f"({html.escape(kind)})</h3>{'' if match.verified else _unverified(labels)}"
        '<div class="side-by-side">'
        f'<div class="pasted"><h4>{html.escape(labels["your_text"])}</h4>'
        f"<p>{html.escape(text)}</p></div>"
        f'<div class="found"><h4>{html.escape(labels["source_text"])}</h4>'
        f'<blockquote class="context" lang="{source_language}">{context}</blockquote>'
        f'<p class="source-foot">{_open_link(match.doc_id, match.start, match.end, labels)} · '
        f"{_match_location(match, labels)}</p></div>"
        "</div></li>"
    )


def _unverified(labels: Labels) -> str:
    """Says in words that a document is unverified, and what that means."""
    return (
        f'<p class="unverified"><strong>{html.escape(labels["unverified_source"])}</strong>: '
        f"{html.escape(labels['unverified_explained'])}</p>"
    )


def documents_table(summaries: list[DocumentSummary], language: str = "en") -> str:
    """The indexed documents as a real table, with a caption and column headers."""
    labels = ui_labels(language)
    if not summaries:
        return f'<p class="empty">{html.escape(labels["no_documents"])}</p>'
    columns = ("title", "publisher", "column_updated", "language", "column_id", "file_size")
    head = "".join(
        f'<th scope="col">{html.escape(labels[h])}</th>'
        for h in (*columns, "chunks", "source_note")
    )
    rows = "".join(_document_row(s, labels) for s in summaries)
    return (
        f'<table class="documents"><caption>{html.escape(labels["indexed_documents"])}</caption>'
        f"<thead><tr>{head}</tr></thead><tbody>{rows}</tbody></table>"
    )


def _document_row(summary: DocumentSummary, labels: Labels) -> str:
    meta = summary.meta
    size = _size(summary.file_bytes) if summary.file_bytes is not None else labels["file_missing"]
    characters = labels["characters_count"].format(count=f"{summary.characters:,}")
    cells = (
        html.escape(meta.publisher or labels["not_stated"]),
        html.escape(meta.updated or labels["not_stated"]),
        html.escape(meta.language),
        html.escape(meta.doc_id),
        html.escape(f"{size} ({characters})"),
        str(summary.chunks),
        html.escape(meta.source_note or ""),
    )
    title = f'<a href="{html.escape(document_link(meta.doc_id))}" target="_blank" rel="noopener noreferrer">{html.escape(meta.title)}</a>'
    if not meta.verified:
        title += f' <strong class="unverified">{html.escape(labels["unverified_source"])}</strong>'
    return f'<tr><th scope="row">{title}</th>' + "".join(f"<td>{c}</td>" for c in cells) + "</tr>"


def _size(count: int) -> str:
    if count < 1024 * 1024:
        return f"{count / 1024:.1f} KB"
    return f"{count / 1024 / 1024:.1f} MB"


def document_page(
    document: Document, start: int | None, end: int | None, language: str = "en"
) -> str:
    """A whole document as a standalone page, with the span `start`..`end` highlighted; the
    page's own words in `language`, the document's text as written."""
    labels = ui_labels(language)
    meta = document.meta
    text = document.text
    if start is not None and end is not None and 0 <= start < end <= len(text):
        body = (
            f"{html.escape(text[:start])}"
            f'<mark id="quote" tabindex="-1">{html.escape(text[start:end])}</mark>'
            f"{html.escape(text[end:])}"
        )
    else:
        body = html.escape(text)
    at = document.page_at(start) if start is not None else None
    page = ", " + labels["page"].format(n=at) if at is not None else ""
    source = (
        f'<p><a href="{html.escape(meta.url)}" rel="noopener noreferrer">{html.escape(meta.url)}</a></p>'
        if meta.url and re.match(r"^https?://", meta.url)
        else ""
    )
    return _PAGE.format(
        language=html.escape(language),
        text_language=html.escape(meta.language),
        title=html.escape(meta.title),
        provenance=_provenance(meta.title, meta.publisher, meta.updated, False, labels),
        where=html.escape(page),
        source=source + _origin(meta.source_note, meta.verified, labels),
        body=body,
    )


def _origin(note: str | None, verified: bool, labels: Labels) -> str:
    """Where a document's text comes from, and whether it is unverified, for its page."""
    said = (
        f'<p class="source-note">{html.escape(labels["source_note"])}: {html.escape(note)}</p>'
        if note
        else ""
    )
    return said + ("" if verified else _unverified(labels))


def missing_document_page(doc_id: str, language: str = "en") -> str:
    labels = ui_labels(language)
    return _PAGE.format(
        language=html.escape(language),
        text_language=html.escape(language),
        title=html.escape(labels["document_not_found"]),
        provenance=html.escape(labels["no_document_with_id"].format(doc_id=doc_id)),
        where="",
        source="",
        body=html.escape(labels["document_maybe_removed"]),
    )


_PAGE = """<!doctype html>
<html lang="{language}"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title} · MS Rehab Assistant</title>
<style>
body {{ font: 1.125rem/1.6 system-ui, sans-serif; max-width: 46rem; margin: 0 auto;
  padding: 1rem 1.25rem 4rem; color: #1a1a1a; background: #fff; }}
header {{ border-bottom: 1px solid #767676; margin-bottom: 1rem; }}
.text {{ white-space: pre-wrap; overflow-wrap: anywhere; }}
mark {{ background: #ffe066; color: #000; outline: 3px solid #7a5c00; scroll-margin: 30vh; }}
mark:focus {{ outline: 3px solid #003a8c; }}
a {{ color: #0040a0; }}
@media (prefers-color-scheme: dark) {{
  body {{ background: #111; color: #f2f2f2; }} a {{ color: #9cc3ff; }} }}
</style></head>
<body><header><h1>{title}</h1><p>{provenance}{where}</p>{source}</header>
<main lang="{text_language}"><div class="text">{body}</div></main></body></html>
"""
