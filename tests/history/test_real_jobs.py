"""Real jobs through the virtual printer on a pty — successes, each failure
cause, a pause then a cancel, an emergency stop, an unplugged cable and a
crashed run — then the history, the rates and the exports checked against
what happened."""

from __future__ import annotations

import csv
import io
import json
import subprocess
import threading
from collections.abc import Iterator
from dataclasses import asdict
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import sessionmaker

from app import db
from history import stats
from history.recorder import DurationRecorder
from history.records import HistoryFilter
from history.service import HistoryChanged, HistoryService
from library import catalog
from library.analyse import analyse_path
from library.store import hash_file
from printers import schema as ps
from printers.connection import LinkStatus, PrinterConnection
from printers.firmware import Faults, FirmwareConfig
from printers.jobs import JobGcode, JobState
from printers.service import PrintersService
from printers.store import PrinterStore
from printers.virtual import VirtualPrinter
from tests.history.conftest import write_sliced

FAST_HEAT = {"heat_rate_hotend": 2000.0, "heat_rate_bed": 2000.0, "home_time": 0.01}
TIMEOUT = 60.0


class Synced:
    """Waits for the history service to have written given jobs."""

    def __init__(self) -> None:
        self.ids: set[int] = set()
        self.cond = threading.Condition()

    def __call__(self, event: HistoryChanged) -> None:
        with self.cond:
            self.ids |= set(event.job_ids)
            self.cond.notify_all()

    def wait(self, job_id: int) -> None:
        with self.cond:
            assert self.cond.wait_for(lambda: job_id in self.ids, TIMEOUT), job_id
            self.ids.discard(job_id)


def _run(conn: PrinterConnection, path: Path, synced: Synced) -> int:
    job_id = conn.start_print(path)
    snap = conn.wait_job(TIMEOUT)
    assert snap is not None and snap.state.ended, snap
    synced.wait(job_id)
    return job_id


@pytest.fixture(scope="module")
def scenario(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SimpleNamespace]:
    tmp = tmp_path_factory.mktemp("jobs")
    engine = db.create_engine(tmp / "layerline.db")
    db.upgrade(engine, tmp / "layerline.db")
    sessions: sessionmaker[Any] = sessionmaker(engine, expire_on_commit=False)
    pstore = PrinterStore(sessions)
    printers = PrintersService(pstore)
    recorder = DurationRecorder()
    printers.subscribe(recorder)
    history = HistoryService(engine, recorder)
    synced = Synced()
    history.subscribe(synced)
    vps: list[VirtualPrinter] = []

    def printer(name: str, faults: Faults | None = None, **fw: Any) -> PrinterConnection:
        cfg = FirmwareConfig(**{**FAST_HEAT, **fw}, faults=faults or Faults())
        vp = VirtualPrinter(cfg).start()
        vps.append(vp)
        printers.add_printer(name, vp.path, 115200, {"rx_buffer": cfg.rx_buffer_size,
                                                     "command_slots": cfg.bufsize})
        conn = printers.connection(name)
        conn.connect()
        assert conn.wait_for(lambda s: s.link is LinkStatus.OPERATIONAL, TIMEOUT), conn.status
        return conn

    # The library knows the benchy's G-code (linked by its SHA-256).
    benchy = tmp / "benchy.gcode"
    write_sliced(benchy, 300, material="PETG", preset="0.20mm QUALITY", filament_mm=1500)
    with engine.begin() as conn:
        model_id, version_id = catalog.create_model(conn, "Benchy")
        digest = hash_file(benchy)
        catalog.add_file(conn, model_id, version_id, digest, name="benchy.gcode",
                         size=benchy.stat().st_size, analysis=asdict(analyse_path(benchy)))
    cube = tmp / "cube.gcode"
    write_sliced(cube, 400, material="PLA", preset="0.15mm DETAIL", filament_mm=800)
    big = tmp / "tower.gcode"
    write_sliced(big, 3000, material="PETG", preset="0.20mm QUALITY", filament_mm=5000)

    ids: dict[str, int] = {}
    prusa = printer("Prusa", command_time=0.002)
    ids["ok1"] = _run(prusa, benchy, synced)
    ids["ok2"] = _run(prusa, benchy, synced)
    ids["bad"] = _run(prusa, benchy, synced)
    # Paused by the user, resumed, then cancelled.
    prusa.job_gcode = JobGcode(pause=("M117 parked",), resume=("M117 unparked",),
                               cancel=("M104 S0",))
    ids["cancel"] = prusa.start_print(big)
    assert prusa.wait_for(lambda s: s.job is not None and s.job.lines_confirmed > 50, TIMEOUT)
    prusa.pause()
    assert prusa.wait_for(lambda s: s.job is not None and s.job.state is JobState.PAUSED,
                          TIMEOUT)
    assert prusa.wait_for(lambda s: s.job is not None and s.job.lines_confirmed
                          < s.job.lines_total, TIMEOUT)
    prusa.resume()
    assert prusa.wait_for(lambda s: s.job is not None and s.job.lines_confirmed > 300, TIMEOUT)
    prusa.cancel()
    assert prusa.wait_job(TIMEOUT) is not None
    synced.wait(ids["cancel"])
    # Emergency stop.
    ids["estop"] = prusa.start_print(big)
    assert prusa.wait_for(lambda s: s.job is not None and s.job.lines_confirmed > 50, TIMEOUT)
    prusa.emergency_stop()
    assert prusa.wait_job(TIMEOUT) is not None
    synced.wait(ids["estop"])
    # Each failure cause of the firmware, and an unplugged cable.
    ids["runaway"] = _run(printer("Runaway", Faults(runaway_after=120)), cube, synced)
    ids["reset"] = _run(printer("Reset", Faults(reset_after=120)), cube, synced)
    ids["unplug"] = _run(printer("Unplug", Faults(disconnect_after=150)), cube, synced)
    # A run that crashed mid-print: its job is left "printing" by a dead process.
    dead = subprocess.Popen(["true"])
    dead.wait()
    rec = pstore.printer("Prusa")
    crash = pstore.create_job(rec, "Prusa", str(cube), lines_total=400, bytes_total=1000,
                              layers_total=5, slicer_estimate=None)
    with engine.begin() as conn:
        conn.execute(ps.jobs.update().where(ps.jobs.c.id == crash).values(
            state="printing", owner_pid=dead.pid, started_at=1.0, bytes_confirmed=250))
    assert pstore.recover_interrupted() == [crash]
    ids["crash"] = crash
    # The user's verdicts.
    pstore.set_verdict(ids["ok1"], True, None)
    pstore.set_verdict(ids["bad"], False, "Warping")
    future = history.sync()
    assert future is not None
    future.result(TIMEOUT)
    yield SimpleNamespace(engine=engine, history=history, store=history.store, ids=ids,
                          model_id=model_id, version_id=version_id, pstore=pstore)
    history.close()
    printers.shutdown()
    for vp in vps:
        vp.stop()
    engine.dispose()


