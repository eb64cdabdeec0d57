"""The queue across a farm of virtual serial printers (ptys, a real SQLite
file): routing, copies, "bed cleared?", staggered starts, restarts."""

from __future__ import annotations

import hashlib
import threading
from pathlib import Path

import pytest
import sqlalchemy as sa

from printers import schema
from printers.errors import JobError
from printers.farm.queue import FarmQueue, ItemState, Requirements
from printers.interface import Capabilities, PrinterStatus
from tests.printers.conftest import write_gcode
from tests.printers.farm.conftest import Db, FarmKit

pytestmark = [pytest.mark.timeout(180)]

PLA4 = Capabilities(0.4, "PLA", (200.0, 200.0, 200.0), tags=frozenset({"mk3"}))
PLA6 = Capabilities(0.6, "PLA", (200.0, 200.0, 200.0))
PETG4 = Capabilities(0.4, "PETG", (300.0, 300.0, 300.0), tags=frozenset({"big"}))


def items_in(kit: FarmKit, *states: ItemState) -> list[int]:
    farm = kit.farms[-1]
    return [i.id for i in farm.queue.items() if i.state in states]


def ended(kit: FarmKit, n: int) -> bool:
    return len([i for i in kit.farms[-1].queue.items() if i.state.ended]) >= n


def test_requirements_fit() -> None:
    assert Requirements(nozzle=0.4, material="pla").fits("a", PLA4)
    assert not Requirements(nozzle=0.6).fits("a", PLA4)
    assert not Requirements(material="PETG").fits("a", PLA4)
    assert Requirements(min_volume=(250, 250, 250)).fits("c", PETG4)
    assert not Requirements(min_volume=(250, 100, 100)).fits("a", PLA4)
    assert Requirements(tag="big").fits("c", PETG4) and not Requirements(tag="big").fits(
        "a", PLA4)
    assert not Requirements(printer="c").fits("a", PLA4)
    # Unknown capabilities never fit a requirement on them.
    assert not Requirements(nozzle=0.4).fits("x", Capabilities())
    assert Requirements().fits("x", Capabilities())


def test_routing_picks_only_fitting_printers(kit: FarmKit, tmp_path: Path) -> None:
    gfile = tmp_path / "part.gcode"
    write_gcode(gfile, 200)
    kit.printer("a", PLA4)
    kit.printer("b", PLA6)
    kit.printer("c", PETG4)
    farm = kit.farm(max_heating=3, dispatch=False)
    q = farm.queue
    wide = q.add(gfile, requirements=Requirements(nozzle=0.6))[0]
    petg = q.add(gfile, requirements=Requirements(material="petg"))[0]
    tagged = q.add(gfile, requirements=Requirements(nozzle=0.4, tag="mk3"))[0]
    nobody = q.add(gfile, requirements=Requirements(nozzle=0.8))[0]
    kit.waiter.until(lambda: all(s.idle for s in farm.statuses().values())
                     and len(farm.statuses()) == 3, "three idle printers")
    plan = q.dispatch(farm.supervisor)
    assert {(a.item_id, a.printer) for a in plan} == {
        (wide.id, "b"), (petg.id, "c"), (tagged.id, "a")}
    kit.waiter.until(lambda: ended(kit, 3), "three prints to end")
    by_id = {i.id: i for i in q.items()}
    assert [by_id[i].state for i in (wide.id, petg.id, tagged.id)] == [ItemState.COMPLETED] * 3
    assert by_id[nobody.id].state is ItemState.PENDING and by_id[nobody.id].assigned is None
    # The jobs are recorded like any print, with the file's hash.
    digest = hashlib.sha256(gfile.read_bytes()).hexdigest()
    jobs = {j["id"]: j for j in kit.db.jobs()}
    for item_id, printer in ((wide.id, "b"), (petg.id, "c"), (tagged.id, "a")):
        job = jobs[by_id[item_id].job_id]  # type: ignore[index]
        assert (job["printer_name"], job["state"], job["file_sha256"]) == (
            printer, "completed", digest)
    assert len(jobs) == 3
    # Later passes never send the unfit item anywhere, even with free beds.
    for name in ("a", "b", "c"):
        q.bed_cleared(name)
    assert q.dispatch(farm.supervisor) == []


