"""The farm supervisor's bridge: coalesced printer statuses at a fixed frame
rate, cards rendered off the GUI thread, job-end notices, and a worker
thread for the queue's calls.

A hundred printers each report several times a second, on their own threads.
One queued signal per report would flood the GUI thread, so the listener
only stores the latest status per printer under a lock (and notes when a job
ended, which must never be coalesced away) and wakes the bridge's frame
thread.  That thread takes everything that arrived, at most
:data:`FRAME_HZ` times a second, turns each changed printer into its card's
words and, once a renderer is installed (the dashboard installs one), into
the card's image; then it posts one :class:`Batch` to the GUI thread, whose
only work is to store the images and repaint the cards that changed.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any, Protocol

from PySide6.QtCore import QObject, Signal, Slot
from PySide6.QtGui import QImage

from ui.farm import present

log = logging.getLogger(__name__)

#: Flushes per second at most (a frame every 40 ms).
FRAME_HZ = 25


class Supervisor(Protocol):
    def statuses(self) -> Any: ...
    def subscribe(self, listener: Callable[[Any], None]) -> None: ...


@dataclass(frozen=True, slots=True)
class JobEnd:
    """A print ended on a printer: ``outcome`` is "completed", "failed" or
    "cancelled"; ``reason`` says why it failed."""

    printer: str
    job: str
    outcome: str
    reason: str


@dataclass(frozen=True, slots=True)
class Batch:
    """One frame: the latest status of each printer that reported, its
    card's words and (with a renderer) image, the job ends, and for each
    printer the monotonic times its reports arrived (when asked to record them)."""

    statuses: tuple[Any, ...]
    arrivals: dict[str, list[float]]
    cards: dict[str, present.Card] = field(default_factory=dict)
    images: dict[str, QImage] = field(default_factory=dict)
    ends: tuple[JobEnd, ...] = ()
    #: Arrival times of reports that changed nothing on screen (their card
    #: looks the same): shown as soon as the batch is taken in.
    unchanged: dict[str, list[float]] = field(default_factory=dict)
    taken: float = 0.0      # monotonic: when the frame thread took the statuses
    made: float = 0.0       # monotonic: when the batch was ready to post


class Renderer(Protocol):
    def __call__(self, card: present.Card, snapshot: QImage | None) -> QImage: ...


def job_end(before: Any, after: Any) -> JobEnd | None:
    """The job end between two consecutive statuses of a printer, if any:
    the job reads as ended for the first time, or the printer stopped being
    busy without saying how the job ended (the link was lost: "interrupted";
    the printer reported an error: "failed")."""
    if before is None:
        return None  # what ended before we looked is history, not news
    job = after.job
    if job is not None and job.state in present.ENDED_JOB_STATES:
        old = before.job
        if old is not None and old.job_id == job.job_id and old.file_name == job.file_name \
                and old.state in present.ENDED_JOB_STATES:
            return None  # already told
        return JobEnd(str(after.name), str(job.file_name), str(job.state),
                      present.reason(after))
    if not present.is_busy(before) or present.is_busy(after) or before.job is None:
        return None
    if job is not None and job.job_id == before.job.job_id and \
            present.state_value(after) not in present.UNWELL_STATES:
        return None  # the same job, not over yet
    outcome = "failed" if present.state_value(after) == "error" else "interrupted"
    return JobEnd(str(after.name), str(before.job.file_name), outcome, present.reason(after))


class FarmBridge(QObject):
    """See the module docstring.  ``batch`` carries a :class:`Batch` on the
    GUI thread; ``job_ended`` a :class:`JobEnd`.  With ``start=False`` the
    frame thread waits for :meth:`start` (the tests' way to see coalescing)."""

    batch = Signal(object)
    job_ended = Signal(object)
    failed = Signal(str)
    _framed = Signal(object)
    _posted = Signal(object)

    def __init__(self, supervisor: Supervisor | None, *, frame_hz: int = FRAME_HZ,
                 record_arrivals: bool = False, start: bool = True,
                 parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.supervisor = supervisor
        self.frame_s = 1.0 / frame_hz
        self.record_arrivals = record_arrivals
        self._lock = threading.Lock()
        self._wakeup = threading.Condition(self._lock)
        self._pending: dict[str, Any] = {}
        self._arrivals: dict[str, list[float]] = {}
        self._ends: list[JobEnd] = []
        self._last: dict[str, Any] = {}
        self._snapshots: dict[str, QImage] = {}
        self._force: set[str] = set()       # redraw even if unchanged
        self._shown: dict[str, present.Card] = {}  # frame thread only
        self._renderer: Renderer | None = None
        self._woken = False
        self._closed = False
        self.reports = 0        # statuses received
        self.wakes = 0          # times the frame thread was woken for them
        self.flushes = 0        # batches handed to the dashboard
        self._framed.connect(self._deliver_batch)
        self._posted.connect(self._deliver)
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="farm-ui")
        self._thread = threading.Thread(target=self._frames, name="farm-frames", daemon=True)
        if supervisor is not None:
            supervisor.subscribe(self.on_status)
        if start:
            self.start()

    def attach(self, supervisor: Supervisor) -> None:
        """Follow ``supervisor`` (any thread: the farm is built once the
        database is open, after the window), starting from its statuses."""
        self.supervisor = supervisor
        supervisor.subscribe(self.on_status)
        statuses = supervisor.statuses()
        self.seed(statuses.values() if isinstance(statuses, dict) else statuses)

    def start(self) -> None:
        if not self._thread.is_alive() and not self._closed:
            self._thread.start()

    # -- any thread ------------------------------------------------------
    def on_status(self, status: Any) -> None:
        """The supervisor's listener (called on a printer's thread)."""
        now = time.monotonic()
        with self._lock:
            name = str(status.name)
            end = job_end(self._last.get(name), status)
            self._last[name] = status
            if end is not None:
                self._ends.append(end)
            self._pending[name] = status
            if self.record_arrivals:
                self._arrivals.setdefault(name, []).append(now)
            self.reports += 1
            self._wake_locked()

    def seed(self, statuses: Iterable[Any]) -> None:
        """Start from the supervisor's current statuses (any thread)."""
        with self._lock:
            for status in statuses:
                self._last.setdefault(str(status.name), status)
                self._pending.setdefault(str(status.name), status)
            self._wake_locked()

    def set_renderer(self, renderer: Renderer | None) -> None:
        """Render cards with ``renderer`` from now on, all of them again."""
        with self._lock:
            self._renderer = renderer
            self._pending.update(self._last)
            self._force.update(self._last)
            self._wake_locked()

    def set_snapshot(self, name: str, image: QImage) -> None:
        """A camera picture for a printer's card (re-rendered with it)."""
        with self._lock:
            self._snapshots[name] = image
            if name in self._last:
                self._pending[name] = self._last[name]
                self._force.add(name)
                self._wake_locked()

    def refresh_unwell(self) -> None:
        """Redraw the cards of printers that are not well: their "last seen"
        ages while nothing arrives (any thread)."""
        with self._lock:
            for name, status in self._last.items():
                if present.is_unwell(status):
                    self._pending[name] = status
                    self._force.add(name)
            if self._pending:
                self._wake_locked()

    def _wake_locked(self) -> None:
        if not self._woken:
            self._woken = True
            self.wakes += 1
            self._wakeup.notify()

    # -- the frame thread ------------------------------------------------
    def _frames(self) -> None:
        last = 0.0
        while True:
            with self._lock:
                while not self._woken and not self._closed:
                    self._wakeup.wait()
                if self._closed:
                    return
                # Wait out the rest of the frame: what arrives meanwhile joins.
                while not self._closed:
                    left = last + self.frame_s - time.monotonic()
                    if left <= 0:
                        break
                    self._wakeup.wait(left)
                if self._closed:
                    return
                pending, self._pending = self._pending, {}
                arrivals, self._arrivals = self._arrivals, {}
                ends, self._ends = self._ends, []
                snapshots = dict(self._snapshots)
                renderer = self._renderer
                force, self._force = self._force, set()
                self._woken = False
            last = time.monotonic()
            try:
                batch = self._make_batch(pending, arrivals=arrivals, ends=ends,
                                         snapshots=snapshots, renderer=renderer, force=force)
            except Exception:
                log.exception("farm: cannot render the cards")
                continue
            if not self._closed and (batch.statuses or batch.ends or batch.unchanged):
                self._framed.emit(batch)

    def _make_batch(self, pending: dict[str, Any], *, arrivals: dict[str, list[float]],
                    ends: list[JobEnd], snapshots: dict[str, QImage],
                    renderer: Renderer | None, force: set[str]) -> Batch:
        taken = time.monotonic()
        now = time.time()
        statuses = []
        cards = {}
        images = {}
        for name, status in pending.items():
            card = present.card(status, now)
            if name not in force and self._shown.get(name) == card:
                continue  # looks the same (only unseen fields changed): nothing to redraw
            self._shown[name] = card
            statuses.append(status)
            cards[name] = card
            if renderer is not None:
                images[name] = renderer(card, snapshots.get(name))
        shown = {name: times for name, times in arrivals.items() if name in cards}
        unchanged = {name: times for name, times in arrivals.items() if name not in cards}
        return Batch(tuple(statuses), shown, cards, images, tuple(ends), unchanged,
                     taken=taken, made=time.monotonic())

    # -- GUI thread ------------------------------------------------------
    @Slot(object)
    def _deliver_batch(self, batch: Batch) -> None:
        if batch.statuses or batch.unchanged:
            self.flushes += 1
            self.batch.emit(batch)
        for end in batch.ends:
            self.job_ended.emit(end)

    def run(self, fn: Callable[[], Any],
            on_done: Callable[[Any], None] | None = None) -> Future[Any]:
        """Run ``fn`` on the bridge's worker thread; ``on_done`` gets its
        result on the GUI thread; a failure is reported through :attr:`failed`."""

        def call() -> Any:
            try:
                result = fn()
            except Exception as exc:
                log.warning("farm: %s", exc)
                self._posted.emit(("failed", str(exc)))
                raise
            if on_done is not None:
                self._posted.emit(("done", (on_done, result)))
            return result

        return self._pool.submit(call)

    @Slot(object)
    def _deliver(self, item: tuple[str, Any]) -> None:
        kind, payload = item
        if kind == "failed":
            self.failed.emit(payload)
        else:
            callback, result = payload
            callback(result)

    def close(self) -> None:
        with self._lock:
            self._closed = True
            self._wakeup.notify_all()
        unsubscribe = getattr(self.supervisor, "unsubscribe", None)  # None: never attached
        if unsubscribe is not None:
            unsubscribe(self.on_status)
        if self._thread.is_alive():
            self._thread.join(timeout=5)
        self._pool.shutdown(wait=True, cancel_futures=True)
