"""An OctoPrint printer behind the farm's :class:`printers.interface.Printer`.

:class:`OctoPrintPrinter` adapts one server: an :class:`OctoPrintClient`, an
:class:`OctoPrintWatcher` (push first, polling as fallback, reconnection with
backoff) and the watcher's :class:`OutcomeTracker`.  Its jobs are recorded in
the same ``print_jobs`` records as serial jobs (through the
:class:`printers.store.PrinterStore` given), with the SHA-256 of the uploaded
file; the outcome (completed / failed with its reason / cancelled /
interrupted) is written when the watcher learns it.

Threads: listeners are called on the watcher's threads (its poller or its push
socket).  ``start`` uploads (bounded by the client's upload timeout) and so
belongs on a worker thread.  When the server's printer is not connected, the
adapter asks the server to connect it (``options["autoconnect"]``, default
on; ``record.port`` names the server's port, "" for its default).
"""

from __future__ import annotations

import contextlib
import logging
import threading
import time
from pathlib import Path
from typing import TYPE_CHECKING

from printers.errors import GcodeFileError, JobError
from printers.interface import (
    Capabilities,
    JobSummary,
    Kind,
    PrinterState,
    PrinterStatus,
    StatusListener,
)
from printers.octoprint.backoff import Backoff
from printers.octoprint.client import OctoPrintClient
from printers.octoprint.errors import NoCameraError, OctoPrintError, OctoPrintNotFoundError
from printers.octoprint.events import Current
from printers.octoprint.models import PrinterFlags, Temperature
from printers.octoprint.outcome import Outcome
from printers.octoprint.watch import JobHandle, LinkStatus, OctoPrintWatcher, Polled, WatchUpdate

if TYPE_CHECKING:
    from printers.store import PrinterRecord, PrinterStore

log = logging.getLogger(__name__)

_SENSORS = {"tool0": "T0", "tool1": "T1", "bed": "B", "chamber": "C"}
_AUTOCONNECT_EVERY = 10.0  # seconds between two requests to connect the server's printer
_SAVE_EVERY = 2.0  # seconds between two progress saves of a running job


class _Job:
    """The job this adapter started, as it runs."""

    def __init__(self, job_id: int, file_name: str, size: int, handle: JobHandle) -> None:
        self.job_id = job_id
        self.file_name = file_name
        self.size = size
        self.handle = handle
        self.state = "printing"
        self.progress = 0.0
        self.eta: float | None = None
        self.saved_state = "printing"
        self.saved_at = 0.0


