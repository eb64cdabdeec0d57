"""The list of printers with their live state and temperatures (GUI thread only)."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QAbstractListModel, QModelIndex, QPersistentModelIndex, Qt

from printers.connection import LinkStatus, PrinterStatus

StatusRole = Qt.ItemDataRole.UserRole + 1
NameRole = Qt.ItemDataRole.UserRole + 2

_Index = QModelIndex | QPersistentModelIndex


def describe(status: PrinterStatus) -> str:
    temps = []
    for key, label in (("T0", "Hotend"), ("B", "Bed")):
        r = status.temperatures.get(key)
        if r is not None and r.actual is not None:
            target = f"/{r.target:.0f}" if r.target else ""
            temps.append(f"{label} {r.actual:.0f}{target}\u00b0C")
    text = status.label
    if status.job is not None and not status.job.state.ended:
        text += f" {status.job.progress:.0%}"
    if status.error and status.link is LinkStatus.ERROR:
        text += f" \u2014 {status.error}"
    return "  ".join([text, *temps])


class PrinterListModel(QAbstractListModel):
    """One row per printer: its name, and its state and temperatures."""

    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self._names: list[str] = []
        self._status: dict[str, PrinterStatus] = {}

    def rowCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._names)

    def data(self, index: _Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self._names):
            return None
        name = self._names[index.row()]
        status = self._status.get(name, PrinterStatus(name, LinkStatus.DISCONNECTED))
        if role == Qt.ItemDataRole.DisplayRole:
            return f"{name}\n{describe(status)}"
        if role == Qt.ItemDataRole.ToolTipRole:
            return f"{name}: {describe(status)}"
        if role == Qt.ItemDataRole.AccessibleTextRole:
            return f"{name}, {describe(status)}"
        if role == StatusRole:
            return status
        if role == NameRole:
            return name
        return None

    def names(self) -> list[str]:
        return list(self._names)

    def set_printers(self, names: list[str]) -> None:
        """Show exactly these printers (kept in the given order)."""
        for name in [n for n in self._names if n not in names]:
            row = self._names.index(name)
            self.beginRemoveRows(QModelIndex(), row, row)
            del self._names[row]
            self.endRemoveRows()
        for name in names:
            if name not in self._names:
                row = len(self._names)
                self.beginInsertRows(QModelIndex(), row, row)
                self._names.append(name)
                self.endInsertRows()

    def update_status(self, status: PrinterStatus) -> None:
        self._status[status.name] = status
        if status.name not in self._names:
            self.set_printers([*self._names, status.name])
        row = self._names.index(status.name)
        idx = self.index(row)
        self.dataChanged.emit(idx, idx)

    def status(self, name: str) -> PrinterStatus | None:
        return self._status.get(name)
