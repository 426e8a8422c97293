"""The Documents tab: the library as a table, and staff actions (upload, edit, remove,
re-index) behind the staff login when a password is set.

Handlers forward to the Library and hand its `FileResult`s to `webui.render`, which says
them in the browser's language. Every action checks the login on the server, whatever
the page shows: Gradio lets anyone call an event over HTTP, visible button or not.
"""

from __future__ import annotations

import html
import re
from pathlib import Path
from typing import TYPE_CHECKING, Any

import gradio as gr

from ingest.library import FileResult, MetadataEdit
from ingest.pipeline import IngestReport
from webui import render
from webui.labels import ui_labels
from webui.page import browser_language, t

if TYPE_CHECKING:
    from webui.server import Services


_STEP = re.compile(r"^\[(\d+)/(\d+)\]")
"""How ingest's progress line names its file: "[3/12] ..."."""


def _progress_callback(progress: gr.Progress, request: gr.Request | None) -> Any:
    """Ingest's progress lines are the command line's English; the page says where the run
    is in the browser's language: which file of how many, else that the index is updating."""
    labels = ui_labels(browser_language(request))

    def report(message: str) -> None:
        step = _STEP.match(message)
        if step:
            n, total = int(step[1]), int(step[2])
            progress(n / total, desc=labels["progress_file"].format(n=n, total=total))
        else:
            progress(None, desc=labels["progress_index"])

    return report


def _refusal(request: gr.Request | None, key: str) -> str:
    """A one-line status region in the browser's language (`key` names the label)."""
    return f'<p role="status">{html.escape(ui_labels(browser_language(request))[key])}</p>'


def reindex_summary(report: IngestReport) -> FileResult:
    """The re-index report as one result line, with the label that says it."""
    values = {
        "documents": str(report.documents_in_index),
        "added": str(len(report.added)),
        "updated": str(len(report.updated)),
        "unchanged": str(len(report.unchanged)),
        "removed": str(len(report.removed)),
        "chunks": str(report.chunks_embedded),
        "seconds": f"{report.seconds:.1f}",
    }
    failures = " ".join(reason for _, reason in report.failed)
    key = "lib_reindexed_with_failures" if report.failed else "lib_reindexed"
    values.update(count=str(len(report.failed)), reasons=failures)
    causes = tuple(reason for _, reason in report.failed)
    summary = report.summary()
    return FileResult("", report.usable, summary, reason=key, values=values, causes=causes)


def documents_tab(services: Services, tab: gr.Tab) -> None:
    staff = services.staff
    # Drawn when the tab opens, so every visitor sees the library as it is now.
    table = gr.HTML(elem_id="documents")
    with gr.Group(visible=staff.required, elem_id="staff-login") as login_box:
        gr.Markdown(t("login_needed"))
        password = gr.Textbox(label=t("staff_password"), type="password", elem_id="password")
        log_in = gr.Button(t("log_in"), variant="primary", elem_id="log-in")
        login_status = gr.HTML(elem_id="login-status")
    with gr.Column(visible=not staff.required, elem_id="staff-actions") as actions:
        _actions(services, tab, table, login_box, actions, password, log_in, login_status)


