"""Printer cards, painted (no widget per card): a state stripe, the name and
kind, the state, the job or the reason, a progress bar, the temperatures,
"last seen" for a printer that is not well, and the camera snapshot."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QModelIndex, QPersistentModelIndex, QRect, QSize, Qt
from PySide6.QtGui import QColor, QFont, QFontMetrics, QImage, QPainter, QPalette
from PySide6.QtWidgets import QStyle, QStyledItemDelegate, QStyleOptionViewItem, QWidget

from ui.farm.model import CardRole, NameRole, SnapshotRole

CARD_SIZE = QSize(300, 118)
SNAPSHOT_SIZE = QSize(112, 84)
_PAD = 8


class CardDelegate(QStyledItemDelegate):
    """See the module docstring.  ``on_paint``, when set, is called with each
    printer's name after its card is painted (the benchmark's probe)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.on_paint: Callable[[str], None] | None = None
        self._fonts: tuple[QFont, QFont, QFont] | None = None
        self._base_font: QFont | None = None
        self._colours: dict[str, QColor] = {}

    def sizeHint(self, option: QStyleOptionViewItem,
                 index: QModelIndex | QPersistentModelIndex) -> QSize:
        return CARD_SIZE

    def _font_set(self, base: QFont) -> tuple[QFont, QFont, QFont]:
        if self._fonts is None or self._base_font != base:
            title = QFont(base)
            title.setBold(True)
            title.setPointSizeF(base.pointSizeF() * 1.1)
            small = QFont(base)
            small.setPointSizeF(base.pointSizeF() * 0.9)
            self._fonts = (title, QFont(base), small)
            self._base_font = QFont(base)
        return self._fonts

    def _colour(self, spec: str) -> QColor:
        colour = self._colours.get(spec)
        if colour is None:
            colour = self._colours[spec] = QColor(spec or "#8a8f98")
        return colour

    def paint(self, painter: QPainter, option: QStyleOptionViewItem,
              index: QModelIndex | QPersistentModelIndex) -> None:
        card = index.data(CardRole)
        rect: QRect = option.rect.adjusted(3, 3, -3, -3)  # type: ignore[attr-defined]
        palette: QPalette = option.palette  # type: ignore[attr-defined]
        state = option.state  # type: ignore[attr-defined]
        painter.save()
        painter.setRenderHint(QPainter.RenderHint.Antialiasing, True)
        selected = bool(state & QStyle.StateFlag.State_Selected)
        back = palette.color(QPalette.ColorRole.Base)
        border = palette.color(QPalette.ColorRole.Mid)
        if selected:
            border = palette.color(QPalette.ColorRole.Highlight)
        painter.setPen(border)
        painter.setBrush(back)
        painter.drawRoundedRect(rect, 6, 6)
        if card is None:
            painter.restore()
            return
        colour = self._colour(card.colour)
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(colour)
        painter.drawRoundedRect(QRect(rect.left(), rect.top(), 6, rect.height()), 3, 3)

        inner = rect.adjusted(6 + _PAD, _PAD - 2, -_PAD, -_PAD + 2)
        image: QImage | None = index.data(SnapshotRole)
        if image is not None and not image.isNull():
            target = QRect(0, 0, image.width(), image.height())
            target.moveTopRight(inner.topRight())
            target.moveTop(inner.top() + (inner.height() - image.height()) // 2)
            painter.drawImage(target, image)
            inner.setRight(target.left() - _PAD)

        title, normal, small = self._font_set(option.font)  # type: ignore[attr-defined]
        text = palette.color(QPalette.ColorRole.Text)
        muted = palette.color(QPalette.ColorRole.PlaceholderText)
        y = inner.top()
        width = inner.width()

        def line(font: QFont, pen: QColor, words: str, height_of: QFontMetrics) -> None:
            nonlocal y
            painter.setFont(font)
            painter.setPen(pen)
            elided = height_of.elidedText(words, Qt.TextElideMode.ElideRight, width)
            painter.drawText(QRect(inner.left(), y, width, height_of.height()),
                             int(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter),
                             elided)
            y += height_of.height() + 1

        fm_title, fm_normal, fm_small = (QFontMetrics(title), QFontMetrics(normal),
                                         QFontMetrics(small))
        name = card.name + (f"  \u00b7 {card.kind}" if card.kind else "")
        line(title, text, name, fm_title)
        line(normal, colour, card.state, fm_normal)
        line(normal, text, card.detail, fm_normal)
        if card.progress is not None:
            bar = QRect(inner.left(), y + 2, width, 6)
            painter.setPen(Qt.PenStyle.NoPen)
            painter.setBrush(palette.color(QPalette.ColorRole.Midlight))
            painter.drawRoundedRect(bar, 3, 3)
            done = QRect(bar)
            done.setWidth(max(int(bar.width() * card.progress), 1))
            painter.setBrush(colour)
            painter.drawRoundedRect(done, 3, 3)
            y += 10
        line(small, muted, card.seen or card.temperatures, fm_small)
        painter.restore()
        if self.on_paint is not None:
            self.on_paint(str(index.data(NameRole)))
