"""The Marketplace area's rewards tab (REWARDS.md section 11): balances, the
beginner-task checklist with what each task pays, the monthly caps used,
reputation with the counts it rests on, karma, cred tokens against today's
promotion caps, download milestones per model and profile, and the
transaction history with a plot of the running balance (pyqtgraph, imported
when the tab is first filled, never at start-up)."""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QFormLayout,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QProgressBar,
    QPushButton,
    QScrollArea,
    QSpinBox,
    QSplitter,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from ui.reviews.bridge import ReviewsBridge

log = logging.getLogger(__name__)

TASK_TEXT = {
    "set_preference": "Set at least one preference tag",
    "nickname_avatar": "Set a nickname and an avatar",
    "profile": "Fill in your profile",
    "printer_setup": "Report a printer",
    "first_model_upload": "Publish your first model",
    "first_profile_upload": "Upload your first print profile",
}
CAP_TEXT = {"review": "Reviews", "model_upload": "Model uploads",
            "first_profile": "First print profiles", "profile": "First print profiles"}
CURRENCIES = ("standard", "spotlight", "credits", "cred_tokens", "karma")
CURRENCY_TEXT = {"standard": "Points", "spotlight": "Spotlight points", "credits": "Credits",
                 "cred_tokens": "Cred tokens", "karma": "Karma"}


def number(value: Any) -> str:
    """A ledger amount: whole numbers without a decimal point."""
    try:
        f = float(value)
    except (TypeError, ValueError):
        return str(value)
    return f"{f:.0f}" if f == int(f) else f"{f:.1f}"


def reputation_text(rep: dict[str, Any]) -> str:
    ratings, prints = int(rep.get("ratings", 0)), int(rep.get("print_attempts", 0))
    value = float(rep.get("value", 3.0))
    text = (f"<b>{value:.2f}</b> of 5, from {ratings} rating{'s' * (ratings != 1)} and "
            f"{prints} confirmed print{'s' * (prints != 1)} "
            f"({int(rep.get('print_successes', 0))} good)")
    if ratings + prints < 5:
        text += " \u2014 it becomes more accurate as people review and print your models"
    return text


