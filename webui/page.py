"""What every page shows around the tabs, and how labels reach the browser.

`t("name")` names a label; Gradio shows it in the browser's language from `translations`.
Text made on the server (answers, sources, matches, library results) follows the language
of the question, or of the browser for the Documents tab (`browser_language`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import gradio as gr

from assistant.language import LANGUAGES
from webui.labels import ui_labels

if TYPE_CHECKING:
    from webui.server import Services

TITLE = "MS Rehab Assistant"
t = gr.I18n()


def translations(settings: Any) -> gr.I18n:
    """Every language's labels, for Gradio to show the browser's language."""
    labels = {language: dict(ui_labels(language)) for language in LANGUAGES}
    for table in labels.values():
        table["upload_help"] = table["upload_help"].format(limit=settings.max_upload_mb)
    return gr.I18n(**labels)


def browser_language(request: Any) -> str:
    """The first of the browser's preferred languages that the app speaks, else English
    (`request`: Gradio's or the web server's, or None)."""
    return preferred_language(request.headers.get("accept-language", "") if request else "")


def preferred_language(accept_language: str) -> str:
    """The first language of an Accept-Language header that the app speaks, else English."""
    for part in accept_language.split(","):
        code = part.split(";")[0].strip().lower()[:2]
        if code in LANGUAGES:
            return code
    return "en"


def header(app: gr.Blocks, services: Services) -> None:
    """Title, the general-information notice, display settings and the loading note."""
    gr.HTML(f'<h1 class="app-title">{TITLE}</h1>', elem_classes=["app-header"])
    gr.Markdown(t("notice"), elem_classes=["notice"])
    _display_settings(app)
    _ready_note(app, services)


def _ready_note(app: gr.Blocks, services: Services) -> None:
    """While the models load (a few seconds after start), say so; the note goes once ready."""
    note = gr.Markdown(t("getting_ready"), elem_id="ready-note", visible=not services.ready)

    def when_ready() -> Any:
        problem = services.wait()
        return gr.update(value=problem, visible=bool(problem))

    app.load(when_ready, None, note, show_progress="hidden", api_visibility="private")


def _display_settings(app: gr.Blocks) -> None:
    """Larger text and high contrast, remembered by this browser (webui/page.js applies them)."""
    with gr.Row(elem_id="display-settings"):
        larger = gr.Checkbox(
            label=t("larger_text"), elem_id="larger-text", container=False, scale=0, min_width=150
        )
        contrast = gr.Checkbox(
            label=t("high_contrast"),
            elem_id="high-contrast",
            container=False,
            scale=0,
            min_width=150,
        )
    app.load(None, None, [larger, contrast], js="() => window.msraDisplay.saved()")
    for box, name in ((larger, "larger"), (contrast, "contrast")):
        box.change(None, box, None, js=f"(on) => window.msraDisplay.set('{name}', on)")
