from __future__ import annotations

from PySide6.QtGui import QPalette
from PySide6.QtWidgets import QApplication

from ui import theme


def test_dark_and_light_choices_show_whatever_the_platform(qapp: QApplication) -> None:
    try:
        theme.apply(qapp, "dark")
        assert qapp.palette().color(QPalette.ColorRole.Window).lightness() < 80
        theme.apply(qapp, "light")
        assert qapp.palette().color(QPalette.ColorRole.Window).lightness() > 180
    finally:
        theme.apply(qapp, "system")
