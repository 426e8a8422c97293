"""The Gradio app: Ask (chat with quoted sources), Find in sources, and Documents.

It only forwards: Gradio events become calls on the Assistant (answers, find, sources),
the Library (add, edit, remove, re-index) and the FeedbackStore; what they return is laid
out by `webui.render`, which escapes every piece of document and user text.

Served by uvicorn on settings.host (127.0.0.1 by default): the Gradio app at `/`, and
`/document/{doc_id}?start=..&end=..#quote` for a whole document with a quote marked.
Analytics are off, there is no share link, and no page asset comes from another host.
Stable API endpoints: `/ask`, `/find`, `/source` (see README).
"""

from __future__ import annotations

import os
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")

import gradio as gr

from assistant.build import build_assistant, build_embedder
from assistant.contract import ask_json, find_json, find_matches
from assistant.core import Assistant
from assistant.embedding import Embedder
from assistant.errors import AssistantError
from assistant.export import answer_as_text
from assistant.feedback import FeedbackStore
from assistant.language import LANGUAGES
from assistant.messages import ui_labels
from assistant.models import Answer, Turn
from assistant.settings import Settings
from ingest.library import FileResult, Library, MetadataEdit
from webui import render

TITLE = "MS Rehab Assistant"
EXAMPLE_COUNT = 4
"""Example questions, `example_1`... in each language's ui_labels.json."""
t = gr.I18n()
"""Names a label (`t("ask")`); the browser shows it in its language from `_translations`.
Text made on the server (answers, sources, matches) follows the question's language."""


def _translations(settings: Settings) -> gr.I18n:
    """Every language's ui_labels.json, for Gradio to show the browser's language."""
    labels = {language: dict(ui_labels(language)) for language in LANGUAGES}
    for table in labels.values():
        table["upload_help"] = table["upload_help"].format(limit=settings.max_upload_mb)
    return gr.I18n(**labels)


def _browser_language(request: gr.Request | None) -> str:
    """The first of the browser's preferred languages that the app speaks, else English."""
    header = request.headers.get("accept-language", "") if request else ""
    for part in header.split(","):
        code = part.split(";")[0].strip().lower()[:2]
        if code in LANGUAGES:
            return code
    return "en"


STREAM_STEPS = 8
STREAM_PAUSE_S = 0.015
WEBUI = Path(__file__).parent / "webui"


class Services:
    """What the app talks to. The models and the index load in the background while the page
    is already served; a request that comes sooner waits for them. After a library change the
    assistant is rebuilt on the new index with the models already loaded."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._embedders: dict[tuple[str, str], Embedder] = {}
        self._ready = threading.Event()
        self._assistant: Assistant | None = None
        self.problem = ""
        """Why the assistant could not be loaded (empty while loading or once loaded)."""
        self.library = Library(settings, self.embedder_for)
        self.feedback = FeedbackStore(settings.feedback_path)

    @property
    def ready(self) -> bool:
        return self._ready.is_set()

    def wait(self) -> str:
        """Block until loading has finished; why it failed, or "" when all is well."""
        self._ready.wait()
        return self.problem

    @property
    def assistant(self) -> Assistant:
        self._ready.wait()
        if self._assistant is None:
            raise AssistantError(self.problem)
        return self._assistant

    def load(self) -> None:
        """Load the models and the index, then send one question through each language lane:
        the first query through a model is slow (lazy set-up inside the libraries), and it
        should not be somebody's first question."""
        try:
            self._assistant = self._build()
            self._catch_up()
        except AssistantError as exc:
            self.problem = str(exc)
        finally:
            self._ready.set()
        if self._assistant is not None:
            self._assistant.ask("How can physical therapy help with walking?")
            self._assistant.ask("¿Cómo puede ayudar la fisioterapia a caminar?")

    def _catch_up(self) -> None:
        """Bring the index in line with the corpus folder before serving: an upload or removal
        cut short (the app killed mid-way) leaves a file in corpus/ that is not indexed yet,
        or a document whose file is gone; they are indexed or dropped now, and said so."""
        report = self.library.reindex(lambda _: None)
        changed = report.added + report.updated + report.removed
        if changed:
            print(
                f"Index brought up to date with {self.settings.corpus_dir}/: {', '.join(changed)}.",
                file=sys.stderr,
                flush=True,
            )
            self._assistant = self._build()

    def embedder_for(self, settings: Settings) -> Embedder:
        """The model these settings name, loaded once per process."""
        key = (settings.embedder, settings.embedding_model_path)
        if key not in self._embedders:
            self._embedders[key] = build_embedder(settings)
        return self._embedders[key]

    def _build(self) -> Assistant:
        second = self.settings.translated()
        return build_assistant(
            self.settings,
            self.embedder_for(self.settings),
            self.embedder_for(second) if second else None,
        )

    def reload(self) -> str:
        """Serve the index as it now is; a sentence for the user if that is not possible."""
        try:
            self._assistant = self._build()
        except AssistantError as exc:
            return f"The assistant keeps answering from the previous index: {exc}"
        return ""


