"""The app as people use it: `python app.py` on a real index, over HTTP and in headless Chromium.

One server per test module (real MiniLM, Chroma on disk, a copy of the corpus), started
as a subprocess exactly like `make run` starts it. The API is driven with gradio_client;
the pages with Playwright in Debian's Chromium. The browser is told not to reach the
network, and every request it makes is recorded so a test can prove none left the machine.
"""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest
from conftest import ROOT, submit_question
from playwright.sync_api import expect

pytestmark = pytest.mark.real

UPLOAD_SENTENCE = (
    "Aquatic therapy in a warm pool lets people with MS practise balance without fear of falling."
)
XSS_LINES = (
    "<script>window.__xss = 1</script> Pool safety rules are posted beside the water.\n\n"
    '<img src=x onerror="window.__xss = 1"> Lifeguards watch every aquatic therapy session.\n'
)


def choose_files(page, *paths: Path) -> None:
    with page.expect_file_chooser() as chooser:
        page.get_by_role("button", name="Choose files to add").click()
    chooser.value.set_files([str(p) for p in paths])


def ask(page, question: str) -> None:
    submit_question(page, question)


# --- The API, through gradio_client ---------------------------------------------------


def test_api_ask_find_source(app_server):
    from gradio_client import Client

    client = Client(app_server["url"], verbose=False)
    answer = client.predict("Does insurance cover occupational therapy?", None, api_name="/ask")
    assert answer["status"] == "answered"
    assert answer["citations"][0]["doc_id"] == "above-ms-occupational-therapy"
    assert {"n", "doc_id", "title", "quote", "start", "end", "publisher", "url", "updated"} <= set(
        answer["citations"][0]
    )
    assert len(answer["retrieved"]) >= 5

    found = client.predict("Coverage for OT services varies by plan.", api_name="/find")
    assert found["matches"][0]["text"] == "Coverage for OT services varies by plan."

    source = client.predict("above-ms-occupational-therapy", api_name="/source")
    quote = answer["citations"][0]
    assert source["text"][quote["start"] : quote["end"]] == quote["quote"]


def test_api_follow_up_uses_history(app_server):
    from gradio_client import Client

    client = Client(app_server["url"], verbose=False)
    history = [
        {"role": "user", "content": "What does an occupational therapist do?"},
        {"role": "assistant", "content": "Occupational therapists help people do everyday things."},
    ]
    answer = client.predict("Will my insurance pay for it?", history, api_name="/ask")
    assert answer["status"] == "answered"
    assert any("Coverage for OT" in c["quote"] for c in answer["citations"])


def test_api_names_are_stable(app_server):
    from gradio_client import Client

    named = Client(app_server["url"], verbose=False).view_api(
        print_info=False, return_format="dict"
    )["named_endpoints"]
    assert {"/ask", "/find", "/source"} <= set(named)


# --- In the browser ---------------------------------------------------------------------


def test_ask_shows_cited_quote_and_opens_the_document_there(page):
    ask(page, "Does insurance cover occupational therapy?")
    mark = page.locator("#sources mark").first
    mark.wait_for()
    quote = mark.inner_text()
    assert "Coverage for OT services varies by plan." in quote
    assert "(source 1)" in page.locator("#conversation").inner_text()
    assert "Occupational therapy & MS" in page.locator("#sources").inner_text()

    screenshot = ROOT / "docs" / "screenshot.png"
    page.screenshot(path=str(screenshot))

    with page.context.expect_page() as opened:
        page.locator("#sources").get_by_role(
            "link", name="Open the document at this place"
        ).first.click()
    document = opened.value
    document.wait_for_load_state()
    assert "/document/above-ms-occupational-therapy" in document.url
    highlighted = document.locator("mark#quote")
    assert " ".join(highlighted.inner_text().split()) == " ".join(quote.split())
    box = highlighted.bounding_box()
    assert box is not None
    assert 0 <= box["y"] < document.viewport_size["height"], "the quote is not scrolled into view"
    document.close()


