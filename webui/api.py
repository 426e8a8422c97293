"""The app's stable API endpoints `/ask`, `/find` and `/source` (see README): the
command-line contract's objects over HTTP. All three only read; nothing here changes
the library (those actions are the Documents tab's, behind the staff login)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import gradio as gr

from assistant.contract import ask_json, find_json
from assistant.errors import AssistantError

if TYPE_CHECKING:
    from webui.server import Services


def api(services: Services) -> None:
    def ask(question: str, history: list[dict[str, str]] | None = None) -> dict[str, Any]:
        """Ask a question; returns the answer object of the command-line contract."""
        return ask_json(services.assistant, question, history)

    def find(text: str) -> dict[str, Any]:
        """Find the passages that say what `text` says, best first (the contract's object)."""
        return find_json(services.assistant, text)

    def source(doc_id: str) -> dict[str, Any]:
        """A document's cleaned text (the text offsets refer to) and its metadata."""
        try:
            document = services.assistant.source(doc_id)
        except AssistantError as exc:
            return {"doc_id": doc_id, "error": str(exc)}
        return {"doc_id": doc_id, "meta": vars(document.meta), "text": document.text}

    gr.api(ask, api_name="ask")
    gr.api(find, api_name="find")
    gr.api(source, api_name="source")
