"""The publish wizard: the four steps of REWARDS.md section 8, each page
complete only when its step is, photos ordered by dragging with the cover
following its photo, the draft saved in the desktop database as it is edited,
and the finished draft queued in the outbox."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtCore import QModelIndex
from PySide6.QtWidgets import QWizard

from app import db
from marketplace.demo import cube_stl, demo_photo
from reviews.outbox import Kind
from reviews.publication import DraftStore, PrintSettings
from tests.ui.reviews.conftest import Desk
from ui.reviews.wizard import PublishWizard, draft_from_library


def test_four_steps_drafts_and_publish(qtbot: Any, desk: Desk, tmp_path: Path,
                                       engine: Any) -> None:
    drafts = DraftStore(db.session_factory(engine))
    stl = tmp_path / "clip.stl"
    stl.write_bytes(cube_stl())
    photos = []
    for n in range(3):
        p = tmp_path / f"photo{n}.jpg"
        p.write_bytes(demo_photo(40 + n))
        photos.append(p)
    first = draft_from_library("Cable clip", [stl], license="CC-BY-4.0",
                               settings=PrintSettings(slicer="PrusaSlicer 2.8",
                                                      slicer_settings={"layer_height": "0.2"}))
    w = PublishWizard(desk.bridge, drafts, draft=first)
    qtbot.addWidget(w)
    w.show()
    page1 = w.pages[0]
    assert w.currentPage() is page1 and not page1.isComplete()
    assert "Describe the model" in page1.problems.text()
    with qtbot.waitSignal(w.saved, timeout=10000) as saved:
        qtbot.keyClicks(w.description, "Snaps onto a desk edge; holds 5 mm cables.")
    draft_id = saved.args[0]
    assert drafts.load(draft_id).description.startswith("Snaps onto")
    w.category.setCurrentText("household")
    qtbot.keyClicks(w.tags, "Clip, cable,clip")
    assert page1.isComplete(), page1.problems.text()
    assert w.draft().tags == ("clip", "cable")

    # A repost must credit its author and source.
    w.origin.setCurrentIndex(w.origin.findData("repost"))
    assert not page1.isComplete() and w.repost_note.isVisibleTo(w)
    w.author.setText("Ada")
    w.source.setText("https://example.org/clip")
    assert page1.isComplete()
    w.origin.setCurrentIndex(w.origin.findData("original"))

    w.next()
    page2 = w.pages[1]
    assert w.currentPage() is page2 and not page2.isComplete()
    w.photos.add_paths(photos)
    assert page2.isComplete()
    assert w.draft().cover == 0
    w.photos.setCurrentRow(2)
    w.cover_button.click()
    assert w.draft().cover == 2 and w.photos.item(2).text().startswith("\u2605")
    # A drag: the third photo (the cover) to the front; the cover follows it.
    assert w.photos.model().moveRows(QModelIndex(), 2, 1, QModelIndex(), 0)
    d = w.draft()
    assert d.photos == (photos[2], photos[0], photos[1]) and d.cover == 0

    w.next()
    page3 = w.pages[2]
    assert not page3.isComplete()
    w.material.setCurrentText("PETG")
    w.nozzle.setValue(0.4)
    w.layer.setValue(0.2)
    w.infill.setValue(15)
    w.supports.setChecked(True)
    assert not page3.isComplete() and "supports" in page3.problems.text()
    w.support_type.setCurrentText("tree")
    assert page3.isComplete()
    w.next()
    page4 = w.pages[3]
    w.version_of.setText("12")
    assert not page4.isComplete()
    w.version_note.setText("stronger hinge")
    assert page4.isComplete()
    w.version_of.setText("")
    w.version_note.setText("")

    # Everything is saved as it was edited.
    qtbot.waitUntil(lambda: drafts.load(draft_id).settings.support_type == "tree",
                    timeout=10000)
    kept = drafts.load(draft_id)
    assert kept.photos[kept.cover] == photos[2]
    assert kept.settings.slicer_settings == {"layer_height": "0.2"}

    with qtbot.waitSignal(w.published, timeout=20000) as pub:
        w.button(QWizard.WizardButton.FinishButton).click()
    item = pub.args[0]
    assert item.kind == Kind.MODEL_PUBLICATION
    assert item.payload["title"] == "Cable clip" and item.payload["cover"] == 0
    assert item.payload["print_settings"]["support_type"] == "tree"
    assert [f.role for f in item.files] == ["model_file", "photo", "photo", "photo"]
    assert drafts.drafts() == []  # published: the draft is gone


def test_reopened_draft_and_close_keeps_it(qtbot: Any, desk: Desk, tmp_path: Path,
                                           engine: Any) -> None:
    drafts = DraftStore(db.session_factory(engine))
    draft_id = drafts.save(draft_from_library("Boat", []))
    w = PublishWizard(desk.bridge, drafts, draft=drafts.load(draft_id), draft_id=draft_id)
    qtbot.addWidget(w)
    assert w.title.text() == "Boat"
    qtbot.keyClicks(w.title, " v2")
    with qtbot.waitSignal(w.saved, timeout=10000):
        w.reject()  # closing saves at once
    assert drafts.load(draft_id).title == "Boat v2"
    assert [d[0] for d in drafts.drafts()] == [draft_id]
