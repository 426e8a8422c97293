"""The document library as staff manage it from the app: add files, edit metadata, remove.

Every change is written to the data folder (see ingest/layers.py: added files, edited details,
removed documents), never to the shipped corpus folder, and then goes through the same
idempotent ingest as `python -m ingest`, so the app and the command line can never disagree
about what is indexed. A file is checked (type, size, readable text) before it is copied,
so a bad upload changes nothing. A removed shipped file stays where it is, left out of the
library; a removed added file is moved to `<data folder>/removed/`, not deleted. This module
does not render anything.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import threading
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from assistant.embedding import Embedder
from assistant.errors import AssistantError, DocumentLoadError
from assistant.settings import Settings
from ingest.cleaning import CleaningRules
from ingest.corpus import (
    METADATA_FILE,
    Entry,
    budget_of,
    build_document,
    doc_id_of,
    find_files,
    read_entries,
    write_json,
)
from ingest.layers import Layers
from ingest.loaders import SUPPORTED
from ingest.pipeline import STAGING, IngestReport, Progress, remove_from_index, run_ingest_all
from ingest.reasons import reason_of

REMOVED_FOLDER = "removed"
"""Folder of the data folder where removed or replaced added files are kept, dated."""
_DATE = re.compile(r"^\d{4}(-\d{2}(-\d{2})?)?$")


@dataclass(frozen=True)
class FileResult:
    """What happened to one file or document, in a sentence a person understands."""

    name: str
    ok: bool
    message: str
    doc_id: str | None = None
    stored_as: str | None = None
    """The file's name in the folder of added files, when it was copied there."""
    reason: str = field(default="", compare=False)
    """What happened, as the key of a label the app shows in the reader's language (with
    `values` filled in); `message` is the same sentence in English, which equality compares."""
    values: dict[str, str] = field(default_factory=dict, compare=False)
    causes: tuple[str, ...] = field(default=(), compare=False)
    """What the label's {reason} or {reasons} stand for: each a `Reason` (with its own code,
    so the app says it in the reader's language too) or, for an index error, plain text."""


@dataclass(frozen=True)
class _Replaced:
    """What an upload replaced, to put back if ingest refuses it: an added file (its kept copy
    and its documents.json entry) or a shipped file (left out of the library meanwhile)."""

    file: Path | None = None
    entry: dict[str, Any] | None = None
    shipped: str | None = None


@dataclass(frozen=True)
class MetadataEdit:
    title: str
    publisher: str = ""
    updated: str = ""
    """YYYY, YYYY-MM or YYYY-MM-DD, or empty when the document does not say."""
    url: str = ""
    source_note: str | None = None
    """Where the text comes from; None leaves it as it is, empty clears it."""
    verified: bool | None = None
    """False: never quoted in answers (still found by find); None leaves it as it is."""


