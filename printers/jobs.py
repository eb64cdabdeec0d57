"""Print jobs: a G-code file streamed through the protocol, with states,
progress, layer, ETA, pause/resume/cancel and the reason for each ending.

A :class:`PrintJob` is driven by the connection's I/O thread only: it tops up
the protocol's queue (:meth:`PrintJob.feed`) and is told what the protocol
reported (:meth:`PrintJob.on_event`).  Its public snapshot
(:meth:`PrintJob.snapshot`) is an immutable :class:`JobSnapshot` that any
thread may read.
"""

from __future__ import annotations

import enum
import logging
import re
import time
from dataclasses import dataclass, field
from pathlib import Path

from printers import gcode
from printers.errors import GcodeFileError
from printers.protocol import (
    Acked,
    Event,
    Failed,
    FirmwareReset,
    MarlinProtocol,
    WaitingForUser,
)

log = logging.getLogger(__name__)


class JobState(enum.Enum):
    QUEUED = "queued"
    HEATING = "heating"
    PRINTING = "printing"
    PAUSED = "paused"
    CANCELLING = "cancelling"
    COMPLETED = "completed"
    FAILED = "failed"
    CANCELLED = "cancelled"
    INTERRUPTED = "interrupted"

    @property
    def ended(self) -> bool:
        return self in ENDED


ENDED = frozenset({JobState.COMPLETED, JobState.FAILED, JobState.CANCELLED,
                   JobState.INTERRUPTED})
ACTIVE_STATES = tuple(s.value for s in JobState if s not in ENDED)


@dataclass(frozen=True, slots=True)
class JobGcode:
    """What the host sends around a pause and a cancel (configurable per printer)."""

    pause: tuple[str, ...] = ("M400", "G91", "G1 Z5 F600", "G90")
    resume: tuple[str, ...] = ("G91", "G1 Z-5 F600", "G90")
    cancel: tuple[str, ...] = ("M104 S0", "M140 S0", "M107", "G91", "G1 Z5 F600", "G90",
                               "M84")


@dataclass(frozen=True, slots=True)
class GcodeLine:
    command: str
    end_offset: int  # bytes of the file up to the end of this line
    layer: int | None


@dataclass(frozen=True, slots=True)
class GcodeProgram:
    """A G-code file ready to stream: comments and blank lines stripped."""

    path: Path
    lines: tuple[GcodeLine, ...]
    size: int
    layers: int | None
    slicer_estimate: float | None

    @classmethod
    def load(cls, path: Path) -> GcodeProgram:
        try:
            raw = path.read_bytes()
        except OSError as exc:
            raise GcodeFileError(f"cannot read {path}: {exc}") from exc
        lines: list[GcodeLine] = []
        offset = 0
        layer: int | None = None
        layers: int | None = None
        estimate: float | None = None
        for raw_line in raw.splitlines(keepends=True):
            offset += len(raw_line)
            text = raw_line.decode("utf-8", "replace")
            if ";" in text:
                comment = text.split(";", 1)[1].strip()
                m = _LAYER.match(comment)
                if m:
                    layer = int(m.group(1))
                m = _LAYER_COUNT.match(comment)
                if m:
                    layers = int(m.group(1))
                if estimate is None:
                    estimate = _slicer_estimate(comment)
            command = gcode.strip_line(text)
            if command:
                lines.append(GcodeLine(command, offset, layer))
        if not lines:
            raise GcodeFileError(f"{path.name} has no G-code to send")
        return cls(path, tuple(lines), len(raw), layers, estimate)


_LAYER = re.compile(r"(?:LAYER:|LAYER_CHANGE.*?Z|layer\s+)(-?\d+)", re.IGNORECASE)
_LAYER_COUNT = re.compile(r"(?:LAYER_COUNT:|total layers? count\s*=\s*)(\d+)", re.IGNORECASE)
_TIME = re.compile(r"^(?:TIME:|estimated printing time \(normal mode\)\s*=\s*)(.*)$",
                   re.IGNORECASE)


def _slicer_estimate(comment: str) -> float | None:
    m = _TIME.match(comment)
    if not m:
        return None
    value = m.group(1).strip()
    if value.replace(".", "", 1).isdigit():
        return float(value)  # Cura: seconds
    total = 0.0
    for num, unit in re.findall(r"(\d+)\s*([dhms])", value):
        total += int(num) * {"d": 86400, "h": 3600, "m": 60, "s": 1}[unit]
    return total or None