def test_copies_spread_across_idle_printers_and_wait_for_bed_cleared(
        kit: FarmKit, tmp_path: Path) -> None:
    gfile = tmp_path / "copy.gcode"
    write_gcode(gfile, 200)
    for name in ("p1", "p2", "p3"):
        kit.printer(name, PLA4)
    farm = kit.farm(max_heating=3)
    q = farm.queue
    copies = q.add(gfile, copies=4, requirements=Requirements(material="PLA"))
    assert [c.copy for c in copies] == [1, 2, 3, 4] and len({c.batch for c in copies}) == 1
    kit.waiter.until(lambda: ended(kit, 3), "three copies to print")
    items = q.items()
    done = [i for i in items if i.state is ItemState.COMPLETED]
    assert sorted(i.assigned for i in done) == ["p1", "p2", "p3"]  # type: ignore[type-var]
    assert q.beds_to_clear() == {"p1", "p2", "p3"}
    # Every printer is idle, but no bed was cleared: the fourth copy waits.
    kit.waiter.until(lambda: all(s.idle for s in farm.statuses().values()), "idle printers")
    q.dispatch(farm.supervisor)
    last = q.item(copies[3].id)
    assert last.state is ItemState.PENDING and last.assigned is None
    assert q.bed_cleared("p2") and not q.bed_cleared("p2")
    kit.waiter.until(lambda: q.item(copies[3].id).state is ItemState.COMPLETED,
                     "the fourth copy on the cleared printer")
    assert q.item(copies[3].id).assigned == "p2"
    assert q.beds_to_clear() == {"p1", "p2", "p3"}
    assert len(kit.db.jobs()) == 4


def test_no_more_than_k_printers_heat_at_once(kit: FarmKit, tmp_path: Path) -> None:
    gfile = tmp_path / "hot.gcode"
    write_gcode(gfile, 100)  # M109 S200: ~2 s of heating on these printers
    names = ("h1", "h2", "h3", "h4")
    for name in names:
        kit.printer(name, PLA4)
    heating: dict[str, bool] = {}
    most = [0]
    lock = threading.Lock()

    def watch(status: PrinterStatus) -> None:
        with lock:
            heating[status.name] = status.heating
            most[0] = max(most[0], sum(heating.values()))

    farm = kit.farm(max_heating=2, dispatch=False)
    farm.supervisor.subscribe(watch)
    kit.waiter.until(lambda: len(farm.statuses()) == 4
                     and all(s.idle for s in farm.statuses().values()), "idle printers")
    farm.queue.add(gfile, copies=4)
    first = farm.queue.dispatch(farm.supervisor)
    assert len(first) == 2  # two start, two wait for them to finish heating
    farm.start(dispatch=True)  # from now on the farm's dispatcher works the queue
    kit.waiter.until(lambda: ended(kit, 4), "four prints")
    assert most[0] == 2, f"at most {most[0]} heated together"
    assert {i.state for i in farm.queue.items()} == {ItemState.COMPLETED}
    assert sorted(i.assigned for i in farm.queue.items()) == list(names)  # type: ignore[type-var]


