"""An answer as the body of a staff e-mail reply: plain text, no chat around it.

The quotes come first, as short passages: quotes that follow each other in a document (a
lead-in and its list items, two sentences of a paragraph) make one passage, list items on
lines of their own. Each passage ends with its reference number, and every document gets
one numbered reference at the end: title, publisher, date and web address, where known
(a field nobody stated is left out, not filled with "not stated"). A one-line note says
this is general information. What the chat adds for itself (the framing line, [n] markers
inside sentences, the note on old sources, the closing line) is not copied. Replies that
are not quotes (urgent help, a refusal) are copied as they are. Nothing here is HTML.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Mapping

from assistant.messages import message
from assistant.models import Answer, Citation, Document
from webui.labels import ui_labels

_MARKERS = re.compile(r"\s*\[\d+(?:\s*[,–-]\s*\d+)*\]")
_BULLET_GAP = re.compile(r"[\s•\-*–]*")
_BULLET = re.compile(r"[•\-*–]")


def answer_as_text(answer: Answer, documents: Mapping[str, Document] | None = None) -> str:
    """The e-mail body for `answer`; `documents` lets adjacent quotes join into passages."""
    labels = ui_labels(answer.language)
    if not answer.citations:
        return _MARKERS.sub("", answer.answer).strip() + "\n"
    numbers = _reference_numbers(answer.citations)
    parts = []
    if answer.status == "advice":
        parts.append(message("advice", answer.language))
    for passage in _passages(answer.citations, documents or {}):
        parts.append(
            f"{_passage_text(passage, documents or {})} {_marker(passage, numbers, labels)}"
        )
    references = [reference(c, numbers[c.doc_id], labels) for c in _firsts(answer.citations)]
    parts.append(labels["email_references"] + "\n" + "\n".join(references))
    parts.append(labels["email_note"])
    return "\n\n".join(parts) + "\n"


def reference(citation: Citation, number: int, labels: Mapping[str, str]) -> str:
    """`[1] Title. Publisher, updated 2022-03. https://...` (parts nobody stated left out)."""
    line = f"[{number}] {citation.title.rstrip('.')}."
    details = [d for d in (citation.publisher, _updated(citation, labels)) if d]
    if details:
        stated = ", ".join(details)
        line += f" {stated[:1].upper()}{stated[1:]}."
    return f"{line} {citation.url}" if citation.url else line


def _updated(citation: Citation, labels: Mapping[str, str]) -> str:
    return labels["email_updated"].format(date=citation.updated) if citation.updated else ""


def _reference_numbers(citations: tuple[Citation, ...]) -> dict[str, int]:
    numbers: dict[str, int] = {}
    for citation in sorted(citations, key=lambda c: c.n):
        numbers.setdefault(citation.doc_id, len(numbers) + 1)
    return numbers


def _firsts(citations: tuple[Citation, ...]) -> list[Citation]:
    seen: dict[str, Citation] = {}
    for citation in sorted(citations, key=lambda c: c.n):
        seen.setdefault(citation.doc_id, citation)
    return list(seen.values())


def _passages(
    citations: tuple[Citation, ...], documents: Mapping[str, Document]
) -> list[list[Citation]]:
    """Citations in answer order; one that follows the previous in its document joins it."""
    passages: list[list[Citation]] = []
    for citation in sorted(citations, key=lambda c: c.n):
        last = passages[-1][-1] if passages else None
        if last and last.doc_id == citation.doc_id and _adjacent(last, citation, documents):
            passages[-1].append(citation)
        else:
            passages.append([citation])
    return passages


def _adjacent(first: Citation, second: Citation, documents: Mapping[str, Document]) -> bool:
    if second.start < first.end:
        return False
    document = documents.get(first.doc_id)
    if document is None:
        return second.start - first.end <= 3
    gap = document.text[first.end : second.start]
    return len(gap) <= 12 and bool(_BULLET_GAP.fullmatch(gap))


def _passage_text(passage: list[Citation], documents: Mapping[str, Document]) -> str:
    text = _one_line(passage[0].quote)
    for before, citation in itertools.pairwise(passage):
        document = documents.get(citation.doc_id)
        gap = document.text[before.end : citation.start] if document else " "
        if _BULLET.search(gap):
            text += "\n- "
        elif "\n" in gap or len(gap) > 1:
            text += "\n"
        else:
            text += " "
        text += _one_line(citation.quote)
    return text


def _one_line(quote: str) -> str:
    return " ".join(quote.split())


def _marker(passage: list[Citation], numbers: Mapping[str, int], labels: Mapping[str, str]) -> str:
    pages = sorted({c.page for c in passage if c.page is not None})
    number = numbers[passage[0].doc_id]
    if not pages:
        return f"[{number}]"
    span = str(pages[0]) if pages[0] == pages[-1] else f"{pages[0]}–{pages[-1]}"
    return f"[{number}, {labels['email_page'].format(pages=span)}]"
