"""Generative mode of the evaluation: its figures on synthetic outcomes, and a small run on the
fast index with a fake chat model (so the harness never goes stale)."""

from __future__ import annotations

import dataclasses

from fake_chat import FakeChatModel

from assistant.core import Assistant
from assistant.generative import GenerativeAnswerer, numbered_passages
from assistant.lanes import Lanes
from evals.generative import evaluate, extractive_twin, generation_figures, terminal_report
from evals.run import main


def _row(status, answerer=None, generated=0, removed=(), called=True, error="", **values):
    return {"kind": "answerable", "status": status, "answerer": answerer,
            "called_model": called, "generated": generated, "removed": list(removed),
            "model_error": error, "cited_correct": values.get("cited_correct")}  # fmt: skip


def test_generation_figures_on_synthetic_outcomes():
    rows = [
        _row("answered", "generative", 4, ["number"], cited_correct=True),
        _row("answered", "generative", 2, [], cited_correct=False),
        _row("answered", "extractive-fallback", 3, ["unsupported", "negation"]),
        _row("answered", "extractive-fallback", 0, [], error="ConnectionError: refused"),
        _row("abstained", called=False),
    ]
    figures = generation_figures(rows)
    assert figures["model_calls"] == 4
    assert figures["model_errors"] == 1
    assert figures["sentences_generated"] == 9
    assert figures["sentences_removed_share"] == 3 / 9
    assert figures["removed_by_reason"] == {"number": 1, "unsupported": 1, "negation": 1}
    assert figures["answers_generative_share"] == 0.5
    assert figures["answers_fallback_share"] == 0.5
    assert figures["cited_correct_generative"] == 0.5


def test_small_generative_run_on_the_fast_index(fast_assistant):
    cases = [
        {
            "id": "ot-coverage",
            "kind": "answerable",
            "question": "Does insurance cover occupational therapy?",
            "expect_status": "answered",
            "doc_id": "above-ms-occupational-therapy",
            "passages": ["Coverage for OT services varies by plan."],
        }
    ]
    result = fast_assistant.retrieve(cases[0]["question"], (), "en")
    passages = numbered_passages(result, fast_assistant.documents)
    n = next(p.n for p in passages if "Coverage for OT services varies by plan." in p.text)
    reply = (
        f"Coverage for occupational therapy services varies from plan to plan [{n}]. "
        f"Every insurer also gives you a free tablet computer [{n}]."
    )
    model = FakeChatModel([reply] * 3)
    retriever, extractive = fast_assistant.retriever, fast_assistant.answerer
    answerer = GenerativeAnswerer(model, retriever.documents, extractive, retriever.view)
    lane = dataclasses.replace(fast_assistant.lanes.main, answerer=answerer)
    assistant = Assistant(
        fast_assistant.settings, Lanes(lambda: lane), safety=fast_assistant.safety
    )
    assert extractive_twin(assistant).answerer is extractive
    data = evaluate(assistant, cases)
    (row,) = data["generative"]["results"]
    assert row["called_model"]
    assert row["generated"] == 2
    assert row["removed"] == ["unsupported"]
    assert data["extractive"]["results"][0]["answerer"] == "extractive"
    assert data["generative"]["generation"]["sentences_removed_share"] == 0.5
    assert "sentences removed share" in terminal_report(data, "fake")


def test_generative_mode_needs_an_endpoint(capsys, monkeypatch):
    monkeypatch.delenv("MSRA_LLM", raising=False)
    assert main(["--generative", "--limit", "1"]) == 2
    assert "MSRA_LLM" in capsys.readouterr().err
