"""The farm supervisor: every printer supervised on its own worker thread.

:class:`FarmSupervisor` holds :class:`printers.interface.Printer` objects of
any kind.  Each printer gets one worker thread that owns every call that may
block on it (connect, disconnect, start, upload, cancel...): a dead, slow or
hostile printer can only ever hold up its own worker, never the others, the
queue or the GUI.  The worker also watches the printer's health: a printer
that is offline or in error while it should be connected is reconnected with
exponential backoff (with jitter, so a farm does not reconnect in lock-step);
a printer that says it is connected but has given no sign of life for
``stale_after`` seconds is reported with that reason.

:meth:`FarmSupervisor.statuses` answers from a cache fed by the printers'
listeners: it never calls into a printer, so it never blocks.  Every status
that is not well carries a ``reason``; ``last_seen`` is the printer's own
(the last bytes from the serial port, the last answer from the server).

Threads: listeners registered with :meth:`subscribe` are called on the
printer's thread (its I/O thread or watcher) or on its worker, with the
status the supervisor holds.  :meth:`submit` runs a callable on the printer's
worker and returns a :class:`concurrent.futures.Future`.  :meth:`shutdown`
stops every worker at once (each disconnects its printer) and joins them
with one overall deadline.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Callable, Iterable
from concurrent.futures import Future
from dataclasses import replace
from typing import Any, TypeVar

from printers.errors import PrinterError, PrinterNotFoundError
from printers.interface import Printer, PrinterState, PrinterStatus, StatusListener
from printers.octoprint.backoff import Backoff

log = logging.getLogger(__name__)

T = TypeVar("T")

_WELL = (PrinterState.OPERATIONAL, PrinterState.PRINTING, PrinterState.PAUSED)


class FarmClosedError(PrinterError):
    """The farm is shutting down: no more work is accepted."""


class _Worker:
    """One printer's thread: its commands, its reconnections, its health."""

    def __init__(self, farm: FarmSupervisor, printer: Printer) -> None:
        self.farm = farm
        self.printer = printer
        self.name = printer.name
        self.inbox: queue.SimpleQueue[tuple[Callable[[Printer], Any], Future[Any]]] = (
            queue.SimpleQueue())
        self.wake = threading.Event()
        self.stop = threading.Event()
        self.wanted = True  # the farm keeps it connected
        self.backoff = Backoff(initial=farm.backoff_initial, maximum=farm.backoff_max)
        self.next_attempt = 0.0
        self.last_problem: str | None = None
        self.thread = threading.Thread(target=self._run, name=f"farm {self.name}", daemon=True)

    def _run(self) -> None:
        try:
            self._connect()
            while not self.stop.is_set():
                self._run_commands()
                self._check()
                self.wake.wait(self.farm.check_interval)
                self.wake.clear()
        except Exception:
            log.exception("farm worker for %s failed", self.name)
        finally:
            self._drain(FarmClosedError(f"{self.name} is no longer supervised"))
            try:
                self.printer.disconnect()
            except Exception as exc:
                log.warning("%s: disconnect failed: %s", self.name, exc)
            close = getattr(self.printer, "close", None)
            if callable(close):
                try:
                    close()
                except Exception as exc:
                    log.warning("%s: close failed: %s", self.name, exc)

    def _run_commands(self) -> None:
        while not self.stop.is_set():
            try:
                fn, future = self.inbox.get_nowait()
            except queue.Empty:
                return
            if not future.set_running_or_notify_cancel():
                continue
            try:
                future.set_result(fn(self.printer))
            except BaseException as exc:
                future.set_exception(exc)

    def _drain(self, error: Exception) -> None:
        while True:
            try:
                _fn, future = self.inbox.get_nowait()
            except queue.Empty:
                return
            if future.set_running_or_notify_cancel():
                future.set_exception(error)

    def _connect(self) -> None:
        try:
            self.printer.connect()
        except Exception as exc:  # a printer that cannot even start connecting
            self.last_problem = str(exc) or type(exc).__name__
            log.warning("%s: cannot connect: %s", self.name, exc)
            self.farm._refresh(self)

    def _check(self) -> None:
        status = self.farm._refresh(self)
        if status is None or not self.wanted:
            return
        now = time.monotonic()
        if status.state in (PrinterState.OFFLINE, PrinterState.ERROR):
            self.last_problem = status.reason or self.last_problem
            if now >= self.next_attempt:
                delay = self.backoff.next_delay()
                self.next_attempt = now + delay
                log.info("%s: %s (%s); reconnecting, next try in %.1f s", self.name,
                         status.state.value, status.reason, delay)
                try:
                    self.printer.disconnect()
                except Exception as exc:
                    log.warning("%s: disconnect failed: %s", self.name, exc)
                if not self.stop.is_set():
                    self._connect()
        elif status.state in _WELL and status.reason is None:
            if self.backoff.attempts:
                log.info("%s: back (%s)", self.name, status.state.value)
            self.backoff.reset()
            self.next_attempt = 0.0
            self.last_problem = None


