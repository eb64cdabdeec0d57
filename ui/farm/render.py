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


class CardRenderer:
    """Renders cards from cached pieces (the frame thread's; one thread only).

    A card is its state colour's frame, a few lines of text and a progress
    bar.  Between two frames a printer's card usually changes in one line
    (the percentage, a temperature), so every piece is cached: the frame per
    colour, each line's picture per (font, colour, words), the bar per
    (colour, half percent).  A card is then a copy of its frame and a handful
    of ``drawImage`` calls, which matters because every call into Qt lets the
    printers' threads take the interpreter lock."""

    MAX_LINES = 4000

    def __init__(self, style: CardStyle) -> None:
        self.style = style
        self._frames: dict[str, QImage] = {}
        self._lines: dict[tuple[int, str, str], QImage] = {}
        self._bars: dict[tuple[str, int], QImage] = {}
        self._fonts = (style.title_font, style.font, style.small_font)
        self._heights = tuple(QFontMetrics(f).height() for f in self._fonts)
        width = CARD_SIZE.width() - 6 - 2 * _PAD - 6
        self._width = width
        self._snap_width = width - SNAPSHOT_SIZE.width() - _PAD

    def __call__(self, card: Card, snapshot: QImage | None = None) -> QImage:
        return self.render(card, snapshot)

    def _image(self, width: int, height: int) -> QImage:
        dpr = self.style.device_pixel_ratio
        image = QImage(int(width * dpr), int(height * dpr),
                       QImage.Format.Format_ARGB32_Premultiplied)
        image.setDevicePixelRatio(dpr)
        image.fill(Qt.GlobalColor.transparent)
        return image

    def _frame(self, colour: str) -> QImage:
        frame = self._frames.get(colour)
        if frame is None:
            blank = Card("", "", "", colour, "", "", None, "")
            frame = self._frames[colour] = render_card(blank, self.style)
        return frame

    def _line(self, font: int, colour: QColor | str, words: str, width: int) -> QImage:
        pen = QColor(colour)
        key = (font * 10_000 + width, pen.name(QColor.NameFormat.HexArgb), words)
        image = self._lines.get(key)
        if image is None:
            if len(self._lines) >= self.MAX_LINES:
                self._lines.clear()
            f = self._fonts[font]
            metrics = QFontMetrics(f)
            image = self._image(width, self._heights[font])
            painter = QPainter(image)
            painter.setFont(f)
            painter.setPen(pen)
            painter.drawText(QRect(0, 0, width, self._heights[font]),
                             int(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter),
                             metrics.elidedText(words, Qt.TextElideMode.ElideRight, width))
            painter.end()
            self._lines[key] = image
        return image

    def _bar(self, colour: str, step: int, width: int) -> QImage:
        key = (colour + str(width), step)
        image = self._bars.get(key)
        if image is None:
            image = self._image(width, 6)
            painter = QPainter(image)
            painter.setRenderHint(QPainter.RenderHint.Antialiasing, True)
            painter.setPen(Qt.PenStyle.NoPen)
            painter.setBrush(self.style.track)
            painter.drawRoundedRect(QRect(0, 0, width, 6), 3, 3)
            painter.setBrush(QColor(colour or "#8a8f98"))
            painter.drawRoundedRect(QRect(0, 0, max(int(width * step / 200), 1), 6), 3, 3)
            painter.end()
            self._bars[key] = image
        return image

    def render(self, card: Card, snapshot: QImage | None = None) -> QImage:
        style = self.style
        image = self._frame(card.colour).copy()
        left, top = 3 + 6 + _PAD, 3 + _PAD - 2
        width = self._width
        painter = QPainter(image)
        if snapshot is not None and not snapshot.isNull():
            inner_h = CARD_SIZE.height() - 6 - 2 * (_PAD - 2)
            x = left + width - snapshot.width()
            painter.drawImage(x, top + (inner_h - snapshot.height()) // 2, snapshot)
            width = self._snap_width
        y = top
        name = card.name + (f"  \u00b7 {card.kind}" if card.kind else "")
        for font, colour, words in ((0, style.text, name), (1, card.colour, card.state),
                                    (1, style.text, card.detail)):
            painter.drawImage(left, y, self._line(font, colour, words, width))
            y += self._heights[font] + 1
        if card.progress is not None:
            painter.drawImage(left, y + 2, self._bar(card.colour, round(card.progress * 200),
                                                      width))
            y += 10
        painter.drawImage(left, y, self._line(2, style.muted, card.seen or card.temperatures,
                                              width))
        painter.end()
        return image
