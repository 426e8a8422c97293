"""Giving memory back to the system after a large read (the retriever's load, an ingest run).

Deliberately not here: what is held or how much (retrieve.py, store.py).
"""

from __future__ import annotations

import contextlib
import ctypes
import ctypes.util


def give_back_freed_memory() -> None:
    """Return to the system the heap that reading the index freed: the store's pages of
    records are decoded into many short-lived objects, and glibc keeps what they used (at
    10,000 chunks 180 of the 430 MB a loaded retriever held; after the app's start-up ingest
    at 95,000 chunks, 1,020 of 1,528 MB). Elsewhere than glibc: nothing."""
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6").malloc_trim(0)
