"""The dashboard's model: one row per farm printer, in a stable order
(GUI thread only).

Each row's picture is its card, rendered off the GUI thread by the farm
bridge (``ui.farm.render``) and shown as the item's decoration.  The model is
a :class:`QStandardItemModel` with no Python overrides, and the view uses
Qt's own delegate, so that painting the dashboard runs no Python at all: with
a hundred printers' threads in the process, every entry into Python on the
GUI thread waits for the interpreter lock, and a frame that needed it once
per card would stall.  A batch replaces the changed rows' pictures with
signals blocked, then emits ``dataChanged`` once per run of adjacent
changed rows, so the view repaints only those cards.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Mapping
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtGui import QImage, QPixmap, QStandardItem, QStandardItemModel

from ui.farm import present
from ui.farm.render import CardStyle, render_card

StatusRole = Qt.ItemDataRole.UserRole + 1
NameRole = Qt.ItemDataRole.UserRole + 2
CardRole = Qt.ItemDataRole.UserRole + 3
SnapshotRole = Qt.ItemDataRole.UserRole + 4
ImageRole = Qt.ItemDataRole.UserRole + 5


def runs(rows: Iterable[int]) -> list[tuple[int, int]]:
    """Sorted rows as inclusive (first, last) runs: [1, 2, 3, 7] -> [(1, 3), (7, 7)]."""
    out: list[tuple[int, int]] = []
    for row in sorted(set(rows)):
        if out and out[-1][1] == row - 1:
            out[-1] = (out[-1][0], row)
        else:
            out.append((row, row))
    return out


class FarmModel(QStandardItemModel):
    """See the module docstring.  Roles: :data:`StatusRole` (the domain's
    status), :data:`NameRole`, :data:`CardRole` (:class:`present.Card`),
    :data:`SnapshotRole` (a camera :class:`QImage`, already scaled, or None),
    :data:`ImageRole` (the card's rendered :class:`QImage`) and the
    decoration (the same as a :class:`QPixmap`, which the view draws)."""

    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self._names: list[str] = []
        self._rows: dict[str, int] = {}
        self._status: dict[str, Any] = {}
        self._cards: dict[str, present.Card] = {}
        self._snapshots: dict[str, QImage] = {}
        self.style: CardStyle | None = None  # for cards that come without their image

    # -- updates ---------------------------------------------------------
    def apply(self, statuses: Iterable[Any], cards: Mapping[str, present.Card] | None = None,
              images: Mapping[str, QImage] | None = None) -> list[int]:
        """Take the latest statuses (new printers are appended), with their
        cards' words and images when the bridge made them (else they are
        made here); returns the rows that changed."""
        now = time.time()
        new: list[QStandardItem] = []
        changed: list[int] = []
        blocked = self.blockSignals(True)
        try:
            for status in statuses:
                name = str(status.name)
                image = images.get(name) if images else None
                card = cards.get(name) if cards else None
                if card is None:
                    card = present.card(status, now)
                if name in self._rows and image is None and self._status.get(name) == status \
                        and card == self._cards.get(name):
                    continue
                self._status[name] = status
                self._cards[name] = card
                if image is None:
                    image = self._render(card, self._snapshots.get(name))
                row = self._rows.get(name)
                if row is None:
                    item = QStandardItem()
                    item.setEditable(False)
                    item.setDropEnabled(False)
                    item.setData(name, NameRole)
                    self._rows[name] = len(self._names) + len(new)
                    new.append(item)
                else:
                    item = self.item(row)
                    changed.append(row)
                self._fill(item, status, card, image)
        finally:
            self.blockSignals(blocked)
        for item in new:  # new printers: rare, one signal each is fine
            self._names.append(str(item.data(NameRole)))
            self.appendRow(item)
        self._emit_changed(changed)
        return changed

    def _fill(self, item: QStandardItem, status: Any, card: present.Card,
              image: QImage) -> None:
        item.setData(QPixmap.fromImage(image), Qt.ItemDataRole.DecorationRole)
        item.setData(image, ImageRole)
        item.setData(status, StatusRole)
        item.setData(card, CardRole)
        words = card.accessible()
        item.setData(words, Qt.ItemDataRole.ToolTipRole)
        item.setData(words, Qt.ItemDataRole.AccessibleTextRole)

    def _render(self, card: present.Card, snapshot: QImage | None) -> QImage:
        if self.style is None:
            from PySide6.QtWidgets import QApplication

            self.style = CardStyle.from_palette(QApplication.palette(), QApplication.font())
        return render_card(card, self.style, snapshot)

    def set_snapshot(self, name: str, image: QImage) -> None:
        """A camera picture (used when the card is drawn here rather than by
        the bridge, which gets the picture too)."""
        row = self._rows.get(name)
        if row is None:
            return
        self._snapshots[name] = image
        item = self.item(row)
        item.setData(image, SnapshotRole)

    def _emit_changed(self, rows: Iterable[int]) -> None:
        for first, last in runs(rows):
            self.dataChanged.emit(self.index(first, 0), self.index(last, 0))

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