def _rows(s: SimpleNamespace, **flt: Any) -> dict[int, Any]:
    return {r.job_id: r for r in s.store.iterate(HistoryFilter(**flt))}


def test_every_job_is_in_the_history_with_its_outcome_and_reason(scenario) -> None:  # type: ignore[no-untyped-def]
    s = scenario
    rows = _rows(s)
    assert set(rows) == set(s.ids.values())
    expect = {
        "ok1": ("completed", 1, ""),
        "ok2": ("completed", 1, ""),
        "bad": ("completed", 0, "bad print: warping"),
        "cancel": ("cancelled", 0, "cancelled by the user"),
        "estop": ("cancelled", 0, "emergency stop"),
        "runaway": ("failed", 0, "thermal runaway"),
        "reset": ("failed", 0, "printer reset"),
        "unplug": ("interrupted", 0, "printer disconnected"),
        "crash": ("interrupted", 0, "Layerline stopped"),
    }
    got = {k: (rows[i].outcome, rows[i].success, rows[i].reason_key) for k, i in s.ids.items()}
    assert got == expect
    assert rows[s.ids["ok1"]].verdict == "good"
    assert rows[s.ids["bad"]].verdict == "bad"


def test_jobs_link_to_the_library_and_carry_their_settings(scenario) -> None:  # type: ignore[no-untyped-def]
    s = scenario
    rows = _rows(s)
    ok = rows[s.ids["ok1"]]
    assert (ok.model_id, ok.version_id, ok.model_title) == (s.model_id, s.version_id, "Benchy")
    assert (ok.material, ok.profile, ok.nozzle, ok.layer_height) == (
        "PETG", "0.20mm QUALITY", 0.4, 0.2)
    cube = rows[s.ids["runaway"]]
    assert cube.model_id is None and cube.material == "PLA" and cube.profile == "0.15mm DETAIL"
    # Filament: the estimate for a completed job, the confirmed share for the others.
    assert ok.filament_mm == pytest.approx(1500.0)
    assert 0 < (cube.filament_mm or 0) < 800
    assert rows[s.ids["crash"]].filament_mm == pytest.approx(800 * 250 / 1000)
    # The library's model shows "printed N times, last outcome" from the history.
    with s.engine.connect() as conn:
        from library.schema import lib_model

        m = conn.execute(sa.select(lib_model).where(lib_model.c.id == s.model_id)).mappings().one()
    assert (m["print_count"], m["success_count"], m["last_outcome"]) == (3, 2, "bad print")
    summary = stats.summary_for_model(s.engine, s.model_id)
    assert summary["prints"] == 3 and summary["successes"] == 2


