"""The Gradio app: Ask (chat with quoted sources), Find in sources, and Documents.

Wiring only: the tabs live in `webui/` (ask, find, documents), each forwarding Gradio
events to the Assistant, the Library or the FeedbackStore and drawing what they return with
`webui.render`; `webui.server` holds the services, the HTTP guard and the web server.

Served by uvicorn on settings.host (127.0.0.1 by default): the Gradio app at `/`, and
`/document/{doc_id}?start=..&end=..#quote` for a whole document with a quote marked.
Analytics are off, there is no share link, and no page asset comes from another host.
Stable API endpoints: `/ask`, `/find`, `/source` (see README). On any address but
loopback the Documents tab's actions need the staff password (MSRA_STAFF_PASSWORD_HASH).
"""

from __future__ import annotations

import os
import sys
import threading
from typing import Any

os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")

import gradio as gr

from assistant.errors import AssistantError
from assistant.settings import Settings
from webui.api import api
from webui.ask import ask_tab
from webui.auth import require_login_setting
from webui.documents import documents_tab
from webui.find import find_tab
from webui.page import TITLE, header, t
from webui.server import Services, mount


def create_app(services: Services) -> gr.Blocks:
    with gr.Blocks(title=TITLE, analytics_enabled=False) as app:
        api(services)  # first, so the stable names are theirs
        header(app, services)
        with gr.Tabs():
            with gr.Tab(t("tab_ask"), id="ask"):
                ask_tab(app, services)
            with gr.Tab(t("tab_find"), id="find"):
                find_tab(services)
            with gr.Tab(t("tab_documents"), id="documents", elem_id="documents-tab") as documents:
                documents_tab(services, documents)
    return app


def serve(services: Services) -> Any:
    """The web application: the document pages plus the Gradio app mounted at `/`."""
    return mount(services, create_app(services))


def main() -> int:
    import uvicorn

    try:
        settings = Settings.from_env()
        require_login_setting(settings.host, settings.staff_password_hash)
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
