"""The end-of-print dialog: did the part come out well?

Shown when a job ends (the printers bridge's ``job_ended``).  Good, or bad
with a reason from a short list plus free text; the printer's webcam snapshot
where there is a camera; photos of the part.  "Save" stores the verdict with
the job (and completes the job's print receipt); "Save and review\u2026" also
opens the review composer with the photos.  "Not now" stores nothing: the
receipt goes without a verdict when its hold ends, and the verdict can still
be given from the CLI (``layerline confirm``).

The verdict is saved by ``confirm(job_id, good, reason, release)``, a blocking
callable run on the reviews bridge's worker thread (the composition root gives
one that writes the job's verdict and the receipt's); ``release`` is False
when the user goes on to review, so that the receipt can still be signed
with the model the review names.
"""

from __future__ import annotations

import logging
import os
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QButtonGroup,
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QRadioButton,
    QVBoxLayout,
    QWidget,
)

from ui.reviews.bridge import ReviewsBridge
from ui.reviews.widgets import PHOTO_FILTER, PhotoStrip

log = logging.getLogger(__name__)

#: The short list of what goes wrong (the first words of the stored reason).
BAD_REASONS = (
    "Detached from the bed (spaghetti)",
    "Warping or lifting corners",
    "Layer shift",
    "Under-extrusion or gaps",
    "Stringing or blobs",
    "Wrong size or poor fit",
    "Printer error or stopped",
    "Other",
)
_STATE_TEXT = {
    "completed": "finished", "failed": "failed", "cancelled": "was cancelled",
    "interrupted": "was interrupted",
}


@dataclass(frozen=True, slots=True)
class EndedJob:
    """What the dialog shows of a job (from a ``printers.jobs.JobSnapshot``)."""

    id: int
    printer: str
    file: str
    state: str
    reason: str | None = None

    @classmethod
    def of(cls, snapshot: Any) -> EndedJob:
        state = getattr(snapshot.state, "value", snapshot.state)
        return cls(int(snapshot.id), str(snapshot.printer), str(snapshot.file), str(state),
                   snapshot.reason)


@dataclass(frozen=True, slots=True)
class Confirmation:
    """The user's answer."""

    job: EndedJob
    good: bool
    reason: str | None
    photos: tuple[Path, ...] = field(default=())
    review: bool = False
    share_profile: bool = False  # publish the settings of this (good) print


def verdict_reason(choice: str, text: str) -> str:
    """The stored reason: the chosen one, then the user's words."""
    text = " ".join(text.split())
    if choice == "Other" and text:
        return text
    return f"{choice}: {text}" if text else choice


