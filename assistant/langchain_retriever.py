"""The hybrid retriever as a LangChain `BaseRetriever`, for people who build on LangChain.

    from assistant.build import build_assistant
    from assistant.langchain_retriever import HybridRetriever
    from assistant.settings import Settings

    retriever = HybridRetriever(assistant=build_assistant(Settings.from_env()), k=5)
    documents = retriever.invoke("Does insurance cover occupational therapy?")

Each LangChain `Document` is one retrieved passage, exactly as `ask --json` lists it under
`retrieved`: its text as indexed, and in `metadata` the document id, title, publisher, url,
last-updated date, offsets into the document's text, section, page and scores. The question is
read as the assistant reads it (its language detected, everyday words expanded, unverified
documents left out). Nothing in the assistant itself uses this module: it is an adapter at the
edge, so no LangChain object crosses our own boundaries.
"""

from __future__ import annotations

from typing import Any

from langchain_core.callbacks import CallbackManagerForRetrieverRun
from langchain_core.documents import Document as LCDocument
from langchain_core.retrievers import BaseRetriever
from pydantic import ConfigDict

from assistant.core import Assistant
from assistant.models import Passage


class HybridRetriever(BaseRetriever):
    """Dense + BM25 passage retrieval over the assistant's index, best first."""

    model_config = ConfigDict(arbitrary_types_allowed=True)

    assistant: Assistant
    k: int = 5

    def _get_relevant_documents(
        self, query: str, *, run_manager: CallbackManagerForRetrieverRun
    ) -> list[LCDocument]:
        if not query.strip():
            return []
        language = self.assistant.language_of(query)
        result = self.assistant.retrieve(query, (), language)
        return [self._document(p) for p in result.passages[: self.k]]

    def _document(self, passage: Passage) -> LCDocument:
        metadata: dict[str, Any] = passage.to_json()
        text = metadata.pop("text")
        meta = self.assistant.documents[passage.chunk.doc_id].meta
        metadata.update(
            publisher=meta.publisher, url=meta.url, updated=meta.updated, language=meta.language
        )
        # LangChain stores and filters metadata as flat scalars: drop the empty ones.
        return LCDocument(
            page_content=text,
            metadata={k: v for k, v in metadata.items() if v is not None},
            id=f"{passage.chunk.doc_id}:{passage.chunk.start}-{passage.chunk.end}",
        )
