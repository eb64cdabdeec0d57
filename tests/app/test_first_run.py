"""The first-run set-up guide, walked with pytest-qt through the real window
wiring (app.gui) and real peers: the virtual printer behind a pty, the demo
printer, and a real OctoPrint 1.11 server."""

from __future__ import annotations

import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtWidgets import QApplication, QWizard

from app import logs, paths, services
from app.gui import build_window, setup_done
from printers.firmware import FirmwareConfig
from printers.virtual import VirtualPrinter
from tests.helpers.octoprint_server import (
    ADMIN_PASSWORD,
    ADMIN_USER,
    OctoPrintServer,
    OctoPrintSetupError,
)
from ui.setup_wizard import SetupWizard

WAIT_MS = 60_000  # a loaded 2-core machine


@pytest.fixture
def wired(qtbot, tmp_path: Path) -> Iterator[tuple[services.Services, Any]]:  # type: ignore[no-untyped-def]
    saved_hooks = sys.excepthook, threading.excepthook
    svc = services.build(paths.from_basedir(tmp_path / "base"), logs.RingBuffer())
    window = build_window(QApplication.instance(), svc, no_error_dialogs=True)
    qtbot.addWidget(window)
    yield svc, window
    sys.excepthook, threading.excepthook = saved_hooks
    svc.shutdown()


@pytest.fixture(scope="module")
def octoprint_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[OctoPrintServer]:
    try:
        server = OctoPrintServer(tmp_path_factory.mktemp("octoprint"))
        server.start()
    except OctoPrintSetupError as exc:
        pytest.fail(f"the real OctoPrint server could not be set up:\n{exc}", pytrace=False)
    try:
        yield server
    finally:
        server.stop()


def _open(qtbot, window: Any) -> SetupWizard:  # type: ignore[no-untyped-def]
    wizard = window.open_setup_guide()
    assert isinstance(wizard, SetupWizard)
    qtbot.waitUntil(wizard.isVisible)
    assert wizard.currentPage() is wizard.intro_page
    wizard.next()
    assert wizard.currentPage() is wizard.printer_page
    return wizard


def _next_until(qtbot, wizard: SetupWizard, page: object) -> None:  # type: ignore[no-untyped-def]
    wizard.next()
    qtbot.waitUntil(lambda: wizard.currentPage() is page or wizard.currentPage().error.isVisible(),
                    timeout=WAIT_MS)
    if wizard.currentPage() is not page:
        pytest.fail(f"the step failed: {wizard.currentPage().error.text()}")


