"""The farm area over a real farm: virtual serial printers on ptys, the real
supervisor and queue on a SQLite file.  Queued copies print on the printers,
the dashboard follows them, each print's end reaches the notifier (the
offscreen platform has no tray), and the card's "bed cleared" action lets
the printer take its next job."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from app.notify import Level, Notifier
from printers.interface import Capabilities
from tests.printers.conftest import write_gcode
from tests.printers.farm.conftest import Db, FarmKit
from ui.farm.area import FarmArea
from ui.farm.bridge import FarmBridge
from ui.farm.model import CardRole
from ui.farm.tray import TrayNotifier

pytestmark = [pytest.mark.timeout(120)]

PLA = Capabilities(0.4, "PLA", (200.0, 200.0, 200.0))


@pytest.fixture
def kit(tmp_path: Path) -> Iterator[FarmKit]:
    db = Db(tmp_path / "farm.db")
    k = FarmKit(db)
    yield k
    k.close()
    db.engine.dispose()


def test_the_farm_area_follows_a_real_farm(qtbot, kit: FarmKit, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    kit.printer("mk3-1", PLA)
    kit.printer("mk3-2", PLA)
    farm = kit.farm(max_heating=2)
    notifier = Notifier()
    bridge = FarmBridge(None)
    tray = TrayNotifier(lambda text, level: notifier.post(text, Level(level), source="farm"))
    area = FarmArea(bridge, None, on_job_end=tray.notify)
    qtbot.addWidget(area)
    area.resize(1000, 600)
    area.show()
    try:
        bridge.attach(farm.supervisor)
        area.set_queue(farm.queue, farm.supervisor)
        model = area.dashboard.model
        qtbot.waitUntil(lambda: model.rowCount() == 2 and all(
            model.status(n).state.value == "operational" for n in ("mk3-1", "mk3-2")),
            timeout=60_000)
        gcode = tmp_path / "clip.gcode"
        write_gcode(gcode, 300)
        farm.queue.add(gcode, copies=3)
        assert area.queue_view is not None
        qtbot.waitUntil(lambda: area.queue_view.model.rowCount() >= 1, timeout=10_000)
        # Two copies print, one on each printer; each end is told once.
        qtbot.waitUntil(lambda: len(notifier.history()) == 2, timeout=60_000)
        texts = sorted(m.text for m in notifier.history())
        assert texts == ["clip.gcode finished on mk3-1.", "clip.gcode finished on mk3-2."]
        assert {m.level for m in notifier.history()} == {Level.SUCCESS}
        qtbot.waitUntil(lambda: all(model.status(n).state.value == "operational"
                                    for n in ("mk3-1", "mk3-2")), timeout=30_000)
        card = model.index(model.row("mk3-1") or 0, 0).data(CardRole)
        assert card.detail == "clip.gcode completed"
        # The third copy waits for a cleared bed; the card's action clears it.
        assert farm.queue.beds_to_clear() == {"mk3-1", "mk3-2"}
        (clear, *_) = area.card_actions("mk3-1")
        assert clear.isEnabled()
        clear.trigger()
        qtbot.waitUntil(lambda: len(notifier.history()) == 3, timeout=60_000)
        assert notifier.history()[-1].text == "clip.gcode finished on mk3-1."
        # Nothing left to print: the queue view empties (told by the queue).
        qtbot.waitUntil(lambda: area.queue_view.model.rowCount() == 0, timeout=30_000)
    finally:
        area.shutdown()
        bridge.close()
