"""Command line: `python -m assistant ask|find|source` (see shared/contract.md).

Machine-readable output goes to stdout, one JSON object per line; messages for people go
to stderr. A user-facing error prints one sentence and exits 2, never a traceback.
"""

from __future__ import annotations

import argparse
import codecs
import json
import math
import re
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from assistant.contract import ask_json, find_json, history_problem, turns_from
from assistant.errors import AssistantError
from assistant.settings import Settings


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        from assistant.build import build_assistant

        assistant = build_assistant(Settings.from_env())
        if args.command == "source":
            return _source(assistant, args)
        handler = _ask_one if args.command == "ask" else _find_one
        # With a language model, plain output shows each checked sentence as it is accepted.
        streamed = (
            args.command == "ask" and not args.json and assistant.settings.llm != "extractive"
        )
        for line in _requests(args):
            if streamed and not line.get("_error"):
                _ask_streamed(assistant, line)
            else:
                _emit(handler(assistant, line), args.json)
    except AssistantError as exc:
        print(f"Error: {exc}", file=sys.stderr)
        return 2
    return 0


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m assistant")
    sub = parser.add_subparsers(dest="command", required=True)
    for name, what in (("ask", "QUESTION"), ("find", "TEXT")):
        cmd = sub.add_parser(name)
        cmd.add_argument("text", nargs="?", metavar=what)
        cmd.add_argument("--json", action="store_true", help="one JSON object per line")
        cmd.add_argument("--batch", type=Path, help="a JSONL file of requests")
    source = sub.add_parser("source")
    source.add_argument("doc_id")
    source.add_argument("--json", action="store_true")
    return parser


def _requests(args: argparse.Namespace) -> Iterator[dict[str, Any]]:
    key = "question" if args.command == "ask" else "text"
    if args.batch is None:
        item = {"id": None, key: args.text or ""}
        problem = _unusable_text(item)
        yield {"id": None, key: "", "_error": problem} if problem else item
        return
    try:
        data = args.batch.read_bytes()
    except OSError as exc:
        raise AssistantError(f"Cannot read the batch file {args.batch}: {exc.strerror}.") from exc
    # Lines end at "\n" only: U+2028 or U+0085 inside a JSON string is part of the text.
    for number, line in enumerate(data.removeprefix(codecs.BOM_UTF8).split(b"\n"), start=1):
        if line.strip():
            yield _parse_line(line, number, key)


def _parse_line(line: bytes, number: int, key: str) -> dict[str, Any]:
    """One batch line as a request, or an `_error` saying why it cannot be one (with the id
    the line gives, if any can be read). Each line is decoded on its own."""
    try:
        text = line.decode("utf-8")
    except UnicodeDecodeError as exc:
        shown = line.decode("utf-8", "replace")
        reason = f"line {number} is not UTF-8 text (unreadable byte at position {exc.start})"
        return _invalid(shown, number, key, reason)
    try:
        item = json.loads(text, parse_constant=_not_json, parse_float=_number)
    except RecursionError:
        return _invalid(text, number, key, f"line {number} is nested too deeply")
    except ValueError as exc:
        return _invalid(text, number, key, f"line {number} is not valid JSON ({exc})")
    if not isinstance(item, dict):
        return _invalid(text, number, key, f"line {number} is not a JSON object")
    problem = _unusable_text(item) or (
        history_problem(item.get("history")) if key == "question" else ""
    )
    if problem:
        return _invalid(text, number, key, f"line {number}: {problem}")
    return {**item, "id": _echoable(item.get("id"))}


class _Raw:
    """A number JSON can write but not hold (1e999): kept as the text it was written as."""

    def __init__(self, text: str) -> None:
        self.text = text


def _number(text: str) -> float | _Raw:
    value = float(text)
    return value if math.isfinite(value) else _Raw(text)


def _not_json(token: str) -> None:
    raise ValueError(f"{token} is not a JSON value")


def _unusable_text(item: dict[str, Any]) -> str:
    try:
        json.dumps(item, ensure_ascii=False, default=lambda raw: raw.text).encode("utf-8")
    except UnicodeEncodeError:
        return "it contains a lone surrogate (such as \\ud800), which is not text"
    return ""