class EndOfPrintDialog(QDialog):
    """``webcam``: a blocking callable returning JPEG/PNG bytes, or None when
    the printer has no camera."""

    confirmed = Signal(object)  # Confirmation, once saved

    def __init__(self, job: EndedJob, bridge: ReviewsBridge, *,
                 confirm: Callable[[int, bool, str | None, bool], object],
                 webcam: Callable[[], bytes] | None = None,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.job = job
        self._bridge = bridge
        self._confirm = confirm
        self._webcam = webcam
        self._want_review = False
        self.setObjectName("end-of-print")
        self.setWindowTitle("How did the print come out?")
        name = Path(job.file).name
        what = _STATE_TEXT.get(job.state, job.state)
        head = QLabel(f"<b>{name}</b> on {job.printer} {what}."
                      + (f"<br>The printer said: {job.reason}" if job.reason else ""))
        head.setWordWrap(True)
        head.setTextFormat(Qt.TextFormat.RichText)

        self.good = QRadioButton("&Good: the part came out well")
        self.bad = QRadioButton("&Bad: something went wrong")
        self.good.setObjectName("verdict-good")
        self.bad.setObjectName("verdict-bad")
        group = QButtonGroup(self)
        group.addButton(self.good)
        group.addButton(self.bad)
        (self.good if job.state == "completed" else self.bad).setChecked(True)
        self.reason = QComboBox()
        self.reason.setObjectName("bad-reason")
        self.reason.addItems(BAD_REASONS)
        if job.state != "completed":
            self.reason.setCurrentText("Printer error or stopped")
        self.details = QLineEdit()
        self.details.setObjectName("bad-details")
        self.details.setPlaceholderText("What happened, in a few words (optional)")
        self.details.setMaxLength(300)
        bad_form = QFormLayout()
        bad_form.setContentsMargins(24, 0, 0, 0)
        bad_form.addRow("Reason:", self.reason)
        bad_form.addRow("Details:", self.details)
        self.bad_box = QWidget()
        self.bad_box.setLayout(bad_form)
        self.bad.toggled.connect(self.bad_box.setEnabled)
        self.bad_box.setEnabled(self.bad.isChecked())
        self.share = QCheckBox("Share the settings of this print as a print &profile "
                               "(taken from the G-code that ran)")
        self.share.setObjectName("share-profile")
        self.share.setEnabled(self.good.isChecked())
        self.good.toggled.connect(self.share.setEnabled)

        self.photos = PhotoStrip(bridge.run)
        add = QPushButton("Add &photos\u2026")
        add.setObjectName("add-photos")
        add.clicked.connect(self._ask_photos)
        self.snapshot_button = QPushButton("Take a &webcam snapshot")
        self.snapshot_button.setObjectName("webcam-snapshot")
        self.snapshot_button.clicked.connect(self.take_snapshot)
        self.snapshot_button.setVisible(webcam is not None)
        photo_row = QHBoxLayout()
        photo_row.addWidget(add)
        photo_row.addWidget(self.snapshot_button)
        photo_row.addStretch(1)
        self.status = QLabel()
        self.status.setObjectName("end-of-print-status")
        self.status.setWordWrap(True)

        buttons = QDialogButtonBox()
        self.save_button = buttons.addButton("&Save", QDialogButtonBox.ButtonRole.AcceptRole)
        self.review_button = buttons.addButton("Save and &review\u2026",
                                               QDialogButtonBox.ButtonRole.AcceptRole)
        later = buttons.addButton("&Not now", QDialogButtonBox.ButtonRole.RejectRole)
        self.save_button.setObjectName("save-verdict")
        self.review_button.setObjectName("save-and-review")
        self.save_button.clicked.connect(lambda: self.save(review=False))
        self.review_button.clicked.connect(lambda: self.save(review=True))
        later.clicked.connect(self.reject)

        layout = QVBoxLayout(self)
        layout.addWidget(head)
        layout.addSpacing(6)
        layout.addWidget(self.good)
        layout.addWidget(self.bad)
        layout.addWidget(self.bad_box)
        layout.addWidget(self.share)
        layout.addSpacing(6)
        layout.addWidget(QLabel("Photos of the part (they leave the machine without any "
                                "metadata):"))
        layout.addWidget(self.photos)
        layout.addLayout(photo_row)
        layout.addWidget(self.status)
        layout.addWidget(buttons)
        self.resize(560, 460)
        if webcam is not None:
            self.take_snapshot()  # offered at once; the user can remove it

    # ------------------------------------------------------------ photos
    def _ask_photos(self) -> None:
        files, _ = QFileDialog.getOpenFileNames(self, "Add photos", "", PHOTO_FILTER)
        if files:
            self.photos.add_paths([Path(f) for f in files])

    def take_snapshot(self) -> None:
        webcam = self._webcam
        if webcam is None:
            return
        self.snapshot_button.setEnabled(False)
        self.status.setText("Taking a snapshot\u2026")

        def grab() -> Path:
            data = webcam()
            suffix = ".png" if data[:4] == b"\x89PNG" else ".jpg"
            fd, name = tempfile.mkstemp(prefix=f"layerline-job{self.job.id}-", suffix=suffix)
            os.close(fd)
            Path(name).write_bytes(data)
            return Path(name)

        def done(path: Path) -> None:
            self.snapshot_button.setEnabled(True)
            self.status.setText("")
            self.photos.add_paths([path])

        def failed(exc: BaseException) -> None:
            self.snapshot_button.setEnabled(True)
            self.status.setText(f"No snapshot: {exc}")

        self._bridge.run(grab, done, failed)

    # ------------------------------------------------------------ the answer
    def confirmation(self, *, review: bool = False) -> Confirmation:
        good = self.good.isChecked()
        reason = None if good else verdict_reason(self.reason.currentText(),
                                                  self.details.text())
        return Confirmation(self.job, good, reason, tuple(self.photos.paths()), review,
                            share_profile=good and self.share.isChecked())

    def save(self, *, review: bool) -> None:
        answer = self.confirmation(review=review)
        self.save_button.setEnabled(False)
        self.review_button.setEnabled(False)
        self.status.setText("Saving\u2026")

        def done(_result: object) -> None:
            log.info("job %d confirmed %s", answer.job.id, "good" if answer.good else "bad")
            self.confirmed.emit(answer)
            self.accept()

        def failed(exc: BaseException) -> None:
            self.save_button.setEnabled(True)
            self.review_button.setEnabled(True)
            self.status.setText(f"The verdict was not saved: {exc}")

        self._bridge.run(lambda: self._confirm(answer.job.id, answer.good, answer.reason,
                                               not review), done, failed)
