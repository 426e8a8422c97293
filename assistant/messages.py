"""The assistant's own fixed sentences, read from text files in `messages/<language>/`.

Keeping them in files keeps the wording reviewable (and translatable) apart from code.
Each language (en, es, fr, de, pt) has the same files; a missing one falls back to English.
The app's labels (buttons, headings) are the web UI's own: see `webui/labels.py`.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

_FOLDER = Path(__file__).parent / "messages"


@lru_cache(maxsize=64)
def _read(language: str, name: str) -> str:
    path = _FOLDER / language / f"{name}.txt"
    if not path.exists():
        path = _FOLDER / "en" / f"{name}.txt"
    return path.read_text(encoding="utf-8").strip()


def message(name: str, language: str = "en", **values: object) -> str:
    text = _read(language, name)
    return text.format(**values) if values else text
