"""Supervising one OctoPrint server: the push socket first, polling as the
fallback, reconnection with backoff, and the end of the jobs it prints.

:class:`OctoPrintWatcher` is what the farm supervisor holds per OctoPrint
printer.  It owns two threads (the push socket's and its own poller) and
reports through one listener, ``on_update(update)``, called on those threads
with a :data:`WatchUpdate`:

- :class:`LinkStatus` whenever the link changes (online/offline, push up or
  down, the typed error and when the server was last seen);
- :class:`~printers.octoprint.events.Current` state/temperature updates and
  :class:`~printers.octoprint.events.Event` events (from the socket), or
  :class:`Polled` readings (when polling);
- :class:`~printers.octoprint.outcome.Outcome` when a watched job ends.

While the push socket is up and has been up since a job started, its events
decide the outcome; once it has been down during a job, polling decides (the
events of the gap are lost).  Polling runs every ``poll_interval`` while the
socket is down or a job is watched; failures back off exponentially and the
watcher keeps trying until stopped.  ``start``/``stop``/``watch``/``cancel``
may be called from any thread; ``stop`` joins both threads.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from printers.octoprint.backoff import Backoff
from printers.octoprint.client import OctoPrintClient
from printers.octoprint.errors import OctoPrintError, OctoPrintNotFoundError
from printers.octoprint.events import Current, Event, PushMessage, PushSocket
from printers.octoprint.models import FileInfo, JobState, PrinterState, UploadResult
from printers.octoprint.outcome import Outcome, OutcomeTracker

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class LinkStatus:
    online: bool
    push: bool
    last_seen: float | None  # time.time() of the last answer from the server
    error: OctoPrintError | None  # why it is not well (None when online)


@dataclass(frozen=True)
class Polled:
    job: JobState
    printer: PrinterState


WatchUpdate = LinkStatus | Current | Event | Polled | Outcome


class JobHandle:
    """One watched job; :meth:`wait` returns its :class:`Outcome`."""

    def __init__(self, tracker: OutcomeTracker) -> None:
        self.tracker = tracker
        self._done = threading.Event()

    @property
    def file_path(self) -> str:
        return self.tracker.file_path

    @property
    def outcome(self) -> Outcome | None:
        return self.tracker.outcome

    def wait(self, timeout: float) -> Outcome | None:
        self._done.wait(timeout)
        return self.tracker.outcome

    def _resolve(self) -> None:
        self._done.set()


class OctoPrintWatcher:
    def __init__(
        self,
        client: OctoPrintClient,
        on_update: Callable[[WatchUpdate], None] | None = None,
        *,
        push: bool = True,
        poll_interval: float = 1.0,
        idle_poll_interval: float = 5.0,
        backoff: Backoff | None = None,
        silence: float = 5.0,
    ) -> None:
        self.client = client
        self._listener = on_update or (lambda u: None)
        self._poll_interval = poll_interval
        self._idle_interval = idle_poll_interval
        self._backoff = backoff or Backoff(initial=0.25, maximum=10.0)
        self._lock = threading.RLock()
        self._stop = threading.Event()
        self._wake = threading.Event()
        self._job: JobHandle | None = None
        self._events_complete = False  # push has been up for the whole job
        self._status = LinkStatus(online=False, push=False, last_seen=None, error=None)
        self._publish_lock = threading.Lock()
        self._published: tuple[bool, bool, type | None] | None = None
        self._socket = (PushSocket(client, self._on_push, self._on_push_link, silence=silence,
                                   name=f"octoprint-push {client.base_url}") if push else None)
        self._thread = threading.Thread(target=self._poll_loop, daemon=True,
                                        name=f"octoprint-poll {client.base_url}")

    # ------------------------------------------------------------- control --
    def start(self) -> None:
        if self._socket is not None:
            self._socket.start()
        self._thread.start()

    def stop(self, timeout: float = 10.0) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread.is_alive():
            self._thread.join(timeout)
        if self._socket is not None:
            self._socket.stop(timeout)

    @property
    def status(self) -> LinkStatus:
        with self._lock:
            return self._status

    @property
    def push_connected(self) -> bool:
        return self._socket is not None and self._socket.connected.is_set()

    def watch(self, upload: UploadResult, baseline: FileInfo | None = None) -> JobHandle:
        """Follow the job printing ``upload`` until it ends.  ``baseline`` is
        the file's history before the job (None: a new file).  One job at a
        time, as OctoPrint prints one: a new ``watch`` replaces the previous
        handle, which then never resolves."""
        tracker = OutcomeTracker(upload.path, upload.sha256, origin=upload.origin,
                                 baseline=baseline)
        if upload.printing:
            tracker.note_started()
        handle = JobHandle(tracker)
        with self._lock:
            self._job = handle
            self._events_complete = self.push_connected
        self._wake.set()
        return handle

    def cancel(self) -> None:
        """Cancel the watched job (its outcome will be ``cancelled``)."""
        with self._lock:
            if self._job is not None:
                self._job.tracker.note_cancel_requested()
        self.client.cancel()

    # ---------------------------------------------------------------- push --
    def _on_push(self, msg: PushMessage) -> None:
        self._seen()
        if isinstance(msg, Event):
            outcome = None
            with self._lock:
                job = self._job
                if job is not None and self._events_complete:
                    outcome = job.tracker.on_event(msg.type, msg.payload)
                elif job is not None and msg.type == "Error":
                    job.tracker.on_event(msg.type, msg.payload)  # keep the error text
            self._emit(msg)
            if outcome is not None and job is not None:
                self._finish(job, outcome)
        elif isinstance(msg, Current):
            self._emit(msg)

    def _on_push_link(self, up: bool, error: OctoPrintError | None) -> None:
        with self._lock:
            if not up:
                self._events_complete = False
            was = self._status
            self._status = LinkStatus(online=up or was.online, push=up,
                                      last_seen=time.time() if up else was.last_seen,
                                      error=None if up else (was.error or error))
        self._publish_status()
        self._wake.set()

    # ---------------------------------------------------------------- poll --
    def _poll_loop(self) -> None:
        while not self._stop.is_set():
            with self._lock:
                job = self._job
                push_ok = self.push_connected and self._events_complete
            try:
                self._poll_once(job, settle=not push_ok)
            except OctoPrintError as exc:
                self._offline(exc)
                delay = self._backoff.next_delay()
            else:
                self._backoff.reset()
                delay = self._poll_interval if (job or not self.push_connected) else (
                    self._idle_interval)
            self._wake.wait(delay)
            self._wake.clear()

    def _poll_once(self, job: JobHandle | None, *, settle: bool) -> None:
        printer = self.client.printer()
        state = self.client.job()
        self._seen()
        self._emit(Polled(job=state, printer=printer))
        if job is None or job.outcome is not None or not settle:
            return
        info: FileInfo | None = None
        if not (state.file_path == job.file_path and state.active):
            try:
                info = self.client.file_info(job.file_path, job.tracker.origin)
            except OctoPrintNotFoundError:
                info = None
        with self._lock:
            outcome = job.tracker.on_poll(state, printer, info)
        if outcome is not None:
            self._finish(job, outcome)

    def _seen(self) -> None:
        with self._lock:
            self._status = LinkStatus(online=True, push=self.push_connected,
                                      last_seen=time.time(), error=None)
        self._publish_status()

    def _offline(self, exc: OctoPrintError) -> None:
        with self._lock:
            was = self._status
            self._status = LinkStatus(online=False, push=self.push_connected,
                                      last_seen=was.last_seen, error=exc)
        if was.online or type(was.error) is not type(exc):
            log.warning("OctoPrint %s offline: %s", self.client.base_url, exc)
        self._publish_status()

    def _publish_status(self) -> None:
        """Tell the listener the status if it changed (online, push, kind of
        error).  Serialised, and always the latest: two threads changing the
        status at once can never leave the listener with a stale one last."""
        with self._publish_lock:
            if self._stop.is_set():
                return  # stopping: the link going down now is ours
            with self._lock:
                status = self._status
            key = (status.online, status.push, type(status.error))
            if key == self._published:
                return
            self._published = key
            if status.online:
                log.info("OctoPrint %s online (push %s)", self.client.base_url,
                         "up" if status.push else "down")
            self._emit(status)

    def _finish(self, job: JobHandle, outcome: Outcome) -> None:
        with self._lock:
            if self._job is job:
                self._job = None
        log.info("job %s on %s ended: %s %s (%s)", outcome.file_path, self.client.base_url,
                 outcome.kind, outcome.reason, outcome.source)
        job._resolve()
        self._emit(outcome)

    def _emit(self, update: WatchUpdate) -> None:
        try:
            self._listener(update)
        except Exception:
            log.exception("OctoPrint watcher listener failed")
