"""Print-end notifications: the system tray where there is one, else the
app's notifier (the status bar), which also keeps them in its history.

Under the offscreen platform and on desktops without a status notifier,
``QSystemTrayIcon.isSystemTrayAvailable()`` is False: the messages then go
to the notifier only (logged once)."""

from __future__ import annotations

import logging
from collections.abc import Callable

from PySide6.QtCore import QObject
from PySide6.QtGui import QIcon
from PySide6.QtWidgets import QApplication, QStyle, QSystemTrayIcon

from ui.farm.bridge import JobEnd

log = logging.getLogger(__name__)


#: Posts a message to the app's notifier: ``post(text, level)`` with level
#: one of "info", "success", "warning", "error".
Post = Callable[[str, str], None]


def describe(end: JobEnd) -> tuple[str, str, str]:
    """(title, text, level) for a job end."""
    if end.outcome == "completed":
        return (f"{end.printer}: print finished", f"{end.job} finished on {end.printer}.",
                "success")
    if end.outcome == "cancelled":
        return (f"{end.printer}: print cancelled", f"{end.job} was cancelled on {end.printer}.",
                "warning")
    why = f": {end.reason}" if end.reason else ""
    verb = "failed" if end.outcome == "failed" else "stopped"
    return (f"{end.printer}: print {verb}", f"{end.job} {verb} on {end.printer}{why}", "error")


class TrayNotifier(QObject):
    """``notify(end)`` shows a job end in the tray (and always posts it to the
    notifier, so the status bar and the message history have it too)."""

    def __init__(self, post: Post, *, icon: QIcon | None = None,
                 use_tray: bool | None = None, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.post = post
        available = QSystemTrayIcon.isSystemTrayAvailable() if use_tray is None else use_tray
        self.tray: QSystemTrayIcon | None = None
        if available:
            if icon is None or icon.isNull():
                app = QApplication.instance()
                style = app.style() if isinstance(app, QApplication) else None
                icon = style.standardIcon(QStyle.StandardPixmap.SP_ComputerIcon) if style \
                    else QIcon()
            self.tray = QSystemTrayIcon(icon, self)
            self.tray.setToolTip("Layerline")
            self.tray.show()
        else:
            log.info("no system tray here: print-end notifications go to the status bar")
        self.shown: list[tuple[str, str]] = []

    def notify(self, end: JobEnd) -> None:
        title, text, level = describe(end)
        self.post(text, level)
        if self.tray is not None:
            icon = {"success": QSystemTrayIcon.MessageIcon.Information,
                    "warning": QSystemTrayIcon.MessageIcon.Warning}.get(
                        level, QSystemTrayIcon.MessageIcon.Critical)
            self.tray.showMessage(title, text, icon, 10_000)
        self.shown.append((title, text))

    def close(self) -> None:
        if self.tray is not None:
            self.tray.hide()
