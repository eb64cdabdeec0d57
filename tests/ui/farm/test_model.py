"""The dashboard's model and the words on a card."""

from __future__ import annotations

import time

from tests.ui.farm.helpers import make_status
from ui.farm import present
from ui.farm.model import (
    CardRole,
    FarmModel,
    ImageRole,
    NameRole,
    SnapshotRole,
    StatusRole,
    runs,
)
from ui.farm.render import CARD_SIZE


def test_farm_model_passes_the_model_tester(qtmodeltester) -> None:  # type: ignore[no-untyped-def]
    model = FarmModel()
    model.apply([make_status("a", "printing", progress=0.3, nozzle=200.0, bed=60.0),
                 make_status("b", "error", reason="no answer")])
    model.apply([make_status("c", "operational"), make_status("a", "printing", progress=0.4)])
    qtmodeltester.check(model)
    assert model.names() == ["a", "b", "c"]
    index = model.index(0, 0)
    assert index.data(NameRole) == "a"
    assert index.data(StatusRole).job.progress == 0.4
    assert index.data(SnapshotRole) is None
    assert index.data(ImageRole).size() == CARD_SIZE  # drawn here: no bridge renderer
    assert "Printing" in index.data(CardRole).accessible()


def test_runs() -> None:
    assert runs([]) == []
    assert runs([7, 1, 2, 3, 3]) == [(1, 3), (7, 7)]


def test_cards_read_as_a_farm_user_expects() -> None:
    now = time.time()
    printing = present.card(make_status("mk3-01", "printing", progress=0.42, file="benchy.gcode",
                                        nozzle=205.4, bed=59.8), now)
    assert (printing.state, printing.detail, printing.progress) == \
        ("Printing", "benchy.gcode  42%", 0.42)
    assert printing.temperatures == "Nozzle 205/210\u00b0  Bed 60/60\u00b0"
    assert printing.seen == ""
    gone = present.card(make_status("op-3", "offline", kind="octoprint",
                                    reason="no answer for 30 s", last_seen=now - 185), now)
    assert (gone.state, gone.detail, gone.seen) == \
        ("Offline", "no answer for 30 s", "last seen 3m ago")
    assert gone.progress is None
    assert "op-3, Offline, no answer for 30 s" in gone.accessible()
    assert present.duration(3725) == "1h 02m"
    heating = present.card(make_status("a", "printing", job_state="heating", progress=0.0,
                                       eta=3725), now)
    assert (heating.state, heating.detail) == ("Heating", "part.gcode  0%  \u00b7 1h 02m left")
    done = present.card(make_status("a", "operational", job_state="completed", progress=1.0))
    assert (done.state, done.detail, done.progress) == ("Ready", "part.gcode completed", None)
