"""Library: uploads, metadata edits, removal and re-index, on a small corpus copy in tmp."""

from __future__ import annotations

import dataclasses
import json
import shutil
from pathlib import Path

import pytest
from conftest import CORPUS, fast_settings

from assistant.build import build_assistant, build_embedder
from assistant.models import Document
from assistant.store import ChromaStore, index_signature
from ingest.corpus import METADATA_FILE, read_entries
from ingest.layers import Layers
from ingest.library import REMOVED_FOLDER, FileResult, Library, MetadataEdit, safe_filename

OT_FILE = "above-ms-occupational-therapy.txt"
OT_ID = "above-ms-occupational-therapy"
NMSS_FILE = "nmss-rehabilitation-in-ms.txt"
NMSS_ID = "nmss-rehabilitation-in-ms"
FATIGUE = (
    "Fatigue notes\n\n"
    "Energy conservation means planning the day so that tiring tasks alternate with rest.\n\n"
    "A cooling vest can help people whose symptoms worsen in hot weather.\n"
)
FATIGUE_SENTENCE = "A cooling vest can help people whose symptoms worsen in hot weather."


@dataclasses.dataclass
class Setup:
    library: Library
    corpus: Path
    uploads: Path
    messages: list[str]

    @property
    def settings(self):
        return self.library.settings

    @property
    def added(self) -> Path:
        """Where files added in the app go: the data folder, never the shipped corpus."""
        return self.settings.data_dir / "documents"

    def upload(self, name: str, content: str | bytes) -> Path:
        path = self.uploads / name
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8")
        return path

    def add(self, *paths: Path) -> list[FileResult]:
        return self.library.add(list(paths), self.messages.append)

    def indexed(self) -> dict[str, Document]:
        store = ChromaStore(self.settings.index_dir, index_signature(self.settings), create=False)
        return store.documents()

    def corpus_state(self) -> tuple[dict[str, bytes], dict[str, bytes]]:
        """Every file of the shipped corpus and of the data folder, with its bytes."""
        return _files(self.corpus), _files(self.settings.data_dir)


def _files(folder: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()
    }


@pytest.fixture
def setup(tmp_path) -> Setup:
    """Two documents (plus the full documents.json) indexed with the hash embedder."""
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    for name in (OT_FILE, NMSS_FILE, METADATA_FILE):
        shutil.copy(CORPUS / name, corpus / name)
    uploads = tmp_path / "uploads"
    uploads.mkdir()
    settings = fast_settings(corpus, tmp_path / "index")
    library = Library(settings, build_embedder)
    messages: list[str] = []
    report = library.reindex(messages.append)
    assert sorted(report.added) == [OT_ID, NMSS_ID]
    return Setup(library, corpus, uploads, messages)


# safe_filename


@pytest.mark.parametrize(
    ("upload", "expected"),
    [
        ("../../etc/passwd.txt", "passwd.txt"),
        ("..\\..\\evil.md", "evil.md"),
        ("/abs/path/x.pdf", "x.pdf"),
        ("C:\\Users\\me\\notes.txt", "notes.txt"),
        (".bashrc.txt", "bashrc.txt"),
        ("Résumé de la réadaptation.PDF", "R-sum-de-la-r-adaptation.pdf"),
        ("a b (1).txt", "a-b-1.txt"),
        (" .txt", "document.txt"),
        ("-_-.md", "document.md"),
        ("ﬁle／name.txt", "name.txt"),  # NFKC turns the fullwidth solidus into "/"
        ("x" * 300 + ".pdf", "x" * 100 + ".pdf"),
    ],
)
def test_safe_filename(upload, expected):
    assert safe_filename(upload) == expected


@pytest.mark.parametrize(
    "upload",
    ["../../etc/passwd.txt", "..\\..\\evil.md", "/abs/path/x.pdf", ".bashrc.txt", "..", "./.md"],
)
def test_safe_filename_stays_inside_the_folder(upload, tmp_path):
    name = safe_filename(upload)
    assert "/" not in name
    assert "\\" not in name
    assert not name.startswith(".")
    assert (tmp_path / name).resolve().parent == tmp_path.resolve()


