"""The farm supervisor's bridge: coalesced printer statuses at a fixed frame
rate, job-end notices, and a worker thread for the queue's calls.

A hundred printers each report several times a second, on their own threads.
One queued signal per report would flood the GUI thread, so the listener
only stores the latest status per printer under a lock (and notes when a job
ended, which must never be coalesced away).  The first report after a quiet
spell wakes the GUI thread once; it then drains everything that arrived in
one go, at most :data:`FRAME_HZ` times a second, and hands the batch to the
dashboard's model, which repaints only the cards that changed.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, Protocol

from PySide6.QtCore import QObject, QTimer, Signal, Slot

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
    """One flush: the latest status of each printer that reported, and for
    each the monotonic times its reports arrived (when a probe wants them)."""

    statuses: tuple[Any, ...]
    arrivals: dict[str, list[float]]


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
    GUI thread; ``job_ended`` a :class:`JobEnd`."""

    batch = Signal(object)
    job_ended = Signal(object)
    failed = Signal(str)
    _wake = Signal()
    _posted = Signal(object)

    def __init__(self, supervisor: Supervisor, *, frame_hz: int = FRAME_HZ,
                 record_arrivals: bool = False, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.supervisor = supervisor
        self.frame_ms = max(1, round(1000 / frame_hz))
        self.record_arrivals = record_arrivals
        self._lock = threading.Lock()
        self._pending: dict[str, Any] = {}
        self._arrivals: dict[str, list[float]] = {}
        self._ends: list[JobEnd] = []
        self._last: dict[str, Any] = {}
        self._woken = False
        self._last_flush = 0.0
        self.reports = 0        # statuses received
        self.wakes = 0          # times the GUI thread was woken for them
        self.flushes = 0        # batches handed to the dashboard
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.timeout.connect(self.flush)
        self._wake.connect(self._schedule)
        self._posted.connect(self._deliver)
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="farm-ui")
        self._closed = False
        supervisor.subscribe(self.on_status)

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
            wake = not self._woken
            self._woken = True
            if wake:
                self.wakes += 1
        if wake and not self._closed:
            self._wake.emit()

    def seed(self, statuses: Iterable[Any]) -> None:
        """Start from the supervisor's current statuses (any thread)."""
        for status in statuses:
            with self._lock:
                self._last.setdefault(str(status.name), status)
                self._pending.setdefault(str(status.name), status)
                wake = not self._woken
                self._woken = True
            if wake and not self._closed:
                self._wake.emit()

    # -- GUI thread ------------------------------------------------------
    @Slot()
    def _schedule(self) -> None:
        if self._timer.isActive():
            return
        wait = self._last_flush + self.frame_ms / 1000 - time.monotonic()
        self._timer.start(max(0, round(wait * 1000)))

    @Slot()
    def flush(self) -> None:
        with self._lock:
            pending, self._pending = self._pending, {}
            arrivals, self._arrivals = self._arrivals, {}
            ends, self._ends = self._ends, []
            self._woken = False
        self._last_flush = time.monotonic()
        if pending:
            self.flushes += 1
            self.batch.emit(Batch(tuple(pending.values()), arrivals))
        for end in ends:
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
        self._closed = True
        unsubscribe = getattr(self.supervisor, "unsubscribe", None)
        if unsubscribe is not None:
            unsubscribe(self.on_status)
        self._timer.stop()
        self._pool.shutdown(wait=True, cancel_futures=True)
