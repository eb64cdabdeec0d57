"""The detail panel: thumbnail, 3D preview, facts and settings of each file,
near-duplicates, and the metadata editor."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QFont
from PySide6.QtWidgets import (
    QComboBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QScrollArea,
    QSpinBox,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from library import analyse, mesh
from library.catalog import ModelDetail
from library.licences import LICENCE_CHOICES
from library.schema import ORIGINS
from ui.library.bridge import LibraryBridge
from ui.library.models import human_size
from ui.library.preview import MeshPreview

log = logging.getLogger(__name__)

_TEXT_FIELDS = ("title", "category", "creator", "attribution", "source_url",
                "marketplace_model_id", "marketplace_profile_id")


def load_triangles(path: Path, name: str) -> Any:
    """Parse a stored mesh for the preview (runs on the query thread)."""
    fmt = analyse.format_of(name)
    data = path.read_bytes()
    if fmt == "stl":
        return mesh.parse_stl(data, name).triangles
    if fmt == "obj":
        return mesh.parse_obj(data, name).triangles
    if fmt == "3mf":
        from library.threemf import read_3mf

        m = read_3mf(data, name).mesh
        return m.triangles if m is not None else None
    return None


class MetadataEditor(QWidget):
    """Edits one model's metadata; ``save_requested(fields, tags, collections)``."""

    save_requested = Signal(dict, list, list)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        form = QFormLayout(self)
        self.edits: dict[str, QLineEdit] = {}
        for key in _TEXT_FIELDS:
            e = QLineEdit()
            e.setObjectName(f"edit-{key}")
            self.edits[key] = e
        self.licence = QComboBox()
        self.licence.setEditable(True)
        self.licence.addItems(list(LICENCE_CHOICES))
        self.licence.setObjectName("edit-licence")
        self.origin = QComboBox()
        self.origin.addItems(list(ORIGINS))
        self.origin.setObjectName("edit-origin")
        self.remix_parent = QSpinBox()
        self.remix_parent.setRange(0, 2**31 - 1)
        self.remix_parent.setSpecialValueText("none")
        self.tags = QLineEdit()
        self.tags.setObjectName("edit-tags")
        self.tags.setPlaceholderText("comma, separated")
        self.collections = QLineEdit()
        self.collections.setObjectName("edit-collections")
        self.description = QPlainTextEdit()
        self.description.setMaximumHeight(80)
        self.notes = QPlainTextEdit()
        self.notes.setMaximumHeight(60)
        form.addRow("&Title", self.edits["title"])
        form.addRow("&Description", self.description)
        form.addRow("Ta&gs", self.tags)
        form.addRow("&Category", self.edits["category"])
        form.addRow("C&ollections", self.collections)
        form.addRow("&Licence", self.licence)
        form.addRow("O&rigin", self.origin)
        form.addRow("Cr&eator", self.edits["creator"])
        form.addRow("Attribution", self.edits["attribution"])
        form.addRow("Source URL", self.edits["source_url"])
        form.addRow("Remix of model #", self.remix_parent)
        form.addRow("Marketplace model", self.edits["marketplace_model_id"])
        form.addRow("Marketplace profile", self.edits["marketplace_profile_id"])
        form.addRow("&Notes", self.notes)
        self.save = QPushButton("&Save changes")
        self.save.setObjectName("save-metadata")
        self.save.clicked.connect(self._emit_save)
        form.addRow(self.save)

    def load(self, d: ModelDetail) -> None:
        f = d.fields
        for key, e in self.edits.items():
            e.setText(str(f.get(key) or ""))
        self.licence.setCurrentText(f.get("licence") or "")
        self.origin.setCurrentText(f.get("origin") or "imported")
        self.remix_parent.setValue(int(f.get("remix_parent_id") or 0))
        self.description.setPlainText(f.get("description") or "")
        self.notes.setPlainText(f.get("notes") or "")
        self.tags.setText(", ".join(d.tags))
        self.collections.setText(", ".join(d.collections))

    def _emit_save(self) -> None:
        fields: dict[str, Any] = {k: e.text().strip() for k, e in self.edits.items()}
        for key in ("marketplace_model_id", "marketplace_profile_id"):
            fields[key] = fields[key] or None
        fields["licence"] = self.licence.currentText().strip()
        fields["origin"] = self.origin.currentText()
        fields["remix_parent_id"] = self.remix_parent.value() or None
        fields["description"] = self.description.toPlainText()
        fields["notes"] = self.notes.toPlainText()
        tags = [t.strip() for t in self.tags.text().split(",") if t.strip()]
        colls = [c.strip() for c in self.collections.text().split(",") if c.strip()]
        self.save_requested.emit(fields, tags, colls)


