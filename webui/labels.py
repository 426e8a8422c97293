"""The app's own words (buttons, headings, results of library actions) in five languages.

One JSON file per language in `labels/` (en, es, fr, de, pt), all with the same keys; a
label not translated yet falls back to English. The assistant's own sentences (framing,
refusals, safety messages) are not here: they live in `assistant/messages/`, which the
command line uses too.
"""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path

_FOLDER = Path(__file__).parent / "labels"


def ui_labels(language: str = "en") -> dict[str, str]:
    """The app's labels in `language`; any label not translated yet is the English one."""
    return {**_labels("en"), **_labels(language)}


@lru_cache(maxsize=8)
def _labels(language: str) -> dict[str, str]:
    path = _FOLDER / f"{language}.json"
    return json.loads(path.read_text(encoding="utf-8")) if path.exists() else {}
