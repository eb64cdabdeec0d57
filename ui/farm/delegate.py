"""Printer cards in the view (no widget per card): each card is an image the
farm bridge rendered off the GUI thread (``ui.farm.render``), drawn with one
``drawImage``; a card without its image yet is painted directly."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QModelIndex, QPersistentModelIndex, QRect, QSize
from PySide6.QtGui import QImage, QPainter, QPalette, QPen
from PySide6.QtWidgets import QStyle, QStyledItemDelegate, QStyleOptionViewItem, QWidget

from ui.farm.model import CardRole, ImageRole, NameRole, SnapshotRole
from ui.farm.render import CARD_SIZE, CardStyle, paint_card


class CardDelegate(QStyledItemDelegate):
    """See the module docstring.  ``on_paint``, when set, is called with each
    printer's name after its card is painted (the benchmark's probe)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.on_paint: Callable[[str], None] | None = None
        self._style: CardStyle | None = None

    def sizeHint(self, option: QStyleOptionViewItem,
                 index: QModelIndex | QPersistentModelIndex) -> QSize:
        return CARD_SIZE

    def set_style(self, style: CardStyle) -> None:
        self._style = style

    def paint(self, painter: QPainter, option: QStyleOptionViewItem,
              index: QModelIndex | QPersistentModelIndex) -> None:
        rect: QRect = option.rect  # type: ignore[attr-defined]
        image: QImage | None = index.data(ImageRole)
        if image is not None:
            painter.drawImage(rect.topLeft(), image)
        else:
            card = index.data(CardRole)
            if card is not None:
                style = self._style or CardStyle.from_palette(
                    option.palette, option.font)  # type: ignore[attr-defined]
                paint_card(painter, rect, card, style, index.data(SnapshotRole))
        if option.state & QStyle.StateFlag.State_Selected:  # type: ignore[attr-defined]
            palette: QPalette = option.palette  # type: ignore[attr-defined]
            painter.save()
            painter.setPen(QPen(palette.color(QPalette.ColorRole.Highlight), 2))
            painter.drawRoundedRect(rect.adjusted(3, 3, -3, -3), 6, 6)
            painter.restore()
        if self.on_paint is not None:
            self.on_paint(str(index.data(NameRole)))
