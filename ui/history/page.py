"""The Queue & History area: the history table (lazily paged, with search,
filters and export), a past job's details with its temperature trace, the
statistics view and the maintenance view."""

from __future__ import annotations

import datetime as dt
import logging
from pathlib import Path

import pyqtgraph as pg
from PySide6.QtCore import QDate, Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QDateEdit,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QSplitter,
    QTableView,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from history.records import HistoryFilter, HistoryRow
from history.schema import OUTCOMES
from ui.history.bridge import HistoryBridge
from ui.history.maintenance_view import MaintenanceView
from ui.history.model import HistoryTableModel, hours
from ui.history.stats_view import PALETTE, StatsView

log = logging.getLogger(__name__)


class JobDetail(QWidget):
    """One past job: what ran, how it ended, and its temperature trace."""

    def __init__(self, bridge: HistoryBridge, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.bridge = bridge
        self.job_id: int | None = None
        self.text = QLabel("Select a job to see its details.")
        self.text.setWordWrap(True)
        self.text.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.text.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)
        self.plot: pg.PlotWidget | None = None  # made with the first job shown
        self._layout = QVBoxLayout(self)
        self._layout.setContentsMargins(0, 0, 0, 0)
        self._layout.addWidget(self.text)
        self._layout.addStretch(1)

    def _make_plot(self) -> pg.PlotWidget:
        if self.plot is None:
            self.plot = pg.PlotWidget()
            self.plot.setBackground(None)
            self.plot.setTitle("Temperatures")
            self.plot.setLabel("left", "\u00b0C")
            self.plot.setLabel("bottom", "s since start")
            self.plot.addLegend(offset=(10, 10))
            self.plot.setMinimumHeight(160)
            self._layout.insertWidget(1, self.plot, 1)
        return self.plot

    def show_row(self, row: HistoryRow) -> None:
        self.job_id = row.job_id
        started = dt.datetime.fromtimestamp(row.created_at).strftime("%Y-%m-%d %H:%M")
        lines = [f"<b>Job {row.job_id}</b> on <b>{row.printer}</b>, {started}",
                 f"File: {row.file_name}"]
        if row.model_title:
            lines.append(f"Model: {row.model_title}")
        settings = ", ".join(b for b in (row.material, row.profile,
                                         row.nozzle and f"{row.nozzle:g} mm nozzle") if b)
        if settings:
            lines.append(f"Settings: {settings}")
        outcome = row.outcome + (f" \u2014 {row.reason}" if row.reason else "")
        lines.append(f"Outcome: <b>{outcome}</b>")
        if row.verdict:
            lines.append(f"Verdict: {row.verdict}"
                         + (f" ({row.verdict_reason})" if row.verdict_reason else ""))
        lines.append(f"Heating {hours(row.heating_s) or '?'}, printing "
                     f"{hours(row.printing_s) or '?'}, paused {hours(row.paused_s) or '?'}")
        if row.filament_mm is not None:
            est = ("" if row.filament_estimate_mm is None
                   else f" of {row.filament_estimate_mm / 1000:.2f} m estimated")
            lines.append(f"Filament: {row.filament_mm / 1000:.2f} m{est}")
        lines.append(f"Lines confirmed: {row.lines_confirmed:,} / {row.lines_total:,}")
        self.text.setText("<br>".join(lines))
        self._make_plot().clear()
        job_id = row.job_id
        self.bridge.call(lambda s: s.temperatures(job_id), lambda t: self._trace(job_id, t))

    def _trace(self, job_id: int,
               samples: list[tuple[float, str, float | None, float | None]]) -> None:
        if job_id != self.job_id:
            return
        plot = self._make_plot()
        plot.clear()
        sensors: dict[str, list[tuple[float, float | None, float | None]]] = {}
        for t, sensor, actual, target in samples:
            sensors.setdefault(sensor, []).append((t, actual, target))
        plot.setTitle("Temperatures" if samples else "No temperature trace recorded")
        for i, (sensor, pts) in enumerate(sorted(sensors.items())):
            colour = PALETTE[i % len(PALETTE)]
            xs = [p[0] for p in pts]
            plot.plot(xs, [p[1] if p[1] is not None else float("nan") for p in pts],
                      pen=pg.mkPen(colour, width=2), name=sensor)
            plot.plot(xs, [p[2] if p[2] is not None else float("nan") for p in pts],
                      pen=pg.mkPen(colour, width=1, style=Qt.PenStyle.DashLine))


