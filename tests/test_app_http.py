"""The app's HTTP layer without a browser or a model (issue 16, items 6 and 15): security
headers on every page, a cap on request size before anything is parsed, and a private
feedback file. The Gradio app is built in-process with the hash embedder and driven with
Starlette's test client."""

from __future__ import annotations

import stat

import pytest
from conftest import copy_corpus, fast_settings, ingest

from webui.feedback import FeedbackStore


@pytest.fixture(scope="module")
def client(tmp_path_factory):
    from fastapi.testclient import TestClient

    import app

    base = tmp_path_factory.mktemp("http")
    settings = fast_settings(
        copy_corpus(base / "corpus"), base / "index", feedback_path=base / "feedback.sqlite3"
    )
    assert ingest([settings.corpus_dir], settings).failed == []
    services = app.Services(settings)
    services.load()
    assert services.problem == ""
    with TestClient(app.serve(services)) as test_client:
        yield test_client


def test_main_page_forbids_framing_and_foreign_sources(client):
    page = client.get("/")
    assert page.status_code == 200
    assert page.headers["x-frame-options"] == "DENY"
    assert page.headers["x-content-type-options"] == "nosniff"
    policy = page.headers["content-security-policy"]
    assert "frame-ancestors 'none'" in policy
    assert "default-src 'self'" in policy
    assert "connect-src 'self'" in policy
    assert "object-src 'none'" in policy


def test_document_pages_keep_their_stricter_policy(client):
    page = client.get("/document/nothing-here")
    assert page.headers["content-security-policy"].startswith("default-src 'none'")
    assert page.headers["x-frame-options"] == "DENY"


def test_huge_question_is_refused_before_it_is_read(client):
    body = b'{"data": ["' + b"insurance " * 500_000 + b'", null]}'  # 5 MB
    refused = client.post(
        "/gradio_api/call/ask", content=body, headers={"content-type": "application/json"}
    )
    assert refused.status_code == 413
    assert refused.json()["error"] == (
        "The request is 5,000,020 bytes; the limit is 2,000,000. "
        "Ask one shorter question at a time."
    )


@pytest.mark.parametrize(
    ("accept_language", "said"),
    [
        (
            "es-ES,es;q=0.9",
            "La solicitud ocupa 5.000.020 bytes y el máximo es de 2.000.000 bytes. "
            "Haga una sola pregunta, más corta, cada vez.",
        ),
        (
            "de-CH,de;q=0.9,en;q=0.8",
            "Die Anfrage ist 5.000.020 Byte groß, erlaubt sind höchstens 2.000.000 Byte. "
            "Stellen Sie jeweils nur eine, kürzere Frage.",
        ),
        (
            "fr",
            "La requête fait 5\u202f000\u202f020 octets, alors que la limite est de "
            "2\u202f000\u202f000 octets. Posez une seule question, plus courte, à la fois.",
        ),
        ("it-IT,nl;q=0.9", "The request is 5,000,020 bytes; the limit is 2,000,000."),
    ],
)
def test_huge_question_is_refused_in_the_browsers_language(client, accept_language, said):
    body = b'{"data": ["' + b"insurance " * 500_000 + b'", null]}'  # 5 MB
    refused = client.post(
        "/gradio_api/call/ask",
        content=body,
        headers={"content-type": "application/json", "accept-language": accept_language},
    )
    assert refused.status_code == 413
    assert refused.json()["error"].startswith(said)
    assert refused.headers["content-language"] == accept_language[:2].replace("it", "en")


def test_huge_question_without_a_length_is_refused_too(client):
    def chunks():
        for _ in range(50):
            yield b"x" * 100_000

    refused = client.post(
        "/gradio_api/call/ask", content=chunks(), headers={"content-type": "application/json"}
    )
    assert refused.status_code == 413
    assert "the limit is 2,000,000" in refused.json()["error"]


def test_an_ordinary_request_passes(client):
    found = client.post("/gradio_api/call/source", json={"data": ["nothing-here"]})
    assert found.status_code == 200
    assert "event_id" in found.json()


def test_feedback_file_is_readable_by_its_owner_only(tmp_path):
    path = tmp_path / "data" / "feedback.sqlite3"
    FeedbackStore(path)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_an_existing_feedback_file_is_made_private(tmp_path):
    path = tmp_path / "feedback.sqlite3"
    FeedbackStore(path)
    path.chmod(0o644)
    FeedbackStore(path)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_a_file_left_in_the_corpus_by_a_killed_upload_is_indexed_at_start(tmp_path):
    """A killed upload can leave its file in corpus/ before ingest ran; the app indexes it
    when it starts, before serving (and drops a document whose file is gone)."""
    import app

    corpus = copy_corpus(tmp_path / "corpus")
    settings = fast_settings(
        corpus, tmp_path / "index", feedback_path=tmp_path / "feedback.sqlite3"
    )
    assert ingest([corpus], settings).failed == []
    (corpus / "left-by-upload.txt").write_text(
        "Left behind\n\nA cooling vest can help people whose symptoms worsen in hot weather.\n",
        encoding="utf-8",
    )
    (corpus / "above-ms-occupational-therapy.txt").unlink()
    services = app.Services(settings)
    services.load()
    assert services.problem == ""
    documents = services.assistant.documents
    assert "left-by-upload" in documents
    assert "above-ms-occupational-therapy" not in documents


def test_document_pages_speak_the_browsers_language(client):
    missing = client.get("/document/nothing-here", headers={"accept-language": "fr-FR,fr;q=0.9"})
    assert missing.status_code == 404
    assert '<html lang="fr">' in missing.text
    assert "<title>Document introuvable · MS Rehab Assistant</title>" in missing.text
    page = client.get("/document/above-ms-occupational-therapy", headers={"accept-language": "de"})
    assert page.status_code == 200
    assert '<main lang="en">' in page.text
    assert "— Above MS (Biogen), Datum nicht angegeben." in page.text
    assert "Herkunft des Textes: Text of an Above MS (Biogen) web page" in page.text
    english = client.get("/document/nothing-here")
    assert "No document with id “nothing-here” is indexed." in english.text
