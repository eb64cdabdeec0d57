from __future__ import annotations

import threading
from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtGui import QKeySequence
from PySide6.QtTest import QTest

from app.notify import Level, Notifier
from ui.bridges import NotifierBridge
from ui.main_window import MainWindow


def test_shortcuts_switch_between_the_four_areas(qtbot, window: MainWindow) -> None:  # type: ignore[no-untyped-def]
    with qtbot.waitActive(window):
        window.show()
        window.activateWindow()
    for n, key in enumerate(["library", "printers", "history", "marketplace"], start=1):
        QTest.keySequence(window, QKeySequence(f"Ctrl+{n}"))
        assert window.current_area() == key
        assert window.stack.currentWidget() is window.pages[key]


def test_clicking_the_navigation_changes_the_page(qtbot, window: MainWindow) -> None:  # type: ignore[no-untyped-def]
    window.nav.setCurrentRow(3)
    assert window.current_area() == "marketplace"


def test_messages_posted_from_a_worker_thread_reach_the_status_bar(
    qtbot, window: MainWindow, notifier: Notifier
) -> None:  # type: ignore[no-untyped-def]
    t = threading.Thread(target=notifier.post, args=("Printer unplugged", Level.ERROR))
    t.start()
    t.join()
    qtbot.waitUntil(lambda: "Printer unplugged" in window.status_text())
    assert window.status_text().startswith("\u2716")


def test_menu_actions_call_their_handlers(qtbot, window: MainWindow) -> None:  # type: ignore[no-untyped-def]
    window.action_settings.trigger()
    window.action_log.trigger()
    assert window.calls == ["settings", "log"]  # type: ignore[attr-defined]


def test_open_files_emits_paths(qtbot, window: MainWindow, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    with qtbot.waitSignal(window.files_opened) as blocker:
        window.open_files([tmp_path / "a.stl"])
    assert blocker.args == [[tmp_path / "a.stl"]]


def test_geometry_and_area_are_restored(qtbot, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    def make() -> MainWindow:
        w = MainWindow(notifier_bridge=NotifierBridge(Notifier()),
                       geometry_file=tmp_path / "g.ini", open_settings=lambda: None,
                       open_log=lambda: None, show_about=lambda: None)
        qtbot.addWidget(w)
        return w

    first = make()
    with qtbot.waitExposed(first):
        first.show()
    first.resize(700, 500)
    qtbot.waitUntil(lambda: first.width() == 700)
    first.show_area("history")
    first.save_geometry()
    second = make()
    with qtbot.waitExposed(second):
        second.show()
    assert second.current_area() == "history"
    assert (second.width(), second.height()) == (700, 500)


def test_every_area_has_an_empty_state_hint(window: MainWindow) -> None:
    from PySide6.QtWidgets import QLabel

    for key, page in window.pages.items():
        hint = page.findChild(QLabel, "empty-hint")
        assert hint is not None and hint.text(), key
        assert hint.alignment() & Qt.AlignmentFlag.AlignCenter


def test_replacing_the_current_area_page_keeps_it_shown(window) -> None:  # type: ignore[no-untyped-def]
    from PySide6.QtWidgets import QLabel

    window.show_area("library")
    page = QLabel("the library")
    window.set_area_page("library", page)
    assert window.stack.currentWidget() is page
    assert window.current_area() == "library"
