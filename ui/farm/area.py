"""The Printers area of a farm: the dashboard of printer cards first (what a
farm user looks at all day, as in OctoFarm and FDM Monster), the queue, and
the single-printer details (the serial printers' pages)."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TYPE_CHECKING

from PySide6.QtCore import QPoint, Qt
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QMenu, QTabWidget, QVBoxLayout, QWidget

from ui.farm import present
from ui.farm.bridge import FarmBridge, JobEnd
from ui.farm.dashboard import Dashboard
from ui.farm.model import NameRole
from ui.farm.queue_view import QueueView
from ui.farm.snapshots import Fetch

if TYPE_CHECKING:  # the queue module imports SQLAlchemy: not on the start-up path
    from printers.farm.queue import Farmhand, FarmQueue

log = logging.getLogger(__name__)


class FarmArea(QWidget):
    """See the module docstring.  ``details`` (optional) is the existing
    single-printer page; ``show_details(name)`` switches to it."""

    def __init__(self, bridge: FarmBridge, queue: FarmQueue | None, *,
                 farm: Farmhand | None = None,
                 details: QWidget | None = None,
                 show_details: Callable[[str], None] | None = None,
                 snapshot: Fetch | None = None,
                 on_job_end: Callable[[JobEnd], None] | None = None,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("area-farm")
        self.setAccessibleName("Printers")
        self.bridge = bridge
        self._show_details = show_details
        self.tabs = QTabWidget()
        self.tabs.setDocumentMode(True)
        self.dashboard = Dashboard(bridge, snapshot=snapshot)
        self.tabs.addTab(self.dashboard, "Farm")
        self.queue_view: QueueView | None = None
        self.details = details
        if details is not None:
            self.tabs.addTab(details, "Details")
        self.queue: FarmQueue | None = None
        if queue is not None:
            self.set_queue(queue, farm)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.addWidget(self.tabs)

        self.dashboard.activated.connect(self.open_details)
        grid = self.dashboard.grid
        grid.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        grid.customContextMenuRequested.connect(self._card_menu)
        if on_job_end is not None:
            bridge.job_ended.connect(on_job_end)

    def set_queue(self, queue: FarmQueue, farm: Farmhand | None) -> None:
        """Show the farm's queue (GUI thread; the farm may be built after the
        window, once the database is open)."""
        if self.queue_view is not None:
            return
        self.queue = queue
        self.queue_view = QueueView(self.bridge, queue, farm, self.dashboard.model.names)
        self.tabs.insertTab(1, self.queue_view, "Queue")

    def open_details(self, name: str) -> None:
        if self.details is None:
            return
        self.tabs.setCurrentWidget(self.details)
        if self._show_details is not None:
            self._show_details(name)

    def bed_cleared(self, name: str) -> None:
        queue = self.queue
        if queue is None:
            return
        self.bridge.run(lambda: queue.bed_cleared(name))

    def card_actions(self, name: str) -> list[QAction]:
        status = self.dashboard.model.status(name)
        actions = []
        if self.queue is not None:
            clear = QAction("Bed cleared \u2014 take the next job", self)
            clear.setEnabled(status is not None and not present.is_busy(status)
                             and not present.is_unwell(status))
            clear.triggered.connect(lambda: self.bed_cleared(name))
            actions.append(clear)
        if self.details is not None:
            details = QAction("Show details", self)
            details.triggered.connect(lambda: self.open_details(name))
            actions.append(details)
        return actions

    def _card_menu(self, pos: QPoint) -> None:
        grid = self.dashboard.grid
        index = grid.indexAt(pos)
        if not index.isValid():
            return
        actions = self.card_actions(str(index.data(NameRole)))
        if not actions:
            return
        menu = QMenu(self)
        menu.addActions(actions)
        menu.popup(grid.viewport().mapToGlobal(pos))

    def shutdown(self) -> None:
        self.dashboard.close_loader()
        if self.queue_view is not None:
            self.queue_view.close_queue()
