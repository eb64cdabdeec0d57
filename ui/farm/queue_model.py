"""The farm queue as a table (GUI thread only), reorderable by dragging.

The model never touches the queue itself: a drop moves the row at once (so
the list answers the hand) and emits ``move_requested(job_id, position)``; the
queue view runs the queue's ``reorder`` on a worker thread and then reloads
the authoritative list, which replaces the rows."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from PySide6.QtCore import (
    QAbstractTableModel,
    QByteArray,
    QMimeData,
    QModelIndex,
    QPersistentModelIndex,
    Qt,
    Signal,
)

JobIdRole = Qt.ItemDataRole.UserRole + 1
EntryRole = Qt.ItemDataRole.UserRole + 2
MIME = "application/x-layerline-queue-jobs"

_Index = QModelIndex | QPersistentModelIndex
COLUMNS = ("File", "Copies", "Needs", "Printer", "State")


def _value(entry: Any, *names: str) -> Any:
    for name in names:
        value = getattr(entry, name, None)
        if value is not None:
            return value
    return None


def job_id(entry: Any) -> Any:
    return _value(entry, "id", "job_id")


def needs(entry: Any) -> str:
    """The job's requirements in words: "0.4 mm · PETG · ≥ 200 mm · #fast"."""
    req = _value(entry, "requirements") or entry
    parts = []
    nozzle = _value(req, "nozzle", "nozzle_diameter")
    if nozzle:
        parts.append(f"{float(nozzle):g} mm")
    material = _value(req, "material")
    if material:
        parts.append(str(material))
    volume = _value(req, "min_volume", "build_volume", "min_build_volume")
    if volume:
        dims = volume if isinstance(volume, tuple | list) else (volume,)
        parts.append("\u2265 " + "\u00d7".join(f"{float(v):g}" for v in dims) + " mm")
    tag = _value(req, "tag")
    if tag:
        parts.append(f"#{tag}")
    return " \u00b7 ".join(parts) or "any printer"


def cell(entry: Any, column: int) -> str:
    if column == 0:
        path = str(_value(entry, "file", "name", "path") or "")
        return path.rsplit("/", 1)[-1]
    if column == 1:
        copies = _value(entry, "copies")
        done = _value(entry, "copies_done", "done")
        if copies is None:
            return "1"
        return f"{done}/{copies}" if done is not None else str(copies)
    if column == 2:
        return needs(entry)
    if column == 3:
        return str(_value(entry, "printer", "assigned", "assigned_to") or "any")
    state = _value(entry, "state", "status")
    text = str(getattr(state, "value", state) or "queued")
    if _value(entry, "start", "auto_start") is False or _value(entry, "no_start") is True:
        text += " (upload only)"
    return text.replace("_", " ")


class QueueModel(QAbstractTableModel):
    """See the module docstring."""

    move_requested = Signal(object, int)   # job id, new position (0 = next)

    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self._entries: list[Any] = []

    # -- Qt --------------------------------------------------------------
    def rowCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._entries)

    def columnCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(COLUMNS)

    def headerData(self, section: int, orientation: Qt.Orientation,
                   role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if role != Qt.ItemDataRole.DisplayRole:
            return None
        if orientation == Qt.Orientation.Horizontal and 0 <= section < len(COLUMNS):
            return COLUMNS[section]
        if orientation == Qt.Orientation.Vertical and 0 <= section < len(self._entries):
            return str(section + 1)
        return None

    def data(self, index: _Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self._entries):
            return None
        entry = self._entries[index.row()]
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.ToolTipRole):
            return cell(entry, index.column())
        if role == JobIdRole:
            return job_id(entry)
        if role == EntryRole:
            return entry
        return None

    def flags(self, index: _Index) -> Qt.ItemFlag:
        if not index.isValid():
            return Qt.ItemFlag.ItemIsDropEnabled
        return (Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable
                | Qt.ItemFlag.ItemIsDragEnabled | Qt.ItemFlag.ItemNeverHasChildren)

    def supportedDropActions(self) -> Qt.DropAction:
        return Qt.DropAction.MoveAction

    def supportedDragActions(self) -> Qt.DropAction:
        return Qt.DropAction.MoveAction

    def mimeTypes(self) -> list[str]:
        return [MIME]

    def mimeData(self, indexes: Sequence[QModelIndex]) -> QMimeData:
        rows = sorted({i.row() for i in indexes if i.isValid()})
        mime = QMimeData()
        mime.setData(MIME, QByteArray(json.dumps(rows).encode()))
        return mime

    def canDropMimeData(self, data: QMimeData, action: Qt.DropAction, row: int, column: int,
                        parent: _Index) -> bool:
        return action == Qt.DropAction.MoveAction and data.hasFormat(MIME)

    def dropMimeData(self, data: QMimeData, action: Qt.DropAction, row: int, column: int,
                     parent: _Index) -> bool:
        """Move the dragged job to the drop position.  Returns True; the view
        then asks to remove the source rows, which this model refuses (the
        move already happened), so nothing is lost."""
        if not self.canDropMimeData(data, action, row, column, parent):
            return False
        try:
            rows = json.loads(bytes(data.data(MIME).data()).decode())
        except ValueError:
            return False
        if not rows or not all(isinstance(r, int) for r in rows):
            return False
        if row < 0:  # dropped on an item: before it; on the empty area: at the end
            row = parent.row() if parent.isValid() else len(self._entries)
        source = rows[0]
        return self.move(source, row)

    # -- changes ---------------------------------------------------------
    def move(self, source: int, before: int) -> bool:
        """Move row ``source`` to stand before row ``before`` (``len`` = last)."""
        if not 0 <= source < len(self._entries) or not 0 <= before <= len(self._entries):
            return False
        if before in (source, source + 1):
            return False
        self.beginMoveRows(QModelIndex(), source, source, QModelIndex(), before)
        entry = self._entries.pop(source)
        position = before - 1 if before > source else before
        self._entries.insert(position, entry)
        self.endMoveRows()
        self.move_requested.emit(job_id(entry), position)
        return True

    def set_entries(self, entries: Sequence[Any]) -> None:
        """Show the queue's list; unchanged when it is the same."""
        entries = list(entries)
        if entries == self._entries:
            return
        self.beginResetModel()
        self._entries = entries
        self.endResetModel()

    def entries(self) -> list[Any]:
        return list(self._entries)

    def ids(self) -> list[Any]:
        return [job_id(e) for e in self._entries]
