"""The four areas of the main window.

Each area is a page in the main window's stack.  Until its own part of
Layerline fills it, an area shows what it will hold and how to get started.
"""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import Qt
from PySide6.QtGui import QFont
from PySide6.QtWidgets import QLabel, QStyle, QVBoxLayout, QWidget


@dataclass(frozen=True, slots=True)
class AreaInfo:
    key: str
    title: str
    icon: QStyle.StandardPixmap
    summary: str
    empty_hint: str


AREAS: tuple[AreaInfo, ...] = (
    AreaInfo(
        "library", "Library", QStyle.StandardPixmap.SP_DirIcon,
        "Your model files: STL, 3MF, OBJ and G-code, with their facts, settings and licences.",
        "No models yet. Import files or folders with File \u25b8 Import (Ctrl+I), "
        "or drop them on this window.",
    ),
    AreaInfo(
        "printers", "Printers", QStyle.StandardPixmap.SP_ComputerIcon,
        "USB serial and OctoPrint printers: state, temperatures, jobs and console.",
        "No printers yet. Add a USB serial printer or an OctoPrint server to get started.",
    ),
    AreaInfo(
        "history", "Queue && History", QStyle.StandardPixmap.SP_FileDialogDetailedView,
        "The print queue across your printers, and every job that ran, with its outcome.",
        "Nothing printed yet. Jobs appear here as they are queued and run.",
    ),
    AreaInfo(
        "marketplace", "Marketplace", QStyle.StandardPixmap.SP_DriveNetIcon,
        "Reviews, print profiles, points and reputation on the model marketplace.",
        "Not signed in. Sign in to share reviews and print profiles.",
    ),
)


class PlaceholderArea(QWidget):
    """An area's page before its content exists: a title, a summary and a hint."""

    def __init__(self, info: AreaInfo, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName(f"area-{info.key}")
        self.setAccessibleName(info.title.replace("&&", "&"))
        layout = QVBoxLayout(self)
        layout.setContentsMargins(32, 24, 32, 24)
        title = QLabel(info.title.replace("&&", "&"))
        font = QFont(title.font())
        font.setPointSizeF(font.pointSizeF() * 1.6)
        font.setBold(True)
        title.setFont(font)
        summary = QLabel(info.summary)
        summary.setWordWrap(True)
        hint = QLabel(info.empty_hint)
        hint.setObjectName("empty-hint")
        hint.setWordWrap(True)
        hint.setAlignment(Qt.AlignmentFlag.AlignCenter)
        hint.setEnabled(False)  # drawn in the palette's muted text colour
        layout.addWidget(title)
        layout.addWidget(summary)
        layout.addStretch(1)
        layout.addWidget(hint)
        layout.addStretch(2)
