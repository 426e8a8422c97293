"""Bring the index in line with the files: add new, replace changed, drop removed ones.

Unchanged files are recognised by a hash of their bytes and metadata before anything is
parsed or embedded, so a second run over the same corpus loads no model and takes about a
second. A file that cannot be read is reported and skipped; its previously indexed version,
if any, stays in the index.

Each file is parsed and chunked once for both indexes (main and multilingual); chunks and
sentences of several documents are embedded and written to Chroma together. The embedded index
is written in a copy of its folder that is swapped in when the run is done (run_ingest_all),
so a run killed at any moment leaves the previous index as it was; one run at a time writes.
"""

from __future__ import annotations

import ctypes
import dataclasses
import hashlib
import os
import shutil
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path

from assistant.embedding import Embedder
from assistant.errors import DocumentLoadError, IndexMismatchError, IndexMissingError
from assistant.memory import give_back_freed_memory
from assistant.models import Chunk, Document
from assistant.settings import Settings
from assistant.store import (
    VECTOR_FILE,
    IndexedDocument,
    Store,
    close_folder,
    index_problem,
    open_store,
    stamp_generation,
)
from ingest.chunking import chunk_document
from ingest.corpus import (
    Entry,
    budget_of,
    build_document,
    find_files,
    read_entries,
)
from ingest.indexed import indexed_documents, record_indexed
from ingest.layers import Layers
from ingest.reasons import Reason, reason_of, refusal
from ingest.seen import SEEN_FILE, SeenFiles

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
    rehash: bool = False,
) -> list[IngestReport]:
    """Index the files into the main index and, when one is configured, into the multilingual
    index for questions not in English (same files, another model): one report for each.

    A file whose size, times and inode are those it had when a run last read it is taken to
    be unchanged without reading it (ingest/seen.py); `rehash` (as `reset`) reads every file.

    The embedded index (a folder) is never written where it is served: a run that has work
    to do copies the folder beside it (with `reset`, starts an empty one there), writes the
    copy and swaps it in at the end, so a run killed at any moment leaves the previous index
    whole. A run with nothing to do reads the index and copies nothing. A Chroma server's
    collections cannot be swapped like a folder: there writes go in place (in the order that
    keeps the previous version readable, see assistant/store.py), and a reset empties them
    first."""
    lanes = [_Lane(settings, lambda: make_embedder(settings))]
    second = settings.translated()
    if second is not None:
        progress(f"Also the multilingual index ({second.embedder}) for other languages.")
        lanes.append(_Lane(second, lambda: make_embedder(second), " (multilingual index)"))
    try:
        return _run_safely(paths, lanes, reset, progress, rehash)
    finally:
        give_back_freed_memory()  # a serving app goes on after it (its start-up catch-up)


def run_ingest(
    paths: list[Path],
    settings: Settings,
    make_embedder: Callable[[], Embedder],
    reset: bool = False,
    progress: Progress = _stderr,
    rehash: bool = False,
) -> IngestReport:
    """The main index alone, the same way (see run_ingest_all)."""
    try:
        return _run_safely(paths, [_Lane(settings, make_embedder)], reset, progress, rehash)[0]
    finally:
        give_back_freed_memory()


def remove_from_index(settings: Settings, doc_id: str) -> None:
    """Take one document out of both indexes, whatever its file (one outside the library,
    or gone), the same way as a run: in a copy swapped in."""
    every = [each for each in (settings, settings.translated()) if each is not None]
    if settings.chroma_url:
        for each in every:
            open_store(each, create=True).remove_document(doc_id)
        return
    with _exclusive(settings.index_dir, _stderr):
        recover_index(settings.index_dir)
        if not any(_live_holds(each, doc_id) for each in every):
            return
        building = _copy_beside(settings.index_dir)
        try:
            for each in every:
                moved = _moved(each, settings.index_dir, building)
                store = open_store(moved, create=True, shown_as=each.index_dir)
                store.remove_document(doc_id)
                store.write_tables()
        except BaseException:
            _discard(building)
            raise
        _put_in_place(building, settings.index_dir)


def _live_holds(settings: Settings, doc_id: str) -> bool:
    """The live index has the document (looked up by id: reading every document to find out
    took 3-7 s at 95,000 chunks)."""
    try:
        return open_store(settings).holds(doc_id)
    except (IndexMissingError, IndexMismatchError):
        return False


class _Behind(Exception):
    """A look at the index found work to do (raised before anything is written)."""


