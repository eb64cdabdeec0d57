"""``layerline history``: every print job, newest first."""

from __future__ import annotations

import argparse
import json

from app.services import Services

NAME = "history"
HELP = "list the print jobs, newest first"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--json", action="store_true", help="print JSON")
    parser.add_argument("--limit", type=int, default=200, metavar="N")


def run(args: argparse.Namespace, services: Services) -> int:
    jobs = services.printers.store.jobs(limit=args.limit)
    if args.json:
        print(json.dumps({"jobs": [j.as_dict() for j in jobs]}, indent=2))
        return 0
    if not jobs:
        print("no print jobs yet")
    for j in jobs:
        reason = f"  ({j.reason})" if j.reason else ""
        verdict = f"  [{j.verdict}]" if j.verdict else ""
        name = j.file.rsplit("/", 1)[-1]
        print(f"{j.id:>5}  {j.state:<12} {j.printer:<20} {name}  "
              f"{j.lines_confirmed}/{j.lines_total} lines{verdict}{reason}")
    return 0