class Library:
    def __init__(self, settings: Settings, make_embedder: Callable[[Settings], Embedder]) -> None:
        self.settings = settings
        self.corpus = settings.corpus_dir
        self.added = Layers(settings.corpus_dir, settings.data_dir).added
        self._make_embedder = make_embedder
        # One change at a time: two uploads must not interleave their ingest runs.
        self._lock = threading.Lock()

    def reindex(self, progress: Progress) -> IngestReport:
        with self._lock:
            return self._ingest(progress)

    def add(self, files: list[Path], progress: Progress, replace: bool = False) -> list[FileResult]:
        """Check each file, copy the good ones into the folder of added files, then index them.

        A file whose name is already in the library with other content is refused unless staff
        confirm with `replace`; then its details (title, publisher, date, web address, cleaning
        rules) are cleared, because they vouched for the earlier text, not this one. A replaced
        added file is kept, with its details, in the data folder's removed/; a replaced shipped
        file stays in the corpus folder, left out of the library."""
        with self._lock:
            # Beside the index, or with a Chroma server (no index here) in the data folder.
            staging = (
                self.settings.data_dir if self.settings.chroma_url else self.settings.index_dir
            ) / STAGING
            staging.mkdir(parents=True, exist_ok=True)
            # Names taken by this batch -> what each one replaced, to put back on failure.
            batch: dict[str, _Replaced | None] = {}
            try:
                results = [self._stage(path, staging, batch, replace) for path in files]
                if any(r.stored_as for r in results):
                    try:
                        report = self._ingest(progress)
                    except AssistantError as exc:  # a full disk, a damaged index
                        failed = [(r.stored_as, str(exc)) for r in results if r.stored_as]
                        report = IngestReport(failed=failed)
                    confirmed = [self._confirm(r, report, batch) for r in results]
                    if confirmed != results:  # something was put back: index it as it was
                        self._ingest_if_possible(progress)
                    results = confirmed
            finally:
                shutil.rmtree(staging, ignore_errors=True)
            return results

    def update_metadata(
        self, doc_id: str, source_path: str, edit: MetadataEdit, progress: Progress
    ) -> FileResult:
        problem, reason, values = _invalid_edit(edit)
        path = Path(source_path)
        if not problem and not self._in_library(path):
            problem = (
                f"it was indexed from {path}, outside the library folders {self.corpus}/ "
                f"and {self.added}/"
            )
            reason = "lib_outside_library"
            values = {"path": str(path), "corpus": str(self.corpus), "added": str(self.added)}
        if problem:
            return FileResult(doc_id, False, f"Not saved: {problem}.", doc_id, None, reason, values)
        details: dict[str, Any] = {
            "title": edit.title.strip(),
            "publisher": edit.publisher.strip() or None,
            "updated": edit.updated.strip() or None,
            "url": edit.url.strip() or None,
        }
        if edit.source_note is not None:
            details["source_note"] = edit.source_note.strip() or None
        if edit.verified is not None:
            details["verified"] = edit.verified
        with self._lock:
            layers = Layers.of(self.settings)
            shipped = layers.shipped_name(path)
            if shipped is not None:  # the shipped documents.json stays as it is
                layers.edits[shipped] = {**layers.edits.get(shipped, {}), **details}
                layers.save()
            else:
                entries = _read_json(path.parent)
                _entry(entries, path.name, doc_id).update(details)
                _write_json(path.parent, entries)
            self._ingest(progress)
        title = edit.title.strip()
        said = f"Saved the details of “{title}”."
        return FileResult(doc_id, True, said, doc_id, None, "lib_saved", {"title": title})

    def remove(self, doc_id: str, source_path: str, progress: Progress) -> FileResult:
        """Take a document out of the library and the index. A shipped file stays where it is,
        left out; an added file moves to the data folder's removed/."""
        path = Path(source_path)
        with self._lock:
            if not self._in_library(path) or not path.exists():
                remove_from_index(self.settings, doc_id)
                said = f"Removed {doc_id} from the index."
                values = {"doc_id": doc_id}
                return FileResult(doc_id, True, said, doc_id, None, "lib_removed", values)
            layers = Layers.of(self.settings)
            shipped = layers.shipped_name(path)
            if shipped is not None:
                layers.hidden.add(shipped)
                layers.save()
                self._ingest(progress)
                values = {
                    "doc_id": doc_id,
                    "corpus": str(self.corpus),
                    "file": shipped,
                    "changes": str(layers.changes_path),
                }
                said = (
                    f"Removed {doc_id}. Its file stays in {self.corpus}/ as shipped; to bring it "
                    f"back, take “{shipped}” out of the “removed” list in {layers.changes_path}."
                )
                return FileResult(doc_id, True, said, doc_id, None, "lib_removed_shipped", values)
            kept_file = self._keep_removed(path)
            entries = _read_json(path.parent)
            kept = [e for e in entries["documents"] if e.get("file") != path.name]
            removed_entries = [e for e in entries["documents"] if e.get("file") == path.name]
            kept_file.with_name(f"{kept_file.name}.json").write_text(
                json.dumps(removed_entries, indent=2, ensure_ascii=False), encoding="utf-8"
            )
            path.unlink()
            if removed_entries:
                _write_json(path.parent, {**entries, "documents": kept})
            self._ingest(progress)
        return FileResult(
            doc_id,
            True,
            f"Removed {doc_id}. Its file was kept in {kept_file.parent}/ in case you need it back.",
            doc_id,
            reason="lib_removed_kept",
            values={"doc_id": doc_id, "folder": str(kept_file.parent)},
        )

    def _ingest(self, progress: Progress) -> IngestReport:
        """Both indexes (see run_ingest_all); the report of the main one, which speaks for
        the files (the second index reads the same files)."""
        folders = Layers.of(self.settings).folders()
        reports = run_ingest_all(folders, self.settings, self._make_embedder, progress=progress)
        return reports[0]

    def _ingest_if_possible(self, progress: Progress) -> None:
        try:
            self._ingest(progress)
        except AssistantError as exc:  # still full: the next change or start catches up
            progress(str(exc))

    def _in_library(self, path: Path) -> bool:
        parents = path.resolve().parents
        return self.corpus.resolve() in parents or self.added.resolve() in parents

    def _stage(
        self, upload: Path, staging: Path, batch: dict[str, _Replaced | None], replace: bool
    ) -> FileResult:
        """Check one upload and, if it is good, move it into the library under a safe name."""
        shown = upload.name
        problem, reason, values = self._upload_problem(upload)
        if problem:
            values = {"name": shown, **values}
            return FileResult(shown, False, f"{shown}: {problem}", reason=reason, values=values)
        layers = Layers.of(self.settings)
        same = self._same_content(upload, layers)
        if same is not None and same.name == safe_filename(shown):
            said = f"{shown}: already in the library, unchanged."
            return FileResult(shown, True, said, reason="lib_unchanged", values={"name": shown})
        if same is not None:
            said = f"{shown}: the library already has this file, as {same.name}. Nothing was added."
            values = {"name": shown, "same": same.name}
            return FileResult(shown, False, said, reason="lib_duplicate", values=values)
        name = self._free_name(safe_filename(shown), batch, layers)
        existing = self._existing(name, layers)
        earlier = self._entry_of(name, layers) if existing is not None else None
        if existing is not None and not replace:
            title = (earlier or {}).get("title") or name
            return FileResult(
                shown,
                False,
                f"{shown}: the library already has a different file of this name (“{title}”). "
                "Nothing was changed. To replace it, tick “Replace documents that have the same "
                "file name” and add it again.",
                reason="lib_name_taken",
                values={"name": shown, "title": title},
            )
        staged = staging / name
        shutil.copyfile(upload, staged)
        cleared = _cleared_entry(name, earlier) if existing is not None and earlier else None
        entry = _as_entry(cleared) if cleared else read_entries(self.added).get(name)
        try:
            document = build_document(staged, entry, budget_of(self.settings))
        except DocumentLoadError as exc:
            return _not_added(shown, reason_of(exc))
        batch[name] = self._set_aside(existing, layers, cleared)
        shutil.move(staged, self.added / name)
        if existing is None:
            values = {"name": shown, "title": document.meta.title}
            said = f"{shown}: added as “{document.meta.title}”."
            return FileResult(shown, True, said, document.doc_id, name, "lib_added", values)
        message = (
            f"{shown}: replaces the earlier version as “{document.meta.title}”. Its title, "
            "publisher, date and web address described the earlier version and were cleared: "
            "check them under “Edit or remove a document” and save."
        )
        values = {"name": shown, "title": document.meta.title}
        return FileResult(shown, True, message, document.doc_id, name, "lib_replaced", values)

    def _set_aside(
        self, existing: Path | None, layers: Layers, cleared: dict[str, Any] | None
    ) -> _Replaced | None:
        """Make room in the folder of added files for an upload that replaces `existing`:
        a shipped file is left out of the library, an added one kept in removed/; the new
        file gets the `cleared` entry."""
        self.added.mkdir(parents=True, exist_ok=True)
        if existing is None:
            return None
        entries = _read_json(self.added)
        earlier = next((e for e in entries["documents"] if e.get("file") == existing.name), None)
        shipped = layers.shipped_name(existing)
        if shipped is not None:
            layers.hidden.add(shipped)
            layers.save()
            replaced = _Replaced(entry=earlier, shipped=shipped)
        else:
            kept = self._keep_removed(existing)
            kept.with_name(f"{kept.name}.json").write_text(
                json.dumps([earlier] if earlier else [], indent=2, ensure_ascii=False),
                encoding="utf-8",
            )
            replaced = _Replaced(file=kept, entry=earlier)
        if cleared is not None or earlier is not None:
            others = [e for e in entries["documents"] if e.get("file") != existing.name]
            entries["documents"] = others + ([cleared] if cleared else [])
            _write_json(self.added, entries)
        return replaced

    def _confirm(
        self, result: FileResult, report: IngestReport, batch: dict[str, _Replaced | None]
    ) -> FileResult:
        """The staged result, unless ingest refused the file; then the library is put back."""
        failed = dict(report.failed)
        if result.stored_as is None or result.stored_as not in failed:
            return result
        name = result.stored_as
        (self.added / name).unlink(missing_ok=True)
        earlier = batch.get(name) or _Replaced()
        if earlier.file is not None:
            shutil.copyfile(earlier.file, self.added / name)
        entries = _read_json(self.added)
        others = [e for e in entries["documents"] if e.get("file") != name]
        if others != entries["documents"] or earlier.entry is not None:
            entries["documents"] = others + ([earlier.entry] if earlier.entry else [])
            _write_json(self.added, entries)
        if earlier.shipped is not None:
            layers = Layers.of(self.settings)
            layers.hidden.discard(earlier.shipped)
            layers.save()
        return _not_added(result.name, failed[name])

    def _same_content(self, upload: Path, layers: Layers) -> Path | None:
        """A file in the library with exactly the upload's bytes (also one added just before
        in the same batch), so a duplicate is never indexed twice."""
        size = upload.stat().st_size
        data: bytes | None = None
        for path in find_files(layers.folders()):
            if path.stat().st_size != size or layers.hides(path):
                continue
            data = upload.read_bytes() if data is None else data
            if path.read_bytes() == data:
                return path
        return None

    def _existing(self, name: str, layers: Layers) -> Path | None:
        """The file of this name in the library that an upload of it would replace."""
        if (self.added / name).is_file():
            return self.added / name
        shipped = self.corpus / name
        if shipped.is_file() and not layers.hides(shipped):
            return shipped
        return None

    def _entry_of(self, name: str, layers: Layers) -> dict[str, Any] | None:
        """The details of the library's file of this name (with staff edits), if any."""
        added = read_entries(self.added).get(name)
        if added is not None or (self.added / name).is_file():
            return added.fields if added else None
        shipped = layers.entry(self.corpus / name, read_entries(self.corpus).get(name))
        return shipped.fields if shipped else None

    def _keep_removed(self, path: Path) -> Path:
        """Copy a file about to be replaced or removed into the data folder's removed/, dated."""
        trash = self.settings.data_dir / REMOVED_FOLDER
        trash.mkdir(parents=True, exist_ok=True)
        kept = trash / f"{datetime.now(UTC).strftime('%Y%m%dT%H%M%S')}-{path.name}"
        shutil.copyfile(path, kept)
        return kept

    def _upload_problem(self, upload: Path) -> tuple[str, str, dict[str, str]]:
        """(why the file cannot be added, in English, as a label key, the label's values)."""
        suffix = upload.suffix.lower()
        if suffix not in SUPPORTED:
            values = {"suffix": suffix or "(none)", "types": ", ".join(SUPPORTED)}
            return (
                f"files of type '{values['suffix']}' cannot be added. "
                f"Save it as one of {values['types']}.",
                "lib_bad_type",
                values,
            )
        size = upload.stat().st_size
        limit = self.settings.max_upload_mb * 1024 * 1024
        if size > limit:
            values = {
                "size": f"{size / 1024 / 1024:.1f}",
                "limit": str(self.settings.max_upload_mb),
            }
            return (
                f"the file is {values['size']} MB and the limit is "
                f"{values['limit']} MB. Split it into smaller files.",
                "lib_too_big",
                values,
            )
        return "", "", {}

    def _free_name(self, name: str, batch: dict[str, _Replaced | None], layers: Layers) -> str:
        """`name`, or `name-2`, `name-3`... when its document id belongs to another file,
        or another file of this batch already took the name."""
        taken = self._ids_by_file(layers)
        stem, suffix = os.path.splitext(name)
        candidate, number = name, 1
        while True:
            fields = self._entry_of(candidate, layers)
            entry = _as_entry(fields) if fields else None
            owner = taken.get(doc_id_of(Path(candidate), entry))
            replaceable = owner is None or owner == self._existing(candidate, layers)
            if replaceable and candidate not in batch:
                return candidate
            number += 1
            candidate = f"{stem}-{number}{suffix}"

    def _ids_by_file(self, layers: Layers) -> dict[str, Path]:
        """Document id -> the file in the library that holds it."""
        folders: dict[Path, dict[str, Entry]] = {}
        ids: dict[str, Path] = {}
        for path in find_files(layers.folders()):
            if layers.hides(path):
                continue
            entries = folders.setdefault(path.parent, read_entries(path.parent))
            ids[doc_id_of(path, layers.entry(path, entries.get(path.name)))] = path
        return ids


