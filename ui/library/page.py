"""The Library area: search box and filters, the thumbnail grid or the
table (one model behind both), the detail panel, import progress with a
cancel button, and the import report."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from pathlib import Path

from PySide6.QtCore import (
    QItemSelection,
    QItemSelectionModel,
    QModelIndex,
    QSize,
    Qt,
    QTimer,
    Signal,
)
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QListView,
    QProgressBar,
    QPushButton,
    QSplitter,
    QStackedWidget,
    QTableView,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from library import search
from library.importer import ImportReport, Progress
from library.licences import LICENCE_CHOICES
from ui.library.bridge import LibraryBridge
from ui.library.detail import DetailPanel
from ui.library.models import ID_ROLE, THUMB_SIZE, ImportReportModel, LibraryModel

log = logging.getLogger(__name__)

SEARCH_DELAY_MS = 150


class ImportReportDialog(QDialog):
    def __init__(self, report: ImportReport, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Import report")
        self.setObjectName("import-report")
        self.resize(720, 420)
        lay = QVBoxLayout(self)
        lay.addWidget(QLabel(
            f"{report.count('done')} imported, {report.count('duplicate')} already in the "
            f"library, {report.count('failed')} failed"
            + (f", {report.count('pending')} not done (cancelled)" if report.count("pending")
               else "")))
        self.model = ImportReportModel(self)
        self.model.set_report(report)
        view = QTableView()
        view.setModel(self.model)
        view.horizontalHeader().setSectionResizeMode(2, QHeaderView.ResizeMode.Stretch)
        view.verticalHeader().hide()
        view.resizeColumnsToContents()
        lay.addWidget(view)
        box = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        box.rejected.connect(self.reject)
        lay.addWidget(box)


class LibraryPage(QWidget):
    """``import_requested`` carries paths to import (the window's File menu
    and drops arrive through :meth:`import_paths`)."""

    selected = Signal(object)   # model id or None

    def __init__(self, bridge: LibraryBridge, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("area-library")
        self.setAccessibleName("Library")
        self.bridge = bridge
        self.model = LibraryModel(bridge, self)
        self.last_report: ImportReport | None = None

        # -- tool bar: search, filters, sort, view ---------------------
        self.search = QLineEdit()
        self.search.setObjectName("library-search")
        self.search.setPlaceholderText("Search titles, tags, creators, files\u2026")
        self.search.setClearButtonEnabled(True)
        self.format = QComboBox()
        self.format.setObjectName("filter-format")
        self.format.addItem("All formats", None)
        for fmt in ("stl", "3mf", "obj", "gcode", "bgcode"):
            self.format.addItem(fmt.upper(), fmt)
        self.licence = QComboBox()
        self.licence.setObjectName("filter-licence")
        self.licence.addItem("Any licence", None)
        self.licence.addItem("No licence", "")
        for lic in LICENCE_CHOICES[1:]:
            self.licence.addItem(lic, lic)
        self.printed = QComboBox()
        self.printed.setObjectName("filter-printed")
        for label, value in (("Printed or not", None), ("Printed", True),
                             ("Never printed", False), ("Success \u2265 80%", 0.8)):
            self.printed.addItem(label, value)
        self.sort = QComboBox()
        self.sort.setObjectName("sort")
        for label, key in (("Title", "title"), ("Recently added", "added"),
                           ("File size", "size"), ("Triangles", "triangles"),
                           ("Times printed", "printed")):
            self.sort.addItem(label, key)
        self.descending = QToolButton()
        self.descending.setCheckable(True)
        self.descending.setText("\u2193")
        self.descending.setToolTip("Descending order")
        self.view_toggle = QToolButton()
        self.view_toggle.setObjectName("view-toggle")
        self.view_toggle.setCheckable(True)
        self.view_toggle.setText("Table")
        self.view_toggle.setToolTip("Switch between the thumbnail grid and the table")
        # Names for screen readers, and what each control does.
        for w, name, tip in (
            (self.search, self.tr("Search the library"),
             self.tr("Words or word beginnings; every word must match (Ctrl+F)")),
            (self.format, self.tr("File format"), self.tr("Show only models with this format")),
            (self.licence, self.tr("Licence"), self.tr("Show only models under this licence")),
            (self.printed, self.tr("Printed"), self.tr("Filter by whether, and how well, "
                                                     "a model printed")),
            (self.sort, self.tr("Sort by"), self.tr("The order of the models")),
            (self.descending, self.tr("Descending order"), None),
            (self.view_toggle, self.tr("Table view"), None),
        ):
            w.setAccessibleName(name)
            if tip:
                w.setToolTip(tip)
        QShortcut(QKeySequence.StandardKey.Find, self, self.search.setFocus)
        top = QHBoxLayout()
        top.addWidget(self.search, 3)
        for w in (self.format, self.licence, self.printed, self.sort, self.descending,
                  self.view_toggle):
            top.addWidget(w)

        # -- the views ---------------------------------------------------
        self.grid = QListView()
        self.grid.setObjectName("library-grid")
        self.grid.setViewMode(QListView.ViewMode.IconMode)
        self.grid.setResizeMode(QListView.ResizeMode.Adjust)
        self.grid.setUniformItemSizes(True)
        self.grid.setIconSize(QSize(THUMB_SIZE, THUMB_SIZE))
        self.grid.setGridSize(QSize(THUMB_SIZE + 24, THUMB_SIZE + 40))
        self.grid.setMovement(QListView.Movement.Static)
        self.grid.setWordWrap(True)
        self.grid.setModel(self.model)
        self.table = QTableView()
        self.table.setObjectName("library-table")
        self.table.setModel(self.model)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.verticalHeader().hide()
        self.table.verticalHeader().setDefaultSectionSize(28)
        self.table.setIconSize(QSize(24, 24))
        self._size_columns()
        self.table.setSelectionModel(self.grid.selectionModel())
        self.views = QStackedWidget()
        self.views.addWidget(self.grid)
        self.views.addWidget(self.table)
        self.empty = QLabel("No models yet. Import files or folders with File \u25b8 Import "
                            "(Ctrl+I), or drop them on this window.")
        self.empty.setObjectName("empty-hint")
        self.empty.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.empty.setWordWrap(True)
        self.empty.setEnabled(False)
        self.views.addWidget(self.empty)
        self.detail = DetailPanel(bridge)
        split = QSplitter()
        split.addWidget(self.views)
        split.addWidget(self.detail)
        split.setStretchFactor(0, 3)
        split.setStretchFactor(1, 2)

        # -- import progress ----------------------------------------------
        self.progress = QProgressBar()
        self.progress.setObjectName("import-progress")
        self.progress_label = QLabel()
        self.cancel = QPushButton("Cancel import")
        self.cancel.setObjectName("cancel-import")
        self.report_button = QPushButton("Import report\u2026")
        self.report_button.setObjectName("show-report")
        self.report_button.setEnabled(False)
        bottom = QHBoxLayout()
        bottom.addWidget(self.progress_label, 1)
        bottom.addWidget(self.progress, 2)
        bottom.addWidget(self.cancel)
        bottom.addWidget(self.report_button)
        self._set_importing(False)

        lay = QVBoxLayout(self)
        lay.addLayout(top)
        lay.addWidget(split, 1)
        lay.addLayout(bottom)

        # -- wiring --------------------------------------------------------
        self._search_timer = QTimer(self)
        self._search_timer.setSingleShot(True)
        self._search_timer.setInterval(SEARCH_DELAY_MS)
        self._search_timer.timeout.connect(self.apply_query)
        self.search.textChanged.connect(lambda _t: self._search_timer.start())
        for combo in (self.format, self.licence, self.printed, self.sort):
            combo.currentIndexChanged.connect(lambda _i: self.apply_query())
        self.descending.toggled.connect(lambda _b: self.apply_query())
        self.view_toggle.toggled.connect(self._toggle_view)
        self.grid.selectionModel().selectionChanged.connect(self._selection_changed)
        self.model.modelReset.connect(self._update_empty)
        self.model.modelReset.connect(self._size_columns)
        self.model.rowsInserted.connect(self._update_empty)
        self.model.rowsInserted.connect(self._reselect)
        self.cancel.clicked.connect(bridge.service.cancel_import)
        self.report_button.clicked.connect(self.show_report)
        bridge.progress.connect(self._on_progress)
        bridge.import_started.connect(lambda _j: self._set_importing(True))
        bridge.import_finished.connect(self._on_finished)
        self.apply_query()

    # -- queries --------------------------------------------------------
    def current_query(self) -> search.Query:
        printed = self.printed.currentData()
        return search.Query(
            text=self.search.text(),
            filters=search.Filters(
                format=self.format.currentData(), licence=self.licence.currentData(),
                printed=printed if isinstance(printed, bool) else None,
                min_success_rate=printed if isinstance(printed, float) else None),
            sort=self.sort.currentData(), descending=self.descending.isChecked())

    def apply_query(self) -> None:
        self._search_timer.stop()
        self.model.set_query(self.current_query())

    def _update_empty(self, *_args: object) -> None:
        q = self.model.query
        nothing = self.model.rowCount() == 0 and not self.model.is_loading()
        if nothing:
            self.empty.setText("No models match." if (q.text or q.filters != search.Filters())
                               else "No models yet. Import files or folders with File \u25b8 "
                               "Import (Ctrl+I), or drop them on this window.")
            self.views.setCurrentWidget(self.empty)
        else:
            self.views.setCurrentWidget(self.table if self.view_toggle.isChecked() else self.grid)

    def _size_columns(self) -> None:
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        for col, width in enumerate((0, 60, 90, 80, 110, 130, 90)):
            if col:
                header.resizeSection(col, width)
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)

    def _toggle_view(self, table: bool) -> None:
        self.view_toggle.setText("Grid" if table else "Table")
        self._update_empty()

    def _selection_changed(self, _selected: QItemSelection, _deselected: QItemSelection) -> None:
        rows = {i.row() for i in self.grid.selectionModel().selectedIndexes()}
        mid = self.model.data(self.model.index(min(rows), 0), ID_ROLE) if rows else None
        if mid != self.detail.model_id:
            self.detail.show_model(mid)
            self.selected.emit(mid)

    def _reselect(self, *_args: object) -> None:
        """After a reload (an edit, an import), select the shown model again."""
        mid = self.detail.model_id
        if mid is None or self.grid.selectionModel().hasSelection():
            return
        row = self.model.row_of(mid)
        if row is not None:
            self.select_row(row)

    def select_row(self, row: int) -> None:
        flags = QItemSelectionModel.SelectionFlag
        self.grid.selectionModel().setCurrentIndex(
            self.model.index(row, 0), flags.ClearAndSelect | flags.Rows)

    # -- imports --------------------------------------------------------
    def import_paths(self, paths: Sequence[Path]) -> None:
        if paths:
            self._set_importing(True)
            self.progress_label.setText(f"Preparing to import {len(paths)} item(s)\u2026")
            self.bridge.service.import_paths(list(paths))

    def _set_importing(self, on: bool) -> None:
        self.progress.setVisible(on)
        self.cancel.setVisible(on)
        if not on:
            self.progress.reset()

    def _on_progress(self, p: Progress) -> None:
        self._set_importing(True)
        self.progress.setMaximum(max(p.total, 1))
        self.progress.setValue(p.finished)
        failed = f", {p.failed} failed" if p.failed else ""
        self.progress_label.setText(f"Importing {p.finished}/{p.total}{failed} \u2014 {p.current}")

    def _on_finished(self, report: ImportReport) -> None:
        self._set_importing(False)
        self.last_report = report
        self.report_button.setEnabled(True)
        word = "cancelled" if report.state == "cancelled" else "finished"
        self.progress_label.setText(
            f"Import {word}: {report.count('done')} imported, {report.count('duplicate')} "
            f"already there, {report.count('failed')} failed")
        if report.count("failed"):
            self.show_report()

    def show_report(self) -> None:
        if self.last_report is not None:
            dlg = ImportReportDialog(self.last_report, self)
            dlg.open()

    def first_index(self) -> QModelIndex:
        return self.model.index(0, 0)
