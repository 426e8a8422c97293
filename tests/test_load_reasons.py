"""Why a file could not be added, in the reader's language (issue 12): every reason ingest
gives has a stable code, a label in each of the five languages, and the same English text
the command line always printed; the Documents tab shows it in the browser's language, over
real HTTP, and a request that is too large is refused in the browser's language too."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from test_bad_files import FILES
from test_library import FATIGUE, setup  # noqa: F401
from test_staff_login import Visitor, _serve

from assistant.errors import DocumentLoadError
from assistant.language import LANGUAGES
from ingest.corpus import build_document
from ingest.loaders import Budget
from ingest.reasons import REASONS, Reason, english, reason_of
from webui.documents import reindex_summary
from webui.render import file_results, reason_text

ROOT = Path(__file__).resolve().parent.parent
PLACEHOLDER = re.compile(r"\{(\w+)\}")


def _label_file(language: str) -> dict[str, str]:
    """The language's own labels, without the English fallback `ui_labels` adds."""
    return json.loads((ROOT / "webui" / "labels" / f"{language}.json").read_text("utf-8"))


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_reason_code_has_its_own_label_in_every_language(language):
    labels, english_labels = _label_file(language), _label_file("en")
    assert len(REASONS) >= 19
    for code, sentence in REASONS.items():
        label = labels[f"load_{code}"]
        wanted = sorted(PLACEHOLDER.findall(sentence))
        assert sorted(PLACEHOLDER.findall(label)) == wanted, (language, code)
        if language == "en":
            assert label == sentence, code  # the app's English is the command line's
        else:
            assert label != english_labels[f"load_{code}"], (language, code)
    assert PLACEHOLDER.findall(labels["request_too_large"]) == ["size", "limit"]


def test_ingest_refuses_a_file_only_with_a_known_code():
    """No reason is written as bare English any more, every code is used, and no code is
    named that has no sentence."""
    used: set[str] = set()
    for path in sorted((ROOT / "ingest").glob("*.py")):
        if path.name == "reasons.py":
            continue
        source = path.read_text(encoding="utf-8")
        assert "DocumentLoadError(" not in source, path
        used |= set(re.findall(r'refusal\(\s*"(\w+)"', source))
    assert used == set(REASONS)


BAD = {
    "empty.txt": "empty_file",
    "corrupt.pdf": "damaged_pdf",
    "encrypted.pdf": "encrypted_pdf",
    "scanned.pdf": "no_text_layer",
    "binary.txt": "binary_file",
    "latin1.txt": "not_utf8",
    "megabyte-lines.md": "too_long",
    "zip.pdf": "damaged_pdf",
}


def _refused(folder: Path, name: str, budget: Budget | None = None) -> DocumentLoadError:
    path = folder / name
    path.write_bytes(FILES[name][0])
    with pytest.raises(DocumentLoadError) as info:
        build_document(path, None, budget)
    return info.value


@pytest.mark.parametrize(("name", "code"), BAD.items())
def test_a_bad_file_says_its_code_and_keeps_its_english(tmp_path, name, code):
    error = _refused(tmp_path, name)
    assert error.code == code
    assert str(error) == english(code, error.values)
    assert FILES[name][1] in str(error)  # what test_bad_files expects of the command line
    reason = reason_of(error)
    assert reason == str(error)
    assert reason_text(reason, "en") == str(error)
    for language in ("es", "fr", "de", "pt"):
        said = reason_text(reason, language)
        assert said.startswith(name), said
        assert said != str(error)


def test_numbers_are_written_the_languages_way(tmp_path):
    reason = reason_of(_refused(tmp_path, "megabyte-lines.md"))
    assert "at most 1,000,000. Split" in reason
    assert "como máximo 1.000.000." in reason_text(reason, "es")
    assert "höchstens 1.000.000 haben" in reason_text(reason, "de")
    assert "au plus 1\u202f000\u202f000." in reason_text(reason, "fr")
    took = Reason("x.pdf: ...", "pdf_too_slow", {"name": "x.pdf", "seconds": 0.5, "pages": "3"})
    assert "länger als 0,5 s und wurde nach 3 Seiten" in reason_text(took, "de")
    assert english("pdf_too_slow", took.values).startswith(
        "x.pdf: reading the PDF took more than 0.5 s"
    )


def test_a_reason_without_a_label_is_said_as_it_is():
    assert reason_text(Reason("The disk is full."), "de") == "The disk is full."
    assert reason_text("The index cannot be written.", "es") == "The index cannot be written."


