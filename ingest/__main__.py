"""`python -m ingest [PATH ...] [--reset]`: index files and folders (default: the library,
that is corpus/ with the changes made in the app, kept in the data folder)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from assistant.build import build_embedder
from assistant.errors import AssistantError
from assistant.settings import Settings
from ingest.layers import Layers
from ingest.pipeline import run_ingest_all


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m ingest", description=__doc__)
    parser.add_argument("paths", nargs="*", type=Path, help="files or folders (default: corpus/)")
    parser.add_argument("--reset", action="store_true", help="delete the index and rebuild it")
    parser.add_argument(
        "--rehash",
        action="store_true",
        help="read every file to see whether it changed (otherwise a file whose size, times "
        "and inode are those of the last run is taken as unchanged)",
    )
    args = parser.parse_args(argv)
    try:
        settings = Settings.from_env()
        paths = args.paths or Layers.of(settings).folders()
        missing = [str(p) for p in paths if not p.exists()]
        if missing:
            print(
                f"Not found: {', '.join(missing)}. Give existing files or folders.", file=sys.stderr
            )
            return 2
        reports = run_ingest_all(
            paths, settings, build_embedder, reset=args.reset, rehash=args.rehash
        )
    except AssistantError as exc:
        print(f"Error: {exc}", file=sys.stderr)
        return 2
    for report in reports:
        print(report.summary(), file=sys.stderr)
    return 0 if all(report.usable for report in reports) else 1


if __name__ == "__main__":
    sys.exit(main())
