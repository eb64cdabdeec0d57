"""The publish wizard: a model from the library to the marketplace through
the four steps of REWARDS.md section 8 (details and files; photos with a cover,
ordered by dragging; print settings; versions and the remix link).

The draft (:class:`reviews.publication.Draft`) is rebuilt from the widgets on
every edit and saved in the desktop database a moment later
(:class:`reviews.publication.DraftStore`, on the bridge's worker thread), so
closing the wizard loses nothing; each page says what its step still needs
(:func:`reviews.publication.problems`) and "Next" waits until it is complete.
"Publish" queues the draft in the outbox (``ReviewsService.publish``).
"""

from __future__ import annotations

import dataclasses
import logging
import time
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDoubleSpinBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QPlainTextEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
    QWizard,
    QWizardPage,
)

from reviews.publication import (
    LICENSES,
    ORIGINS,
    Attribution,
    Draft,
    DraftStore,
    PrintSettings,
    problems,
)
from ui.reviews.bridge import ReviewsBridge
from ui.reviews.widgets import PHOTO_FILTER, PhotoStrip

log = logging.getLogger(__name__)

CATEGORIES = ("calibration", "household", "tools", "toys and games", "art", "cosplay",
              "electronics", "gadgets", "hobby", "fashion", "learning", "other")
MODEL_FILTER = "Models (*.stl *.3mf *.obj *.step *.stp);;All files (*)"
SAVE_DELAY_MS = 400
STEP_TITLES = ("Details and files", "Photos", "Print settings", "Versions and remixes")


def _id_or_none(text: str) -> int | None:
    text = text.strip()
    return int(text) if text.isdigit() else None


class StepPage(QWizardPage):
    """One step: complete when the draft has no problem for it."""

    def __init__(self, wizard: PublishWizard, step: int) -> None:
        super().__init__()
        self._wizard = wizard
        self.step = step
        self.setTitle(f"Step {step} of 4: {STEP_TITLES[step - 1]}")
        self.problems = QLabel()
        self.problems.setObjectName(f"step{step}-problems")
        self.problems.setWordWrap(True)
        self.problems.setStyleSheet("color: #c62828")

    def isComplete(self) -> bool:
        return not problems(self._wizard.draft(), self.step)

    def show_problems(self) -> None:
        found = problems(self._wizard.draft(), self.step)
        self.problems.setText(" ".join(p.message for p in found))
        self.completeChanged.emit()