def test_durations_were_recorded_as_the_jobs_ran(scenario) -> None:  # type: ignore[no-untyped-def]
    s = scenario
    rows = _rows(s)
    cancel = rows[s.ids["cancel"]]
    assert cancel.paused_s is not None and cancel.paused_s > 0
    assert cancel.printing_s is not None and cancel.printing_s > 0
    ok = rows[s.ids["ok1"]]
    assert ok.heating_s is not None and ok.printing_s is not None and ok.printing_s > 0
    assert ok.paused_s == 0
    with s.engine.connect() as conn:
        from history.schema import history_jobs as h

        sources = dict(conn.execute(sa.select(h.c.job_id, h.c.durations_source)).all())
    crash = s.ids["crash"]
    assert sources[crash] == "derived"  # nobody watched it end: derived from its times
    assert {sources[i] for k, i in s.ids.items() if k != "crash"} == {"recorded"}


def test_rates_rest_on_the_right_counts(scenario) -> None:  # type: ignore[no-untyped-def]
    st = stats.compute(scenario.engine)
    assert (st.prints, st.successes) == (9, 2)
    printers = {r.label: (r.prints, r.successes) for r in st.by["printer"]}
    assert printers == {"Prusa": (6, 2), "Runaway": (1, 0), "Reset": (1, 0), "Unplug": (1, 0)}
    materials = {r.label: (r.prints, r.successes) for r in st.by["material"]}
    assert materials == {"PETG": (5, 2), "PLA": (4, 0)}
    models = {r.label: (r.prints, r.successes) for r in st.by["model"]}
    assert models == {"Benchy": (3, 2), "(not in the library)": (6, 0)}
    profiles = {r.label: (r.prints, r.successes) for r in st.by["profile"]}
    assert profiles == {"0.20mm QUALITY": (5, 2), "0.15mm DETAIL": (4, 0)}
    combos = {r.label: (r.prints, r.successes) for r in st.combinations}
    assert combos["Benchy \u00b7 0.20mm QUALITY \u00b7 Prusa \u00b7 PETG"] == (3, 2)
    assert sum(n for _k, n in st.reasons) == 7
    assert dict(st.reasons)["bad print: warping"] == 1
    assert sum(w.prints for w in st.weeks) == 9
    assert sum(n for _d, n in st.daily["Prusa"]) == 6
    # The rollups kept by every sync agree with a fresh scan of every job.
    assert st.as_dict() == stats.compute(scenario.engine, direct=True).as_dict()
    # Per printer, from the same SQL.
    only = stats.compute(scenario.engine, printer="Runaway")
    assert (only.prints, only.successes, only.reasons) == (1, 0, [("thermal runaway", 1)])


def test_search_filters_and_exports_match_the_jobs(scenario) -> None:  # type: ignore[no-untyped-def]
    s = scenario
    assert set(_rows(s, outcome="failed")) == {s.ids["runaway"], s.ids["reset"]}
    assert set(_rows(s, printer="Unplug")) == {s.ids["unplug"]}
    assert set(_rows(s, text="benchy")) == {s.ids["ok1"], s.ids["ok2"], s.ids["bad"]}
    assert set(_rows(s, model_id=s.model_id)) == {s.ids["ok1"], s.ids["ok2"], s.ids["bad"]}
    assert set(_rows(s, reason="emergency stop")) == {s.ids["estop"]}
    assert _rows(s, since=4102444800.0) == {}  # 2100: nothing yet
    assert s.store.count(HistoryFilter(outcome="interrupted")) == 2
    out = io.StringIO()
    assert s.store.export(HistoryFilter(), out, "csv") == 9
    table = list(csv.DictReader(io.StringIO(out.getvalue())))
    assert {int(r["job_id"]): r["outcome"] for r in table} == {
        r.job_id: r.outcome for r in _rows(s).values()}
    out = io.StringIO()
    assert s.store.export(HistoryFilter(outcome="cancelled"), out, "json") == 2
    jobs = json.loads(out.getvalue())["jobs"]
    assert {j["job_id"] for j in jobs} == {s.ids["cancel"], s.ids["estop"]}
    assert {j["reason_key"] for j in jobs} == {"cancelled by the user", "emergency stop"}
    # Newest first, and pages continue where the last one ended.
    first = s.store.page(HistoryFilter(), None, 4)
    rest = s.store.page(HistoryFilter(), first[-1].sort_key, 100)
    ordered = [r.job_id for r in first + rest]
    assert ordered == sorted(s.ids.values(), key=lambda i: (_rows(s)[i].created_at, i),
                             reverse=True)
