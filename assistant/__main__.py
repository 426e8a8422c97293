"""Command line: `python -m assistant ask|find|source` (see shared/contract.md).

Machine-readable output goes to stdout, one JSON object per line; messages for people go
to stderr. A user-facing error prints one sentence and exits 2, never a traceback.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from assistant.contract import ask_json, find_json
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
        for line in _requests(args):
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
        yield {"id": None, key: args.text or ""}
        return
    try:
        lines = args.batch.read_text(encoding="utf-8").splitlines()
    except OSError as exc:
        raise AssistantError(f"Cannot read the batch file {args.batch}: {exc.strerror}.") from exc
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            item = json.loads(line)
            if not isinstance(item, dict):
                raise ValueError("not an object")
        except ValueError:
            item = {
                "id": f"line-{number}",
                key: "",
                "_error": f"line {number} is not a JSON object",
            }
        yield item


def _ask_one(assistant: Any, item: dict[str, Any]) -> dict[str, Any]:
    out = {"id": item.get("id"), **ask_json(assistant, item.get("question"), item.get("history"))}
    if item.get("_error"):
        out["answer"] = f"Invalid input: {item['_error']}."
    return out


def _find_one(assistant: Any, item: dict[str, Any]) -> dict[str, Any]:
    return {"id": item.get("id"), **find_json(assistant, item.get("text"))}


def _emit(result: dict[str, Any], as_json: bool) -> None:
    if as_json:
        print(json.dumps(result, ensure_ascii=False), flush=True)
    elif "answer" in result:
        print(result["answer"])
        for c in result["citations"]:
            print(
                f"[{c['n']}] {c['title']} ({c.get('publisher') or 'publisher not stated'}, "
                f"{c.get('updated') or 'undated'}), characters {c['start']}-{c['end']}"
            )
        print()
    else:
        for m in result["matches"]:
            print(f"{m['score']:.2f}  {m['doc_id']} {m['start']}-{m['end']}: {m['text']}")


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
