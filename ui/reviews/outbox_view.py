"""The outbox view: everything on its way to the marketplace, its state, why a
rejected item failed, and a way to fix it and send it again.

:class:`OutboxModel` is a table of ``reviews.outbox.OutboxItem`` snapshots,
kept current by the bridge's ``outbox_changed`` (one row updated in place, or
inserted); :class:`OutboxView` shows it with the selected item's details, an
editor for a rejected item's fields, and Resend / Discard / Send now.
"""

from __future__ import annotations

import json
import time
from typing import Any

from PySide6.QtCore import (
    QAbstractTableModel,
    QModelIndex,
    QPersistentModelIndex,
    Qt,
)
from PySide6.QtGui import QBrush, QColor
from PySide6.QtWidgets import (
    QAbstractItemView,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QSpinBox,
    QSplitter,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from ui.reviews.bridge import ReviewsBridge

_Index = QModelIndex | QPersistentModelIndex
COLUMNS = ("What", "Kind", "State", "Tries", "Queued", "Why")
_KIND = {"receipt": "print receipt", "review": "review", "profile": "print profile",
         "model_publication": "model", "vote": "vote", "report": "report",
         "jury_vote": "jury vote", "feedback": "suggestion", "device_key": "device key"}
_STATE = {"queued": "waiting", "sending": "sending\u2026", "delivered": "delivered",
          "rejected": "rejected"}
_COLOURS = {"rejected": QColor("#c62828"), "delivered": QColor("#2e7d32"),
            "sending": QColor("#1565c0")}
#: Payload fields the user may fix in a rejected item (scalars only).
EDITABLE_FIELDS = ("rating", "stars", "description", "title", "text", "reason", "note",
                   "vote")


def why(item: Any, now: float | None = None) -> str:
    """One line on why the item is where it is."""
    state = str(item.state)
    if state == "rejected":
        fix = "fix it and resend" if item.fixable else "it cannot be sent as it is"
        return f"{item.last_error or 'refused'} ({fix})"
    if state == "queued":
        now = time.time() if now is None else now
        wait = item.next_attempt_at - now
        if item.last_error:
            return f"{item.last_error}; next try in {max(0, int(wait))} s"
        if wait > 60:
            return f"held for your verdict ({int(wait // 60)} min left)"
        return ""
    return ""


class OutboxModel(QAbstractTableModel):
    """One row per outbox item, newest first."""

    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self._items: list[Any] = []
        self._rows: dict[int, int] = {}

    # -- filling ----------------------------------------------------------
    def set_items(self, items: list[Any]) -> None:
        self.beginResetModel()
        self._items = sorted(items, key=lambda i: -i.id)
        self._reindex()
        self.endResetModel()

    def _reindex(self) -> None:
        self._rows = {item.id: row for row, item in enumerate(self._items)}

    def upsert(self, item: Any) -> None:
        """An item's new snapshot: its row changes, or a new row appears in order."""
        row = self._rows.get(item.id)
        if row is not None:
            self._items[row] = item
            self.dataChanged.emit(self.index(row, 0), self.index(row, len(COLUMNS) - 1))
            return
        row = next((r for r, other in enumerate(self._items) if other.id < item.id),
                   len(self._items))
        self.beginInsertRows(QModelIndex(), row, row)
        self._items.insert(row, item)
        self._reindex()
        self.endInsertRows()

    def remove(self, item_id: int) -> None:
        row = self._rows.get(item_id)
        if row is None:
            return
        self.beginRemoveRows(QModelIndex(), row, row)
        del self._items[row]
        self._reindex()
        self.endRemoveRows()

    def item(self, row: int) -> Any:
        return self._items[row]

    def row_of(self, item_id: int) -> int | None:
        return self._rows.get(item_id)

    def counts(self) -> dict[str, int]:
        out: dict[str, int] = {}
        for item in self._items:
            out[str(item.state)] = out.get(str(item.state), 0) + 1
        return out

    # -- the model ----------------------------------------------------------
    def rowCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._items)

    def columnCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(COLUMNS)

    def headerData(self, section: int, orientation: Qt.Orientation,
                   role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if (orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole
                and 0 <= section < len(COLUMNS)):
            return COLUMNS[section]
        return None

    def data(self, index: _Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not (0 <= index.row() < len(self._items)):
            return None
        item = self._items[index.row()]
        col = index.column()
        state = str(item.state)
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.ToolTipRole):
            if col == 0:
                return item.title or f"item {item.id}"
            if col == 1:
                return _KIND.get(item.kind, item.kind)
            if col == 2:
                return _STATE.get(state, state)
            if col == 3:
                return str(item.attempts)
            if col == 4:
                return time.strftime("%Y-%m-%d %H:%M", time.localtime(item.created_at))
            if col == 5:
                return why(item)
        if role == Qt.ItemDataRole.ForegroundRole and col in (2, 5) and state in _COLOURS:
            return QBrush(_COLOURS[state])
        if role == Qt.ItemDataRole.UserRole:
            return item.id
        return None


class OutboxView(QWidget):
    """The table, the selected item's details, and what can be done with it."""

    def __init__(self, bridge: ReviewsBridge, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._bridge = bridge
        self.setObjectName("outbox-view")
        self.model = OutboxModel(self)
        self.table = QTableView()
        self.table.setObjectName("outbox-table")
        self.table.setModel(self.model)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.verticalHeader().hide()
        self.table.setAlternatingRowColors(True)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        header.setSectionResizeMode(5, QHeaderView.ResizeMode.Stretch)
        self.table.selectionModel().currentRowChanged.connect(lambda *_: self._show_selected())
        self.summary = QLabel()
        self.summary.setObjectName("outbox-summary")
        self.send_now = QPushButton("Send &now")
        self.send_now.setObjectName("outbox-send-now")
        self.send_now.setToolTip("Try every waiting item now (after the network is back)")
        self.send_now.clicked.connect(self._send_now)
        top = QHBoxLayout()
        top.addWidget(self.summary, 1)
        top.addWidget(self.send_now)

        self.details = QGroupBox("Item")
        self.reason = QLabel()
        self.reason.setObjectName("outbox-reason")
        self.reason.setWordWrap(True)
        self.reason.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.fields = QFormLayout()
        self.editors: dict[str, QWidget] = {}
        self.payload = QPlainTextEdit()
        self.payload.setObjectName("outbox-payload")
        self.payload.setReadOnly(True)
        self.payload.setMaximumHeight(160)
        self.resend = QPushButton("Save and &resend")
        self.resend.setObjectName("outbox-resend")
        self.resend.clicked.connect(self._resend)
        self.discard = QPushButton("&Discard")
        self.discard.setObjectName("outbox-discard")
        self.discard.clicked.connect(self._discard)
        actions = QHBoxLayout()
        actions.addStretch(1)
        actions.addWidget(self.discard)
        actions.addWidget(self.resend)
        box = QVBoxLayout(self.details)
        box.addWidget(self.reason)
        box.addLayout(self.fields)
        box.addWidget(QLabel("What is sent:"))
        box.addWidget(self.payload)
        box.addLayout(actions)

        splitter = QSplitter(Qt.Orientation.Vertical)
        splitter.addWidget(self.table)
        splitter.addWidget(self.details)
        splitter.setStretchFactor(0, 3)
        splitter.setStretchFactor(1, 2)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(splitter, 1)

        self._since_load: dict[int, Any] = {}
        bridge.outbox_changed.connect(self._changed)
        self._show_selected()
        self.reload()

    # ------------------------------------------------------------ data
    def reload(self) -> None:
        outbox = self._bridge.service.outbox
        self._since_load = {}
        self._bridge.run(lambda: outbox.items(limit=500), self._loaded)

    def _loaded(self, items: list[Any]) -> None:
        # Snapshots that arrived while the list was read are as new or newer.
        merged = {item.id: item for item in items}
        for item in self._since_load.values():
            old = merged.get(item.id)
            if old is None or old.updated_at <= item.updated_at:
                merged[item.id] = item
        self._since_load = {}
        selected = self.selected()
        self.model.set_items(list(merged.values()))
        if selected is not None:
            self.select(selected.id)
        self._summarise()

    def _changed(self, item: Any) -> None:
        if item is None:
            self.reload()
            return
        self._since_load[item.id] = item
        self.model.upsert(item)
        self._summarise()
        current = self.selected()
        if current is not None and current.id == item.id:
            self._show_selected()

    def _summarise(self) -> None:
        c = self.model.counts()
        parts = [f"{c.get('queued', 0) + c.get('sending', 0)} waiting",
                 f"{c.get('delivered', 0)} delivered"]
        if c.get("rejected"):
            parts.append(f"<b style='color:#c62828'>{c['rejected']} rejected</b>")
        self.summary.setText("Outbox: " + ", ".join(parts))

    def selected(self) -> Any:
        index = self.table.currentIndex()
        return self.model.item(index.row()) if index.isValid() else None

    def select(self, item_id: int) -> None:
        row = self.model.row_of(item_id)
        if row is not None:
            self.table.selectRow(row)
            self.table.setCurrentIndex(self.model.index(row, 0))

    # ------------------------------------------------------------ details
    def _show_selected(self) -> None:
        item = self.selected()
        while self.fields.rowCount():
            self.fields.removeRow(0)
        self.editors = {}
        if item is None:
            self.details.setTitle("Item")
            self.reason.setText("Select an item to see what is sent and why it waits.")
            self.payload.setPlainText("")
            self.resend.setEnabled(False)
            self.discard.setEnabled(False)
            return
        state = str(item.state)
        self.details.setTitle(f"{item.title or 'Item'} \u2014 {_STATE.get(state, state)}")
        text = why(item) or {"delivered": "Delivered: the marketplace has it.",
                             "sending": "Being sent now."}.get(state, "Waiting to be sent.")
        if state == "rejected":
            text = f"<b>The marketplace refused it:</b> {item.last_error or 'no reason given'}"
            text += ("<br>Change what is wrong below and resend it." if item.fixable
                     else "<br>It cannot be sent as it is; discard it.")
        self.reason.setText(text)
        fixable = state == "rejected" and bool(item.fixable)
        for key in EDITABLE_FIELDS:
            if key not in item.payload:
                continue
            value = item.payload[key]
            editor: QWidget
            if isinstance(value, int) and not isinstance(value, bool):
                spin = QSpinBox()
                spin.setRange(0, 10**6)
                spin.setValue(value)
                editor = spin
            elif value is None or isinstance(value, str):
                line = QLineEdit("" if value is None else value)
                editor = line
            else:
                continue
            editor.setObjectName(f"outbox-field-{key}")
            editor.setEnabled(fixable)
            self.editors[key] = editor
            self.fields.addRow(key.replace("_", " ").capitalize() + ":", editor)
        shown = {k: ("(signed receipt)" if k == "receipt" and v else v)
                 for k, v in item.payload.items()}
        self.payload.setPlainText(json.dumps(shown, indent=2, ensure_ascii=False)
                                  + "".join(f"\n+ {f.role}: {f.path.name} ({f.size} bytes)"
                                            for f in item.files))
        self.resend.setEnabled(fixable)
        self.discard.setEnabled(state == "rejected"
                                or (state == "queued" and item.attempts == 0))

    def edited_payload(self, item: Any) -> dict[str, Any]:
        payload = dict(item.payload)
        for key, editor in self.editors.items():
            if isinstance(editor, QSpinBox):
                payload[key] = editor.value()
            elif isinstance(editor, QLineEdit):
                old = payload.get(key)
                payload[key] = None if (old is None and not editor.text()) else editor.text()
        return payload

    # ------------------------------------------------------------ actions
    def _resend(self) -> None:
        item = self.selected()
        if item is None:
            return
        outbox = self._bridge.service.outbox
        service = self._bridge.service
        payload = self.edited_payload(item)

        def resend() -> Any:
            if payload != item.payload:
                outbox.edit(item.id, payload=payload)
            requeued = outbox.requeue(item.id)
            service.send_now()
            return requeued

        self.resend.setEnabled(False)
        self._bridge.run(resend, lambda _i: None, self._failed)

    def _discard(self) -> None:
        item = self.selected()
        if item is None:
            return
        outbox = self._bridge.service.outbox
        def gone(_r: object) -> None:
            self._since_load.pop(item.id, None)
            self.model.remove(item.id)
            self._summarise()
            self._show_selected()

        self._bridge.run(lambda: outbox.discard(item.id), gone, self._failed)

    def _send_now(self) -> None:
        self._bridge.run(self._bridge.service.send_now)

    def _failed(self, exc: BaseException) -> None:
        self.reason.setText(f"<b>Not done:</b> {exc}")
        self._show_selected_later()

    def _show_selected_later(self) -> None:
        self.resend.setEnabled(True)
