"""The sender thread: back-off, outcomes, threads, stop."""

from __future__ import annotations

import random
import threading
from collections.abc import Callable

import pytest

from reviews.outbox import Outbox, OutboxItem, State
from reviews.sender import Backoff, Delivered, OutboxSender, Rejected, TransientError

FAST = Backoff(base=0.01, cap=0.05)


class Scripted:
    """A transport that plays a script of outcomes per item, recording keys."""

    def __init__(self, script: Callable[[OutboxItem], Delivered | Rejected]) -> None:
        self.script = script
        self.sent: list[tuple[int, str]] = []
        self.threads: set[str] = set()

    def send(self, item: OutboxItem) -> Delivered | Rejected:
        self.sent.append((item.id, item.idempotency_key))
        self.threads.add(threading.current_thread().name)
        return self.script(item)


class Waiter:
    """Wait, with a timeout, until the outbox reports a condition."""

    def __init__(self, outbox: Outbox) -> None:
        self.outbox = outbox
        self.changed = threading.Condition()
        self.threads: set[str] = set()
        outbox.add_listener(self._on_change)

    def _on_change(self, item: OutboxItem) -> None:
        self.threads.add(threading.current_thread().name)
        with self.changed:
            self.changed.notify_all()

    def until(self, predicate: Callable[[], bool], timeout: float = 60) -> None:
        with self.changed:
            assert self.changed.wait_for(predicate, timeout), "timed out"


def test_backoff_grows_exponentially_with_jitter_up_to_the_cap() -> None:
    b = Backoff(base=1.0, cap=60.0)
    rng = random.Random(1)
    for attempt, full in [(1, 1), (2, 2), (3, 4), (6, 32), (7, 60), (100, 60), (10_000, 60)]:
        delays = [b.delay(attempt, rng) for _ in range(200)]
        assert all(full / 2 <= d <= full for d in delays)
        assert len(set(delays)) > 150  # jittered, not in lockstep


def test_transient_failures_are_retried_with_the_same_key(outbox: Outbox) -> None:
    failures = {"left": 3}

    def script(item: OutboxItem) -> Delivered | Rejected:
        if failures["left"]:
            failures["left"] -= 1
            raise TransientError("HTTP 503: busy")
        return Delivered({"id": 1})

    transport = Scripted(script)
    item = outbox.add("review", {"rating": 5})
    sender = OutboxSender(outbox, transport, backoff=FAST)
    waiter = Waiter(outbox)
    sender.start()
    try:
        waiter.until(lambda: outbox.get(item.id).state is State.DELIVERED)
    finally:
        assert sender.stop()
    done = outbox.get(item.id)
    assert done.attempts == 4 and done.answer == {"id": 1}
    assert {key for _id, key in transport.sent} == {item.idempotency_key}
    # Listeners and the transport ran on the sender's own thread.
    assert transport.threads == {"outbox-sender"}
    assert "outbox-sender" in waiter.threads
    assert not sender.running


def test_a_rejection_is_kept_with_its_reason(outbox: Outbox) -> None:
    transport = Scripted(lambda item: Rejected("description too short", fixable=True,
                                               answer={"status": 422}))
    item = outbox.add("review", {"text": "meh"})
    sender = OutboxSender(outbox, transport, backoff=FAST)
    sender.run_until_idle()
    rejected = outbox.get(item.id)
    assert rejected.state is State.REJECTED and rejected.attempts == 1
    assert (rejected.last_error, rejected.fixable) == ("description too short", True)
    assert rejected.answer == {"status": 422}


def test_a_transport_bug_loses_nothing(outbox: Outbox) -> None:
    calls = {"n": 0}

    def script(item: OutboxItem) -> Delivered | Rejected:
        calls["n"] += 1
        if calls["n"] == 1:
            raise KeyError("a bug in the transport")
        return Delivered(None)

    item = outbox.add("vote", {})
    sender = OutboxSender(outbox, Scripted(script), backoff=FAST)
    waiter = Waiter(outbox)
    sender.start()
    try:
        waiter.until(lambda: outbox.get(item.id).state is State.DELIVERED)
    finally:
        sender.stop()
    assert outbox.get(item.id).attempts == 2


def test_wake_sends_a_new_item_without_waiting_for_the_idle_timer(outbox: Outbox) -> None:
    transport = Scripted(lambda item: Delivered({"ok": True}))
    sender = OutboxSender(outbox, transport, backoff=FAST, idle_wait=3600)
    waiter = Waiter(outbox)
    sender.start()
    try:
        waiter.until(lambda: sender.running)
        item = outbox.add("feedback", {"text": "more plots"})
        sender.wake()
        waiter.until(lambda: outbox.get(item.id).state is State.DELIVERED)
    finally:
        assert sender.stop(timeout=30)


def test_a_sender_starts_only_once_and_stop_is_idempotent(outbox: Outbox) -> None:
    sender = OutboxSender(outbox, Scripted(lambda item: Delivered()), backoff=FAST)
    assert sender.stop()  # never started
    sender.start()
    with pytest.raises(RuntimeError):
        sender.start()
    assert sender.stop() and sender.stop()


def test_start_recovers_items_left_sending(outbox: Outbox) -> None:
    item = outbox.add("receipt", {"receipt": {"x": 1}})
    assert outbox.claim_next() is not None  # the previous process died here
    transport = Scripted(lambda i: Delivered({"id": 9}))
    sender = OutboxSender(outbox, transport, backoff=FAST)
    waiter = Waiter(outbox)
    sender.start()
    try:
        waiter.until(lambda: outbox.get(item.id).state is State.DELIVERED)
    finally:
        sender.stop()
    assert transport.sent == [(item.id, item.idempotency_key)]
    assert outbox.get(item.id).attempts == 2