@dataclass(frozen=True, slots=True)
class JobSnapshot:
    """A job's state at one moment (safe to share between threads)."""

    id: int
    printer: str
    file: str
    state: JobState
    reason: str | None
    lines_total: int
    lines_confirmed: int
    bytes_total: int
    bytes_confirmed: int
    layer: int | None
    layers_total: int | None
    started_at: float | None
    ended_at: float | None
    elapsed: float
    eta: float | None
    slicer_estimate: float | None
    waiting_for_user: bool = False

    @property
    def progress(self) -> float:
        return self.bytes_confirmed / self.bytes_total if self.bytes_total else 0.0

    def as_dict(self) -> dict[str, object]:
        return {
            "id": self.id, "printer": self.printer, "file": self.file,
            "state": self.state.value, "reason": self.reason,
            "lines_total": self.lines_total, "lines_confirmed": self.lines_confirmed,
            "bytes_total": self.bytes_total, "bytes_confirmed": self.bytes_confirmed,
            "progress": round(self.progress, 4), "layer": self.layer,
            "layers_total": self.layers_total, "started_at": self.started_at,
            "ended_at": self.ended_at, "elapsed": round(self.elapsed, 3),
            "eta": None if self.eta is None else round(self.eta, 1),
        }


@dataclass
class PrintJob:
    """One print, run by the connection's I/O thread (see the module docstring)."""

    id: int
    printer: str
    program: GcodeProgram
    job_gcode: JobGcode = field(default_factory=JobGcode)
    state: JobState = JobState.QUEUED
    reason: str | None = None
    confirmed: int = 0
    started_at: float | None = None
    ended_at: float | None = None
    waiting_for_user: bool = False
    _next: int = 0
    _paused_at: float | None = None
    _paused_total: float = 0.0
    _drain_then: str | None = None  # "pause" | "cancel": once the window is empty
    _slicer_eta: float | None = None
    _slicer_eta_at: float = 0.0
    # M108 sent: "paused for user" keep-alives already on the wire are stale
    # until the firmware confirms the next line (the M0/M600 itself).
    _user_resumed: bool = False

    # -- driven by the I/O thread ------------------------------------------------
    def start(self, proto: MarlinProtocol, now_wall: float | None = None) -> None:
        self.started_at = now_wall if now_wall is not None else time.time()
        first = self.program.lines[0].command
        self.state = (JobState.HEATING if gcode.code_of(first) in gcode.HEATING_WAITS
                      else JobState.PRINTING)
        self.feed(proto)

    def feed(self, proto: MarlinProtocol) -> None:
        """Top up the protocol's queue; finish a drain (pause, cancel)."""
        if self._drain_then is not None:
            if proto.idle:
                what, self._drain_then = self._drain_then, None
                if what == "pause":
                    for cmd in self.job_gcode.pause:
                        proto.enqueue(cmd)
                elif what == "cancel":
                    for cmd in self.job_gcode.cancel:
                        proto.enqueue(cmd)
                    self._drain_then = "cancelled"  # ends once the end G-code is confirmed
                else:
                    self._end(JobState.CANCELLED, self.reason or "cancelled by the user")
            return
        if self.state not in (JobState.PRINTING, JobState.HEATING):
            return
        lines = self.program.lines
        while self._next < len(lines) and proto.wants_more():
            proto.enqueue(lines[self._next].command, tag=self._next)
            self._next += 1
        if self.confirmed >= len(lines) and proto.idle:
            self._end(JobState.COMPLETED, None)

    def on_event(self, event: Event, proto: MarlinProtocol) -> None:
        if self.state.ended:
            return
        if isinstance(event, Acked) and isinstance(event.tag, int):
            self._user_resumed = False
            self.confirmed = max(self.confirmed, event.tag + 1)
            if self.state is JobState.HEATING and event.command[:1] == "M" and gcode.code_of(
                event.command
            ) in gcode.HEATING_WAITS:
                self.state = JobState.PRINTING
            nxt = self.program.lines[self.confirmed] if self.confirmed < len(
                self.program.lines) else None
            if (nxt is not None and self.state is JobState.PRINTING
                    and nxt.command[:1] == "M"
                    and gcode.code_of(nxt.command) in gcode.HEATING_WAITS):
                self.state = JobState.HEATING
            if event.command.startswith("M73"):
                _percent, left = gcode.parse_m73(event.command)
                if left is not None:
                    self._slicer_eta, self._slicer_eta_at = left, time.monotonic()
        elif isinstance(event, WaitingForUser):
            if self.state in (JobState.PRINTING, JobState.HEATING) and not self._user_resumed:
                self.waiting_for_user = True
                self.state = JobState.PAUSED
                self.reason = f"waiting for the user at the printer ({event.text})"
        elif isinstance(event, Failed):
            self._end(JobState.FAILED, f"{event.kind}: {event.reason}")
        elif isinstance(event, FirmwareReset):
            self._end(JobState.FAILED, "the printer reset itself during the print")

    def pause(self, proto: MarlinProtocol) -> None:
        if self.state not in (JobState.PRINTING, JobState.HEATING):
            return
        self._take_back(proto)
        self.state = JobState.PAUSED
        self.reason = "paused by the user"
        self._paused_at = time.monotonic()
        self._drain_then = "pause"

    def resume(self, proto: MarlinProtocol) -> None:
        if self.state is not JobState.PAUSED:
            return
        if self.waiting_for_user:
            proto.send_now("M108")  # the firmware's emergency parser continues M0/M600
            self.waiting_for_user = False
            self._user_resumed = True
        else:
            for cmd in self.job_gcode.resume:
                proto.enqueue(cmd)
        if self._paused_at is not None:
            self._paused_total += time.monotonic() - self._paused_at
            self._paused_at = None
        self._drain_then = None
        self.state = JobState.PRINTING
        self.reason = None
        self.feed(proto)

    def cancel(self, proto: MarlinProtocol, reason: str = "cancelled by the user") -> None:
        if self.state.ended or self.state is JobState.CANCELLING:
            return
        self._take_back(proto)
        if self.waiting_for_user:
            proto.send_now("M108")
        self.state = JobState.CANCELLING
        self.reason = reason
        self._drain_then = "cancel"
        self.feed(proto)

    def interrupt(self, reason: str) -> None:
        """The link went away (cable pulled, app stopping)."""
        if not self.state.ended:
            self._end(JobState.INTERRUPTED, reason)

    def emergency_stopped(self) -> None:
        if not self.state.ended:
            self._end(JobState.CANCELLED, "emergency stop")

    # -- internals ---------------------------------------------------------
    def _take_back(self, proto: MarlinProtocol) -> None:
        """Lines queued in the protocol but not sent come back to the job."""
        taken = proto.clear_pending()
        tags = [t for _c, t in taken if isinstance(t, int)]
        if tags:
            self._next = min(tags)

    def _end(self, state: JobState, reason: str | None) -> None:
        self.state = state
        self.reason = reason
        self.ended_at = time.time()
        self._drain_then = None
        log.info("job %d %s%s", self.id, state.value, f": {reason}" if reason else "")

    # -- reporting ---------------------------------------------------------
    def snapshot(self) -> JobSnapshot:
        lines = self.program.lines
        done = min(self.confirmed, len(lines))
        bytes_done = lines[done - 1].end_offset if done else 0
        layer = lines[done - 1].layer if done else None
        now = time.time()
        elapsed = 0.0
        if self.started_at is not None:
            paused = self._paused_total
            if self._paused_at is not None:
                paused += time.monotonic() - self._paused_at
            elapsed = max(0.0, (self.ended_at or now) - self.started_at - paused)
        return JobSnapshot(
            id=self.id, printer=self.printer, file=str(self.program.path),
            state=self.state, reason=self.reason, lines_total=len(lines),
            lines_confirmed=done, bytes_total=self.program.size, bytes_confirmed=bytes_done,
            layer=layer, layers_total=self.program.layers, started_at=self.started_at,
            ended_at=self.ended_at, elapsed=elapsed, eta=self._eta(elapsed, bytes_done),
            slicer_estimate=self.program.slicer_estimate,
            waiting_for_user=self.waiting_for_user,
        )

    def _eta(self, elapsed: float, bytes_done: int) -> float | None:
        if self.state.ended:
            return 0.0 if self.state is JobState.COMPLETED else None
        if self._slicer_eta is not None:  # M73 R: the slicer's own remaining time
            return max(0.0, self._slicer_eta - (time.monotonic() - self._slicer_eta_at))
        total = self.program.size
        if self.program.slicer_estimate and total:
            return max(0.0, self.program.slicer_estimate * (1 - bytes_done / total))
        if bytes_done and elapsed > 1.0:
            return elapsed * (total - bytes_done) / bytes_done
        return None

