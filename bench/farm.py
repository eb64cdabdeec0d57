"""The farm dashboard under a hundred printers, one of them frozen.

    .venv/bin/python bench/farm.py [--serial 95] [--octoprint 5] [--seconds 20]

Runs 100 printers at once: ``--serial`` virtual Marlin printers on ptys
(Layerline's serial stack) and ``--octoprint`` real OctoPrint 1.11 servers,
each with its own virtual printer (installed under .cache/octoprint-venv, or
``LAYERLINE_OCTOPRINT_VENV``).  All of them go through the farm supervisor to
the dashboard (the bridge, the model and the painted cards) in a window big
enough to show every card, on Qt's offscreen platform unless QT_QPA_PLATFORM
says otherwise.  Every printer starts a job; then two measured phases of
``--seconds`` each:

1. healthy: every printer prints;
2. frozen: one OctoPrint server is stopped with SIGSTOP mid-print (it stops
   answering; its sockets stay open), the others carry on.

Figures, per phase:

- GUI thread busy share: the GUI thread's CPU time (``time.thread_time`` on
  it) over the phase's wall time; beside it, the wall time the dashboard
  spent painting cards and taking batches (which also counts waiting for the
  interpreter lock held by the printers' threads);
- dashboard frame time: the card grid's ``paintEvent`` durations (p50, p99,
  max);
- event to screen: from a status arriving from a printer's thread (the
  supervisor's listener) to the first paint of that printer's card that
  shows it or a newer status (p50, p99, max), for the healthy printers only.

The ratio compares the healthy printers' event-to-screen p99 with and without
the frozen printer, measured in the same run.  Targets: busy < 10 %, frames
< 16 ms, p99 < 100 ms, ratio <= 1.1.  Not a test: it prints the figures.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")


# -- probes -------------------------------------------------------------------
@dataclass
class Phase:
    name: str
    started: float = 0.0
    ended: float = 0.0
    cpu: float = 0.0
    process_cpu: float = 0.0
    applies: list[float] = field(default_factory=list)
    frames: list[float] = field(default_factory=list)
    latencies: list[float] = field(default_factory=list)
    events: int = 0
    flushes: int = 0
    waits: list[float] = field(default_factory=list)       # first arrival -> taken
    renders: list[float] = field(default_factory=list)     # taken -> made (cards drawn)
    deliveries: list[float] = field(default_factory=list)  # made -> applied on the GUI
    cards: int = 0


class Probe:
    """Measures the GUI thread while a phase is open (GUI thread only)."""

    def __init__(self, dashboard: Any, bridge: Any) -> None:
        self.dashboard = dashboard
        self.bridge = bridge
        self.phase: Phase | None = None
        self.excluded: set[str] = set()
        self._unpainted: list[float] = []
        self._cpu0 = 0.0
        self._proc0 = 0.0
        dashboard.on_applied = self._applied
        dashboard.grid.on_frame = self._painted

    def _applied(self, batch: Any) -> None:
        if self.phase is None:
            return
        self.phase.flushes += 1
        now = time.monotonic()
        first = min((min(v) for v in batch.arrivals.values() if v), default=batch.taken)
        self.phase.waits.append(batch.taken - first)
        self.phase.renders.append(batch.made - batch.taken)
        self.phase.deliveries.append(now - batch.made)
        self.phase.cards += len(batch.images)
        for name, arrivals in batch.arrivals.items():
            if name not in self.excluded:
                self._unpainted.extend(t for t in arrivals if t >= self.phase.started)
        # Reports that changed nothing visible are on screen once taken in.
        settled = [now - t for name, times in batch.unchanged.items()
                   if name not in self.excluded for t in times if t >= self.phase.started]
        self.phase.latencies.extend(settled)
        self.phase.events += len(settled)

    def _painted(self, now: float) -> None:
        """A frame ended: every card changed by the batches applied before
        it is on screen (the frame painted the region they dirtied)."""
        arrivals, self._unpainted = self._unpainted, []
        if arrivals and self.phase is not None:
            self.phase.latencies.extend(now - t for t in arrivals)
            self.phase.events += len(arrivals)

    def begin(self, name: str) -> Phase:
        grid = self.dashboard.grid
        grid.frames.clear()
        grid.applies.clear()
        self._unpainted.clear()
        self.phase = Phase(name, started=time.monotonic())
        self._cpu0 = time.thread_time()  # this (the GUI) thread's CPU time
        self._proc0 = time.process_time()
        return self.phase

    def end(self) -> Phase:
        phase = self.phase
        assert phase is not None
        phase.ended = time.monotonic()
        phase.cpu = time.thread_time() - self._cpu0
        phase.process_cpu = time.process_time() - self._proc0
        phase.frames = list(self.dashboard.grid.frames)
        phase.applies = list(self.dashboard.grid.applies)
        self.phase = None
        return phase


def pct(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q / 100 * (len(ordered) - 1)))]


def report(phase: Phase) -> dict[str, float]:
    wall = phase.ended - phase.started
    figures = {
        "busy": phase.cpu / wall,
        "work": (sum(phase.frames) + sum(phase.applies)) / wall,
        "frame_p50": pct(phase.frames, 50) * 1000,
        "frame_p99": pct(phase.frames, 99) * 1000,
        "frame_max": max(phase.frames, default=float("nan")) * 1000,
        "lat_p50": pct(phase.latencies, 50) * 1000,
        "lat_p99": pct(phase.latencies, 99) * 1000,
        "lat_max": max(phase.latencies, default=float("nan")) * 1000,
    }
    print(f"  [{phase.name}] {wall:.1f} s, {phase.events} events shown in {len(phase.frames)} "
          f"frames ({phase.flushes} flushes); the app's process used "
          f"{phase.process_cpu / wall:.2f} CPU cores")
    print(f"    GUI thread busy      {figures['busy']:.2%} CPU; "
          f"{figures['work']:.2%} of the wall time painting cards and taking batches")
    print(f"    frame time           p50 {figures['frame_p50']:.1f} ms, "
          f"p99 {figures['frame_p99']:.1f} ms, max {figures['frame_max']:.1f} ms")
    print(f"    event to screen      p50 {figures['lat_p50']:.1f} ms, "
          f"p99 {figures['lat_p99']:.1f} ms, max {figures['lat_max']:.1f} ms")
    print(f"      per batch (p50/p99 ms): waiting for the frame "
          f"{pct(phase.waits, 50) * 1000:.0f}/{pct(phase.waits, 99) * 1000:.0f}, "
          f"drawing cards {pct(phase.renders, 50) * 1000:.0f}/"
          f"{pct(phase.renders, 99) * 1000:.0f}, "
          f"reaching the GUI thread {pct(phase.deliveries, 50) * 1000:.0f}/"
          f"{pct(phase.deliveries, 99) * 1000:.0f}; "
          f"{phase.cards / max(phase.flushes, 1):.0f} cards drawn per batch")
    return figures


def pump(seconds: float, until: Callable[[], bool] | None = None) -> bool:
    """Run the event loop for ``seconds``, or until ``until()`` holds."""
    from PySide6.QtCore import QEventLoop, QTimer

    loop = QEventLoop()
    QTimer.singleShot(max(1, int(seconds * 1000)), loop.quit)
    timer = QTimer()
    if until is not None:
        if until():
            return True
        timer.timeout.connect(lambda: until() and loop.quit())
        timer.start(100)
    loop.exec()
    timer.stop()
    return until() if until is not None else True


# -- the farm ---------------------------------------------------------------------
def write_job(path: Path, moves: int) -> None:
    """A print both kinds of virtual printer take their time over: heat,
    home, then 10 mm moves at 20 mm/s (OctoPrint's virtual printer takes
    each move's travel time; the serial firmware its ``command_time``)."""
    lines = [";FLAVOR:Marlin", f";LAYER_COUNT:{moves // 100}", "M104 S200", "G28",
             "M109 S200", "G1 F1200"]
    for i in range(moves):
        if i % 100 == 0:
            lines.append(f";LAYER:{i // 100}")
        lines.append(f"G1 X{10 if i % 2 else 0} Y{(i // 2) % 100} E{i * 0.02:.2f}")
    lines.append("M104 S0")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


class Farm:
    """The printers and their peers (virtual printers, OctoPrint servers)."""

    def __init__(self, work: Path, serial: int, octoprint: int) -> None:
        self.work = work
        self.serial_count = serial
        self.octoprint_count = octoprint
        self.ptys: list[str] = []
        self.peer: subprocess.Popen[str] | None = None
        self.servers: list[Any] = []
        self.printers: list[Any] = []
        self.supervisor: Any = None

    def start_peers(self) -> None:
        from tests.helpers.octoprint_server import OctoPrintServer

        errors: list[BaseException] = []

        def start_server(i: int) -> None:
            try:
                server = OctoPrintServer(self.work / f"octoprint-{i}")
                server.start(timeout=180)
                self.servers.append(server)
            except BaseException as exc:  # reported below
                errors.append(exc)

        threads = [threading.Thread(target=start_server, args=(i,))
                   for i in range(self.octoprint_count)]
        for t in threads:
            t.start()
        # The virtual printers run in their own process, as real printers are
        # not in the app's: their threads must not share its interpreter lock.
        self.peer = subprocess.Popen(
            [sys.executable, __file__, "--virtual-printers", str(self.serial_count)],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        assert self.peer.stdout is not None
        self.ptys = [self.peer.stdout.readline().strip() for _ in range(self.serial_count)]
        if not all(self.ptys):
            raise RuntimeError("the virtual printers did not start")
        for t in threads:
            t.join()
        if errors:
            raise RuntimeError(f"OctoPrint did not start: {errors[0]}")
        self.servers.sort(key=lambda s: str(s.basedir))

    def build(self) -> None:
        from printers.connection import PrinterConnection
        from printers.interface import Capabilities
        from printers.octoprint.client import OctoPrintClient
        from printers.octoprint.printer import OctoPrintPrinter
        from printers.serial_printer import SerialPrinter
        from printers.store import PrinterRecord

        caps = Capabilities(nozzle_diameter=0.4, material="PLA", build_volume=(220, 220, 250))
        for i, path in enumerate(self.ptys):
            record = PrinterRecord(i + 1, f"mk3-{i + 1:02d}", path, 115200)
            self.printers.append(SerialPrinter(PrinterConnection(record), caps))
        for i, server in enumerate(self.servers):
            record = PrinterRecord(1000 + i, f"octo-{i + 1}", "VIRTUAL", 0, kind="octoprint",
                                   url=server.url)
            client = OctoPrintClient(server.url, server.api_key)
            self.printers.append(OctoPrintPrinter(record, client, None, capabilities=caps))
        from printers.farm.supervisor import FarmSupervisor

        self.supervisor = FarmSupervisor(self.printers)

    def stop(self) -> None:
        for server in self.servers:
            with contextlib.suppress(ProcessLookupError, TypeError):
                os.killpg(server.pid, signal.SIGCONT)
        if self.supervisor is not None:
            _quietly(self.supervisor.shutdown)
        pool = ThreadPoolExecutor(max_workers=8)
        list(pool.map(lambda s: _quietly(s.stop), self.servers))
        pool.shutdown()
        if self.peer is not None:
            with contextlib.suppress(OSError):
                self.peer.communicate(timeout=30)  # closes its stdin: it stops


def _quietly(fn: Callable[[], object]) -> None:
    try:
        fn()
    except Exception as exc:
        print(f"  (shutdown: {exc})", file=sys.stderr)


def run_virtual_printers(count: int) -> int:
    """The peer process: ``count`` virtual printers; prints their devices,
    runs until its standard input closes."""
    from printers.firmware import FirmwareConfig
    from printers.virtual import VirtualPrinter

    config = FirmwareConfig(heat_rate_hotend=100.0, heat_rate_bed=50.0, home_time=0.2,
                            command_time=0.05)
    printers = [VirtualPrinter(config).start() for _ in range(count)]
    for vp in printers:
        print(vp.path, flush=True)
    sys.stdin.read()
    for vp in printers:
        vp.stop()
    return 0


# -- the run ----------------------------------------------------------------------
def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--serial", type=int, default=95)
    parser.add_argument("--octoprint", type=int, default=5)
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--moves", type=int, default=6000)
    parser.add_argument("--switch-interval", type=float, default=None,
                        help="sys.setswitchinterval for the app's process (seconds; "
                        "Python's default is 0.005)")
    parser.add_argument("--virtual-printers", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.virtual_printers:
        return run_virtual_printers(args.virtual_printers)
    if args.octoprint < 1:
        parser.error("the frozen printer is an OctoPrint server: --octoprint >= 1")

    if args.switch_interval is not None:
        sys.setswitchinterval(args.switch_interval)
    from PySide6.QtWidgets import QApplication

    from ui.farm.bridge import FarmBridge
    from ui.farm.dashboard import Dashboard

    app = QApplication.instance() or QApplication([sys.argv[0]])
    work = Path(tempfile.mkdtemp(prefix="layerline-farm-bench-"))
    farm = Farm(work, args.serial, args.octoprint)
    print(f"farm bench: {args.serial} virtual serial printers + {args.octoprint} OctoPrint "
          f"servers, {args.seconds:.0f} s per phase, platform {app.platformName()}, "
          f"switch interval {sys.getswitchinterval() * 1000:g} ms "
          f"(the machine is shared: other work runs meanwhile)")
    t0 = time.monotonic()
    try:
        farm.start_peers()
        print(f"  peers up in {time.monotonic() - t0:.1f} s")
        farm.build()
        bridge = FarmBridge(farm.supervisor, record_arrivals=True)
        dashboard = Dashboard(bridge, measure=True)
        dashboard.resize(2460, 1760)  # every card on screen (8 x 13)
        dashboard.show()
        probe = Probe(dashboard, bridge)
        farm.supervisor.start()
        total = len(farm.printers)

        def count(state: str) -> int:
            return sum(1 for s in farm.supervisor.statuses().values() if s.state.value == state)

        if not pump(240, lambda: count("operational") == total):
            print(f"  only {count('operational')}/{total} printers connected", file=sys.stderr)
            return 1
        print(f"  {total} printers operational after {time.monotonic() - t0:.1f} s")
        job = work / "farm-job.gcode"
        write_job(job, args.moves)
        # Each start runs on its printer's worker in the supervisor.
        starts = [farm.supervisor.submit(p.name, lambda printer: printer.start(job))
                  for p in farm.printers]
        pump(180, lambda: all(f.done() for f in starts))
        failed = [f.exception() for f in starts if f.done() and f.exception()]
        if failed:
            print(f"  {len(failed)} printers did not start: {failed[0]}", file=sys.stderr)
            return 1
        if not pump(120, lambda: count("printing") == total):
            print(f"  only {count('printing')}/{total} printing", file=sys.stderr)
            return 1
        pump(3.0)  # heating settles
        visible = len(dashboard.grid.visible_names())
        print(f"  all printing after {time.monotonic() - t0:.1f} s; {visible} cards on screen")

        frozen_server = farm.servers[0]
        frozen = farm.printers[args.serial]
        probe.excluded = {frozen.name}
        probe.begin("healthy: no printer frozen")
        pump(args.seconds)
        healthy = report(probe.end())

        os.killpg(frozen_server.pid, signal.SIGSTOP)  # stops answering, mid-print
        print(f"  froze {frozen.name} (SIGSTOP to its OctoPrint server)")
        probe.begin(f"frozen: {frozen.name} not answering")
        pump(args.seconds)
        frozen_fig = report(probe.end())
        shown = dashboard.model.status(frozen.name)
        print(f"  {frozen.name} on the dashboard: {shown.state.value} ({shown.reason})")
        still = count("printing")
        ratio = frozen_fig["lat_p99"] / healthy["lat_p99"]
        worst_busy = max(healthy["busy"], frozen_fig["busy"])
        worst_frame = max(healthy["frame_p99"], frozen_fig["frame_p99"])
        worst_p99 = max(healthy["lat_p99"], frozen_fig["lat_p99"])
        print(f"  printers still printing at the end: {still}/{total}")
        print("summary (target):")
        print(f"  GUI thread busy        {worst_busy:.2%} (< 10 %)")
        print(f"  frame time p99         {worst_frame:.1f} ms (< 16 ms)")
        print(f"  event-to-screen p99    {worst_p99:.1f} ms (< 100 ms)")
        print(f"  frozen/healthy p99     {ratio:.2f} (<= 1.1)  "
              f"[{frozen_fig['lat_p99']:.1f} / {healthy['lat_p99']:.1f} ms]")
        bridge.close()
        return 0
    finally:
        farm.stop()
        import shutil

        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    raise SystemExit(main())
