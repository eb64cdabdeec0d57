"""A serial (USB, Marlin) printer behind the farm's :class:`printers.interface.Printer`.

:class:`SerialPrinter` adapts one :class:`printers.connection.PrinterConnection`:
its events become :class:`printers.interface.PrinterStatus` values, published
to the listeners on the connection's I/O thread.  ``last_seen`` is the last
time bytes came from the printer.
"""

from __future__ import annotations

import logging
import threading
from pathlib import Path

from printers.connection import ConnectionEvent, LinkStatus, PrinterConnection, StatusChanged
from printers.connection import PrinterStatus as LinkState
from printers.interface import (
    Capabilities,
    JobSummary,
    Kind,
    PrinterState,
    PrinterStatus,
    StatusListener,
)
from printers.jobs import GcodeProgram, JobState

log = logging.getLogger(__name__)


class SerialPrinter:
    """See the module docstring."""

    kind: Kind = "serial"

    def __init__(self, connection: PrinterConnection,
                 capabilities: Capabilities | None = None) -> None:
        self.connection = connection
        self._caps = capabilities or Capabilities.from_options(connection.record.options)
        self._listeners: list[StatusListener] = []
        self._lock = threading.Lock()
        self._status = self._translate(connection.status)
        connection.subscribe(self._on_event)

    @property
    def name(self) -> str:
        return self.connection.name

    @property
    def capabilities(self) -> Capabilities:
        return self._caps

    def status(self) -> PrinterStatus:
        with self._lock:
            status = self._status
        seen = self.connection.last_received
        if seen != status.last_seen:
            status = PrinterStatus(status.name, status.kind, status.state, status.reason, seen,
                                   status.temperatures, status.job, status.capabilities)
        return status

    def connect(self) -> None:
        self.connection.connect()

    def disconnect(self) -> None:
        self.connection.disconnect()

    def start(self, file: Path) -> int:
        return self.connection.start_print(file)

    def upload(self, file: Path) -> None:
        GcodeProgram.load(file)  # nothing to upload to a serial printer: check it reads

    def pause(self) -> None:
        self.connection.pause()

    def resume(self) -> None:
        self.connection.resume()

    def cancel(self) -> None:
        self.connection.cancel()

    def send(self, command: str) -> None:
        self.connection.send(command)

    def snapshot(self) -> bytes | None:
        return None  # no camera on a serial link

    def subscribe(self, listener: StatusListener) -> None:
        with self._lock:
            self._listeners.append(listener)

    def unsubscribe(self, listener: StatusListener) -> None:
        with self._lock:
            if listener in self._listeners:
                self._listeners.remove(listener)

    # -- the connection's I/O thread -----------------------------------------
    def _on_event(self, event: ConnectionEvent) -> None:
        if not isinstance(event, StatusChanged):
            return
        status = self._translate(event.status)
        with self._lock:
            if status == self._status:
                return
            self._status = status
            listeners = list(self._listeners)
        for listener in listeners:
            try:
                listener(status)
            except Exception:
                log.exception("printer status listener failed")

    def _translate(self, link: LinkState) -> PrinterStatus:
        job = link.job
        summary = None
        if job is not None:
            summary = JobSummary(job.id, Path(job.file).name, job.state.value, job.progress,
                                 job.eta, job.layer)
        reason = link.error
        if link.link is LinkStatus.DISCONNECTED:
            state = PrinterState.OFFLINE
        elif link.link is LinkStatus.CONNECTING:
            state = PrinterState.CONNECTING
        elif link.link is LinkStatus.ERROR:
            state = PrinterState.ERROR
            reason = reason or "the printer reported an error"
        elif job is not None and job.state is JobState.PAUSED:
            state = PrinterState.PAUSED
        elif job is not None and not job.state.ended:
            state = PrinterState.PRINTING
        else:
            state = PrinterState.OPERATIONAL
            reason = None
        temps = {k: (v.actual, v.target) for k, v in link.temperatures.items()}
        return PrinterStatus(self.name, "serial", state, reason, self.connection.last_received,
                             temps, summary, self._caps)
