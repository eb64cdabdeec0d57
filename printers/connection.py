"""One printer's live link: a thread owns the port, the protocol and the job.

Other threads talk to a :class:`PrinterConnection` through its methods, which
post work to the I/O thread and wake it; listeners are called **on the I/O
thread** with :class:`StatusChanged`, :class:`TemperatureSample`,
:class:`ConsoleLines` and :class:`JobEnded` events (the UI's bridge re-emits
them on the GUI thread).  The running job is written to the database as it
runs: every state change at once, progress at least every ``save_interval``
seconds, so a crash leaves it at a known confirmed line.
"""

from __future__ import annotations

import enum
import logging
import queue
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING

from printers import protocol as p
from printers.errors import JobError, PortUnavailableError, PrinterDisconnectedError, PrinterError
from printers.gcode import Reading
from printers.jobs import GcodeProgram, JobGcode, JobSnapshot, PrintJob
from printers.transport import BAUD_RATES, SerialPort

if TYPE_CHECKING:  # the store imports SQLAlchemy: kept off the start-up path
    from printers.store import PrinterRecord, PrinterStore

log = logging.getLogger(__name__)
gcode_log = logging.getLogger("layerline.gcode")


class LinkStatus(enum.Enum):
    DISCONNECTED = "disconnected"
    CONNECTING = "connecting"
    OPERATIONAL = "operational"
    ERROR = "error"


@dataclass(frozen=True, slots=True)
class PrinterStatus:
    name: str
    link: LinkStatus
    temperatures: dict[str, Reading] = field(default_factory=dict)
    firmware: str = ""
    job: JobSnapshot | None = None
    error: str | None = None

    @property
    def label(self) -> str:
        if self.job is not None and not self.job.state.ended:
            return self.job.state.value
        return self.link.value


@dataclass(frozen=True, slots=True)
class StatusChanged:
    status: PrinterStatus


@dataclass(frozen=True, slots=True)
class TemperatureSample:
    printer: str
    time: float  # time.time()
    readings: dict[str, Reading]


@dataclass(frozen=True, slots=True)
class ConsoleLines:
    printer: str
    lines: tuple[str, ...]  # "> sent" / "< received"


@dataclass(frozen=True, slots=True)
class JobEnded:
    job: JobSnapshot


ConnectionEvent = StatusChanged | TemperatureSample | ConsoleLines | JobEnded
Listener = Callable[[ConnectionEvent], None]
PortOpener = Callable[[str, int], SerialPort]


