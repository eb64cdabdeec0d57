from __future__ import annotations

from pathlib import Path

import pytest

from app.notify import Notifier
from ui.bridges import NotifierBridge
from ui.main_window import MainWindow


@pytest.fixture
def notifier() -> Notifier:
    return Notifier()


@pytest.fixture
def window(qtbot, tmp_path: Path, notifier: Notifier) -> MainWindow:  # type: ignore[no-untyped-def]
    calls: list[str] = []
    bridge = NotifierBridge(notifier)
    w = MainWindow(
        notifier_bridge=bridge,
        geometry_file=tmp_path / "window.ini",
        open_settings=lambda: calls.append("settings"),
        open_log=lambda: calls.append("log"),
        show_about=lambda: calls.append("about"),
    )
    bridge.setParent(w)
    w.calls = calls  # type: ignore[attr-defined]
    qtbot.addWidget(w)
    return w
