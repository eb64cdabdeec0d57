"""``layerline stats``: success rates per model, profile, printer and
material (with the prints each rests on), failure reasons, weekly trend."""

from __future__ import annotations

import argparse
import datetime as dt
import json

from app.services import Services

NAME = "stats"
HELP = "success rates, failure reasons and trends from the print history"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--json", action="store_true", help="print JSON")
    parser.add_argument("--by", choices=("model", "profile", "printer", "material"),
                        help="only the rates grouped by this")
    parser.add_argument("--since", metavar="DATE", help="only jobs since DATE (YYYY-MM-DD, UTC)")
    parser.add_argument("--printer", metavar="NAME", help="only this printer's jobs")


def run(args: argparse.Namespace, services: Services) -> int:
    from app.commands.history import synced
    from history import stats
    from history.records import parse_date

    since = parse_date(args.since) if args.since else None
    history = synced(services)
    st = stats.compute(history.engine, since=since, printer=args.printer)
    if args.json:
        print(json.dumps(st.as_dict(args.by), indent=2))
        return 0
    if st.prints == 0:
        print("no finished print jobs yet")
        return 0
    print(f"{st.prints} prints, {st.successes} successful ({st.rate:.0%})")
    for dim in (args.by,) if args.by else stats.DIMENSIONS:
        print(f"\nby {dim}:")
        for r in st.by[dim]:
            print(f"  {r.rate:>5.0%}  {r.successes:>5}/{r.prints:<5}  {r.label}")
    if st.reasons:
        print("\nfailure reasons:")
        for reason, n in st.reasons:
            print(f"  {n:>6}  {reason}")
    if st.weeks and not args.by:
        print("\nper week:")
        for w in st.weeks[-12:]:
            monday = dt.date(1970, 1, 1) + dt.timedelta(days=w.week)
            print(f"  {monday}  {w.prints:>5} prints  {w.rate:>5.0%}  "
                  f"{w.printing_s / 3600:7.1f} h  {w.filament_mm / 1000:8.2f} m")
    return 0