class PrinterConnection:
    """See the module docstring."""

    def __init__(
        self,
        record: PrinterRecord,
        *,
        store: PrinterStore | None = None,
        config: p.ProtocolConfig | None = None,
        job_gcode: JobGcode | None = None,
        open_port: PortOpener = SerialPort,
        save_interval: float = 2.0,
        console_interval: float = 0.1,
    ) -> None:
        self.record = record
        self.name = record.name
        self._store = store
        opts = record.options
        self.config = config or p.ProtocolConfig(
            rx_buffer_size=int(opts.get("rx_buffer", 128)),
            command_slots=int(opts.get("command_slots", 4)),
        )
        default = JobGcode()
        self.job_gcode = job_gcode or JobGcode(
            pause=tuple(opts.get("pause_gcode", default.pause)),
            resume=tuple(opts.get("resume_gcode", default.resume)),
            cancel=tuple(opts.get("cancel_gcode", default.cancel)),
        )
        self._open_port = open_port
        self._save_interval = save_interval
        self._console_interval = console_interval
        self._listeners: list[Listener] = []
        self._inbox: queue.SimpleQueue[Callable[[p.MarlinProtocol], None]] = queue.SimpleQueue()
        self._thread: threading.Thread | None = None
        self._port: SerialPort | None = None
        self._stop = threading.Event()
        self._guard = threading.Lock()
        self._changed = threading.Condition(self._guard)
        self._status = PrinterStatus(self.name, LinkStatus.DISCONNECTED)
        self._job: PrintJob | None = None
        self._console: list[str] = []
        self._samples: list[tuple[float, str, float | None, float | None]] = []
        self._last_sample = 0.0
        self._last_save = 0.0
        self._last_publish = 0.0
        self._last_console = 0.0
        self._last_traffic = 0.0
        self._last_snapshot: JobSnapshot | None = None
        self.protocol_stats: dict[str, int] = {}
        #: ``time.time()`` of the last bytes received from the printer (None:
        #: never); read by the farm for "last seen".
        self.last_received: float | None = None

    # -- any thread ------------------------------------------------------------
    def subscribe(self, listener: Listener) -> None:
        self._listeners.append(listener)

    def unsubscribe(self, listener: Listener) -> None:
        if listener in self._listeners:
            self._listeners.remove(listener)

    @property
    def status(self) -> PrinterStatus:
        with self._guard:
            return self._status

    def connect(self) -> None:
        """Open the port and start the handshake (on the I/O thread)."""
        if self._thread is not None and self._thread.is_alive():
            return
        self._stop.clear()
        self._set_status(link=LinkStatus.CONNECTING, error=None)
        self._thread = threading.Thread(target=self._run, name=f"printer {self.name}",
                                        daemon=True)
        self._thread.start()

    def reconnect(self, port: str | None = None) -> None:
        """Connect again (after a pulled cable), on a new port path if given."""
        self.disconnect()
        if port is not None and port != self.record.port:
            self.record = replace(self.record, port=port)
        self.connect()

    def disconnect(self, timeout: float = 10.0) -> None:
        """Stop the I/O thread (a running job ends ``interrupted``) and join it."""
        self._stop.set()
        self._wake()
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None

    def wait_for(self, predicate: Callable[[PrinterStatus], bool], timeout: float) -> bool:
        """Wait until the status satisfies ``predicate`` (False on timeout)."""
        deadline = time.monotonic() + timeout
        with self._changed:
            while not predicate(self._status):
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                self._changed.wait(left)
            return True

    def send(self, command: str) -> None:
        """A command from the user (console, jog, temperatures)."""
        command = command.strip()
        if command:
            self._post(lambda proto: self._user_command(proto, command))

    def emergency_stop(self) -> None:
        self._post(self._do_emergency_stop)

    def start_print(self, path: Path) -> int:
        """Start streaming a G-code file; returns the job id."""
        program = GcodeProgram.load(path)
        status = self.status
        if status.link is not LinkStatus.OPERATIONAL:
            raise JobError(f"{self.name} is not connected ({status.link.value})")
        if status.job is not None and not status.job.state.ended:
            raise JobError(f"{self.name} is busy with job {status.job.id}")
        job_id = 0
        if self._store is not None:
            job_id = self._store.create_job(
                self.record if self.record.id else None, self.name, str(path),
                lines_total=len(program.lines), bytes_total=program.size,
                layers_total=program.layers, slicer_estimate=program.slicer_estimate,
                sha256=program.sha256)
        job = PrintJob(job_id, self.name, program, self.job_gcode)
        ready = threading.Event()

        def begin(proto: p.MarlinProtocol) -> None:
            self._job = job
            job.start(proto)
            self._samples = [(0.0, k, v.actual, v.target)
                             for k, v in self._status.temperatures.items()]
            self._job_changed(force_save=True)
            ready.set()

        self._post(begin)
        ready.wait(5)
        return job_id

    def pause(self) -> None:
        self._post(lambda proto: self._with_job(lambda j: j.pause(proto)))

    def resume(self) -> None:
        self._post(lambda proto: self._with_job(lambda j: j.resume(proto)))

    def cancel(self) -> None:
        self._post(lambda proto: self._with_job(lambda j: j.cancel(proto)))

    def wait_job(self, timeout: float) -> JobSnapshot | None:
        """Wait for the current job to end; its final snapshot, or None."""
        self.wait_for(lambda s: s.job is None or s.job.state.ended, timeout)
        return self.status.job

    # -- internals (any thread) --------------------------------------------------
    def _post(self, fn: Callable[[p.MarlinProtocol], None]) -> None:
        self._inbox.put(fn)
        self._wake()

    def _wake(self) -> None:
        port = self._port
        if port is not None:
            port.wake()

    def _emit(self, event: ConnectionEvent) -> None:
        for listener in list(self._listeners):
            try:
                listener(event)
            except Exception:
                log.exception("printer listener failed")

    def _set_status(self, **changes: object) -> None:
        with self._changed:
            values = {"name": self.name, "link": self._status.link,
                      "temperatures": self._status.temperatures,
                      "firmware": self._status.firmware, "job": self._status.job,
                      "error": self._status.error}
            values.update(changes)
            self._status = PrinterStatus(**values)  # type: ignore[arg-type]
            status = self._status
            self._changed.notify_all()
        self._emit(StatusChanged(status))

    # -- the I/O thread -----------------------------------------------------------
    def _run(self) -> None:
        proto = p.MarlinProtocol(self.config)
        try:
            self._open_and_handshake(proto)
            self._loop(proto)
        except PrinterDisconnectedError as exc:
            log.warning("%s: %s", self.name, exc)
            self._end_link(f"the printer was disconnected: {exc}", LinkStatus.ERROR, str(exc))
        except PrinterError as exc:
            log.warning("%s: %s", self.name, exc)
            self._end_link(str(exc), LinkStatus.ERROR, str(exc))
        except Exception as exc:
            log.exception("%s: the I/O thread failed", self.name)
            self._end_link(f"internal error: {exc}", LinkStatus.ERROR, str(exc))
            raise
        else:
            self._end_link("the connection was closed while printing",
                           LinkStatus.DISCONNECTED, None)
        finally:
            self.protocol_stats = dict(proto.stats)
            port, self._port = self._port, None
            if port is not None:
                port.close()

    def _open_and_handshake(self, proto: p.MarlinProtocol) -> None:
        bauds = [self.record.baud] if self.record.baud else list(BAUD_RATES)
        for baud in bauds:
            self._port = self._open_port(self.record.port, baud)
            proto.connect(time.monotonic())
            deadline = time.monotonic() + (self.config.hello_timeout * 2 + 1
                                           if len(bauds) > 1 else 3600)
            while proto.state is p.LinkState.CONNECTING and time.monotonic() < deadline:
                if self._stop.is_set():
                    return
                self._step(proto)
            if proto.state is p.LinkState.OPERATIONAL:
                log.info("%s: connected on %s at %d baud", self.name, self.record.port, baud)
                return
            self._port.close()
            self._port = None
        raise PortUnavailableError(f"no Marlin printer answers on {self.record.port}")

    def _loop(self, proto: p.MarlinProtocol) -> None:
        while not self._stop.is_set():
            self._step(proto)

    def _step(self, proto: p.MarlinProtocol) -> None:
        port = self._port
        assert port is not None
        while True:
            try:
                fn = self._inbox.get_nowait()
            except queue.Empty:
                break
            fn(proto)
        job = self._job
        if job is not None and not job.state.ended:
            job.feed(proto)
        now = time.monotonic()
        out = proto.outgoing(now)
        if out:
            port.write(out)
            if now - self._last_traffic >= self._console_interval:
                # A sample of the stream for the console (at most 10 lines/s).
                self._last_traffic = now
                last = out.rstrip(b"\n").rsplit(b"\n", 1)[-1]
                self._console.append("> " + last.decode("latin-1"))
            if gcode_log.isEnabledFor(logging.DEBUG):
                for line in out.decode("latin-1").splitlines():
                    gcode_log.debug("> %s", line)
        data = port.read()
        if data:
            self.last_received = time.time()
        now = time.monotonic()
        events = proto.receive(data, now) if data else []
        events += proto.tick(now)
        if data and gcode_log.isEnabledFor(logging.DEBUG):
            for line in data.decode("latin-1").splitlines():
                gcode_log.debug("< %s", line)
        for event in events:
            self._on_event(event, proto)
        if job is not None:
            self._job_changed()
        self._flush_console()

    def _on_event(self, event: p.Event, proto: p.MarlinProtocol) -> None:
        job = self._job
        if job is not None and not job.state.ended:
            job.on_event(event, proto)
        if isinstance(event, p.Acked):
            return
        if isinstance(event, p.Temperatures):
            self._on_temperatures(event)
            return
        if isinstance(event, p.Connected):
            self._set_status(link=LinkStatus.OPERATIONAL, error=None)
        elif isinstance(event, p.FirmwareInfo):
            self._set_status(firmware=event.name)
        elif isinstance(event, p.Failed):
            self._set_status(link=LinkStatus.ERROR, error=event.reason)
            self._console.append(f"! {event.kind}: {event.reason}")
        elif isinstance(event, p.FirmwareReset):
            self._console.append("! the printer reset")
            self._set_status(link=LinkStatus.CONNECTING)
        elif isinstance(event, p.Message):
            self._console.append("< " + event.text)
        elif isinstance(event, p.Busy | p.WaitingForUser):
            self._console.append("< busy: " + event.text)
        elif isinstance(event, p.Resending):
            self._console.append(f"! resend from line {event.line_number}")
        elif isinstance(event, p.ProbeSent):
            self._console.append(f"! no ok for {event.waited:.1f} s: probing")

    def _on_temperatures(self, event: p.Temperatures) -> None:
        merged = dict(self._status.temperatures)
        merged.update({k: v for k, v in event.readings.items() if k in ("T0", "T1", "B", "C")})
        self._set_status(temperatures=merged)
        now = time.time()
        self._emit(TemperatureSample(self.name, now, merged))
        job = self._job
        if (job is not None and not job.state.ended and job.started_at is not None
                and now - self._last_sample >= 0.25):
            self._last_sample = now
            t = now - job.started_at
            self._samples += [(t, k, v.actual, v.target) for k, v in merged.items()]

    def _job_changed(self, *, force_save: bool = False) -> None:
        job = self._job
        if job is None:
            return
        now = time.monotonic()
        prev = self._last_snapshot
        state_changed = prev is None or (prev.state, prev.reason) != (job.state, job.reason)
        if not state_changed and not force_save and job.state.ended:
            return  # an ended job has nothing more to say
        save_due = self._store is not None and now - self._last_save >= self._save_interval
        if not (state_changed or force_save or save_due or now - self._last_publish >= 0.2):
            return  # nothing to say yet: keep the streaming loop light
        snap = job.snapshot()
        # Saved before it is published: whoever sees the state can read it back.
        if self._store is not None and (
            force_save or state_changed or now - self._last_save >= self._save_interval
        ):
            samples, self._samples = self._samples, []
            self._store.save_job(snap, samples)
            self._last_save = now
        if state_changed or now - self._last_publish >= 0.2:
            self._last_publish = now
            self._set_status(job=snap)
        self._last_snapshot = snap
        if state_changed and snap.state.ended:
            self._emit(JobEnded(snap))

    def _with_job(self, fn: Callable[[PrintJob], None]) -> None:
        if self._job is not None and not self._job.state.ended:
            fn(self._job)
            self._job_changed(force_save=True)

    def _user_command(self, proto: p.MarlinProtocol, command: str) -> None:
        self._console.append("> " + command)
        proto.enqueue(command)

    def _do_emergency_stop(self, proto: p.MarlinProtocol) -> None:
        proto.emergency_stop()
        self._console.append("> M112 (emergency stop)")
        if self._job is not None:
            self._job.emergency_stopped()
            self._job_changed(force_save=True)
        out = proto.outgoing(time.monotonic())
        if self._port is not None and out:
            self._port.write(out)
        self._set_status(link=LinkStatus.ERROR, error="emergency stop")

    def _flush_console(self) -> None:
        now = time.monotonic()
        if self._console and now - self._last_console >= self._console_interval:
            self._last_console = now
            lines, self._console = tuple(self._console[-500:]), []
            self._emit(ConsoleLines(self.name, lines))

    def _end_link(self, reason: str, link: LinkStatus, error: str | None) -> None:
        job = self._job
        if job is not None and not job.state.ended:
            job.interrupt(reason)
            self._job_changed(force_save=True)
        self._flush_console()
        self._set_status(link=link, error=error)

