"""``layerline queue add|list|bed-cleared|cancel``: the queue across the farm.

The queue lives in the desktop database; ``layerline farm run`` (or the
window) works through it.  Exit codes: 0 done, 2 usage errors (no such file,
printer or item).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from app.services import Services
from printers.errors import PrinterError

NAME = "queue"
HELP = "queue prints across the farm"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    sub = parser.add_subparsers(dest="action", metavar="ACTION", required=True)
    add = sub.add_parser("add", help="queue a G-code file")
    add.add_argument("file", type=Path, metavar="FILE")
    add.add_argument("--copies", type=int, default=1, metavar="N")
    add.add_argument("--nozzle", type=float, metavar="MM", help="only printers with this nozzle")
    add.add_argument("--material", metavar="NAME", help="only printers loaded with this")
    add.add_argument("--min-volume", nargs=3, type=float, metavar=("X", "Y", "Z"),
                     help="only printers at least this big (mm)")
    add.add_argument("--tag", metavar="TAG", help="only printers with this tag")
    add.add_argument("--printer", metavar="NAME", help="this printer and no other")
    add.add_argument("--no-start", action="store_true",
                     help="upload to a fitting printer but do not start")
    add.add_argument("--json", action="store_true", help="print the items as JSON")
    ls = sub.add_parser("list", help="list the queue")
    ls.add_argument("--json", action="store_true", help="print JSON")
    ls.add_argument("--all", action="store_true", help="include ended items")
    bed = sub.add_parser("bed-cleared", help="confirm a printer's bed is cleared")
    bed.add_argument("printer", metavar="PRINTER")
    cancel = sub.add_parser("cancel", help="cancel a pending item")
    cancel.add_argument("item", type=int, metavar="ID")


def run(args: argparse.Namespace, services: Services) -> int:
    from printers.farm.queue import Requirements

    queue = services.farm.queue
    store = services.printers.store
    try:
        if args.action == "add":
            if args.copies < 1:
                print("layerline: --copies must be at least 1", file=sys.stderr)
                return 2
            if args.printer:
                store.printer(args.printer)
            req = Requirements(nozzle=args.nozzle, material=args.material,
                               min_volume=tuple(args.min_volume) if args.min_volume else None,
                               tag=args.tag, printer=args.printer)
            items = queue.add(args.file, copies=args.copies, requirements=req,
                              start=not args.no_start)
            if args.json:
                print(json.dumps({"items": [i.as_dict() for i in items]}, indent=2))
            else:
                ids = ", ".join(str(i.id) for i in items)
                print(f"queued {len(items)} x {args.file.name} ({req.describe()}): item {ids}")
            return 0
        if args.action == "bed-cleared":
            store.printer(args.printer)
            if queue.bed_cleared(args.printer):
                print(f"{args.printer}: bed cleared, ready for its next job")
            else:
                print(f"{args.printer}: was not waiting for its bed to be cleared")
            return 0
        if args.action == "cancel":
            queue.cancel(args.item)
            print(f"item {args.item} cancelled")
            return 0
    except PrinterError as exc:
        print(f"layerline: {exc}", file=sys.stderr)
        return 2
    items = queue.items(include_ended=args.all or args.json)
    beds = sorted(queue.beds_to_clear())
    if args.json:
        print(json.dumps({"items": [i.as_dict() for i in items], "beds_to_clear": beds},
                         indent=2))
        return 0
    if not items:
        print("the queue is empty")
    for i in items:
        where = i.assigned or i.requirements.describe()
        reason = f"  ({i.reason})" if i.reason else ""
        print(f"{i.id:>5}  {i.state.value:<11} {i.file_name:<32} {where}{reason}")
    for name in beds:
        print(f"waiting: {name}'s bed to be cleared ('layerline queue bed-cleared {name}')")
    return 0
