"""Small widgets shared by the review screens: a star rating and a strip of
photos (thumbnails made off the GUI thread, reorder by dragging)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from PySide6.QtCore import QSize, Qt, Signal
from PySide6.QtGui import QIcon, QImage, QPixmap
from PySide6.QtWidgets import (
    QAbstractItemView,
    QButtonGroup,
    QHBoxLayout,
    QListView,
    QListWidget,
    QListWidgetItem,
    QToolButton,
    QWidget,
)

PHOTO_FILTER = "Photos (*.jpg *.jpeg *.png *.webp *.heic *.heif);;All files (*)"
THUMB = 96


class StarRating(QWidget):
    """One to five stars (or none); keyboard: Left/Right, digits 0-5."""

    changed = Signal(int)  # 0: no rating

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("star-rating")
        self.setAccessibleName("Rating")
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(2)
        self._value = 0
        self.buttons: list[QToolButton] = []
        group = QButtonGroup(self)
        group.setExclusive(False)
        for n in range(1, 6):
            b = QToolButton()
            b.setObjectName(f"star-{n}")
            b.setAutoRaise(True)
            b.setToolTip(f"{n} star{'s' * (n > 1)}")
            b.setAccessibleName(f"{n} star{'s' * (n > 1)}")
            b.clicked.connect(lambda _=False, v=n: self.set_value(0 if v == self._value else v))
            layout.addWidget(b)
            self.buttons.append(b)
        layout.addStretch(1)
        self._paint()

    def value(self) -> int:
        return self._value

    def set_value(self, value: int) -> None:
        value = max(0, min(5, int(value)))
        if value != self._value:
            self._value = value
            self._paint()
            self.changed.emit(value)

    def _paint(self) -> None:
        for n, b in enumerate(self.buttons, start=1):
            b.setText("\u2605" if n <= self._value else "\u2606")
            font = b.font()
            font.setPointSizeF(max(font.pointSizeF(), 9.0) * 1.6)
            b.setFont(font)

    def keyPressEvent(self, event: Any) -> None:
        key = event.key()
        if key in (Qt.Key.Key_Right, Qt.Key.Key_Up):
            self.set_value(self._value + 1)
        elif key in (Qt.Key.Key_Left, Qt.Key.Key_Down):
            self.set_value(self._value - 1)
        elif Qt.Key.Key_0 <= key <= Qt.Key.Key_5:
            self.set_value(key - Qt.Key.Key_0)
        else:
            super().keyPressEvent(event)


def load_thumbnail(path: Path, size: int = THUMB) -> QImage:
    """A thumbnail read from disk (QImage is safe off the GUI thread)."""
    image = QImage(str(path))
    if image.isNull():
        return image
    return image.scaled(size, size, Qt.AspectRatioMode.KeepAspectRatio,
                        Qt.TransformationMode.SmoothTransformation)


class PhotoStrip(QListWidget):
    """Photos as thumbnails; drag to reorder, Delete to remove.

    ``run`` runs a function off the GUI thread and calls back on it (the
    reviews bridge's :meth:`~ui.reviews.bridge.ReviewsBridge.run`)."""

    photos_changed = Signal()

    def __init__(self, run: Callable[..., Any], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._run = run
        self.setObjectName("photo-strip")
        self.setAccessibleName("Photos")
        self.setViewMode(QListView.ViewMode.IconMode)
        self.setIconSize(QSize(THUMB, THUMB))
        self.setGridSize(QSize(THUMB + 24, THUMB + 36))
        self.setFlow(QListView.Flow.LeftToRight)
        self.setWrapping(False)
        self.setMovement(QListView.Movement.Snap)
        self.setDragDropMode(QAbstractItemView.DragDropMode.InternalMove)
        self.setDefaultDropAction(Qt.DropAction.MoveAction)
        self.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.setMinimumHeight(THUMB + 44)
        self.setMaximumHeight(THUMB + 52)
        self.model().rowsMoved.connect(lambda *_: self.photos_changed.emit())

    def paths(self) -> list[Path]:
        return [Path(self.item(i).data(Qt.ItemDataRole.UserRole)) for i in range(self.count())]

    def add_paths(self, paths: list[Path]) -> None:
        have = set(self.paths())
        added = False
        for path in paths:
            if path in have:
                continue
            item = QListWidgetItem(path.name)
            item.setData(Qt.ItemDataRole.UserRole, str(path))
            item.setToolTip(str(path))
            item.setFlags(item.flags() & ~Qt.ItemFlag.ItemIsDropEnabled)
            self.addItem(item)
            self._run(lambda p=path: load_thumbnail(p),
                      lambda image, it=item: self._set_icon(it, image))
            added = True
        if added:
            self.photos_changed.emit()

    def _set_icon(self, item: QListWidgetItem, image: QImage) -> None:
        if self.row(item) < 0:
            return  # removed meanwhile
        if image.isNull():
            item.setText(item.text() + " (unreadable)")
            return
        item.setIcon(QIcon(QPixmap.fromImage(image)))

    def remove_selected(self) -> None:
        rows = sorted((self.row(i) for i in self.selectedItems()), reverse=True)
        for row in rows:
            self.takeItem(row)
        if rows:
            self.photos_changed.emit()

    def keyPressEvent(self, event: Any) -> None:
        if event.key() in (Qt.Key.Key_Delete, Qt.Key.Key_Backspace):
            self.remove_selected()
        else:
            super().keyPressEvent(event)