def _history(answers: dict[int, Answer]) -> list[Turn]:
    turns: list[Turn] = []
    for index in sorted(answers):
        turns += [Turn("user", answers[index].question), Turn("assistant", answers[index].answer)]
    return turns


def _progress_callback(progress: gr.Progress) -> Any:
    def report(message: str) -> None:
        progress(None, desc=message)

    return report


def create_app(services: Services) -> gr.Blocks:
    with gr.Blocks(title=TITLE, analytics_enabled=False) as app:
        _api(services)  # first, so the stable names are theirs
        gr.HTML(f'<h1 class="app-title">{TITLE}</h1>', elem_classes=["app-header"])
        gr.Markdown(t("notice"), elem_classes=["notice"])
        _display_settings(app)
        _ready_note(app, services)
        with gr.Tabs():
            with gr.Tab(t("tab_ask"), id="ask"):
                _ask_tab(services)
            with gr.Tab(t("tab_find"), id="find"):
                _find_tab(services)
            with gr.Tab(t("tab_documents"), id="documents") as documents:
                _documents_tab(services, documents)
    return app


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


def _ask_tab(services: Services) -> None:
    answers = gr.State({})
    feedback_row = gr.State(0)
    banner = gr.HTML(visible=False, elem_id="urgent")
    # The finished answer, read once by screen readers (the chat itself is told to stay quiet
    # while the answer streams in; see webui/page.js).
    announce = gr.HTML(elem_id="announce", elem_classes=["visually-hidden"])
    with gr.Row(equal_height=False):
        with gr.Column(scale=3):
            chatbot = gr.Chatbot(
                label=t("conversation"),
                height=380,
                placeholder=t("conversation_placeholder"),
                latex_delimiters=[],
                buttons=["copy"],
                feedback_options=("Like", "Dislike"),
                elem_id="conversation",
            )
            question = gr.Textbox(
                label=t("your_question"),
                placeholder=t("question_placeholder"),
                lines=1,
                max_lines=4,
                elem_id="question",
            )
            with gr.Row():
                ask = gr.Button(t("ask"), variant="primary", elem_id="ask-button")
                new = gr.Button(t("new_conversation"), elem_id="new-conversation")
            with gr.Group(elem_id="examples") as examples:
                gr.Markdown(t("try_these"))
                picks = [
                    gr.Button(t(f"example_{n}"), size="sm", elem_classes=["example"])
                    for n in range(1, EXAMPLE_COUNT + 1)
                ]
            with gr.Group(visible=False, elem_id="feedback-comment") as comment_box:
                comment = gr.Textbox(
                    label=t("feedback_label"),
                    placeholder=t("feedback_placeholder"),
                    lines=2,
                )
                send_comment = gr.Button(t("send_comment"))
            feedback_status = gr.Markdown(elem_id="feedback-status")
        with gr.Column(scale=2):
            sources = gr.HTML(render.sources_empty(), elem_id="sources")
            with gr.Group(visible=False) as copy_group:
                copy_text = gr.Textbox(
                    label=t("plain_text_answer"),
                    lines=6,
                    max_lines=14,
                    interactive=False,
                    buttons=["copy"],
                    elem_id="answer-text",
                )
                copy = gr.Button(t("copy_answer"), elem_id="copy-answer")
                copied = gr.Markdown(t("copied"), visible=False, elem_id="copied")

    def respond(text: str, chat: list[dict[str, Any]], known: dict[int, Answer]) -> Iterator[Any]:
        if not (text or "").strip():
            yield (gr.skip(),) * len(outputs)
            return
        chat = [
            *chat,
            {"role": "user", "content": render.escape_markdown(text)},
            {"role": "assistant", "content": "…"},
        ]
        # The question shows at once, also while the models are still loading at start-up.
        yield "", chat, *(gr.skip(),) * (len(outputs) - 2)
        answer = services.assistant.ask(text, _history(known))
        shown = render.answer_markdown(answer)
        known = {**known, len(chat) - 1: answer}
        urgent = render.urgent_banner(answer)
        pieces = (
            [shown] if answer.status in render.URGENT else list(render.growing(shown, STREAM_STEPS))
        )
        for piece in pieces[:-1]:
            chat[-1] = {"role": "assistant", "content": piece}
            yield "", chat, gr.skip(), gr.skip(), gr.skip(), known, gr.skip(), gr.skip(), gr.skip()
            time.sleep(STREAM_PAUSE_S)
        chat[-1] = {"role": "assistant", "content": shown}
        yield (
            "",
            chat,
            render.sources_html(answer, services.assistant.documents)
            or render.sources_empty(answer.language),
            answer_as_text(answer, services.assistant.documents),
            gr.update(value=urgent, visible=bool(urgent)),
            known,
            render.announcement(answer),
            gr.update(visible=False),
            gr.update(visible=True),
        )

    def example(number: int) -> Any:
        def ask_example(
            chat: list[dict[str, Any]], known: dict[int, Answer], request: gr.Request
        ) -> Iterator[Any]:
            question = ui_labels(_browser_language(request))[f"example_{number}"]
            yield from respond(question, chat, known)

        return ask_example

    def rate(known: dict[int, Answer], liked: gr.LikeData) -> tuple[Any, ...]:
        index = liked.index if isinstance(liked.index, int) else liked.index[0]
        answer = known.get(index)
        if answer is None or not isinstance(liked.liked, bool):
            return gr.skip(), gr.skip(), gr.skip()
        row = services.feedback.record(answer, liked.liked)
        thanks = ui_labels(answer.language)["thanks_rating"]
        return row, gr.update(visible=True), thanks

    def add_comment(row: int, text: str, request: gr.Request) -> tuple[Any, ...]:
        labels = ui_labels(_browser_language(request))
        if row and text.strip():
            services.feedback.add_comment(row, text)
            return gr.update(visible=False), "", labels["thanks_comment"]
        return gr.skip(), gr.skip(), labels["comment_first"]

    outputs = [
        question,
        chatbot,
        sources,
        copy_text,
        banner,
        answers,
        announce,
        examples,
        copy_group,
    ]
    # Progress shows on the chat only: elsewhere it would be read out by screen readers.
    quiet = {"api_visibility": "private", "show_progress_on": [chatbot]}
    question.submit(respond, [question, chatbot, answers], outputs, **quiet)
    ask.click(respond, [question, chatbot, answers], outputs, **quiet)
    for number, pick in enumerate(picks, start=1):
        pick.click(example(number), [chatbot, answers], outputs, **quiet)
    chatbot.like(
        rate, [answers], [feedback_row, comment_box, feedback_status], api_visibility="private"
    )
    send_comment.click(
        add_comment,
        [feedback_row, comment],
        [comment_box, comment, feedback_status],
        api_visibility="private",
    )

    def start_over() -> tuple[Any, ...]:
        hidden = gr.update(value="", visible=False)
        shown, gone = gr.update(visible=True), gr.update(visible=False)
        return [], render.sources_empty(), "", hidden, {}, "", "", "", shown, gone

    cleared = [chatbot, sources, copy_text, banner, answers, question, feedback_status, announce]
    new.click(start_over, None, [*cleared, examples, copy_group], api_visibility="private")
    copy.click(
        None,
        [copy_text],
        None,
        js="(text) => { navigator.clipboard.writeText(text || ''); return []; }",
        api_visibility="private",
    ).then(lambda: gr.update(visible=True), None, copied, api_visibility="private")
    copy_text.change(lambda: gr.update(visible=False), None, copied, api_visibility="private")


