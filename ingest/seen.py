"""What ingest learnt about the library's files in its earlier runs, so that a run reads only
the files that changed (like git's index).

For each file: its size, modification and change times (in nanoseconds) and inode when it
was hashed, and what it hashed to: the digest of its bytes (to find copies of a file) and its
content hash (bytes, documents.json details and INDEX_FORMAT: the version the index records).
A file whose stat is the same as then is trusted to have the same bytes; one whose stat
changed in any way is read again. The change time (ctime) is set by the system, never by a
program, so a file replaced by another of the same size and modification time (`cp -p`,
`touch -d`, `rsync -t`) still counts as changed, and so does one edited in place with its
modification time put back. A file read within two seconds of its last change is not
remembered: a second change within the file system's clock tick could keep the same times
(git's "racily clean" case).

Also the files that failed to read for a reason that depends only on their content (cleaning
left no text, a damaged or encrypted PDF, a binary file...), with the reason: such a file is
not parsed again until it changes. Failures that depend on settings or on time (too long,
too slow to read) are not remembered.

Kept as JSON beside the index (`SEEN_FILE` in the index folder; in the data folder with a
Chroma server), written whole and swapped in at the end of a run. `python -m ingest --rehash`
(and `--reset`) reads every file again. Nothing here decides what is indexed: it only spares
reading and parsing files.
"""

from __future__ import annotations

import hashlib
import json
import os
import time
from contextlib import suppress
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from assistant.errors import DocumentLoadError
from ingest.corpus import Entry, doc_id_of, hashes_of, recipe_of, write_json
from ingest.reasons import refusal

SEEN_FILE = "files_seen.json"
_FORMAT = 1
_RACY_NS = 2_000_000_000
"""A file changed this recently (ns) is hashed but not remembered."""
REMEMBERED_FAILURES = frozenset(
    {
        "no_text_after_cleaning",
        "empty_file",
        "binary_file",
        "not_utf8",
        "wrong_encoding_mark",
        "unsupported_type",
        "no_file_type",
        "encrypted_pdf",
        "damaged_pdf",
        "no_text_layer",
    }
)
"""Reasons a file fails whatever the settings and however busy the machine is."""


@dataclass
class _Known:
    stat: list[int]
    """size, mtime_ns, ctime_ns, inode when it was read."""
    digest: str
    """sha256 of the bytes alone."""
    versions: dict[str, str] = field(default_factory=dict)
    """recipe (a digest of the documents.json details and INDEX_FORMAT) -> content hash."""
    failed: dict[str, Any] | None = None
    """{"hash", "code", "values"} of a remembered failure of this content."""


@dataclass
class SeenFiles:
    """The files' stats and hashes from earlier runs (`known`) and this one's (`now`)."""

    path: Path | None
    known: dict[str, _Known] = field(default_factory=dict)
    now: dict[str, _Known] = field(default_factory=dict)
    listed: tuple[list[Path], dict[Path, Path]] | None = None
    """This run's files and which are copies of which (pipeline._copies), as its first pass
    (the look at the index in place) found them: the run in the copy does not list again."""

    @classmethod
    def load(cls, path: Path | None, trust: bool = True) -> SeenFiles:
        """What `path` remembers; nothing when `trust` is False (every file is read again),
        the file is missing or was written by another version."""
        seen = cls(path)
        if path is None or not trust:
            return seen
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            if data.get("format") == _FORMAT:
                seen.known = {name: _Known(**each) for name, each in data["files"].items()}
        except (OSError, ValueError, TypeError, KeyError, AttributeError):
            seen.known = {}  # unreadable: every file is read again, as before there was one
        return seen

    def identify(self, path: Path, entry: Entry | None) -> tuple[str, str]:
        """(doc_id, content hash), like corpus.identify, reading the file only if its stat
        changed since it was last read."""
        fields = entry.fields if entry else {}
        recipe = _recipe(fields)
        known = self._current(path)
        if known is None or recipe not in known.versions:
            known = self._read(path, fields)
        return doc_id_of(path, entry), known.versions[recipe]

    def digest(self, path: Path) -> str:
        """sha256 of the file's bytes, read only if its stat changed."""
        known = self._current(path)
        return known.digest if known is not None else self._read(path, {}).digest

    def failure(self, path: Path, content_hash: str) -> DocumentLoadError | None:
        """The remembered failure of this version of the file, if any."""
        known = self.now.get(str(path))
        failed = known.failed if known is not None else None
        if failed is None or failed["hash"] != content_hash:
            return None
        return refusal(failed["code"], **failed["values"])

    def failed(self, path: Path, content_hash: str, error: DocumentLoadError) -> None:
        """Remember why this version of the file failed, when it fails the same way always."""
        known = self.now.get(str(path))
        if known is not None and error.code in REMEMBERED_FAILURES:
            known.failed = {"hash": content_hash, "code": error.code, "values": error.values}

    def save(self) -> None:
        """Write what this run saw (and what earlier runs saw of files it did not look at and
        that still exist), whole, then swap it in."""
        if self.path is None:
            return
        files = {n: k for n, k in self.known.items() if n not in self.now and os.path.exists(n)}
        files.update(self.now)
        data = {"format": _FORMAT, "files": {n: k.__dict__ for n, k in sorted(files.items())}}
        with suppress(OSError):  # a full disk: the next run reads the files again
            self.path.parent.mkdir(parents=True, exist_ok=True)
            write_json(self.path, data)

    def _current(self, path: Path) -> _Known | None:
        """What is known of the file, if its stat is still the one it had when it was read."""
        name = str(path)
        known = self.now.get(name) or self.known.get(name)
        if known is None or known.stat != _stat_of(os.stat(path)):
            return None
        self.now[name] = known
        return known

    def _read(self, path: Path, fields: dict[str, Any]) -> _Known:
        """Hash the file; remembered (for the next run) only if nothing changed it while it
        was read and its last change is not too recent to tell apart from a next one."""
        with path.open("rb") as file:
            before = os.fstat(file.fileno())
            data = file.read()
            after = os.fstat(file.fileno())
        content_hash, digest = hashes_of(data, fields)
        stat = _stat_of(before)
        earlier = self.now.get(str(path))
        known = _Known(stat, digest)
        if earlier is not None and earlier.stat == stat:  # the same bytes, other details
            known.versions.update(earlier.versions)
        known.versions[_recipe(fields)] = content_hash
        steady = stat == _stat_of(after)
        settled = time.time_ns() - max(before.st_mtime_ns, before.st_ctime_ns) > _RACY_NS
        if steady and settled:
            self.now[str(path)] = known
        else:
            self.now.pop(str(path), None)
        return known


def _recipe(fields: dict[str, Any]) -> str:
    """A short name for what besides the bytes goes into a content hash."""
    return hashlib.sha256(recipe_of(fields)).hexdigest()[:20]


def _stat_of(stat: os.stat_result) -> list[int]:
    return [stat.st_size, stat.st_mtime_ns, stat.st_ctime_ns, stat.st_ino]