def test_follow_up_and_new_conversation(page):
    ask(page, "What does an occupational therapist do?")
    page.locator("#sources mark").first.wait_for()
    ask(page, "Will my insurance pay for it?")
    page.locator("#sources mark", has_text="Coverage for OT").first.wait_for()

    page.get_by_role("button", name="New conversation").click()
    page.locator("#sources", has_text="The sources of each answer appear here.").wait_for()
    assert "Will my insurance" not in page.locator("#conversation").inner_text()


def test_example_question_on_first_load(page):
    page.get_by_role("button", name="How do I know if I exercised too much?").click()
    page.locator("#sources mark").first.wait_for()
    assert page.locator("#conversation .cite-1").count() >= 1


def test_emergency_is_shown_first_and_in_words(page):
    ask(page, "I suddenly can't move one side of my face and my speech is slurred")
    banner = page.locator("#urgent [role=alert]")
    banner.wait_for()
    assert "Urgent" in banner.inner_text()
    chat_top = page.locator("#conversation").bounding_box()["y"]
    assert banner.bounding_box()["y"] < chat_top
    assert page.locator("#sources mark").count() == 0
    page.get_by_role("button", name="New conversation").click()
    banner.wait_for(state="hidden")


def test_support_message_is_shown_beside_an_answer(page):
    # Uncertain distress (the semantic layer's grey band): the answer is given, and the
    # support message stands before it, saying what it is in words.
    ask(page, "I am exhausted and I feel like giving up")
    note = page.locator("#urgent [role=note]")
    note.wait_for()
    text = note.inner_text()
    assert "In case you need it" in text
    for option in ("988", "116 123", "112"):
        assert option in text
    assert note.bounding_box()["y"] < page.locator("#conversation").bounding_box()["y"]
    reply = page.locator("#conversation [data-testid=bot]").last
    expect(reply).not_to_have_text("…")
    assert "Urgent" not in reply.inner_text()
    assert len(reply.inner_text()) > 40
    page.get_by_role("button", name="New conversation").click()
    note.wait_for(state="hidden")


def test_copy_answer_with_references(page):
    ask(page, "Does insurance cover occupational therapy?")
    page.locator("#sources mark").first.wait_for()
    page.get_by_role("button", name="Copy answer with references").click()
    page.locator("#copied", has_text="Copied").wait_for()
    copied = page.evaluate("navigator.clipboard.readText()")
    assert "Coverage for OT services varies by plan." in copied
    assert "\nReferences\n[1] " in copied
    assert "Occupational therapy & MS. Above MS (Biogen)." in copied
    assert copied.rstrip().endswith("about your own situation.")
    for chat_only in ("The documents say", "more than three years ago", "not stated"):
        assert chat_only not in copied


UNRELATED = {
    "No close match": "The train to Edinburgh leaves from platform four at noon.",
    "Sin coincidencia cercana": "El tren a Madrid sale del andén cuatro a mediodía.",
    "Pas de correspondance proche": "Le train pour Lyon part du quai quatre à midi.",
    "Keine genaue Entsprechung": "Der Zug nach Hamburg fährt um zwölf Uhr von Gleis vier ab.",
    "Sem correspondência próxima": "O comboio para Lisboa parte da linha quatro ao meio-dia.",
}


