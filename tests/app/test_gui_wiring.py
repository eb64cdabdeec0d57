"""The UI half of the composition root: known errors become a message in the
status bar, bugs become a crash report (and the crash dialog)."""

from __future__ import annotations

import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtWidgets import QApplication

from app import logs, paths, services
from app.gui import build_window
from app.notify import KnownError


class PrinterUnpluggedError(Exception):
    pass


@pytest.fixture
def wired(qtbot, tmp_path: Path) -> Iterator[tuple[services.Services, object]]:  # type: ignore[no-untyped-def]
    saved_hooks = sys.excepthook, threading.excepthook
    svc = services.build(paths.from_basedir(tmp_path), logs.RingBuffer())
    svc.errors.register_known(PrinterUnpluggedError)
    window = build_window(QApplication.instance(), svc, no_error_dialogs=False)
    qtbot.addWidget(window)
    yield svc, window
    sys.excepthook, threading.excepthook = saved_hooks
    svc.shutdown()


def _raise(exc: BaseException) -> None:
    try:
        raise exc
    except BaseException as caught:
        sys.excepthook(type(caught), caught, caught.__traceback__)


def test_known_error_is_a_status_message_not_a_crash(qtbot, wired) -> None:  # type: ignore[no-untyped-def]
    svc, window = wired
    _raise(PrinterUnpluggedError("Printer 'prusa' was unplugged"))
    qtbot.waitUntil(lambda: "unplugged" in window.status_text())
    assert not svc.paths.crash_dir.exists()


def test_app_known_error_base_is_known(qtbot, wired) -> None:  # type: ignore[no-untyped-def]
    _svc, window = wired
    _raise(KnownError("bad file"))
    qtbot.waitUntil(lambda: "bad file" in window.status_text())


def test_a_bug_writes_a_crash_report_and_opens_the_crash_dialog(qtbot, wired) -> None:  # type: ignore[no-untyped-def]
    from ui.dialogs import CrashDialog

    svc, window = wired
    _raise(ZeroDivisionError("boom"))
    reports = list(svc.paths.crash_dir.glob("crash-*.txt"))
    assert len(reports) == 1
    assert "ZeroDivisionError: boom" in reports[0].read_text()
    qtbot.waitUntil(lambda: window.findChild(CrashDialog) is not None)
    dialog = window.findChild(CrashDialog)
    assert "ZeroDivisionError" in dialog.details.toPlainText()


def test_a_bug_in_a_worker_thread_is_reported_too(qtbot, wired) -> None:  # type: ignore[no-untyped-def]
    svc, _window = wired

    def work() -> None:
        raise ValueError("worker bug")

    t = threading.Thread(target=work)
    t.start()
    t.join()
    reports = list(svc.paths.crash_dir.glob("crash-*.txt"))
    assert reports and "worker bug" in reports[0].read_text()


def test_the_history_area_is_installed_once_the_database_is_open(qtbot, wired) -> None:  # type: ignore[no-untyped-def]
    from ui.history.page import HistoryArea

    _svc, window = wired
    qtbot.waitUntil(lambda: isinstance(window.pages["history"], HistoryArea), timeout=60_000)
    area = window.pages["history"]
    qtbot.waitUntil(lambda: area.model.total == 0, timeout=60_000)  # an empty history
