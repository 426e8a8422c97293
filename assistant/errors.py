"""Errors a person can hit, each carrying a sentence that says what was wrong and what to do.

The CLI and the app print `str(error)` for these, never a traceback.
"""

from __future__ import annotations

from collections.abc import Mapping


class AssistantError(Exception):
    """Base of every error meant to be shown to a user as it is."""


class ConfigError(AssistantError):
    """A setting or environment variable has an unusable value."""


class IndexMissingError(AssistantError):
    """There is no index yet, or it is empty."""


class IndexMismatchError(AssistantError):
    """The index on disk was built with other settings than the ones in use."""

    differences: str = ""
    """What differs, e.g. "embedder: index has 'minilm', settings want 'e5'"."""


class IndexDamagedError(AssistantError):
    """The index on disk cannot be read or written (a damaged file, a full disk)."""


class UnknownDocumentError(AssistantError):
    """A document id that is not in the index."""


class DocumentLoadError(AssistantError):
    """A file could not be read as a document (corrupt, encrypted, binary, unknown type).

    Besides the English sentence, it names its reason by a stable `code` ("encrypted_pdf")
    with the `values` the sentence was made from, so the app can say it in another language."""

    def __init__(
        self, message: str, code: str = "", values: Mapping[str, str | int | float] | None = None
    ) -> None:
        super().__init__(message)
        self.code = code
        self.values = dict(values or {})


class DependencyError(AssistantError):
    """An optional library a chosen backend needs is not installed."""
