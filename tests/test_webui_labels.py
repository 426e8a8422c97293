"""The app's words come from the label files in five languages, the library's results too:
every result the library gives names a label, the English label says what the English
message says, and the Documents tab shows the result in the browser's language."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from test_library import FATIGUE, NMSS_ID, OT_FILE, setup  # noqa: F401

from assistant.language import LANGUAGES
from ingest.library import FileResult, MetadataEdit
from webui.labels import ui_labels
from webui.render import documents_table, file_results

ROOT = Path(__file__).resolve().parent.parent


def test_every_label_the_library_names_exists_in_every_language():
    named = set(re.findall(r'"(lib_\w+)"', (ROOT / "ingest" / "library.py").read_text()))
    named |= set(re.findall(r'"(lib_\w+)"', (ROOT / "webui" / "documents.py").read_text()))
    assert len(named) >= 15
    for language in LANGUAGES:
        labels = ui_labels(language)
        missing = [key for key in named if key not in labels]
        assert missing == [], (language, missing)


def test_label_placeholders_are_the_same_in_every_language():
    english = ui_labels("en")
    for language in LANGUAGES:
        for key, text in ui_labels(language).items():
            wanted = sorted(re.findall(r"\{(\w+)\}", english[key]))
            assert sorted(re.findall(r"\{(\w+)\}", text)) == wanted, (language, key)


def _english(result: FileResult) -> str:
    return ui_labels("en")[result.reason].format(**result.values)


def test_english_labels_say_what_the_library_says(setup):  # noqa: F811
    results = setup.add(
        setup.upload("Fatigue notes.txt", FATIGUE),
        setup.upload("notes.docx", b"PK"),
        setup.upload("empty.txt", b""),
    )
    results += setup.add(setup.upload("Fatigue notes.txt", FATIGUE))
    edit = MetadataEdit("Rehab", "", "2020-13", "", None, None)
    nmss = setup.corpus / "nmss-rehabilitation-in-ms.txt"
    bad = setup.library.update_metadata(NMSS_ID, str(nmss), edit, setup.messages.append)
    good = setup.library.update_metadata(
        NMSS_ID, str(nmss), MetadataEdit("Rehab", "", "2020", "", None, None), print
    )
    removed = setup.library.remove(
        "above-ms-occupational-therapy", str(setup.corpus / OT_FILE), print
    )
    assert [r.reason for r in results] == [
        "lib_added",
        "lib_bad_type",
        "lib_not_added",
        "lib_unchanged",
    ]
    for result in [*results, good, removed]:
        assert _english(result) == result.message
    assert (bad.reason, bad.message) == ("lib_bad_date", f"Not saved: {_english(bad)}")


def test_documents_tab_results_in_the_browsers_language(setup):  # noqa: F811
    results = setup.add(
        setup.upload("notes.docx", b"PK"), setup.upload("Fatigue notes.txt", FATIGUE)
    )
    shown = file_results(results, language="de")
    assert "<strong>Nicht hinzugefügt:</strong> notes.docx: Dateien vom Typ" in shown
    assert "<strong>Erledigt:</strong> Fatigue notes.txt: hinzugefügt als „Fatigue notes“." in shown
    assert "added" not in shown


@pytest.mark.parametrize("language", LANGUAGES)
def test_documents_table_speaks_the_language(setup, language):  # noqa: F811
    from assistant.build import build_assistant, build_embedder

    assistant = build_assistant(setup.settings, build_embedder(setup.settings))
    table = documents_table(assistant.overview(), language)
    labels = ui_labels(language)
    assert f"<caption>{labels['indexed_documents']}</caption>" in table
    assert f'<th scope="col">{labels["file_size"]}</th>' in table
    if language != "en":
        assert "characters)" not in table
    assert documents_table([], language) == f'<p class="empty">{labels["no_documents"]}</p>'


def test_the_assistant_and_ingest_never_import_the_web_ui():
    """Stages hand data forward: assistant/ and ingest/ know nothing of webui/ or app.py
    (the command line needs neither)."""
    pattern = re.compile(r"^\s*(?:from|import)\s+(webui|app)\b", re.MULTILINE)
    for folder in ("assistant", "ingest"):
        for path in sorted((ROOT / folder).glob("*.py")):
            assert not pattern.search(path.read_text(encoding="utf-8")), path


def test_reindex_summary_says_what_the_ingest_report_says(setup):  # noqa: F811
    from webui.documents import reindex_summary

    summary = reindex_summary(setup.library.reindex(setup.messages.append))
    assert summary.reason == "lib_reindexed"
    assert _english(summary) == summary.message
    (setup.corpus / "broken.pdf").write_bytes(b"%PDF-1.7 not really")
    summary = reindex_summary(setup.library.reindex(setup.messages.append))
    assert summary.reason == "lib_reindexed_with_failures"
    assert _english(summary).startswith(summary.message.splitlines()[0])
    assert "1 file(s) could not be indexed: broken.pdf" in _english(summary)
    assert "broken.pdf" in file_results([summary], language="pt")
