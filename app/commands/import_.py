"""``layerline import PATH...``: import files, folders and zip archives into
the library (in two worker processes), print the import report.

Exit codes: 0 every file imported (or already there), 1 error, 4 some
files failed (the report says which and why).  An import that was
interrupted is resumed first (``--no-resume`` leaves it for later).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from app.services import Services

NAME = "import"
HELP = "import model, G-code and zip files or folders into the library"
EXIT_SOME_FAILED = 4


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("paths", nargs="*", type=Path, metavar="PATH",
                        help="files, folders or zip archives")
    parser.add_argument("--json", action="store_true", help="print the report as JSON")
    parser.add_argument("--no-resume", action="store_true",
                        help="do not resume an interrupted import first")
    parser.add_argument("--workers", type=int, default=2, help="worker processes (default 2)")


def run(args: argparse.Namespace, services: Services) -> int:
    lib = services.library
    lib.importer.workers = max(1, args.workers)
    tty = sys.stderr.isatty() and not args.json

    def progress(p: object) -> None:
        if tty and hasattr(p, "finished"):
            print(f"\r{p.finished}/{p.total} {p.current[:50]:<50}", end="",  # type: ignore[attr-defined]
                  file=sys.stderr, flush=True)

    reports = []
    if not args.no_resume:
        for job in lib.importer.unfinished_jobs():
            reports.append(lib.importer.run(job, progress))
    if args.paths:
        reports.append(lib.importer.run(lib.importer.plan(args.paths), progress))
    elif not reports:
        print("layerline import: nothing to import (give files, folders or zips)",
              file=sys.stderr)
        return 2
    if tty:
        print(file=sys.stderr)
    failed = sum(r.count("failed") for r in reports)
    if args.json:
        json.dump([r.as_dict() for r in reports] if len(reports) > 1 else reports[0].as_dict(),
                  sys.stdout, indent=2)
        sys.stdout.write("\n")
    else:
        for r in reports:
            print(f"import {r.job_id}: {r.count('done')} imported, "
                  f"{r.count('duplicate')} already in the library, {r.count('failed')} failed "
                  f"({r.seconds:.1f} s)")
            for ln in r.lines:
                if ln.state == "failed":
                    print(f"  \u2716 {ln.name}: {ln.error}")
    return EXIT_SOME_FAILED if failed else 0
