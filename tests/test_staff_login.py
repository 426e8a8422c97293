"""Staff login (issue 13): the Documents tab's actions need the staff password when one is
set, over real HTTP, whatever the page shows; reading and asking stay open; login attempts
are rate-limited; the app will not open itself to the network without a password.

The app runs in-process under uvicorn on a free loopback port with the hash embedder, and
is driven with plain HTTP the way any visitor could: Gradio's queue API, calling the tab's
event handlers by number (they are hidden from the API docs, not unreachable)."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
from conftest import ROOT, copy_corpus, fast_settings, ingest

from assistant.errors import ConfigError
from assistant.settings import Settings
from webui import auth

PASSWORD = "correct horse battery staple"
HASH = auth.hash_password(PASSWORD)
OT_ID = "above-ms-occupational-therapy"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Visitor:
    """One browser page: a session of its own, calling the app's events over HTTP."""

    def __init__(self, url: str, language: str = "") -> None:
        self.url = url
        self.headers = {"accept-language": language} if language else {}
        """What the browser says about its languages (the Documents tab speaks the first)."""
        self.session = uuid.uuid4().hex[:11]
        config = httpx.get(url + "config", timeout=30).json()
        self._ids = {
            c["props"].get("elem_id"): c["id"] for c in config["components"] if "props" in c
        }
        self._events = {
            (target, event): index
            for index, dep in enumerate(config["dependencies"])
            for target, event in dep["targets"]
        }

    def call(self, elem_id: str, event: str, *data: Any) -> list[Any]:
        """Trigger `event` on the component `elem_id`; the handler's outputs."""
        trigger = self._ids[elem_id]
        body = {
            "data": list(data),
            "fn_index": self._events[(trigger, event)],
            "session_hash": self.session,
            "trigger_id": trigger,
            "event_data": None,
        }
        joined = httpx.post(
            self.url + "gradio_api/queue/join", json=body, headers=self.headers, timeout=30
        )
        assert joined.status_code == 200, joined.text
        with httpx.stream(
            "GET",
            self.url + "gradio_api/queue/data",
            params={"session_hash": self.session},
            timeout=120,
        ) as stream:
            for line in stream.iter_lines():
                if not line.startswith("data:"):
                    continue
                message = json.loads(line[5:])
                if message.get("msg") == "process_completed":
                    assert message.get("success"), message
                    return message["output"]["data"]
        raise AssertionError("the app closed the stream without an answer")

    def log_in(self, password: str) -> str:
        """The login status shown (empty when the login worked and the actions opened)."""
        outputs = self.call("log-in", "click", password)
        return _text(outputs[1])

    def upload(self, path: Path) -> str:
        """Send a file as the page's "Choose files to add" button does; the result shown."""
        with path.open("rb") as handle:
            stored = httpx.post(self.url + "gradio_api/upload", files={"files": handle}).json()
        sent = {"path": stored[0], "orig_name": path.name, "meta": {"_type": "gradio.FileData"}}
        return _text(self.call("upload", "upload", [sent], False)[2])

    def remove(self, doc_id: str) -> str:
        self.call("documents-tab", "select")  # the document choices, as the page has them
        return _text(self.call("remove-document", "click", doc_id, True)[2])

    def reindex(self) -> str:
        return _text(self.call("reindex", "click")[2])


def _text(output: Any) -> str:
    return output if isinstance(output, str) else json.dumps(output)


