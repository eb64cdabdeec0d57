"""The maintenance view: each printer's counters (print hours, filament,
jobs), each since its own reset, and the user's reminders (due when a
counter reaches its threshold).  Every read and write runs on the history's
work thread."""

from __future__ import annotations

from PySide6.QtWidgets import (
    QComboBox,
    QDoubleSpinBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QInputDialog,
    QLabel,
    QLineEdit,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from history import maintenance
from history.maintenance import Counter, Reminder
from history.schema import COUNTERS
from ui.history.bridge import HistoryBridge


def _value(counter: str, value: float) -> str:
    if counter == "jobs":
        return f"{value:,.0f} jobs"
    if counter == "print_hours":
        return f"{value:,.1f} h"
    return f"{value:,.1f} m"


class MaintenanceView(QWidget):
    def __init__(self, bridge: HistoryBridge, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.bridge = bridge
        self.printer = QComboBox()
        self.printer.setAccessibleName("Printer")
        self.printer.currentIndexChanged.connect(lambda _i: self.refresh())
        self.counter_box = QGroupBox("Counters since their last reset")
        self.counter_form = QFormLayout(self.counter_box)
        self.counter_labels: dict[str, QLabel] = {}
        for name in COUNTERS:
            label = QLabel("\u2014")
            reset = QPushButton("Reset\u2026")
            reset.setToolTip("Start this counter again (say, after a nozzle change)")
            reset.clicked.connect(lambda _c=False, n=name: self._reset(n))
            row = QHBoxLayout()
            row.addWidget(label, 1)
            row.addWidget(reset)
            self.counter_form.addRow(maintenance.LABELS[name], row)
            self.counter_labels[name] = label
        self.reminders = QTableWidget(0, 5)
        self.reminders.setHorizontalHeaderLabels(
            ["Printer", "Counter", "Threshold", "Now", "Reminder"])
        self.reminders.horizontalHeader().setSectionResizeMode(
            4, QHeaderView.ResizeMode.Stretch)
        self.reminders.verticalHeader().hide()
        self.reminders.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        self.new_counter = QComboBox()
        for name in COUNTERS:
            self.new_counter.addItem(maintenance.LABELS[name], name)
        self.new_threshold = QDoubleSpinBox()
        self.new_threshold.setRange(0.1, 1e7)
        self.new_threshold.setValue(200)
        self.new_note = QLineEdit()
        self.new_note.setPlaceholderText("e.g. change the nozzle, lubricate the rods")
        add = QPushButton("Add reminder")
        add.clicked.connect(self._add)
        remove = QPushButton("Delete reminder")
        remove.clicked.connect(self._delete)
        form = QHBoxLayout()
        for w in (self.new_counter, self.new_threshold, self.new_note, add, remove):
            form.addWidget(w, 1 if w is self.new_note else 0)
        top = QHBoxLayout()
        top.addWidget(QLabel("Printer"))
        top.addWidget(self.printer, 1)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(self.counter_box)
        layout.addWidget(QLabel("Reminders"))
        layout.addWidget(self.reminders, 1)
        layout.addLayout(form)
        self._reminder_ids: list[int] = []

    def set_printers(self, names: list[str]) -> None:
        current = self.printer.currentText()
        self.printer.blockSignals(True)
        self.printer.clear()
        self.printer.addItems(names)
        if current in names:
            self.printer.setCurrentText(current)
        self.printer.blockSignals(False)
        self.refresh()

    def refresh(self) -> None:
        name = self.printer.currentText()
        engine = self.bridge.service.engine

        def load(_s: object) -> tuple[list[Counter], list[Reminder]]:
            counters = maintenance.counters(engine, name) if name else []
            return counters, maintenance.reminders_of(engine)

        self.bridge.call(load, self._show, heavy=True)

    def _show(self, result: tuple[list[Counter], list[Reminder]]) -> None:
        counters, reminders = result
        for c in counters:
            since = "" if c.reset_at is None else " since reset" + (
                f" ({c.note})" if c.note else "")
            self.counter_labels[c.counter].setText(_value(c.counter, c.value) + since)
        self.reminders.setRowCount(len(reminders))
        self._reminder_ids = [r.id for r in reminders]
        for i, r in enumerate(reminders):
            cells = (r.printer, maintenance.LABELS[r.counter], _value(r.counter, r.threshold),
                     _value(r.counter, r.value), ("\u26a0 DUE: " if r.due else "") + r.note)
            for j, text in enumerate(cells):
                self.reminders.setItem(i, j, QTableWidgetItem(text))

    def _reset(self, counter: str) -> None:
        name = self.printer.currentText()
        if not name:
            return
        note, ok = QInputDialog.getText(self, "Reset counter",
                                        f"Reset {maintenance.LABELS[counter].lower()} on "
                                        f"{name}. Note (optional):")
        if ok:
            self.reset_counter(counter, note)

    def reset_counter(self, counter: str, note: str = "") -> None:
        name, engine = self.printer.currentText(), self.bridge.service.engine
        self.bridge.call(lambda _s: maintenance.reset(engine, name, counter, note),
                         lambda _r: self.refresh(), heavy=True)

    def _add(self) -> None:
        name, engine = self.printer.currentText(), self.bridge.service.engine
        if not name:
            return
        counter, threshold = self.new_counter.currentData(), self.new_threshold.value()
        note = self.new_note.text().strip()
        self.bridge.call(lambda _s: maintenance.add_reminder(engine, name, counter, threshold,
                                                             note),
                         lambda _r: self.refresh(), heavy=True)
        self.new_note.clear()

    def _delete(self) -> None:
        row = self.reminders.currentRow()
        if 0 <= row < len(self._reminder_ids):
            rid, engine = self._reminder_ids[row], self.bridge.service.engine
            self.bridge.call(lambda _s: maintenance.delete_reminder(engine, rid),
                             lambda _r: self.refresh(), heavy=True)