def _run_safely(
    paths: list[Path], lanes: list[_Lane], reset: bool, progress: Progress, rehash: bool = False
) -> list[IngestReport]:
    """The lanes run in place on a Chroma server; on the embedded index, in a copy of its
    folder when a first look (nothing written, nothing embedded) finds work to do. What the
    run learnt of the files is saved at the end, beside the index it leaves in place."""
    settings = lanes[0].settings
    index_dir = settings.index_dir
    seen = SeenFiles.load(_seen_path(settings), trust=not (reset or rehash))
    if settings.chroma_url:
        reports = _run_lanes(paths, lanes, reset, progress, seen)
        seen.save()
        return reports
    with _exclusive(index_dir, progress):
        recover_index(index_dir)
        if not reset:
            said: list[str] = []
            try:
                reports = _run_lanes(paths, lanes, False, said.append, seen, look_only=True)
            except _Behind:
                pass
            else:
                for message in said:
                    progress(message)
                seen.save()
                return reports
        reports = _run_in_copy(paths, lanes, reset, progress, seen)
        seen.save()
        return reports


def _seen_path(settings: Settings) -> Path:
    """Where what ingest learnt of the files is kept: beside the embedded index (a reset
    starts it again), in the data folder with a Chroma server (nothing of the index is local)."""
    return (settings.data_dir if settings.chroma_url else settings.index_dir) / SEEN_FILE


def _run_in_copy(
    paths: list[Path], lanes: list[_Lane], reset: bool, progress: Progress, seen: SeenFiles
) -> list[IngestReport]:
    """The run on a copy of the index folder (an empty folder with `reset`), swapped in if
    it changed something."""
    index_dir = lanes[0].settings.index_dir
    building = _beside(index_dir, _BUILDING) if reset else _copy_beside(index_dir)
    copies = [
        _Lane(
            _moved(lane.settings, index_dir, building),
            lane.make_embedder,
            lane.where,
            shown_as=lane.settings.index_dir,
            looked=lane.indexed if lane.store is not None and not reset else None,
        )
        for lane in lanes
    ]
    try:
        reports = _run_lanes(paths, copies, reset, progress, seen)
    except BaseException:
        _discard(building)
        raise
    upgraded = any(lane.upgrading for lane in copies)
    if reset or upgraded or any(r.added or r.updated or r.removed for r in reports):
        _put_in_place(building, index_dir)
    else:  # only files that could not be read: the index stays as it is
        _discard(building)
    return reports


_BUILDING = ".new"
_REPLACED = ".old"


def _beside(index_dir: Path, suffix: str) -> Path:
    return index_dir.with_name(f"{index_dir.name}{suffix}")


def _moved(settings: Settings, index_dir: Path, building: Path) -> Settings:
    """The settings of an index in `index_dir` (or a subfolder) for its copy in `building`."""
    return dataclasses.replace(
        settings, index_dir=building / settings.index_dir.relative_to(index_dir)
    )


STAGING = ".staging"
"""Folder in the index folder where the app's uploads wait to be checked (ingest/library.py);
not part of the index, so not copied."""


def _copy_beside(index_dir: Path) -> Path:
    """A copy of the index folder to write in (an empty folder when there is no index yet);
    the vector file is shared with the index rather than copied (see _copy_or_link)."""
    building = _beside(index_dir, _BUILDING)
    close_folder(building)  # nothing of this process may still hold an earlier folder of that name
    if index_dir.exists():
        try:
            shutil.copytree(
                index_dir,
                building,
                ignore=shutil.ignore_patterns(STAGING),
                copy_function=_copy_or_link,
            )
        except OSError as exc:  # a full disk, most likely: the copy needs the index's size
            _discard(building)
            raise index_problem(index_dir, exc) from exc
    return building


def _copy_or_link(source: str, target: str) -> None:
    """Copy a file of the index, except the vector file (VECTOR_FILE, a fifth of the folder):
    it is hard-linked, the same file in both folders. A run only appends to it, each row
    on disk before any record names it; the index in place names only rows that were there
    before, and reads no others, so what a run appends (also one killed or thrown away) is
    invisible to it: unused rows at the end, like those of replaced documents, which the
    next append writes after (a half-written last row is cut off first). Chroma's files and
    the tables are copied: Chroma writes its database and HNSW files in place."""
    if Path(source).name == VECTOR_FILE:
        with suppress(OSError):  # a file system without hard links: copied
            os.link(source, target)
            return
    shutil.copy2(source, target)


def _discard(building: Path) -> None:
    close_folder(building)
    shutil.rmtree(building, ignore_errors=True)


