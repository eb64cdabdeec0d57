"""The Marketplace area against the marketplace on loopback: signing up with a
referral code and in, the profile and preference tags, reported printers, the
rewards summary (beginner tasks, caps, history and its plot), the store,
reports, jury duty, feedback and the profile browser."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt

from app import db
from marketplace.demo import demo_photo
from reviews.outbox import Kind
from reviews.service import ReviewsService
from tests.helpers.secrets import MemorySecretStore
from tests.ui.reviews.conftest import Desk, Market
from ui.reviews.account import AccountPanel, parse_tags
from ui.reviews.area import MarketplaceArea
from ui.reviews.bridge import ReviewsBridge
from ui.reviews.community import CommunityPanel, FeedbackDialog, StorePanel
from ui.reviews.profiles import ProfileBrowser, success_text
from ui.reviews.rewards import RewardsPanel, number


def test_tags_and_numbers() -> None:
    assert parse_tags(" Cosplay, household ,cosplay,, ") == ["cosplay", "household"]
    assert number(5) == "5" and number(0.5) == "0.5" and number("x") == "x"
    assert "not known yet" in success_text({"success_rate": None})
    assert "80 %" in success_text({"success_rate": 0.8, "reviews": 2, "average_rating": 4.5})


def test_sign_up_with_referral_then_profile(qtbot: Any, tmp_path: Path, engine: Any,
                                            market_server: Market, desk: Desk) -> None:
    """A fresh installation: not signed in; sign up with the desk user's
    referral code; the profile and tags saved reach the service."""
    secrets = MemorySecretStore()
    service = ReviewsService(db.session_factory(engine), secrets, tmp_path / "spool2",
                             base_url=market_server.server.base_url)
    bridge = ReviewsBridge(service)
    try:
        panel = AccountPanel(bridge, printers=lambda: [("marlin-serial", "Virtual MK3",
                                                        "Marlin 2.1")])
        qtbot.addWidget(panel)
        assert panel.currentWidget() is panel.sign_in
        form = panel.sign_in
        form.tabs.setCurrentIndex(1)
        name = "n" + uuid.uuid4().hex[:10]
        qtbot.keyClicks(form.new_name, name)
        qtbot.keyClicks(form.new_email, f"{name}@example.invalid")
        qtbot.keyClicks(form.new_password, "short")
        qtbot.mouseClick(form.signup_button, Qt.MouseButton.LeftButton)
        assert "at least 8 characters" in form.status.text()
        qtbot.keyClicks(form.new_password, "a-long-password")
        qtbot.keyClicks(form.referral, str(desk.account["referral_code"]))
        with qtbot.waitSignal(bridge.account_changed, timeout=20000) as sig:
            qtbot.mouseClick(form.signup_button, Qt.MouseButton.LeftButton)
        me = sig.args[0]
        assert me["username"] == name and me["invited_by"] == desk.account["id"]
        assert form.new_password.text() == ""  # never kept in the widget
        assert panel.currentWidget() is panel.profile
        assert secrets.get("marketplace.token") and service.account.session() is not None

        profile = panel.profile
        profile.nickname.setText("Night Printer")
        profile.tags.setText("cosplay, Household")
        avatar = tmp_path / "me.jpg"
        avatar.write_bytes(demo_photo(77))
        profile._avatar = avatar  # what "Choose an avatar..." sets
        with qtbot.waitSignal(bridge.account_changed, timeout=20000) as sig:
            qtbot.mouseClick(profile.save, Qt.MouseButton.LeftButton)
        assert sig.args[0]["nickname"] == "Night Printer"
        assert sig.args[0]["preference_tags"] == ["cosplay", "household"]
        assert sig.args[0]["avatar"]  # uploaded (made safe first) and set
        qtbot.mouseClick(profile.report, Qt.MouseButton.LeftButton)
        qtbot.waitUntil(lambda: profile.status.text() == "Printers reported.", timeout=20000)
        assert "Virtual MK3 (marlin-serial, Marlin 2.1)" in profile.printer_list.item(0).text()

        # Rewards: the beginner tasks just done are ticked, with what they paid.
        rewards = RewardsPanel(bridge)
        qtbot.addWidget(rewards)
        rewards.refresh()
        qtbot.waitUntil(lambda: rewards.summary is not None, timeout=20000)
        tasks = {rewards.tasks.item(i).data(Qt.ItemDataRole.UserRole): rewards.tasks.item(i)
                 .text() for i in range(rewards.tasks.count())}
        assert "earned 10 points" in tasks["set_preference"]
        assert "earned 5 points" in tasks["printer_setup"]
        assert "earned 5 points" in tasks["nickname_avatar"]
        assert "pays 30 points" in tasks["first_model_upload"]
        assert rewards.balance_labels["standard"].text() == "20"  # 10 + 5 + 5
        assert rewards.ledger.rowCount() >= 2 and rewards.plot is not None
        assert "0 of 70 used" in rewards.cap_bars["review"].format()

        with qtbot.waitSignal(bridge.account_changed, timeout=20000) as sig:
            qtbot.mouseClick(profile.sign_out, Qt.MouseButton.LeftButton)
        assert sig.args[0] is None and panel.currentWidget() is panel.sign_in
        assert service.account.session() is None
        # Signing in again, with a wrong password first.
        form.tabs.setCurrentIndex(0)
        qtbot.keyClicks(form.login_name, name)
        qtbot.keyClicks(form.login_password, "wrong-password")
        qtbot.mouseClick(form.login_button, Qt.MouseButton.LeftButton)
        qtbot.waitUntil(lambda: "Not signed in" in form.status.text(), timeout=20000)
        qtbot.keyClicks(form.login_password, "a-long-password")
        with qtbot.waitSignal(bridge.account_changed, timeout=20000) as sig:
            qtbot.mouseClick(form.login_button, Qt.MouseButton.LeftButton)
        assert sig.args[0]["username"] == name
    finally:
        bridge.close()
        service.stop()


def test_area_tabs_fill_on_demand(qtbot: Any, desk: Desk) -> None:
    opened: list[str] = []
    area = MarketplaceArea(desk.bridge, open_composer=lambda: opened.append("composer"),
                           open_wizard=lambda: opened.append("wizard"))
    qtbot.addWidget(area)
    area.show()
    assert area.current_tab() == "account"
    assert area.account.currentWidget() is area.account.profile
    area.show_tab("rewards")
    qtbot.waitUntil(lambda: area.rewards.summary is not None, timeout=20000)
    area.show_tab("store")
    qtbot.waitUntil(lambda: area.store.items.rowCount() == 3, timeout=20000)
    assert "points" in area.store.balance.text()
    qtbot.mouseClick(area.review_button, Qt.MouseButton.LeftButton)
    qtbot.mouseClick(area.publish_button, Qt.MouseButton.LeftButton)
    assert opened == ["composer", "wizard"]


def test_store_refuses_more_than_the_balance(qtbot: Any, desk: Desk) -> None:
    store = StorePanel(desk.bridge)
    qtbot.addWidget(store)
    store.refresh()
    qtbot.waitUntil(lambda: store.items.rowCount() == 3, timeout=20000)
    store.items.selectRow(2)  # the cheapest, 50 points: a new account has 0
    qtbot.mouseClick(store.redeem, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: "Not redeemed" in store.status.text(), timeout=20000)
    assert "not enough points" in store.status.text()


def test_report_jury_vote_and_feedback_go_through_the_outbox(qtbot: Any, desk: Desk) -> None:
    panel = CommunityPanel(desk.bridge)
    qtbot.addWidget(panel)
    panel.refresh()
    qtbot.waitUntil(lambda: panel.duty_item.text() != "", timeout=10000)
    assert panel.duties == [] and not panel.uphold.isEnabled()
    panel.target_type.setCurrentIndex(0)
    panel.target_id.setValue(desk.demo.model_ids[2])
    panel.report_reason.setCurrentIndex(panel.report_reason.findData("stolen"))
    panel.report_note.setText("seen on another site")
    qtbot.mouseClick(panel.send_report, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: "in the outbox" in panel.status.text(), timeout=10000)
    (report,) = desk.service.outbox.items(kind=Kind.REPORT)
    assert report.payload == {"target_type": "model", "target_id": desk.demo.model_ids[2],
                              "reason": "stolen", "note": "seen on another site"}

    # A case the service gave this juror (its blind shape: no author, no reporters).
    panel.show_duties([{"case_id": 41, "voted": False,
                        "item": {"type": "review", "stars": 1, "description": "AI render",
                                 "photos": ["/api/v1/blobs/ab"]}}])
    assert "Rating: 1 stars" in panel.duty_item.text() and panel.uphold.isEnabled()
    qtbot.mouseClick(panel.uphold, Qt.MouseButton.LeftButton)
    assert "one-line reason" in panel.status.text()
    panel.jury_reason.setText("the photo is a render, not a print")
    qtbot.mouseClick(panel.uphold, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not panel.uphold.isEnabled(), timeout=10000)
    (vote,) = desk.service.outbox.items(kind=Kind.JURY_VOTE)
    assert vote.payload == {"case_id": 41, "vote": "uphold",
                            "reason": "the photo is a render, not a print"}

    dlg = FeedbackDialog(desk.bridge)
    qtbot.addWidget(dlg)
    assert not dlg.send.isEnabled()
    dlg.text.setPlainText("A dark theme, please.")
    with qtbot.waitSignal(dlg.accepted, timeout=10000):
        qtbot.mouseClick(dlg.send, Qt.MouseButton.LeftButton)
    (feedback,) = desk.service.outbox.items(kind=Kind.FEEDBACK)
    assert feedback.payload == {"text": "A dark theme, please."}


def test_profile_browser_downloads_into_the_library(qtbot: Any, qtmodeltester: Any,
                                                    desk: Desk, tmp_path: Path) -> None:
    saved: list[Path] = []
    browser = ProfileBrowser(desk.bridge, download_dir=tmp_path / "profiles",
                             save=saved.append)
    qtbot.addWidget(browser)
    qtmodeltester.check(browser.table_model, force_py=True)
    browser.show()
    qtbot.waitUntil(lambda: browser.table_model.rowCount() >= 1, timeout=20000)
    assert "genuine downloads" in browser.figures.text()
    model = browser.table_model
    assert model.data(model.index(0, 1)) == "PLA" and model.data(model.index(0, 3)) == "0.2 mm"
    browser.table.selectRow(0)
    before = model.data(model.index(0, 7))
    qtbot.mouseClick(browser.download, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: "Downloaded" in browser.status.text(), timeout=20000)
    assert len(saved) == 1 and saved[0].suffix == ".ini"
    text = saved[0].read_text()
    assert "layer_height = 0.2" in text and "filament_type = PLA" in text
    # The download counts on the service: the model's figures say so once refreshed.
    browser._model_chosen()
    qtbot.waitUntil(lambda: model.data(model.index(0, 7)) != before, timeout=20000)


def test_spending_cred_tokens_and_spotlight_points(qtbot: Any, desk: Desk) -> None:
    rewards = RewardsPanel(desk.bridge)
    qtbot.addWidget(rewards)
    rewards.refresh()
    qtbot.waitUntil(lambda: rewards.summary is not None, timeout=20000)
    assert not rewards.promote_button.isEnabled()  # a new account has no model to promote
    rewards.convert_points.setValue(100)
    qtbot.mouseClick(rewards.convert_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: "Not converted" in rewards.spend_status.text(), timeout=20000)
    assert "not approved" in rewards.spend_status.text()

    # The demo account owns published models and has earned cred tokens.
    from marketplace.demo import DEMO_PASSWORD, DEMO_USER

    desk.service.login(DEMO_USER, DEMO_PASSWORD)
    desk.bridge.account = desk.market.me()
    rewards.summary = None
    rewards.refresh()
    qtbot.waitUntil(lambda: rewards.summary is not None, timeout=20000)
    tokens = rewards.summary["cred_tokens"]["balance"]
    assert rewards.promote_model.count() == 3 and tokens >= 1
    rewards.promote_tokens.setValue(1)
    qtbot.mouseClick(rewards.promote_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: "Promoted: 50 placements" in rewards.spend_status.text(),
                    timeout=20000)
    qtbot.waitUntil(lambda: rewards.summary is not None
                    and rewards.summary["cred_tokens"]["spent_today"] >= 1, timeout=20000)
