"""The queue view over a real FarmQueue on a real SQLite file: the model
tester, a drag that reorders (and persists: a new queue on the same file
reads the new order), cancel and assign through the view."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from PySide6.QtCore import QModelIndex, QPoint, QPointF, Qt
from PySide6.QtGui import QDragEnterEvent, QDragMoveEvent, QDropEvent
from PySide6.QtWidgets import QApplication
from sqlalchemy.orm import Session, sessionmaker

from printers import schema
from printers.farm.queue import FarmQueue, ItemState, Requirements
from tests.ui.farm.helpers import FakeSupervisor
from ui.farm.bridge import FarmBridge
from ui.farm.queue_model import QueueModel, cell
from ui.farm.queue_view import QueueView


@pytest.fixture
def sessions(tmp_path: Path) -> Iterator[sessionmaker[Session]]:
    engine = sa.create_engine(f"sqlite:///{tmp_path / 'farm.db'}")
    schema.metadata.create_all(engine)
    yield sessionmaker(engine, expire_on_commit=False)
    engine.dispose()


@pytest.fixture
def queue(sessions: sessionmaker[Session], tmp_path: Path) -> FarmQueue:
    q = FarmQueue(sessions)
    for name in ("a", "b", "c", "d"):
        (tmp_path / f"{name}.gcode").write_text("G28\nG1 X1\n")
    q.add(tmp_path / "a.gcode", copies=2, requirements=Requirements(nozzle=0.4, material="PETG"))
    q.add(tmp_path / "b.gcode", requirements=Requirements(tag="big", printer="mk3-2"))
    q.add(tmp_path / "c.gcode", start=False)
    return q


@pytest.fixture
def view(qtbot, queue: FarmQueue) -> Iterator[QueueView]:  # type: ignore[no-untyped-def]
    bridge = FarmBridge(FakeSupervisor())
    widget = QueueView(bridge, queue, None, lambda: ["mk3-1", "mk3-2"])
    qtbot.addWidget(widget)
    widget.resize(900, 400)
    widget.show()
    qtbot.waitUntil(lambda: widget.model.rowCount() == 4, timeout=10_000)
    yield widget
    widget.close_queue()
    bridge.close()


def _files(q: FarmQueue) -> list[str]:
    return [f"{i.file_name}#{i.copy}" for i in q.items(include_ended=False)]


def test_queue_model_passes_the_model_tester(qtmodeltester, queue: FarmQueue) -> None:  # type: ignore[no-untyped-def]
    model = QueueModel()
    model.set_entries(queue.items())
    qtmodeltester.check(model)
    rows = [[model.index(r, c).data() for c in range(5)] for r in range(model.rowCount())]
    assert rows == [
        ["a.gcode", "1", "0.4 mm nozzle, PETG", "any", "pending"],
        ["a.gcode", "2", "0.4 mm nozzle, PETG", "any", "pending"],
        ["b.gcode", "1", "#big", "only mk3-2", "pending"],
        ["c.gcode", "1", "any printer", "any", "pending (upload only)"],
    ]
    assert cell(queue.items()[0], 4) == "pending"


def _drop(view: QueueView, source: int, target: int) -> None:
    """Drag row ``source`` and drop it on the top edge of row ``target``,
    through the table's own drag-and-drop event handlers."""
    table = view.table
    mime = view.model.mimeData([view.model.index(source, 0)])
    rect = table.visualRect(view.model.index(target, 0))
    pos = QPointF(QPoint(rect.center().x(), rect.top() + 1))
    move, buttons, mods = (Qt.DropAction.MoveAction, Qt.MouseButton.LeftButton,
                           Qt.KeyboardModifier.NoModifier)
    viewport = table.viewport()
    enter = QDragEnterEvent(pos.toPoint(), move, mime, buttons, mods)
    QApplication.sendEvent(viewport, enter)
    assert enter.isAccepted()
    moving = QDragMoveEvent(pos.toPoint(), move, mime, buttons, mods)
    QApplication.sendEvent(viewport, moving)
    assert moving.isAccepted()
    drop = QDropEvent(pos, move, mime, buttons, mods)
    QApplication.sendEvent(viewport, drop)
    assert drop.isAccepted()


def test_dragging_a_job_reorders_the_persisted_queue(
        qtbot, view: QueueView, queue: FarmQueue, sessions: Any) -> None:  # type: ignore[no-untyped-def]
    assert _files(queue) == ["a.gcode#1", "a.gcode#2", "b.gcode#1", "c.gcode#1"]
    _drop(view, 3, 0)  # c to the top
    # The table answers at once; the queue follows on the worker thread.
    assert [cell(e, 0) for e in view.model.entries()] == \
        ["c.gcode", "a.gcode", "a.gcode", "b.gcode"]
    expected = ["c.gcode#1", "a.gcode#1", "a.gcode#2", "b.gcode#1"]
    qtbot.waitUntil(lambda: _files(queue) == expected, timeout=10_000)
    assert _files(FarmQueue(sessions)) == expected  # a restart reads the same order
    _drop(view, 1, 3)  # the first copy of a, before b
    expected = ["c.gcode#1", "a.gcode#2", "a.gcode#1", "b.gcode#1"]
    qtbot.waitUntil(lambda: _files(FarmQueue(sessions)) == expected, timeout=10_000)
    qtbot.waitUntil(lambda: [f"{e.file_name}#{e.copy}" for e in view.model.entries()]
                    == expected, timeout=10_000)


def test_cancel_and_assign_through_the_view(qtbot, view: QueueView,
                                            queue: FarmQueue) -> None:  # type: ignore[no-untyped-def]
    b = queue.items()[2]
    view.table.selectRow(2)
    assert view.selected_id() == b.id
    assert view.assign_button.isEnabled()
    view.assign(b.id, "mk3-1")
    qtbot.waitUntil(lambda: view.model.index(2, 3).data() == "only mk3-1", timeout=10_000)
    assert queue.item(b.id).requirements.printer == "mk3-1"
    view.table.selectRow(0)
    first = view.selected_id()
    view.cancel_button.click()
    qtbot.waitUntil(lambda: view.model.rowCount() == 3, timeout=10_000)  # ended: off the list
    assert queue.item(first).state is ItemState.CANCELLED  # type: ignore[arg-type]
    assert first not in view.model.ids()


def test_a_drop_moves_the_item_and_nothing_else(queue: FarmQueue) -> None:
    model = QueueModel()
    model.set_entries(queue.items())
    ids = model.ids()
    moves: list[tuple[int, int]] = []
    model.move_requested.connect(lambda item, index: moves.append((item, index)))
    data = model.mimeData([model.index(3, 0)])
    assert model.dropMimeData(data, Qt.DropAction.MoveAction, 0, 0, QModelIndex())
    assert model.ids() == [ids[3], ids[0], ids[1], ids[2]]
    data = model.mimeData([model.index(0, 0)])
    assert model.dropMimeData(data, Qt.DropAction.MoveAction, -1, -1, QModelIndex())  # the end
    assert model.ids() == ids
    assert moves == [(ids[3], 0), (ids[3], 3)]
    # The view's follow-up removal of the "source" rows is refused: nothing lost.
    assert not model.removeRows(0, 1)
    assert model.rowCount() == 4
    # A drop onto its own place is no move; a copy is refused.
    data = model.mimeData([model.index(1, 0)])
    assert not model.dropMimeData(data, Qt.DropAction.MoveAction, 1, 0, QModelIndex())
    assert not model.dropMimeData(data, Qt.DropAction.CopyAction, 0, 0, QModelIndex())
