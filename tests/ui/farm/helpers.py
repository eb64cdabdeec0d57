"""Farm UI test helpers: printer statuses as the domain makes them, and a
supervisor whose listeners the tests call from their own threads (as the
printers' threads would)."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

from printers.interface import Capabilities, JobSummary, PrinterState, PrinterStatus


def make_status(name: str, state: str = "operational", *, kind: str = "serial",
                reason: str | None = None, progress: float | None = None,
                file: str = "part.gcode", job_state: str | None = None, job_id: int = 1,
                eta: float | None = None, nozzle: float | None = None,
                bed: float | None = None, camera: bool = False,
                last_seen: float | None = None) -> PrinterStatus:
    """A status as the printers make them; a job when ``progress`` or
    ``job_state`` is given (its state defaults to the printer's)."""
    temps: dict[str, tuple[float | None, float | None]] = {}
    if nozzle is not None:
        temps["T0"] = (nozzle, 210.0)
    if bed is not None:
        temps["B"] = (bed, 60.0)
    job = None
    if progress is not None or job_state is not None:
        job = JobSummary(job_id, file, job_state or state, progress or 0.0, eta)
    return PrinterStatus(name, kind, PrinterState(state), reason,  # type: ignore[arg-type]
                         time.time() if last_seen is None else last_seen,
                         temps, job, Capabilities(has_camera=camera))


class FakeSupervisor:
    def __init__(self) -> None:
        self._listeners: list[Callable[[Any], None]] = []
        self._lock = threading.Lock()
        self.current: dict[str, Any] = {}

    def statuses(self) -> list[Any]:
        return list(self.current.values())

    def subscribe(self, listener: Callable[[Any], None]) -> None:
        with self._lock:
            self._listeners.append(listener)

    def unsubscribe(self, listener: Callable[[Any], None]) -> None:
        with self._lock:
            self._listeners.remove(listener)

    def report(self, status: Any) -> None:
        self.current[status.name] = status
        with self._lock:
            listeners = list(self._listeners)
        for listener in listeners:
            listener(status)
