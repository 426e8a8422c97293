"""Find the files to index and turn each into a cleaned `Document` with its metadata.

Metadata comes from `documents.json` in the file's folder when it has an entry for the
file; otherwise from what the file says about itself (HTML title, PDF info, a first
heading line, a "Last updated" line). Nothing is made up: a field nobody states is None,
and a document whose origin nobody recorded says so in its `source_note`.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from assistant.models import Document, DocumentMeta
from assistant.settings import Settings
from assistant.store import INDEX_FORMAT
from ingest.cleaning import CleaningRules, clean_text
from ingest.loaders import Budget, RawDocument, load_file
from ingest.reasons import refusal

METADATA_FILE = "documents.json"


@dataclass(frozen=True)
class Entry:
    """What documents.json says about one file (empty for files it does not list)."""

    fields: dict[str, Any]
    rules: CleaningRules


def find_files(paths: list[Path]) -> list[Path]:
    """Every candidate file under the given paths, sorted; hidden files and folders and the
    metadata files skipped. Links to folders are not followed (as `Path.rglob`)."""
    files: set[Path] = set()
    for path in paths:
        if path.is_dir():
            files.update(_files_under(path))
        elif path.is_file():
            files.add(path)
    return sorted(files, key=lambda path: path.parts)  # Path's order, without its slow __lt__


def _files_under(folder: Path) -> Iterator[Path]:
    """The files in a folder and its subfolders (one directory listing each, the kind of
    each entry from the listing: at 33,000 files, a third of the time of rglob and a stat each)."""
    with os.scandir(folder) as entries:
        for entry in entries:
            if entry.name.startswith("."):
                continue
            if entry.is_dir() and not entry.is_symlink():
                yield from _files_under(folder / entry.name)
            elif entry.is_file() and entry.name != METADATA_FILE:
                yield folder / entry.name


def write_json(path: Path, data: Any, pretty: bool = False) -> None:
    """Write `data` to `path` as JSON, whole, then swap it in (from a hidden `.NAME.part`
    beside it), so a crash never leaves half a file; `pretty` for files people read."""
    partial = path.with_name(f".{path.name}.part")
    text = json.dumps(data, indent=2, ensure_ascii=False) + "\n" if pretty else json.dumps(data)
    try:
        partial.write_text(text, encoding="utf-8")
        os.replace(partial, path)
    except OSError:
        partial.unlink(missing_ok=True)
        raise


def read_entries(folder: Path) -> dict[str, Entry]:
    """documents.json of a folder, by file name. A broken file is an error, not a silent skip."""
    meta_path = folder / METADATA_FILE
    if not meta_path.exists():
        return {}
    try:
        data = json.loads(meta_path.read_text(encoding="utf-8"))
        entries = {}
        for item in data["documents"]:
            if not isinstance(item.get("verified", True), bool):
                raise ValueError(f"'verified' of {item['file']} must be true or false")
            cleaning = item.get("cleaning") or {}
            rules = CleaningRules(
                furniture=list(cleaning.get("furniture", [])),
                strip=list(cleaning.get("strip", [])),
                cut_from=list(cleaning.get("cut_from", [])),
                drop_blocks=[(a, b) for a, b in cleaning.get("drop_blocks", [])],
            )
            entries[item["file"]] = Entry(fields=item, rules=rules)
        return entries
    except (json.JSONDecodeError, KeyError, TypeError, ValueError) as exc:
        raise refusal("bad_metadata_file", path=str(meta_path), error=str(exc)) from exc


def identify(path: Path, entry: Entry | None) -> tuple[str, str]:
    """(doc_id, content hash) without parsing the file, to skip unchanged files quickly."""
    fields = entry.fields if entry else {}
    return doc_id_of(path, entry), hashes_of(path.read_bytes(), fields)[0]


def doc_id_of(path: Path, entry: Entry | None) -> str:
    """The document id a file gets: its documents.json `doc_id`, else its name as a slug."""
    return (entry.fields.get("doc_id") if entry else None) or slugify(path.stem)


def build_document(path: Path, entry: Entry | None, budget: Budget | None = None) -> Document:
    """Load, clean and describe one file. Raises DocumentLoadError if it has no usable text
    or is over the budget (see loaders.Budget)."""
    raw = load_file(path, budget)
    fields = dict(entry.fields) if entry else {}
    rules = entry.rules if entry else CleaningRules()
    title = fields.get("title") or raw.found_meta.get("title") or ""
    text, page_starts = _clean_pages(raw, title, rules)
    if len(text.split()) < 5:
        raise refusal("no_text_after_cleaning", name=path.name)
    doc_id, content_hash = identify(path, entry)
    meta = DocumentMeta(
        doc_id=doc_id,
        title=title or _first_line(text) or path.stem,
        publisher=fields.get("publisher"),
        author=fields.get("author") or raw.found_meta.get("author"),
        updated=fields["updated"] if "updated" in fields else find_updated(raw),
        language=fields.get("language") or raw.found_meta.get("language") or "en",
        url=fields.get("url"),
        source_note=fields.get("source_note") or unrecorded_origin(path),
        verified=fields.get("verified", True),
    )
    return Document(
        meta=meta,
        text=text,
        source_path=str(path),
        content_hash=content_hash,
        page_starts=page_starts,
    )


def unrecorded_origin(path: Path) -> str:
    """The source note of a file nobody described in documents.json (e.g. an upload)."""
    added = datetime.fromtimestamp(path.stat().st_mtime, UTC).date().isoformat()
    return f"Added on {added}; origin not recorded."


def _clean_pages(raw: RawDocument, title: str, rules: CleaningRules) -> tuple[str, tuple[int, ...]]:
    if len(raw.pages) == 1:
        return clean_text(raw.pages[0], title, rules), ()
    parts: list[str] = []
    starts: list[int] = []
    offset = 0
    for page in raw.pages:
        starts.append(offset)
        cleaned = clean_text(page, title, rules)
        parts.append(cleaned)
        offset += len(cleaned) + 2
    return "\n\n".join(parts), tuple(starts)


def hashes_of(data: bytes, fields: dict[str, Any]) -> tuple[str, str]:
    """(content hash, digest of the bytes alone), the bytes hashed once for both."""
    digest = hashlib.sha256(data)
    alone = digest.hexdigest()
    digest.update(recipe_of(fields))
    return digest.hexdigest(), alone


def recipe_of(fields: dict[str, Any]) -> bytes:
    """What goes into a content hash besides the file's bytes: its documents.json details and
    the index format."""
    return json.dumps(fields, sort_keys=True).encode() + INDEX_FORMAT.encode()


def budget_of(settings: Settings) -> Budget:
    """The per-file reading budget the settings allow."""
    return Budget(max_chars=settings.max_document_chars, max_seconds=settings.max_read_seconds)


def slugify(name: str) -> str:
    slug = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")
    return slug or "document"


def _first_line(text: str) -> str:
    first = text.split("\n", 1)[0].strip()
    return first if len(first) <= 120 else ""


_MONTHS = [
    "january",
    "february",
    "march",
    "april",
    "may",
    "june",
    "july",
    "august",
    "september",
    "october",
    "november",
    "december",
]
_UPDATED = re.compile(
    r"(?:last\s+(?:updated|reviewed|modified)|updated|reviewed)\s*:?\s*"
    r"(?:(?P<d1>\d{1,2})(?:st|nd|rd|th)?\s+)?(?P<month>[A-Za-z]+)\.?\s+(?:(?P<d2>\d{1,2}),?\s+)?(?P<year>\d{4})",
    re.IGNORECASE,
)


def find_updated(raw: RawDocument) -> str | None:
    """An ISO date from a 'Last updated July 25, 2007' or 'Last reviewed: March 2022' line."""
    for page in raw.pages:
        for match in _UPDATED.finditer(page):
            month = match["month"].lower()
            if month not in _MONTHS:
                continue
            day = match["d1"] or match["d2"]
            iso = f"{match['year']}-{_MONTHS.index(month) + 1:02d}"
            return f"{iso}-{int(day):02d}" if day else iso
    return None
