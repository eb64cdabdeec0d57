"""The end-of-print dialog: the verdict (good, or bad with a reason), the
webcam snapshot, photos; the verdict reaches the job's print receipt."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt

from marketplace.demo import demo_photo
from reviews.receipts import receipt_from_dict
from reviews.service import FinishedJob
from tests.ui.reviews.conftest import Desk
from ui.reviews.end_of_print import (
    BAD_REASONS,
    Confirmation,
    EndedJob,
    EndOfPrintDialog,
    verdict_reason,
)


def test_reason_text() -> None:
    assert verdict_reason("Layer shift", "  at 12  mm ") == "Layer shift: at 12 mm"
    assert verdict_reason("Layer shift", "") == "Layer shift"
    assert verdict_reason("Other", "the cat") == "the cat"
    assert "Other" in BAD_REASONS


def test_good_print_confirms_the_receipt(qtbot: Any, desk: Desk) -> None:
    now = datetime.now(UTC).replace(microsecond=0)
    job = FinishedJob(file_sha256="ab" * 32, printer_kind="marlin-serial", firmware="Marlin 2.1",
                      started_at=now - timedelta(hours=1), ended_at=now, state="completed",
                      model_id=desk.demo.model_ids[0], title="cube.gcode")
    receipt_item = desk.service.record_print(job)
    assert receipt_item is not None

    def confirm(job_id: int, good: bool, reason: str | None, release: bool) -> object:
        assert job_id == 7 and release  # "Save": the receipt goes now
        return desk.service.confirm_print(receipt_item.id, "good" if good else "bad", reason)

    dlg = EndOfPrintDialog(EndedJob(7, "Virtual MK3", "/x/cube.gcode", "completed"),
                           desk.bridge, confirm=confirm)
    qtbot.addWidget(dlg)
    assert dlg.good.isChecked() and not dlg.bad_box.isEnabled()
    assert not dlg.snapshot_button.isVisibleTo(dlg)  # no camera, no button
    with qtbot.waitSignal(dlg.confirmed, timeout=10000) as sig:
        qtbot.mouseClick(dlg.save_button, Qt.MouseButton.LeftButton)
    answer: Confirmation = sig.args[0]
    assert (answer.good, answer.reason, answer.review) == (True, None, False)
    item = desk.service.outbox.get(receipt_item.id)
    receipt = receipt_from_dict(item.payload["receipt"])
    assert receipt.verdict == "good"
    assert item.next_attempt_at <= item.updated_at + 1  # released: no longer held


def test_bad_print_with_reason_snapshot_and_review(qtbot: Any, desk: Desk,
                                                   tmp_path: Path) -> None:
    calls: list[tuple[int, bool, str | None, bool]] = []
    shots: list[int] = []

    def webcam() -> bytes:
        shots.append(1)
        return demo_photo(11)

    dlg = EndOfPrintDialog(EndedJob(3, "Virtual", "boat.gcode", "failed", "thermal runaway"),
                           desk.bridge, confirm=lambda *a: calls.append(a), webcam=webcam)
    qtbot.addWidget(dlg)
    # The snapshot is offered at once where there is a camera.
    qtbot.waitUntil(lambda: dlg.photos.count() == 1, timeout=10000)
    assert shots == [1] and dlg.snapshot_button.isVisibleTo(dlg)
    assert dlg.bad.isChecked() and dlg.bad_box.isEnabled()
    assert dlg.reason.currentText() == "Printer error or stopped"
    photo = tmp_path / "phone.jpg"
    photo.write_bytes(demo_photo(12))
    dlg.photos.add_paths([photo])
    dlg.reason.setCurrentText("Layer shift")
    qtbot.keyClicks(dlg.details, "at 40 mm")
    with qtbot.waitSignal(dlg.confirmed, timeout=10000) as sig:
        qtbot.mouseClick(dlg.review_button, Qt.MouseButton.LeftButton)
    answer: Confirmation = sig.args[0]
    assert calls == [(3, False, "Layer shift: at 40 mm", False)]  # held for the review
    assert answer.review and len(answer.photos) == 2 and answer.photos[1] == photo
    assert dlg.result() == dlg.DialogCode.Accepted


def test_a_failed_save_keeps_the_dialog_open(qtbot: Any, desk: Desk) -> None:
    def confirm(*_a: object) -> None:
        raise OSError("disk full")

    dlg = EndOfPrintDialog(EndedJob(1, "P", "a.gcode", "completed"), desk.bridge,
                           confirm=confirm)
    qtbot.addWidget(dlg)
    dlg.show()
    qtbot.mouseClick(dlg.save_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: "disk full" in dlg.status.text(), timeout=10000)
    assert dlg.isVisible() and dlg.save_button.isEnabled()