def test_upload_results_and_the_reindex_summary_in_the_readers_language(setup):  # noqa: F811
    (setup.uploads / "encrypted.pdf").write_bytes(FILES["encrypted.pdf"][0])
    results = setup.add(setup.uploads / "encrypted.pdf", setup.upload("Fatigue notes.txt", FATIGUE))
    assert results[0].message == (
        "encrypted.pdf: the PDF is password-protected. Save an unprotected copy and add that. "
        "Nothing was added."
    )
    shown = file_results(results, language="pt")
    assert (
        "<strong>Não adicionado:</strong> encrypted.pdf: o PDF está protegido por palavra-passe. "
        "Guarde uma cópia sem proteção e adicione essa. Nada foi adicionado."
    ) in shown
    (setup.corpus / "broken.pdf").write_bytes(b"%PDF-1.7 not really")
    (setup.corpus / "empty.txt").write_bytes(b"")
    summary = reindex_summary(setup.library.reindex(setup.messages.append))
    assert [cause.code for cause in summary.causes] == ["damaged_pdf", "empty_file"]
    shown = file_results([summary], language="fr")
    assert "2 fichier(s) n’ont pas pu être indexés : broken.pdf : le PDF est endommagé" in shown
    assert "empty.txt : le fichier est vide." in shown
    assert "could not be" not in shown


@pytest.fixture(scope="module")
def app_url(tmp_path_factory) -> Iterator[str]:
    for url, _ in _serve(tmp_path_factory.mktemp("reasons")):
        yield url


def _upload(url: str, language: str, path: Path) -> Any:
    return Visitor(url, language).upload(path)


@pytest.mark.parametrize(
    ("language", "name", "said"),
    [
        (
            "es-ES,es;q=0.9,en;q=0.5",
            "encrypted.pdf",
            "<strong>No añadido:</strong> encrypted.pdf: el PDF está protegido con contraseña. "
            "Guarde una copia sin protección y añada esa. No se ha añadido nada.",
        ),
        (
            "de-DE,de;q=0.9",
            "scanned.pdf",
            "<strong>Nicht hinzugefügt:</strong> scanned.pdf: Das PDF enthält keinen Text, nur "
            "Bilder (vermutlich eingescannte Seiten). Lassen Sie es zuerst durch eine "
            "Texterkennung (OCR) laufen und fügen Sie dann das Ergebnis hinzu. Nichts wurde "
            "hinzugefügt.",
        ),
        (
            "de",
            "latin1.txt",
            "<strong>Nicht hinzugefügt:</strong> latin1.txt: Der Text ist nicht in UTF-8 kodiert "
            "(unlesbares Byte an Position",
        ),
    ],
)
def test_the_documents_tab_says_why_in_the_browsers_language(
    app_url, tmp_path, language, name, said
):
    path = tmp_path / name
    path.write_bytes(FILES[name][0])
    shown = _upload(app_url, language, path)
    assert said in shown
    assert "Nothing was added" not in shown


def test_the_documents_tab_speaks_english_to_an_english_browser(app_url, tmp_path):
    path = tmp_path / "empty.txt"
    path.write_bytes(b"")
    shown = _upload(app_url, "en-GB,en;q=0.9", path)
    assert "<strong>Not added:</strong> empty.txt: the file is empty. Nothing was added." in shown


class _Request:
    def __init__(self, language: str) -> None:
        self.headers = {"accept-language": language}


@pytest.mark.parametrize(
    ("language", "file_step", "working"),
    [
        ("en", "Indexing file 3 of 12…", "Updating the index…"),
        ("de", "Datei 3 von 12 wird indexiert …", "Der Index wird aktualisiert …"),
        ("es", "Indexando el archivo 3 de 12…", "Actualizando el índice…"),
    ],
)
def test_the_apps_progress_is_said_in_the_browsers_language(language, file_step, working):
    """Ingest's progress lines (the command line's English) never reach the page as they are."""
    from webui.documents import _progress_callback

    shown: list[tuple[object, str]] = []
    report = _progress_callback(lambda value, desc: shown.append((value, desc)), _Request(language))
    report("[3/12] vrt-factsheet: 14 chunks indexed")
    report("removed old-leaflet (corpus/old-leaflet.txt is gone)")
    assert shown == [(0.25, file_step), (None, working)]