class RewardsPanel(QScrollArea):
    """Filled from ``GET /me/rewards`` and ``GET /me/ledger`` on :meth:`refresh`."""

    def __init__(self, bridge: ReviewsBridge, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._bridge = bridge
        self.summary: dict[str, Any] | None = None
        self.history: list[dict[str, Any]] = []
        self.setObjectName("rewards-panel")
        self.setWidgetResizable(True)
        body = QWidget()
        self.setWidget(body)

        self.balance_labels: dict[str, QLabel] = {}
        balances = QGroupBox("Balances")
        grid = QGridLayout(balances)
        for col, key in enumerate(CURRENCIES):
            value = QLabel("\u2013")
            value.setObjectName(f"balance-{key}")
            value.setAlignment(Qt.AlignmentFlag.AlignCenter)
            font = value.font()
            font.setPointSizeF(max(font.pointSizeF(), 9.0) * 1.8)
            font.setBold(True)
            value.setFont(font)
            caption = QLabel(CURRENCY_TEXT[key])
            caption.setAlignment(Qt.AlignmentFlag.AlignCenter)
            grid.addWidget(value, 0, col)
            grid.addWidget(caption, 1, col)
            self.balance_labels[key] = value

        self.tasks = QListWidget()
        self.tasks.setObjectName("beginner-tasks")
        self.tasks.setSelectionMode(QAbstractItemView.SelectionMode.NoSelection)
        self.tasks.setMaximumHeight(150)
        tasks_box = QGroupBox("Getting started")
        QVBoxLayout(tasks_box).addWidget(self.tasks)

        self.caps_box = QGroupBox("This month's capped rewards")
        self.caps_form = QFormLayout(self.caps_box)
        self.cap_bars: dict[str, QProgressBar] = {}

        standing = QGroupBox("Standing")
        s = QFormLayout(standing)
        self.reputation = QLabel()
        self.reputation.setObjectName("reputation")
        self.reputation.setWordWrap(True)
        self.karma = QLabel()
        self.karma.setObjectName("karma")
        self.cred = QLabel()
        self.cred.setObjectName("cred-tokens")
        self.cred.setWordWrap(True)
        s.addRow("Reputation:", self.reputation)
        s.addRow("Karma:", self.karma)
        s.addRow("Cred tokens:", self.cred)

        self.milestones = QTableWidget(0, 5)
        self.milestones.setObjectName("milestones")
        self.milestones.setHorizontalHeaderLabels(
            ["Model or profile", "Genuine downloads", "Points so far", "Next step at", "Cap"])
        self.milestones.verticalHeader().hide()
        self.milestones.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.milestones.horizontalHeader().setSectionResizeMode(
            QHeaderView.ResizeMode.ResizeToContents)
        self.milestones.horizontalHeader().setSectionResizeMode(
            0, QHeaderView.ResizeMode.Stretch)
        self.milestones.setMaximumHeight(130)
        milestones_box = QGroupBox("Download milestones")
        QVBoxLayout(milestones_box).addWidget(self.milestones)

        self.ledger = QTableWidget(0, 5)
        self.ledger.setObjectName("ledger")
        self.ledger.setHorizontalHeaderLabels(["When", "Why", "Amount", "Currency", "Balance"])
        self.ledger.verticalHeader().hide()
        self.ledger.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.ledger.horizontalHeader().setSectionResizeMode(
            QHeaderView.ResizeMode.ResizeToContents)
        self.ledger.horizontalHeader().setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        self.plot_holder = QWidget()
        self.plot_holder.setMinimumHeight(220)
        self.plot_holder.setMinimumWidth(380)
        QVBoxLayout(self.plot_holder).setContentsMargins(0, 0, 0, 0)
        self.plot: Any = None
        history_box = QGroupBox("Transaction history")
        split = QSplitter(Qt.Orientation.Horizontal)
        split.addWidget(self.ledger)
        split.addWidget(self.plot_holder)
        split.setStretchFactor(0, 3)
        split.setStretchFactor(1, 2)
        QVBoxLayout(history_box).addWidget(split)

        spend = QGroupBox("Spend")
        self.promote_model = QComboBox()
        self.promote_model.setObjectName("promote-model")
        self.promote_model.setMinimumContentsLength(24)
        self.promote_tokens = QSpinBox()
        self.promote_tokens.setObjectName("promote-tokens")
        self.promote_tokens.setRange(1, 20)
        self.promote_tokens.setSuffix(" token(s)")
        self.promote_button = QPushButton("&Promote")
        self.promote_button.setObjectName("promote")
        self.promote_button.setToolTip("1 token buys 50 promoted placements today")
        self.promote_button.clicked.connect(self.promote)
        self.convert_points = QSpinBox()
        self.convert_points.setObjectName("convert-points")
        self.convert_points.setRange(100, 1_000_000)
        self.convert_points.setSingleStep(100)
        self.convert_points.setSuffix(" spotlight points")
        self.convert_target = QComboBox()
        self.convert_target.setObjectName("convert-target")
        self.convert_target.addItem("to credits (100 \u2192 100, withdrawable)", "credits")
        self.convert_target.addItem("to points (100 \u2192 110)", "standard")
        self.convert_button = QPushButton("&Convert")
        self.convert_button.setObjectName("convert")
        self.convert_button.clicked.connect(self.convert)
        self.spend_status = QLabel()
        self.spend_status.setObjectName("spend-status")
        self.spend_status.setWordWrap(True)
        sp = QGridLayout(spend)
        sp.addWidget(QLabel("Promote your model:"), 0, 0)
        sp.addWidget(self.promote_model, 0, 1)
        sp.addWidget(self.promote_tokens, 0, 2)
        sp.addWidget(self.promote_button, 0, 3)
        sp.addWidget(QLabel("Convert:"), 1, 0)
        sp.addWidget(self.convert_points, 1, 1)
        sp.addWidget(self.convert_target, 1, 2)
        sp.addWidget(self.convert_button, 1, 3)
        sp.addWidget(self.spend_status, 2, 0, 1, 4)
        self.spend_box = spend

        self.status = QLabel()
        self.status.setObjectName("rewards-status")
        refresh = QPushButton("&Refresh")
        refresh.setObjectName("rewards-refresh")
        refresh.clicked.connect(self.refresh)
        top = QHBoxLayout()
        top.addWidget(self.status, 1)
        top.addWidget(refresh)

        middle = QHBoxLayout()
        middle.addWidget(tasks_box, 1)
        middle.addWidget(self.caps_box, 1)
        layout = QVBoxLayout(body)
        layout.addLayout(top)
        layout.addWidget(balances)
        layout.addLayout(middle)
        layout.addWidget(standing)
        layout.addWidget(spend)
        layout.addWidget(milestones_box)
        layout.addWidget(history_box, 1)

    # ------------------------------------------------------------ data
    def refresh(self) -> None:
        market = self._bridge.market
        if market is None or self._bridge.account is None:
            self.status.setText("Sign in to see your points.")
            return
        self.status.setText("Loading\u2026")
        self._bridge.run(lambda: (market.rewards(), market.ledger(), market.my_models()),
                         self.show_rewards,
                         lambda exc: self.status.setText(f"Not loaded: {exc}"))

    def show_rewards(self, answer: tuple[dict[str, Any], list[dict[str, Any]],
                                         list[dict[str, Any]]]) -> None:
        summary, history, models = answer
        self.promote_model.clear()
        for m in models:
            if m.get("status", "approved") == "approved":
                self.promote_model.addItem(str(m.get("title", m["id"])), int(m["id"]))
        self.promote_button.setEnabled(self.promote_model.count() > 0)
        self.summary, self.history = summary, history
        self.status.setText(f"Updated {datetime.now():%H:%M:%S}")
        balances = summary.get("balances", {})
        for key, label in self.balance_labels.items():
            label.setText(number(balances.get(key, 0)))
        self._show_tasks(summary.get("beginner_tasks", []))
        self._show_caps(summary.get("caps", {}))
        self.reputation.setText(reputation_text(summary.get("reputation", {})))
        self.karma.setText(f"{summary.get('karma', 0)} (never spent; earned by publishing, "
                           "downloads received, helpful reviews and good ratings)")
        cred = summary.get("cred_tokens", {})
        self.cred.setText(
            f"{cred.get('balance', 0)} \u2014 spent on promotion today: "
            f"{cred.get('spent_today', 0)} of {cred.get('creator_daily_cap', 0)} "
            f"(at most {cred.get('model_daily_cap', 0)} per model)")
        self._show_milestones(summary)
        self._show_history(history)

    def promote(self) -> None:
        market, model_id = self._bridge.market, self.promote_model.currentData()
        if market is None or model_id is None:
            return
        tokens = self.promote_tokens.value()

        def done(answer: dict[str, Any]) -> None:
            self.spend_status.setText(f"Promoted: {answer.get('placements')} placements until "
                                      f"{str(answer.get('expires_at', ''))[:16]} UTC.")
            self.refresh()

        self._bridge.run(lambda: market.promote(int(model_id), tokens), done,
                         lambda exc: self.spend_status.setText(f"<b>Not promoted:</b> {exc}"))

    def convert(self) -> None:
        market = self._bridge.market
        if market is None:
            return
        points, target = self.convert_points.value(), str(self.convert_target.currentData())
        if points % 100:
            self.spend_status.setText("Spotlight points convert by the hundred.")
            return

        def done(answer: dict[str, Any]) -> None:
            self.spend_status.setText(f"Converted: received {answer.get('received')} {target}.")
            self.refresh()

        self._bridge.run(lambda: market.convert_spotlight(points, target), done,
                         lambda exc: self.spend_status.setText(f"<b>Not converted:</b> {exc}"))

    def _show_tasks(self, tasks: list[dict[str, Any]]) -> None:
        self.tasks.clear()
        for task in tasks:
            done = bool(task.get("done"))
            text = TASK_TEXT.get(task["task"], task["task"])
            mark = "\u2714" if done else "\u2610"
            verb = "earned" if done else "pays"
            item = QListWidgetItem(f"{mark}  {text}  \u2014 {verb} {task.get('points', 0)} points")
            item.setData(Qt.ItemDataRole.UserRole, task["task"])
            item.setFlags(Qt.ItemFlag.ItemIsEnabled)
            if done:
                item.setForeground(self.palette().placeholderText())
            self.tasks.addItem(item)

    def _show_caps(self, caps: dict[str, Any]) -> None:
        for group, cap in caps.items():
            bar = self.cap_bars.get(group)
            if bar is None:
                bar = QProgressBar()
                bar.setObjectName(f"cap-{group}")
                self.cap_bars[group] = bar
                self.caps_form.addRow(CAP_TEXT.get(group, group.replace("_", " ")) + ":", bar)
            total = int(cap.get("cap", 0))
            used = float(cap.get("used", 0))
            bar.setRange(0, max(1, total))
            bar.setValue(min(total, int(used)))
            bar.setFormat(f"{number(used)} of {total} used, {number(max(0, total - used))} left")

    def _show_milestones(self, summary: dict[str, Any]) -> None:
        rows: list[list[str]] = []
        for m in summary.get("model_milestones", []):
            rows.append([f"Model: {m.get('title', m.get('model_id'))}",
                         str(m.get("genuine_downloads", 0)), number(m.get("points_so_far", 0)),
                         str(m.get("next_at") or "\u2013"), str(m.get("cap", ""))])
        for p in summary.get("profile_milestones", []):
            rows.append([f"Profile {p.get('profile_id')} (model {p.get('model_id')})",
                         str(p.get("genuine_downloads", 0)), number(p.get("points_so_far", 0)),
                         str(p.get("next_at") or "\u2013"), str(p.get("cap", ""))])
        self.milestones.setRowCount(len(rows))
        for r, row in enumerate(rows):
            for c, text in enumerate(row):
                self.milestones.setItem(r, c, QTableWidgetItem(text))

    def _show_history(self, history: list[dict[str, Any]]) -> None:
        self.ledger.setRowCount(len(history))
        for r, e in enumerate(history):
            when = str(e.get("created_at", ""))[:16].replace("T", " ")
            cells = [when, str(e.get("reason", "")).replace("_", " "), number(e.get("amount")),
                     str(e.get("currency", "")), number(e.get("balance"))]
            for c, text in enumerate(cells):
                item = QTableWidgetItem(text)
                if c == 2 and text.startswith("-"):
                    item.setForeground(Qt.GlobalColor.darkRed)
                self.ledger.setItem(r, c, item)
        self._plot(history)

    def _plot(self, history: list[dict[str, Any]]) -> None:
        """The running balance of each currency over time (a picture beats a table)."""
        import pyqtgraph as pg  # off the start-up path: the tab is filled on demand

        if self.plot is None:
            axis = pg.DateAxisItem(orientation="bottom")
            self.plot = pg.PlotWidget(axisItems={"bottom": axis})
            self.plot.setObjectName("balance-plot")
            self.plot.setBackground(None)
            self.plot.showGrid(x=True, y=True, alpha=0.2)
            self.plot.addLegend(offset=(8, 8))
            self.plot.setLabel("left", "balance")
            layout = self.plot_holder.layout()
            assert layout is not None
            layout.addWidget(self.plot)
        self.plot.clear()
        series: dict[str, tuple[list[float], list[float]]] = {}
        for e in reversed(history):  # oldest first
            try:
                t = datetime.fromisoformat(str(e["created_at"])).timestamp()
                xs, ys = series.setdefault(str(e["currency"]), ([], []))
                xs.append(t)
                ys.append(float(e["balance"]))
            except (KeyError, ValueError, TypeError):
                continue
        colours = {"standard": "#1e88e5", "spotlight": "#f9a825", "credits": "#43a047",
                   "cred": "#8e24aa", "karma": "#e53935"}
        for currency, (xs, ys) in series.items():
            self.plot.plot(xs, ys, name=currency, stepMode=None, symbol="o", symbolSize=5,
                           pen=pg.mkPen(colours.get(currency, "#757575"), width=2),
                           symbolBrush=colours.get(currency, "#757575"))
