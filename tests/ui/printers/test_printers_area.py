"""The Printers area against a real virtual printer on a pty and a real
SQLite file; the bridge marshals the connection's events to the GUI thread."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from PySide6.QtCore import QThread
from sqlalchemy.orm import sessionmaker

from printers import schema
from printers.connection import LinkStatus, PrinterStatus, StatusChanged
from printers.firmware import FirmwareConfig
from printers.gcode import Reading
from printers.jobs import JobState
from printers.service import DEMO_PRINTER, PrintersService
from printers.store import PrinterStore
from tests.printers.conftest import write_gcode
from ui.printers.area import PrintersArea
from ui.printers.bridge import PrintersBridge
from ui.printers.model import PrinterListModel, StatusRole

FAST = FirmwareConfig(heat_rate_hotend=500.0, heat_rate_bed=500.0, home_time=0.01,
                      command_time=0.0005)


@pytest.fixture
def service(tmp_path: Path) -> Iterator[PrintersService]:
    engine = sa.create_engine(f"sqlite:///{tmp_path / 'l.db'}")
    schema.metadata.create_all(engine)
    sessions: sessionmaker[Any] = sessionmaker(engine, expire_on_commit=False)
    svc = PrintersService(PrinterStore(sessions))
    yield svc
    svc.shutdown()
    engine.dispose()


@pytest.fixture
def area(qtbot, service: PrintersService) -> Iterator[PrintersArea]:  # type: ignore[no-untyped-def]
    bridge = PrintersBridge(service)
    widget = PrintersArea(bridge)
    qtbot.addWidget(widget)
    yield widget
    bridge.close()


def test_printer_list_model_passes_the_model_tester(qtmodeltester) -> None:  # type: ignore[no-untyped-def]
    model = PrinterListModel()
    model.set_printers(["a", "b"])
    model.update_status(PrinterStatus("b", LinkStatus.OPERATIONAL,
                                      {"T0": Reading(200.0, 210.0), "B": Reading(59.0, 60.0)}))
    model.update_status(PrinterStatus("c", LinkStatus.ERROR, error="unplugged"))
    qtmodeltester.check(model)
    assert model.names() == ["a", "b", "c"]
    text = model.index(1).data()
    assert "operational" in text and "Hotend 200/210" in text and "Bed 59/60" in text
    assert "unplugged" in model.index(2).data()
    assert model.index(0).data(StatusRole).link is LinkStatus.DISCONNECTED
    model.set_printers(["c"])
    assert model.names() == ["c"]
    qtmodeltester.check(model)


def test_bridge_re_emits_worker_thread_events_on_the_gui_thread(qtbot, service) -> None:  # type: ignore[no-untyped-def]
    bridge = PrintersBridge(service)
    seen: list[bool] = []
    bridge.status_changed.connect(
        lambda _s: seen.append(QThread.currentThread() is bridge.thread()))
    status = PrinterStatus("x", LinkStatus.CONNECTING)
    with qtbot.waitSignal(bridge.status_changed, timeout=5000) as blocker:
        t = threading.Thread(target=service._emit, args=(StatusChanged(status),))
        t.start()
        t.join()
    assert blocker.args == [status]
    assert seen == [True]
    bridge.close()


def test_virtual_printer_shows_up_live_and_prints(qtbot, area, service, tmp_path) -> None:  # type: ignore[no-untyped-def]
    area.bridge.run(lambda: service.start_virtual(config=FAST))
    qtbot.waitUntil(lambda: DEMO_PRINTER in area.model.names(), timeout=10000)
    qtbot.waitUntil(
        lambda: (s := area.model.status(DEMO_PRINTER)) is not None
        and s.link is LinkStatus.OPERATIONAL, timeout=20000)
    page = area.page(DEMO_PRINTER)
    assert area.pages.currentWidget() is page
    assert page.start_button.isEnabled() and page.stop_button.isEnabled()
    assert not page.resume_button.isEnabled()
    page.hotend.setValue(210)
    page.hotend_button.click()
    qtbot.waitUntil(lambda: page.plot.points() >= 2, timeout=20000)
    qtbot.waitUntil(lambda: "M104 S210" in page.console.toPlainText(), timeout=10000)
    qtbot.waitUntil(lambda: "Hotend" in page.temps_label.text(), timeout=10000)

    gfile = tmp_path / "ui.gcode"
    write_gcode(gfile, 200)
    with qtbot.waitSignal(area.bridge.job_ended, timeout=60000) as blocker:
        page.start_file(gfile)
    assert blocker.args[0].state is JobState.COMPLETED
    qtbot.waitUntil(lambda: "completed" in page.job_label.text(), timeout=10000)
    assert page.progress.value() == 1000
    assert "ui.gcode" in page.job_label.text()
    assert service.store.jobs()[0].state == "completed"


def test_emergency_stop_button(qtbot, area, service, tmp_path) -> None:  # type: ignore[no-untyped-def]
    area.bridge.run(lambda: service.start_virtual(config=FirmwareConfig(command_time=0.003)))
    qtbot.waitUntil(
        lambda: (s := area.model.status(DEMO_PRINTER)) is not None
        and s.link is LinkStatus.OPERATIONAL, timeout=20000)
    page = area.page(DEMO_PRINTER)
    gfile = tmp_path / "long.gcode"
    write_gcode(gfile, 5000)
    page.start_file(gfile)
    qtbot.waitUntil(page.pause_button.isEnabled, timeout=20000)
    with qtbot.waitSignal(area.bridge.job_ended, timeout=30000) as blocker:
        page.stop_button.click()
    assert blocker.args[0].state is JobState.CANCELLED
    assert blocker.args[0].reason == "emergency stop"
    qtbot.waitUntil(lambda: "emergency stop" in page.state_label.text(), timeout=10000)


def test_pause_resume_and_cancel_buttons(qtbot, area, service, tmp_path) -> None:  # type: ignore[no-untyped-def]
    area.bridge.run(lambda: service.start_virtual(config=FirmwareConfig(command_time=0.003)))
    qtbot.waitUntil(
        lambda: (s := area.model.status(DEMO_PRINTER)) is not None
        and s.link is LinkStatus.OPERATIONAL, timeout=20000)
    page = area.page(DEMO_PRINTER)
    gfile = tmp_path / "long.gcode"
    write_gcode(gfile, 5000)
    page.start_file(gfile)
    qtbot.waitUntil(page.pause_button.isEnabled, timeout=20000)
    assert not page.home_button.isEnabled()  # no jogging while printing
    page.pause_button.click()
    qtbot.waitUntil(page.resume_button.isEnabled, timeout=20000)
    assert "paused" in page.job_label.text()
    assert page.home_button.isEnabled()  # jogging is allowed while paused
    page.resume_button.click()
    qtbot.waitUntil(page.pause_button.isEnabled, timeout=20000)
    with qtbot.waitSignal(area.bridge.job_ended, timeout=30000) as blocker:
        page.cancel_button.click()
    assert blocker.args[0].state is JobState.CANCELLED
    qtbot.waitUntil(lambda: "cancelled" in page.job_label.text(), timeout=10000)
    assert page.start_button.isEnabled()


def test_add_printer_dialog_adds_a_printer(qtbot, area, service) -> None:  # type: ignore[no-untyped-def]
    from PySide6.QtWidgets import QApplication

    from ui.printers.area import AddPrinterDialog

    area.add_button.click()
    qtbot.waitUntil(lambda: any(isinstance(w, AddPrinterDialog) and w.isVisible()
                                for w in QApplication.topLevelWidgets()), timeout=5000)
    dlg = next(w for w in QApplication.topLevelWidgets()
               if isinstance(w, AddPrinterDialog) and w.isVisible())
    dlg.name.setText("Prusa MK3")
    dlg.port.setText("/dev/ttyACM0")
    dlg.baud.setValue(250000)
    with qtbot.waitSignal(area.bridge.printers_changed, timeout=10000):
        dlg.accept()
    qtbot.waitUntil(lambda: "Prusa MK3" in area.model.names(), timeout=10000)
    rec = service.store.printer("Prusa MK3")
    assert (rec.port, rec.baud) == ("/dev/ttyACM0", 250000)


def test_controls_are_named_and_keyboard_reachable(area: PrintersArea) -> None:
    from tests.helpers.a11y import not_keyboard_reachable, unnamed_controls
    from ui.printers.printer_page import PrinterPage

    page = PrinterPage("mk3", area.bridge)
    page.setParent(area)
    for root in (area, page):
        assert unnamed_controls(root) == []
        assert not_keyboard_reachable(root) == []
