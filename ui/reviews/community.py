"""The Marketplace area's store and community tabs: the redemption store and
orders; reporting a model or review, jury duty (see the item, vote, give a
one-line reason), and the feedback dialog of the Help menu.

Reports, jury votes and suggestions go through the outbox (kinds ``report``,
``jury_vote``, ``feedback``) with the service's JSON shapes; a redemption is
answered at once (it spends points), so it is a direct call.
"""

from __future__ import annotations

import logging
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPlainTextEdit,
    QPushButton,
    QSpinBox,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from ui.reviews.bridge import ReviewsBridge

log = logging.getLogger(__name__)

REPORT_REASONS = {"ai_generated": "AI-generated", "stolen": "Stolen (not the uploader's)",
                  "unrelated_photo": "Unrelated photo", "spam": "Spam"}


class StorePanel(QWidget):
    """Store items with their prices; redeem; the account's orders."""

    def __init__(self, bridge: ReviewsBridge, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._bridge = bridge
        self.setObjectName("store-panel")
        self.items = QTableWidget(0, 3)
        self.items.setObjectName("store-items")
        self.items.setHorizontalHeaderLabels(["Item", "What it is", "Price (points)"])
        self.items.verticalHeader().hide()
        self.items.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.items.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.items.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.items.horizontalHeader().setSectionResizeMode(
            QHeaderView.ResizeMode.ResizeToContents)
        self.items.horizontalHeader().setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        self.balance = QLabel()
        self.balance.setObjectName("store-balance")
        self.redeem = QPushButton("&Redeem")
        self.redeem.setObjectName("store-redeem")
        self.redeem.clicked.connect(self._redeem)
        self.orders = QListWidget()
        self.orders.setObjectName("store-orders")
        self.status = QLabel()
        self.status.setObjectName("store-status")
        self.status.setWordWrap(True)
        row = QHBoxLayout()
        row.addWidget(self.status, 1)
        row.addWidget(self.redeem)
        orders = QGroupBox("Your orders")
        QVBoxLayout(orders).addWidget(self.orders)
        layout = QVBoxLayout(self)
        layout.addWidget(self.balance)
        layout.addWidget(self.items, 2)
        layout.addLayout(row)
        layout.addWidget(orders, 1)

    def refresh(self) -> None:
        market = self._bridge.market
        if market is None:
            return
        signed_in = self._bridge.account is not None
        self._bridge.run(lambda: (market.store_items(),
                                  market.orders() if signed_in else [],
                                  market.balances() if signed_in else None),
                         self._show, lambda exc: self.status.setText(f"Not loaded: {exc}"))

    def _show(self, answer: tuple[list[dict[str, Any]], list[dict[str, Any]], Any]) -> None:
        items, orders, balances = answer
        self.balance.setText("Sign in to redeem points." if balances is None else
                             f"You have <b>{float(balances.get('standard', 0)):g}</b> points "
                             "to spend.")
        self.items.setRowCount(len(items))
        for r, it in enumerate(items):
            for c, text in enumerate((it.get("title", ""), it.get("description", ""),
                                      str(it.get("price", "")))):
                cell = QTableWidgetItem(str(text))
                cell.setData(Qt.ItemDataRole.UserRole, it["id"])
                self.items.setItem(r, c, cell)
        titles = {it["id"]: it.get("title", "") for it in items}
        self.orders.clear()
        for o in orders:
            self.orders.addItem(f"#{o['id']}: {titles.get(o['item_id'], o['item_id'])} \u2014 "
                                f"{o['price']} points \u2014 {o['status']}")
        if not orders:
            self.orders.addItem("No orders yet.")
        self.redeem.setEnabled(self._bridge.account is not None and bool(items))

    def _redeem(self) -> None:
        market = self._bridge.market
        row = self.items.currentRow()
        if market is None or row < 0:
            self.status.setText("Choose an item first.")
            return
        item_id = int(self.items.item(row, 0).data(Qt.ItemDataRole.UserRole))

        def done(order: dict[str, Any]) -> None:
            self.status.setText(f"Ordered (order #{order['id']}); an admin fulfils it.")
            self.refresh()

        self._bridge.run(lambda: market.redeem(item_id), done,
                         lambda exc: self.status.setText(f"<b>Not redeemed:</b> {exc}"))


class CommunityPanel(QWidget):
    """Report a model or review; jury duty."""

    def __init__(self, bridge: ReviewsBridge, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._bridge = bridge
        self.setObjectName("community-panel")
        self.duties: list[dict[str, Any]] = []

        # -- jury duty
        jury = QGroupBox("Jury duty")
        self.duty_list = QListWidget()
        self.duty_list.setObjectName("jury-duties")
        self.duty_list.currentRowChanged.connect(self._show_duty)
        self.duty_item = QLabel("You have not been drawn for a jury.")
        self.duty_item.setObjectName("jury-item")
        self.duty_item.setWordWrap(True)
        self.duty_item.setTextFormat(Qt.TextFormat.PlainText)
        self.jury_reason = QLineEdit()
        self.jury_reason.setObjectName("jury-reason")
        self.jury_reason.setPlaceholderText("One line: why you vote this way")
        self.jury_reason.setMaxLength(200)
        self.uphold = QPushButton("&Uphold the report")
        self.uphold.setObjectName("jury-uphold")
        self.keep = QPushButton("&Keep the item")
        self.keep.setObjectName("jury-keep")
        self.uphold.clicked.connect(lambda: self.vote(uphold=True))
        self.keep.clicked.connect(lambda: self.vote(uphold=False))
        votes = QHBoxLayout()
        votes.addWidget(self.jury_reason, 1)
        votes.addWidget(self.uphold)
        votes.addWidget(self.keep)
        j = QVBoxLayout(jury)
        note = QLabel("Jurors vote blind: you see the item, never its author, the reporters "
                      "or the other votes. 6 of 9 uphold; 4 keep.")
        note.setWordWrap(True)
        note.setEnabled(False)
        j.addWidget(note)
        j.addWidget(self.duty_list)
        j.addWidget(self.duty_item)
        j.addLayout(votes)

        # -- report
        report = QGroupBox("Report a model or a review")
        self.target_type = QComboBox()
        self.target_type.setObjectName("report-type")
        self.target_type.addItem("Model", "model")
        self.target_type.addItem("Review", "review")
        self.target_id = QSpinBox()
        self.target_id.setObjectName("report-id")
        self.target_id.setRange(1, 2**31 - 1)
        self.report_reason = QComboBox()
        self.report_reason.setObjectName("report-reason")
        for key, text in REPORT_REASONS.items():
            self.report_reason.addItem(text, key)
        self.report_note = QLineEdit()
        self.report_note.setObjectName("report-note")
        self.report_note.setPlaceholderText("optional: what you noticed")
        self.send_report = QPushButton("Send the &report")
        self.send_report.setObjectName("send-report")
        self.send_report.clicked.connect(self.report)
        f = QFormLayout(report)
        f.addRow("About a:", self.target_type)
        f.addRow("Its id:", self.target_id)
        f.addRow("Reason:", self.report_reason)
        f.addRow("Note:", self.report_note)
        f.addRow("", self.send_report)

        self.status = QLabel()
        self.status.setObjectName("community-status")
        self.status.setWordWrap(True)
        layout = QVBoxLayout(self)
        layout.addWidget(jury, 1)
        layout.addWidget(report)
        layout.addWidget(self.status)
        self._show_duty(-1)

    def refresh(self) -> None:
        market = self._bridge.market
        if market is None or self._bridge.account is None:
            return
        self._bridge.run(market.jury_duties, self.show_duties,
                         lambda exc: self.status.setText(f"Not loaded: {exc}"))

    def show_duties(self, duties: list[dict[str, Any]]) -> None:
        self.duties = duties
        self.duty_list.clear()
        for d in duties:
            item = d.get("item", {})
            label = (f"Case {d['case_id']}: a {item.get('type', 'item')}"
                     + (f" \u2014 {item['title']}" if item.get("title") else "")
                     + (" (voted)" if d.get("voted") else ""))
            entry = QListWidgetItem(label)
            entry.setData(Qt.ItemDataRole.UserRole, d["case_id"])
            self.duty_list.addItem(entry)
        if duties:
            self.duty_list.setCurrentRow(0)
        else:
            self._show_duty(-1)

    def _show_duty(self, row: int) -> None:
        duty = self.duties[row] if 0 <= row < len(self.duties) else None
        can_vote = duty is not None and not duty.get("voted")
        for w in (self.uphold, self.keep, self.jury_reason):
            w.setEnabled(can_vote)
        if duty is None:
            self.duty_item.setText("You have not been drawn for a jury." if not self.duties
                                   else "")
            return
        item = duty.get("item", {})
        lines = [f"A {item.get('type', 'item')}:"]
        if item.get("title"):
            lines.append(f"Title: {item['title']}")
        if item.get("stars") is not None:
            lines.append(f"Rating: {item['stars']} stars")
        if item.get("description"):
            lines.append(str(item["description"])[:1500])
        lines.append(f"{len(item.get('photos', []))} photo(s)")
        self.duty_item.setText("\n".join(lines))

    def vote(self, *, uphold: bool) -> None:
        row = self.duty_list.currentRow()
        if not (0 <= row < len(self.duties)):
            return
        reason = " ".join(self.jury_reason.text().split())
        if not reason:
            self.status.setText("A juror gives a one-line reason.")
            return
        case_id = int(self.duties[row]["case_id"])
        service = self._bridge.service

        def voted(_item: object) -> None:
            self.duties[row] = {**self.duties[row], "voted": True}
            self._show_duty(row)
            self.jury_reason.clear()
            self.status.setText("Your vote is in the outbox; it goes out at once.")

        self._bridge.run(lambda: service.jury_vote(case_id, "uphold" if uphold else "keep",
                                                   reason), voted,
                         lambda exc: self.status.setText(f"<b>Not queued:</b> {exc}"))

    def report(self) -> None:
        kind, target = str(self.target_type.currentData()), self.target_id.value()
        reason, note = str(self.report_reason.currentData()), self.report_note.text().strip()
        service = self._bridge.service

        def queued(_item: object) -> None:
            self.report_note.clear()
            self.status.setText("The report is in the outbox; it goes out at once.")

        self._bridge.run(lambda: service.report(kind, target, reason, note or None), queued,
                         lambda exc: self.status.setText(f"<b>Not queued:</b> {exc}"))


class FeedbackDialog(QDialog):
    """Help \u25b8 Send a suggestion: a suggestion queued in the outbox (it pays 2
    points when an admin marks it implemented)."""

    def __init__(self, bridge: ReviewsBridge, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._bridge = bridge
        self.setObjectName("feedback-dialog")
        self.setWindowTitle("Send a suggestion")
        self.text = QPlainTextEdit()
        self.text.setObjectName("feedback-text")
        self.text.setPlaceholderText("What would make Layerline or the marketplace better?")
        self.status = QLabel("A suggestion an admin marks implemented earns 2 points."
                             if bridge.account is not None else
                             "Sign in (Marketplace \u25b8 Account) to send it with your name; "
                             "it waits in the outbox until then.")
        self.status.setWordWrap(True)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel)
        self.send = buttons.addButton("&Send", QDialogButtonBox.ButtonRole.AcceptRole)
        self.send.setObjectName("feedback-send")
        self.send.clicked.connect(self.submit)
        buttons.rejected.connect(self.reject)
        self.text.textChanged.connect(
            lambda: self.send.setEnabled(bool(self.text.toPlainText().strip())))
        self.send.setEnabled(False)
        layout = QVBoxLayout(self)
        layout.addWidget(self.text)
        layout.addWidget(self.status)
        layout.addWidget(buttons)
        self.resize(480, 300)

    def submit(self) -> None:
        text = self.text.toPlainText().strip()
        if not text:
            return
        self.send.setEnabled(False)
        service = self._bridge.service

        def failed(exc: BaseException) -> None:
            self.send.setEnabled(True)
            self.status.setText(f"<b>Not queued:</b> {exc}")

        self._bridge.run(lambda: service.feedback(text), lambda _i: self.accept(), failed)
