"""The Find in sources tab: paste a sentence, see where the documents say it.

The handler forwards the text to the contract's `find_matches` (the Assistant's finder,
with its "close match" verdict) and hands the matches to `webui.render.find_html`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import gradio as gr

from assistant.contract import find_matches
from webui import render
from webui.page import t

if TYPE_CHECKING:
    from webui.server import Services


def find_tab(services: Services) -> None:
    gr.Markdown(t("find_intro"))
    pasted = gr.Textbox(label=t("text_to_find"), lines=4, max_lines=12, elem_id="find-text")
    go = gr.Button(t("find_button"), variant="primary", elem_id="find-button")
    found = gr.HTML(elem_id="find-results")

    def show_matches(text: str) -> str:
        matches, close, language = find_matches(services.assistant, text or "")
        return render.find_html(text or "", matches, services.assistant.documents, language, close)

    pasted.submit(show_matches, pasted, found, api_visibility="private")
    go.click(show_matches, pasted, found, api_visibility="private")