def _find_tab(services: Services) -> None:
    gr.Markdown(t("find_intro"))
    pasted = gr.Textbox(label=t("text_to_find"), lines=4, max_lines=12, elem_id="find-text")
    go = gr.Button(t("find_button"), variant="primary", elem_id="find-button")
    found = gr.HTML(elem_id="find-results")

    def show_matches(text: str) -> str:
        matches, close, language = find_matches(services.assistant, text or "")
        return render.find_html(text or "", matches, services.assistant.documents, language, close)

    pasted.submit(show_matches, pasted, found, api_visibility="private")
    go.click(show_matches, pasted, found, api_visibility="private")


def _documents_tab(services: Services, tab: gr.Tab) -> None:
    # Drawn when the tab opens, so every visitor sees the library as it is now.
    table = gr.HTML(elem_id="documents")
    with gr.Accordion(t("add_documents"), open=True):
        gr.Markdown(t("upload_help"))
        uploads = gr.UploadButton(
            t("choose_files"),
            file_count="multiple",
            file_types=[".pdf", ".txt", ".md", ".html", ".htm"],
            type="filepath",
            variant="primary",
            elem_id="upload",
        )
        replace_existing = gr.Checkbox(label=t("replace_existing"), elem_id="replace-existing")
        added = gr.HTML(elem_id="add-results")
    with gr.Accordion(t("edit_remove"), open=False):
        chosen = gr.Dropdown(label=t("document"), choices=[], value=None, elem_id="doc-choice")
        title = gr.Textbox(label=t("title"))
        publisher = gr.Textbox(label=t("publisher"))
        updated = gr.Textbox(label=t("updated_label"))
        url = gr.Textbox(label=t("web_address"))
        note = gr.Textbox(label=t("source_note"), lines=2, max_lines=6)
        verified = gr.Checkbox(label=t("verified_label"), value=True)
        save = gr.Button(t("save_details"), elem_id="save-details")
        confirm = gr.Checkbox(label=t("confirm_remove"))
        remove = gr.Button(t("remove_document"), variant="stop", elem_id="remove-document")
        edited = gr.HTML(elem_id="edit-results")
    reindex = gr.Button(t("reindex_all"), elem_id="reindex")
    reindexed = gr.HTML(elem_id="reindex-results")

    def library() -> tuple[str, list[tuple[str, str]]]:
        """The document table and the document choices, from one look at the library."""
        summaries = services.assistant.overview()
        choices = [(f"{s.meta.title} ({s.meta.doc_id})", s.meta.doc_id) for s in summaries]
        return render.documents_table(summaries), choices

    def refreshed(results: list[FileResult]) -> tuple[str, Any, str]:
        note = services.reload()
        table_html, choices = library()
        return (
            table_html,
            gr.update(choices=choices, value=None),
            render.file_results(results, note),
        )

    def opened() -> tuple[str, Any]:
        table_html, choices = library()
        return table_html, gr.update(choices=choices)

    def add_files(
        paths: list[str] | None, replace: bool, progress: gr.Progress = gr.Progress()
    ) -> Any:
        if not paths:
            return gr.skip(), gr.skip(), "<p>Choose one or more files first.</p>"
        files = [Path(p) for p in paths]
        results = services.library.add(files, _progress_callback(progress), bool(replace))
        return refreshed(results)

    def fill(doc_id: str | None) -> tuple[str | bool, ...]:
        document = services.assistant.documents.get(doc_id or "")
        if document is None:
            return "", "", "", "", "", True
        meta = document.meta
        texts = (meta.title, meta.publisher, meta.updated, meta.url, meta.source_note)
        return (*(text or "" for text in texts), meta.verified)

    def save_details(
        doc_id: str | None,
        title: str,
        publisher: str,
        updated: str,
        url: str,
        note: str,
        verified: bool,
        progress: gr.Progress = gr.Progress(),
    ) -> Any:
        document = services.assistant.documents.get(doc_id or "")
        if document is None:
            return gr.skip(), gr.skip(), "<p>Choose a document first.</p>"
        edit = MetadataEdit(title, publisher, updated, url, note, verified)
        result = services.library.update_metadata(
            document.doc_id, document.source_path, edit, _progress_callback(progress)
        )
        return refreshed([result])

    def remove_document(
        doc_id: str | None, sure: bool, progress: gr.Progress = gr.Progress()
    ) -> Any:
        document = services.assistant.documents.get(doc_id or "")
        if document is None:
            return gr.skip(), gr.skip(), "<p>Choose a document first.</p>", gr.skip()
        if not sure:
            return gr.skip(), gr.skip(), "<p>Tick the box to confirm the removal.</p>", gr.skip()
        result = services.library.remove(
            document.doc_id, document.source_path, _progress_callback(progress)
        )
        return (*refreshed([result]), False)

    def reindex_all(progress: gr.Progress = gr.Progress()) -> Any:
        report = services.library.reindex(_progress_callback(progress))
        table_html, choices, _ = refreshed([])
        summary = render.file_results([FileResult("", report.usable, report.summary())])
        return table_html, choices, summary

    uploads.upload(
        add_files, [uploads, replace_existing], [table, chosen, added], api_visibility="private"
    )
    form = [title, publisher, updated, url, note, verified]
    chosen.change(fill, chosen, form, api_visibility="private")
    save.click(
        save_details,
        [chosen, *form],
        [table, chosen, edited],
        api_visibility="private",
    )
    remove.click(
        remove_document,
        [chosen, confirm],
        [table, chosen, edited, confirm],
        api_visibility="private",
    )
    reindex.click(reindex_all, None, [table, chosen, reindexed], api_visibility="private")
    tab.select(opened, None, [table, chosen], api_visibility="private")


