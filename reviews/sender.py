"""The outbox's sender thread and the transport interface it sends through.

A :class:`Transport` delivers one item and says what became of it:

- returns :class:`Delivered` (the service applied it, or had already applied
  it under the same idempotency key, and gave this answer);
- returns :class:`Rejected` (the service refused it and applied nothing;
  ``fixable`` says whether the user can change something and resend);
- raises :class:`TransientError` (the service is down, timed out, answered
  5xx, or the connection dropped: the item may or may not have arrived, so it
  is sent again later with the same idempotency key).

Any other exception from a transport is a bug in it: logged with its
traceback and treated like a transient error at the longest back-off, so a
bug never loses an item nor spins.

:class:`OutboxSender` owns one thread.  ``start()`` queues again what a dead
process left ``sending`` and starts the loop; ``wake()`` makes it look for
work at once (call it after :meth:`Outbox.add`, or when the network is back);
``stop()`` asks it to finish the item in hand and joins it.  Retries back off
exponentially with jitter (:class:`Backoff`), per item; after a failure
streak ends, the items that were waiting are made due again at once.
"""

from __future__ import annotations

import logging
import random
import threading
from dataclasses import dataclass
from typing import Any, Protocol

from reviews.errors import ReviewsError
from reviews.outbox import Outbox, OutboxItem

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Delivered:
    answer: Any = None


@dataclass(frozen=True, slots=True)
class Rejected:
    reason: str
    fixable: bool
    answer: Any = None


class TransientError(ReviewsError):
    """Delivery failed in a way that may pass: try again, with the same key."""


class Transport(Protocol):
    def send(self, item: OutboxItem) -> Delivered | Rejected:
        """Deliver ``item`` once (sending ``item.idempotency_key``); raise
        :class:`TransientError` when the outcome is unknown or may change."""
        ...


@dataclass(frozen=True, slots=True)
class Backoff:
    """Exponential back-off with "equal jitter": the n-th retry of an item
    waits a random time in ``[d/2, d]`` with ``d = min(cap, base * 2**(n-1))``."""

    base: float = 1.0
    cap: float = 600.0

    def delay(self, attempt: int, rng: random.Random) -> float:
        d = min(self.cap, self.base * 2.0 ** max(0, min(attempt - 1, 60)))
        return rng.uniform(d / 2, d)


class OutboxSender:
    """Delivers due outbox items one at a time on its own thread."""

    def __init__(self, outbox: Outbox, transport: Transport, *,
                 backoff: Backoff | None = None, rng: random.Random | None = None,
                 idle_wait: float = 60.0, name: str = "outbox-sender") -> None:
        self._outbox = outbox
        self._transport = transport
        self._backoff = backoff or Backoff()
        self._rng = rng or random.Random()
        self._idle_wait = idle_wait
        self._name = name
        self._wake = threading.Event()
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None
        self._failure_streak = 0

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def start(self) -> None:
        if self._thread is not None:
            raise RuntimeError("the outbox sender was already started")
        self._outbox.recover()
        self._thread = threading.Thread(target=self._run, name=self._name, daemon=True)
        self._thread.start()
        log.debug("outbox sender started")

    def wake(self) -> None:
        """Look for due items now (after an add, or when the network is back)."""
        self._wake.set()

    def stop(self, timeout: float = 30.0) -> bool:
        """Stop after the item in hand and join; True if the thread ended."""
        self._stopping.set()
        self._wake.set()
        if self._thread is None:
            return True
        self._thread.join(timeout)
        alive = self._thread.is_alive()
        if alive:
            log.warning("the outbox sender did not stop within %.0f s", timeout)
        return not alive

    def run_until_idle(self) -> None:
        """Deliver everything due now on the calling thread (``layerline sync``
        and tests), without pausing after failures; returns when nothing is
        due.  Do not mix with :meth:`start` on the same sender."""
        while not self._stopping.is_set() and self._step() != "idle":
            pass

    def _run(self) -> None:
        while not self._stopping.is_set():
            try:
                outcome = self._step()
            except Exception:  # the database itself failed: wait, then go on
                log.exception("the outbox sender failed; trying again later")
                outcome = "failed"
            if outcome == "sent":
                continue
            if outcome == "failed":
                # Pause the whole sender too, so that a service that is down
                # is not hammered with every queued item in turn.
                pause = self._backoff.delay(max(1, self._failure_streak), self._rng)
            else:
                due = self._outbox.next_due_at()
                pause = self._idle_wait if due is None else due - self._outbox.clock()
            self._wake.wait(min(max(0.0, pause), self._idle_wait))
            self._wake.clear()
        log.debug("outbox sender stopped")

    def _step(self) -> str:
        """Send one due item: ``sent`` (delivered or rejected), ``failed``
        (to be retried) or ``idle`` (nothing was due)."""
        item = self._outbox.claim_next()
        if item is None:
            return "idle"
        try:
            outcome = self._transport.send(item)
        except TransientError as exc:
            self._retry(item, str(exc) or type(exc).__name__,
                        self._backoff.delay(item.attempts, self._rng))
            return "failed"
        except Exception as exc:
            log.exception("the outbox transport failed on item %d (a bug)", item.id)
            self._retry(item, f"internal error: {exc!r}", self._backoff.cap)
            return "failed"
        if isinstance(outcome, Delivered):
            self._outbox.mark_delivered(item, outcome.answer)
        else:
            self._outbox.mark_rejected(item, outcome.reason, fixable=outcome.fixable,
                                       answer=outcome.answer)
        if self._failure_streak >= 2:
            # Several failures in a row ended: the service or the network is
            # back, so what waited for it need not wait out its back-off.
            hurried = self._outbox.hurry()
            if hurried:
                log.info("outbox: the service answers again; %d waiting item(s) are due now",
                         hurried)
        self._failure_streak = 0
        return "sent"

    def _retry(self, item: OutboxItem, error: str, delay: float) -> None:
        self._failure_streak += 1
        self._outbox.mark_retry(item, error, delay=delay)
