"""The real app served over HTTP on a free port, in this process (so a test can also change
the library while clients ask), and a plain HTTP client for its API (/gradio_api/call/NAME),
the way any program would call it."""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
from conftest import copy_corpus, fast_settings, ingest

from assistant.settings import Settings


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def app_settings(base: Path, **overrides: Any) -> Settings:
    """The app's settings over a copy of the corpus indexed with the hash embedder."""
    settings = fast_settings(
        copy_corpus(base / "corpus"),
        base / "index",
        feedback_path=base / "data" / "feedback.sqlite3",
        port=_free_port(),
        **overrides,
    )
    assert ingest([settings.corpus_dir], settings).failed == []
    return settings


@contextmanager
def serving(settings: Settings) -> Iterator[tuple[str, Any]]:
    """(base URL, the app's Services) while the app runs; stopped afterwards."""
    import uvicorn

    import app

    services = app.Services(settings)
    services.load()
    assert services.problem == ""
    config = uvicorn.Config(
        app.serve(services), host="127.0.0.1", port=settings.port, log_level="warning"
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{settings.port}/"
    deadline = time.monotonic() + 60
    while not server.started:
        assert time.monotonic() < deadline, "the app did not start within 60 s"
        time.sleep(0.05)
    try:
        yield url, services
    finally:
        server.should_exit = True
        thread.join(timeout=20)


def call(
    url: str, name: str, data: list[Any] | None, body: bytes = b"", timeout: float = 120
) -> tuple[str, Any]:
    """Call an API endpoint with `data` (or a raw JSON `body`): ("complete", the result) or
    ("error", what the server said), or ("http <status>", the body) when it was refused."""
    with httpx.Client(timeout=timeout) as client:
        posted = client.post(
            f"{url}gradio_api/call/{name}",
            content=body or json.dumps({"data": data}).encode(),
            headers={"content-type": "application/json"},
        )
        if posted.status_code != 200:
            return f"http {posted.status_code}", posted.text
        event_id = posted.json()["event_id"]
        event = ""
        with client.stream("GET", f"{url}gradio_api/call/{name}/{event_id}") as stream:
            for line in stream.iter_lines():
                if line.startswith("event: "):
                    event = line.removeprefix("event: ")
                elif line.startswith("data: ") and event in ("complete", "error"):
                    payload = json.loads(line.removeprefix("data: "))
                    if event == "complete":
                        return event, payload[0]
                    return event, payload
    return "no answer", None
