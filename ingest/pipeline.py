"""Bring the index in line with the files: add new, replace changed, drop removed ones.

Unchanged files are recognised by a hash of their bytes and metadata before anything is
parsed or embedded, so a second run over the same corpus loads no model and takes about a
second. A file that cannot be read is reported and skipped; its previously indexed version,
if any, stays in the index.

Each file is parsed and chunked once for both indexes (main and multilingual); chunks and
sentences of several documents are embedded and written to Chroma together, in the order that
keeps the previous index usable if the run is killed (see assistant/store.py).
"""

from __future__ import annotations

import dataclasses
import hashlib
import os
import shutil
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from assistant.embedding import Embedder
from assistant.errors import DocumentLoadError, IndexMismatchError
from assistant.models import Chunk, Document
from assistant.settings import Settings
from assistant.store import IndexedDocument, Store, forget_open_stores, open_store
from ingest.chunking import chunk_document
from ingest.corpus import (
    Entry,
    budget_of,
    build_document,
    find_files,
    identify,
    read_entries,
)
from ingest.layers import Layers
from ingest.reasons import Reason, reason_of, refusal

Progress = Callable[[str], None]


@dataclass
class IngestReport:
    added: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    failed: list[tuple[str, str]] = field(default_factory=list)
    """(file name, reason) of files that could not be indexed; each reason is a `Reason`
    (ingest/reasons.py) when ingest refused the file, plain text for an index error."""
    chunks_embedded: int = 0
    documents_in_index: int = 0
    seconds: float = 0.0

    @property
    def usable(self) -> bool:
        """Something usable is indexed (the exit code is non-zero otherwise)."""
        return self.documents_in_index > 0

    def summary(self) -> str:
        lines = [
            f"Index: {self.documents_in_index} documents. This run: {len(self.added)} added, "
            f"{len(self.updated)} updated, {len(self.unchanged)} unchanged, "
            f"{len(self.removed)} removed, {self.chunks_embedded} chunks embedded "
            f"in {self.seconds:.1f} s."
        ]
        if self.failed:
            lines.append(f"{len(self.failed)} file(s) could not be indexed:")
            lines.extend(f"  - {reason}" for _, reason in self.failed)
        return "\n".join(lines)


