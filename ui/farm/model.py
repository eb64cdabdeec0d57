"""The dashboard's model: one row per farm printer, in a stable order
(GUI thread only).  A flush applies a whole batch and emits ``dataChanged``
once per run of adjacent changed rows, so the view repaints only those cards."""

from __future__ import annotations

import time
from collections.abc import Iterable, Mapping
from typing import Any

from PySide6.QtCore import QAbstractListModel, QModelIndex, QPersistentModelIndex, Qt
from PySide6.QtGui import QImage

from ui.farm import present

StatusRole = Qt.ItemDataRole.UserRole + 1
NameRole = Qt.ItemDataRole.UserRole + 2
CardRole = Qt.ItemDataRole.UserRole + 3
SnapshotRole = Qt.ItemDataRole.UserRole + 4
ImageRole = Qt.ItemDataRole.UserRole + 5

_Index = QModelIndex | QPersistentModelIndex


def runs(rows: Iterable[int]) -> list[tuple[int, int]]:
    """Sorted rows as inclusive (first, last) runs: [1, 2, 3, 7] -> [(1, 3), (7, 7)]."""
    out: list[tuple[int, int]] = []
    for row in sorted(set(rows)):
        if out and out[-1][1] == row - 1:
            out[-1] = (out[-1][0], row)
        else:
            out.append((row, row))
    return out


class FarmModel(QAbstractListModel):
    """See the module docstring.  Roles: :data:`StatusRole` (the domain's
    status), :data:`NameRole`, :data:`CardRole` (:class:`present.Card`, built
    once per change, not per paint) and :data:`SnapshotRole` (a camera
    :class:`QImage`, already scaled, or None) and :data:`ImageRole` (the
    card rendered off the GUI thread, or None: the delegate then paints it)."""

    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self._names: list[str] = []
        self._rows: dict[str, int] = {}
        self._status: dict[str, Any] = {}
        self._cards: dict[str, present.Card] = {}
        self._snapshots: dict[str, QImage] = {}
        self._images: dict[str, QImage] = {}

    # -- Qt --------------------------------------------------------------
    def rowCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._names)

    def data(self, index: _Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self._names):
            return None
        name = self._names[index.row()]
        if role == Qt.ItemDataRole.DisplayRole:
            return name
        if role == CardRole:
            return self._cards.get(name)
        if role in (Qt.ItemDataRole.ToolTipRole, Qt.ItemDataRole.AccessibleTextRole):
            card = self._cards.get(name)
            return card.accessible() if card else name
        if role == StatusRole:
            return self._status.get(name)
        if role == NameRole:
            return name
        if role == SnapshotRole:
            return self._snapshots.get(name)
        if role == ImageRole:
            return self._images.get(name)
        return None

    def flags(self, index: _Index) -> Qt.ItemFlag:
        if not index.isValid():
            return Qt.ItemFlag.NoItemFlags
        return Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable | \
            Qt.ItemFlag.ItemNeverHasChildren

    # -- updates ---------------------------------------------------------
    def apply(self, statuses: Iterable[Any], cards: Mapping[str, present.Card] | None = None,
              images: Mapping[str, QImage] | None = None) -> list[int]:
        """Take the latest statuses (new printers are appended), with their
        cards' words and images when the bridge made them; returns the rows
        that changed."""
        now = time.time()
        new: list[str] = []
        changed: list[int] = []
        for status in statuses:
            name = str(status.name)
            image = images.get(name) if images else None
            card = cards.get(name) if cards else None
            if name in self._rows and image is None and self._status.get(name) == status \
                    and (card is None or card == self._cards.get(name)):
                continue
            self._status[name] = status
            self._cards[name] = card if card is not None else present.card(status, now)
            if image is not None:
                self._images[name] = image
            else:
                self._images.pop(name, None)
            row = self._rows.get(name)
            if row is None:
                if name not in new:
                    new.append(name)
            else:
                changed.append(row)
        if new:
            first = len(self._names)
            self.beginInsertRows(QModelIndex(), first, first + len(new) - 1)
            for name in new:
                self._rows[name] = len(self._names)
                self._names.append(name)
            self.endInsertRows()
        self._emit_changed(changed)
        return changed

    def set_snapshot(self, name: str, image: QImage) -> None:
        row = self._rows.get(name)
        if row is None:
            return
        self._snapshots[name] = image
        self._emit_changed([row])

    def _emit_changed(self, rows: Iterable[int]) -> None:
        for first, last in runs(rows):
            self.dataChanged.emit(self.index(first), self.index(last))

    # -- reading ---------------------------------------------------------
    def names(self) -> list[str]:
        return list(self._names)

    def status(self, name: str) -> Any:
        return self._status.get(name)

    def row(self, name: str) -> int | None:
        return self._rows.get(name)

    def counts(self) -> dict[str, int]:
        """How many printers are in each state label."""
        out: dict[str, int] = {}
        for card in self._cards.values():
            out[card.state] = out.get(card.state, 0) + 1
        return out
