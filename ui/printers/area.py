"""The Printers area: the list of printers (state, temperatures) beside the
selected printer's page."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from PySide6.QtCore import QModelIndex, Qt
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListView,
    QPushButton,
    QSpinBox,
    QSplitter,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from printers.connection import ConsoleLines, PrinterStatus, TemperatureSample
from ui.printers.bridge import PrintersBridge
from ui.printers.model import NameRole, PrinterListModel

if TYPE_CHECKING:
    from ui.printers.printer_page import PrinterPage

log = logging.getLogger(__name__)


class AddPrinterDialog(QDialog):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Add a USB serial printer")
        self.name = QLineEdit()
        self.port = QLineEdit()
        self.port.setPlaceholderText("/dev/ttyUSB0")
        self.baud = QSpinBox()
        self.baud.setRange(0, 1_000_000)
        self.baud.setValue(115200)
        self.baud.setSpecialValueText("detect")
        form = QFormLayout(self)
        form.addRow("Name", self.name)
        form.addRow("Serial port", self.port)
        form.addRow("Baud rate", self.baud)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok
                                   | QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        form.addRow(buttons)


class PrintersArea(QWidget):
    """See the module docstring."""

    def __init__(self, bridge: PrintersBridge, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("area-printers")
        self.setAccessibleName("Printers")
        self.bridge = bridge
        self.model = PrinterListModel(self)
        self.list = QListView()
        self.list.setObjectName("printer-list")
        self.list.setAccessibleName("Printers")
        self.list.setModel(self.model)
        self.list.setSpacing(4)
        self.list.setWordWrap(True)
        self.list.setMinimumWidth(240)
        self.list.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.list.selectionModel().currentChanged.connect(self._current_changed)
        self.add_button = QPushButton("Add printer\u2026")
        self.add_button.clicked.connect(self._ask_add)
        self.add_button.setToolTip(self.tr(
            "Add a USB serial printer (Help \u25b8 Set-up Guide also adds OctoPrint "
            "printers and the demo printer)"))
        left = QWidget()
        left_lay = QVBoxLayout(left)
        left_lay.setContentsMargins(0, 0, 0, 0)
        left_lay.addWidget(self.list)
        left_lay.addWidget(self.add_button)
        self.pages = QStackedWidget()
        self.empty = QLabel(self.tr(
            "No printers yet \u2014 add one with \u201cAdd printer\u2026\u201d, or open "
            "Help \u25b8 Set-up Guide to add an OctoPrint server or start the demo printer."))
        self.empty.setObjectName("empty-hint")
        self.empty.setWordWrap(True)
        self.empty.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.empty.setEnabled(False)
        self.pages.addWidget(self.empty)
        self._pages: dict[str, PrinterPage] = {}
        splitter = QSplitter()
        splitter.addWidget(left)
        splitter.addWidget(self.pages)
        splitter.setStretchFactor(1, 1)
        splitter.setSizes([260, 900])
        lay = QHBoxLayout(self)
        lay.setContentsMargins(6, 6, 6, 6)
        lay.addWidget(splitter)

        bridge.status_changed.connect(self._on_status)
        bridge.temperature.connect(self._on_temperature)
        bridge.console.connect(self._on_console)
        bridge.printers_changed.connect(self.reload)
        self.reload()

    def reload(self) -> None:
        """Re-read the configured printers (off the GUI thread, which also
        makes their connection objects there: the pages' buttons then only
        post work to a connection, never read the database)."""
        service = self.bridge.service
        # OctoPrint printers are shown by the farm dashboard, not as serial pages.
        self.bridge.run(lambda: [service.connection(p.name).name for p in service.printers()
                                 if p.kind == "serial"],
                        self.set_printers)

    def set_printers(self, names: list[str]) -> None:
        self.model.set_printers(names)
        if names and not self.list.currentIndex().isValid():
            self.list.setCurrentIndex(self.model.index(0))

    def page(self, name: str) -> PrinterPage:
        page = self._pages.get(name)
        if page is None:
            # pyqtgraph takes most of a second to import: only when a printer
            # page is first shown, never on the start-up path.
            from ui.printers.printer_page import PrinterPage

            page = PrinterPage(name, self.bridge)
            status = self.model.status(name)
            if status is not None:
                page.update_status(status)
            self._pages[name] = page
            self.pages.addWidget(page)
        return page

    def _current_changed(self, current: QModelIndex, _previous: QModelIndex) -> None:
        name = current.data(NameRole) if current.isValid() else None
        if name:
            self.pages.setCurrentWidget(self.page(name))
        else:
            self.pages.setCurrentWidget(self.empty)

    def _on_status(self, status: PrinterStatus) -> None:
        self.model.update_status(status)
        if status.name in self._pages:
            self._pages[status.name].update_status(status)
        if not self.list.currentIndex().isValid():
            self.list.setCurrentIndex(self.model.index(0))

    def _on_temperature(self, sample: TemperatureSample) -> None:
        self.page(sample.printer).add_temperature(sample)

    def _on_console(self, batch: ConsoleLines) -> None:
        self.page(batch.printer).add_console(batch)

    def _ask_add(self) -> None:
        dlg = AddPrinterDialog(self)

        def done(result: int) -> None:
            if result != QDialog.DialogCode.Accepted:
                return
            name, port, baud = dlg.name.text(), dlg.port.text(), dlg.baud.value()
            self.bridge.run(lambda: self.bridge.service.add_printer(name, port, baud))

        dlg.finished.connect(done)
        dlg.open()