def _stderr(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def run_ingest_all(
    paths: list[Path],
    settings: Settings,
    make_embedder: Callable[[Settings], Embedder],
    reset: bool = False,
    progress: Progress = _stderr,
) -> list[IngestReport]:
    """Index the files into the main index and, when one is configured, into the multilingual
    index for questions not in English (same files, another model): one report for each.

    With `reset`, both are built from nothing in a folder beside the index and swapped in at
    the end, so a run that is killed on the way leaves the previous index whole (and a
    damaged index can always be replaced this way). A Chroma server's collections cannot be
    swapped like a folder: there a reset empties them first."""
    if settings.chroma_url:
        return _ingest_each(paths, settings, make_embedder, progress, reset)
    recover_index(settings.index_dir)
    if not reset:
        return _ingest_each(paths, settings, make_embedder, progress)
    fresh = settings.index_dir.with_name(f"{settings.index_dir.name}{_BUILDING}")
    shutil.rmtree(fresh, ignore_errors=True)
    built = dataclasses.replace(settings, index_dir=fresh)
    reports = _ingest_each(paths, built, make_embedder, progress)
    _swap_in(fresh, settings.index_dir)
    return reports


def _ingest_each(
    paths: list[Path],
    settings: Settings,
    make_embedder: Callable[[Settings], Embedder],
    progress: Progress,
    reset: bool = False,
) -> list[IngestReport]:
    lanes = [_Lane(settings, lambda: make_embedder(settings))]
    second = settings.translated()
    if second is not None:
        progress(f"Also the multilingual index ({second.embedder}) for other languages.")
        lanes.append(_Lane(second, lambda: make_embedder(second), " (multilingual index)"))
    return _run_lanes(paths, lanes, reset, progress)


_BUILDING = ".new"
_REPLACED = ".old"


def _swap_in(fresh: Path, index_dir: Path) -> None:
    """Put the folder `fresh` in the place of `index_dir`: two renames, and the previous
    index deleted only once the new one is in place."""
    old = index_dir.with_name(f"{index_dir.name}{_REPLACED}")
    shutil.rmtree(old, ignore_errors=True)
    if index_dir.exists():
        os.rename(index_dir, old)
    os.rename(fresh, index_dir)
    shutil.rmtree(old, ignore_errors=True)
    forget_open_stores()


def recover_index(index_dir: Path) -> None:
    """Finish what a run killed in the middle of `_swap_in` left: the previous index back in
    its place if the new one never got there, else the previous one deleted."""
    old = index_dir.with_name(f"{index_dir.name}{_REPLACED}")
    if old.exists() and not index_dir.exists():
        os.rename(old, index_dir)
    shutil.rmtree(old, ignore_errors=True)


def run_ingest(
    paths: list[Path],
    settings: Settings,
    make_embedder: Callable[[], Embedder],
    reset: bool = False,
    progress: Progress = _stderr,
) -> IngestReport:
    return _run_lanes(paths, [_Lane(settings, make_embedder)], reset, progress)[0]


@dataclass
class _Lane:
    """One index being brought in line with the files, and what is waiting to be written."""

    settings: Settings
    make_embedder: Callable[[], Embedder]
    where: str = ""
    report: IngestReport = field(default_factory=IngestReport)
    indexed: dict[str, Document] = field(default_factory=dict)
    waiting: list[tuple[str, Document, list[Chunk]]] = field(default_factory=list)
    records_waiting: int = 0
    store: Store | None = None
    embedder: Embedder | None = None


WRITE_BATCH = 4_000
"""Records (chunks and sentences) gathered from several documents before they are embedded
and written together: Chroma takes one large batch several times faster than many small ones."""


def _run_lanes(
    paths: list[Path], lanes: list[_Lane], reset: bool, progress: Progress
) -> list[IngestReport]:
    """Each file is read, cleaned and chunked once, for every index that lacks its version."""
    started = time.perf_counter()
    for lane in lanes:
        lane.store = _open_store(lane.settings, reset, progress)
        lane.indexed = lane.store.documents()
    files = find_files(paths)
    layers = Layers.of(lanes[0].settings)
    claimed: dict[str, Path] = {}
    entries: dict[Path, dict[str, Entry]] = {}
    refused: set[str] = set()
    for number, path in enumerate(files, start=1):
        label = f"[{number}/{len(files)}]"
        if layers.hides(path):  # removed in the app: out of the index, file left as shipped
            refused.add(str(path))
            continue
        try:
            _refuse_outside_link(path, paths, refused)
            entry = layers.entry(path, _entry_for(path, entries))
            doc_id, content_hash = identify(path, entry)
            _claim(claimed, doc_id, path)
            for lane in lanes:
                _refuse_taken_id(doc_id, path, lane.indexed.get(doc_id), layers)
            behind = [lane for lane in lanes if not _holds(lane, doc_id, content_hash)]
            if not behind:
                continue
            document = build_document(path, entry, budget_of(lanes[0].settings))
        except (DocumentLoadError, OSError) as exc:
            reason = _reason(path, exc)
            for lane in lanes:
                lane.report.failed.append((path.name, reason))
            progress(f"{label} skipped {reason}")
            continue
        chunked: dict[int, list[Chunk]] = {}
        for lane in behind:
            size = lane.settings.chunk_max_chars
            chunks = chunked.get(size) or chunk_document(document, size)
            chunked[size] = chunks
            lane.waiting.append((label, document, chunks))
            lane.records_waiting += len(chunks) + sum(len(c.sentences) for c in chunks)
            if lane.records_waiting >= WRITE_BATCH:
                _write_waiting(lane, progress)
    for lane in lanes:
        _write_waiting(lane, progress)
        _finish(lane, paths, refused - _sources_of(claimed, lane), progress, started)
    return [lane.report for lane in lanes]


def _sources_of(claimed: dict[str, Path], lane: _Lane) -> set[str]:
    """Where the lane's index has the documents a file of this run holds: such a document
    stays even if that place is refused now (a shipped file replaced by an upload)."""
    return {lane.indexed[i].source_path for i in claimed if i in lane.indexed}


def _holds(lane: _Lane, doc_id: str, content_hash: str) -> bool:
    """The lane's index has this version of the document, counted as unchanged; else the
    document is to be added or updated there."""
    old = lane.indexed.get(doc_id)
    if old is not None and old.content_hash == content_hash:
        lane.report.unchanged.append(doc_id)
        return True
    return False


def _finish(
    lane: _Lane, paths: list[Path], refused: set[str], progress: Progress, started: float
) -> None:
    assert lane.store is not None
    lane.report.removed = _remove_missing(lane.store, lane.indexed, paths, refused, progress)
    current = lane.store.documents()
    lane.store.record_corpus_hash(_corpus_hash(current))
    lane.report.documents_in_index = len(current)
    lane.report.seconds = time.perf_counter() - started


def _open_store(settings: Settings, reset: bool, progress: Progress) -> Store:
    """The store to write; one built with other settings (another embedder, other chunking)
    cannot be updated in place, so it is rebuilt from scratch, saying so."""
    try:
        return open_store(settings, create=True, reset=reset)
    except IndexMismatchError as exc:
        where = (
            f"The index on the Chroma server at {settings.chroma_url}"
            if settings.chroma_url
            else f"The index in {settings.index_dir}/"
        )
        progress(
            f"{where} was built with other settings ({exc.differences}); "
            "rebuilding it from scratch."
        )
        return open_store(settings, create=True, reset=True)


def _entry_for(path: Path, cache: dict[Path, dict[str, Entry]]) -> Entry | None:
    if path.parent not in cache:
        cache[path.parent] = read_entries(path.parent)
    return cache[path.parent].get(path.name)


def _claim(claimed: dict[str, Path], doc_id: str, path: Path) -> None:
    if doc_id in claimed:
        other = claimed[doc_id].name
        raise refusal("id_used_in_run", name=path.name, doc_id=doc_id, other=other)
    claimed[doc_id] = path


def _refuse_outside_link(path: Path, roots: list[Path], refused: set[str]) -> None:
    """A file found in a folder that is a link to somewhere outside that folder (say
    corpus/passwd.txt -> /etc/passwd) is not read: whatever it points at is not a document
    somebody put in the library. A file named on the command line is taken as given."""
    for root in roots:
        if root != path and root in path.parents:
            folder = root.resolve()
            if folder not in path.resolve().parents:
                refused.add(str(path))
                raise refusal("link_outside", name=path.name, folder=str(root))


def _refuse_taken_id(doc_id: str, path: Path, old: Document | None, layers: Layers) -> None:
    """Another existing file already holds this id in the index (corpus/x.txt and other/x.txt
    both make `x`): indexing this one would silently replace that document."""
    if old is None or not old.source_path:
        return
    holder = Path(old.source_path)
    if holder.resolve() != path.resolve() and holder.exists() and not layers.hides(holder):
        raise refusal("id_used_in_index", path=str(path), doc_id=doc_id, other=str(holder))


def _reason(path: Path, exc: Exception) -> Reason:
    """Why the file was skipped, in English, with its code for the app to translate."""
    if isinstance(exc, DocumentLoadError):
        return reason_of(exc)
    return reason_of(refusal("unreadable", name=path.name, error=str(exc)))


def _write_waiting(lane: _Lane, progress: Progress) -> None:
    """Embed the waiting documents' chunks and sentences in one call each and write them."""
    if not lane.waiting or lane.store is None:
        return
    lane.embedder = lane.embedder or lane.make_embedder()
    spans = [sorted({s for c in chunks for s in c.sentences}) for _, _, chunks in lane.waiting]
    chunk_vectors = lane.embedder.embed_passages(
        [c.embedding_text() for _, _, chunks in lane.waiting for c in chunks]
    )
    sentence_vectors = lane.embedder.embed_passages(
        [d.text[s:e] for (_, d, _), each in zip(lane.waiting, spans, strict=True) for s, e in each]
    )
    written, at_chunk, at_sentence = [], 0, 0
    for (_, document, chunks), each in zip(lane.waiting, spans, strict=True):
        written.append(
            IndexedDocument(
                document,
                chunks,
                chunk_vectors[at_chunk : at_chunk + len(chunks)],
                each,
                sentence_vectors[at_sentence : at_sentence + len(each)],
            )
        )
        at_chunk, at_sentence = at_chunk + len(chunks), at_sentence + len(each)
    replacing = {d.doc_id for _, d, _ in lane.waiting if d.doc_id in lane.indexed}
    lane.store.write_documents(written, replacing)
    for label, document, chunks in lane.waiting:
        lane.report.chunks_embedded += len(chunks)
        updated = document.doc_id in replacing
        (lane.report.updated if updated else lane.report.added).append(document.doc_id)
        progress(f"{label} {document.doc_id}: {len(chunks)} chunks indexed{lane.where}")
    lane.waiting.clear()
    lane.records_waiting = 0


def _remove_missing(
    store: Store,
    indexed: dict[str, Document],
    paths: list[Path],
    refused: set[str],
    progress: Progress,
) -> list[str]:
    """Drop documents whose file was under a given path and no longer exists, or is now
    refused as a link out of the folder."""
    roots = [p.resolve() for p in paths]
    removed = []
    for doc_id, document in indexed.items():
        source = Path(document.source_path).resolve()
        inside = any(source == root or root in source.parents for root in roots)
        if document.source_path in refused or (inside and not source.exists()):
            store.remove_document(doc_id)
            removed.append(doc_id)
            why = "was refused" if document.source_path in refused else "no longer exists"
            progress(f"removed {doc_id} ({document.source_path} {why})")
    return removed


def _corpus_hash(documents: dict[str, Document]) -> str:
    digest = hashlib.sha256()
    for doc_id in sorted(documents):
        digest.update(f"{doc_id}:{documents[doc_id].content_hash}\n".encode())
    return digest.hexdigest()
