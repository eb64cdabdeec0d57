"""Farm UI test helpers: printer statuses as the domain makes them, and a
supervisor whose listeners the tests call from their own threads (as the
printers' threads would)."""

from __future__ import annotations

import enum
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any


# Stand-ins until printers.interface lands (same names and fields).
class PrinterState(enum.Enum):
    OFFLINE = "offline"
    IDLE = "idle"
    PRINTING = "printing"
    PAUSED = "paused"
    ERROR = "error"


@dataclass(frozen=True)
class JobSummary:
    file: str
    progress: float


@dataclass(frozen=True)
class Capabilities:
    camera: bool = False


@dataclass(frozen=True)
class PrinterStatus:
    name: str
    kind: str
    state: PrinterState
    reason: str | None = None
    last_seen: float | None = None
    temperatures: dict[str, Any] = field(default_factory=dict)
    job: JobSummary | None = None
    capabilities: Capabilities = field(default_factory=Capabilities)


def make_status(name: str, state: str = "idle", *, kind: str = "serial",
                reason: str | None = None, progress: float | None = None,
                file: str = "part.gcode", nozzle: float | None = None,
                bed: float | None = None, camera: bool = False,
                last_seen: float | None = None) -> Any:
    temps: dict[str, Any] = {}
    if nozzle is not None:
        temps["T0"] = (nozzle, 210.0)
    if bed is not None:
        temps["B"] = (bed, 60.0)
    job = JobSummary(file, progress) if progress is not None else None
    return PrinterStatus(name, kind, PrinterState(state), reason,
                         time.time() if last_seen is None else last_seen,
                         temps, job, Capabilities(camera))


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
