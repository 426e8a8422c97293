"""`python -m assistant ask|find --batch` against broken and hostile lines (issue 16, items 7
and 8): each line is decoded on its own, a line that cannot be used gets an `invalid` answer
with what id it has, the rest are answered, the output is strict JSON, and the exit code is 0."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
from conftest import ROOT

QUESTION = "What does an occupational therapist do?"


def _strict(line: str) -> dict:
    def refuse(token: str) -> None:
        raise ValueError(f"{token} is not JSON")

    return json.loads(line, parse_constant=refuse)


def _run(settings, *args: str) -> subprocess.CompletedProcess[bytes]:
    env = {
        **os.environ,
        "MSRA_INDEX_DIR": str(settings.index_dir),
        "MSRA_CORPUS_DIR": str(settings.corpus_dir),
        "MSRA_EMBEDDER": "hash",
        "MSRA_TRANSLATED_EMBEDDER": "",
        "PYTHONIOENCODING": "utf-8",
    }
    return subprocess.run(
        [sys.executable, "-m", "assistant", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        timeout=120,
        check=False,
    )


def _line(**fields) -> bytes:
    return json.dumps(fields, ensure_ascii=False).encode("utf-8")


BATCH = [
    # (line as bytes, expected id, expected status)
    (b"\xef\xbb\xbf" + _line(id="bom", question=QUESTION), "bom", "answered"),
    (
        _line(id="line-sep", question="What does an occupational\u2028therapist\u0085do?"),
        "line-sep",
        "answered",
    ),
    (b'{"id": "surrogate", "question": "\\ud800 walking aids"}', "surrogate", "invalid"),
    (b'{"id": "history-5", "question": "What is OT?", "history": 5}', "history-5", "invalid"),
    (b'{"id": "history-1.5", "question": "What is OT?", "history": 1.5}', "history-1.5", "invalid"),
    (
        b'{"id": "deep", "question": "x", "history": ' + b"[" * 200_000 + b"]" * 200_000 + b"}",
        "deep",
        "invalid",
    ),
    (b'{"id": "bad-utf8", "question": "caf\xff and walking"}', "bad-utf8", "invalid"),
    (b'{"id": 1e999, "question": "' + QUESTION.encode() + b'"}', "1e999", "answered"),
    (b'{"id": NaN, "question": "' + QUESTION.encode() + b'"}', "NaN", "invalid"),
    (b'{"id": "\\udc80x", "question": "What is OT?"}', "\ufffdx", "invalid"),
    (b"[1, 2, 3]", "line-11", "invalid"),
    (b"not json at all", "line-12", "invalid"),
    (_line(id="last", question=QUESTION), "last", "answered"),
]


def test_every_line_gets_a_strict_json_answer_and_the_batch_exits_0(fast_settings_built, tmp_path):
    batch = tmp_path / "batch.jsonl"
    batch.write_bytes(b"\n".join(line for line, _, _ in BATCH) + b"\n")
    result = _run(fast_settings_built, "ask", "--json", "--batch", str(batch))
    assert result.returncode == 0, result.stderr.decode(errors="replace")
    assert b"Traceback" not in result.stderr
    out = [_strict(line) for line in result.stdout.decode("utf-8").split("\n") if line]
    assert [(o["id"], o["status"]) for o in out] == [(i, s) for _, i, s in BATCH]
    for answer in out:
        if answer["status"] == "invalid":
            assert answer["answer"].startswith("Invalid input: line ")
    assert out[1]["question"] == "What does an occupational\u2028therapist\u0085do?"
    assert "not UTF-8" in out[6]["answer"]
    assert "history" in out[3]["answer"]


def test_find_batch_reports_a_bad_line_and_finds_the_rest(fast_settings_built, tmp_path):
    batch = tmp_path / "texts.jsonl"
    batch.write_bytes(
        b'{"id": "bad", "text": "\\ud800"}\n'
        + _line(id="good", text="Coverage for OT services varies by plan.")
        + b"\n"
    )
    result = _run(fast_settings_built, "find", "--json", "--batch", str(batch))
    assert result.returncode == 0, result.stderr.decode(errors="replace")
    bad, good = [_strict(line) for line in result.stdout.decode("utf-8").splitlines()]
    assert (bad["id"], bad["matches"]) == ("bad", [])
    assert bad["error"].startswith("line 1")
    assert good["id"] == "good"
    assert good["matches"]


@pytest.mark.parametrize("history", [5, 1.5, "text", {"role": "user"}])
def test_ask_json_with_a_history_of_the_wrong_type_is_invalid_not_a_crash(fast_assistant, history):
    from assistant.contract import ask_json

    answer = ask_json(fast_assistant, QUESTION, history)
    assert answer["status"] == "invalid"
