"""Light/dark: follow the system unless the user chose one.

Fusion is used everywhere.  Where the platform can switch its colour scheme,
``QStyleHints.setColorScheme`` does it; where it cannot (X11 without a desktop
theme, the offscreen platform), an explicit palette is applied so that the
user's choice always shows.
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QPalette
from PySide6.QtWidgets import QApplication

_SCHEMES = {
    "system": Qt.ColorScheme.Unknown,
    "light": Qt.ColorScheme.Light,
    "dark": Qt.ColorScheme.Dark,
}


def dark_palette() -> QPalette:
    p = QPalette()
    role = QPalette.ColorRole
    group = QPalette.ColorGroup
    colours = {
        role.Window: "#2b2d30", role.WindowText: "#e6e6e6", role.Base: "#1f2023",
        role.AlternateBase: "#27292c", role.ToolTipBase: "#3a3d41", role.ToolTipText: "#f0f0f0",
        role.PlaceholderText: "#8a8d91", role.Text: "#e6e6e6", role.Button: "#35373b",
        role.ButtonText: "#e6e6e6", role.BrightText: "#ff6b6b", role.Light: "#4a4d52",
        role.Midlight: "#3e4145", role.Mid: "#2f3134", role.Dark: "#1a1b1d",
        role.Shadow: "#0d0d0e", role.Highlight: "#3d7bd9", role.HighlightedText: "#ffffff",
        role.Link: "#6ea8ff", role.LinkVisited: "#b192ff",
    }
    for r, c in colours.items():
        p.setColor(r, QColor(c))
    for r in (role.WindowText, role.Text, role.ButtonText):
        p.setColor(group.Disabled, r, QColor("#7d8085"))
    return p


def effective_scheme(app: QApplication, theme: str) -> Qt.ColorScheme:
    if theme in ("light", "dark"):
        return _SCHEMES[theme]
    return app.styleHints().colorScheme()


def apply(app: QApplication, theme: str) -> None:
    """Apply ``theme`` ("system", "light" or "dark")."""
    if app.style().name().lower() != "fusion":
        app.setStyle("Fusion")
    app.styleHints().setColorScheme(_SCHEMES.get(theme, Qt.ColorScheme.Unknown))
    if effective_scheme(app, theme) == Qt.ColorScheme.Dark:
        app.setPalette(dark_palette())
    else:
        app.setPalette(app.style().standardPalette())