def _api(services: Services) -> None:
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


MAX_REQUEST_BYTES = 2_000_000
"""Largest request body but uploads (which Gradio streams to disk, each file capped by
max_upload_mb): a question is 2,000 characters, a long conversation well under this."""
PAGE_HEADERS = {
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    # Gradio's page needs its inline boot script and runs event handlers given as text
    # (unsafe-eval); everything else comes from this server only, and no site may frame it.
    "Content-Security-Policy": "default-src 'self'; script-src 'self' 'unsafe-inline' "
    "'unsafe-eval'; style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:; "
    "font-src 'self' data:; media-src 'self' data: blob:; connect-src 'self'; "
    "worker-src 'self' blob:; object-src 'none'; base-uri 'self'; form-action 'self'; "
    "frame-ancestors 'none'",
}


class HttpGuard:
    """ASGI middleware: security headers on every response (a page's own stricter policy
    wins), and request bodies over MAX_REQUEST_BYTES refused with 413 before anything
    parses them, whether or not they say their length."""

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Any) -> None:
            if message["type"] == "http.response.start":
                present = {k.lower() for k, _ in message.get("headers", [])}
                extra = [
                    (k.lower().encode(), v.encode())
                    for k, v in PAGE_HEADERS.items()
                    if k.lower().encode() not in present
                ]
                message = {**message, "headers": [*message.get("headers", []), *extra]}
            await send(message)

        if not scope["path"].endswith("/upload"):
            body, size = await _read_capped(scope, receive)
            if size > MAX_REQUEST_BYTES:
                await _too_large(size, send_with_headers)
                return
            if body is not None:
                receive = _replay(body, receive)
        await self.app(scope, receive, send_with_headers)


