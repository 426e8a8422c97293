"""What the app runs on: the services it talks to, the HTTP guard, and the web server.

`Services` holds the assistant (loaded in the background), the library, the feedback store
and the staff login. `mount` serves the document pages and mounts a built Gradio app at
`/`, behind `HttpGuard` (security headers, a cap on request size). Nothing here lays out
a tab or answers a question.
"""

from __future__ import annotations

import json
import sys
import threading
from pathlib import Path
from typing import Any

import gradio as gr
from fastapi import Request

from assistant.build import build_assistant, build_embedder
from assistant.core import Assistant
from assistant.embedding import Embedder
from assistant.errors import AssistantError
from assistant.settings import Settings
from ingest.library import Library
from webui import render
from webui.auth import StaffLogin
from webui.feedback import FeedbackStore
from webui.labels import ui_labels
from webui.page import browser_language, preferred_language, translations

WEBUI = Path(__file__).parent


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
        self.feedback = FeedbackStore(settings.feedback_file)
        self.staff = StaffLogin(settings.staff_password_hash)

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
        """Serve the index as it now is; the reason, for the user, if that is not possible."""
        try:
            self._assistant = self._build()
        except AssistantError as exc:
            return str(exc)
        return ""


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
                await _too_large(size, _language(scope), send_with_headers)
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


def _language(scope: Any) -> str:
    """The language the page is shown in: the browser's, from the request's headers."""
    header = dict(scope.get("headers", [])).get(b"accept-language", b"")
    return preferred_language(header.decode("latin-1"))


async def _too_large(size: int, language: str, send: Any) -> None:
    reason = ui_labels(language)["request_too_large"].format(
        size=render.number(size, language), limit=render.number(MAX_REQUEST_BYTES, language)
    )
    body = json.dumps({"error": reason}, ensure_ascii=False).encode()
    headers = [
        (b"content-type", b"application/json; charset=utf-8"),
        (b"content-language", language.encode()),
        (b"content-length", str(len(body)).encode()),
    ]
    await send({"type": "http.response.start", "status": 413, "headers": headers})
    await send({"type": "http.response.body", "body": body})


def mount(services: Services, blocks: gr.Blocks) -> Any:
    """The web application: the document pages plus the Gradio app `blocks` mounted at `/`."""
    from fastapi import FastAPI
    from fastapi.responses import HTMLResponse

    web = FastAPI(docs_url=None, redoc_url=None, openapi_url=None)
    web.add_middleware(HttpGuard)
    # Document pages run no script at all; the policy makes sure of it.
    policy = {"Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'"}

    @web.get("/document/{doc_id}", response_class=HTMLResponse)
    def document(
        doc_id: str, request: Request, start: int | None = None, end: int | None = None
    ) -> HTMLResponse:
        language = browser_language(request)
        found = services.assistant.documents.get(doc_id)
        if found is None:
            page = render.missing_document_page(doc_id, language)
            return HTMLResponse(page, 404, headers=policy)
        return HTMLResponse(render.document_page(found, start, end, language), headers=policy)

    return gr.mount_gradio_app(
        web,
        blocks,
        path="/",
        server_name=services.settings.host,
        server_port=services.settings.port,
        max_file_size=f"{services.settings.max_upload_mb}mb",
        ssr_mode=False,
        i18n=translations(services.settings),
        theme=_theme(),
        css=(WEBUI / "style.css").read_text(encoding="utf-8"),
        head=f"<script>{(WEBUI / 'page.js').read_text(encoding='utf-8')}</script>",
        footer_links=[],
    )


def _theme() -> gr.themes.Base:
    return gr.themes.Default(
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