def _put_in_place(building: Path, index_dir: Path) -> None:
    close_folder(building)
    try:
        stamp_generation(building)
        _swap_in(building, index_dir)
    except OSError as exc:
        raise index_problem(index_dir, exc) from exc


def _swap_in(fresh: Path, index_dir: Path) -> None:
    """Put the folder `fresh` in the place of `index_dir`: one atomic exchange of the two
    names where the system offers it (Linux), else two renames; the previous index is
    deleted only once the new one is in place."""
    if index_dir.exists() and _exchange(fresh, index_dir):
        shutil.rmtree(fresh, ignore_errors=True)  # now the previous index
    else:
        old = _beside(index_dir, _REPLACED)
        shutil.rmtree(old, ignore_errors=True)
        if index_dir.exists():
            os.rename(index_dir, old)
        os.rename(fresh, index_dir)
        shutil.rmtree(old, ignore_errors=True)


_RENAME_EXCHANGE = 2


def _exchange(first: Path, second: Path) -> bool:
    """Swap two folders' names in one step (renameat2 with RENAME_EXCHANGE): whoever looks
    sees one or the other in each place, never none. False where the system or the file
    system cannot do it."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        renameat2 = libc.renameat2
    except (OSError, AttributeError):
        return False
    renameat2.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p]
    renameat2.argtypes += [ctypes.c_uint]
    here = -100  # AT_FDCWD: paths relative to the working folder
    return renameat2(here, os.fsencode(first), here, os.fsencode(second), _RENAME_EXCHANGE) == 0


def recover_index(index_dir: Path) -> None:
    """Clean what a killed run left beside the index: a folder it was building (or the
    previous index it had just exchanged for the new one), and, if it died between the two
    renames of `_swap_in`, the previous index put back in its place."""
    shutil.rmtree(_beside(index_dir, _BUILDING), ignore_errors=True)
    old = _beside(index_dir, _REPLACED)
    if old.exists() and not index_dir.exists():
        os.rename(old, index_dir)
    shutil.rmtree(old, ignore_errors=True)


@contextmanager
def _exclusive(index_dir: Path, progress: Progress) -> Iterator[None]:
    """One run at a time on an index folder (an upload in the app and a `python -m ingest`,
    say): the second waits for the first. The lock is on the folder that holds the index,
    with flock, which the system releases when a process ends, also when it is killed."""
    import fcntl

    holder = index_dir.absolute().parent
    holder.mkdir(parents=True, exist_ok=True)
    handle = os.open(holder, os.O_RDONLY)
    try:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            progress(f"Another run is writing {index_dir}/; waiting for it to finish.")
            fcntl.flock(handle, fcntl.LOCK_EX)
        yield
    finally:
        os.close(handle)


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
    shown_as: Path | None = None
    """The index this lane's copy (settings.index_dir) will replace, for messages."""
    written: dict[str, str] = field(default_factory=dict)
    """doc_id: content hash of each document this run wrote."""
    written_from: dict[str, str] = field(default_factory=dict)
    """doc_id: the file of each document this run wrote."""
    upgrading: bool = False
    """The index was built by an older version (Store.needs_upgrade): the run brings it up to
    date even if no document changed."""
    looked: dict[str, Document] | None = None
    """The documents the first look read in the index in place, which the copy of it holds
    too: not read again (at 95,000 chunks each read of them took seconds)."""


WRITE_BATCH = 4_000
"""Records (chunks and sentences) gathered from several documents before they are embedded
and written together: Chroma takes one large batch several times faster than many small ones."""