def _invalid(text: str, number: int, key: str, reason: str) -> dict[str, Any]:
    return {"id": _salvaged_id(text, number), key: "", "_error": reason}


_ID = re.compile(r'"id"\s*:\s*("(?:[^"\\]|\\.)*"|-?[\w.+-]+)')


def _salvaged_id(text: str, number: int) -> Any:
    """The id a broken line gives, as far as it can be read; else `line-N`."""
    try:
        item = json.loads(text, parse_constant=_Raw, parse_float=_number)
    except (ValueError, RecursionError):
        item = None
    if isinstance(item, dict) and "id" in item:
        return _echoable(item["id"])
    found = _ID.search(text[:10_000])
    if found:
        try:
            return _echoable(json.loads(found[1], parse_constant=_Raw, parse_float=_number))
        except ValueError:
            return found[1]
    return f"line-{number}"


def _echoable(value: Any) -> Any:
    """An id as strict JSON can carry it: 1e999 and NaN as their text, lone surrogates as
    U+FFFD, anything else that cannot be written as null."""
    if isinstance(value, _Raw):
        return value.text
    if isinstance(value, str):
        return re.sub(r"[\ud800-\udfff]", "\ufffd", value)
    try:
        json.dumps(value, ensure_ascii=False, allow_nan=False).encode("utf-8")
    except (ValueError, TypeError, UnicodeEncodeError):
        return None
    return value


def _ask_one(assistant: Any, item: dict[str, Any]) -> dict[str, Any]:
    out = {"id": item.get("id"), **ask_json(assistant, item.get("question"), item.get("history"))}
    if item.get("_error"):
        out["answer"] = f"Invalid input: {item['_error']}."
    return out


def _find_one(assistant: Any, item: dict[str, Any]) -> dict[str, Any]:
    out = {"id": item.get("id"), **find_json(assistant, item.get("text"))}
    if item.get("_error"):
        out["error"] = f"{item['_error']}."
    return out


def _ask_streamed(assistant: Any, item: dict[str, Any]) -> None:
    """Plain output of a generated answer: each checked sentence as soon as it is accepted,
    then the notes and sources; when the model's answer was not used (or nothing streamed),
    the whole answer that was given instead."""
    answer, streamed = None, False
    question = item.get("question")
    text = question if isinstance(question, str) else ""
    for piece in assistant.ask_stream(text, turns_from(item.get("history"))):
        if isinstance(piece, str):
            print(piece, flush=True)
            streamed = True
        else:
            answer = piece
    assert answer is not None
    result = {"id": item.get("id"), **answer.to_json()}
    if streamed and answer.answerer == "generative":
        print("\n" + "\n\n".join(answer.notes))
        _print_sources(result)
        return
    if streamed:
        print()
    _emit(result, as_json=False)


def _emit(result: dict[str, Any], as_json: bool) -> None:
    if as_json:
        print(json.dumps(result, ensure_ascii=False), flush=True)
    elif "answer" in result:
        print(result["answer"])
        _print_sources(result)
    else:
        for m in result["matches"]:
            print(f"{m['score']:.2f}  {m['doc_id']} {m['start']}-{m['end']}: {m['text']}")


def _print_sources(result: dict[str, Any]) -> None:
    for c in result["citations"]:
        print(
            f"[{c['n']}] {c['title']} ({c.get('publisher') or 'publisher not stated'}, "
            f"{c.get('updated') or 'undated'}), characters {c['start']}-{c['end']}"
        )
    print()


def _source(assistant: Any, args: argparse.Namespace) -> int:
    document = assistant.source(args.doc_id)
    if args.json:
        meta = document.meta
        print(
            json.dumps(
                {
                    "doc_id": meta.doc_id,
                    "title": meta.title,
                    "publisher": meta.publisher,
                    "author": meta.author,
                    "updated": meta.updated,
                    "language": meta.language,
                    "url": meta.url,
                    "source_note": meta.source_note,
                    "verified": meta.verified,
                    "source_path": document.source_path,
                    "page_starts": list(document.page_starts),
                    "text": document.text,
                },
                ensure_ascii=False,
            )
        )
    else:
        print(document.text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
