"""Item models of the Library area.

:class:`LibraryModel` serves both the thumbnail grid (column 0, with its
decoration) and the table.  It holds only the ids of the current query's
results, fetched a page at a time as the view scrolls (``canFetchMore`` /
``fetchMore``), and loads each page's rows and each visible thumbnail on
the library's query thread: nothing blocks the GUI thread, and 100k models
cost a list of ints.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt
from PySide6.QtGui import QColor, QIcon, QImage, QPixmap

from library import search
from library.importer import ImportReport
from ui.library.bridge import LibraryBridge

PAGE = 200
ID_ROLE = Qt.ItemDataRole.UserRole + 1
THUMB_SIZE = 160

Index = QModelIndex | QPersistentModelIndex
_ROOT = QModelIndex()


def human_size(n: int) -> str:
    size = float(n)
    for unit in ("B", "kB", "MB", "GB"):
        if size < 1000 or unit == "GB":
            return f"{size:.0f} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1000
    return f"{n} B"


def _load_thumb(path: Path | None) -> QImage | None:
    if path is None:
        return None
    img = QImage(str(path))
    if img.isNull():
        return None
    return img.scaled(THUMB_SIZE, THUMB_SIZE, Qt.AspectRatioMode.KeepAspectRatio,
                      Qt.TransformationMode.SmoothTransformation)


class LibraryModel(QAbstractTableModel):
    COLUMNS: tuple[tuple[str, str], ...] = (
        ("Title", "title"), ("Format", "primary_format"), ("Triangles", "triangles"),
        ("Size", "total_size"), ("Licence", "licence"), ("Creator", "creator"),
        ("Printed", "print_count"))

    def __init__(self, bridge: LibraryBridge, parent: Any = None) -> None:
        super().__init__(parent)
        self.bridge = bridge
        self._query = search.Query()
        self._ids: list[int] = []
        self._rows: dict[int, dict[str, Any]] = {}
        self._requested: set[int] = set()          # page numbers asked for
        self._thumbs: dict[str, QIcon] = {}
        self._thumb_wanted: set[str] = set()
        self._generation = 0
        self._has_more = False
        self._fetching = False
        self._placeholder = self._make_placeholder()
        bridge.changed.connect(self._on_changed)

    @staticmethod
    def _make_placeholder() -> QIcon:
        pm = QPixmap(THUMB_SIZE, THUMB_SIZE)
        pm.fill(QColor(128, 128, 128, 40))
        return QIcon(pm)

    # -- the query -----------------------------------------------------
    @property
    def query(self) -> search.Query:
        return self._query

    def set_query(self, q: search.Query) -> None:
        self._query = q
        self.reload()

    def reload(self) -> None:
        self._generation += 1
        self.beginResetModel()
        self._ids, self._rows, self._requested = [], {}, set()
        self._has_more, self._fetching = True, False
        self.endResetModel()
        self._fetch_ids()

    def is_loading(self) -> bool:
        return self._fetching or bool(self._requested - self._loaded_pages())

    def _loaded_pages(self) -> set[int]:
        return {p for p in self._requested
                if all(i in self._rows for i in self._ids[p * PAGE:(p + 1) * PAGE])}

    def _fetch_ids(self) -> None:
        if self._fetching or not self._has_more:
            return
        self._fetching = True
        gen, q, offset = self._generation, self._query, len(self._ids)
        self.bridge.call(lambda: self.bridge.service.search(q, PAGE, offset),
                         lambda ids: self._ids_arrived(gen, ids))

    def _ids_arrived(self, gen: int, ids: list[int]) -> None:
        if gen != self._generation:
            return
        self._fetching = False
        self._has_more = len(ids) == PAGE
        if ids:
            first = len(self._ids)
            self.beginInsertRows(QModelIndex(), first, first + len(ids) - 1)
            self._ids.extend(ids)
            self.endInsertRows()
            self._want_page(first // PAGE)

    def canFetchMore(self, parent: Index = _ROOT) -> bool:
        return not parent.isValid() and self._has_more and not self._fetching

    def fetchMore(self, parent: Index = _ROOT) -> None:
        if not parent.isValid():
            self._fetch_ids()

    def _want_page(self, page: int) -> None:
        if page in self._requested:
            return
        self._requested.add(page)
        gen = self._generation
        ids = self._ids[page * PAGE:(page + 1) * PAGE]
        self.bridge.call(lambda: self.bridge.service.rows(ids),
                         lambda rows: self._rows_arrived(gen, page, rows))

    def _rows_arrived(self, gen: int, page: int, rows: dict[int, dict[str, Any]]) -> None:
        if gen != self._generation:
            return
        self._rows.update(rows)
        first = page * PAGE
        last = min(len(self._ids), first + PAGE) - 1
        if last >= first:
            self.dataChanged.emit(self.index(first, 0), self.index(last, self.columnCount() - 1))

    def _on_changed(self, ids: tuple[int, ...]) -> None:
        if not ids:
            self.reload()
            return
        # Refresh the rows shown; a changed title may also change the order.
        self.reload()

    def _want_thumb(self, digest: str) -> None:
        if digest in self._thumb_wanted:
            return
        self._thumb_wanted.add(digest)
        service = self.bridge.service
        self.bridge.call(lambda: _load_thumb(service.thumbnail_path(digest)),
                         lambda img: self._thumb_arrived(digest, img))

    def _thumb_arrived(self, digest: str, img: QImage | None) -> None:
        self._thumbs[digest] = QIcon(QPixmap.fromImage(img)) if img is not None else (
            self._placeholder)
        for row, mid in enumerate(self._ids):
            r = self._rows.get(mid)
            if r is not None and r.get("thumb_hash") == digest:
                idx = self.index(row, 0)
                self.dataChanged.emit(idx, idx, [Qt.ItemDataRole.DecorationRole])

    # -- the model interface --------------------------------------------
    def rowCount(self, parent: Index = _ROOT) -> int:
        return 0 if parent.isValid() else len(self._ids)

    def columnCount(self, parent: Index = _ROOT) -> int:
        return 0 if parent.isValid() else len(self.COLUMNS)

    def headerData(self, section: int, orientation: Qt.Orientation,
                   role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if (orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole
                and 0 <= section < len(self.COLUMNS)):
            return self.COLUMNS[section][0]
        return None

    def model_id(self, row: int) -> int | None:
        return self._ids[row] if 0 <= row < len(self._ids) else None

    def row_of(self, model_id: int) -> int | None:
        try:
            return self._ids.index(model_id)
        except ValueError:
            return None

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not (0 <= index.row() < len(self._ids)):
            return None
        mid = self._ids[index.row()]
        if role == ID_ROLE:
            return mid
        r = self._rows.get(mid)
        if r is None:
            self._want_page(index.row() // PAGE)
            if role == Qt.ItemDataRole.DisplayRole and index.column() == 0:
                return "\u2026"
            if role == Qt.ItemDataRole.DecorationRole and index.column() == 0:
                return self._placeholder
            return None
        key = self.COLUMNS[index.column()][1]
        if role == Qt.ItemDataRole.DisplayRole:
            v = r.get(key)
            if key == "total_size":
                return human_size(int(v or 0))
            if key == "triangles":
                return f"{int(v or 0):,}" if v else ""
            if key == "print_count":
                if not v:
                    return ""
                return f"{v}\u00d7 ({r['success_count']} ok)"
            if key == "primary_format":
                return str(v or "").upper()
            return "" if v is None else str(v)
        if role == Qt.ItemDataRole.DecorationRole and index.column() == 0:
            digest = r.get("thumb_hash")
            if not digest:
                return self._placeholder
            icon = self._thumbs.get(digest)
            if icon is None:
                self._want_thumb(digest)
                return self._placeholder
            return icon
        if role == Qt.ItemDataRole.ToolTipRole and index.column() == 0:
            return r.get("title")
        if role == Qt.ItemDataRole.TextAlignmentRole and key in ("triangles", "total_size"):
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        return None


class ImportReportModel(QAbstractTableModel):
    """The import report: one row per file, with its state and error."""

    HEADERS = ("File", "Result", "Details")

    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self._lines: list[Any] = []

    def set_report(self, report: ImportReport) -> None:
        self.beginResetModel()
        # Failures first: they are what a person needs to read.
        order = {"failed": 0, "pending": 1, "duplicate": 2, "done": 3}
        self._lines = sorted(report.lines, key=lambda ln: order.get(ln.state, 9))
        self.endResetModel()

    def rowCount(self, parent: Index = _ROOT) -> int:
        return 0 if parent.isValid() else len(self._lines)

    def columnCount(self, parent: Index = _ROOT) -> int:
        return 0 if parent.isValid() else 3

    def headerData(self, section: int, orientation: Qt.Orientation,
                   role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if (orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole
                and 0 <= section < 3):
            return self.HEADERS[section]
        return None

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not (0 <= index.row() < len(self._lines)):
            return None
        ln = self._lines[index.row()]
        if role == Qt.ItemDataRole.DisplayRole:
            label = {"done": "Imported", "duplicate": "Already in the library",
                     "failed": "Failed", "pending": "Not done yet"}.get(ln.state, ln.state)
            return (ln.name, label, ln.error)[index.column()]
        if role == Qt.ItemDataRole.ForegroundRole and ln.state == "failed":
            return QColor(200, 40, 40)
        if role == Qt.ItemDataRole.ToolTipRole:
            return ln.error or None
        return None