class OctoPrintPrinter:
    """See the module docstring."""

    kind: Kind = "octoprint"

    def __init__(
        self,
        record: PrinterRecord,
        client: OctoPrintClient,
        store: PrinterStore | None = None,
        *,
        capabilities: Capabilities | None = None,
        poll_interval: float = 1.0,
        idle_poll_interval: float = 5.0,
        backoff: Backoff | None = None,
        push: bool = True,
    ) -> None:
        self.record = record
        self.client = client
        self._store = store
        self._caps = capabilities or Capabilities.from_options(record.options)
        self._watch_options = {"poll_interval": poll_interval,
                               "idle_poll_interval": idle_poll_interval, "push": push}
        self._backoff = backoff
        self._autoconnect = bool(record.options.get("autoconnect", True))
        self._listeners: list[StatusListener] = []
        self._lock = threading.RLock()
        self._watcher: OctoPrintWatcher | None = None
        self._link = LinkStatus(online=False, push=False, last_seen=None, error=None)
        self._flags: PrinterFlags | None = None
        self._state_text = ""
        self._printer_error = ""
        self._temps: dict[str, tuple[float | None, float | None]] = {}
        self._remote_file: str | None = None
        self._remote_progress: float = 0.0
        self._remote_eta: float | None = None
        self._job: _Job | None = None
        self._last_job: JobSummary | None = None
        self._last_autoconnect = 0.0
        self._connected = False
        self._status = self._compose()

    @property
    def name(self) -> str:
        return self.record.name

    @property
    def capabilities(self) -> Capabilities:
        return self._caps

    # ---------------------------------------------------------------- control --
    def status(self) -> PrinterStatus:
        with self._lock:
            return self._status

    def connect(self) -> None:
        with self._lock:
            if self._watcher is not None:
                return
            kwargs = dict(self._watch_options)
            self._watcher = OctoPrintWatcher(
                self.client, self._on_update, backoff=self._backoff or Backoff(0.25, 10.0),
                push=bool(kwargs["push"]), poll_interval=float(kwargs["poll_interval"]),
                idle_poll_interval=float(kwargs["idle_poll_interval"]))
            self._connected = True
            watcher = self._watcher
        watcher.start()
        self._publish()

    def disconnect(self) -> None:
        """Stop watching the server (joins the watcher's threads).  The
        server keeps its printer connected and any job printing."""
        with self._lock:
            watcher, self._watcher = self._watcher, None
            self._connected = False
        if watcher is not None:
            watcher.stop()
        with self._lock:
            self._link = LinkStatus(online=False, push=False, last_seen=self._link.last_seen,
                                    error=None)
        self._publish()

    def close(self) -> None:
        self.disconnect()
        self.client.close()

    def start(self, file: Path) -> int:
        status = self.status()
        if status.state is not PrinterState.OPERATIONAL:
            raise JobError(f"{self.name} is not ready to print ({status.state.value}"
                           + (f": {status.reason}" if status.reason else "") + ")")
        with self._lock:
            watcher = self._watcher
        if watcher is None:
            raise JobError(f"{self.name} is not connected")
        if not file.is_file():
            raise GcodeFileError(f"no such file: {file}")
        baseline = None
        with contextlib.suppress(OctoPrintNotFoundError):
            baseline = self.client.file_info(file.name)
        upload = self.client.upload(file, start=True)
        job_id = 0
        if self._store is not None:
            job_id = self._store.create_job(
                self.record, self.name, str(file), lines_total=0, bytes_total=upload.size,
                layers_total=None, slicer_estimate=None, sha256=upload.sha256)
            self._store.update_job(job_id, state="printing", started_at=time.time())
        with self._lock:
            handle = watcher.watch(upload, baseline)
            self._job = _Job(job_id, file.name, upload.size, handle)
            self._job.saved_at = time.monotonic()
            outcome = handle.outcome  # settled before we held it?
        if outcome is not None:
            self._on_outcome(outcome)
        self._publish()
        log.info("%s: printing %s (job %d, sha256 %s)", self.name, file.name, job_id,
                 upload.sha256[:12])
        return job_id

    def upload(self, file: Path) -> None:
        self.client.upload(file)

    def pause(self) -> None:
        self.client.pause()

    def resume(self) -> None:
        self.client.resume()

    def cancel(self) -> None:
        with self._lock:
            watcher = self._watcher
        if watcher is not None:
            watcher.cancel()
        else:
            self.client.cancel()

    def send(self, command: str) -> None:
        command = command.strip()
        if command:
            self.client.send_gcode(command)

    def snapshot(self) -> bytes | None:
        try:
            return self.client.snapshot().data
        except NoCameraError:
            return None

    def subscribe(self, listener: StatusListener) -> None:
        with self._lock:
            self._listeners.append(listener)

    def unsubscribe(self, listener: StatusListener) -> None:
        with self._lock:
            if listener in self._listeners:
                self._listeners.remove(listener)

    # ------------------------------------------------------ watcher threads --
    def _on_update(self, update: WatchUpdate) -> None:
        if isinstance(update, Outcome):
            self._on_outcome(update)
        elif isinstance(update, LinkStatus):
            with self._lock:
                self._link = update
        elif isinstance(update, Current):
            with self._lock:
                self._flags = update.flags
                self._state_text = update.state_text
                self._temps.update(_temps(update.temperatures))
                self._remote_file = update.file_path
                if update.completion is not None:
                    self._remote_progress = update.completion / 100.0
                self._touch()
        elif isinstance(update, Polled):
            with self._lock:
                self._flags = update.printer.flags
                self._state_text = update.printer.text
                self._printer_error = update.printer.error or update.job.error
                self._temps.update(_temps(update.printer.temperatures))
                self._remote_file = update.job.file_path
                self._remote_progress = (update.job.completion or 0.0) / 100.0
                self._remote_eta = update.job.print_time_left
                self._touch()
            self._maybe_autoconnect(update.printer.flags)
        else:
            return
        self._save_progress()
        self._publish()

    def _touch(self) -> None:
        """A reading from the server: the link is up (the watcher says so too,
        but only on changes)."""
        self._link = LinkStatus(online=True, push=self._link.push, last_seen=time.time(),
                                error=None)

    def _maybe_autoconnect(self, flags: PrinterFlags) -> None:
        if not (self._autoconnect and flags.closed_or_error and not flags.error):
            return
        now = time.monotonic()
        if now - self._last_autoconnect < _AUTOCONNECT_EVERY:
            return
        self._last_autoconnect = now
        try:
            self.client.connect(self.record.port or None)
            log.info("%s: asked OctoPrint to connect its printer", self.name)
        except OctoPrintError as exc:
            log.warning("%s: cannot ask OctoPrint to connect its printer: %s", self.name, exc)

    def _on_outcome(self, outcome: Outcome) -> None:
        with self._lock:
            job = self._job
            if job is None or job.handle.outcome is not outcome:
                return
            self._job = None
            job.state = outcome.kind.value
            self._last_job = JobSummary(job.job_id, job.file_name, outcome.kind.value,
                                        1.0 if outcome.kind.value == "completed"
                                        else job.progress, 0.0, None)
        if self._store is not None and job.job_id:
            try:
                self._store.update_job(
                    job.job_id, state=outcome.kind.value, reason=outcome.reason or None,
                    ended_at=outcome.ended_at,
                    bytes_confirmed=job.size if outcome.kind.value == "completed"
                    else int(job.size * job.progress))
            except Exception:
                log.exception("%s: cannot record the end of job %d", self.name, job.job_id)
        log.info("%s: job %d %s %s", self.name, job.job_id, outcome.kind.value, outcome.reason)
        self._publish()

    def _save_progress(self) -> None:
        with self._lock:
            job = self._job
            if job is None or self._store is None or not job.job_id:
                return
            state = self._job_state(job)
            job.state = state
            now = time.monotonic()
            if state == job.saved_state and now - job.saved_at < _SAVE_EVERY:
                return
            job.saved_state, job.saved_at = state, now
            values = {"state": state, "bytes_confirmed": int(job.size * job.progress),
                      "eta_s": job.eta}
        try:
            self._store.update_job(job.job_id, **values)
        except Exception:
            log.exception("%s: cannot save job %d", self.name, job.job_id)

    def _job_state(self, job: _Job) -> str:
        """The running job's state word (a printers.jobs.JobState value)."""
        flags = self._flags
        if self._remote_file is not None and self._remote_file.rsplit("/", 1)[-1] == \
                job.file_name:
            job.progress = max(job.progress, self._remote_progress)
            job.eta = self._remote_eta
        if flags is None:
            return job.state
        if flags.cancelling:
            return "cancelling"
        if flags.paused or flags.pausing:
            return "paused"
        if flags.printing and job.progress < 0.01 and self._heating():
            return "heating"
        if flags.printing:
            return "printing"
        return job.state

    def _heating(self) -> bool:
        return any(target is not None and target > 0 and actual is not None
                   and actual < target - 3 for actual, target in self._temps.values())

    # -------------------------------------------------------------- status --
    def _compose(self) -> PrinterStatus:
        link, flags = self._link, self._flags
        reason: str | None = None
        if self._watcher is None and not self._connected:
            state = PrinterState.OFFLINE
        elif not link.online:
            state = PrinterState.CONNECTING if link.last_seen is None else PrinterState.OFFLINE
            reason = (f"OctoPrint at {self.client.base_url} is not answering: {link.error}"
                      if link.error else None)
        elif flags is None:
            state = PrinterState.CONNECTING
        elif flags.error:
            state = PrinterState.ERROR
            reason = self._printer_error or self._state_text or "the printer reported an error"
        elif flags.closed_or_error or not flags.operational:
            state = PrinterState.OFFLINE
            reason = f"OctoPrint is not connected to its printer ({self._state_text or 'closed'})"
        elif flags.paused or flags.pausing:
            state = PrinterState.PAUSED
        elif flags.printing or flags.cancelling:
            state = PrinterState.PRINTING
        else:
            state = PrinterState.OPERATIONAL
        summary = self._last_job
        job = self._job
        if job is not None:
            summary = JobSummary(job.job_id, job.file_name, job.state, job.progress, job.eta,
                                 None)
        elif state.busy and self._remote_file:
            # A job someone else started on the server.
            summary = JobSummary(0, self._remote_file.rsplit("/", 1)[-1], "printing",
                                 self._remote_progress, self._remote_eta, None)
        return PrinterStatus(self.name, "octoprint", state, reason, link.last_seen,
                             dict(self._temps), summary, self._caps)

    def _publish(self) -> None:
        with self._lock:
            status = self._compose()
            if status == self._status:
                return
            self._status = status
            listeners = list(self._listeners)
        for listener in listeners:
            try:
                listener(status)
            except Exception:
                log.exception("printer status listener failed")


def _temps(readings: dict[str, Temperature]) -> dict[str, tuple[float | None, float | None]]:
    return {_SENSORS.get(k, k): (v.actual, v.target) for k, v in readings.items()}