def test_safe_filename_keeps_the_suffix_of_a_name_made_of_dots():
    assert safe_filename("..txt") == "document.txt"


# add: good files


def test_add_a_text_file(setup):
    results = setup.add(setup.upload("Fatigue notes.txt", FATIGUE))
    assert results == [
        FileResult(
            "Fatigue notes.txt",
            True,
            "Fatigue notes.txt: added as “Fatigue notes”.",
            "fatigue-notes",
            stored_as="Fatigue-notes.txt",
        )
    ]
    assert (setup.added / "Fatigue-notes.txt").read_text(encoding="utf-8") == FATIGUE
    assert not (setup.corpus / "Fatigue-notes.txt").exists()
    assistant = build_assistant(setup.settings)
    assert sorted(assistant.documents) == [OT_ID, "fatigue-notes", NMSS_ID]
    first = assistant.find(FATIGUE_SENTENCE)[0]
    assert (first.doc_id, first.text, first.exact) == ("fatigue-notes", FATIGUE_SENTENCE, True)


def test_add_several_files_one_result_each_in_order(setup):
    markdown = (
        "# Heat and MS\n\nHot baths and summer weather can make symptoms worse for a while.\n"
    )
    results = setup.add(
        setup.upload("fatigue.txt", FATIGUE),
        setup.upload("notes.docx", b"PK\x03\x04 not for us"),
        setup.upload("heat.md", markdown),
    )
    assert [(r.name, r.ok, r.doc_id) for r in results] == [
        ("fatigue.txt", True, "fatigue"),
        ("notes.docx", False, None),
        ("heat.md", True, "heat"),
    ]
    assert results[2].message == "heat.md: added as “Heat and MS”."
    assert sorted(setup.indexed()) == [OT_ID, "fatigue", "heat", NMSS_ID]
    assert not (setup.corpus / "notes.docx").exists()
    assert not (setup.added / "notes.docx").exists()


# add: bad files change nothing


BAD_UPLOADS = [
    pytest.param(
        "report.docx",
        b"PK\x03\x04 word document",
        "report.docx: files of type '.docx' cannot be added. "
        "Save it as one of .txt, .md, .html, .htm, .pdf.",
        id="docx",
    ),
    pytest.param(
        "setup.exe",
        b"MZ\x90\x00",
        "setup.exe: files of type '.exe' cannot be added. "
        "Save it as one of .txt, .md, .html, .htm, .pdf.",
        id="exe",
    ),
    pytest.param("empty.txt", b"", "empty.txt: the file is empty. Nothing was added.", id="empty"),
    pytest.param(
        "blank.md", b"  \n\n \t\n", "blank.md: the file is empty. Nothing was added.", id="blank"
    ),
    pytest.param(
        "binary.txt",
        b"\x00\x01\x02\x03 some words here and there " * 4,
        "binary.txt: this looks like a binary file, not text. "
        "Export it as .txt, .md, .html or .pdf first. Nothing was added.",
        id="binary",
    ),
    pytest.param(
        "latin1.txt",
        "Rééducation et sclérose en plaques, fatigue".encode("latin-1"),
        "latin1.txt: the text is not UTF-8 (unreadable byte at position 1). "
        "Re-save the file with UTF-8 encoding. Nothing was added.",
        id="not-utf8",
    ),
    pytest.param(
        "short.txt",
        b"Too short.",
        "short.txt: no readable text was found after cleaning. Nothing was added.",
        id="too-few-words",
    ),
]


@pytest.mark.parametrize(("name", "content", "message"), BAD_UPLOADS)
def test_bad_upload_is_refused_and_changes_nothing(setup, name, content, message):
    before = setup.corpus_state()
    results = setup.add(setup.upload(name, content))
    assert results == [FileResult(name, False, message)]
    assert setup.corpus_state() == before
    assert sorted(setup.indexed()) == [OT_ID, NMSS_ID]


def test_corrupt_pdf_is_refused_and_changes_nothing(setup):
    before = setup.corpus_state()
    [result] = setup.add(setup.upload("guide.pdf", bytes(range(256)) * 8))
    assert result.ok is False
    assert result.doc_id is None
    assert result.message.startswith("guide.pdf: the PDF is damaged or not a PDF (")
    assert result.message.endswith("Nothing was added.")
    assert setup.corpus_state() == before
    assert sorted(setup.indexed()) == [OT_ID, NMSS_ID]


