"""Thumbs up / down on answers, kept in a local SQLite file so the team can review failures.

Each row holds the question, the answer, its sources (as the contract's JSON) and an
optional comment. Nothing is sent anywhere; the file stays on this machine.
"""

from __future__ import annotations

import json
import os
import sqlite3
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from assistant.models import Answer

_SCHEMA = """
CREATE TABLE IF NOT EXISTS feedback (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    created_utc TEXT NOT NULL,
    rating TEXT NOT NULL CHECK (rating IN ('up', 'down')),
    question TEXT NOT NULL,
    status TEXT NOT NULL,
    answer TEXT NOT NULL,
    sources TEXT NOT NULL,
    comment TEXT NOT NULL DEFAULT ''
)
"""


@dataclass(frozen=True)
class FeedbackRow:
    id: int
    created_utc: str
    rating: str
    question: str
    status: str
    answer: str
    sources: list[dict[str, object]]
    comment: str


class FeedbackStore:
    def __init__(self, path: Path) -> None:
        self.path = path
        path.parent.mkdir(parents=True, exist_ok=True)
        # Questions can be personal: the file is for this account only (SQLite gives its
        # journal files the same mode).
        os.close(os.open(path, os.O_CREAT | os.O_WRONLY, 0o600))
        path.chmod(0o600)
        with self._connect() as db:
            db.execute(_SCHEMA)

    def _connect(self) -> sqlite3.Connection:
        # One short-lived connection per call: Gradio runs handlers on several threads.
        return sqlite3.connect(self.path, timeout=10)

    def record(self, answer: Answer, liked: bool) -> int:
        """Store a rating of `answer`; returns the row id a comment can be added to."""
        sources = json.dumps([c.to_json() for c in answer.citations], ensure_ascii=False)
        with self._connect() as db:
            cursor = db.execute(
                "INSERT INTO feedback (created_utc, rating, question, status, answer, sources)"
                " VALUES (?, ?, ?, ?, ?, ?)",
                (
                    datetime.now(UTC).isoformat(timespec="seconds"),
                    "up" if liked else "down",
                    answer.question,
                    answer.status,
                    answer.answer,
                    sources,
                ),
            )
            return int(cursor.lastrowid or 0)

    def add_comment(self, row_id: int, comment: str) -> None:
        with self._connect() as db:
            db.execute("UPDATE feedback SET comment = ? WHERE id = ?", (comment.strip(), row_id))

    def rows(self) -> list[FeedbackRow]:
        """Every rating, newest first."""
        with self._connect() as db:
            found = db.execute(
                "SELECT id, created_utc, rating, question, status, answer, sources, comment"
                " FROM feedback ORDER BY id DESC"
            ).fetchall()
        return [
            FeedbackRow(
                id=row[0],
                created_utc=row[1],
                rating=row[2],
                question=row[3],
                status=row[4],
                answer=row[5],
                sources=json.loads(row[6]),
                comment=row[7],
            )
            for row in found
        ]