class DetailPanel(QWidget):
    def __init__(self, bridge: LibraryBridge, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("library-detail")
        self.bridge = bridge
        self.model_id: int | None = None
        self.detail: ModelDetail | None = None
        lay = QVBoxLayout(self)
        lay.setContentsMargins(6, 0, 0, 0)
        self.title = QLabel("Select a model")
        font = QFont(self.title.font())
        font.setPointSizeF(font.pointSizeF() * 1.3)
        font.setBold(True)
        self.title.setFont(font)
        self.title.setWordWrap(True)
        self.subtitle = QLabel()
        self.subtitle.setWordWrap(True)
        self.preview = MeshPreview()
        self.tabs = QTabWidget()
        self.files = QLabel()
        self.files.setObjectName("detail-files")
        self.files.setWordWrap(True)
        self.files.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.files.setAlignment(Qt.AlignmentFlag.AlignTop)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setWidget(self.files)
        self.editor = MetadataEditor()
        editor_scroll = QScrollArea()
        editor_scroll.setWidgetResizable(True)
        editor_scroll.setWidget(self.editor)
        self.tabs.addTab(scroll, "&Files && settings")
        self.tabs.addTab(editor_scroll, "&Metadata")
        dup_row = QHBoxLayout()
        self.duplicates = QLabel()
        self.merge_button = QPushButton("Merge duplicate here")
        self.merge_button.setObjectName("merge-duplicate")
        self.merge_button.hide()
        self.merge_button.clicked.connect(self._merge)
        self.slice_button = QPushButton("Slice with PrusaSlicer\u2026")
        self.slice_button.setObjectName("slice-model")
        self.slice_button.clicked.connect(self._ask_slice)
        from library.slicing import find_slicer

        self.slicer = find_slicer()
        if self.slicer is None:
            self.slice_button.setEnabled(False)
            self.slice_button.setToolTip("PrusaSlicer is not installed: import G-code files "
                                         "sliced elsewhere instead")
        dup_row.addWidget(self.duplicates, 1)
        dup_row.addWidget(self.merge_button)
        dup_row.addWidget(self.slice_button)
        lay.addWidget(self.title)
        lay.addWidget(self.subtitle)
        lay.addWidget(self.preview, 3)
        lay.addLayout(dup_row)
        lay.addWidget(self.tabs, 4)
        self._dups: list[int] = []
        self.editor.save_requested.connect(self._save)
        self.setEnabled(False)

    def show_model(self, model_id: int | None) -> None:
        self.model_id = model_id
        if model_id is None:
            self.setEnabled(False)
            self.title.setText("Select a model")
            self.preview.clear()
            return
        svc = self.bridge.service

        def fetch() -> tuple[ModelDetail, list[int]]:
            from library import duplicates

            return svc.detail(model_id), svc.read(lambda c: duplicates.of_model(c, model_id))

        self.bridge.call(fetch, lambda res: self._arrived(model_id, *res))

    def _arrived(self, model_id: int, d: ModelDetail, dups: list[int]) -> None:
        if model_id != self.model_id:
            return
        self.detail = d
        self.setEnabled(True)
        f = d.fields
        self.title.setText(f["title"])
        bits = [b for b in (f["creator"] and f"by {f['creator']}", f["licence"],
                            f["origin"]) if b]
        if f["print_count"]:
            rate = f["success_count"] / f["print_count"]
            bits.append(f"printed {f['print_count']}\u00d7, last {f['last_outcome']}, "
                        f"{rate:.0%} success")
        else:
            bits.append("never printed")
        self.subtitle.setText(" \u00b7 ".join(bits))
        self.editor.load(d)
        self.files.setText(self._files_html(d))
        self._dups = dups
        self.duplicates.setText(
            f"Same geometry as model(s) {', '.join('#' + str(i) for i in dups)}" if dups else "")
        self.merge_button.setVisible(bool(dups))
        mesh_file = next((x for x in d.files if x["format"] in analyse.MESH_FORMATS), None)
        if mesh_file is None:
            self.preview.clear("No mesh to preview (G-code only)")
            return
        self.preview.clear("Loading preview\u2026")
        path = self.bridge.service.store.path_of(mesh_file["blob_hash"])
        name = mesh_file["name"]
        self.bridge.call(lambda: load_triangles(path, name),
                         lambda tris: self._mesh_arrived(model_id, tris))

    def _mesh_arrived(self, model_id: int, tris: Any) -> None:
        if model_id == self.model_id and tris is not None:
            self.preview.show_triangles(tris)

    @staticmethod
    def _files_html(d: ModelDetail) -> str:
        out = []
        for v in d.versions:
            out.append(f"<h4>Version {v['number']} {v['label']}</h4>")
            for f in (x for x in d.files if x["version_id"] == v["id"]):
                line = f"<b>{f['name']}</b> \u2014 {f['format'].upper()}, {human_size(f['size'])}"
                if f["triangles"]:
                    line += (f"<br>{f['size_x']:.1f} \u00d7 {f['size_y']:.1f} \u00d7 "
                             f"{f['size_z']:.1f} mm \u00b7 {f['triangles']:,} triangles \u00b7 "
                             f"volume {f['volume'] / 1000:.2f} cm\u00b3 \u00b7 "
                             f"{'watertight' if f['watertight'] else 'not watertight'} \u00b7 "
                             f"{f['bodies']} bod{'y' if f['bodies'] == 1 else 'ies'}")
                s = f.get("settings")
                if s:
                    shown = [(k.replace("_", " "), v) for k, v in s.items()
                             if v is not None and k not in ("raw",)]
                    line += "<br><small>" + " \u00b7 ".join(f"{k}: {v}" for k, v in shown) + \
                        "</small>"
                out.append(f"<p>{line}</p>")
        return "".join(out)

    def _save(self, fields: dict[str, Any], tags: list[str], colls: list[str]) -> None:
        if self.model_id is None:
            return
        mid = self.model_id
        svc = self.bridge.service
        self.bridge.call(lambda: svc.update(mid, fields, tags, colls),
                         lambda _r: self.show_model(mid))

    def _ask_slice(self) -> None:
        from PySide6.QtWidgets import QFileDialog

        profile, _ = QFileDialog.getOpenFileName(
            self, "Choose a PrusaSlicer profile (Cancel: the slicer's defaults)", "",
            "PrusaSlicer profiles (*.ini)")
        self.slice_with(Path(profile) if profile else None)

    def slice_with(self, profile: Path | None) -> None:
        """Slice in the background; the G-code joins the model."""
        if self.model_id is None:
            return
        from library.slicing import slice_model

        mid, svc, slicer = self.model_id, self.bridge.service, self.slicer
        self.slice_button.setEnabled(False)
        self.slice_button.setText("Slicing\u2026")

        def done(_name: object) -> None:
            self.slice_button.setText("Slice with PrusaSlicer\u2026")
            self.slice_button.setEnabled(self.slicer is not None)
            self.show_model(mid)

        self.bridge.call(lambda: slice_model(svc, mid, profile, slicer), done)

    def _merge(self) -> None:
        if self.model_id is None or not self._dups:
            return
        keep, other = self.model_id, self._dups[0]
        svc = self.bridge.service
        self.bridge.call(lambda: svc.merge(keep, other), lambda _r: self.show_model(keep))