def test_upload_over_the_size_limit_is_refused(setup):
    settings = dataclasses.replace(setup.settings, max_upload_mb=1)
    setup.library = Library(settings, build_embedder)
    big = setup.upload("big.txt", "word " * (300 * 1024))  # 1.5 MB
    before = setup.corpus_state()
    assert setup.add(big) == [
        FileResult(
            "big.txt",
            False,
            "big.txt: the file is 1.5 MB and the limit is 1 MB. Split it into smaller files.",
        )
    ]
    assert setup.corpus_state() == before
    assert sorted(setup.indexed()) == [OT_ID, NMSS_ID]


# add: names that already exist


def test_identical_upload_is_unchanged(setup):
    before = setup.corpus_state()
    indexed = setup.indexed()
    upload = setup.upload(OT_FILE, (CORPUS / OT_FILE).read_bytes())
    assert setup.add(upload) == [
        FileResult(OT_FILE, True, f"{OT_FILE}: already in the library, unchanged.")
    ]
    assert setup.corpus_state() == before
    assert setup.indexed() == indexed


def test_upload_with_an_existing_name_is_refused_unless_staff_confirm(setup):
    before = setup.corpus_state()
    indexed = setup.indexed()
    new = "Anyone can write this text and have it quoted as the National MS Society says.\n"
    [result] = setup.add(setup.upload(NMSS_FILE, new))
    assert result == FileResult(
        NMSS_FILE,
        False,
        f"{NMSS_FILE}: the library already has a different file of this name "
        "(“Rehabilitation in MS”). Nothing was changed. To replace it, tick “Replace documents "
        "that have the same file name” and add it again.",
    )
    assert setup.corpus_state() == before
    assert setup.indexed() == indexed


def test_changed_upload_replaces_the_file_only_when_confirmed_and_clears_its_details(setup):
    old = (CORPUS / NMSS_FILE).read_text(encoding="utf-8")
    new = "Anyone can write this text and have it quoted as the National MS Society says.\n"
    shipped = _files(setup.corpus)
    old_entry = _entries(setup.corpus)[NMSS_FILE]
    [result] = setup.library.add([setup.upload(NMSS_FILE, new)], setup.messages.append, True)
    assert result == FileResult(
        NMSS_FILE,
        True,
        f"{NMSS_FILE}: replaces the earlier version as “Anyone can write this text and have it "
        "quoted as the National MS Society says.”. Its title, publisher, date and web address "
        "described the earlier version and were cleared: check them under “Edit or remove a "
        "document” and save.",
        NMSS_ID,
        stored_as=NMSS_FILE,
    )
    assert (setup.added / NMSS_FILE).read_text(encoding="utf-8") == new
    # The shipped version stays as it was, with its details, left out of the library.
    assert _files(setup.corpus) == shipped
    assert (setup.corpus / NMSS_FILE).read_text(encoding="utf-8") == old
    assert _entries(setup.corpus)[NMSS_FILE] == old_entry
    assert Layers.of(setup.settings).hidden == {NMSS_FILE}
    entry = _entries(setup.added)[NMSS_FILE]
    assert (entry["doc_id"], entry.get("title"), entry.get("publisher")) == (NMSS_ID, None, None)
    document = setup.indexed()[NMSS_ID]
    assert "Anyone can write this text" in document.text
    assert document.meta.publisher is None  # no trusted publisher for an unchecked text
    assert document.meta.updated is None
    assert document.meta.title != "Rehabilitation in MS"


def test_confirmed_replacement_that_cannot_be_read_puts_everything_back(setup):
    before = setup.corpus_state()
    indexed = setup.indexed()
    [result] = setup.library.add(
        [setup.upload(NMSS_FILE, b"\x00\x01 binary")], setup.messages.append, True
    )
    assert result.ok is False
    assert setup.corpus_state() == before
    assert (setup.corpus / NMSS_FILE).read_bytes() == (CORPUS / NMSS_FILE).read_bytes()
    assert setup.indexed() == indexed