def _run_lanes(
    paths: list[Path],
    lanes: list[_Lane],
    reset: bool,
    progress: Progress,
    seen: SeenFiles,
    look_only: bool = False,
) -> list[IngestReport]:
    """Each file is read, cleaned and chunked once, for every index that lacks its version
    (only files whose stat changed are read to find out, see ingest/seen.py). With
    `look_only`, the first thing to write raises _Behind instead."""
    started = time.perf_counter()
    for lane in lanes:
        lane.store = _open_live(lane.settings) if look_only else _open_store(lane, reset, progress)
        # Versions and paths are all a run needs of the documents.
        known = lane.looked
        lane.indexed = known if known is not None else indexed_documents(lane.store, lane.settings)
        lane.upgrading = lane.store.needs_upgrade()
    layers = Layers.of(lanes[0].settings)
    if seen.listed is None:  # the first pass of the run lists the files, the second reuses it
        files = find_files(paths)
        copies = _copies(
            [path for path in files if not layers.hides(path)],
            {document.source_path for document in lanes[0].indexed.values()},
            seen,
        )
        seen.listed = (files, copies)
    files, copies = seen.listed
    claimed: dict[str, Path] = {}
    entries: dict[Path, dict[str, Entry]] = {}
    refused: set[str] = set()
    resolved: dict[Path, Path] = {}
    for number, path in enumerate(files, start=1):
        label = f"[{number}/{len(files)}]"
        if layers.hides(path):  # removed in the app: out of the index, file left as shipped
            refused.add(str(path))
            continue
        try:
            _refuse_outside_link(path, paths, refused, resolved)
            _refuse_copy(path, copies, refused)
            entry = layers.entry(path, _entry_for(path, entries))
            doc_id, content_hash = seen.identify(path, entry)
            _claim(claimed, doc_id, path)
            for lane in lanes:
                _refuse_taken_id(doc_id, path, lane.indexed.get(doc_id), layers)
            behind = [lane for lane in lanes if not _holds(lane, doc_id, content_hash)]
            if not behind:
                continue
            document = _build(path, entry, content_hash, seen, lanes[0].settings)
            if look_only:
                # Work for a copy of the index only if the file reads: one that fails (a
                # file cleaning leaves empty, a damaged PDF) fails the same way every run,
                # and the index stays as it is (at 95k chunks each start copied 3.2 GB for it).
                raise _Behind
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
    found = {str(path) for path in files}
    for lane in lanes:
        _write_waiting(lane, progress)
        kept = refused - _sources_of(claimed, lane)
        _finish(lane, paths, found, kept, progress, started, look_only)
    return [lane.report for lane in lanes]


def _build(
    path: Path, entry: Entry | None, content_hash: str, seen: SeenFiles, settings: Settings
) -> Document:
    """The file as a document; a version that failed before for a reason that does not
    change (cleaning left no text, say) fails again without being parsed."""
    failed = seen.failure(path, content_hash)
    if failed is not None:
        raise failed
    try:
        return build_document(path, entry, budget_of(settings))
    except DocumentLoadError as exc:
        seen.failed(path, content_hash, exc)
        raise


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
    lane: _Lane,
    paths: list[Path],
    found: set[str],
    refused: set[str],
    progress: Progress,
    started: float,
    look_only: bool = False,
) -> None:
    assert lane.store is not None
    gone = _missing(lane.indexed, paths, found, refused)
    if look_only and (gone or lane.upgrading):
        raise _Behind
    for doc_id, why in gone:
        lane.store.remove_document(doc_id)
        progress(f"removed {doc_id} ({lane.indexed[doc_id].source_path} {why})")
    lane.report.removed = [doc_id for doc_id, _ in gone]
    # What the index holds now, from what it held and what the run did, not read again
    # (reading every document's record took 3-6 s at 95,000 chunks).
    current = {d: doc.content_hash for d, doc in lane.indexed.items()}
    current.update(lane.written)
    for doc_id in lane.report.removed:
        current.pop(doc_id, None)
    if not look_only:
        lane.store.record_corpus_hash(_corpus_hash(current))
        files = {d: doc.source_path for d, doc in lane.indexed.items()} | lane.written_from
        versions = {d: (version, files[d]) for d, version in current.items()}
        record_indexed(lane.settings, lane.store.version(), versions)
    lane.report.documents_in_index = len(current)
    lane.report.seconds = time.perf_counter() - started


def _open_live(settings: Settings) -> Store:
    """The index as it is served, to read: _Behind when it is missing or was built with
    other settings (then it is to be built)."""
    try:
        return open_store(settings)
    except (IndexMissingError, IndexMismatchError) as exc:
        raise _Behind from exc


def _open_store(lane: _Lane, reset: bool, progress: Progress) -> Store:
    """The store to write; one built with other settings (another embedder, other chunking)
    cannot be updated in place, so it is rebuilt from scratch, saying so."""
    settings = lane.settings
    try:
        return open_store(settings, create=True, reset=reset, shown_as=lane.shown_as)
    except IndexMismatchError as exc:
        where = (
            f"The index on the Chroma server at {settings.chroma_url}"
            if settings.chroma_url
            else f"The index in {lane.shown_as or settings.index_dir}/"
        )
        progress(
            f"{where} was built with other settings ({exc.differences}); "
            "rebuilding it from scratch."
        )
        return open_store(settings, create=True, reset=True, shown_as=lane.shown_as)


