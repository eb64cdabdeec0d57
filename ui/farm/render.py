"""Drawing one printer card.  :func:`paint_card` draws a card with any
painter; :func:`render_card` draws it into a :class:`QImage`, which is safe on
any thread: the farm bridge renders changed cards on its own thread, so that
the GUI thread's paint is one ``drawImage`` per card (with a hundred printers
the Python work of drawing text would otherwise cost the GUI thread a
millisecond or more per card, and more when other threads hold the
interpreter lock)."""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import QRect, QSize, Qt
from PySide6.QtGui import QColor, QFont, QFontMetrics, QImage, QPainter, QPalette

from ui.farm.present import Card

CARD_SIZE = QSize(300, 112)
SNAPSHOT_SIZE = QSize(112, 84)
_PAD = 8


@dataclass(frozen=True)
class CardStyle:
    """Colours and fonts of the cards, taken from the view's palette and
    font on the GUI thread (immutable afterwards)."""

    base: QColor
    border: QColor
    text: QColor
    muted: QColor
    track: QColor
    title_font: QFont
    font: QFont
    small_font: QFont
    device_pixel_ratio: float = 1.0

    @classmethod
    def from_palette(cls, palette: QPalette, font: QFont, dpr: float = 1.0) -> CardStyle:
        title = QFont(font)
        title.setBold(True)
        title.setPointSizeF(font.pointSizeF() * 1.1)
        small = QFont(font)
        small.setPointSizeF(font.pointSizeF() * 0.9)
        return cls(
            base=QColor(palette.color(QPalette.ColorRole.Base)),
            border=QColor(palette.color(QPalette.ColorRole.Mid)),
            text=QColor(palette.color(QPalette.ColorRole.Text)),
            muted=QColor(palette.color(QPalette.ColorRole.PlaceholderText)),
            track=QColor(palette.color(QPalette.ColorRole.Midlight)),
            title_font=title, font=QFont(font), small_font=small,
            device_pixel_ratio=dpr,
        )


def paint_card(painter: QPainter, outer: QRect, card: Card, style: CardStyle,
               snapshot: QImage | None = None) -> None:
    """Draw ``card`` in ``outer`` (the item's rectangle)."""
    rect = outer.adjusted(3, 3, -3, -3)
    painter.save()
    painter.setRenderHint(QPainter.RenderHint.Antialiasing, True)
    painter.setPen(style.border)
    painter.setBrush(style.base)
    painter.drawRoundedRect(rect, 6, 6)
    colour = QColor(card.colour or "#8a8f98")
    painter.setPen(Qt.PenStyle.NoPen)
    painter.setBrush(colour)
    painter.drawRoundedRect(QRect(rect.left(), rect.top(), 6, rect.height()), 3, 3)

    inner = rect.adjusted(6 + _PAD, _PAD - 2, -_PAD, -_PAD + 2)
    if snapshot is not None and not snapshot.isNull():
        target = QRect(0, 0, snapshot.width(), snapshot.height())
        target.moveTopRight(inner.topRight())
        target.moveTop(inner.top() + (inner.height() - snapshot.height()) // 2)
        painter.drawImage(target, snapshot)
        inner.setRight(target.left() - _PAD)

    y = inner.top()
    width = inner.width()

    def line(font: QFont, pen: QColor, words: str) -> None:
        nonlocal y
        metrics = QFontMetrics(font)
        painter.setFont(font)
        painter.setPen(pen)
        painter.drawText(QRect(inner.left(), y, width, metrics.height()),
                         int(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter),
                         metrics.elidedText(words, Qt.TextElideMode.ElideRight, width))
        y += metrics.height() + 1

    line(style.title_font, style.text, card.name + (f"  \u00b7 {card.kind}" if card.kind else ""))
    line(style.font, colour, card.state)
    line(style.font, style.text, card.detail)
    if card.progress is not None:
        bar = QRect(inner.left(), y + 2, width, 6)
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(style.track)
        painter.drawRoundedRect(bar, 3, 3)
        done = QRect(bar)
        done.setWidth(max(int(bar.width() * card.progress), 1))
        painter.setBrush(colour)
        painter.drawRoundedRect(done, 3, 3)
        y += 10
    line(style.small_font, style.muted, card.seen or card.temperatures)
    painter.restore()


def render_card(card: Card, style: CardStyle, snapshot: QImage | None = None) -> QImage:
    """The card as an image of :data:`CARD_SIZE` (any thread)."""
    dpr = style.device_pixel_ratio
    image = QImage(int(CARD_SIZE.width() * dpr), int(CARD_SIZE.height() * dpr),
                   QImage.Format.Format_ARGB32_Premultiplied)
    image.setDevicePixelRatio(dpr)
    image.fill(Qt.GlobalColor.transparent)
    painter = QPainter(image)
    try:
        paint_card(painter, QRect(0, 0, CARD_SIZE.width(), CARD_SIZE.height()), card, style,
                   snapshot)
    finally:
        painter.end()
    return image