def _serve(base: Path, **overrides: Any) -> Iterator[tuple[str, Any]]:
    import uvicorn

    import app

    settings = fast_settings(
        copy_corpus(base / "corpus"),
        base / "index",
        feedback_path=base / "feedback.sqlite3",
        port=_free_port(),
        **overrides,
    )
    assert ingest([settings.corpus_dir], settings).failed == []
    services = app.Services(settings)
    services.load()
    server = uvicorn.Server(
        uvicorn.Config(
            app.serve(services), host="127.0.0.1", port=settings.port, log_level="warning"
        )
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 60
    while not server.started:
        assert time.monotonic() < deadline, "the app did not start"
        time.sleep(0.1)
    try:
        yield f"http://127.0.0.1:{settings.port}/", services
    finally:
        server.should_exit = True
        thread.join(timeout=20)


@pytest.fixture(scope="module")
def staff_app(tmp_path_factory) -> Iterator[tuple[str, Any]]:
    yield from _serve(tmp_path_factory.mktemp("login"), staff_password_hash=HASH)


def test_without_login_the_library_actions_are_refused(staff_app):
    url, services = staff_app
    visitor = Visitor(url)
    said = visitor.remove(OT_ID)
    assert "Only staff can change the library" in said
    assert OT_ID in services.assistant.documents
    assert "Only staff can change the library" in visitor.reindex()
    visitor.call("documents-tab", "select")
    saved = visitor.call("save-details", "click", OT_ID, "Hacked", "", "", "", "", True)
    assert "Only staff can change the library" in _text(saved[2])
    assert services.assistant.documents[OT_ID].meta.title != "Hacked"


def test_an_upload_without_login_adds_nothing(staff_app, tmp_path):
    url, services = staff_app
    visitor = Visitor(url)
    sent = tmp_path / "Planted.txt"
    sent.write_text("Planted\n\nA visitor tried to add this document.\n", encoding="utf-8")
    said = visitor.upload(sent)
    assert "Only staff can change the library" in said
    assert not (services.settings.corpus_dir / "Planted.txt").exists()
    assert "planted" not in services.assistant.documents


def test_reading_and_asking_stay_open(staff_app):
    url, _ = staff_app
    answer = httpx.post(
        url + "gradio_api/call/ask",
        json={"data": ["What does an occupational therapist do?", None]},
    )
    assert answer.status_code == 200
    assert "event_id" in answer.json()
    assert httpx.get(url + f"document/{OT_ID}").status_code == 200


def test_a_wrong_password_opens_nothing(staff_app):
    url, services = staff_app
    visitor = Visitor(url)
    assert visitor.log_in("guess") == '<p role="status">That password is not right. Try again.</p>'
    assert "Only staff can change the library" in visitor.remove(OT_ID)
    assert OT_ID in services.assistant.documents


def test_with_the_password_the_actions_work_for_that_page_only(staff_app, tmp_path):
    url, services = staff_app
    staff, other = Visitor(url), Visitor(url)
    assert staff.log_in(PASSWORD) == ""
    assert "Index: " in staff.reindex()
    notes = tmp_path / "Staff notes.txt"
    notes.write_text("Staff notes\n\nCooling vests help some people in hot weather.\n")
    assert "Staff notes.txt: added as “Staff notes”." in staff.upload(notes)
    assert "staff-notes" in services.assistant.documents
    assert f"Removed {OT_ID}" in staff.remove(OT_ID)
    assert OT_ID not in services.assistant.documents
    # Another page (another visitor) is not logged in by someone else's login.
    assert "Only staff can change the library" in other.reindex()
    staff.call("log-out", "click")
    assert "Only staff can change the library" in staff.reindex()


def test_login_attempts_are_rate_limited(tmp_path):
    for url, _ in _serve(tmp_path, staff_password_hash=HASH):
        visitor = Visitor(url)
        said = [visitor.log_in(f"guess {n}") for n in range(auth.ATTEMPTS_PER_MINUTE)]
        assert all("not right" in s for s in said)
        limited = visitor.log_in(PASSWORD)
        assert "Too many login attempts from this computer. Wait " in limited
        assert "seconds, then try again." in limited
        # The right password does not get through while the limit holds, on any page.
        assert "Only staff can change the library" in visitor.reindex()
        assert "Too many login attempts" in Visitor(url).log_in(PASSWORD)


def _start(env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "app.py"],
        cwd=ROOT,
        env={"PATH": "/usr/bin:/bin", "HF_HUB_OFFLINE": "1", **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_the_app_refuses_the_network_without_a_staff_password():
    started = _start({"MSRA_HOST": "0.0.0.0"})
    assert started.returncode == 2
    assert started.stderr.startswith(
        "Error: The app is set to listen on 0.0.0.0, which other computers can reach, but no "
        "staff password is set"
    )
    assert "python -m webui.auth" in started.stderr
    assert "MSRA_STAFF_PASSWORD_HASH" in started.stderr
    assert "Traceback" not in started.stderr


def test_a_setting_that_is_not_a_hash_is_refused_in_words():
    started = _start({"MSRA_HOST": "0.0.0.0", "MSRA_STAFF_PASSWORD_HASH": PASSWORD})
    assert started.returncode == 2
    assert "is not a password hash made by this app" in started.stderr
    assert PASSWORD not in started.stderr + started.stdout
    assert "Traceback" not in started.stderr


# The hash and the rules, without a server


def test_hash_is_salted_and_checks_only_the_right_password():
    assert auth.hash_password(PASSWORD) != HASH
    assert HASH.startswith("scrypt$")
    assert PASSWORD not in HASH
    assert auth.check_password(PASSWORD, HASH)
    assert not auth.check_password(PASSWORD + " ", HASH)


def test_the_setting_never_shows_in_the_settings_repr():
    assert HASH not in repr(Settings(staff_password_hash=HASH))


@pytest.mark.parametrize(
    ("host", "loopback"),
    [
        ("127.0.0.1", True),
        ("127.0.1.1", True),
        ("::1", True),
        ("localhost", True),
        ("0.0.0.0", False),
        ("192.168.1.20", False),
        ("::", False),
        ("office-pc", False),
    ],
)
def test_loopback(host, loopback):
    assert auth.is_loopback(host) is loopback
    if loopback:
        auth.require_login_setting(host, "")
    else:
        with pytest.raises(ConfigError, match="no staff password is set"):
            auth.require_login_setting(host, "")
        auth.require_login_setting(host, HASH)


def test_the_hash_maker_prints_the_setting(monkeypatch, capsys):
    typed = iter([PASSWORD, PASSWORD])
    monkeypatch.setattr(auth.getpass, "getpass", lambda prompt: next(typed))
    assert auth.main() == 0
    line = capsys.readouterr().out.strip()
    assert line.startswith("MSRA_STAFF_PASSWORD_HASH='scrypt$")
    assert auth.check_password(PASSWORD, line.split("=", 1)[1].strip("'"))


def test_the_hash_maker_refuses_a_short_or_mistyped_password(monkeypatch, capsys):
    typed = iter(["short"])
    monkeypatch.setattr(auth.getpass, "getpass", lambda prompt: next(typed))
    assert auth.main() == 2
    typed = iter([PASSWORD, PASSWORD + "x"])
    assert auth.main() == 2
    assert "differ" in capsys.readouterr().err


# The login as staff see it, in headless Chromium


@pytest.mark.real
def test_staff_log_in_and_out_in_the_browser(tmp_path, browser):
    from playwright.sync_api import expect

    # A server of its own: its login attempts count for no other test. The browser is the
    # session's (a second Playwright in the same process refuses to start).
    server = contextmanager(_serve)(tmp_path, staff_password_hash=HASH)
    with server as (url, _):
        page = browser.new_page()
        page.goto(url)
        page.get_by_role("tab", name="Documents").click()
        expect(page.locator("#documents tbody tr").first).to_be_visible()
        choose = page.get_by_role("button", name="Choose files to add")
        expect(choose).to_be_hidden()
        password = page.get_by_label("Staff password")
        password.fill("guess")
        page.get_by_role("button", name="Log in").click()
        expect(page.locator("#login-status")).to_have_text("That password is not right. Try again.")
        password.fill(PASSWORD)
        password.press("Enter")
        expect(choose).to_be_visible()
        expect(password).to_be_hidden()
        page.get_by_role("button", name="Log out").click()
        expect(choose).to_be_hidden()
        expect(page.get_by_label("Staff password")).to_be_visible()
        page.close()