def test_a_restart_mid_way_loses_and_duplicates_nothing(kit: FarmKit, tmp_path: Path) -> None:
    gfile = tmp_path / "long.gcode"
    write_gcode(gfile, 3000)
    kit.printer("r1", PLA4)
    kit.printer("r2", PLA4)
    farm = kit.farm(max_heating=2)
    farm.queue.add(gfile, copies=5)
    # Both printers print: stop the app in the middle of their jobs.
    kit.waiter.until(lambda: len([s for s in farm.statuses().values()
                                  if s.job and s.job.state == "printing"]) == 2,
                     "two printers printing")
    farm.shutdown()
    assert kit.farms[0].queue.items()  # readable after shutdown
    before = {i.id: i for i in farm.queue.items()}
    cut = [i for i in before.values() if i.state is ItemState.INTERRUPTED]
    assert len(cut) == 2 and all(i.job_id for i in cut)
    assert len([i for i in before.values() if i.state is ItemState.PENDING]) == 3

    # The restart: a new farm on the same database and printers.
    farm2 = kit.farm(max_heating=2)
    kit.waiter.until(lambda: len(farm2.statuses()) == 2
                     and all(s.idle for s in farm2.statuses().values()), "idle printers")
    farm2.queue.dispatch(farm2.supervisor)
    after = {i.id: i for i in farm2.queue.items()}
    assert after == before  # nothing restarted, nothing lost: the beds wait
    for name in ("r1", "r2"):
        farm2.queue.bed_cleared(name)
    kit.waiter.until(lambda: ended(kit, 4), "two more copies", timeout=120)
    for name in ("r1", "r2"):
        kit.waiter.until(lambda n=name: farm2.statuses()[n].idle, f"{name} idle")  # type: ignore[misc]
        farm2.queue.bed_cleared(name)
    kit.waiter.until(lambda: ended(kit, 5), "the last copy", timeout=120)
    final = farm2.queue.items()
    assert sorted(i.state.value for i in final) == ["completed"] * 3 + ["interrupted"] * 2
    jobs = kit.db.jobs()
    assert len(jobs) == 5  # one job per copy, never two
    assert sorted(i.job_id for i in final) == [j["id"] for j in jobs]  # type: ignore[type-var]
    states = {j["id"]: j["state"] for j in jobs}
    assert all(states[i.job_id] == i.state.value for i in final)  # type: ignore[index]


def test_recovery_after_a_crash_never_starts_a_job_twice(db: Db, tmp_path: Path) -> None:
    gfile = tmp_path / "x.gcode"
    write_gcode(gfile, 10)
    q = FarmQueue(db.sessions)
    a, b, c = q.add(gfile, copies=3)
    # A crash after the assignment was committed, before the printer answered;
    # and one whose job record the crash left interrupted.
    rec = db.store.add_printer("p", "/dev/null")
    job = db.store.create_job(rec, "p", str(gfile), lines_total=1, bytes_total=1,
                              layers_total=None, slicer_estimate=None)
    db.store.update_job(job, state="interrupted", reason="power cut")
    with db.sessions.begin() as s:
        s.execute(schema.farm_queue.update().where(schema.farm_queue.c.id == a.id)
                  .values(state="starting", assigned="p"))
        s.execute(schema.farm_queue.update().where(schema.farm_queue.c.id == b.id)
                  .values(state="printing", assigned="p", job_id=job))
    assert sorted(FarmQueue(db.sessions).recover()) == [a.id, b.id]
    states = {i.id: (i.state, i.reason) for i in q.items()}
    assert states[a.id][0] is ItemState.INTERRUPTED and "check the printer" in str(
        states[a.id][1])
    assert states[b.id] == (ItemState.INTERRUPTED, "power cut")
    assert states[c.id] == (ItemState.PENDING, None)


def test_queue_edits(db: Db, tmp_path: Path) -> None:
    gfile = tmp_path / "x.gcode"
    write_gcode(gfile, 10)
    q = FarmQueue(db.sessions)
    changes: list[int] = []
    q.subscribe(lambda: changes.append(1))
    a, b, c = q.add(gfile, copies=3)
    q.move(c.id, 0)
    assert [i.id for i in q.items()] == [c.id, a.id, b.id]
    q.assign(a.id, "p9")
    assert q.item(a.id).requirements.printer == "p9"
    q.cancel(b.id)
    assert q.item(b.id).state is ItemState.CANCELLED
    with pytest.raises(JobError):
        q.cancel(b.id)
    with pytest.raises(JobError):
        q.move(b.id, 0)
    with pytest.raises(JobError):
        q.add(tmp_path / "missing.gcode")
    with pytest.raises(JobError):
        q.add(gfile, copies=0)
    assert [i.id for i in q.items(include_ended=False)] == [c.id, a.id]
    assert len(changes) == 4
    with db.sessions() as s:  # persisted
        assert s.execute(sa.select(sa.func.count()).select_from(schema.farm_queue)).scalar() == 3
