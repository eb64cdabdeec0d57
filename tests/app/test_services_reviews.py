"""``services.reviews`` and the outbox sender, in the app's start-up order."""

from __future__ import annotations

import threading
import time
from pathlib import Path

from app import logs, paths, services


def test_starting_the_sender_never_deadlocks_a_database_start_up_task(tmp_path: Path) -> None:
    """The window starts the sender from a database start-up task (on a
    thread of its own) while other start-up tasks may use ``services.reviews``.
    Starting the sender waits for the database; it must not hold the reviews
    lock meanwhile, or a later start-up task waits for it for ever."""
    svc = services.build(paths.from_basedir(tmp_path), logs.RingBuffer(), defer_database=True)
    try:
        svc.reviews  # noqa: B018 - built before the database opens, as in the app
        starter = threading.Thread(target=svc.start_outbox_sender, daemon=True)

        def later_task() -> None:  # on the database thread
            # Give the starter every chance to take the lock and wait for the
            # database (a bounded wait: it never takes it with the fix).
            deadline = time.monotonic() + 2.0
            while not svc._reviews_guard.locked() and time.monotonic() < deadline:
                time.sleep(0.01)
            assert svc.reviews is not None

        svc.database.on_ready(starter.start)
        svc.database.on_ready(later_task)
        svc.database.start()
        svc.database.wait(timeout=30)  # raises DatabaseError when deadlocked
        starter.join(30)
        assert not starter.is_alive()
        assert svc.reviews.sending
    finally:
        svc.shutdown()
    assert not svc.reviews.sending
