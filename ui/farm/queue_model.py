"""The farm queue as a table (GUI thread only), reorderable by dragging.

Rows are the queue's :class:`~printers.farm.queue.QueueItem` values (pending
and running ones).  Only pending items move.  The model never touches the
queue itself: a drop moves the row at once (so the list answers the hand)
and emits ``move_requested(item_id, index among the pending items)``; the
queue view runs ``FarmQueue.move`` on a worker thread and then reloads the
authoritative list, which replaces the rows."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import (
    QAbstractTableModel,
    QByteArray,
    QMimeData,
    QModelIndex,
    QPersistentModelIndex,
    Qt,
    Signal,
)

if TYPE_CHECKING:  # the queue module imports SQLAlchemy: not on the start-up path
    from printers.farm.queue import QueueItem

JobIdRole = Qt.ItemDataRole.UserRole + 1
EntryRole = Qt.ItemDataRole.UserRole + 2
MIME = "application/x-layerline-queue-jobs"

_Index = QModelIndex | QPersistentModelIndex
COLUMNS = ("File", "Copy", "Needs", "Printer", "State")


def needs(item: QueueItem) -> str:
    """The item's requirements in words, without the printer (its own column)."""
    req = item.requirements
    if req.printer is None:
        return req.describe()
    return replace(req, printer=None).describe()


def cell(item: QueueItem, column: int) -> str:
    if column == 0:
        return item.file_name
    if column == 1:
        return str(item.copy)
    if column == 2:
        return needs(item)
    if column == 3:
        if item.assigned:
            return item.assigned
        return f"only {item.requirements.printer}" if item.requirements.printer else "any"
    text = item.state.value
    if not item.start:
        text += " (upload only)"
    if item.reason:
        text += f": {item.reason}"
    return text


def is_pending(item: QueueItem) -> bool:
    return item.state == "pending"  # ItemState.PENDING (a StrEnum)


class QueueModel(QAbstractTableModel):
    """See the module docstring."""

    #: (item id, its new index among the pending items: 0 = next)
    move_requested = Signal(int, int)

    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self._entries: list[QueueItem] = []

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
            return entry.id
        if role == EntryRole:
            return entry
        return None

    def flags(self, index: _Index) -> Qt.ItemFlag:
        if not index.isValid():
            return Qt.ItemFlag.ItemIsDropEnabled
        flags = (Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable
                 | Qt.ItemFlag.ItemNeverHasChildren)
        if 0 <= index.row() < len(self._entries) and is_pending(self._entries[index.row()]):
            flags |= Qt.ItemFlag.ItemIsDragEnabled  # only waiting jobs move
        return flags

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
        """Move row ``source`` (a pending item) to stand before row ``before``
        (``len`` = last)."""
        if not 0 <= source < len(self._entries) or not 0 <= before <= len(self._entries):
            return False
        if before in (source, source + 1) or not is_pending(self._entries[source]):
            return False
        self.beginMoveRows(QModelIndex(), source, source, QModelIndex(), before)
        entry = self._entries.pop(source)
        position = before - 1 if before > source else before
        self._entries.insert(position, entry)
        self.endMoveRows()
        pending = [e.id for e in self._entries if is_pending(e)]
        self.move_requested.emit(entry.id, pending.index(entry.id))
        return True

    def set_entries(self, entries: Sequence[QueueItem]) -> None:
        """Show the queue's list; unchanged when it is the same."""
        entries = list(entries)
        if entries == self._entries:
            return
        self.beginResetModel()
        self._entries = entries
        self.endResetModel()

    def entries(self) -> list[QueueItem]:
        return list(self._entries)

    def ids(self) -> list[int]:
        return [e.id for e in self._entries]
