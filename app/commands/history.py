"""``layerline history``: every print job, newest first, with search and
filters; ``--csv`` / ``--json`` export what is listed."""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
from typing import Any

from app.services import Services

NAME = "history"
HELP = "list the print jobs, newest first (filter, search, export)"

OUTCOMES = ("completed", "failed", "cancelled", "interrupted", "active")
SYNC_TIMEOUT = 600.0


def add_arguments(parser: argparse.ArgumentParser) -> None:
    fmt = parser.add_mutually_exclusive_group()
    fmt.add_argument("--json", action="store_true", help="print JSON")
    fmt.add_argument("--csv", action="store_true", help="print CSV (every column)")
    parser.add_argument("--printer", metavar="NAME", help="only this printer's jobs")
    parser.add_argument("--outcome", choices=OUTCOMES, help="only jobs that ended so")
    parser.add_argument("--since", metavar="DATE", help="only jobs since DATE (YYYY-MM-DD, UTC)")
    parser.add_argument("--until", metavar="DATE", help="only jobs before DATE")
    parser.add_argument("--search", metavar="TEXT", default="",
                        help="part of the file name or the model's title")
    parser.add_argument("--reason", metavar="REASON", help="only jobs that failed for REASON")
    parser.add_argument("--limit", type=int, metavar="N",
                        help="at most N jobs (default 200 listed; exports list all)")


def history_filter(args: argparse.Namespace) -> Any:
    from history.records import HistoryFilter, parse_date

    return HistoryFilter(
        text=args.search, printer=args.printer, outcome=args.outcome, reason=args.reason,
        since=parse_date(args.since) if args.since else None,
        until=parse_date(args.until) if args.until else None)


def synced(services: Services) -> Any:
    """The history service, once it has caught up with the printers' jobs."""
    history = services.history
    future = history.sync()
    if future is not None:
        future.result(SYNC_TIMEOUT)
    return history


def run(args: argparse.Namespace, services: Services) -> int:
    flt = history_filter(args)  # a bad date is a usage error before any work
    store = synced(services).store
    limit = args.limit if args.limit is not None else (None if args.csv or args.json else 200)
    rows = store.iterate(flt)
    if limit is not None:
        rows = (r for i, r in zip(range(limit), rows, strict=False))
    if args.csv:
        import csv

        from history.records import ROW_FIELDS

        writer = csv.writer(sys.stdout)
        writer.writerow(ROW_FIELDS)
        for r in rows:
            writer.writerow(["" if x is None else x for x in (getattr(r, f) for f in ROW_FIELDS)])
        return 0
    if args.json:
        out = []
        for r in rows:
            d = r.as_dict()
            # The names of the earlier ``history --json`` stay.
            d.update(id=r.job_id, state=r.outcome, file=r.file_name)
            out.append(d)
        print(json.dumps({"jobs": out}, indent=2))
        return 0
    n = 0
    for r in rows:
        n += 1
        when = dt.datetime.fromtimestamp(r.created_at, dt.UTC).strftime("%Y-%m-%d %H:%M")
        reason = f"  ({r.reason})" if r.reason else ""
        verdict = f"  [{r.verdict}]" if r.verdict else ""
        model = f"  {r.model_title}" if r.model_title else ""
        print(f"{r.job_id:>5}  {when}  {r.outcome:<12} {r.printer:<16} {r.file_name}{model}"
              f"  {r.lines_confirmed}/{r.lines_total} lines{verdict}{reason}")
    if n == 0:
        print("no print jobs" + (" match" if flt != type(flt)() else " yet"))
    return 0