class PublishWizard(QWizard):
    published = Signal(object)  # the queued outbox item
    saved = Signal(int)         # the draft's id, after each save

    def __init__(self, bridge: ReviewsBridge, drafts: DraftStore, *,
                 draft: Draft | None = None, draft_id: int | None = None,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._bridge = bridge
        self._drafts = drafts
        self.draft_id = draft_id
        self._loading = True
        self._saving = False
        self._dirty = False
        self.setObjectName("publish-wizard")
        self.setWindowTitle("Publish a model")
        self.setWizardStyle(QWizard.WizardStyle.ClassicStyle)
        self.setOption(QWizard.WizardOption.NoBackButtonOnStartPage, True)
        self.setButtonText(QWizard.WizardButton.FinishButton, "&Publish")
        self.saved_label = QLabel()
        self.saved_label.setObjectName("draft-saved")
        self.status = QLabel()
        self.status.setObjectName("wizard-status")
        self.status.setWordWrap(True)
        self.setOption(QWizard.WizardOption.HaveCustomButton1, True)
        self.setButton(QWizard.WizardButton.CustomButton1, QPushButton("Save draft"))
        self.button(QWizard.WizardButton.CustomButton1).clicked.connect(self.save_now)
        self.setButtonLayout([QWizard.WizardButton.CustomButton1, QWizard.WizardButton.Stretch,
                              QWizard.WizardButton.BackButton, QWizard.WizardButton.NextButton,
                              QWizard.WizardButton.FinishButton,
                              QWizard.WizardButton.CancelButton])
        self._save_timer = QTimer(self)
        self._save_timer.setSingleShot(True)
        self._save_timer.setInterval(SAVE_DELAY_MS)
        self._save_timer.timeout.connect(self.save_now)
        self._extra = draft or Draft()  # fields no widget edits (library_ref, slicer keys)
        self.pages = [self._details_page(), self._photos_page(), self._settings_page(),
                      self._versions_page()]
        for page in self.pages:
            self.addPage(page)
        self.fill(draft or Draft())
        self._loading = False
        for page in self.pages:
            page.show_problems()
        self.resize(760, 620)

    # ------------------------------------------------------------ pages
    def _edited(self, *_: object) -> None:
        if self._loading:
            return
        self._dirty = True
        self._save_timer.start()
        for p in self.pages:
            p.show_problems()
        self._show_attribution()

    def _watch(self, *widgets: QWidget) -> None:
        for w in widgets:
            if isinstance(w, (QLineEdit, QPlainTextEdit)):
                w.textChanged.connect(self._edited)
            elif isinstance(w, QComboBox):
                w.currentTextChanged.connect(self._edited)
            elif isinstance(w, QDoubleSpinBox):
                w.valueChanged.connect(self._edited)
            elif isinstance(w, QCheckBox):
                w.toggled.connect(self._edited)

    def _details_page(self) -> StepPage:
        page = StepPage(self, 1)
        self.title = QLineEdit()
        self.title.setObjectName("wizard-title")
        self.description = QPlainTextEdit()
        self.description.setObjectName("wizard-description")
        self.description.setMaximumHeight(110)
        self.tags = QLineEdit()
        self.tags.setObjectName("wizard-tags")
        self.tags.setPlaceholderText("comma-separated, e.g. clip, cable, desk")
        self.category = QComboBox()
        self.category.setObjectName("wizard-category")
        self.category.setEditable(True)
        self.category.addItems(["", *CATEGORIES])
        self.license = QComboBox()
        self.license.setObjectName("wizard-license")
        self.license.addItems(["", *LICENSES])
        self.origin = QComboBox()
        self.origin.setObjectName("wizard-origin")
        for origin, text in zip(ORIGINS, ("My own original design", "A remix of another model",
                                          "A repost of someone else's model (with credit)",
                                          "My own model, imported from another platform"),
                                strict=True):
            self.origin.addItem(text, origin)
        self.author = QLineEdit()
        self.author.setObjectName("wizard-author")
        self.source = QLineEdit()
        self.source.setObjectName("wizard-source")
        self.source.setPlaceholderText("https://\u2026 where it was first published")
        self.repost_note = QLabel("A repost is labelled as one on the marketplace and earns "
                                  "no upload points.")
        self.repost_note.setObjectName("repost-note")
        self.repost_note.setWordWrap(True)
        self.files = QListWidget()
        self.files.setObjectName("wizard-files")
        self.files.setMaximumHeight(80)
        add = QPushButton("Add &files\u2026")
        add.clicked.connect(self._ask_files)
        remove = QPushButton("Remove")
        remove.clicked.connect(self._remove_file)
        row = QHBoxLayout()
        row.addWidget(add)
        row.addWidget(remove)
        row.addStretch(1)
        form = QFormLayout()
        form.addRow("&Title:", self.title)
        form.addRow("&Description:", self.description)
        form.addRow("Ta&gs:", self.tags)
        form.addRow("&Category:", self.category)
        form.addRow("&Licence:", self.license)
        form.addRow("&Origin:", self.origin)
        form.addRow("Original author:", self.author)
        form.addRow("Source:", self.source)
        form.addRow("", self.repost_note)
        form.addRow("Model files:", self.files)
        form.addRow("", row)
        layout = QVBoxLayout(page)
        layout.addLayout(form)
        layout.addWidget(page.problems)
        self._watch(self.title, self.description, self.tags, self.category, self.license,
                    self.origin, self.author, self.source)
        return page

    def _photos_page(self) -> StepPage:
        page = StepPage(self, 2)
        self.photos = PhotoStrip(self._bridge.run)
        self.photos.setObjectName("wizard-photos")
        self.photos.photos_changed.connect(self._photos_changed)
        self.cover_path: Path | None = None
        add = QPushButton("Add &photos\u2026")
        add.clicked.connect(self._ask_photos)
        self.cover_button = QPushButton("Make it the &cover")
        self.cover_button.setObjectName("wizard-make-cover")
        self.cover_button.clicked.connect(self._make_cover)
        remove = QPushButton("Remove")
        remove.clicked.connect(self.photos.remove_selected)
        row = QHBoxLayout()
        for b in (add, self.cover_button, remove):
            row.addWidget(b)
        row.addStretch(1)
        hint = QLabel("Drag the photos into the order you want. The cover (\u2605) is shown "
                      "in listings; photos of real prints help the model become spotlight.")
        hint.setWordWrap(True)
        layout = QVBoxLayout(page)
        layout.addWidget(hint)
        layout.addWidget(self.photos)
        layout.addLayout(row)
        layout.addStretch(1)
        layout.addWidget(page.problems)
        return page

    def _settings_page(self) -> StepPage:
        page = StepPage(self, 3)
        self.material = QComboBox()
        self.material.setObjectName("wizard-material")
        self.material.setEditable(True)
        self.material.addItems(["", "PLA", "PETG", "ABS", "ASA", "TPU", "PA", "PC"])
        self.nozzle = QDoubleSpinBox()
        self.nozzle.setObjectName("wizard-nozzle")
        self.nozzle.setRange(0, 2)
        self.nozzle.setDecimals(2)
        self.nozzle.setSingleStep(0.1)
        self.nozzle.setSuffix(" mm")
        self.nozzle.setSpecialValueText("\u2013")
        self.layer = QDoubleSpinBox()
        self.layer.setObjectName("wizard-layer")
        self.layer.setRange(0, 1)
        self.layer.setDecimals(2)
        self.layer.setSingleStep(0.05)
        self.layer.setSuffix(" mm")
        self.layer.setSpecialValueText("\u2013")
        self.infill = QDoubleSpinBox()
        self.infill.setObjectName("wizard-infill")
        self.infill.setRange(-1, 100)
        self.infill.setDecimals(0)
        self.infill.setSuffix(" %")
        self.infill.setSpecialValueText("\u2013")
        self.supports = QCheckBox("Needs supports")
        self.supports.setObjectName("wizard-supports")
        self.support_type = QComboBox()
        self.support_type.setObjectName("wizard-support-type")
        self.support_type.setEditable(True)
        self.support_type.addItems(["", "tree", "normal", "snug", "organic"])
        self.slicer = QLineEdit()
        self.slicer.setObjectName("wizard-slicer")
        self.slicer_note = QLabel()
        self.slicer_note.setWordWrap(True)
        form = QFormLayout()
        form.addRow("&Material:", self.material)
        form.addRow("&Nozzle:", self.nozzle)
        form.addRow("Layer &height:", self.layer)
        form.addRow("&Infill:", self.infill)
        form.addRow("", self.supports)
        form.addRow("Support type:", self.support_type)
        form.addRow("Slicer:", self.slicer)
        form.addRow("", self.slicer_note)
        layout = QVBoxLayout(page)
        layout.addLayout(form)
        layout.addWidget(page.problems)
        self._watch(self.material, self.nozzle, self.layer, self.infill, self.supports,
                    self.support_type, self.slicer)
        self.supports.toggled.connect(self.support_type.setEnabled)
        return page

    def _versions_page(self) -> StepPage:
        page = StepPage(self, 4)
        self.version_of = QLineEdit()
        self.version_of.setObjectName("wizard-version-of")
        self.version_of.setPlaceholderText("the id of your published model, for a new version")
        self.version_note = QLineEdit()
        self.version_note.setObjectName("wizard-version-note")
        self.version_note.setPlaceholderText("what changed in this version")
        self.parent_model = QLineEdit()
        self.parent_model.setObjectName("wizard-parent")
        self.parent_model.setPlaceholderText("the id of the model this remixes")
        form = QFormLayout()
        form.addRow("New version of model:", self.version_of)
        form.addRow("What changed:", self.version_note)
        form.addRow("Remix of model:", self.parent_model)
        note = QLabel("Publishing new files of a model makes a new version; the old versions "
                      "stay downloadable. A remix links its parent, whose attribution is "
                      "shown with it.")
        note.setWordWrap(True)
        layout = QVBoxLayout(page)
        layout.addWidget(note)
        layout.addLayout(form)
        layout.addStretch(1)
        layout.addWidget(page.problems)
        layout.addWidget(self.status)
        layout.addWidget(self.saved_label)
        self._watch(self.version_of, self.version_note, self.parent_model)
        return page

    # ------------------------------------------------------------ the draft
    def fill(self, d: Draft) -> None:
        loading, self._loading = self._loading, True
        self.title.setText(d.title)
        self.description.setPlainText(d.description)
        self.tags.setText(", ".join(d.tags))
        self.category.setCurrentText(d.category)
        self.license.setCurrentText(d.license)
        self.origin.setCurrentIndex(max(0, self.origin.findData(d.origin)))
        self.author.setText(d.attribution.author)
        self.source.setText(d.attribution.source_url)
        self.files.clear()
        for p in d.model_files:
            self._add_file(p)
        self.photos.clear()
        self.photos.add_paths(list(d.photos))
        self.cover_path = d.photos[d.cover] if 0 <= d.cover < len(d.photos) else None
        self._mark_cover()
        s = d.settings
        self.material.setCurrentText(s.material)
        self.nozzle.setValue(s.nozzle_diameter or 0)
        self.layer.setValue(s.layer_height or 0)
        self.infill.setValue(-1 if s.infill_density is None else s.infill_density)
        self.supports.setChecked(s.supports)
        self.support_type.setCurrentText(s.support_type)
        self.support_type.setEnabled(s.supports)
        self.slicer.setText(s.slicer)
        self.slicer_note.setText(
            f"The slicer's full settings ({len(s.slicer_settings)} values) from the G-code "
            "go with the model." if s.slicer_settings else
            "No slicer settings were found for this model in the library.")
        self.version_of.setText("" if d.model_id is None else str(d.model_id))
        self.version_note.setText(d.version_note)
        self.parent_model.setText("" if d.parent_model_id is None else str(d.parent_model_id))
        self._loading = loading
        self._show_attribution()

    def draft(self) -> Draft:
        """The draft as the widgets show it now."""
        photos = tuple(self.photos.paths())
        cover = photos.index(self.cover_path) if self.cover_path in photos else 0
        base = Draft(title=self.title.text(), description=self.description.toPlainText(),
                     category=self.category.currentText().strip(),
                     license=self.license.currentText(),
                     origin=str(self.origin.currentData() or "original"),
                     model_files=tuple(self._files()), photos=photos, cover=cover,
                     settings=PrintSettings(
                         material=self.material.currentText().strip(),
                         nozzle_diameter=self.nozzle.value() or None,
                         layer_height=self.layer.value() or None,
                         infill_density=None if self.infill.value() < 0 else self.infill.value(),
                         supports=self.supports.isChecked(),
                         support_type=self.support_type.currentText().strip(),
                         slicer=self.slicer.text().strip(),
                         slicer_settings=dict(self._extra.settings.slicer_settings)),
                     attribution=Attribution(author=self.author.text().strip(),
                                             source_url=self.source.text().strip(),
                                             license=self._extra.attribution.license),
                     parent_model_id=_id_or_none(self.parent_model.text()),
                     model_id=_id_or_none(self.version_of.text()),
                     version_note=self.version_note.text().strip(),
                     library_ref=self._extra.library_ref)
        return base.with_tags(self.tags.text())

    def _show_attribution(self) -> None:
        origin = self.origin.currentData()
        credit = origin in ("repost", "imported")
        self.author.setEnabled(credit)
        self.source.setEnabled(credit)
        self.repost_note.setVisible(origin == "repost")

    # ------------------------------------------------------------ files, photos
    def _files(self) -> list[Path]:
        return [Path(self.files.item(i).data(Qt.ItemDataRole.UserRole))
                for i in range(self.files.count())]

    def _add_file(self, path: Path) -> None:
        self.files.addItem(path.name)
        item = self.files.item(self.files.count() - 1)
        item.setData(Qt.ItemDataRole.UserRole, str(path))
        item.setToolTip(str(path))

    def add_model_files(self, paths: list[Path]) -> None:
        have = set(self._files())
        for p in paths:
            if p not in have:
                self._add_file(p)
        self._edited()

    def _ask_files(self) -> None:
        files, _ = QFileDialog.getOpenFileNames(self, "Model files", "", MODEL_FILTER)
        if files:
            self.add_model_files([Path(f) for f in files])

    def _remove_file(self) -> None:
        for item in self.files.selectedItems():
            self.files.takeItem(self.files.row(item))
        self._edited()

    def _ask_photos(self) -> None:
        files, _ = QFileDialog.getOpenFileNames(self, "Photos", "", PHOTO_FILTER)
        if files:
            self.photos.add_paths([Path(f) for f in files])

    def _photos_changed(self) -> None:
        if self.cover_path not in self.photos.paths():
            paths = self.photos.paths()
            self.cover_path = paths[0] if paths else None
        self._mark_cover()
        self._edited()

    def _make_cover(self) -> None:
        items = self.photos.selectedItems()
        if items:
            self.cover_path = Path(items[0].data(Qt.ItemDataRole.UserRole))
            self._mark_cover()
            self._edited()

    def set_cover(self, path: Path) -> None:
        self.cover_path = path
        self._mark_cover()
        self._edited()

    def _mark_cover(self) -> None:
        for i in range(self.photos.count()):
            item = self.photos.item(i)
            path = Path(item.data(Qt.ItemDataRole.UserRole))
            item.setText(("\u2605 " if path == self.cover_path else "") + path.name)

    # ------------------------------------------------------------ saving
    def save_now(self) -> None:
        """Save the draft (off the GUI thread); one save at a time, the last wins."""
        self._save_timer.stop()
        if self._saving:
            self._dirty = True
            self._save_timer.start()
            return
        self._saving, self._dirty = True, False
        draft, draft_id, drafts = self.draft(), self.draft_id, self._drafts

        def done(new_id: int) -> None:
            self._saving = False
            self.draft_id = new_id
            self.saved_label.setText(f"Draft saved at {time.strftime('%H:%M:%S')}; only you "
                                     "can see it until it is published.")
            self.saved.emit(new_id)
            if self._dirty:
                self._save_timer.start()

        def failed(exc: BaseException) -> None:
            self._saving = False
            self.saved_label.setText(f"The draft was not saved: {exc}")

        self._bridge.run(lambda: drafts.save(draft, draft_id), done, failed)

    def accept(self) -> None:
        """Publish: queue the draft in the outbox; the draft is deleted once queued."""
        draft = self.draft()
        found = problems(draft)
        if found:
            self.status.setText(" ".join(p.message for p in found))
            return
        service, drafts = self._bridge.service, self._drafts
        self._save_timer.stop()
        self.button(QWizard.WizardButton.FinishButton).setEnabled(False)
        self.status.setText("Preparing the photos and queueing the model\u2026")

        def publish() -> Any:
            item = service.publish(draft)
            if self.draft_id is not None:
                drafts.delete(self.draft_id)
            return item

        def done(item: Any) -> None:
            self.published.emit(item)
            super(PublishWizard, self).accept()

        def failed(exc: BaseException) -> None:
            self.button(QWizard.WizardButton.FinishButton).setEnabled(True)
            self.status.setText(f"Not published: {exc}")

        self._bridge.run(publish, done, failed)

    def reject(self) -> None:
        if self._dirty or self._save_timer.isActive():
            self.save_now()  # closing keeps the draft
        super().reject()


def draft_from_library(title: str, files: list[Path], *, license: str = "",
                       source_url: str = "", author: str = "", origin: str | None = None,
                       settings: PrintSettings | None = None, library_ref: str = "") -> Draft:
    """A first draft from a library model: its licence and attribution carried
    along (a model imported from elsewhere is ``imported`` when it is the
    user's own, otherwise a ``repost`` crediting its author)."""
    if origin is None:
        origin = "repost" if author or source_url else "original"
    return dataclasses.replace(
        Draft(), title=title, model_files=tuple(files), license=license, origin=origin,
        attribution=Attribution(author=author, source_url=source_url, license=license),
        settings=settings or PrintSettings(), library_ref=library_ref)
