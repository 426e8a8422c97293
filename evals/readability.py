"""Reading grade of the assistant's own fixed sentences, the message files it answers with.

The accessibility aim is that these stay at or below grade 8; the report lists each file
per language folder. Placeholders are filled with short sample values first.
"""

from __future__ import annotations

import re
from pathlib import Path

from evals.metrics import flesch_kincaid_grade

MESSAGES = Path(__file__).resolve().parent.parent / "assistant" / "messages"
GRADE_AIM = 8.0
_SAMPLES = {
    "topics": "exercise; therapy",
    "titles": "exercise; therapy",
    "refs": "[1]",
    "year": "2019",
    "length": "2500",
}


def fill_placeholders(text: str) -> str:
    return re.sub(r"\{(\w+)\}", lambda m: _SAMPLES.get(m.group(1), "100"), text)


def message_grades(folder: Path = MESSAGES) -> dict[str, dict[str, float | None]]:
    """{language: {message name: Flesch-Kincaid grade}} for every `<language>/<name>.txt`."""
    grades: dict[str, dict[str, float | None]] = {}
    for language_dir in sorted(p for p in folder.iterdir() if p.is_dir()):
        grades[language_dir.name] = {
            path.stem: flesch_kincaid_grade(
                fill_placeholders(path.read_text(encoding="utf-8")), language_dir.name
            )
            for path in sorted(language_dir.glob("*.txt"))
        }
    return grades
