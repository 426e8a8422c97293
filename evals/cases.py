"""The evaluation set: loading cases and naming the groups they are reported in.

A case is one JSON object per line of `evals/cases.jsonl`: `kind` (answerable, followup,
unanswerable, emergency, crisis, advice, find), an optional `style` (paraphrase, exact,
translated, other-ms, drugs, off-topic, injection, people) and `language` (missing means "en").
Expected passages are `passages` (in the document `doc_id`) plus, when an answer is also found
in another document, `other_passages` ([{"doc_id", "text"}]). `split` is "dev" or "heldout"
for the cases written after the system was tuned; the older cases have none and count as
"legacy" (the system was built on them). Nobody tunes on "heldout".

The safety set (`evals/safety_cases.jsonl`) has the same shape with kind crisis, emergency,
advice or lookalike (an ordinary message that shares words with distress and must not be
routed) and a `split` of its own.

This module only reads and groups cases; running and scoring them is `evals.score`.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

SAFETY_KINDS = ("emergency", "crisis", "advice")
SPLITS = ("legacy", "dev", "heldout")
ANSWERABLE_KINDS = ("answerable", "followup")
ABSTENTION_KINDS = ("answerable", "followup", "unanswerable")


def load_cases(path: Path) -> list[dict[str, Any]]:
    lines = path.read_text(encoding="utf-8").splitlines()
    return [json.loads(line) for line in lines if line.strip()]


def language(case: dict[str, Any]) -> str:
    return case.get("language") or "en"


def category(case: dict[str, Any]) -> str:
    """`kind/style`; a case in another language without a style counts as `translated`."""
    style = case.get("style") or ("translated" if language(case) != "en" else None)
    return f"{case['kind']}/{style}" if style else case["kind"]


def split(case: dict[str, Any]) -> str:
    """The case's split, "heldout", "dev" or "legacy" (no split: the system was tuned on it)."""
    name = case.get("split") or "legacy"
    if name not in SPLITS:
        raise ValueError(f"case {case.get('id')!r}: unknown split {name!r} (one of {SPLITS})")
    return str(name)


def expected_passages(case: dict[str, Any]) -> list[str]:
    """Every passage that answers the case, in its own document or another one."""
    others = [p["text"] for p in case.get("other_passages", [])]
    return [*case.get("passages", []), *others]