class HistoryTab(QWidget):
    """Filters, the table, export, and the selected job's details."""

    exported = Signal(str)

    def __init__(self, bridge: HistoryBridge, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.bridge = bridge
        self.model = HistoryTableModel(bridge)
        # The first page is asked for at once: the query thread reads it while
        # the widgets are being made.
        self.model.reload()
        self.search = QLineEdit()
        self.search.setPlaceholderText("Search file or model\u2026")
        self.search.setClearButtonEnabled(True)
        self.printer = QComboBox()
        self.printer.setAccessibleName("Printer filter")
        self.printer.addItem("All printers", None)
        self.outcome = QComboBox()
        self.outcome.setAccessibleName("Outcome filter")
        self.outcome.addItem("All outcomes", None)
        for o in (*OUTCOMES, "active"):
            self.outcome.addItem(o, o)
        self.reason = QComboBox()
        self.reason.setAccessibleName("Reason filter")
        self.reason.addItem("All reasons", None)
        self.use_dates = QCheckBox("From")
        today = QDate.currentDate()
        self.date_from = QDateEdit(today.addMonths(-1))
        self.date_to = QDateEdit(today)
        for w in (self.date_from, self.date_to):
            w.setCalendarPopup(True)
            w.setDisplayFormat("yyyy-MM-dd")
            w.setEnabled(False)
        self.use_dates.toggled.connect(self.date_from.setEnabled)
        self.use_dates.toggled.connect(self.date_to.setEnabled)
        self.count = QLabel("")
        self.count.setObjectName("history-count")
        csv_button = QPushButton("Export CSV\u2026")
        csv_button.clicked.connect(lambda: self._ask_export("csv"))
        json_button = QPushButton("Export JSON\u2026")
        json_button.clicked.connect(lambda: self._ask_export("json"))

        self.view = QTableView()
        self.view.setObjectName("history-table")
        self.view.setModel(self.model)
        self.view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.view.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.view.setAlternatingRowColors(True)
        self.view.verticalHeader().hide()
        self.view.verticalHeader().setDefaultSectionSize(22)
        self.view.horizontalHeader().setStretchLastSection(True)
        for col, width in enumerate((120, 80, 180, 100, 65, 115, 120, 140, 70, 70)):
            self.view.setColumnWidth(col, width)
        self.view.selectionModel().currentRowChanged.connect(
            lambda cur, _prev: self._selected(cur.row()))
        self.detail = JobDetail(bridge)

        filters = QHBoxLayout()
        filters.addWidget(self.search, 2)
        for w in (self.printer, self.outcome, self.reason, self.use_dates, self.date_from,
                  QLabel("to"), self.date_to):
            filters.addWidget(w)
        bottom = QHBoxLayout()
        bottom.addWidget(self.count, 1)
        bottom.addWidget(csv_button)
        bottom.addWidget(json_button)
        split = QSplitter()
        split.addWidget(self.view)
        split.addWidget(self.detail)
        split.setStretchFactor(0, 3)
        split.setStretchFactor(1, 1)
        split.setSizes([1000, 400])
        layout = QVBoxLayout(self)
        layout.addLayout(filters)
        layout.addWidget(split, 1)
        layout.addLayout(bottom)

        self._debounce = QTimer(self)
        self._debounce.setSingleShot(True)
        self._debounce.setInterval(250)
        self._debounce.timeout.connect(self.apply_filter)
        self.search.textChanged.connect(lambda _t: self._debounce.start())
        for combo in (self.printer, self.outcome, self.reason):
            combo.currentIndexChanged.connect(lambda _i: self.apply_filter())
        self.use_dates.toggled.connect(lambda _b: self.apply_filter())
        self.date_from.dateChanged.connect(lambda _d: self.apply_filter())
        self.date_to.dateChanged.connect(lambda _d: self.apply_filter())
        self.model.counted.connect(lambda n: self.count.setText(f"{n:,} jobs"))

    def current_filter(self) -> HistoryFilter:
        since = until = None
        if self.use_dates.isChecked():
            start = self.date_from.date()
            end = self.date_to.date().addDays(1)
            since = dt.datetime(start.year(), start.month(), start.day()).timestamp()
            until = dt.datetime(end.year(), end.month(), end.day()).timestamp()
            if until <= since:
                since, until = until - 86400, since + 86400
        return HistoryFilter(text=self.search.text(), printer=self.printer.currentData(),
                             outcome=self.outcome.currentData(),
                             reason=self.reason.currentData(), since=since, until=until)

    def apply_filter(self) -> None:
        self.detail.job_id = None
        self.model.set_filter(self.current_filter())

    def set_choices(self, printers: list[str], reasons: list[str]) -> None:
        for combo, values in ((self.printer, printers), (self.reason, reasons)):
            current = combo.currentData()
            combo.blockSignals(True)
            while combo.count() > 1:
                combo.removeItem(1)
            for v in values:
                combo.addItem(v, v)
            idx = combo.findData(current)
            combo.setCurrentIndex(max(0, idx))
            combo.blockSignals(False)

    def _selected(self, row: int) -> None:
        if 0 <= row < self.model.rowCount():
            self.detail.show_row(self.model.row_at(row))

    def _ask_export(self, fmt: str) -> None:
        path, _ = QFileDialog.getSaveFileName(
            self, "Export the history", f"print-history.{fmt}",
            "CSV (*.csv)" if fmt == "csv" else "JSON (*.json)")
        if path:
            self.export(Path(path), fmt)

    def export(self, path: Path, fmt: str) -> None:
        """Write the filtered history to ``path`` on the work thread."""
        flt = self.current_filter()

        def write(store: object) -> int:
            tmp = path.with_name(path.name + ".part")
            with tmp.open("w", encoding="utf-8", newline="") as fh:
                n: int = store.export(flt, fh, fmt)  # type: ignore[attr-defined]
            tmp.replace(path)
            return n

        self.bridge.call(write, lambda n: self.exported.emit(f"Exported {n:,} jobs to {path}"),
                         heavy=True)


class HistoryArea(QWidget):
    """The Queue & History area's page."""

    def __init__(self, bridge: HistoryBridge, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("area-history")
        self.bridge = bridge
        self.history = HistoryTab(bridge)
        self.stats = StatsView(bridge)
        self.maintenance = MaintenanceView(bridge)
        self.tabs = QTabWidget()
        self.tabs.addTab(self.history, "History")
        self.tabs.addTab(self.stats, "Statistics")
        self.tabs.addTab(self.maintenance, "Maintenance")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(8, 8, 8, 8)
        layout.addWidget(self.tabs)
        self._reload = QTimer(self)
        self._reload.setSingleShot(True)
        self._reload.setInterval(300)
        self._reload.timeout.connect(self.refresh)
        bridge.changed.connect(lambda _ids: self._reload.start())
        self._load_choices()  # (the table's first page is on its way already)

    @property
    def model(self) -> HistoryTableModel:
        return self.history.model

    def refresh(self) -> None:
        """Reload what is shown (after a sync wrote rows)."""
        self.history.model.reload()
        self.stats.invalidate()
        self._load_choices()

    def _load_choices(self) -> None:
        self.bridge.call(lambda s: (s.printers(), s.reasons()), self._choices)

    def _choices(self, result: tuple[list[str], list[str]]) -> None:
        printers, reasons = result
        self.history.set_choices(printers, reasons)
        self.maintenance.set_printers(printers)
