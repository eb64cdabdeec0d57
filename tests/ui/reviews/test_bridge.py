"""The reviews bridge: results and errors on the GUI thread; a result for a
widget deleted meanwhile is dropped; nothing runs after close."""

from __future__ import annotations

import threading
from typing import Any

from PySide6.QtWidgets import QLabel

from tests.ui.reviews.conftest import Desk


def test_results_and_errors_come_back_on_the_gui_thread(qtbot: Any, desk: Desk) -> None:
    gui = threading.get_ident()
    seen: list[tuple[str, bool]] = []
    desk.bridge.run(threading.get_ident, lambda t: seen.append(("done", t != gui)))

    def boom() -> None:
        raise OSError("disk full")

    desk.bridge.run(boom, error=lambda exc: seen.append((str(exc), threading.get_ident()
                                                         == gui)))
    with qtbot.waitSignal(desk.bridge.failed, timeout=5000) as sig:
        desk.bridge.run(boom)  # no error callback: a message
    assert sig.args == ["disk full"]
    assert seen == [("done", True), ("disk full", True)]


def test_a_result_for_a_deleted_widget_is_dropped(qtbot: Any, desk: Desk) -> None:
    label = QLabel()
    gate = threading.Event()
    desk.bridge.run(lambda: gate.wait(5) and "late", label.setText)
    label.deleteLater()
    qtbot.waitUntil(lambda: not _alive(label), timeout=5000)
    gate.set()
    with qtbot.waitSignal(desk.bridge.outbox_changed, timeout=5000):
        desk.bridge.run(lambda: desk.service.feedback("after the label"))  # still working


def test_nothing_runs_after_close(desk: Desk) -> None:
    desk.bridge.close()
    assert desk.bridge.run(lambda: 1).cancelled()


def _alive(widget: Any) -> bool:
    import shiboken6

    return bool(shiboken6.isValid(widget))
