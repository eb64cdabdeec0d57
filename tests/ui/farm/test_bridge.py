"""The farm bridge: statuses from many printer threads are coalesced, the
GUI thread is woken once per frame at most, the dashboard shows the latest
status of every printer, and job ends are never coalesced away."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QImage

from tests.ui.farm.helpers import FakeSupervisor, make_status
from ui.farm import present
from ui.farm.bridge import Batch, FarmBridge, JobEnd, job_end
from ui.farm.dashboard import Dashboard
from ui.farm.model import CardRole, ImageRole, NameRole
from ui.farm.render import CardRenderer

PRINTERS = 100
UPDATES = 100


@pytest.fixture
def supervisor() -> FakeSupervisor:
    return FakeSupervisor()


@pytest.fixture
def bridge(qtbot, supervisor: FakeSupervisor) -> Iterator[FarmBridge]:  # type: ignore[no-untyped-def]
    b = FarmBridge(supervisor, record_arrivals=True)
    yield b
    b.close()


def _feed(supervisor: FakeSupervisor, printer: int) -> None:
    name = f"p{printer:03d}"
    for k in range(UPDATES):
        supervisor.report(make_status(name, "printing", progress=k / 100,
                                      nozzle=150.0 + k, bed=60.0))


def _feed_all(supervisor: FakeSupervisor) -> None:
    threads = [threading.Thread(target=_feed, args=(supervisor, i)) for i in range(PRINTERS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
        assert not t.is_alive()


def test_updates_from_printer_threads_coalesce_into_one_batch(
        qtbot, supervisor: FakeSupervisor) -> None:  # type: ignore[no-untyped-def]
    bridge = FarmBridge(supervisor, record_arrivals=True, start=False)
    rendered_on: set[str] = set()

    def renderer(card: present.Card, snapshot: QImage | None) -> QImage:
        rendered_on.add(threading.current_thread().name)
        return QImage(4, 4, QImage.Format.Format_ARGB32_Premultiplied)

    bridge.set_renderer(renderer)
    batches: list[Batch] = []
    bridge.batch.connect(batches.append)
    try:
        _feed_all(supervisor)  # the frame thread waits meanwhile
        assert bridge.reports == PRINTERS * UPDATES
        assert bridge.wakes == 1  # one wake-up for ten thousand reports
        bridge.start()
        qtbot.waitUntil(lambda: len(batches) == 1, timeout=5000)
    finally:
        bridge.close()
    (batch,) = batches
    assert len(batch.statuses) == PRINTERS
    assert all(s.job.progress == 0.99 for s in batch.statuses)  # each printer's latest
    assert sorted(len(v) for v in batch.arrivals.values()) == [UPDATES] * PRINTERS
    assert batch.cards["p042"].detail == "part.gcode  99%"
    assert len(batch.images) == PRINTERS
    assert rendered_on == {"farm-frames"}  # never the GUI thread


def test_the_dashboard_shows_the_latest_status_of_every_printer(
        qtbot, supervisor: FakeSupervisor, bridge: FarmBridge) -> None:  # type: ignore[no-untyped-def]
    dash = Dashboard(bridge, measure=True)
    qtbot.addWidget(dash)
    dash.resize(1300, 900)
    dash.show()
    qtbot.waitExposed(dash)
    frames: list[float] = []
    applied: list[float] = []
    dash.grid.on_frame = frames.append
    dash.on_applied = lambda _batch: applied.append(time.monotonic())

    feeders = [threading.Thread(target=_feed, args=(supervisor, i)) for i in range(PRINTERS)]
    for t in feeders:
        t.start()
    for t in feeders:
        t.join(timeout=30)
    qtbot.waitUntil(lambda: dash.model.rowCount() == PRINTERS and all(
        dash.model.status(f"p{i:03d}").job.progress == 0.99 for i in range(PRINTERS)),
        timeout=10_000)
    # The view painted after the last batch was applied.
    qtbot.waitUntil(lambda: bool(frames) and frames[-1] > applied[-1], timeout=5000)

    model = dash.model
    style = model.style
    assert style is not None
    for row in range(PRINTERS):
        index = model.index(row, 0)
        card = index.data(CardRole)
        assert card.detail == "part.gcode  99%"
        assert card.temperatures.startswith("Nozzle 249/210")
        # What the view draws is the latest card, rendered on the frame thread.
        image = index.data(ImageRole)
        assert image == CardRenderer(style)(card)
        assert index.data(Qt.ItemDataRole.DecorationRole).toImage() == image
    assert dash.summary.text() == f"{PRINTERS} printers: {PRINTERS} printing"
    # Far fewer model updates than reports: the latest status per frame only.
    assert bridge.flushes < bridge.reports / 10
    assert dash.grid.visible_names()


def test_only_the_rows_that_changed_are_repainted(qtbot, supervisor: FakeSupervisor,
                                                  bridge: FarmBridge) -> None:  # type: ignore[no-untyped-def]
    dash = Dashboard(bridge)
    qtbot.addWidget(dash)
    for i in range(10):
        supervisor.report(make_status(f"p{i}", "operational"))
    qtbot.waitUntil(lambda: dash.model.rowCount() == 10, timeout=5000)
    changes: list[tuple[int, int]] = []
    dash.model.dataChanged.connect(lambda a, b: changes.append((a.row(), b.row())))
    flushes = bridge.flushes
    for i in (2, 3, 7):
        supervisor.report(make_status(f"p{i}", "printing", progress=0.1))
    seen = supervisor.current["p5"].last_seen
    supervisor.report(make_status("p5", "operational", last_seen=seen))
    qtbot.waitUntil(lambda: bridge.flushes > flushes, timeout=5000)
    assert changes == [(2, 3), (7, 7)]  # p5 reported the same status: no repaint
    names = [dash.model.index(r, 0).data(NameRole) for r in range(10)]
    assert names == [f"p{i}" for i in range(10)]


def test_a_job_end_survives_coalescing(qtbot, supervisor: FakeSupervisor,
                                       bridge: FarmBridge) -> None:  # type: ignore[no-untyped-def]
    ends: list[JobEnd] = []
    bridge.job_ended.connect(ends.append)
    # Within one frame: a print ends and the next one starts; and a failure.
    supervisor.report(make_status("a", "printing", progress=0.5, file="one.gcode"))
    supervisor.report(make_status("a", "operational", job_state="completed", progress=1.0,
                                  file="one.gcode"))
    supervisor.report(make_status("a", "printing", progress=0.0, file="two.gcode", job_id=2))
    supervisor.report(make_status("b", "printing", progress=0.5, file="bracket.gcode"))
    supervisor.report(make_status("b", "error", progress=0.5, file="bracket.gcode",
                                  job_state="printing", reason="thermal runaway on the hotend"))
    qtbot.waitUntil(lambda: len(ends) == 2, timeout=5000)
    assert ends == [JobEnd("a", "one.gcode", "completed", ""),
                    JobEnd("b", "bracket.gcode", "failed", "thermal runaway on the hotend")]


def test_job_end_rules() -> None:
    printing = make_status("a", "printing", progress=0.4, file="x.gcode")
    done = make_status("a", "operational", job_state="completed", file="x.gcode")
    assert job_end(None, done) is None  # seen at start-up: old news
    assert job_end(printing, printing) is None
    assert job_end(printing, done) == JobEnd("a", "x.gcode", "completed", "")
    assert job_end(done, done) is None  # told once
    cancelled = make_status("a", "operational", job_state="cancelled", file="x.gcode")
    assert job_end(printing, cancelled).outcome == "cancelled"  # type: ignore[union-attr]
    lost = job_end(printing, make_status("a", "offline", reason="no answer"))
    assert lost == JobEnd("a", "x.gcode", "interrupted", "no answer")
    idle = make_status("a", "operational")
    assert job_end(idle, idle) is None
