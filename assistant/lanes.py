"""Lanes: one object per index holding everything that reads it.

A `Lane` is an index's store with its embedder, retriever, answerer and finder. `Lanes` holds
the assistant's: the main one (English), built at once, and the multilingual one, built the
first time a question or a find in another language needs it (so an English question never
waits for it). When an ingest, here or in another process sharing the Chroma server, has
changed an index, both are rebuilt (`refresh`): the stores' versions are compared at most
every `check_every` seconds, one small request each. How lanes are built is build.py's business;
this module only keeps them.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from assistant.compose import Answerer
from assistant.embedding import Embedder
from assistant.finder import Finder
from assistant.retrieve import Retriever
from assistant.settings import Settings
from assistant.store import Store


@dataclass(frozen=True)
class Lane:
    settings: Settings
    store: Store
    embedder: Embedder
    retriever: Retriever
    answerer: Answerer
    finder: Finder
    sources: tuple[Store, ...]
    """Every store the lane read at build (the main lane also reads the multilingual one's
    sentence vectors): when one of them changes, the lane is out of date."""
    versions: tuple[str, ...]
    """Their versions at build, in the same order."""


class Lanes:
    """`build_main()` builds the main lane; `build_translated(main)` the multilingual one
    (None when none is configured)."""

    def __init__(
        self,
        build_main: Callable[[], Lane],
        build_translated: Callable[[Lane], Lane | None] | None = None,
        check_every: float = 2.0,
    ) -> None:
        self._build_main = build_main
        self._build_translated = build_translated
        self._check_every = check_every
        self._lock = threading.Lock()
        self._main = build_main()
        self._translated: Lane | None = None
        self._checked = time.monotonic()

    @property
    def main(self) -> Lane:
        return self._main

    @property
    def has_translated(self) -> bool:
        return self._build_translated is not None

    def for_language(self, language: str) -> Lane:
        """The lane that reads a text in `language`: the multilingual one for any language
        but English when there is one (built now if this is the first such text)."""
        main = self.main
        if language == "en" or self._build_translated is None:
            return main
        with self._lock:
            if self._translated is None:
                self._translated = self._build_translated(main) or main
            return self._translated

    def refresh(self) -> None:
        """Rebuild when a store this process reads changed since the lanes were built (called
        once at the start of a request, so one request reads one build throughout)."""
        now = time.monotonic()
        if now - self._checked < self._check_every:
            return
        with self._lock:
            if now - self._checked < self._check_every:
                return
            self._checked = now
            main = self._main
            if tuple(store.version() for store in main.sources) == main.versions:
                return
            self._main = self._build_main()
            self._translated = None
