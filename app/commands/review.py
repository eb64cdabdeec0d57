"""``layerline review JOB_ID --rating N [--photo PATH]... [--text TEXT]``.

A review of what a finished job printed, carrying that job's signed receipt
(queued first if it was not).  The marketplace model (and profile) come from
the receipt when known, else from ``--model`` / ``--profile``.  Photos are
oriented and stripped of every bit of metadata before they are queued.  The
review is then sent at once (``--no-send``: only queued; ``layerline sync``
sends later).  Exit codes: 0 queued (and delivered), 1 queued but not
delivered yet, 2 usage, 3 refused by the marketplace.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from app.services import Services

NAME = "review"
HELP = "review a finished print on the marketplace (with its receipt)"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("job_id", type=int, metavar="JOB_ID")
    parser.add_argument("--rating", type=int, required=True, metavar="N", help="1 to 5 stars")
    parser.add_argument("--photo", type=Path, action="append", default=[], metavar="PATH")
    parser.add_argument("--text", default="", metavar="TEXT")
    parser.add_argument("--model", type=int, metavar="ID", help="the marketplace model id")
    parser.add_argument("--profile", type=int, metavar="ID", help="its print profile id")
    parser.add_argument("--no-send", action="store_true", help="only queue it")


def run(args: argparse.Namespace, services: Services) -> int:
    from app import reviews_glue
    from printers.errors import JobError
    from reviews.errors import ReviewsError
    from reviews.outbox import State

    if not 1 <= args.rating <= 5:
        print("layerline: --rating is 1 to 5", file=sys.stderr)
        return 2
    try:
        job = services.printers.store.job(args.job_id)
    except JobError as exc:
        print(f"layerline: {exc}", file=sys.stderr)
        return 2
    if job.state not in reviews_glue.ENDED:
        print(f"layerline: job {job.id} is {job.state}; review it when it has ended",
              file=sys.stderr)
        return 2
    reviews = services.reviews
    reviews.account.require()
    receipt = reviews_glue.record_job(services, job.id)
    model_id, profile_id = args.model, args.profile
    if receipt is not None:
        rec = receipt.payload.get("receipt", {})
        model_id = model_id or rec.get("model_id")
        profile_id = profile_id or rec.get("profile_id")
    if model_id is None:
        print("layerline: which marketplace model is this? give --model ID", file=sys.stderr)
        return 2
    try:
        photos = reviews.prepare_photos(args.photo)
        item = reviews.submit_review(model_id=model_id, profile_id=profile_id,
                                     rating=args.rating, description=args.text, photos=photos,
                                     receipt_item_id=receipt.id if receipt else None,
                                     title=f"review of {Path(job.file).name}")
    except ReviewsError as exc:
        print(f"layerline: {exc}", file=sys.stderr)
        return 2
    print(f"review queued (outbox item {item.id})")
    if args.no_send:
        return 0
    reviews.sync()
    done = reviews.outbox.get(item.id)
    if done.state is State.DELIVERED:
        points = (done.answer or {}).get("points", {})
        print(f"review {done.answer.get('id')} published; points paid: {points.get('paid', 0)}"
              + ("; backed by a confirmed print" if done.answer.get("confirmed_print") else ""))
        return 0
    if done.state is State.REJECTED:
        print(f"layerline: the marketplace refused the review: {done.last_error}",
              file=sys.stderr)
        return 3
    print(f"not delivered yet ({done.last_error}); `layerline sync` will send it")
    return 1
