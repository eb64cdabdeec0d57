"""The Marketplace area: the account, rewards, the store, the outbox,
profiles and the community, as tabs, plus "Write a review\u2026" and "Publish a
model\u2026".  Each tab is filled when it is first shown and when the signed-in
account changes, off the GUI thread through the reviews bridge."""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any

from PySide6.QtGui import QFont
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QPushButton,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from ui.reviews.account import AccountPanel, PrinterList
from ui.reviews.bridge import ReviewsBridge
from ui.reviews.community import CommunityPanel, StorePanel
from ui.reviews.outbox_view import OutboxView
from ui.reviews.rewards import RewardsPanel

log = logging.getLogger(__name__)

TABS = ("account", "rewards", "store", "outbox", "profiles", "community")


class MarketplaceArea(QWidget):
    """``open_composer``/``open_wizard``: how to open the review composer and
    the publish wizard (the composition root's, with the services behind)."""

    def __init__(self, bridge: ReviewsBridge, *, printers: PrinterList | None = None,
                 open_composer: Callable[[], None] | None = None,
                 open_wizard: Callable[[], None] | None = None,
                 profile_download_dir: Path | None = None,
                 save_profile: Callable[[Path], None] | None = None,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.bridge = bridge
        self.setObjectName("area-marketplace")
        self.setAccessibleName("Marketplace")
        title = QLabel("Marketplace")
        font = QFont(title.font())
        font.setPointSizeF(font.pointSizeF() * 1.6)
        font.setBold(True)
        title.setFont(font)
        self.who = QLabel()
        self.who.setObjectName("marketplace-who")
        self.review_button = QPushButton("Write a &review\u2026")
        self.review_button.setObjectName("open-composer")
        self.review_button.setEnabled(open_composer is not None)
        if open_composer is not None:
            self.review_button.clicked.connect(open_composer)
        self.publish_button = QPushButton("&Publish a model\u2026")
        self.publish_button.setObjectName("open-wizard")
        self.publish_button.setEnabled(open_wizard is not None)
        if open_wizard is not None:
            self.publish_button.clicked.connect(open_wizard)
        head = QHBoxLayout()
        head.addWidget(title)
        head.addSpacing(16)
        head.addWidget(self.who, 1)
        head.addWidget(self.review_button)
        head.addWidget(self.publish_button)

        self.account = AccountPanel(bridge, printers)
        self.rewards = RewardsPanel(bridge)
        self.store = StorePanel(bridge)
        self.outbox = OutboxView(bridge)
        from ui.reviews.profiles import ProfileBrowser

        self.profiles = ProfileBrowser(bridge, download_dir=profile_download_dir,
                                       save=save_profile)
        self.community = CommunityPanel(bridge)
        self.tabs = QTabWidget()
        self.tabs.setObjectName("marketplace-tabs")
        self.tabs.addTab(self.account, "&Account")
        self.tabs.addTab(self.rewards, "Re&wards")
        self.tabs.addTab(self.store, "&Store")
        self.tabs.addTab(self.outbox, "&Outbox")
        self.tabs.addTab(self.profiles, "Print &profiles")
        self.tabs.addTab(self.community, "&Community")
        self._filled: set[str] = set()
        self.tabs.currentChanged.connect(lambda _i: self._fill_current())
        layout = QVBoxLayout(self)
        layout.setContentsMargins(16, 12, 16, 12)
        layout.addLayout(head)
        layout.addWidget(self.tabs, 1)
        bridge.account_changed.connect(self._account_changed)
        bridge.outbox_changed.connect(lambda _i: self._show_who(bridge.account))
        self._show_who(bridge.account)

    def show_tab(self, key: str) -> None:
        self.tabs.setCurrentIndex(TABS.index(key))

    def current_tab(self) -> str:
        return TABS[self.tabs.currentIndex()]

    def _account_changed(self, me: Any) -> None:
        self._filled.clear()
        self._show_who(me)
        self._fill_current()

    def _show_who(self, me: Any) -> None:
        rejected = self.outbox.model.counts().get("rejected", 0)
        text = (f"Signed in as {me.get('nickname') or me.get('username')}" if me
                else "Not signed in")
        if rejected:
            text += f" \u2014 \u26a0 {rejected} item(s) in the outbox were refused"
        self.who.setText(text)

    def _fill_current(self) -> None:
        key = self.current_tab()
        if key in self._filled:
            return
        self._filled.add(key)
        target = {"rewards": self.rewards, "store": self.store,
                  "community": self.community}.get(key)
        if target is not None:
            target.refresh()  # type: ignore[attr-defined]

    def showEvent(self, event: Any) -> None:
        super().showEvent(event)
        self._fill_current()
