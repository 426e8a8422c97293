"""Choose and build the implementations named in the settings.

Heavy libraries (torch, sentence-transformers, chromadb) are imported here lazily, so
`--help` and error messages stay fast.
"""

from __future__ import annotations

import numpy as np

from assistant.compose import Answerer, ExtractiveAnswerer
from assistant.core import Assistant
from assistant.embedding import E5Embedder, Embedder, HashEmbedder, MiniLMEmbedder, USEEmbedder
from assistant.errors import ConfigError
from assistant.reader import UnitReader, View
from assistant.retrieve import Retriever
from assistant.safety import SafetyRouter
from assistant.settings import Settings
from assistant.store import ChromaStore, index_signature

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
) -> Assistant:
    """The assistant over the index in settings.index_dir (which must exist and match), and
    over the second, multilingual index for questions not in English when one is configured.
    Embedders already loaded can be passed in, so a rebuild does not load a model again."""
    embedder = embedder or build_embedder(settings)
    main = _lane(settings, embedder)
    second = settings.translated()
    if second:
        translated_embedder = translated_embedder or build_embedder(second)
    translated = _lane(second, translated_embedder) if second and translated_embedder else None
    if translated:
        # English answer units are read by MiniLM and e5 together (e5 alone measured better
        # on the dev cases but lost the insurance follow-up of the app's example, see the
        # README); the other languages by e5 without the English word match.
        main[0].reader = UnitReader([main[0].view, aligned_view(main[0], translated[0])])
        translated[0].reader = UnitReader([translated[0].view], TRANSLATED_WEIGHTS)
        translated[0].reader.prepare(translated[0].units)
    main[0].reader.prepare(main[0].units)
    safety = build_safety(settings, [embedder, translated_embedder])
    if settings.llm != "extractive":
        main, translated = with_llm(settings, main, translated)
    return Assistant(settings, *main, translated=translated, safety=safety)


Lane = tuple[Retriever, Answerer]


def with_llm(settings: Settings, main: Lane, translated: Lane | None) -> tuple[Lane, Lane | None]:
    """The lanes with a generative answerer on the configured endpoint (LangChain imported
    only now), falling back to each lane's extractive answerer."""
    from assistant.generative import GenerativeAnswerer, build_chat_model

    model = build_chat_model(settings)

    def generative(lane: Lane) -> Lane:
        retriever, extractive = lane
        assert isinstance(extractive, ExtractiveAnswerer)
        answerer = GenerativeAnswerer(
            model, retriever.documents, extractive, retriever.view, settings.llm_timeout_s
        )
        return retriever, answerer

    return generative(main), generative(translated) if translated else None


def build_safety(settings: Settings, embedders: list[Embedder | None]) -> SafetyRouter:
    """The safety router: patterns and conversation, plus the semantic layer when one of the
    loaded embedders is the multilingual e5 (its bank's embeddings cached in the index
    folder). Without e5 (e.g. the hash embedder of the fast tests) the patterns decide alone."""
    e5 = next((e for e in embedders if e is not None and e.name == E5Embedder.name), None)
    if e5 is None:
        return SafetyRouter()
    from assistant.safety_semantic import SemanticLayer

    return SafetyRouter(SemanticLayer(e5, cache_dir=settings.index_dir / "safety"))


TRANSLATED_WEIGHTS = {"sentence": 0.7, "heading": 0.3, "coverage": 0.0}


def _lane(settings: Settings, embedder: Embedder) -> Lane:
    store = ChromaStore(settings.index_dir, index_signature(settings), create=False)
    retriever = Retriever(store, embedder, settings)
    answerer = ExtractiveAnswerer(
        retriever.documents, settings.max_quotes, settings.stale_after_days
    )
    return retriever, answerer


def aligned_view(target: Retriever, source: Retriever) -> View:
    """`source`'s model view of `target`'s sentences (both indexes hold the same sentences;
    one missing from `source` gets a zero vector, so that model does not vouch for it)."""
    row_of = {span: row for row, span in enumerate(source.sentence_spans)}
    width = source.sentence_vectors.shape[1]
    vectors = np.zeros((len(target.sentence_spans), width), dtype=np.float32)
    for row, span in enumerate(target.sentence_spans):
        if span in row_of:
            vectors[row] = source.sentence_vectors[row_of[span]]
    return View(source.view.name, source.view.embedder, vectors, source.view.scale)
