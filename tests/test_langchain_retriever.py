"""The hybrid retriever as a LangChain BaseRetriever: same passages, same order, our metadata."""

from __future__ import annotations

from langchain_core.documents import Document
from langchain_core.retrievers import BaseRetriever

from assistant.langchain_retriever import HybridRetriever

QUESTION = "Does insurance cover occupational therapy?"


def test_documents_are_the_retrieved_passages_with_metadata(fast_assistant):
    retriever = HybridRetriever(assistant=fast_assistant, k=3)
    assert isinstance(retriever, BaseRetriever)
    documents = retriever.invoke(QUESTION)
    passages = fast_assistant.ask(QUESTION).retrieved[:3]
    assert len(documents) == 3
    assert all(isinstance(d, Document) for d in documents)
    assert [d.page_content for d in documents] == [p.chunk.text for p in passages]
    first, passage = documents[0], passages[0]
    source = fast_assistant.documents[first.metadata["doc_id"]]
    assert source.text[first.metadata["start"] : first.metadata["end"]] == first.page_content
    assert first.metadata["title"] == source.meta.title
    assert first.metadata["publisher"] == source.meta.publisher
    assert first.metadata["score"] == round(passage.score, 4)
    assert first.id == f"{passage.chunk.doc_id}:{passage.chunk.start}-{passage.chunk.end}"
    assert any("Coverage for OT services varies by plan." in d.page_content for d in documents)


def test_empty_query_finds_nothing(fast_assistant):
    assert HybridRetriever(assistant=fast_assistant).invoke("   ") == []
