"""The queue's table model: the model tester, the words, and a drop that
moves a row (and asks the queue to move the job)."""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import QModelIndex, Qt

from ui.farm.queue_model import JobIdRole, QueueModel, cell


@dataclass(frozen=True)
class Entry:
    id: int
    file: str
    copies: int = 1
    nozzle: float | None = None
    material: str | None = None
    tag: str | None = None
    printer: str | None = None
    state: str = "queued"


def _model() -> QueueModel:
    model = QueueModel()
    model.set_entries([Entry(1, "/x/a.gcode", 3, 0.4, "PETG"), Entry(2, "b.gcode"),
                       Entry(3, "c.gcode", printer="mk3-2", tag="fast"), Entry(4, "d.gcode")])
    return model


def test_queue_model_passes_the_model_tester(qtmodeltester) -> None:  # type: ignore[no-untyped-def]
    model = _model()
    qtmodeltester.check(model)
    assert [model.index(0, c).data() for c in range(5)] == \
        ["a.gcode", "3", "0.4 mm \u00b7 PETG", "any", "queued"]
    assert cell(Entry(3, "c.gcode", printer="mk3-2", tag="fast"), 2) == "#fast"
    assert model.index(2, 3).data() == "mk3-2"
    assert model.headerData(0, Qt.Orientation.Horizontal) == "File"


def test_a_drop_moves_the_job_and_asks_the_queue(qtbot) -> None:  # type: ignore[no-untyped-def]
    model = _model()
    moves: list[tuple[int, int]] = []
    model.move_requested.connect(lambda job, pos: moves.append((job, pos)))
    data = model.mimeData([model.index(3, 0)])
    assert model.dropMimeData(data, Qt.DropAction.MoveAction, 0, 0, QModelIndex())
    assert model.ids() == [4, 1, 2, 3]
    data = model.mimeData([model.index(0, 0)])
    assert model.dropMimeData(data, Qt.DropAction.MoveAction, -1, -1, QModelIndex())  # the end
    assert model.ids() == [1, 2, 3, 4]
    assert moves == [(4, 0), (4, 3)]
    # The view's follow-up removal of the "source" rows is refused: nothing lost.
    assert not model.removeRows(0, 1)
    assert model.rowCount() == 4
    # A drop onto its own place is no move; a foreign drop is refused.
    data = model.mimeData([model.index(1, 0)])
    assert not model.dropMimeData(data, Qt.DropAction.MoveAction, 1, 0, QModelIndex())
    assert not model.dropMimeData(data, Qt.DropAction.CopyAction, 0, 0, QModelIndex())
    assert model.index(0, 0).data(JobIdRole) == 1