def test_upload_whose_id_is_taken_by_another_file_gets_a_new_name(setup):
    original = setup.indexed()[OT_ID]
    [result] = setup.add(setup.upload("above-ms-occupational-therapy.md", FATIGUE))
    assert result == FileResult(
        "above-ms-occupational-therapy.md",
        True,
        "above-ms-occupational-therapy.md: added as “Fatigue notes”.",
        "above-ms-occupational-therapy-2",
        stored_as="above-ms-occupational-therapy-2.md",
    )
    assert (setup.added / "above-ms-occupational-therapy-2.md").exists()
    assert (setup.corpus / OT_FILE).read_bytes() == (CORPUS / OT_FILE).read_bytes()
    indexed = setup.indexed()
    assert sorted(indexed) == [OT_ID, "above-ms-occupational-therapy-2", NMSS_ID]
    assert indexed[OT_ID] == original


def test_two_uploads_with_the_same_safe_name_in_one_batch_are_both_kept(setup):
    first = setup.upload("a b (1).txt", "First upload about bladder symptoms and how to manage.")
    second = setup.upload("a b [1].txt", "Second upload about heat sensitivity and staying cool.")
    results = setup.add(first, second)
    assert all(r.ok for r in results)
    assert len({r.doc_id for r in results}) == 2


def test_upload_whose_id_is_taken_in_a_subfolder_gets_a_new_name(setup):
    (setup.corpus / "extra").mkdir()
    (setup.corpus / "extra" / "guide.txt").write_text(
        "Guide to pacing: rest between tasks and plan the day ahead.\n", encoding="utf-8"
    )
    setup.library.reindex(setup.messages.append)
    [result] = setup.add(setup.upload("guide.txt", FATIGUE))
    assert (result.ok, result.doc_id) == (True, "guide-2")
    assert sorted(setup.indexed()) == [OT_ID, "guide", "guide-2", NMSS_ID]


# update_metadata


def _entries(folder: Path) -> dict[str, dict]:
    data = json.loads((folder / METADATA_FILE).read_text(encoding="utf-8"))
    return {entry["file"]: entry for entry in data["documents"]}


def _effective(setup: Setup) -> dict[str, dict]:
    """The details ingest reads for each shipped file: documents.json with staff edits over it."""
    layers = Layers.of(setup.settings)
    shipped = read_entries(setup.corpus)
    return {name: layers.entry(setup.corpus / name, e).fields for name, e in shipped.items()}


def test_update_metadata_saves_entry_and_reindexes(setup):
    shipped = _files(setup.corpus)
    old_entry = _entries(setup.corpus)[NMSS_FILE]
    edit = MetadataEdit(
        title="  Rehabilitation in multiple sclerosis ",
        publisher="National MS Society",
        updated="2024-05",
        url="https://www.nationalmssociety.org/rehab",
    )
    result = setup.library.update_metadata(
        NMSS_ID, str(setup.corpus / NMSS_FILE), edit, setup.messages.append
    )
    assert result == FileResult(
        NMSS_ID, True, "Saved the details of “Rehabilitation in multiple sclerosis”.", NMSS_ID
    )
    assert _files(setup.corpus) == shipped  # the edit is kept in the data folder
    entry = _effective(setup)[NMSS_FILE]
    assert entry == {
        **old_entry,
        "title": "Rehabilitation in multiple sclerosis",
        "publisher": "National MS Society",
        "updated": "2024-05",
        "url": "https://www.nationalmssociety.org/rehab",
    }
    assert entry["cleaning"] == old_entry["cleaning"]
    assert entry["notes"] == old_entry["notes"]
    meta = build_assistant(setup.settings).source(NMSS_ID).meta
    assert (meta.doc_id, meta.title, meta.publisher, meta.updated, meta.url) == (
        NMSS_ID,
        "Rehabilitation in multiple sclerosis",
        "National MS Society",
        "2024-05",
        "https://www.nationalmssociety.org/rehab",
    )
    assert sorted(setup.indexed()) == [OT_ID, NMSS_ID]


CLEARED = MetadataEdit(title="Rehabilitation in MS", publisher=" ", updated="", url="")


