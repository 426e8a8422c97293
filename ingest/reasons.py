"""Why a file could not be added to the library: one stable code per reason, and its sentence.

Each reason is raised as `refusal(code, **values)`: a `DocumentLoadError` whose English text
(what the command line prints, and what the ingest report lists) is made here from the
code's template, and which keeps the code and the values so the app can say the same thing
in the reader's language (the labels `load_<code>` in webui/labels/). Numbers are passed as
numbers where the English groups their digits ("1,000,000") so each language can write them
its own way; anything passed as a string is shown as it is. This module does not translate.
"""

from __future__ import annotations

from collections.abc import Mapping

from assistant.errors import DocumentLoadError

Value = str | int | float

REASONS: dict[str, str] = {
    "copy_of_file": "{name}: the same file as {kept} (the same bytes), which is indexed; this "
    "copy is not indexed a second time. Delete one of the two files.",
    "unsupported_type": "{name}: unsupported file type '{suffix}'. Save it as one of {types}.",
    "no_file_type": "{name}: unsupported file type '(none)'. Save it as one of {types}.",
    "empty_file": "{name}: the file is empty.",
    "too_long": "{name}: the text is {length} characters long and one document may have at "
    "most {limit}. Split it into smaller files.",
    "wrong_encoding_mark": "{name}: the text says it is {encoding} but is not (unreadable byte "
    "at position {position}). Re-save it with UTF-8 encoding.",
    "binary_file": "{name}: this looks like a binary file, not text. "
    "Export it as .txt, .md, .html or .pdf first.",
    "not_utf8": "{name}: the text is not UTF-8 (unreadable byte at position {position}). "
    "Re-save the file with UTF-8 encoding.",
    "encrypted_pdf": "{name}: the PDF is password-protected. "
    "Save an unprotected copy and add that.",
    "pdf_too_slow": "{name}: reading the PDF took more than {seconds} s and stopped after "
    "{pages} pages. Export a fresh copy of the PDF, or split it.",
    "damaged_pdf": "{name}: the PDF is damaged or not a PDF ({error}). "
    "Open it in a PDF viewer and save it again, or export a fresh copy.",
    "no_text_layer": "{name}: the PDF has no text layer (probably scanned images). "
    "Run it through OCR first, then add the result.",
    "pdf_unpacks_too_much": "{name}: the PDF's pages unpack to more than {limit} MB (a damaged "
    "file, or one made to exhaust memory). Nothing of it was read. Export a fresh copy of the PDF.",
    "no_text_after_cleaning": "{name}: no readable text was found after cleaning.",
    "bad_metadata_file": "{path}: the metadata file is not valid ({error}). "
    "Fix it; see README 'Adding documents'.",
    "bad_changes_file": "{path}: the record of library changes is not valid ({error}). Fix it, "
    "or delete it to go back to the shipped library (your added files stay).",
    "id_used_in_run": "{name}: its document id '{doc_id}' is already used by {other}. "
    "Rename one of the files, or give it its own doc_id in documents.json.",
    "id_used_in_index": "{path}: its document id '{doc_id}' is already used by {other}. "
    "Rename the file, or give it its own doc_id in a documents.json beside it.",
    "link_outside": "{name}: it is a link to a file outside {folder}/. Links out of the "
    "folder are not followed; copy the file into the folder if it belongs there.",
    "unreadable": "{name}: could not be read ({error}).",
}
"""Code -> the English sentence, with the values it takes in braces."""


class Reason(str):
    """Why one file was not indexed: the English sentence, as the ingest report and the
    command line have always had it (a `str`, so every reader of the report is unchanged),
    carrying its `code` and `values` for the app to say it in another language."""

    code: str
    values: dict[str, Value]

    def __new__(
        cls, text: str, code: str = "", values: Mapping[str, Value] | None = None
    ) -> Reason:
        reason = super().__new__(cls, text)
        reason.code = code
        reason.values = dict(values or {})
        return reason


def refusal(code: str, **values: Value) -> DocumentLoadError:
    """The error for reason `code`, its English sentence made from `values`."""
    return DocumentLoadError(english(code, values), code, values)


def reason_of(error: DocumentLoadError) -> Reason:
    return Reason(str(error), error.code, error.values)


def english(code: str, values: Mapping[str, Value]) -> str:
    return REASONS[code].format(**{key: _english(value) for key, value in values.items()})


def _english(value: Value) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, int):
        return f"{value:,}"
    return f"{value:g}"
