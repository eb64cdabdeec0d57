"""The statistics view: rates per model, profile, printer and material (with
the prints each rests on), the top combinations, failure reasons, and plots
(pyqtgraph) of the success rate per week, prints per day per printer, and
time and filament per week.  Computed on the history's work thread; the
result arrives by signal (``ready``)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pyqtgraph as pg
from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QGridLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QSplitter,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from history import stats as stats_mod
from history.stats import Rate, Statistics
from ui.history.bridge import HistoryBridge

Index = QModelIndex | QPersistentModelIndex
PALETTE = ("#1976d2", "#e53935", "#43a047", "#fb8c00", "#8e24aa", "#00897b", "#6d4c41",
           "#3949ab")
DAY_S = 86400


class RateModel(QAbstractTableModel):
    """Rates of one grouping: label, prints, successes, success rate."""

    HEADERS = ("Group", "Prints", "Successes", "Success rate")

    def __init__(self) -> None:
        super().__init__()
        self._rates: list[Rate] = []

    def set_rates(self, rates: list[Rate]) -> None:
        self.beginResetModel()
        self._rates = list(rates)
        self.endResetModel()

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._rates)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.HEADERS)

    def headerData(self, section: int, orientation: Qt.Orientation,
                   role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if (orientation is Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole
                and 0 <= section < len(self.HEADERS)):
            return self.HEADERS[section]
        return None

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not (0 <= index.row() < len(self._rates)) \
                or not (0 <= index.column() < len(self.HEADERS)):
            return None
        r = self._rates[index.row()]
        if role == Qt.ItemDataRole.DisplayRole:
            return (r.label, str(r.prints), str(r.successes), f"{r.rate:.0%}")[index.column()]
        if role == Qt.ItemDataRole.TextAlignmentRole and index.column() > 0:
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        return None


class ReasonModel(QAbstractTableModel):
    """Failure reasons, most frequent first: reason, prints, share of failures."""

    HEADERS = ("Failure reason", "Prints", "Share")

    def __init__(self) -> None:
        super().__init__()
        self._reasons: list[tuple[str, int]] = []
        self._total = 0

    def set_reasons(self, reasons: list[tuple[str, int]]) -> None:
        self.beginResetModel()
        self._reasons = list(reasons)
        self._total = sum(n for _k, n in reasons)
        self.endResetModel()

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._reasons)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.HEADERS)

    def headerData(self, section: int, orientation: Qt.Orientation,
                   role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if (orientation is Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole
                and 0 <= section < len(self.HEADERS)):
            return self.HEADERS[section]
        return None

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not (0 <= index.row() < len(self._reasons)) \
                or not (0 <= index.column() < len(self.HEADERS)):
            return None
        reason, n = self._reasons[index.row()]
        if role == Qt.ItemDataRole.DisplayRole:
            return (reason, str(n), f"{n / self._total:.0%}" if self._total else "")[
                index.column()]
        if role == Qt.ItemDataRole.TextAlignmentRole and index.column() > 0:
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        return None


def _plot(title: str, left: str) -> pg.PlotWidget:
    w = pg.PlotWidget(axisItems={"bottom": pg.DateAxisItem()})
    w.setBackground(None)
    w.setTitle(title)
    w.setLabel("left", left)
    w.showGrid(x=True, y=True, alpha=0.25)
    w.setMinimumHeight(170)
    return w


class StatsView(QWidget):
    ready = Signal(object)  # history.stats.Statistics

    def __init__(self, bridge: HistoryBridge, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.bridge = bridge
        self.stats: Statistics | None = None
        self._pending = False
        self._stale = True
        self.summary = QLabel("Computing statistics\u2026")
        self.summary.setObjectName("stats-summary")
        self.group = QComboBox()
        self.group.setAccessibleName("Group success rates by")
        for dim in (*stats_mod.DIMENSIONS, "combination"):
            self.group.addItem(f"by {dim}", dim)
        self.group.currentIndexChanged.connect(self._show_rates)
        self.rates = RateModel()
        self.rate_view = QTableView()
        self.rate_view.setModel(self.rates)
        self.rate_view.verticalHeader().hide()
        self.rate_view.horizontalHeader().setSectionResizeMode(
            0, QHeaderView.ResizeMode.Stretch)
        self.rate_view.setAlternatingRowColors(True)
        self.reasons = ReasonModel()
        self.reason_view = QTableView()
        self.reason_view.setModel(self.reasons)
        self.reason_view.verticalHeader().hide()
        self.reason_view.horizontalHeader().setSectionResizeMode(
            0, QHeaderView.ResizeMode.Stretch)

        top = QHBoxLayout()
        top.addWidget(self.summary, 1)
        top.addWidget(QLabel("Success rates"))
        top.addWidget(self.group)
        tables = QSplitter(Qt.Orientation.Vertical)
        tables.addWidget(self.rate_view)
        tables.addWidget(self.reason_view)
        # The plots are made when the view is first shown (pyqtgraph widgets
        # cost a moment each; the history table should not wait for them).
        self.plots = QWidget()
        self._grid = QGridLayout(self.plots)
        self._grid.setContentsMargins(0, 0, 0, 0)
        self.rate_plot: pg.PlotWidget | None = None
        split = QSplitter()
        split.addWidget(tables)
        split.addWidget(self.plots)
        split.setStretchFactor(1, 2)
        split.setSizes([500, 900])
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(split, 1)
        self.ready.connect(self._show)

    # -- computing -------------------------------------------------------------
    def invalidate(self) -> None:
        """The history changed: recompute when next shown (now, if visible)."""
        self._stale = True
        if self.isVisible():
            self.refresh()

    def _make_plots(self) -> None:
        if self.rate_plot is not None:
            return
        self.rate_plot = _plot("Success rate per week", "%")
        self.daily_plot = _plot("Prints per day per printer", "prints")
        self.daily_plot.addLegend(offset=(-10, 10), brush=(255, 255, 255, 200))
        self.time_plot = _plot("Print time (h) and filament (m/10) per week", "")
        self.time_plot.addLegend(offset=(-10, 10), brush=(255, 255, 255, 200))
        self.reason_plot = pg.PlotWidget()
        self.reason_plot.setBackground(None)
        self.reason_plot.setTitle("Failure reasons")
        self.reason_plot.setMinimumHeight(170)

        self._grid.addWidget(self.rate_plot, 0, 0)
        self._grid.addWidget(self.daily_plot, 0, 1)
        self._grid.addWidget(self.time_plot, 1, 0)
        self._grid.addWidget(self.reason_plot, 1, 1)
        if self.stats is not None:
            self._show(self.stats)

    def showEvent(self, event: Any) -> None:
        super().showEvent(event)
        self._make_plots()
        if self._stale:
            self.refresh()

    def refresh(self) -> None:
        if self._pending:
            self._stale = True
            return
        self._pending, self._stale = True, False
        engine = self.bridge.service.engine
        self.bridge.call(lambda _s: stats_mod.compute(engine), self._arrived, heavy=True)

    def _arrived(self, st: Statistics) -> None:
        self._pending = False
        self.ready.emit(st)
        if self._stale and self.isVisible():
            self.refresh()

    # -- showing -----------------------------------------------------------------
    def _show(self, st: Statistics) -> None:
        self.stats = st
        if st.prints == 0:
            self.summary.setText("No finished prints yet: statistics appear as jobs end.")
        else:
            self.summary.setText(
                f"<b>{st.prints:,}</b> finished prints, <b>{st.successes:,}</b> successful "
                f"(<b>{st.rate:.1%}</b>) \u00b7 computed in {st.seconds * 1000:.0f} ms")
        self._show_rates()
        self.reasons.set_reasons(st.reasons)
        if self.rate_plot is None:
            return
        self._plot_weeks(st)
        self._plot_daily(st)
        self._plot_reasons(st)

    def _show_rates(self) -> None:
        if self.stats is None:
            return
        dim = self.group.currentData()
        self.rates.set_rates(self.stats.combinations if dim == "combination"
                             else self.stats.by[dim])

    def _plot_weeks(self, st: Statistics) -> None:
        self.rate_plot.clear()
        self.time_plot.clear()
        if not st.weeks:
            return
        xs = [w.week * DAY_S for w in st.weeks]
        self.rate_plot.plot(xs, [100 * w.rate for w in st.weeks],
                            pen=pg.mkPen(PALETTE[2], width=2), symbol="o", symbolSize=4)
        self.rate_plot.setYRange(0, 100)
        width = 7 * DAY_S * 0.4
        self.time_plot.addItem(pg.BarGraphItem(
            x=[x - width / 2 for x in xs], height=[w.printing_s / 3600 for w in st.weeks],
            width=width, brush=PALETTE[0], name="print hours"))
        self.time_plot.addItem(pg.BarGraphItem(
            x=[x + width / 2 for x in xs], height=[w.filament_mm / 10_000 for w in st.weeks],
            width=width, brush=PALETTE[3], name="filament (m/10)"))
        legend = self.time_plot.plotItem.legend
        if legend is not None:
            legend.clear()
            legend.addItem(pg.BarGraphItem(x=[0], height=[0], width=1, brush=PALETTE[0]),
                           "print hours")
            legend.addItem(pg.BarGraphItem(x=[0], height=[0], width=1, brush=PALETTE[3]),
                           "filament (m/10)")

    def _plot_daily(self, st: Statistics) -> None:
        self.daily_plot.clear()
        legend = self.daily_plot.plotItem.legend
        if legend is not None:
            legend.clear()
        for i, (printer, days) in enumerate(st.daily.items()):
            self.daily_plot.plot([d * DAY_S for d, _n in days], [n for _d, n in days],
                                 pen=pg.mkPen(PALETTE[i % len(PALETTE)], width=1.5),
                                 name=printer)

    def _plot_reasons(self, st: Statistics) -> None:
        self.reason_plot.clear()
        top = st.reasons[:8]
        if not top:
            return
        ys = list(range(len(top)))
        self.reason_plot.addItem(pg.BarGraphItem(x0=0, y=ys, height=0.7,
                                                 width=[n for _k, n in top], brush=PALETTE[1]))
        axis = self.reason_plot.getAxis("left")
        axis.setTicks([[(y, k) for y, (k, _n) in zip(ys, top, strict=True)]])
        self.reason_plot.invertY(True)


def week_label(day: int) -> str:
    return (dt.date(1970, 1, 1) + dt.timedelta(days=day)).isoformat()
