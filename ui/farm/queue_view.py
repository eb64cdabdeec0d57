"""The farm queue: the jobs waiting and running, in order (drag a waiting
job to reorder), cancel, assign to a printer.  Every call to the queue runs
on the farm bridge's worker thread (the queue is persisted in SQLite); the
list is reloaded when the queue says it changed (from any thread), and every
few seconds as a safety net."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TYPE_CHECKING

from PySide6.QtCore import QModelIndex, Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QHeaderView,
    QInputDialog,
    QLabel,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from ui.farm.bridge import FarmBridge
from ui.farm.queue_model import EntryRole, JobIdRole, QueueModel, is_pending

if TYPE_CHECKING:  # the queue module imports SQLAlchemy: not on the start-up path
    from printers.farm.queue import Farmhand, FarmQueue, QueueItem

log = logging.getLogger(__name__)

RELOAD_MS = 5000


class QueueView(QWidget):
    """See the module docstring.  ``queue`` is the domain's
    :class:`~printers.farm.queue.FarmQueue`, ``farm`` the supervisor (for
    cancelling a running job on its printer); ``printer_names`` lists the
    printers a job can be assigned to."""

    _queue_changed = Signal()

    def __init__(self, bridge: FarmBridge, queue: FarmQueue, farm: Farmhand | None,
                 printer_names: Callable[[], list[str]],
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("farm-queue")
        self.bridge = bridge
        self.queue = queue
        self.farm = farm
        self.printer_names = printer_names
        self.model = QueueModel(self)
        self.model.move_requested.connect(self._move)
        self.table = QTableView()
        self.table.setObjectName("farm-queue-table")
        self.table.setAccessibleName("Queue")
        self.table.setModel(self.model)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setDragEnabled(True)
        self.table.setAcceptDrops(True)
        self.table.setDropIndicatorShown(True)
        # DragDrop rather than InternalMove: the model accepts only its own rows
        # (its MIME type), and a drop arriving from a test behaves like a real one.
        self.table.setDragDropMode(QAbstractItemView.DragDropMode.DragDrop)
        self.table.setDefaultDropAction(Qt.DropAction.MoveAction)
        self.table.setDragDropOverwriteMode(False)
        self.table.setAlternatingRowColors(True)
        self.table.verticalHeader().setSectionsClickable(False)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        for col in range(1, self.model.columnCount()):
            header.setSectionResizeMode(col, QHeaderView.ResizeMode.ResizeToContents)
        self.table.selectionModel().selectionChanged.connect(self._selection_changed)

        self.cancel_button = QPushButton("Cancel job")
        self.cancel_button.clicked.connect(self.cancel_selected)
        self.assign_button = QPushButton("Assign to printer\u2026")
        self.assign_button.clicked.connect(self._ask_assign)
        self.hint = QLabel("Drag jobs to change their order; the top job goes to the "
                           "next idle printer that fits.")
        self.hint.setEnabled(False)
        self.hint.setWordWrap(True)
        buttons = QHBoxLayout()
        buttons.addWidget(self.hint, 1)
        buttons.addWidget(self.assign_button)
        buttons.addWidget(self.cancel_button)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(6, 6, 6, 6)
        lay.addWidget(self.table, 1)
        lay.addLayout(buttons)
        self._selection_changed()

        self._reload_timer = QTimer(self)
        self._reload_timer.timeout.connect(self.reload)
        self._reload_timer.start(RELOAD_MS)
        self._loading = False
        self._again = False
        self._queue_changed.connect(self.reload)
        queue.subscribe(self._queue_changed.emit)
        self.reload()

    # -- reading ---------------------------------------------------------
    def reload(self) -> None:
        """Re-read the queue (off the GUI thread)."""
        if self._loading:
            self._again = True  # once this load is in, load again
            return
        self._loading = True
        queue = self.queue

        def done(entries: list[QueueItem]) -> None:
            self._loading = False
            self.show_entries(entries)
            if self._again:
                self._again = False
                self.reload()

        future = self.bridge.run(lambda: queue.items(include_ended=False), done)
        future.add_done_callback(lambda f: f.exception() and setattr(self, "_loading", False))

    def show_entries(self, entries: list[QueueItem]) -> None:
        current = self.selected_id()
        self.model.set_entries(entries)
        if current is not None:
            ids = self.model.ids()
            if current in ids:
                self.table.selectRow(ids.index(current))
        self._selection_changed()

    def selected_id(self) -> int | None:
        rows = self.table.selectionModel().selectedRows()
        return rows[0].data(JobIdRole) if rows else None

    # -- changes ---------------------------------------------------------
    def _move(self, item: int, index: int) -> None:
        queue = self.queue
        self.bridge.run(lambda: queue.move(item, index), lambda _r: self.reload())

    def cancel_selected(self) -> None:
        job = self.selected_id()
        if job is None:
            return
        queue, farm = self.queue, self.farm
        self.bridge.run(lambda: queue.cancel(job, farm), lambda _r: self.reload())

    def assign(self, job: int, printer: str | None) -> None:
        queue = self.queue
        self.bridge.run(lambda: queue.assign(job, printer), lambda _r: self.reload())

    def _ask_assign(self) -> None:
        job = self.selected_id()
        if job is None:
            return
        choices = ["Any printer that fits", *self.printer_names()]
        dlg = QInputDialog(self)
        dlg.setWindowTitle("Assign job")
        dlg.setLabelText("Print this job on:")
        dlg.setComboBoxItems(choices)
        dlg.setComboBoxEditable(False)

        def chosen(text: str) -> None:
            self.assign(job, None if text == choices[0] else text)

        dlg.textValueSelected.connect(chosen)
        dlg.open()

    def _selection_changed(self, *_: object) -> None:
        rows = self.table.selectionModel().selectedRows()
        item = rows[0].data(EntryRole) if rows else None
        self.cancel_button.setEnabled(item is not None)
        self.assign_button.setEnabled(item is not None and is_pending(item))

    def close_queue(self) -> None:
        self.queue.unsubscribe(self._queue_changed.emit)

    def index_of(self, job: int) -> QModelIndex:
        ids = self.model.ids()
        return self.model.index(ids.index(job), 0) if job in ids else QModelIndex()
