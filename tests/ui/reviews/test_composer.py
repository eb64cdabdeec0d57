"""The review composer against the marketplace on loopback: the live points
preview (REWARDS.md section 3) from the service's month-to-date figures, and
the review queued in the outbox with its photos and receipt."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt

from marketplace.demo import demo_photo
from reviews.outbox import Kind
from tests.ui.reviews.conftest import Desk
from ui.reviews.composer import ReviewComposer


def open_composer(qtbot: Any, desk: Desk, **kw: Any) -> ReviewComposer:
    c = ReviewComposer(desk.bridge, model_id=desk.demo.model_ids[0], title="Calibration cube",
                       **kw)
    qtbot.addWidget(c)
    qtbot.waitUntil(lambda: c.context is not None and c.current is not None, timeout=15000)
    return c


def test_preview_follows_every_edit(qtbot: Any, desk: Desk, tmp_path: Path) -> None:
    c = open_composer(qtbot, desk)
    assert c.context is not None
    assert (c.context.kind, c.context.month_to_date, c.context.cap) == ("first_on_model", 0, 70)
    assert c.current is not None and c.current.points == 0
    assert "add a photo: +4" in c.hints.text()
    assert "add a rating: +2" in c.hints.text()
    assert not c.submit_button.isEnabled()

    c.stars.set_value(4)
    assert c.current.points == 2
    photo = tmp_path / "print.jpg"
    photo.write_bytes(demo_photo(21))
    with qtbot.waitSignal(c.preview_changed, timeout=5000) as sig:
        c.photos.add_paths([photo])
    assert sig.args[0].points == 6  # the photo adds 4
    assert "add a photo" not in c.hints.text()
    assert "6 points" in c.points.text()
    qtbot.keyClicks(c.description, "Printed fine in PLA, ")  # 21 characters
    assert c.current.points == 10 and c.hints.text() == ""
    assert "60 of 70" in c.cap.text()
    c.photos.selectAll()
    c.photos.remove_selected()
    assert c.current.points == 6
    assert c.submit_button.isEnabled()


def test_preview_uses_the_month_to_date_from_the_service(qtbot: Any, desk: Desk,
                                                         tmp_path: Path) -> None:
    """A review delivered to the service counts toward this month's cap, and a
    second review of the same model (no new profile) earns nothing."""
    import httpx

    token = desk.service.client().token()
    model = desk.demo.model_ids[1]
    with httpx.Client(base_url=desk.base_url + "/api/v1", timeout=30, trust_env=False,
                      headers={"Authorization": f"Bearer {token}"}) as http:
        r = http.post("/reviews", json={"model_id": model, "stars": 5,
                                        "description": "Crisp bridges, no stringing at all.",
                                        "photo_ids": []})
        assert r.status_code == 201, r.text
    c = ReviewComposer(desk.bridge, model_id=desk.demo.model_ids[0], title="Cube")
    qtbot.addWidget(c)
    qtbot.waitUntil(lambda: c.current is not None, timeout=15000)
    assert c.context is not None and c.context.month_to_date == 6  # rating 2 + text 4
    c.stars.set_value(5)
    assert c.current is not None and c.current.cap_left_after == 70 - 6 - 2

    again = ReviewComposer(desk.bridge, model_id=model, title="Boat")
    qtbot.addWidget(again)
    qtbot.waitUntil(lambda: again.current is not None, timeout=15000)
    again.stars.set_value(5)
    assert again.current is not None and not again.current.pays
    assert "earns no points" in again.points.text()


def test_submit_queues_the_review_with_photos_and_receipt(qtbot: Any, desk: Desk,
                                                          tmp_path: Path) -> None:
    from datetime import UTC, datetime, timedelta

    from reviews.service import FinishedJob

    now = datetime.now(UTC).replace(microsecond=0)
    receipt = desk.service.record_print(FinishedJob(
        file_sha256="cd" * 32, printer_kind="marlin-serial", firmware="Marlin",
        started_at=now - timedelta(minutes=30), ended_at=now, state="completed"))
    assert receipt is not None
    photo = tmp_path / "p.jpg"
    photo.write_bytes(demo_photo(31))
    c = open_composer(qtbot, desk, receipt_item_id=receipt.id, photos=(photo,))
    assert "receipt" in c.receipt.text() and "attached" in c.receipt.text()
    c.stars.set_value(5)
    qtbot.keyClicks(c.description, "Came out perfectly at 0.2 mm layers.")
    with qtbot.waitSignal(c.submitted, timeout=15000) as sig:
        qtbot.mouseClick(c.submit_button, Qt.MouseButton.LeftButton)
    item = sig.args[0]
    assert item.kind == Kind.REVIEW
    assert item.payload["stars"] == 5 and item.payload["model_id"] == desk.demo.model_ids[0]
    sent_receipt = desk.service.outbox.get(receipt.id).payload
    assert item.payload["receipt"]["signature"] == sent_receipt["signature"]
    assert len(item.files) == 1 and item.files[0].path.parent == desk.service.spool_dir
    assert c.result() == c.DialogCode.Accepted


def test_without_an_account_the_preview_says_so(qtbot: Any, desk: Desk) -> None:
    desk.market.sign_out()
    desk.bridge.account = None
    c = ReviewComposer(desk.bridge, model_id=desk.demo.model_ids[0])
    qtbot.addWidget(c)
    qtbot.waitUntil(lambda: "Sign in" in c.points.text(), timeout=10000)
    assert c.current is None
