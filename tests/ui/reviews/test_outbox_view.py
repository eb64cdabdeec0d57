"""The outbox view: a row per item kept current from the outbox's listeners,
why a rejected item failed, and fixing and resending it (the model checked
with qtmodeltester through every change)."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLineEdit

from reviews.outbox import Kind, State
from reviews.sender import Delivered, Rejected
from tests.ui.reviews.conftest import Desk
from ui.reviews.outbox_view import OutboxModel, OutboxView, why


def test_model_through_inserts_updates_and_removals(qtbot: Any, qtmodeltester: Any,
                                                    desk: Desk) -> None:
    outbox = desk.service.outbox
    model = OutboxModel()
    a = outbox.add(Kind.FEEDBACK, {"text": "dark mode"}, title="suggestion")
    b = outbox.add(Kind.REPORT, {"target_type": "model", "target_id": 1, "reason": "spam"},
                   title="report")
    model.set_items([a, b])
    qtmodeltester.check(model, force_py=True)
    assert model.rowCount() == 2 and model.item(0).id == b.id  # newest first
    c = outbox.add(Kind.FEEDBACK, {"text": "bigger fonts"}, title="suggestion 2")
    model.upsert(c)
    assert [model.item(r).id for r in range(3)] == [c.id, b.id, a.id]
    claimed = outbox.claim_next()
    assert claimed is not None
    rejected = outbox.mark_rejected(claimed, "text too short", fixable=True)
    model.upsert(rejected)
    row = model.row_of(rejected.id)
    assert row is not None
    assert model.data(model.index(row, 2)) == "rejected"
    assert "text too short" in model.data(model.index(row, 5))
    model.remove(b.id)  # the tester, still connected, checks every change
    assert model.rowCount() == 2 and model.row_of(b.id) is None


def test_view_shows_why_and_resends_a_fixed_item(qtbot: Any, qtmodeltester: Any,
                                                 desk: Desk) -> None:
    outbox = desk.service.outbox
    view = OutboxView(desk.bridge)
    qtbot.addWidget(view)
    qtmodeltester.check(view.model, force_py=True)
    item = outbox.add(Kind.FEEDBACK, {"text": "x"}, title="a suggestion")  # listener: new row
    qtbot.waitUntil(lambda: view.model.row_of(item.id) is not None, timeout=5000)
    claimed = outbox.claim_next()
    assert claimed is not None and claimed.id == item.id
    outbox.mark_rejected(claimed, "the text must be at least 3 characters", fixable=True)
    qtbot.waitUntil(lambda: "1 rejected" in view.summary.text(), timeout=5000)
    view.select(item.id)
    assert "at least 3 characters" in view.reason.text()
    assert view.resend.isEnabled() and view.discard.isEnabled()
    editor = view.editors["text"]
    assert isinstance(editor, QLineEdit) and editor.isEnabled()
    editor.setText("a dark theme for the night shift")
    qtbot.mouseClick(view.resend, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: view.selected() is not None
                    and view.selected().state == State.QUEUED, timeout=5000)
    again = outbox.get(item.id)
    assert again.payload["text"] == "a dark theme for the night shift"
    assert again.idempotency_key != item.idempotency_key and again.attempts == 0
    # Delivered: the row says so, nothing is editable.
    claimed = outbox.claim_next()
    assert claimed is not None
    outbox.mark_delivered(claimed, {"id": 9})
    qtbot.waitUntil(lambda: view.selected().state == State.DELIVERED, timeout=5000)
    assert not view.resend.isEnabled() and not view.discard.isEnabled()
    assert "Delivered" in view.reason.text()


def test_unfixable_rejection_can_only_be_discarded(qtbot: Any, desk: Desk) -> None:
    outbox = desk.service.outbox
    item = outbox.add(Kind.REPORT, {"target_type": "model", "target_id": 1, "reason": "spam"},
                      title="report")
    claimed = outbox.claim_next()
    assert claimed is not None
    outbox.mark_rejected(claimed, "nobody reports their own work", fixable=False)
    view = OutboxView(desk.bridge)
    qtbot.addWidget(view)
    qtbot.waitUntil(lambda: view.model.rowCount() == 1, timeout=5000)
    view.select(item.id)
    assert "cannot be sent as it is" in view.reason.text()
    assert not view.resend.isEnabled() and view.discard.isEnabled()
    qtbot.mouseClick(view.discard, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: view.model.rowCount() == 0, timeout=5000)
    assert outbox.items() == []


def test_why_a_queued_item_waits() -> None:
    class Item:
        state = "queued"
        next_attempt_at = 1000.0
        last_error = "HTTP 503: down"
        fixable = None

    assert why(Item(), now=990.0) == "HTTP 503: down; next try in 10 s"
    Item.last_error = None  # type: ignore[assignment]
    assert "held for your verdict" in why(Item(), now=0.0)
    assert Delivered and Rejected  # the outcomes the sender maps answers to