def test_find_says_no_close_match_in_every_language_and_one_match_per_passage(page):
    page.get_by_role("tab", name="Find in sources").click()
    for words, text in UNRELATED.items():
        page.get_by_label("Text to find").fill(text)
        page.get_by_role("button", name="Find in sources").click()
        page.locator("#find-results .no-close-match", has_text=words).wait_for()
    page.get_by_label("Text to find").fill("Coverage for OT services varies by plan.")
    page.get_by_role("button", name="Find in sources").click()
    page.locator("#find-results .match", has_text="exact match").first.wait_for()
    assert page.locator("#find-results .no-close-match").count() == 0
    places = page.locator("#find-results .match .source-foot").all_inner_texts()
    titles = page.locator("#find-results .match .match-head").all_inner_texts()
    assert len(places) >= 2
    located = [(t.split(":")[1].split("—")[0], p) for t, p in zip(titles, places, strict=True)]
    assert len(set(located)) == len(located)  # no paragraph twice
    assert all("paragraph" in p and "characters" not in p for p in places)


def test_find_marks_both_of_two_pasted_sentences(page):
    first = "Occupational therapists (OTs) help people do everyday things."
    last = "They focus on removing barriers by adapting people’s environment."
    page.get_by_role("tab", name="Find in sources").click()
    page.get_by_label("Text to find").fill(f"{first} {last}")
    page.get_by_role("button", name="Find in sources").click()
    marks = page.locator("#find-results .match").first.locator(".found mark")
    expect(marks).to_have_count(2, timeout=60_000)
    assert marks.all_inner_texts() == [first, last]


def test_thumbs_down_with_comment_is_stored_locally(page, app_server):
    ask(page, "Does insurance cover occupational therapy?")
    page.locator("#sources mark").first.wait_for()
    page.locator("#conversation").get_by_role("button", name="Dislike").last.click()
    comment = page.get_by_label("Thank you. Anything to add? (optional)")
    comment.fill("I wanted to know about Medicare.")
    page.get_by_role("button", name="Send comment").click()
    page.locator("#feedback-status", has_text="comment was saved").wait_for()
    with sqlite3.connect(app_server["feedback"]) as db:
        rating, question, comment_text, sources = db.execute(
            "SELECT rating, question, comment, sources FROM feedback ORDER BY id DESC"
        ).fetchone()
    assert (rating, question) == ("down", "Does insurance cover occupational therapy?")
    assert comment_text == "I wanted to know about Medicare."
    assert json.loads(sources)[0]["doc_id"] == "above-ms-occupational-therapy"


def test_upload_a_document_then_find_a_sentence_from_it(page, app_server, tmp_path):
    upload = tmp_path / "Aquatic Therapy Notes.txt"
    upload.write_text(
        "Aquatic therapy notes\n\n"
        f"{UPLOAD_SENTENCE} The water supports the body, so standing and walking "
        "exercises feel easier.\n\nSessions usually last forty-five minutes.\n\n" + XSS_LINES,
        encoding="utf-8",
    )
    page.get_by_role("tab", name="Documents").click()
    choose_files(page, upload)
    page.locator("#add-results", has_text="added as").wait_for(timeout=60_000)
    assert (app_server["data"] / "documents" / "Aquatic-Therapy-Notes.txt").exists()
    assert not (app_server["corpus"] / "Aquatic-Therapy-Notes.txt").exists()
    assert "Aquatic therapy notes" in page.locator("#documents").inner_text()

    page.get_by_role("tab", name="Find in sources").click()
    page.get_by_label("Text to find").fill(UPLOAD_SENTENCE)
    page.get_by_role("button", name="Find in sources").click()
    first = page.locator("#find-results .match").first
    first.wait_for()
    assert "Aquatic therapy notes" in first.inner_text()
    assert UPLOAD_SENTENCE in first.locator(".found mark").inner_text()
    assert UPLOAD_SENTENCE in first.locator(".pasted").inner_text()