def _entry_for(path: Path, cache: dict[Path, dict[str, Entry]]) -> Entry | None:
    if path.parent not in cache:
        cache[path.parent] = read_entries(path.parent)
    return cache[path.parent].get(path.name)


def _claim(claimed: dict[str, Path], doc_id: str, path: Path) -> None:
    if doc_id in claimed:
        other = claimed[doc_id].name
        raise refusal("id_used_in_run", name=path.name, doc_id=doc_id, other=other)
    claimed[doc_id] = path


def _refuse_outside_link(
    path: Path, roots: list[Path], refused: set[str], resolved: dict[Path, Path]
) -> None:
    """A file found in a folder that is a link to somewhere outside that folder (say
    corpus/passwd.txt -> /etc/passwd) is not read: whatever it points at is not a document
    somebody put in the library. A file named on the command line is taken as given.
    `resolved`: the folders this run resolved already (each once, not once per file)."""
    for root in roots:
        if root != path and root in path.parents:
            folder = _resolved(root, resolved)
            where = path.resolve() if path.is_symlink() else _resolved(path.parent, resolved)
            if folder != where and folder not in where.parents:
                refused.add(str(path))
                raise refusal("link_outside", name=path.name, folder=str(root))


def _resolved(folder: Path, resolved: dict[Path, Path]) -> Path:
    if folder not in resolved:
        resolved[folder] = folder.resolve()
    return resolved[folder]


def _copies(files: list[Path], indexed: set[str], seen: SeenFiles) -> dict[Path, Path]:
    """Each file with the very bytes of another one (the same document saved under two
    names) -> the one of them that is indexed: the one the index already has, else the
    first found. Only files of equal size are compared, by the digest of their bytes (read
    again only for a file whose stat changed)."""
    sizes: dict[int, list[Path]] = {}
    for path in files:
        with suppress(OSError):
            if size := path.stat().st_size:  # empty files are refused as such
                sizes.setdefault(size, []).append(path)
    copies: dict[Path, Path] = {}
    for same_size in (group for group in sizes.values() if len(group) > 1):
        digests: dict[str, list[Path]] = {}
        for path in same_size:
            with suppress(OSError):
                digests.setdefault(seen.digest(path), []).append(path)
        for same in digests.values():
            kept = next((path for path in same if str(path) in indexed), same[0])
            copies.update((path, kept) for path in same if path != kept)
    return copies


def _refuse_copy(path: Path, copies: dict[Path, Path], refused: set[str]) -> None:
    """A copy of another file is not indexed a second time (nor kept if it was)."""
    kept = copies.get(path)
    if kept is None:
        return
    refused.add(str(path))
    named = kept.name if kept.parent == path.parent else str(kept)
    raise refusal("copy_of_file", name=path.name, kept=named)


def _refuse_taken_id(doc_id: str, path: Path, old: Document | None, layers: Layers) -> None:
    """Another existing file already holds this id in the index (corpus/x.txt and other/x.txt
    both make `x`): indexing this one would silently replace that document."""
    if old is None or not old.source_path or old.source_path == str(path):
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
        lane.written[document.doc_id] = document.content_hash
        lane.written_from[document.doc_id] = document.source_path
        (lane.report.updated if updated else lane.report.added).append(document.doc_id)
        progress(f"{label} {document.doc_id}: {len(chunks)} chunks indexed{lane.where}")
    lane.waiting.clear()
    lane.records_waiting = 0


def _missing(
    indexed: dict[str, Document], paths: list[Path], found: set[str], refused: set[str]
) -> list[tuple[str, str]]:
    """(doc_id, why) of the documents to drop: their file was under a given path and no
    longer exists, or is now refused (a link out of the folder, a duplicate). A file this
    run found (`found`) exists: only the others are looked for."""
    roots = [p.resolve() for p in paths]
    gone = []
    for doc_id, document in indexed.items():
        if document.source_path in found and document.source_path not in refused:
            continue
        source = Path(document.source_path).resolve()
        inside = any(source == root or root in source.parents for root in roots)
        if document.source_path in refused or (inside and not source.exists()):
            why = "was refused" if document.source_path in refused else "no longer exists"
            gone.append((doc_id, why))
    return gone


def _corpus_hash(versions: dict[str, str]) -> str:
    """A name for the documents' versions (doc_id: content hash)."""
    digest = hashlib.sha256()
    for doc_id in sorted(versions):
        digest.update(f"{doc_id}:{versions[doc_id]}\n".encode())
    return digest.hexdigest()
