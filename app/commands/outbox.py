"""``layerline outbox [--json]``: what waits to go to the marketplace, and why."""

from __future__ import annotations

import argparse
import json
from datetime import UTC, datetime

from app.services import Services

NAME = "outbox"
HELP = "list the outbox: items waiting for the marketplace, sent, or refused (and why)"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--json", action="store_true", help="print JSON")
    parser.add_argument("--limit", type=int, default=200, metavar="N")


def run(args: argparse.Namespace, services: Services) -> int:
    outbox = services.reviews.outbox
    items = outbox.items(limit=args.limit)
    if args.json:
        print(json.dumps({
            "counts": {str(k): v for k, v in outbox.counts().items()},
            "items": [{"id": i.id, "kind": i.kind, "title": i.title, "state": str(i.state),
                       "attempts": i.attempts, "last_error": i.last_error,
                       "fixable": i.fixable, "idempotency_key": i.idempotency_key,
                       "next_attempt_at": i.next_attempt_at, "created_at": i.created_at,
                       "answer": i.answer, "files": len(i.files)} for i in items],
        }, indent=2, ensure_ascii=False))
        return 0
    if not items:
        print("the outbox is empty")
    for i in items:
        when = datetime.fromtimestamp(i.created_at, UTC).strftime("%Y-%m-%d %H:%M")
        why = f"  ({i.last_error})" if i.last_error else ""
        print(f"{i.id:>5}  {i.state:<9} {i.kind:<17} {when}  {i.title}"
              f"  [{i.attempts} attempt(s)]{why}")
    return 0
