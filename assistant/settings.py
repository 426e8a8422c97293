"""Settings: the one place configuration is defined and the one reader of `os.environ`.

Every field has a default and a one-line description. Settings are passed into
constructors; nothing reads them as a global at import time.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any

from assistant.errors import ConfigError

ENV_PREFIX = "MSRA_"


@dataclass(frozen=True)
class Settings:
    corpus_dir: Path = Path("corpus")
    """Folder of source documents and their metadata file (documents.json)."""
    index_dir: Path = Path(".index")
    """Folder of the persistent Chroma store (unused when `chroma_url` is set)."""
    chroma_url: str = ""
    """Address of a Chroma server (`chroma run`), e.g. http://127.0.0.1:8000; empty: the embedded store in `index_dir`."""
    collection_prefix: str = ""
    """Start of this index's collection names on a Chroma server (the multilingual index adds `translated_`)."""
    index_check_seconds: float = 2.0
    """How often, at most, a serving process asks the store whether another process changed the index (then reloads)."""
    query_threads: int = 2
    """Torch intra-op threads of a serving process (question embeddings, and e5's too: it shares torch's OpenMP runtime; evals/bench_threads.py, bench_overlap.py); 0: torch's default. Ingest keeps torch's default, every core."""
    embedder: str = "minilm"
    """Which embedder to use: `minilm` (packaged all-MiniLM-L6-v2, English), `e5` (multilingual-e5-small), `use` (multilingual USE v3) or `hash` (tests only)."""
    translated_embedder: str = "e5"
    """Multilingual embedder for questions not in English, with its own index in `<index_dir>/translated`; empty: one index for all."""
    embedding_model_path: str = ""
    """Path of a sentence-transformers model folder; empty means the packaged all-MiniLM-L6-v2."""
    chunk_max_chars: int = 900
    """Largest chunk body, in characters, before a section is split at sentence boundaries."""
    top_k: int = 8
    """How many passages retrieval returns (and `retrieved` lists)."""
    nearest_sentences: int = 0
    """How many sentences the store's vector search over every sentence adds to a question's and a find's candidates (100 before); 0: none, and that index (about 0.9 GB at 570,000 sentences) is never loaded. Same evaluation figures either way on the real corpus and on 9,527 generated chunks (README, Larger libraries)."""
    dense_weight: float = 0.8
    """Weight of dense similarity against the lexical (BM25) score in the fused passage score."""
    abstain_below: float = 0.47
    """Evidence (the best answer unit's score, about 0 unrelated to 1 answering) under which the assistant says the documents do not cover the question."""
    abstain_below_translated: float = 0.52
    """The same threshold for a question not in English, read by the multilingual model with
    the same weights (reader.WEIGHTS; its word coverage from the translated glossary): 0.45,
    chosen when it was read with weights summing to 1, scaled by their sum now (1.15)."""
    off_topic_margin: float = 0.025
    """A question this much nearer (e5 cosine) to example questions on MS topics the library
    does not answer than to rehabilitation questions it does is refused (assistant/scope.py);
    chosen on the dev and legacy cases, where no answerable question came above 0.020."""
    max_quotes: int = 3
    """Most sentences (quote spans) an extractive answer uses."""
    stale_after_days: int = 3 * 365
    """Documents last updated longer ago than this are flagged as possibly out of date."""
    max_question_chars: int = 2000
    """Longest question accepted; longer input is `invalid`."""
    data_dir: Path = Path(".data")
    """Folder of what people change by using the app (feedback, added documents, edited details, removals); not tracked by git, and the shipped corpus folder stays as it is."""
    feedback_path: Path = Path("feedback.sqlite3")
    """SQLite file where thumbs up / down and comments from the app are kept (on this machine); a relative path is inside the data folder."""
    max_upload_mb: int = 20
    """Largest file, in megabytes, the app accepts as an upload to the corpus."""
    max_document_chars: int = 1_000_000
    """Longest text one file may hold (about 300 pages); longer files are refused, to be split."""
    max_read_seconds: float = 60.0
    """Longest time reading one PDF may take; a file that needs more is refused by name."""
    llm: str = "extractive"
    """Who writes answers: `extractive` (quotes only; nothing leaves the machine), `openai` (any OpenAI-compatible endpoint) or `ollama`; generated sentences are checked against the passages."""
    llm_base_url: str = ""
    """URL of the language-model endpoint (e.g. http://127.0.0.1:11434 for Ollama, http://host:8000/v1 for vLLM)."""
    llm_model: str = ""
    """Name of the model the endpoint serves."""
    llm_api_key: str = field(default="", repr=False)
    """API key for the endpoint, if it needs one (never shown or logged)."""
    llm_timeout_s: float = 30.0
    """Longest wait for the endpoint, in seconds; past it the extractive answer is given instead."""
    host: str = "127.0.0.1"
    """Address the app binds to; set 0.0.0.0 to open it to the network (then a staff password hash is required)."""
    staff_password_hash: str = field(default="", repr=False)
    """Salted hash of the staff password (made by `python -m webui.auth`) that the Documents tab's actions ask for; empty: no login (allowed on 127.0.0.1 only)."""
    port: int = 7860
    """Port the app listens on."""

    @classmethod
    def from_env(cls, **overrides: Any) -> Settings:
        """Defaults, then `MSRA_<FIELD>` environment variables, then explicit overrides."""
        values: dict[str, Any] = {}
        for f in fields(cls):
            raw = os.environ.get(ENV_PREFIX + f.name.upper())
            if raw is not None:
                values[f.name] = _parse(f.name, raw, type(getattr(cls(), f.name)))
        values.update(overrides)
        return replace(cls(), **values)

    @property
    def feedback_file(self) -> Path:
        """Where the feedback database is: `feedback_path`, inside `data_dir` unless absolute."""
        return self.data_dir / self.feedback_path

    def translated(self) -> Settings | None:
        """Settings of the second index (questions not in English), or None when there is none."""
        if not self.translated_embedder or self.translated_embedder == self.embedder:
            return None
        return replace(
            self,
            embedder=self.translated_embedder,
            embedding_model_path="",
            index_dir=self.index_dir / "translated",
            collection_prefix=f"{self.collection_prefix}translated_",
            translated_embedder="",
        )


def _parse(name: str, raw: str, kind: type) -> Any:
    try:
        if kind is Path:
            return Path(raw)
        return kind(raw)
    except ValueError as exc:
        raise ConfigError(
            f"Setting {ENV_PREFIX}{name.upper()}={raw!r} is not a valid {kind.__name__}. "
            "Fix or unset that environment variable."
        ) from exc
