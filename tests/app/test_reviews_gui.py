"""The reviews half of the window, wired to the app's own services and the
marketplace on loopback: the Marketplace area is installed once the database
is open; a job that ends opens the end-of-print dialog, whose verdict is
stored with the job and signed into the job's receipt; "Save and review"
opens the composer with the receipt attached; Help has "Send a suggestion"."""

from __future__ import annotations

import dataclasses
import shutil
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtWidgets import QApplication

from app import logs, paths, services
from app.gui import build_window
from printers.jobs import JobSnapshot, JobState
from resources import samples_dir
from reviews.receipts import receipt_from_dict
from tests.ui.reviews.conftest import Market, market_server  # noqa: F401 (the fixture)
from ui.reviews.area import MarketplaceArea
from ui.reviews.composer import ReviewComposer
from ui.reviews.end_of_print import EndOfPrintDialog


@pytest.fixture
def wired(qtbot: Any, tmp_path: Path, market_server: Market,  # noqa: F811
          monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[services.Services, Any]]:
    monkeypatch.setenv("LAYERLINE_NO_KEYRING", "1")
    saved_hooks = sys.excepthook, threading.excepthook
    svc = services.build(paths.from_basedir(tmp_path), logs.RingBuffer())
    svc.marketplace_url_override = market_server.server.base_url
    window = build_window(QApplication.instance(), svc, no_error_dialogs=True)
    qtbot.addWidget(window)
    yield svc, window
    sys.excepthook, threading.excepthook = saved_hooks
    svc.shutdown()


def ended_job(svc: services.Services, gcode: Path) -> JobSnapshot:
    store = svc.printers.store
    job_id = store.create_job(None, "Virtual MK3", str(gcode), lines_total=3,
                              bytes_total=30, layers_total=1, slicer_estimate=None)
    now = time.time()
    snap = JobSnapshot(id=job_id, printer="Virtual MK3", file=str(gcode),
                       state=JobState.COMPLETED, reason=None, lines_total=3, lines_confirmed=3,
                       bytes_total=30, bytes_confirmed=30, layer=1, layers_total=1,
                       started_at=now - 60, ended_at=now, elapsed=60, eta=None,
                       slicer_estimate=None)
    store.save_job(snap)
    return snap


def test_a_job_ends_verdict_receipt_and_review(qtbot: Any, wired: Any, tmp_path: Path) -> None:
    svc, window = wired
    gui = window.reviews_gui
    qtbot.waitUntil(lambda: gui.is_ready, timeout=30000)
    area = window.pages["marketplace"]
    assert isinstance(area, MarketplaceArea)
    assert gui.action_feedback.text().startswith("Send a")
    name = "g" + uuid.uuid4().hex[:10]
    svc.reviews.register(name, "a-good-password", email=f"{name}@example.invalid")
    gui.bridge.refresh_account()
    qtbot.waitUntil(lambda: gui.bridge.account is not None, timeout=20000)

    gcode = tmp_path / "cube.gcode"
    shutil.copyfile(samples_dir() / "Calibration Cube_0.3mm_PLA.gcode", gcode)
    snap = ended_job(svc, gcode)
    from app import reviews_glue

    receipt = reviews_glue.record_job(svc, snap.id)  # what the job listener does
    assert receipt is not None
    # The printers bridge says the job ended: the dialog asks.
    gui.job_ended(snap)
    dlg = window.findChild(EndOfPrintDialog)
    assert dlg is not None and dlg.isVisible() and dlg.good.isChecked()
    dlg.share.setChecked(True)  # and share the settings of the G-code that ran
    with qtbot.waitSignal(dlg.confirmed, timeout=20000):
        dlg.review_button.click()
    job = svc.printers.store.job(snap.id)
    assert job.verdict == "good"
    item = svc.reviews.outbox.get(receipt.id)
    assert receipt_from_dict({k: v for k, v in item.payload["receipt"].items()}).verdict == "good"
    # "Save and review": the composer, with the receipt attached.
    qtbot.waitUntil(lambda: window.findChild(ReviewComposer) is not None, timeout=20000)
    composer = window.findChild(ReviewComposer)
    assert composer.receipt_item_id == receipt.id
    # The print was not linked to a marketplace model: the user picks it.
    qtbot.waitUntil(lambda: composer.current is not None, timeout=20000)
    composer.stars.set_value(5)
    with qtbot.waitSignal(composer.submitted, timeout=20000) as sub:
        composer.submit_button.click()
    model_id = sub.args[0].payload["model_id"]
    # The receipt waited for the review and is signed again with its model.
    signed = svc.reviews.outbox.get(receipt.id).payload["receipt"]
    assert (signed["model_id"], signed["verdict"]) == (model_id, "good")
    # ... and the print profile follows, for the same model, from the G-code.
    qtbot.waitUntil(lambda: svc.reviews.outbox.items(kind="profile") != [], timeout=20000)
    (profile,) = svc.reviews.outbox.items(kind="profile")
    assert profile.payload["model_id"] == model_id
    assert (profile.payload["material"], profile.payload["layer_height"]) == ("PLA", 0.3)
    assert profile.payload["infill_density"] == 10


def test_a_bad_verdict_before_the_receipt_exists(qtbot: Any, wired: Any, tmp_path: Path) -> None:
    """The job's receipt is not recorded yet (or nobody is signed in): the
    verdict is kept with the job all the same."""
    svc, window = wired
    gui = window.reviews_gui
    qtbot.waitUntil(lambda: gui.is_ready, timeout=30000)
    gcode = tmp_path / "boat.gcode"
    gcode.write_text("G28\n")
    snap = ended_job(svc, gcode)
    gui.job_ended(snap)
    dlg = window.findChild(EndOfPrintDialog)
    dlg.bad.setChecked(True)
    dlg.reason.setCurrentText("Layer shift")
    with qtbot.waitSignal(dlg.confirmed, timeout=20000):
        dlg.save_button.click()
    job = svc.printers.store.job(snap.id)
    assert (job.verdict, job.verdict_reason) == ("bad", "Layer shift")
    assert svc.reviews.receipt_for_job(snap.id) is None  # signed out: no receipt
    dlg.close()
    # A job still running opens nothing.
    gui.job_ended(dataclasses.replace(snap, state=JobState.PRINTING))
    assert [d for d in window.findChildren(EndOfPrintDialog) if d.isVisible()] == []
