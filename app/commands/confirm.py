"""``layerline confirm JOB_ID --good | --bad REASON``: the user's verdict on a print."""

from __future__ import annotations

import argparse
import sys

from app.services import Services
from printers.errors import JobError

NAME = "confirm"
HELP = "record whether a finished print came out good or bad"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("job_id", type=int, metavar="JOB_ID")
    verdict = parser.add_mutually_exclusive_group(required=True)
    verdict.add_argument("--good", action="store_true", help="the print came out good")
    verdict.add_argument("--bad", metavar="REASON", help="the print came out bad, and why")


def run(args: argparse.Namespace, services: Services) -> int:
    try:
        services.printers.store.set_verdict(args.job_id, args.good, args.bad)
    except JobError as exc:
        print(f"layerline: {exc}", file=sys.stderr)
        return 2
    print(f"job {args.job_id}: " + ("good" if args.good else f"bad ({args.bad})"))
    _queue_receipt(args.job_id, services)
    return 0


def _queue_receipt(job_id: int, services: Services) -> None:
    """The job's signed receipt, with the verdict, goes to the outbox
    (``layerline sync`` or the app sends it)."""
    from app import reviews_glue
    from reviews.errors import ReviewsError

    try:
        item = reviews_glue.record_job(services, job_id)
    except ReviewsError as exc:
        print(f"the receipt was not queued: {exc}", file=sys.stderr)
        return
    if item is None:
        print("not signed in to the marketplace: no receipt was queued "
              "(`layerline account login`)")
    else:
        print(f"receipt queued (outbox item {item.id}, verdict "
              f"{item.payload['receipt']['verdict']})")