def test_serial_printer_folders_and_finish(qtbot, wired, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    svc, window = wired
    vp = VirtualPrinter(FirmwareConfig(latency=0.001, command_time=0.0002)).start()
    try:
        wizard = _open(qtbot, window)
        page = wizard.printer_page
        assert page.kind() == "serial"
        # Ports are found on the worker thread; a pty is not listed, so type it.
        qtbot.waitUntil(page.rescan.isEnabled, timeout=WAIT_MS)
        page.serial_name.setText("Bench")
        page.serial_port.setEditText(vp.path)
        _next_until(qtbot, wizard, wizard.folders_page)
        (rec,) = svc.printers.printers()
        assert (rec.name, rec.port, rec.baud) == ("Bench", vp.path, 115200)
        # The stored printer is the real one at the end of the pty.
        conn = svc.printers.connection("Bench")
        conn.connect()
        assert conn.wait_for(lambda s: s.link.value == "operational", 30)

        models = tmp_path / "models"
        models.mkdir()
        wizard.folders_page.add_folder(str(models))
        with qtbot.waitSignal(window.files_opened, timeout=WAIT_MS) as opened:
            wizard.next()
        assert opened.args == [[models]]
        assert wizard.currentPage() is wizard.marketplace_page
        wizard.next()  # no user name: signing in is skipped
        assert wizard.currentPage() is wizard.done_page
        assert "Bench" in wizard.done_page.summary.text()
        with qtbot.waitSignal(wizard.closed, timeout=WAIT_MS) as closed:
            wizard.button(QWizard.WizardButton.FinishButton).click()
        result = closed.args[0]
        assert result.completed and result.printer == "Bench"
        assert svc.settings.settings.library.folders == [str(models)]
        assert setup_done(svc)
        assert window.current_area() == "printers"
    finally:
        vp.stop()


def test_demo_printer_for_a_newcomer(qtbot, wired) -> None:  # type: ignore[no-untyped-def]
    svc, window = wired
    wizard = _open(qtbot, window)
    wizard.printer_page.kind_buttons["demo"].click()
    _next_until(qtbot, wizard, wizard.folders_page)
    assert wizard.result.printer == "Virtual Marlin"
    (conn,) = svc.printers.connections()
    assert conn.status.link.value == "operational"


def test_octoprint_login_gets_a_key_into_the_secret_store(  # type: ignore[no-untyped-def]
        qtbot, wired, octoprint_server: OctoPrintServer) -> None:
    svc, window = wired
    wizard = _open(qtbot, window)
    page = wizard.printer_page
    page.kind_buttons["octoprint"].click()
    page.op_name.setText("Octo")
    page.op_url.setText(octoprint_server.url)
    page.op_user.setText(ADMIN_USER)

    # A wrong password: OctoPrint's own refusal, shown on the page; nothing kept.
    page.op_password.setText("not-the-password")
    wizard.next()
    qtbot.waitUntil(page.error.isVisible, timeout=WAIT_MS)
    assert "refused the login" in page.error.text()
    assert wizard.currentPage() is page
    assert svc.secrets.get("octoprint-key:Octo") is None

    page.op_password.setText(ADMIN_PASSWORD)
    _next_until(qtbot, wizard, wizard.folders_page)
    key = svc.secrets.get("octoprint-key:Octo")
    assert key
    (rec,) = [p for p in svc.printers.printers() if p.name == "Octo"]
    assert (rec.kind, rec.url) == ("octoprint", octoprint_server.url)
    assert svc.secrets.get(rec.secret_name) == key
    assert page.op_password.text() == ""  # the password is not kept
    # The key works: OctoPrint answers an authenticated call with it.
    import httpx

    r = httpx.get(f"{octoprint_server.url}/api/currentuser", headers={"X-Api-Key": key},
                  timeout=15)
    assert r.status_code == 200 and r.json()["name"] == ADMIN_USER


def test_skipping_is_remembered_and_the_guide_stays_in_the_menu(qtbot, wired) -> None:  # type: ignore[no-untyped-def]
    svc, window = wired
    assert not setup_done(svc)
    wizard = _open(qtbot, window)
    with qtbot.waitSignal(wizard.closed, timeout=WAIT_MS) as closed:
        wizard.button(QWizard.WizardButton.CancelButton).click()
    assert not closed.args[0].completed
    assert setup_done(svc)
    assert svc.printers.printers() == []
    assert window.action_setup.isEnabled()
    again = window.open_setup_guide()
    assert isinstance(again, SetupWizard) and again is not wizard
    qtbot.waitUntil(again.isVisible)
    again.reject()


def test_a_failed_sign_in_is_shown_and_can_be_skipped(qtbot, wired) -> None:  # type: ignore[no-untyped-def]
    from tests.helpers.octoprint_server import free_port

    _svc, window = wired
    wizard = _open(qtbot, window)
    wizard.printer_page.kind_buttons["none"].click()
    wizard.next()
    assert wizard.currentPage() is wizard.folders_page
    wizard.next()
    page = wizard.marketplace_page
    page.url.setText(f"http://127.0.0.1:{free_port()}")  # nobody listens there
    page.user.setText("maker")
    page.password.setText("secret")
    wizard.next()
    qtbot.waitUntil(page.error.isVisible, timeout=WAIT_MS)
    assert wizard.currentPage() is page
    page.user.clear()
    wizard.next()
    assert wizard.currentPage() is wizard.done_page
    assert "not signed in" in wizard.done_page.summary.text()