def _not_added(name: str, reason: str) -> FileResult:
    """A file ingest refused (`reason` a `Reason`, or plain text when the index failed)."""
    said = f"{reason} Nothing was added."
    values = {"reason": str(reason)}
    return FileResult(name, False, said, reason="lib_not_added", values=values, causes=(reason,))


def safe_filename(name: str) -> str:
    """A plain file name that stays inside the corpus folder, whatever the upload was called."""
    base = Path(re.split(r"[\\/]", unicodedata.normalize("NFKC", name))[-1])
    # Path's idea of the suffix, the same one the upload check uses ("..txt" is a .txt).
    stem, suffix = base.stem, base.suffix
    stem = re.sub(r"[^\w.-]+", "-", stem, flags=re.ASCII).strip(".-_")[:100]
    return f"{stem or 'document'}{suffix.lower()}"


def _invalid_edit(edit: MetadataEdit) -> tuple[str, str, dict[str, str]]:
    """(what is wrong with the edit, in English, as a label key, the label's values)."""
    if not edit.title.strip():
        return "the title is empty; every document needs one", "lib_no_title", {}
    if len(edit.title) > 300:
        return "the title is longer than 300 characters", "lib_title_long", {}
    updated = edit.updated.strip()
    if updated and (not _DATE.match(updated) or not _valid_date(updated)):
        return (
            f"'{updated}' is not a date; write it as YYYY, YYYY-MM or YYYY-MM-DD",
            "lib_bad_date",
            {"value": updated},
        )
    if edit.source_note and len(edit.source_note) > 1000:
        return "the source note is longer than 1000 characters", "lib_note_long", {}
    url = edit.url.strip()
    if url and not re.match(r"^https?://\S+$", url):
        return (
            f"'{url}' is not a web address; it must start with http:// or https://",
            "lib_bad_url",
            {"value": url},
        )
    return "", "", {}


