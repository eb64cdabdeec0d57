"""The Marketplace area's account tab: sign up (with an optional referral
code) or sign in, then the profile (nickname, avatar, bio), preference tags
and the printers reported to the marketplace.

Every call runs on the reviews bridge's worker thread; the token goes to the
secret store (never settings or logs), and the password field is cleared as
soon as it has been read.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QFileDialog,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QPlainTextEdit,
    QPushButton,
    QStackedWidget,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from ui.reviews.bridge import ReviewsBridge
from ui.reviews.widgets import PHOTO_FILTER

log = logging.getLogger(__name__)

#: (kind, model, firmware) of the printers this installation drives.
PrinterList = Callable[[], list[tuple[str, str, str | None]]]


def parse_tags(text: str) -> list[str]:
    """Comma-separated tags: trimmed, lower-cased, without repeats."""
    out: list[str] = []
    for raw in text.split(","):
        tag = " ".join(raw.split()).lower()
        if tag and tag not in out:
            out.append(tag[:40])
    return out


class SignInForm(QWidget):
    """Sign in, or sign up with an optional referral code."""

    def __init__(self, bridge: ReviewsBridge, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._bridge = bridge
        self.tabs = QTabWidget()
        self.tabs.setObjectName("sign-in-tabs")
        # Sign in
        self.login_name = QLineEdit()
        self.login_name.setObjectName("login-username")
        self.login_password = QLineEdit()
        self.login_password.setObjectName("login-password")
        self.login_password.setEchoMode(QLineEdit.EchoMode.Password)
        self.login_button = QPushButton("&Sign in")
        self.login_button.setObjectName("sign-in")
        self.login_button.clicked.connect(self.sign_in)
        self.login_password.returnPressed.connect(self.sign_in)
        login = QWidget()
        f = QFormLayout(login)
        f.addRow("User name:", self.login_name)
        f.addRow("Password:", self.login_password)
        f.addRow("", self.login_button)
        # Sign up
        self.new_name = QLineEdit()
        self.new_name.setObjectName("signup-username")
        self.new_email = QLineEdit()
        self.new_email.setObjectName("signup-email")
        self.new_password = QLineEdit()
        self.new_password.setObjectName("signup-password")
        self.new_password.setEchoMode(QLineEdit.EchoMode.Password)
        self.new_password.setPlaceholderText("at least 8 characters")
        self.referral = QLineEdit()
        self.referral.setObjectName("signup-referral")
        self.referral.setPlaceholderText("optional: a friend's referral code")
        self.signup_button = QPushButton("Create &account")
        self.signup_button.setObjectName("sign-up")
        self.signup_button.clicked.connect(self.sign_up)
        signup = QWidget()
        g = QFormLayout(signup)
        g.addRow("User name:", self.new_name)
        g.addRow("E-mail:", self.new_email)
        g.addRow("Password:", self.new_password)
        g.addRow("Referral code:", self.referral)
        g.addRow("", self.signup_button)
        self.tabs.addTab(login, "Sign in")
        self.tabs.addTab(signup, "Create an account")
        self.status = QLabel()
        self.status.setObjectName("sign-in-status")
        self.status.setWordWrap(True)
        where = QLabel(f"Marketplace: {bridge.market.base_url}" if bridge.market
                       else "No marketplace is set up (Edit \u25b8 Settings \u25b8 Marketplace).")
        where.setEnabled(False)
        intro = QLabel("Sign in to share reviews backed by your prints, publish print "
                       "profiles and models, and earn points.")
        intro.setWordWrap(True)
        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addWidget(self.tabs)
        layout.addWidget(self.status)
        layout.addWidget(where)
        layout.addStretch(1)

    def _busy(self, busy: bool, text: str = "") -> None:
        self.login_button.setEnabled(not busy)
        self.signup_button.setEnabled(not busy)
        self.status.setText(text)

    def _failed(self, exc: BaseException) -> None:
        self._busy(False, f"<b>Not signed in:</b> {exc}")

    def _done(self, me: Any) -> None:
        self._busy(False)
        self._bridge.signed_in_as(me)

    def sign_in(self) -> None:
        market = self._bridge.market
        if market is None:
            return
        name, password = self.login_name.text().strip(), self.login_password.text()
        self.login_password.clear()
        if not name or not password:
            self.status.setText("Enter your user name and password.")
            return
        self._busy(True, "Signing in\u2026")
        self._bridge.run(lambda: market.sign_in(name, password), self._done, self._failed)

    def sign_up(self) -> None:
        market = self._bridge.market
        if market is None:
            return
        name, email = self.new_name.text().strip(), self.new_email.text().strip()
        password, referral = self.new_password.text(), self.referral.text().strip() or None
        self.new_password.clear()
        if not name or not email or len(password) < 8:
            self.status.setText("A user name, an e-mail address and a password of at least "
                                "8 characters are needed.")
            return
        self._busy(True, "Creating the account\u2026")
        self._bridge.run(lambda: market.sign_up(name, email, password, referral),
                         self._done, self._failed)


class ProfileForm(QWidget):
    """The signed-in account: profile, preference tags, reported printers."""

    def __init__(self, bridge: ReviewsBridge, printers: PrinterList | None = None,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._bridge = bridge
        self._printers = printers
        self._avatar: Path | None = None
        self.who = QLabel()
        self.who.setObjectName("account-who")
        self.who.setTextFormat(Qt.TextFormat.RichText)
        self.nickname = QLineEdit()
        self.nickname.setObjectName("profile-nickname")
        self.nickname.setMaxLength(60)
        self.bio = QPlainTextEdit()
        self.bio.setObjectName("profile-bio")
        self.bio.setMaximumHeight(90)
        self.avatar = QPushButton("Choose an avatar\u2026")
        self.avatar.setObjectName("profile-avatar")
        self.avatar.clicked.connect(self._ask_avatar)
        self.tags = QLineEdit()
        self.tags.setObjectName("profile-tags")
        self.tags.setPlaceholderText("e.g. calibration, household, cosplay")
        self.save = QPushButton("&Save profile")
        self.save.setObjectName("profile-save")
        self.save.clicked.connect(self.save_profile)
        profile = QGroupBox("Profile")
        f = QFormLayout(profile)
        f.addRow("Nickname:", self.nickname)
        f.addRow("Avatar:", self.avatar)
        f.addRow("About you:", self.bio)
        f.addRow("Preference tags:", self.tags)
        f.addRow("", self.save)

        self.printer_list = QListWidget()
        self.printer_list.setObjectName("reported-printers")
        self.printer_list.setMaximumHeight(90)
        self.report = QPushButton("&Report my printers")
        self.report.setObjectName("report-printers")
        self.report.setToolTip("Tell the marketplace which printer models you print on "
                               "(a beginner task)")
        self.report.clicked.connect(self.report_printers)
        self.report.setEnabled(printers is not None)
        printers_box = QGroupBox("Printers reported to the marketplace")
        p = QVBoxLayout(printers_box)
        p.addWidget(self.printer_list)
        row = QHBoxLayout()
        row.addStretch(1)
        row.addWidget(self.report)
        p.addLayout(row)

        self.sign_out = QPushButton("Sign &out")
        self.sign_out.setObjectName("sign-out")
        self.sign_out.clicked.connect(self._sign_out)
        self.status = QLabel()
        self.status.setObjectName("profile-status")
        self.status.setWordWrap(True)
        top = QHBoxLayout()
        top.addWidget(self.who, 1)
        top.addWidget(self.sign_out)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(profile)
        layout.addWidget(printers_box)
        layout.addWidget(self.status)
        layout.addStretch(1)

    def show_account(self, me: dict[str, Any]) -> None:
        self.who.setText(
            f"Signed in as <b>{me.get('username')}</b>"
            + (f" ({me['nickname']})" if me.get("nickname") else "")
            + (f" \u2014 referral code <code>{me['referral_code']}</code>"
               if me.get("referral_code") else ""))
        self.nickname.setText(me.get("nickname") or "")
        self.bio.setPlainText(me.get("bio") or "")
        self.tags.setText(", ".join(me.get("preference_tags") or []))
        self.avatar.setText("Change the avatar\u2026" if me.get("avatar")
                            else "Choose an avatar\u2026")
        market = self._bridge.market
        if market is not None:
            self._bridge.run(market.printers, self._show_printers, self._failed)

    def _show_printers(self, printers: list[dict[str, Any]]) -> None:
        self.printer_list.clear()
        for p in printers:
            self.printer_list.addItem(f"{p.get('model')} ({p.get('kind')}"
                                      + (f", {p['firmware']}" if p.get("firmware") else "")
                                      + ")")
        if not printers:
            self.printer_list.addItem("None yet.")

    def _ask_avatar(self) -> None:
        name, _ = QFileDialog.getOpenFileName(self, "Choose an avatar", "", PHOTO_FILTER)
        if name:
            self._avatar = Path(name)
            self.avatar.setText(self._avatar.name)

    def _failed(self, exc: BaseException) -> None:
        self.save.setEnabled(True)
        self.status.setText(f"<b>Not saved:</b> {exc}")

    def save_profile(self) -> None:
        market = self._bridge.market
        if market is None:
            return
        nickname, bio = self.nickname.text().strip(), self.bio.toPlainText().strip()
        tags, avatar = parse_tags(self.tags.text()), self._avatar
        self.save.setEnabled(False)
        self.status.setText("Saving\u2026")

        def save() -> dict[str, Any]:
            market.edit_profile(nickname=nickname, bio=bio, avatar=avatar)
            return market.set_preferences(tags)

        def done(me: dict[str, Any]) -> None:
            self.save.setEnabled(True)
            self._avatar = None
            self.status.setText("Profile saved.")
            self._bridge.signed_in_as(me)

        self._bridge.run(save, done, self._failed)

    def report_printers(self) -> None:
        market, printers = self._bridge.market, self._printers
        if market is None or printers is None:
            return

        def report() -> list[dict[str, Any]]:
            known = {(p.get("kind"), p.get("model")) for p in market.printers()}
            for kind, model, firmware in printers():
                if (kind, model) not in known:
                    market.report_printer(kind, model, firmware)
            return market.printers()

        def done(found: list[dict[str, Any]]) -> None:
            self._show_printers(found)
            self.status.setText("Printers reported." if found else
                                "No printer is set up in Layerline yet.")

        self._bridge.run(report, done, self._failed)

    def _sign_out(self) -> None:
        market = self._bridge.market
        if market is None:
            return
        self._bridge.run(market.sign_out, lambda _r: self._bridge.signed_in_as(None))


class AccountPanel(QStackedWidget):
    """The sign-in form, or the signed-in account."""

    def __init__(self, bridge: ReviewsBridge, printers: PrinterList | None = None,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("account-panel")
        self.sign_in = SignInForm(bridge)
        self.profile = ProfileForm(bridge, printers)
        self.addWidget(self.sign_in)
        self.addWidget(self.profile)
        bridge.account_changed.connect(self.show_account)
        self.show_account(bridge.account)

    def show_account(self, me: dict[str, Any] | None) -> None:
        if me is None:
            self.setCurrentWidget(self.sign_in)
        else:
            self.profile.show_account(me)
            self.setCurrentWidget(self.profile)
