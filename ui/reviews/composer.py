"""The review composer: stars, photos, a description, the model and print
profile it is for, the print receipt attached, and a live preview of the
points it will earn.

The preview is computed on every edit with :func:`reviews.preview.preview_review`
(``marketplace.rules`` itself), from what the service says once per model and
profile (``GET /me/review-preview`` and ``GET /me/rewards``: whether this
review can pay, and the review points already paid this month).  Submitting
makes the photos safe and queues the review in the outbox, off the GUI thread.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QPlainTextEdit,
    QProgressBar,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from reviews import preview as pv
from ui.reviews.bridge import ReviewsBridge
from ui.reviews.market import ReviewContext
from ui.reviews.widgets import PHOTO_FILTER, PhotoStrip, StarRating

log = logging.getLogger(__name__)


class ReviewComposer(QDialog):
    """``model_id``/``profile_id``: marketplace ids where known (else the user
    picks the model); ``receipt_item_id``: the outbox item of the print's
    receipt, attached to the review."""

    submitted = Signal(object)  # the queued reviews.outbox.OutboxItem
    preview_changed = Signal(object)  # reviews.preview.ReviewPreview (or None)

    def __init__(self, bridge: ReviewsBridge, *, model_id: int | None = None,
                 profile_id: int | None = None, receipt_item_id: int | None = None,
                 photos: tuple[Path, ...] = (), title: str = "",
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._bridge = bridge
        self.receipt_item_id = receipt_item_id
        self._title = title
        self.context: ReviewContext | None = None
        self.current: pv.ReviewPreview | None = None
        self._context_asked: tuple[int, int | None] | None = None
        self.setObjectName("review-composer")
        self.setWindowTitle("Write a review")

        self.model = QComboBox()
        self.model.setObjectName("review-model")
        self.model.setMinimumContentsLength(28)
        self.profile = QComboBox()
        self.profile.setObjectName("review-profile")
        self.profile.setMinimumContentsLength(28)
        if model_id is not None:
            self.model.addItem(title or f"Model {model_id}", model_id)
        self.profile.addItem("No particular print profile", None)
        self._initial_profile = profile_id
        self.stars = StarRating()
        self.description = QPlainTextEdit()
        self.description.setObjectName("review-description")
        self.description.setPlaceholderText(
            f"How did it print? What settings, what worked, what to watch out for. "
            f"(At least {pv.MIN_DESCRIPTION_CHARS} characters count as a description.)")
        self.description.setTabChangesFocus(True)
        self.photos = PhotoStrip(bridge.run)
        self.photos.add_paths(list(photos))
        add = QPushButton("Add &photos\u2026")
        add.setObjectName("composer-add-photos")
        add.clicked.connect(self._ask_photos)
        remove = QPushButton("&Remove")
        remove.clicked.connect(self.photos.remove_selected)
        photo_row = QHBoxLayout()
        photo_row.addWidget(add)
        photo_row.addWidget(remove)
        photo_row.addStretch(1)
        self.receipt = QLabel()
        self.receipt.setObjectName("review-receipt")
        self.receipt.setWordWrap(True)
        if receipt_item_id is not None:
            self.receipt.setText("\u2714 The signed print receipt of this print is attached: "
                                 "the review will show it is backed by a confirmed print.")
        else:
            self.receipt.setText("No print receipt: this review will not be marked as backed "
                                 "by a print.")

        self.points = QLabel("Looking up what this review can earn\u2026")
        self.points.setObjectName("points-preview")
        self.points.setWordWrap(True)
        self.hints = QLabel()
        self.hints.setObjectName("points-hints")
        self.hints.setWordWrap(True)
        self.cap = QProgressBar()
        self.cap.setObjectName("review-cap")
        self.cap.setTextVisible(True)
        self.status = QLabel()
        self.status.setObjectName("composer-status")
        self.status.setWordWrap(True)

        form = QFormLayout()
        form.addRow("&Model:", self.model)
        form.addRow("Print &profile:", self.profile)
        form.addRow("Rating:", self.stars)
        form.addRow("&Description:", self.description)
        form.addRow("Photos:", self.photos)
        form.addRow("", photo_row)
        form.addRow("Receipt:", self.receipt)
        box = QVBoxLayout()
        box.addWidget(self.points)
        box.addWidget(self.hints)
        box.addWidget(self.cap)
        form.addRow("Points:", box)

        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel)
        self.submit_button = buttons.addButton("&Submit review",
                                               QDialogButtonBox.ButtonRole.AcceptRole)
        self.submit_button.setObjectName("submit-review")
        self.submit_button.clicked.connect(self.submit)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.status)
        layout.addWidget(buttons)
        self.resize(640, 640)

        # Edits recompute the preview at once (it is pure arithmetic).
        self.stars.changed.connect(lambda _v: self.update_preview())
        self.description.textChanged.connect(self.update_preview)
        self.photos.photos_changed.connect(self.update_preview)
        self.model.currentIndexChanged.connect(self._model_changed)
        self.profile.currentIndexChanged.connect(lambda _i: self._ask_context())
        self._update_submit()
        if model_id is None:
            self._load_models()
        else:
            QTimer.singleShot(0, self._model_changed)

    # ------------------------------------------------------------ choices
    def model_id(self) -> int | None:
        data = self.model.currentData()
        return None if data is None else int(data)

    def profile_id(self) -> int | None:
        data = self.profile.currentData()
        return None if data is None else int(data)

    def _load_models(self) -> None:
        market = self._bridge.market
        if market is None:
            self.points.setText("No marketplace is set up (Settings \u25b8 Marketplace).")
            return
        self.model.addItem("Loading models\u2026", None)

        def loaded(models: list[dict[str, Any]]) -> None:
            self.model.blockSignals(True)
            self.model.clear()
            for m in models:
                self.model.addItem(str(m.get("title", m["id"])), int(m["id"]))
            self.model.blockSignals(False)
            self._model_changed()

        self._bridge.run(market.models, loaded, self._failed)

    def _model_changed(self, *_: object) -> None:
        model_id = self.model_id()
        market = self._bridge.market
        self.profile.blockSignals(True)
        self.profile.clear()
        self.profile.addItem("No particular print profile", None)
        self.profile.blockSignals(False)
        if model_id is None or market is None:
            self._ask_context()
            return

        def loaded(profiles: list[dict[str, Any]]) -> None:
            if self.model_id() != model_id:
                return
            self.profile.blockSignals(True)
            for p in profiles:
                self.profile.addItem(f"{p.get('title', 'profile')} \u2014 {p.get('material', '')}"
                                     f" {p.get('layer_height', '')} mm", int(p["id"]))
            if self._initial_profile is not None:
                index = self.profile.findData(self._initial_profile)
                if index >= 0:
                    self.profile.setCurrentIndex(index)
                self._initial_profile = None
            self.profile.blockSignals(False)
            self._ask_context()

        self._bridge.run(lambda: market.model_profiles(model_id), loaded, self._failed)

    def _ask_context(self) -> None:
        """Ask the service what this review can earn (once per model and profile)."""
        market = self._bridge.market
        model_id, profile_id = self.model_id(), self.profile_id()
        self._update_submit()
        if market is None or model_id is None:
            return
        if self._bridge.account is None:
            self.context = None
            self.points.setText("Sign in (Marketplace \u25b8 Account) to see the points "
                                "this review will earn.")
            return
        key = (model_id, profile_id)
        self._context_asked = key

        def answered(context: ReviewContext) -> None:
            if self._context_asked != key:
                return  # the user moved on meanwhile
            self.context = context
            self.update_preview()

        self._bridge.run(lambda: market.review_context(model_id, profile_id), answered,
                         self._failed)

    def _failed(self, exc: BaseException) -> None:
        self.points.setText(f"The points cannot be previewed now: {exc}")

    def _ask_photos(self) -> None:
        files, _ = QFileDialog.getOpenFileNames(self, "Add photos", "", PHOTO_FILTER)
        if files:
            self.photos.add_paths([Path(f) for f in files])

    # ------------------------------------------------------------ preview
    def preview(self) -> pv.ReviewPreview | None:
        c = self.context
        if c is None:
            return None
        return pv.preview_review(
            first_on_model=c.kind == "first_on_model", new_profile=c.kind == "new_profile",
            rating=self.stars.value() > 0, photo=self.photos.count() > 0,
            description=pv.description_counts(self.description.toPlainText()),
            month_to_date=c.month_to_date, cap=c.cap, new_creator=c.new_creator)

    def update_preview(self) -> None:
        self._update_submit()
        p = self.preview()
        self.current = p
        if p is None:
            return
        self.points.setText(p.summary())
        hints = [s.text for s in p.suggestions if s.points > 0]
        if p.pays and not hints and p.points < p.maximum and p.capped:
            hints.append("the monthly cap is reached: more parts add nothing this month")
        self.hints.setText(("To earn more: " + "; ".join(hints) + ".") if hints else "")
        self.cap.setRange(0, p.cap)
        self.cap.setValue(min(p.cap, p.month_to_date + p.points))
        self.cap.setFormat(f"review points this month: {p.month_to_date} used"
                           f" + {p.points} from this review, {p.cap_left_after} of {p.cap} left")
        self.preview_changed.emit(p)

    def _update_submit(self) -> None:
        has_content = (self.stars.value() > 0 or self.photos.count() > 0
                       or bool(self.description.toPlainText().strip()))
        self.submit_button.setEnabled(self.model_id() is not None and has_content)

    # ------------------------------------------------------------ submit
    def submit(self) -> None:
        model_id = self.model_id()
        if model_id is None:
            return
        service = self._bridge.service
        profile_id = self.profile_id()
        rating = self.stars.value() or None
        text = self.description.toPlainText().strip()
        paths = self.photos.paths()
        receipt = self.receipt_item_id
        title = f"review of {self.model.currentText()}"
        self.submit_button.setEnabled(False)
        self.status.setText("Preparing the photos and queueing the review\u2026")

        def queue() -> Any:
            attachments = service.prepare_photos(paths)
            return service.submit_review(model_id=model_id, profile_id=profile_id,
                                         rating=rating, description=text,
                                         photos=attachments, receipt_item_id=receipt,
                                         title=title)

        def done(item: Any) -> None:
            log.info("review queued as outbox item %s", getattr(item, "id", "?"))
            self.submitted.emit(item)
            self.accept()

        def failed(exc: BaseException) -> None:
            self._update_submit()
            self.status.setText(f"The review was not queued: {exc}")

        self._bridge.run(queue, done, failed)

    def keyPressEvent(self, event: Any) -> None:
        # Enter in the form must not submit half a review.
        if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter) and \
                not self.submit_button.hasFocus():
            return
        super().keyPressEvent(event)
