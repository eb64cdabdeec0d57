"""One printer's page: live temperatures (plot with targets), the job's
progress and controls, jog and temperature controls, and the console.

Everything here runs on the GUI thread and only calls non-blocking methods of
the connection (they post work to its I/O thread); starting a file goes
through the bridge's worker thread since it reads and parses the file.
"""

from __future__ import annotations

import time
from collections import deque
from pathlib import Path

import pyqtgraph as pg
from PySide6.QtCore import Qt
from PySide6.QtGui import QFont, QFontDatabase
from PySide6.QtWidgets import (
    QComboBox,
    QDoubleSpinBox,
    QFileDialog,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QProgressBar,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from printers.connection import ConsoleLines, LinkStatus, PrinterStatus, TemperatureSample
from printers.jobs import JobState
from ui.printers.bridge import PrintersBridge

HISTORY_S = 600.0
_SENSORS = (("T0", "Hotend", (230, 90, 40)), ("B", "Bed", (50, 120, 220)))


class TemperaturePlot(pg.PlotWidget):  # type: ignore[misc]
    """Actual temperatures as lines, targets as dashed lines, the last 10 minutes."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent=parent, background=None)
        self.setObjectName("temperature-plot")
        self.setMinimumHeight(180)
        self.showGrid(x=True, y=True, alpha=0.2)
        self.setLabel("left", "\u00b0C")
        self.setLabel("bottom", "seconds ago")
        self.setYRange(0, 260)
        self.setMouseEnabled(x=False, y=False)
        self.setXRange(-60, 0, padding=0)
        self.enableAutoRange(axis="x", enable=False)
        self.addLegend(offset=(10, 5))
        self._t0 = time.time()
        self._times: deque[float] = deque()
        self._values: dict[str, tuple[deque[float], deque[float]]] = {}
        self._curves: dict[str, tuple[pg.PlotDataItem, pg.PlotDataItem]] = {}
        for key, label, colour in _SENSORS:
            actual = self.plot([], [], pen=pg.mkPen(colour, width=2), name=label)
            target = self.plot([], [], pen=pg.mkPen(colour, width=1, style=Qt.PenStyle.DashLine),
                               name=f"{label} target")
            self._curves[key] = (actual, target)
            self._values[key] = (deque(), deque())

    def add(self, sample: TemperatureSample) -> None:
        self._times.append(sample.time)
        for key, (actuals, targets) in self._values.items():
            r = sample.readings.get(key)
            actuals.append(float("nan") if r is None or r.actual is None else r.actual)
            targets.append(float("nan") if r is None or r.target is None else r.target)
        while self._times and sample.time - self._times[0] > HISTORY_S:
            self._times.popleft()
            for actuals, targets in self._values.values():
                actuals.popleft()
                targets.popleft()
        xs = [t - sample.time for t in self._times]
        span = -xs[0] if xs else 0.0
        self.setXRange(-min(HISTORY_S, max(60.0, span)), 0, padding=0)
        for key, (actual, target) in self._curves.items():
            actuals, targets = self._values[key]
            actual.setData(xs, list(actuals), connect="finite")
            target.setData(xs, list(targets), connect="finite")

    def points(self) -> int:
        return len(self._times)


class PrinterPage(QWidget):
    """See the module docstring."""

    def __init__(self, name: str, bridge: PrintersBridge, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.name = name
        self.bridge = bridge
        self.setObjectName(f"printer-page-{name}")
        self.setAccessibleName(f"Printer {name}")
        self._status: PrinterStatus | None = None

        title = QLabel(name)
        font = QFont(title.font())
        font.setPointSizeF(font.pointSizeF() * 1.4)
        font.setBold(True)
        title.setFont(font)
        self.state_label = QLabel("disconnected")
        self.state_label.setObjectName("printer-state")
        self.connect_button = QPushButton("Connect")
        self.connect_button.clicked.connect(self._toggle_connection)
        self.stop_button = QPushButton("Emergency stop")
        self.stop_button.setObjectName("emergency-stop")
        self.stop_button.setStyleSheet("QPushButton { color: white; background: #c0392b; "
                                       "font-weight: bold; padding: 4px 10px; }")
        self.stop_button.setToolTip("Send M112 at once: the printer halts and needs a reset")
        self.stop_button.clicked.connect(lambda: self._conn().emergency_stop())
        header = QHBoxLayout()
        header.addWidget(title)
        header.addWidget(self.state_label, 1)
        header.addWidget(self.connect_button)
        header.addWidget(self.stop_button)

        self.plot = TemperaturePlot()
        self.temps_label = QLabel("")
        self.temps_label.setObjectName("temperatures")

        layout = QVBoxLayout(self)
        layout.addLayout(header)
        layout.addWidget(self.temps_label)
        layout.addWidget(self.plot, 2)
        row = QHBoxLayout()
        row.addWidget(self._job_box(), 3)
        row.addWidget(self._controls_box(), 2)
        layout.addLayout(row)
        layout.addWidget(self._console_box(), 2)
        self._describe()
        self._refresh_enabled()

    def _describe(self) -> None:
        """Tooltips, accessible names and icons of the controls."""
        from ui import icons

        for button, key, tip in (
            (self.connect_button, "connect", self.tr("Connect to the printer, or disconnect it")),
            (self.stop_button, "emergency", None),
            (self.start_button, "play", self.tr("Choose a G-code file and print it here")),
            (self.pause_button, "pause", self.tr("Pause the print (the head parks)")),
            (self.resume_button, "play", self.tr("Resume the paused print")),
            (self.cancel_button, "stop", self.tr("Cancel the print; the job is recorded")),
            (self.home_button, None, self.tr("Home all axes (G28)")),
            (self.hotend_button, None, self.tr("Heat the hotend to the target (M104)")),
            (self.bed_button, None, self.tr("Heat the bed to the target (M140)")),
            (self.off_button, None, self.tr("Turn the hotend and the bed off")),
        ):
            if tip:
                button.setToolTip(tip)
            button.setAccessibleName(button.text().replace("&", "").rstrip("\u2026"))
            if key:
                button.setIcon(icons.icon(key))
        self.command.setToolTip(self.tr("Type a G-code command and press Enter"))
        self.progress.setAccessibleName(self.tr("Print progress"))
        self.plot.setAccessibleName(self.tr("Temperatures"))

    # -- building ------------------------------------------------------------
    def _job_box(self) -> QGroupBox:
        box = QGroupBox("Job")
        self.job_label = QLabel("No job")
        self.job_label.setWordWrap(True)
        self.progress = QProgressBar()
        self.progress.setRange(0, 1000)
        self.progress.setFormat("%p%")
        self.job_detail = QLabel("")
        self.start_button = QPushButton("Print file\u2026")
        self.start_button.clicked.connect(self._ask_file)
        self.pause_button = QPushButton("Pause")
        self.pause_button.clicked.connect(lambda: self._conn().pause())
        self.resume_button = QPushButton("Resume")
        self.resume_button.clicked.connect(lambda: self._conn().resume())
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.clicked.connect(lambda: self._conn().cancel())
        buttons = QHBoxLayout()
        for b in (self.start_button, self.pause_button, self.resume_button, self.cancel_button):
            buttons.addWidget(b)
        lay = QVBoxLayout(box)
        lay.addWidget(self.job_label)
        lay.addWidget(self.progress)
        lay.addWidget(self.job_detail)
        lay.addLayout(buttons)
        return box

    def _controls_box(self) -> QGroupBox:
        box = QGroupBox("Move and heat")
        grid = QGridLayout(box)
        self.step = QComboBox()
        self.step.addItems(["0.1", "1", "10", "50"])
        self.step.setCurrentIndex(2)
        self.step.setAccessibleName("Jog step (mm)")
        grid.addWidget(QLabel("Step mm"), 0, 0)
        grid.addWidget(self.step, 0, 1)
        self.jog_buttons: dict[str, QPushButton] = {}
        for col, axis in enumerate("XYZ"):
            for r, sign in ((1, "+"), (2, "-")):
                b = QPushButton(f"{axis}{sign}")
                b.clicked.connect(lambda _=False, a=axis, s=sign: self._jog(a, s))
                grid.addWidget(b, r, col)
                self.jog_buttons[f"{axis}{sign}"] = b
        self.home_button = QPushButton("Home")
        self.home_button.clicked.connect(lambda: self._send("G28"))
        grid.addWidget(self.home_button, 1, 3, 2, 1)
        self.hotend = QDoubleSpinBox()
        self.hotend.setRange(0, 300)
        self.hotend.setValue(200)
        self.hotend.setSuffix(" \u00b0C")
        self.hotend.setAccessibleName("Hotend target")
        self.bed = QDoubleSpinBox()
        self.bed.setRange(0, 120)
        self.bed.setValue(60)
        self.bed.setSuffix(" \u00b0C")
        self.bed.setAccessibleName("Bed target")
        self.hotend_button = QPushButton("Set hotend")
        self.hotend_button.clicked.connect(lambda: self._send(f"M104 S{self.hotend.value():.0f}"))
        self.bed_button = QPushButton("Set bed")
        self.bed_button.clicked.connect(lambda: self._send(f"M140 S{self.bed.value():.0f}"))
        self.off_button = QPushButton("Heaters off")
        self.off_button.clicked.connect(lambda: (self._send("M104 S0"), self._send("M140 S0")))
        grid.addWidget(self.hotend, 3, 0, 1, 2)
        grid.addWidget(self.hotend_button, 3, 2, 1, 2)
        grid.addWidget(self.bed, 4, 0, 1, 2)
        grid.addWidget(self.bed_button, 4, 2, 1, 2)
        grid.addWidget(self.off_button, 5, 0, 1, 4)
        return box

    def _console_box(self) -> QGroupBox:
        box = QGroupBox("Console")
        self.console = QPlainTextEdit()
        self.console.setReadOnly(True)
        self.console.setMaximumBlockCount(2000)
        self.console.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
        self.console.setAccessibleName("G-code console")
        self.command = QLineEdit()
        self.command.setPlaceholderText("G-code to send, e.g. M105")
        self.command.setAccessibleName("Command")
        self.command.returnPressed.connect(self._send_typed)
        lay = QVBoxLayout(box)
        lay.addWidget(self.console)
        lay.addWidget(self.command)
        return box

    # -- actions (GUI thread; none of them waits) ------------------------------
    def _conn(self):  # type: ignore[no-untyped-def]
        return self.bridge.service.connection(self.name)

    def _toggle_connection(self) -> None:
        status = self._status
        if status is not None and status.link in (LinkStatus.OPERATIONAL,
                                                  LinkStatus.CONNECTING):
            conn = self._conn()
            self.bridge.run(conn.disconnect)
        else:
            self._conn().connect()

    def _send(self, command: str) -> None:
        self._conn().send(command)

    def _send_typed(self) -> None:
        text = self.command.text().strip()
        if text:
            self._send(text)
            self.command.clear()

    def _jog(self, axis: str, sign: str) -> None:
        step = self.step.currentText()
        for cmd in ("G91", f"G1 {axis}{'-' if sign == '-' else ''}{step} F3000", "G90"):
            self._send(cmd)

    def _ask_file(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Print a G-code file", "",
                                              "G-code (*.gcode *.gco *.g);;All files (*)")
        if path:
            self.start_file(Path(path))

    def start_file(self, path: Path) -> None:
        """Start printing ``path`` (loaded on the bridge's worker thread)."""
        conn = self._conn()
        self.job_label.setText(f"Starting {path.name}\u2026")
        self.bridge.run(lambda: conn.start_print(path))

    # -- updates from the bridge --------------------------------------------------
    def update_status(self, status: PrinterStatus) -> None:
        self._status = status
        text = status.link.value
        if status.firmware:
            text += f" \u2014 {status.firmware}"
        if status.error:
            text += f" \u2014 {status.error}"
        self.state_label.setText(text)
        temps = []
        for key, label, _c in _SENSORS:
            r = status.temperatures.get(key)
            if r is not None and r.actual is not None:
                temps.append(f"{label} {r.actual:.1f} / {r.target or 0:.0f} \u00b0C")
        self.temps_label.setText("   ".join(temps))
        job = status.job
        if job is None:
            self.job_label.setText("No job")
            self.progress.setValue(0)
            self.job_detail.setText("")
        else:
            name = Path(job.file).name
            state = job.state.value + (f": {job.reason}" if job.reason else "")
            self.job_label.setText(f"{name} \u2014 {state}")
            self.progress.setValue(round(job.progress * 1000))
            parts = [f"line {job.lines_confirmed}/{job.lines_total}"]
            if job.layer is not None:
                parts.append(f"layer {job.layer}" + (f"/{job.layers_total}"
                                                      if job.layers_total else ""))
            parts.append(f"elapsed {_clock(job.elapsed)}")
            if job.eta is not None and not job.state.ended:
                parts.append(f"ETA {_clock(job.eta)}")
            self.job_detail.setText("   ".join(parts))
        self._refresh_enabled()

    def add_temperature(self, sample: TemperatureSample) -> None:
        self.plot.add(sample)

    def add_console(self, batch: ConsoleLines) -> None:
        self.console.appendPlainText("\n".join(batch.lines))

    def _refresh_enabled(self) -> None:
        status = self._status
        link = status.link if status else LinkStatus.DISCONNECTED
        operational = link is LinkStatus.OPERATIONAL
        job = status.job if status else None
        active = job is not None and not job.state.ended
        self.connect_button.setText(
            "Disconnect" if link in (LinkStatus.OPERATIONAL, LinkStatus.CONNECTING)
            else "Connect")
        self.stop_button.setEnabled(operational)
        self.start_button.setEnabled(operational and not active)
        state = job.state if job else None
        self.pause_button.setEnabled(state in (JobState.PRINTING, JobState.HEATING))
        self.resume_button.setEnabled(state is JobState.PAUSED)
        self.cancel_button.setEnabled(active and state is not JobState.CANCELLING)
        manual = operational and not (active and state is not JobState.PAUSED)
        for w in (*self.jog_buttons.values(), self.home_button, self.hotend_button,
                  self.bed_button, self.command):
            w.setEnabled(manual)
        self.off_button.setEnabled(operational)


def _clock(seconds: float) -> str:
    s = int(seconds)
    return f"{s // 3600}:{s % 3600 // 60:02d}:{s % 60:02d}"
