"""What an embedded index holds, as ingest needs it: each document's version (content hash)
and file, kept in a small file in the index folder so that a run does not read every
document record from Chroma to learn it (about 7 s at 95,000 chunks, each run).

The record names the index's version when it was written (`Store.version`, new at every
change of the index); a run uses it only while the index still has that version, and reads
the documents from the store otherwise (an index changed by something else, a removal in the
app, an index built before the record) and writes the record again. It is written at the end
of each run in the folder the run swaps in, so it is swapped in with the index it describes.
With a Chroma server nothing is kept locally: the documents are read from the store. This
module reads and writes that file; it decides nothing.
"""

from __future__ import annotations

import json
from contextlib import suppress

from assistant.models import Document, DocumentMeta
from assistant.settings import Settings
from assistant.store import Store
from ingest.corpus import write_json

INDEXED_FILE = "indexed.json"


def indexed_documents(store: Store, settings: Settings) -> dict[str, Document]:
    """doc_id -> the document as the index has it (version and file; texts and details left
    empty), from the record while it is the index's, else from the store (then recorded)."""
    if settings.chroma_url:
        return store.documents(texts=False)
    version = store.version()
    with suppress(OSError, ValueError, KeyError, TypeError, AttributeError):
        data = json.loads((settings.index_dir / INDEXED_FILE).read_text(encoding="utf-8"))
        if version and data["version"] == version:
            return {d: _document(d, h, p) for d, (h, p) in data["documents"].items()}
    documents = store.documents(texts=False)
    record_indexed(
        settings, version, {d: (x.content_hash, x.source_path) for d, x in documents.items()}
    )
    return documents


def record_indexed(settings: Settings, version: str, documents: dict[str, tuple[str, str]]) -> None:
    """Write the record (doc_id -> (content hash, file)) for the index's `version`, whole,
    then swap it in. A failure to write it costs the next run a read of the store."""
    if settings.chroma_url or not version:
        return
    data = {"version": version, "documents": dict(sorted(documents.items()))}
    with suppress(OSError):
        write_json(settings.index_dir / INDEXED_FILE, data)


def _document(doc_id: str, content_hash: str, source_path: str) -> Document:
    return Document(
        meta=DocumentMeta(doc_id=doc_id, title=doc_id),
        text="",
        source_path=source_path,
        content_hash=content_hash,
    )
