"""One printer interface for serial and OctoPrint printers (the farm's contract).

Everything above the printers package (the farm supervisor, the queue, the
dashboard) sees a printer only through :class:`Printer` and the immutable
values here.  Two implementations: :class:`printers.serial_printer.SerialPrinter`
(an adapter over :class:`printers.connection.PrinterConnection`) and
:class:`printers.octoprint.printer.OctoPrintPrinter` (over the OctoPrint client,
its watcher and the outcome tracker).

Threads: :meth:`Printer.status` never blocks (it returns the latest known
status); ``connect``/``disconnect``/``start``/``pause``/``resume``/``cancel``/
``send``/``snapshot`` may block for a bounded time (an upload, an HTTP call,
joining an I/O thread) and belong on a worker thread, never the GUI thread.
Listeners registered with :meth:`Printer.subscribe` are called **on the
printer's own thread** (its I/O thread or its watcher's) with the new
:class:`PrinterStatus`; they must be quick and must not call back into the
printer's blocking methods.

This module is deliberately tiny and imports nothing heavy: the UI may import
it on the start-up path.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, Protocol, runtime_checkable

Kind = Literal["serial", "octoprint"]


class PrinterState(enum.StrEnum):
    """What a printer is doing, the same words for every kind of printer."""

    OFFLINE = "offline"  # not connected (never, or the link is gone)
    CONNECTING = "connecting"  # opening the link / handshake / server unreachable, retrying
    OPERATIONAL = "operational"  # connected and idle
    PRINTING = "printing"  # a job runs (heating counts as printing)
    PAUSED = "paused"
    ERROR = "error"  # the printer reported an error (halted, thermal runaway, ...)

    @property
    def busy(self) -> bool:
        return self in (PrinterState.PRINTING, PrinterState.PAUSED)


@dataclass(frozen=True, slots=True)
class Capabilities:
    """What a printer can print: the queue's routing reads these.

    ``None`` means "unknown": a job that requires a value never goes to a
    printer whose value is unknown."""

    nozzle_diameter: float | None = None  # mm
    material: str | None = None  # the loaded material, e.g. "PLA"
    build_volume: tuple[float, float, float] | None = None  # x, y, z in mm
    has_camera: bool = False
    tags: frozenset[str] = frozenset()

    @classmethod
    def from_options(cls, options: Mapping[str, Any]) -> Capabilities:
        """From a printer record's options (``nozzle``, ``material``,
        ``build_volume`` [x, y, z], ``camera``, ``tags`` [...])."""
        nozzle = options.get("nozzle")
        volume = options.get("build_volume")
        material = options.get("material")
        tags = options.get("tags") or ()
        return cls(
            nozzle_diameter=float(nozzle) if isinstance(nozzle, int | float) else None,
            material=str(material) if material else None,
            build_volume=(tuple(float(v) for v in volume)  # type: ignore[arg-type]
                          if isinstance(volume, list | tuple) and len(volume) == 3 else None),
            has_camera=bool(options.get("camera", False)),
            tags=frozenset(str(t) for t in tags),
        )

    def as_options(self) -> dict[str, Any]:
        """The inverse of :meth:`from_options` (JSON-ready)."""
        out: dict[str, Any] = {"camera": self.has_camera, "tags": sorted(self.tags)}
        if self.nozzle_diameter is not None:
            out["nozzle"] = self.nozzle_diameter
        if self.material is not None:
            out["material"] = self.material
        if self.build_volume is not None:
            out["build_volume"] = list(self.build_volume)
        return out


@dataclass(frozen=True, slots=True)
class JobSummary:
    """The job a printer runs (or just ended), for cards and the queue."""

    job_id: int  # the print_jobs record (0 when not recorded)
    file_name: str
    state: str  # a printers.jobs.JobState value: queued, heating, printing, ..., completed
    progress: float  # 0..1
    eta_s: float | None = None
    layer: int | None = None


Temperatures = Mapping[str, tuple[float | None, float | None]]  # sensor -> (actual, target)


@dataclass(frozen=True, slots=True)
class PrinterStatus:
    """One printer at one moment.  ``reason`` says why it is not well (None
    when it is); ``last_seen`` is the ``time.time()`` of the last sign of life
    from the printer or its server (None: never)."""

    name: str
    kind: Kind
    state: PrinterState
    reason: str | None = None
    last_seen: float | None = None
    temperatures: Temperatures = field(default_factory=dict)
    job: JobSummary | None = None
    capabilities: Capabilities = field(default_factory=Capabilities)

    @property
    def idle(self) -> bool:
        """Connected, not printing, no active job: may take a new job."""
        return self.state is PrinterState.OPERATIONAL and (
            self.job is None or self.job.state in ENDED_JOB_STATES)

    @property
    def heating(self) -> bool:
        """A job is heating up: waiting for its temperatures, or a heater of a
        running job is still well below its target."""
        if self.job is None or self.job.state in ENDED_JOB_STATES:
            return False
        return self.job.state == "heating" or any(
            target is not None and target > 0 and actual is not None and actual < target - 3
            for actual, target in self.temperatures.values())

    @property
    def warm(self) -> bool:
        """A running job past its heating: every heater with a target is there."""
        if self.job is None or self.job.state not in ("printing", "paused"):
            return False
        targets = [(a, t) for a, t in self.temperatures.values() if t]
        return bool(targets) and all(a is not None and t is not None and a >= t - 3
                                     for a, t in targets)

    def as_dict(self) -> dict[str, Any]:
        caps = self.capabilities
        return {
            "name": self.name, "kind": self.kind, "state": self.state.value,
            "reason": self.reason, "last_seen": self.last_seen,
            "temperatures": {k: list(v) for k, v in self.temperatures.items()},
            "job": None if self.job is None else {
                "job_id": self.job.job_id, "file_name": self.job.file_name,
                "state": self.job.state, "progress": self.job.progress,
                "eta_s": self.job.eta_s, "layer": self.job.layer},
            "capabilities": {"nozzle_diameter": caps.nozzle_diameter,
                             "material": caps.material,
                             "build_volume": None if caps.build_volume is None
                             else list(caps.build_volume),
                             "has_camera": caps.has_camera, "tags": sorted(caps.tags)},
        }


ENDED_JOB_STATES = frozenset({"completed", "failed", "cancelled", "interrupted"})

StatusListener = Callable[[PrinterStatus], None]


@runtime_checkable
class Printer(Protocol):
    """A printer of any kind (see the module docstring for the threads)."""

    @property
    def name(self) -> str: ...

    @property
    def kind(self) -> Kind: ...

    def status(self) -> PrinterStatus:
        """The latest known status; never blocks."""
        ...

    def connect(self) -> None:
        """Start connecting (returns without waiting for the link)."""
        ...

    def disconnect(self) -> None:
        """Close the link and stop the printer's threads (joined)."""
        ...

    def start(self, file: Path) -> int:
        """Start printing ``file`` (upload it first for OctoPrint); returns the
        print_jobs record id.  Raises :class:`printers.errors.PrinterError`."""
        ...

    def upload(self, file: Path) -> None:
        """Put ``file`` on the printer without starting it (OctoPrint: upload;
        serial: check it can be read).  The queue's "upload but don't start"."""
        ...

    def pause(self) -> None: ...

    def resume(self) -> None: ...

    def cancel(self) -> None: ...

    def send(self, command: str) -> None:
        """A raw G-code command (console)."""
        ...

    def snapshot(self) -> bytes | None:
        """A camera still (JPEG/PNG bytes), None when there is no camera."""
        ...

    def subscribe(self, listener: StatusListener) -> None:
        """Call ``listener(status)`` on every change, on the printer's thread."""
        ...

    def unsubscribe(self, listener: StatusListener) -> None: ...