def _actions(
    services: Services,
    tab: gr.Tab,
    table: gr.HTML,
    login_box: gr.Group,
    actions: gr.Column,
    password: gr.Textbox,
    log_in: gr.Button,
    login_status: gr.HTML,
) -> None:
    staff = services.staff
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
    log_out = gr.Button(t("log_out"), size="sm", visible=staff.required, elem_id="log-out")

    def library(language: str) -> tuple[str, list[tuple[str, str]]]:
        """The document table and the document choices, from one look at the library."""
        summaries = services.assistant.overview()
        choices = [(f"{s.meta.title} ({s.meta.doc_id})", s.meta.doc_id) for s in summaries]
        return render.documents_table(summaries, language), choices

    def refreshed(
        results: list[FileResult], request: gr.Request, failed: str = "not_added"
    ) -> tuple[str, Any, str]:
        language = browser_language(request)
        problem = services.reload()
        note = ui_labels(language)["keeps_previous_index"].format(reason=problem) if problem else ""
        table_html, choices = library(language)
        return (
            table_html,
            gr.update(choices=choices, value=None),
            render.file_results(results, note, language, failed),
        )

    def opened(request: gr.Request) -> tuple[str, Any]:
        table_html, choices = library(browser_language(request))
        return table_html, gr.update(choices=choices)

    def allowed(request: gr.Request) -> bool:
        return staff.allows(request.session_hash if request else None)

    def add_files(
        paths: list[str] | None,
        replace: bool,
        request: gr.Request,
        progress: gr.Progress = gr.Progress(),
    ) -> Any:
        if not allowed(request):
            return gr.skip(), gr.skip(), _refusal(request, "login_first")
        if not paths:
            return gr.skip(), gr.skip(), _refusal(request, "choose_files_first")
        files = [Path(p) for p in paths]
        results = services.library.add(files, _progress_callback(progress, request), bool(replace))
        return refreshed(results, request)

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
        request: gr.Request,
        progress: gr.Progress = gr.Progress(),
    ) -> Any:
        if not allowed(request):
            return gr.skip(), gr.skip(), _refusal(request, "login_first")
        document = services.assistant.documents.get(doc_id or "")
        if document is None:
            return gr.skip(), gr.skip(), _refusal(request, "choose_document_first")
        edit = MetadataEdit(title, publisher, updated, url, note, verified)
        result = services.library.update_metadata(
            document.doc_id, document.source_path, edit, _progress_callback(progress, request)
        )
        return refreshed([result], request, "not_saved")

    def remove_document(
        doc_id: str | None, sure: bool, request: gr.Request, progress: gr.Progress = gr.Progress()
    ) -> Any:
        if not allowed(request):
            return gr.skip(), gr.skip(), _refusal(request, "login_first"), gr.skip()
        document = services.assistant.documents.get(doc_id or "")
        if document is None:
            return gr.skip(), gr.skip(), _refusal(request, "choose_document_first"), gr.skip()
        if not sure:
            return gr.skip(), gr.skip(), _refusal(request, "tick_to_confirm"), gr.skip()
        result = services.library.remove(
            document.doc_id, document.source_path, _progress_callback(progress, request)
        )
        return (*refreshed([result], request, "not_done"), False)

    def reindex_all(request: gr.Request, progress: gr.Progress = gr.Progress()) -> Any:
        if not allowed(request):
            return gr.skip(), gr.skip(), _refusal(request, "login_first")
        report = services.library.reindex(_progress_callback(progress, request))
        return refreshed([reindex_summary(report)], request, "not_done")

    def login(secret: str, request: gr.Request) -> tuple[Any, ...]:
        client = request.client.host if request and request.client else "unknown"
        result = staff.login(client, request.session_hash if request else None, secret or "")
        labels = ui_labels(browser_language(request))
        said = labels[result.reason].format(seconds=result.wait_seconds)
        status = f'<p role="status">{html.escape(said)}</p>'
        if not result.ok:
            return "", status, gr.skip(), gr.skip()
        return "", "", gr.update(visible=False), gr.update(visible=True)

    def logout(request: gr.Request) -> tuple[Any, ...]:
        staff.logout(request.session_hash if request else None)
        return gr.update(visible=True), gr.update(visible=False)

    private: dict[str, Any] = {"api_visibility": "private"}
    uploads.upload(add_files, [uploads, replace_existing], [table, chosen, added], **private)
    form = [title, publisher, updated, url, note, verified]
    chosen.change(fill, chosen, form, **private)
    save.click(save_details, [chosen, *form], [table, chosen, edited], **private)
    remove.click(remove_document, [chosen, confirm], [table, chosen, edited, confirm], **private)
    reindex.click(reindex_all, None, [table, chosen, reindexed], **private)
    tab.select(opened, None, [table, chosen], **private)
    for trigger in (password.submit, log_in.click):
        trigger(login, password, [password, login_status, login_box, actions], **private)
    log_out.click(logout, None, [login_box, actions], **private)