def test_update_metadata_empty_fields_are_saved_as_null(setup):
    result = setup.library.update_metadata(
        NMSS_ID, str(setup.corpus / NMSS_FILE), CLEARED, setup.messages.append
    )
    assert result.ok is True
    entry = _effective(setup)[NMSS_FILE]
    assert (entry["publisher"], entry["updated"], entry["url"]) == (None, None, None)


def test_update_metadata_cleared_fields_are_cleared_in_the_index(setup):
    setup.library.update_metadata(
        NMSS_ID, str(setup.corpus / NMSS_FILE), CLEARED, setup.messages.append
    )
    meta = build_assistant(setup.settings).source(NMSS_ID).meta
    assert (meta.publisher, meta.updated) == (None, None)


@pytest.mark.parametrize(
    ("edit", "problem"),
    [
        (MetadataEdit(title=""), "the title is empty; every document needs one"),
        (MetadataEdit(title="   "), "the title is empty; every document needs one"),
        (MetadataEdit(title="x" * 301), "the title is longer than 300 characters"),
        (
            MetadataEdit(title="T", updated="2024-13-01"),
            "'2024-13-01' is not a date; write it as YYYY, YYYY-MM or YYYY-MM-DD",
        ),
        (
            MetadataEdit(title="T", updated="2023-02-29"),
            "'2023-02-29' is not a date; write it as YYYY, YYYY-MM or YYYY-MM-DD",
        ),
        (
            MetadataEdit(title="T", updated="next year"),
            "'next year' is not a date; write it as YYYY, YYYY-MM or YYYY-MM-DD",
        ),
        (
            MetadataEdit(title="T", updated="2999-01-01"),
            "'2999-01-01' is not a date; write it as YYYY, YYYY-MM or YYYY-MM-DD",
        ),
        (
            MetadataEdit(title="T", url="javascript:alert(1)"),
            "'javascript:alert(1)' is not a web address; it must start with http:// or https://",
        ),
        (
            MetadataEdit(title="T", url="https://example.org/a b"),
            "'https://example.org/a b' is not a web address; "
            "it must start with http:// or https://",
        ),
    ],
)
def test_invalid_metadata_is_refused_and_changes_nothing(setup, edit, problem):
    before = setup.corpus_state()
    indexed = setup.indexed()
    result = setup.library.update_metadata(
        NMSS_ID, str(setup.corpus / NMSS_FILE), edit, setup.messages.append
    )
    assert result == FileResult(NMSS_ID, False, f"Not saved: {problem}.", NMSS_ID)
    assert setup.corpus_state() == before
    assert setup.indexed() == indexed


def test_update_metadata_of_a_file_outside_the_corpus_is_refused(setup, tmp_path):
    outside = tmp_path / "elsewhere.txt"
    outside.write_text(FATIGUE, encoding="utf-8")
    before = setup.corpus_state()
    result = setup.library.update_metadata(
        "elsewhere", str(outside), MetadataEdit(title="Elsewhere"), setup.messages.append
    )
    assert result == FileResult(
        "elsewhere",
        False,
        f"Not saved: it was indexed from {outside}, outside the library folders "
        f"{setup.corpus}/ and {setup.added}/.",
        "elsewhere",
    )
    assert setup.corpus_state() == before


def test_update_metadata_of_an_uploaded_file_creates_its_entry(setup):
    setup.add(setup.upload("fatigue.txt", FATIGUE))
    assert not (setup.added / METADATA_FILE).exists()
    edit = MetadataEdit(title="Fatigue and heat", publisher="Our clinic", updated="2024")
    result = setup.library.update_metadata(
        "fatigue", str(setup.added / "fatigue.txt"), edit, setup.messages.append
    )
    assert result.ok is True
    assert _entries(setup.added)["fatigue.txt"] == {
        "file": "fatigue.txt",
        "doc_id": "fatigue",
        "title": "Fatigue and heat",
        "publisher": "Our clinic",
        "updated": "2024",
        "url": None,
    }
    meta = setup.indexed()["fatigue"].meta
    assert (meta.title, meta.publisher, meta.updated) == ("Fatigue and heat", "Our clinic", "2024")


# remove and reindex


