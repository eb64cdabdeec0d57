"""The profile browser: other people's print profiles for a model, with the
model's print-success figures and each profile's downloads, and a download
into the library (the profile written as a slicer ``.ini`` bundle, which the
library reads as print settings).

``save`` (given by the composition root) takes the written file and puts it in
the library; without it the file stays in ``download_dir``.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from ui.reviews.bridge import ReviewsBridge

log = logging.getLogger(__name__)
_Index = QModelIndex | QPersistentModelIndex
PROFILE_COLUMNS = ("Profile", "Material", "Nozzle", "Layer", "Infill", "Supports", "Slicer",
                   "Downloads")


def success_text(model: dict[str, Any]) -> str:
    rate = model.get("success_rate")
    reviews = int(model.get("reviews", 0) or 0)
    rating = model.get("average_rating")
    parts = [f"{model.get('genuine_downloads', 0)} genuine downloads",
             f"{reviews} review{'s' * (reviews != 1)}"
             + (f", {float(rating):.1f} \u2605 average" if rating else "")]
    parts.append("print success " + (f"{float(rate) * 100:.0f} %" if rate is not None
                                     else "not known yet (no confirmed prints)"))
    return "; ".join(parts)


class ProfileModel(QAbstractTableModel):
    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self.profiles: list[dict[str, Any]] = []

    def set_profiles(self, profiles: list[dict[str, Any]]) -> None:
        self.beginResetModel()
        self.profiles = list(profiles)
        self.endResetModel()

    def rowCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.profiles)

    def columnCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(PROFILE_COLUMNS)

    def headerData(self, section: int, orientation: Qt.Orientation,
                   role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if (orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole
                and 0 <= section < len(PROFILE_COLUMNS)):
            return PROFILE_COLUMNS[section]
        return None

    def data(self, index: _Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not (0 <= index.row() < len(self.profiles)):
            return None
        p = self.profiles[index.row()]
        if role == Qt.ItemDataRole.UserRole:
            return p.get("id")
        if role != Qt.ItemDataRole.DisplayRole:
            return None
        col = index.column()
        values = (p.get("title", ""), p.get("material", ""), f"{p.get('nozzle_diameter')} mm",
                  f"{p.get('layer_height')} mm", f"{p.get('infill_density')} %",
                  (p.get("support_type") or "yes") if p.get("supports") else "no",
                  p.get("slicer") or "", str(p.get("genuine_downloads", 0)))
        return str(values[col]) if 0 <= col < len(values) else None


class ProfileBrowser(QWidget):
    def __init__(self, bridge: ReviewsBridge, *, download_dir: Path | None = None,
                 save: Callable[[Path], None] | None = None,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._bridge = bridge
        self._download_dir = download_dir
        self._save = save
        self.models: list[dict[str, Any]] = []
        self.setObjectName("profile-browser")
        self.search = QLineEdit()
        self.search.setObjectName("profile-model-search")
        self.search.setPlaceholderText("Search the marketplace's models")
        self.search.returnPressed.connect(self.refresh)
        self.model_box = QComboBox()
        self.model_box.setObjectName("profile-model")
        self.model_box.setMinimumContentsLength(30)
        self.model_box.currentIndexChanged.connect(self._model_chosen)
        self.figures = QLabel()
        self.figures.setObjectName("model-success")
        self.figures.setWordWrap(True)
        self.table_model = ProfileModel()  # owned here (Python), not by the widget tree
        self.table = QTableView()
        self.table.setObjectName("profile-table")
        self.table.setModel(self.table_model)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.verticalHeader().hide()
        self.table.horizontalHeader().setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        self.download = QPushButton("&Download into the library")
        self.download.setObjectName("profile-download")
        self.download.clicked.connect(self.download_selected)
        self.status = QLabel()
        self.status.setObjectName("profile-status")
        self.status.setWordWrap(True)
        top = QHBoxLayout()
        top.addWidget(self.search, 1)
        top.addWidget(self.model_box, 1)
        bottom = QHBoxLayout()
        bottom.addWidget(self.status, 1)
        bottom.addWidget(self.download)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(self.figures)
        layout.addWidget(self.table, 1)
        layout.addLayout(bottom)
        self._loaded_once = False

    def showEvent(self, event: Any) -> None:
        super().showEvent(event)
        if not self._loaded_once:
            self._loaded_once = True
            self.refresh()

    def refresh(self) -> None:
        market = self._bridge.market
        if market is None:
            self.status.setText("No marketplace is set up.")
            return
        query = self.search.text().strip()
        self._bridge.run(lambda: market.models(query), self._show_models,
                         lambda exc: self.status.setText(f"Not loaded: {exc}"))

    def _show_models(self, models: list[dict[str, Any]]) -> None:
        self.models = models
        self.model_box.blockSignals(True)
        self.model_box.clear()
        for m in models:
            self.model_box.addItem(str(m.get("title", m["id"])), int(m["id"]))
        self.model_box.blockSignals(False)
        if not models:
            self.status.setText("No model found.")
        self._model_chosen()

    def show_model(self, model_id: int) -> None:
        index = self.model_box.findData(model_id)
        if index >= 0:
            self.model_box.setCurrentIndex(index)

    def _model_chosen(self, *_: object) -> None:
        market = self._bridge.market
        row = self.model_box.currentIndex()
        if market is None or not (0 <= row < len(self.models)):
            self.table_model.set_profiles([])
            self.figures.setText("")
            return
        model = self.models[row]
        self.figures.setText(f"<b>{model.get('title')}</b> by "
                             f"{model.get('creator', {}).get('username', '?')}: "
                             + success_text(model))
        model_id = int(model["id"])

        def shown(profiles: list[dict[str, Any]]) -> None:
            if self.model_box.currentData() == model_id:
                self.table_model.set_profiles(profiles)
                self.status.setText(f"{len(profiles)} print profile(s)")

        self._bridge.run(lambda: market.model_profiles(model_id), shown,
                         lambda exc: self.status.setText(f"Not loaded: {exc}"))

    def download_selected(self) -> None:
        market = self._bridge.market
        index = self.table.currentIndex()
        if market is None or not index.isValid():
            self.status.setText("Choose a profile first.")
            return
        if self._bridge.account is None:
            self.status.setText("Sign in to download (downloads count for the creators).")
            return
        profile_id = int(self.table_model.profiles[index.row()]["id"])
        folder = self._download_dir or Path.home() / "Downloads"
        save = self._save

        def fetch() -> Path:
            path = market.download_profile(profile_id, folder)
            if save is not None:
                save(path)
            return path

        self._bridge.run(fetch, lambda path: self.status.setText(
            f"Downloaded to {path}" + (" and added to the library." if save else ".")),
            lambda exc: self.status.setText(f"<b>Not downloaded:</b> {exc}"))
