"""An answer as plain text with its references, for staff to paste into an e-mail.

Quotes are copied as they are; each reference names the document, publisher, date and,
where known, the page, section and URL. Nothing here is HTML or Markdown.
"""

from __future__ import annotations

from assistant.models import Answer, Citation


def answer_as_text(answer: Answer) -> str:
    """The answer, then a "Sources" list with one numbered reference per citation."""
    parts = [answer.answer.strip()]
    if answer.citations:
        parts.append("Sources:\n" + "\n".join(reference(c) for c in answer.citations))
    return "\n\n".join(parts) + "\n"


def reference(citation: Citation) -> str:
    """`[1] "quote" (Title, Publisher, updated 2022, page 3). URL` on one line."""
    details = [citation.title, citation.publisher or "publisher not stated"]
    details.append(f"updated {citation.updated}" if citation.updated else "date not stated")
    if citation.page is not None:
        details.append(f"page {citation.page}")
    if citation.section:
        details.append(f"section “{citation.section}”")
    line = f"[{citation.n}] “{' '.join(citation.quote.split())}” ({', '.join(details)})"
    if citation.stale:
        line += " (over three years old)"
    return f"{line}. {citation.url}" if citation.url else f"{line}."