def test_remove_of_a_shipped_document_leaves_its_file_and_drops_the_document(setup):
    shipped = _files(setup.corpus)
    nmss_before = setup.indexed()[NMSS_ID]
    result = setup.library.remove(OT_ID, str(setup.corpus / OT_FILE), setup.messages.append)
    changes = setup.settings.data_dir / "library.json"
    assert result == FileResult(
        OT_ID,
        True,
        f"Removed {OT_ID}. Its file stays in {setup.corpus}/ as shipped; to bring it back, "
        f"take “{OT_FILE}” out of the “removed” list in {changes}.",
        OT_ID,
    )
    assert _files(setup.corpus) == shipped
    assert json.loads(changes.read_text(encoding="utf-8")) == {"removed": [OT_FILE], "edited": {}}
    indexed = setup.indexed()
    assert list(indexed) == [NMSS_ID]
    assert indexed[NMSS_ID] == nmss_before


def test_remove_of_an_added_document_moves_its_file_aside(setup):
    setup.add(setup.upload("fatigue.txt", FATIGUE))
    edit = MetadataEdit(title="Fatigue and heat", publisher="Our clinic")
    setup.library.update_metadata(
        "fatigue", str(setup.added / "fatigue.txt"), edit, setup.messages.append
    )
    entry = _entries(setup.added)["fatigue.txt"]
    result = setup.library.remove("fatigue", str(setup.added / "fatigue.txt"), print)
    trash = setup.settings.data_dir / REMOVED_FOLDER
    assert result == FileResult(
        "fatigue",
        True,
        f"Removed fatigue. Its file was kept in {trash}/ in case you need it back.",
        "fatigue",
    )
    assert not (setup.added / "fatigue.txt").exists()
    moved = sorted(p.name for p in trash.iterdir())
    stamp = moved[0].removesuffix("-fatigue.txt")
    assert moved == [f"{stamp}-fatigue.txt", f"{stamp}-fatigue.txt.json"]
    assert (trash / moved[0]).read_text(encoding="utf-8") == FATIGUE
    assert json.loads((trash / moved[1]).read_text(encoding="utf-8")) == [entry]
    assert "fatigue.txt" not in _entries(setup.added)
    assert sorted(setup.indexed()) == [OT_ID, NMSS_ID]


def test_removed_document_does_not_come_back_on_reindex(setup):
    setup.library.remove(OT_ID, str(setup.corpus / OT_FILE), setup.messages.append)
    report = setup.library.reindex(setup.messages.append)
    assert (report.added, report.updated, report.unchanged, report.removed) == (
        [],
        [],
        [NMSS_ID],
        [],
    )
    assert report.failed == []
    assert list(setup.indexed()) == [NMSS_ID]
    assert OT_ID not in build_assistant(setup.settings).documents


def test_remove_of_a_document_whose_file_is_gone_only_updates_the_index(setup):
    (setup.corpus / OT_FILE).unlink()
    result = setup.library.remove(OT_ID, str(setup.corpus / OT_FILE), setup.messages.append)
    assert result == FileResult(OT_ID, True, f"Removed {OT_ID} from the index.", OT_ID)
    assert list(setup.indexed()) == [NMSS_ID]
    assert not (setup.settings.data_dir / REMOVED_FOLDER).exists()


def test_reindex_with_nothing_changed(setup):
    report = setup.library.reindex(setup.messages.append)
    assert sorted(report.unchanged) == [OT_ID, NMSS_ID]
    assert (report.added, report.updated, report.removed, report.failed) == ([], [], [], [])
    assert report.chunks_embedded == 0
    assert report.documents_in_index == 2


def test_upload_when_the_disk_is_full_is_refused_with_the_reason_and_changes_nothing(
    setup, monkeypatch
):
    import errno

    before = setup.corpus_state()

    def full(*args, **kwargs):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(ChromaStore, "_add", full)
    [result] = setup.add(setup.upload("fatigue.txt", FATIGUE))
    assert result.ok is False
    assert result.message.startswith(f"The disk that holds {setup.settings.index_dir}/ is full")
    assert result.message.endswith("Nothing was added.")
    assert setup.corpus_state() == before
    monkeypatch.undo()
    assert sorted(setup.indexed()) == [OT_ID, NMSS_ID]
