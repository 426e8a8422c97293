"""The evaluation set in generative mode: the configured language model's answers, checked,
beside the extractive answers to the same cases.

    MSRA_LLM=openai MSRA_LLM_BASE_URL=... MSRA_LLM_MODEL=... python -m evals.run --generative

For every case it records how many sentences the model wrote, how many the verifier removed
and why (no citation, a number or a negation that does not match, unsupported), whether the
model could be reached, and which answerer's answer was given; then the usual figures
(cited-correct: an answering passage among the quotes) for both answerers. Retrieval, safety
and abstention are shared, so only the answers differ. The endpoint is whatever the settings
name; nothing here knows whether it is a real model.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import replace
from typing import Any

from assistant.core import Assistant
from assistant.generative import GenerativeAnswerer
from assistant.lanes import Lane, Lanes
from evals import metrics
from evals.cases import ANSWERABLE_KINDS
from evals.report import fmt, text_table
from evals.score import Row, run_case, summarise

COMPARED = (
    ("success", "task success"),
    ("answered_correctly", "answered with an answering quote"),
    ("cited_correct", "cited-correct (of answered questions)"),
    ("wrong_abstention", "wrong abstention (answerable)"),
    ("abstention_on_unanswerable", "abstention on unanswerable"),
    ("latency_ms_p50", "latency p50 (ms)"),
)


def generative_answerers(assistant: Assistant) -> list[GenerativeAnswerer]:
    lanes = {id(lane): lane for lane in (assistant.lanes.main, assistant.lanes.for_language("es"))}
    return [
        lane.answerer for lane in lanes.values() if isinstance(lane.answerer, GenerativeAnswerer)
    ]


def extractive_twin(assistant: Assistant) -> Assistant:
    """The same assistant (same retrievers, safety, settings) answering with quotes only."""

    def quoting(lane: Lane) -> Lane:
        return replace(lane, answerer=getattr(lane.answerer, "extractive", lane.answerer))

    main = quoting(assistant.lanes.main)
    translated = quoting(assistant.lanes.for_language("es"))
    lanes = Lanes(
        lambda: main, lambda _: translated if translated.store is not main.store else None
    )
    return Assistant(assistant.settings, lanes, safety=assistant.safety)


def run_generative(assistant: Assistant, cases: list[dict[str, Any]]) -> list[Row]:
    """Each case's outcome with what the model wrote and what the verifier kept."""
    answerers = generative_answerers(assistant)
    rows = []
    for case in cases:
        for answerer in answerers:
            answerer.last = None
        row = run_case(assistant, case)
        generation = next((a.last for a in answerers if a.last is not None), None)
        checked = generation.checked if generation else ()
        row |= {
            "called_model": generation is not None,
            "model_error": generation.error if generation else "",
            "generated": len(checked),
            "removed": [c.reason for c in checked if not c.kept],
            "kept_sentences": [c.text for c in checked if c.kept],
        }
        rows.append(row)
    return rows


def generation_figures(rows: list[Row]) -> dict[str, Any]:
    """What happened to the model's sentences over these outcomes."""
    called = [r for r in rows if r.get("called_model")]
    generated = sum(r["generated"] for r in called)
    removed = [reason for r in called for reason in r["removed"]]
    answered = [r for r in rows if r["status"] == "answered"]
    generative = [r for r in answered if r.get("answerer") == "generative"]
    return {
        "model_calls": len(called),
        "model_errors": sum(bool(r["model_error"]) for r in called),
        "sentences_generated": generated,
        "sentences_removed_share": len(removed) / generated if generated else None,
        "removed_by_reason": dict(Counter(removed).most_common()),
        "answers_generative_share": metrics.rate(
            [r.get("answerer") == "generative" for r in answered]
        ),
        "answers_fallback_share": metrics.rate(
            [r.get("answerer") == "extractive-fallback" for r in answered]
        ),
        "cited_correct_generative": metrics.rate(
            [
                bool(r["cited_correct"])
                for r in generative
                if r["kind"] in ANSWERABLE_KINDS and r["cited_correct"] is not None
            ]
        ),
    }


def evaluate(assistant: Assistant, cases: list[dict[str, Any]]) -> dict[str, Any]:
    """Both answerers on the same cases: their summaries and the generation figures."""
    assistant.ask("warm-up question about exercise")
    extractive_rows = [run_case(extractive_twin(assistant), case) for case in cases]
    generative_rows = run_generative(assistant, cases)
    return {
        "extractive": {"summary": summarise(extractive_rows), "results": extractive_rows},
        "generative": {
            "summary": summarise(generative_rows),
            "generation": generation_figures(generative_rows),
            "results": generative_rows,
        },
    }


def terminal_report(data: dict[str, Any], endpoint: str) -> str:
    ours, gen = data["extractive"]["summary"], data["generative"]["summary"]
    rows = [[label, fmt(ours.get(key)), fmt(gen.get(key))] for key, label in COMPARED]
    figures = data["generative"]["generation"]
    lines = [
        f"Generative mode against {endpoint}",
        text_table(["metric", "extractive", "generative"], rows),
        "",
        "What the verifier did with the model's sentences:",
        text_table(
            ["figure", "value"],
            [[key.replace("_", " "), fmt(value)] for key, value in figures.items()],
        ),
    ]
    return "\n".join(lines)