class FarmSupervisor:
    """See the module docstring."""

    def __init__(
        self,
        printers: Iterable[Printer] = (),
        *,
        backoff_initial: float = 1.0,
        backoff_max: float = 30.0,
        stale_after: float = 15.0,
        check_interval: float = 1.0,
    ) -> None:
        self.backoff_initial = backoff_initial
        self.backoff_max = backoff_max
        self.stale_after = stale_after
        self.check_interval = check_interval
        self._lock = threading.Lock()
        self._workers: dict[str, _Worker] = {}
        self._statuses: dict[str, PrinterStatus] = {}
        self._listeners: list[StatusListener] = []
        self._started = False
        self._closed = False
        for printer in printers:
            self.add(printer)

    # ------------------------------------------------------------ printers --
    def add(self, printer: Printer) -> None:
        """Supervise ``printer`` (its worker starts now if the farm runs)."""
        with self._lock:
            if self._closed:
                raise FarmClosedError("the farm is shutting down")
            if printer.name in self._workers:
                raise PrinterError(f"{printer.name!r} is supervised already")
            worker = _Worker(self, printer)
            self._workers[printer.name] = worker
            self._statuses[printer.name] = self._annotate(worker, _initial(printer))
            started = self._started
        def on_status(status: PrinterStatus) -> None:
            self._store(worker, status)

        printer.subscribe(on_status)
        if started:
            worker.thread.start()

    def remove(self, name: str, timeout: float = 15.0) -> None:
        """Stop supervising ``name`` (its worker disconnects it; joined)."""
        with self._lock:
            worker = self._workers.pop(name, None)
            self._statuses.pop(name, None)
        if worker is None:
            raise PrinterNotFoundError(f"{name!r} is not in the farm")
        worker.stop.set()
        worker.wake.set()
        if worker.thread.is_alive():
            worker.thread.join(timeout)

    def start(self) -> None:
        """Start every worker (each connects its printer)."""
        with self._lock:
            if self._started or self._closed:
                return
            self._started = True
            workers = list(self._workers.values())
        for worker in workers:
            worker.thread.start()

    def names(self) -> list[str]:
        with self._lock:
            return sorted(self._workers)

    def printer(self, name: str) -> Printer:
        with self._lock:
            worker = self._workers.get(name)
        if worker is None:
            raise PrinterNotFoundError(f"{name!r} is not in the farm")
        return worker.printer

    # -------------------------------------------------------------- status --
    def statuses(self) -> dict[str, PrinterStatus]:
        """Every printer's latest status (from the cache: never blocks)."""
        with self._lock:
            return dict(self._statuses)

    def status(self, name: str) -> PrinterStatus:
        with self._lock:
            status = self._statuses.get(name)
        if status is None:
            raise PrinterNotFoundError(f"{name!r} is not in the farm")
        return status

    def subscribe(self, listener: StatusListener) -> None:
        with self._lock:
            self._listeners.append(listener)

    def unsubscribe(self, listener: StatusListener) -> None:
        with self._lock:
            if listener in self._listeners:
                self._listeners.remove(listener)

    # ------------------------------------------------------------ commands --
    def submit(self, name: str, fn: Callable[[Printer], T]) -> Future[T]:
        """Run ``fn(printer)`` on the printer's worker (after what is queued)."""
        with self._lock:
            if self._closed:
                raise FarmClosedError("the farm is shutting down")
            worker = self._workers.get(name)
        if worker is None:
            raise PrinterNotFoundError(f"{name!r} is not in the farm")
        future: Future[T] = Future()
        worker.inbox.put((fn, future))
        worker.wake.set()
        return future

    def set_connected(self, name: str, wanted: bool) -> None:
        """Keep ``name`` connected (reconnecting as needed), or disconnect it
        and leave it so."""
        with self._lock:
            worker = self._workers.get(name)
        if worker is None:
            raise PrinterNotFoundError(f"{name!r} is not in the farm")
        worker.wanted = wanted
        worker.backoff.reset()
        worker.next_attempt = 0.0
        self.submit(name, (lambda p: p.connect()) if wanted else (lambda p: p.disconnect()))

    def shutdown(self, timeout: float = 20.0) -> None:
        """Stop every worker at once, then join them all within ``timeout``."""
        with self._lock:
            if self._closed:
                return
            self._closed = True
            workers = list(self._workers.values())
        for worker in workers:
            worker.stop.set()
            worker.wake.set()
        deadline = time.monotonic() + timeout
        for worker in workers:
            if worker.thread.is_alive():
                worker.thread.join(max(0.0, deadline - time.monotonic()))
            if worker.thread.is_alive():
                log.error("farm: %s did not stop within %.0f s", worker.name, timeout)
        log.info("farm supervisor stopped (%d printers)", len(workers))

    # ------------------------------------------------------------ internals --
    def _refresh(self, worker: _Worker) -> PrinterStatus | None:
        """The worker's periodic look at its printer (on the worker)."""
        try:
            status = worker.printer.status()
        except Exception as exc:
            log.warning("%s: status failed: %s", worker.name, exc)
            return None
        return self._store(worker, status)

    def _store(self, worker: _Worker, status: PrinterStatus) -> PrinterStatus | None:
        status = self._annotate(worker, status)
        with self._lock:
            if self._workers.get(worker.name) is not worker:
                return None
            old = self._statuses.get(worker.name)
            if old is not None and old.last_seen is not None and (
                    status.last_seen is None or status.last_seen < old.last_seen):
                status = replace(status, last_seen=old.last_seen)  # never goes back
            if status == old:
                return status
            self._statuses[worker.name] = status
            listeners = list(self._listeners)
        for listener in listeners:
            try:
                listener(status)
            except Exception:
                log.exception("farm status listener failed")
        return status

    def _annotate(self, worker: _Worker, status: PrinterStatus) -> PrinterStatus:
        """Give every status that is not well a reason."""
        reason = status.reason
        if status.state in _WELL and status.last_seen is not None:
            silent = time.time() - status.last_seen
            if silent > self.stale_after:
                reason = f"no sign of life for {silent:.0f} s"
        if reason is None and status.state not in _WELL:
            if status.state is PrinterState.CONNECTING and worker.last_problem:
                reason = f"reconnecting (last problem: {worker.last_problem})"
            elif status.state is PrinterState.CONNECTING:
                reason = "connecting"
            elif status.state is PrinterState.OFFLINE:
                reason = ("not connected" if not worker.wanted
                          else worker.last_problem or "not connected")
            else:
                reason = "the printer reported an error"
        return status if reason == status.reason else replace(status, reason=reason)


def _initial(printer: Printer) -> PrinterStatus:
    try:
        return printer.status()
    except Exception as exc:
        return PrinterStatus(printer.name, printer.kind, PrinterState.OFFLINE,
                             f"status unavailable: {exc}")
