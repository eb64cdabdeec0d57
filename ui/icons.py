"""The app's icons, from one well-kept set: Material Design Icons through
qtawesome, tinted with the palette's text colour (so they follow the light
and dark themes).

qtawesome loads its icon fonts on first use (a few hundred milliseconds on a
slow machine), so the main window paints with Qt's standard icons first and
calls :func:`icon` once it has painted.  Every name used by the app is listed
in :data:`NAMES`: a test checks that each exists in the font.
"""

from __future__ import annotations

import logging

from PySide6.QtGui import QGuiApplication, QIcon, QPalette

log = logging.getLogger(__name__)

#: What each icon means -> its Material Design Icons name.
NAMES: dict[str, str] = {
    # areas
    "library": "mdi6.bookshelf",
    "printers": "mdi6.printer-3d",
    "history": "mdi6.history",
    "marketplace": "mdi6.storefront-outline",
    # actions
    "open": "mdi6.folder-open-outline",
    "import": "mdi6.tray-arrow-down",
    "quit": "mdi6.exit-to-app",
    "settings": "mdi6.cog-outline",
    "log": "mdi6.text-box-outline",
    "fullscreen": "mdi6.fullscreen",
    "setup": "mdi6.auto-fix",
    "guide": "mdi6.book-open-page-variant-outline",
    "about": "mdi6.information-outline",
    "add": "mdi6.plus",
    "remove": "mdi6.minus",
    "refresh": "mdi6.refresh",
    "search": "mdi6.magnify",
    "play": "mdi6.play",
    "pause": "mdi6.pause",
    "stop": "mdi6.stop",
    "emergency": "mdi6.alert-octagon",
    "connect": "mdi6.lan-connect",
    "disconnect": "mdi6.lan-disconnect",
    "demo": "mdi6.printer-3d-nozzle",
}


def icon(key: str) -> QIcon:
    """The icon for ``key`` (a key of :data:`NAMES`), in the palette's text
    colour; an empty icon (never an error) if the font cannot be loaded."""
    try:
        import qtawesome as qta

        palette = QGuiApplication.palette()
        return qta.icon(
            NAMES[key],
            color=palette.color(QPalette.ColorRole.WindowText),
            color_disabled=palette.color(QPalette.ColorGroup.Disabled,
                                         QPalette.ColorRole.WindowText),
        )
    except Exception as exc:  # a missing font must not break the window
        log.warning("icon %s unavailable: %s", key, exc)
        return QIcon()
