"""The farm dashboard: a summary line over a grid of painted printer cards."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QEvent, QModelIndex, QSize, Qt, QTimer, Signal
from PySide6.QtGui import QPaintEvent
from PySide6.QtWidgets import QLabel, QListView, QVBoxLayout, QWidget

from ui.farm import present
from ui.farm.bridge import Batch, FarmBridge
from ui.farm.model import FarmModel, NameRole
from ui.farm.render import CARD_SIZE, SNAPSHOT_SIZE, CardRenderer, CardStyle
from ui.farm.snapshots import Fetch, SnapshotLoader

_SUMMARY_ORDER = ("Printing", "Heating", "Paused", "Clear the bed", "Ready", "Idle",
                  "Finished", "Connecting", "Error", "Not answering", "Unreachable",
                  "Offline", "Disconnected")


class CardGrid(QListView):
    """A QListView laid out as a grid of fixed-size cards, each its item's
    decoration, drawn by Qt's own delegate (no Python in the paint path)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("farm-cards")
        self.setAccessibleName("Printers")
        self.setViewMode(QListView.ViewMode.IconMode)
        self.setMovement(QListView.Movement.Static)
        self.setResizeMode(QListView.ResizeMode.Adjust)
        self.setFlow(QListView.Flow.LeftToRight)
        self.setWrapping(True)
        self.setUniformItemSizes(True)
        self.setIconSize(CARD_SIZE)
        self.setGridSize(CARD_SIZE + QSize(4, 4))
        self.setSpacing(0)
        self.setSelectionMode(QListView.SelectionMode.SingleSelection)
        self.setVerticalScrollMode(QListView.ScrollMode.ScrollPerPixel)
        self.setMouseTracking(False)
        self.setEditTriggers(QListView.EditTrigger.NoEditTriggers)
        self.setDragEnabled(False)
        self.frames: list[float] = []     # paint durations (MeasuredCardGrid)
        self.applies: list[float] = []    # batch handling durations (MeasuredCardGrid)
        self.on_frame: Callable[[float], None] | None = None

    def visible_names(self) -> list[str]:
        model = self.model()
        if model is None:
            return []
        area = self.viewport().rect()
        names = []
        for row in range(model.rowCount()):
            index = model.index(row, 0)
            if self.visualRect(index).intersects(area):
                names.append(str(index.data(NameRole)))
        return names


class MeasuredCardGrid(CardGrid):
    """The grid with a stopwatch on each paint (the benchmark's; it costs a
    call into Python per frame, which the plain grid avoids)."""

    def paintEvent(self, event: QPaintEvent) -> None:
        start = time.perf_counter()
        super().paintEvent(event)
        end = time.perf_counter()
        self.frames.append(end - start)
        if self.on_frame is not None:
            self.on_frame(time.monotonic())


class Dashboard(QWidget):
    """See the module docstring.  ``activated(name)`` when a card is
    double-clicked or entered."""

    activated = Signal(str)

    def __init__(self, bridge: FarmBridge, *, snapshot: Fetch | None = None,
                 measure: bool = False, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("farm-dashboard")
        self.bridge = bridge
        self.model = FarmModel(self)
        self.grid = MeasuredCardGrid() if measure else CardGrid()
        self.grid.setModel(self.model)
        self.grid.activated.connect(self._activated)
        self.summary = QLabel()
        self.summary.setObjectName("farm-summary")
        self.summary.setTextFormat(Qt.TextFormat.PlainText)
        self.empty = QLabel("No farm printers yet. Add OctoPrint servers with "
                            "'layerline printers add NAME --octoprint URL', or USB printers "
                            "from the Details tab.")
        self.empty.setWordWrap(True)
        self.empty.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.empty.setEnabled(False)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(6, 6, 6, 6)
        lay.addWidget(self.summary)
        lay.addWidget(self.grid, 1)
        lay.addWidget(self.empty, 1)
        self._update_summary()

        bridge.batch.connect(self.apply)
        self.install_renderer()
        # "last seen" ages while nothing arrives.
        self._ageing = QTimer(self)
        self._ageing.timeout.connect(bridge.refresh_unwell)
        self._ageing.start(5000)
        self.snapshots: SnapshotLoader | None = None
        self.on_applied: Callable[[Batch], None] | None = None
        if snapshot is not None:
            self.snapshots = SnapshotLoader(snapshot, SNAPSHOT_SIZE, parent=self)
            self.snapshots.ready.connect(self.model.set_snapshot)
            self.snapshots.ready.connect(bridge.set_snapshot)
            self._cameras = QTimer(self)
            self._cameras.timeout.connect(self.fetch_snapshots)
            self._cameras.start(2000)

    def install_renderer(self) -> None:
        """Cards are rendered by the bridge's frame thread in the grid's
        palette and font (again after a theme change)."""
        style = CardStyle.from_palette(self.grid.palette(), self.grid.font(),
                                       self.devicePixelRatioF())
        self.model.style = style
        self.bridge.set_renderer(CardRenderer(style))

    def changeEvent(self, event: QEvent) -> None:
        super().changeEvent(event)
        if event.type() in (QEvent.Type.PaletteChange, QEvent.Type.FontChange,
                            QEvent.Type.StyleChange):
            self.install_renderer()

    def apply(self, batch: Batch) -> None:
        start = time.perf_counter()
        was_empty = self.model.rowCount() == 0
        self.model.apply(batch.statuses, batch.cards, batch.images)
        self._update_summary()
        if isinstance(self.grid, MeasuredCardGrid):
            self.grid.applies.append(time.perf_counter() - start)
        if was_empty and self.model.rowCount() and self.snapshots is not None:
            QTimer.singleShot(0, self.fetch_snapshots)
        if self.on_applied is not None:
            self.on_applied(batch)

    def fetch_snapshots(self) -> int:
        if self.snapshots is None or not self.isVisible():
            return 0
        names = [n for n in self.grid.visible_names()
                 if present.has_camera(self.model.status(n))]
        return self.snapshots.request(names)

    def _update_summary(self) -> None:
        counts = self.model.counts()
        total = sum(counts.values())
        self.grid.setVisible(total > 0)
        self.empty.setVisible(total == 0)
        if not total:
            self.summary.setText("")
            return
        order = [s for s in _SUMMARY_ORDER if s in counts] + \
            sorted(s for s in counts if s not in _SUMMARY_ORDER)
        parts = [f"{counts[s]} {s.lower()}" for s in order]
        self.summary.setText(f"{total} printers: " + " \u00b7 ".join(parts))

    def _activated(self, index: QModelIndex) -> None:
        self.activated.emit(str(index.data(NameRole)))

    def close_loader(self) -> None:
        if self.snapshots is not None:
            self.snapshots.close()

    def status_of(self, name: str) -> Any:
        return self.model.status(name)
