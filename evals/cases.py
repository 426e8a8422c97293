"""The evaluation set: loading cases and naming the groups they are reported in.

A case is one JSON object per line of `evals/cases.jsonl`: `kind` (answerable, followup,
unanswerable, emergency, crisis, advice, find), an optional `style` (paraphrase, exact,
translated, other-ms, drugs, off-topic, injection) and `language` (missing means "en").
This module only reads and groups cases; running and scoring them is `evals.score`.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

SAFETY_KINDS = ("emergency", "crisis", "advice")
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
