"""The library in two layers: the shipped corpus folder, which normal use never writes, and
what staff changed in the app, kept in the data folder (which git does not track).

The data folder holds the added files (`documents/`, with their own documents.json), the
details edited and the shipped files removed (`library.json`), and copies of added files that
were removed or replaced (`removed/`). Ingest reads the library through `Layers`, so
`python -m ingest` and the app see the same documents. This module reads and writes those
records; it does not index anything.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from assistant.settings import Settings
from ingest.cleaning import CleaningRules
from ingest.corpus import Entry, write_json
from ingest.reasons import refusal

ADDED_FOLDER = "documents"
CHANGES_FILE = "library.json"


@dataclass
class Layers:
    corpus: Path
    """The shipped corpus folder: read, never written."""
    data: Path
    """The data folder: everything people changed."""
    hidden: set[str] = field(default_factory=set)
    """Shipped files (relative to the corpus folder) removed from the library."""
    edits: dict[str, dict[str, Any]] = field(default_factory=dict)
    """Shipped file (relative to the corpus folder) -> details that replace those in its
    documents.json (title, publisher, updated, url, source_note, verified)."""

    @classmethod
    def of(cls, settings: Settings) -> Layers:
        layers = cls(settings.corpus_dir, settings.data_dir)
        path = layers.changes_path
        if not path.exists():
            return layers
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            layers.hidden = {str(name) for name in data.get("removed", [])}
            layers.edits = {str(k): dict(v) for k, v in data.get("edited", {}).items()}
        except (json.JSONDecodeError, AttributeError, TypeError, ValueError) as exc:
            raise refusal("bad_changes_file", path=str(path), error=str(exc)) from exc
        return layers

    @property
    def added(self) -> Path:
        """The folder of files added in the app."""
        return self.data / ADDED_FOLDER

    @property
    def changes_path(self) -> Path:
        return self.data / CHANGES_FILE

    def folders(self) -> list[Path]:
        """The folders that make up the library, shipped first."""
        return [self.corpus, *([self.added] if self.added.is_dir() else [])]

    def shipped_name(self, path: Path) -> str | None:
        """The path of a file relative to the shipped corpus folder, or None if it is not there
        (links are not followed: a link is judged where it is, not where it points)."""
        try:
            relative = Path(os.path.abspath(path)).relative_to(os.path.abspath(self.corpus))
        except ValueError:
            return None
        return relative.as_posix()

    def hides(self, path: Path) -> bool:
        return bool(self.hidden) and self.shipped_name(path) in self.hidden

    def entry(self, path: Path, entry: Entry | None) -> Entry | None:
        """The documents.json entry of a file with the details staff edited laid over it."""
        if not self.edits:
            return entry
        edit = self.edits.get(self.shipped_name(path) or "")
        if edit is None:
            return entry
        fields = {**(entry.fields if entry else {"file": path.name}), **edit}
        return Entry(fields=fields, rules=entry.rules) if entry else Entry(fields, CleaningRules())

    def save(self) -> None:
        """Write library.json whole, then swap it in, so a crash never leaves half a file."""
        self.data.mkdir(parents=True, exist_ok=True)
        data = {"removed": sorted(self.hidden), "edited": dict(sorted(self.edits.items()))}
        write_json(self.changes_path, data, pretty=True)