async def _read_capped(scope: Any, receive: Any) -> tuple[bytes | None, int]:
    """(body, size): the size a request declares, else the body read up to just over the cap."""
    declared = dict(scope.get("headers", [])).get(b"content-length")
    if declared is not None:
        return None, int(declared) if declared.isdigit() else MAX_REQUEST_BYTES + 1
    if scope["method"] not in ("POST", "PUT", "PATCH"):
        return None, 0
    parts: list[bytes] = []
    size, more = 0, True
    while more and size <= MAX_REQUEST_BYTES:
        message = await receive()
        parts.append(message.get("body", b""))
        size += len(parts[-1])
        more = message.get("more_body", False)
    return b"".join(parts), size


def _replay(body: bytes, receive: Any) -> Any:
    sent = False

    async def replay() -> Any:
        nonlocal sent
        if sent:
            return await receive()
        sent = True
        return {"type": "http.request", "body": body, "more_body": False}

    return replay


async def _too_large(size: int, send: Any) -> None:
    import json

    reason = (
        f"The request is {size:,} bytes; the limit is {MAX_REQUEST_BYTES:,}. "
        "Ask one shorter question at a time."
    )
    body = json.dumps({"error": reason}).encode()
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    await send({"type": "http.response.start", "status": 413, "headers": headers})
    await send({"type": "http.response.body", "body": body})


