"""``layerline sync``: send everything in the outbox now, and report.

Receipts of ended jobs that have none yet are queued first (every print
counts), held receipts go now.  Exit codes: 0 everything was delivered,
1 something is still waiting (the marketplace cannot be reached, or you are
not signed in), 3 the marketplace refused some item (see ``layerline outbox``).
"""

from __future__ import annotations

import argparse

from app.services import Services

NAME = "sync"
HELP = "send the outbox to the marketplace now"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    pass


def run(args: argparse.Namespace, services: Services) -> int:
    from app import reviews_glue
    from reviews.outbox import State

    queued = reviews_glue.record_ended_jobs(services)
    if queued:
        print(f"queued the receipts of {queued} finished print(s)")
    counts = services.reviews.sync()
    print(f"delivered {counts[State.DELIVERED]}, waiting {counts[State.QUEUED]}, "
          f"refused {counts[State.REJECTED]}")
    if counts[State.REJECTED]:
        return 3
    return 1 if counts[State.QUEUED] or counts[State.SENDING] else 0
