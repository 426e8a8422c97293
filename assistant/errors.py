"""Errors a person can hit, each carrying a sentence that says what was wrong and what to do.

The CLI and the app print `str(error)` for these, never a traceback.
"""


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
    """A file could not be read as a document (corrupt, encrypted, binary, unknown type)."""


class DependencyError(AssistantError):
    """An optional library a chosen backend needs is not installed."""