def serve(services: Services) -> Any:
    """The web application: the document pages plus the Gradio app mounted at `/`."""
    from fastapi import FastAPI
    from fastapi.responses import HTMLResponse

    web = FastAPI(docs_url=None, redoc_url=None, openapi_url=None)
    web.add_middleware(HttpGuard)
    # Document pages run no script at all; the policy makes sure of it.
    policy = {"Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'"}

    @web.get("/document/{doc_id}", response_class=HTMLResponse)
    def document(doc_id: str, start: int | None = None, end: int | None = None) -> HTMLResponse:
        found = services.assistant.documents.get(doc_id)
        if found is None:
            return HTMLResponse(render.missing_document_page(doc_id), 404, headers=policy)
        return HTMLResponse(render.document_page(found, start, end), headers=policy)

    theme = gr.themes.Default(
        primary_hue="blue",
        font=["system-ui", "Segoe UI", "Roboto", "sans-serif"],
        font_mono=["ui-monospace", "Consolas", "monospace"],
    ).set(
        # Dark enough for white text at WCAG AA (the default orange is not).
        button_primary_background_fill="#1d4ed8",
        button_primary_background_fill_hover="#1e3a8a",
        button_primary_background_fill_dark="#1d4ed8",
        button_primary_background_fill_hover_dark="#1e3a8a",
        button_primary_text_color="#ffffff",
        button_primary_text_color_dark="#ffffff",
    )
    return gr.mount_gradio_app(
        web,
        create_app(services),
        path="/",
        server_name=services.settings.host,
        server_port=services.settings.port,
        max_file_size=f"{services.settings.max_upload_mb}mb",
        ssr_mode=False,
        i18n=_translations(services.settings),
        theme=theme,
        css=(WEBUI / "style.css").read_text(encoding="utf-8"),
        head=f"<script>{(WEBUI / 'page.js').read_text(encoding='utf-8')}</script>",
        footer_links=[],
    )


def main() -> int:
    import uvicorn

    try:
        settings = Settings.from_env()
    except AssistantError as exc:
        print(f"Error: {exc}", file=sys.stderr)
        return 2
    services = Services(settings)
    server = uvicorn.Server(
        uvicorn.Config(serve(services), host=settings.host, port=settings.port, log_level="warning")
    )

    def load() -> None:
        services.load()
        if services.problem:
            print(f"Error: {services.problem}", file=sys.stderr, flush=True)
            server.should_exit = True

    threading.Thread(target=load, daemon=True).start()
    print(f"{TITLE}: open http://{settings.host}:{settings.port}/ in your browser.", flush=True)
    server.run()
    return 2 if services.problem else 0


if __name__ == "__main__":
    sys.exit(main())
