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

- GUI thread busy share: time between the event loop waking and going back
  to sleep (``QAbstractEventDispatcher.awake``/``aboutToBlock``), over the
  phase's wall time;
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
import statistics
import sys
import tempfile
import threading
import time
from collections.abc import Callable
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
    busy: float = 0.0
    frames: list[float] = field(default_factory=list)
    latencies: list[float] = field(default_factory=list)
    events: int = 0
    flushes: int = 0


class Probe:
    """Measures the GUI thread while a phase is open (GUI thread only,
    except :meth:`exclude`)."""

    def __init__(self, dashboard: Any, bridge: Any) -> None:
        from PySide6.QtCore import QAbstractEventDispatcher

        self.dashboard = dashboard
        self.bridge = bridge
        self.phase: Phase | None = None
        self.excluded: set[str] = set()
        self._awake_at: float | None = time.perf_counter()
        self._unpainted: dict[str, list[float]] = {}
        dispatcher = QAbstractEventDispatcher.instance()
        assert dispatcher is not None
        dispatcher.awake.connect(self._awake)
        dispatcher.aboutToBlock.connect(self._about_to_block)
        dashboard.on_applied = self._applied
        dashboard.delegate.on_paint = self._painted
        dashboard.grid.record_frames = True

    def _awake(self) -> None:
        if self._awake_at is None:
            self._awake_at = time.perf_counter()

    def _about_to_block(self) -> None:
        now = time.perf_counter()
        if self._awake_at is not None and self.phase is not None:
            self.phase.busy += now - max(self._awake_at, self.phase.started)
        self._awake_at = None

    def _applied(self, batch: Any) -> None:
        if self.phase is None:
            return
        self.phase.flushes += 1
        for name, arrivals in batch.arrivals.items():
            if name in self.excluded:
                continue
            self._unpainted.setdefault(name, []).extend(
                t for t in arrivals if t >= self.phase.started)

    def _painted(self, name: str) -> None:
        arrivals = self._unpainted.pop(name, None)
        if arrivals and self.phase is not None:
            now = time.monotonic()
            self.phase.latencies.extend(now - t for t in arrivals)
            self.phase.events += len(arrivals)

    def begin(self, name: str) -> Phase:
        self.dashboard.grid.frames.clear()
        self._unpainted.clear()
        phase = Phase(name, started=time.perf_counter())
        # monotonic and perf_counter share a clock on Linux; arrivals use monotonic.
        phase.started = time.monotonic()
        self.phase = phase
        return phase

    def end(self) -> Phase:
        phase = self.phase
        assert phase is not None
        phase.ended = time.monotonic()
        phase.frames = list(self.dashboard.grid.frames)
        self.phase = None
        return phase


def pct(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q / 100 * (len(ordered) - 1))))]


def report(phase: Phase) -> dict[str, float]:
    wall = phase.ended - phase.started
    figures = {
        "busy": phase.busy / wall if wall > 0 else float("nan"),
        "frame_p50": pct(phase.frames, 50) * 1000,
        "frame_p99": pct(phase.frames, 99) * 1000,
        "frame_max": max(phase.frames, default=float("nan")) * 1000,
        "lat_p50": pct(phase.latencies, 50) * 1000,
        "lat_p99": pct(phase.latencies, 99) * 1000,
        "lat_max": max(phase.latencies, default=float("nan")) * 1000,
    }
    print(f"  [{phase.name}] {wall:.1f} s, {phase.events} events shown in {len(phase.frames)} "
          f"frames ({phase.flushes} flushes)")
    print(f"    GUI thread busy      {figures['busy']:.1%}")
    print(f"    frame time           p50 {figures['frame_p50']:.1f} ms, "
          f"p99 {figures['frame_p99']:.1f} ms, max {figures['frame_max']:.1f} ms")
    print(f"    event to screen      p50 {figures['lat_p50']:.1f} ms, "
          f"p99 {figures['lat_p99']:.1f} ms, max {figures['lat_max']:.1f} ms")
    return figures


def pump(seconds: float, until: Callable[[], bool] | None = None) -> bool:
    """Run the event loop for ``seconds``, or until ``until()`` holds."""
    from PySide6.QtCore import QEventLoop, QTimer

    loop = QEventLoop()
    deadline = time.monotonic() + seconds

    def tick() -> None:
        if (until is not None and until()) or time.monotonic() >= deadline:
            loop.quit()

    timer = QTimer()
    timer.timeout.connect(tick)
    timer.start(50 if until is not None else max(1, int(seconds * 1000)))
    if until is None or not until():
        loop.exec()
    timer.stop()
    return until() if until is not None else True