def test_document_text_is_shown_as_text_never_run(page, app_server):
    # Runs after the upload above: the uploaded file carries a script and an onerror image.
    page.get_by_role("tab", name="Find in sources").click()
    page.get_by_label("Text to find").fill("Pool safety rules are posted beside the water.")
    page.get_by_role("button", name="Find in sources").click()
    page.locator("#find-results .match").first.wait_for()
    assert "<script>window.__xss = 1</script>" in page.locator("#find-results").inner_text()

    page.get_by_role("tab", name="Ask").click()
    ask(page, "Who watches the aquatic therapy sessions <img src=x onerror=window.__xss=1>?")
    page.locator("#conversation", has_text="onerror").first.wait_for()

    document = page.context.new_page()
    document.goto(app_server["url"] + "document/aquatic-therapy-notes")
    assert '<img src=x onerror="window.__xss = 1">' in document.locator("main").inner_text()
    assert document.evaluate("window.__xss") is None
    document.close()


def test_bad_upload_is_refused_and_nothing_is_lost(page, app_server, tmp_path):
    broken = tmp_path / "broken.pdf"
    broken.write_bytes(b"%PDF-1.7 this is not really a pdf")
    before = sorted(p.name for p in app_server["corpus"].iterdir())
    # The library: the shipped corpus and what staff added (in the data folder) earlier.
    added_dir = app_server["data"] / "documents"
    added = sorted(p.name for p in added_dir.iterdir()) if added_dir.exists() else []
    changes = app_server["data"] / "library.json"
    hidden = json.loads(changes.read_text())["removed"] if changes.exists() else []
    shipped = [
        n for n in before if n != "documents.json" and not n.startswith(".") and n not in hidden
    ]
    indexed = len(shipped) + len(added)
    page.get_by_role("tab", name="Documents").click()
    # The table fills once the library has loaded (the app may still be starting).
    expect(page.locator("#documents tbody tr")).to_have_count(indexed, timeout=60_000)
    choose_files(page, broken)
    result = page.locator("#add-results", has_text="Not added")
    result.wait_for(timeout=60_000)
    assert "broken.pdf" in result.inner_text()
    assert sorted(p.name for p in app_server["corpus"].iterdir()) == before
    assert (sorted(p.name for p in added_dir.iterdir()) if added_dir.exists() else []) == added
    expect(page.locator("#documents tbody tr")).to_have_count(indexed)


def test_spanish_browser_gets_spanish_labels_framing_and_english_quotes(spanish_page):
    page = spanish_page
    page.get_by_role("button", name="¿Qué hace un terapeuta ocupacional?").click()
    page.locator("#sources mark").first.wait_for()
    assert "¿Qué hace un terapeuta ocupacional?" in page.locator("#conversation").inner_text()
    reply = page.locator("#conversation [data-testid=bot]").last.inner_text()
    assert reply.startswith("Los documentos dicen")
    assert "Occupational therapists (OTs) help people do everyday things." in reply
    assert "(fuente 1)" in reply
    assert page.get_by_role("heading", name="Fuentes").count() == 1
    assert page.get_by_role("link", name="Abrir el documento en este lugar").count() >= 1

    page.get_by_role("tab", name="Buscar en las fuentes").click()
    page.get_by_label("Texto que buscar").fill(
        "La cobertura de los servicios de terapia ocupacional varía según el plan."
    )
    page.get_by_role("button", name="Buscar en las fuentes").click()
    first = page.locator("#find-results .match").first
    first.wait_for()
    assert "Coverage for OT services varies by plan." in first.locator(".found mark").inner_text()
    assert "La cobertura de los servicios" in first.locator(".pasted").inner_text()
    assert first.get_by_role("heading", name="Su texto").count() == 1


def test_app_binds_to_localhost_only(app_server):
    port = int(str(app_server["url"]).rsplit(":", 1)[1].strip("/"))
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        local, state = line.split()[1], line.split()[3]
        if state == "0A" and int(local.split(":")[1], 16) == port:
            assert local.split(":")[0] == "0100007F", "the app listens beyond 127.0.0.1"


def test_spanish_browser_sees_the_empty_sources_note_in_spanish(spanish_page):
    note = spanish_page.locator("#sources", has_text="Aquí aparecen las fuentes de cada respuesta.")
    note.wait_for(timeout=60_000)