def _valid_date(value: str) -> bool:
    parts = [int(p) for p in value.split("-")] + [1, 1]
    try:
        return date(parts[0], parts[1], parts[2]) <= date.today()
    except ValueError:
        return False


def _read_json(folder: Path) -> dict[str, Any]:
    path = folder / METADATA_FILE
    if not path.exists():
        return {"documents": []}
    data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    data.setdefault("documents", [])
    return data


def _write_json(folder: Path, data: dict[str, Any]) -> None:
    """Write documents.json whole, then swap it in, so a crash never leaves half a file."""
    write_json(folder / METADATA_FILE, data, pretty=True)


def _cleared_entry(file_name: str, earlier: dict[str, Any]) -> dict[str, Any]:
    """The entry of a replaced file: only its name and document id (so links keep working);
    title, publisher, date, web address and cleaning rules are for staff to check again."""
    entry = {"file": file_name}
    if earlier.get("doc_id"):
        entry["doc_id"] = earlier["doc_id"]
    return entry


def _as_entry(fields: dict[str, Any]) -> Entry:
    return Entry(fields=fields, rules=CleaningRules())


def _entry(entries: dict[str, Any], file_name: str, doc_id: str) -> dict[str, Any]:
    for entry in entries["documents"]:
        if entry.get("file") == file_name:
            return entry  # type: ignore[no-any-return]
    entry = {"file": file_name, "doc_id": doc_id}
    entries["documents"].append(entry)
    return entry
