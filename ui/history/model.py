"""The history table's model: rows fetched lazily, a page at a time, on the
history service's query thread (keyset paging, newest first), so opening it
over 100k or 1M jobs costs one indexed page.  ``canFetchMore`` /
``fetchMore`` ask for the next page; rows are inserted when it arrives."""

from __future__ import annotations

import datetime as dt
from typing import Any

from PySide6.QtCore import (
    QAbstractTableModel,
    QModelIndex,
    QPersistentModelIndex,
    Qt,
    Signal,
)
from PySide6.QtGui import QBrush, QColor

from history.records import HistoryFilter, HistoryRow
from history.store import PAGE
from ui.history.bridge import HistoryBridge

Index = QModelIndex | QPersistentModelIndex

COLUMNS: tuple[tuple[str, str], ...] = (
    ("Started", "created_at"), ("Printer", "printer"), ("File", "file_name"),
    ("Model", "model_title"), ("Material", "material"), ("Profile", "profile"),
    ("Outcome", "outcome"), ("Reason", "reason_key"), ("Print time", "printing_s"),
    ("Filament", "filament_mm"), ("Verdict", "verdict"),
)
_OUTCOME_COLOURS = {"completed": "#2e7d32", "failed": "#c62828", "cancelled": "#ef6c00",
                    "interrupted": "#6a1b9a"}


def hours(seconds: float | None) -> str:
    if seconds is None:
        return ""
    m = int(seconds // 60)
    return f"{m // 60}h {m % 60:02d}m" if m >= 60 else f"{m}m {int(seconds % 60):02d}s"


class HistoryTableModel(QAbstractTableModel):
    """See the module docstring.  ``loaded`` is emitted after each page."""

    loaded = Signal()
    counted = Signal(int)

    def __init__(self, bridge: HistoryBridge, page_size: int = PAGE) -> None:
        super().__init__()
        self.bridge = bridge
        self.page_size = page_size
        self._rows: list[HistoryRow] = []
        self._filter = HistoryFilter()
        self._generation = 0
        self._loading = False
        self._exhausted = False
        self.total: int | None = None

    # -- what the view shows ---------------------------------------------------
    def set_filter(self, flt: HistoryFilter) -> None:
        self._filter = flt
        self.reload()

    @property
    def filter(self) -> HistoryFilter:
        return self._filter

    def reload(self) -> None:
        """Start again from the newest row (after a sync or a filter change)."""
        self._generation += 1
        self.beginResetModel()
        self._rows = []
        self._exhausted = False
        self._loading = False
        self.total = None
        self.endResetModel()
        self._request()
        gen, flt = self._generation, self._filter
        self.bridge.call(lambda s: s.count(flt), lambda n: self._counted(gen, n))

    def is_loading(self) -> bool:
        return self._loading

    def row_at(self, row: int) -> HistoryRow:
        return self._rows[row]

    def _request(self) -> None:
        if self._loading or self._exhausted:
            return
        self._loading = True
        gen, flt = self._generation, self._filter
        after = self._rows[-1].sort_key if self._rows else None
        size = self.page_size
        if not self.bridge.call(lambda s: s.page(flt, after, size),
                                lambda rows: self._arrived(gen, rows)):
            self._loading = False

    def _arrived(self, gen: int, rows: list[HistoryRow]) -> None:
        if gen != self._generation:
            return  # an answer to an older question
        if len(rows) < self.page_size:
            self._exhausted = True
        if rows:
            first = len(self._rows)
            self.beginInsertRows(QModelIndex(), first, first + len(rows) - 1)
            self._rows.extend(rows)
            self.endInsertRows()
        # Only now: a view asking for more while the rows go in must wait.
        self._loading = False
        self.loaded.emit()

    def _counted(self, gen: int, n: int) -> None:
        if gen == self._generation:
            self.total = n
            self.counted.emit(n)

    # -- Qt's model interface ----------------------------------------------------
    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(COLUMNS)

    def canFetchMore(self, parent: Index = QModelIndex()) -> bool:  # noqa: B008
        return not parent.isValid() and not self._exhausted and not self._loading

    def fetchMore(self, parent: Index = QModelIndex()) -> None:  # noqa: B008
        if not parent.isValid():
            self._request()

    def headerData(self, section: int, orientation: Qt.Orientation,
                   role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if (orientation is Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole
                and 0 <= section < len(COLUMNS)):
            return COLUMNS[section][0]
        return None

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not (0 <= index.row() < len(self._rows)) \
                or not (0 <= index.column() < len(COLUMNS)):
            return None
        r = self._rows[index.row()]
        key = COLUMNS[index.column()][1]
        if role == Qt.ItemDataRole.DisplayRole:
            return _display(r, key)
        if role == Qt.ItemDataRole.ToolTipRole:
            if key in ("outcome", "reason_key"):
                return r.reason or r.outcome
            if key == "verdict" and r.verdict_reason:
                return r.verdict_reason
            return None
        if role == Qt.ItemDataRole.ForegroundRole and key == "outcome":
            colour = _OUTCOME_COLOURS.get(r.outcome)
            return QBrush(QColor(colour)) if colour else None
        if role == Qt.ItemDataRole.UserRole:
            return r.job_id
        if role == Qt.ItemDataRole.TextAlignmentRole and key in ("printing_s", "filament_mm"):
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        return None


def _display(r: HistoryRow, key: str) -> str:
    if key == "created_at":
        return dt.datetime.fromtimestamp(r.created_at).strftime("%Y-%m-%d %H:%M")
    if key == "printing_s":
        return hours(r.printing_s)
    if key == "filament_mm":
        return "" if r.filament_mm is None else f"{r.filament_mm / 1000:.2f} m"
    if key == "outcome" and r.outcome == "completed" and r.verdict == "bad":
        return "completed (bad)"
    value = getattr(r, key)
    return "" if value is None else str(value)
