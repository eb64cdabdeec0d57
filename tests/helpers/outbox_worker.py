"""A sending process for the outbox's kill-and-restart test.

    LAYERLINE_TEST_TOKEN=... python -m tests.helpers.outbox_worker DB_PATH URL TOTAL

Opens the desktop database at DB_PATH (migrating it like the app does),
starts the outbox sender with the HTTP transport against URL (the
marketplace, or a fault proxy in front of it; the bearer token from the
environment), prints
``ready <pid>`` and exits 0 once TOTAL items are delivered or rejected (or 3
after 300 s).  The test kills it with SIGKILL at chosen moments.
"""

from __future__ import annotations

import logging
import os
import sys
import threading
from pathlib import Path

import httpx

from app import db
from reviews.http_transport import HttpTransport
from reviews.outbox import Outbox, OutboxItem, State
from reviews.sender import Backoff, OutboxSender


def main(argv: list[str]) -> int:
    path, url, total = Path(argv[0]), argv[1], int(argv[2])
    logging.basicConfig(level=logging.WARNING)
    engine, sessions = db.open_database(path)
    outbox = Outbox(sessions)
    done = threading.Event()

    def finished() -> bool:
        counts = outbox.counts()
        return counts[State.DELIVERED] + counts[State.REJECTED] >= total

    def on_change(item: OutboxItem) -> None:
        if item.state in (State.DELIVERED, State.REJECTED) and finished():
            done.set()

    outbox.add_listener(on_change)
    token = os.environ.get("LAYERLINE_TEST_TOKEN")
    transport = HttpTransport(url, token=lambda: token, timeout=httpx.Timeout(5.0, read=2.0))
    sender = OutboxSender(outbox, transport, backoff=Backoff(base=0.02, cap=0.3),
                          idle_wait=0.2)  # items are added by another process
    sender.start()
    print(f"ready {threading.get_native_id()}", flush=True)
    ok = done.wait(300) or finished()
    sender.stop()
    transport.close()
    engine.dispose()
    return 0 if ok else 3


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
