"""``layerline history`` filters and CSV, ``layerline stats``: over jobs
written to ``print_jobs`` only (the history is derived by the command's
sync, as for a database from before the history existed)."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import sqlalchemy as sa

from app import db
from app import paths as paths_mod
from history import synthetic
from history.records import parse_date
from printers import schema as ps
from tests.helpers.proc import layerline

END = 1_764_000_000.0  # 2025-11-24


def test_history_filters_csv_and_stats_over_backfilled_jobs(tmp_path: Path) -> None:
    path = paths_mod.resolve(tmp_path).database_file
    engine, _ = db.open_database(path)
    synthetic.seed(engine, 800, end=END, days=40, printers=2, with_history=False, models=0)
    j, v = ps.jobs, ps.verdicts
    since = parse_date("2025-11-04")
    with engine.connect() as conn:
        want = set(conn.execute(sa.select(j.c.id).where(
            j.c.printer_name == "Printer B", j.c.state == "failed",
            j.c.created_at >= since)).scalars())
        per_printer = dict(conn.execute(sa.select(j.c.printer_name, sa.func.count())
                                        .group_by(j.c.printer_name)).all())
        ok = dict(conn.execute(
            sa.select(j.c.printer_name, sa.func.count())
            .select_from(j.outerjoin(v, v.c.job_id == j.c.id))
            .where(j.c.state == "completed", sa.or_(v.c.good.is_(None), v.c.good.is_(True)))
            .group_by(j.c.printer_name)).all())
    engine.dispose()
    assert want, "the seed has failed jobs on Printer B in the range"

    r = layerline("history", "--printer", "Printer B", "--outcome", "failed", "--since",
                  "2025-11-04", "--csv", basedir=tmp_path)
    assert r.returncode == 0, r.stderr
    rows = list(csv.DictReader(io.StringIO(r.stdout)))
    assert {int(x["job_id"]) for x in rows} == want
    assert {(x["printer"], x["outcome"]) for x in rows} == {("Printer B", "failed")}
    assert all(float(x["created_at"]) >= since for x in rows)

    r = layerline("stats", "--json", "--by", "printer", basedir=tmp_path)
    assert r.returncode == 0, r.stderr
    out = json.loads(r.stdout)
    assert out["prints"] == 800
    got = {x["label"]: (x["prints"], x["successes"]) for x in out["by"]["printer"]}
    assert got == {p: (n, ok.get(p, 0)) for p, n in per_printer.items()}
    assert sum(x["count"] for x in out["failure_reasons"]) == 800 - sum(ok.values())

    r = layerline("stats", basedir=tmp_path)
    assert r.returncode == 0 and "by material:" in r.stdout and "failure reasons:" in r.stdout
    assert layerline("history", "--since", "yesterday", basedir=tmp_path).returncode == 1
    assert layerline("history", "--outcome", "exploded", basedir=tmp_path).returncode == 2


def test_a_print_from_the_command_line_lands_in_the_history_with_its_durations(  # type: ignore[no-untyped-def]
        tmp_path: Path) -> None:
    from printers.firmware import FirmwareConfig
    from printers.virtual import VirtualPrinter
    from tests.history.conftest import write_sliced

    gfile = tmp_path / "clip.gcode"
    write_sliced(gfile, 200, material="ASA", preset="0.25mm SPEED", filament_mm=640)
    with VirtualPrinter(FirmwareConfig(heat_rate_hotend=2000.0, heat_rate_bed=2000.0,
                                       home_time=0.01)) as vp:
        assert layerline("printers", "add", "vp", "--serial", vp.path,
                         basedir=tmp_path).returncode == 0
        r = layerline("print", str(gfile), "--printer", "vp", basedir=tmp_path)
        assert r.returncode == 0, r.stderr
    r = layerline("history", "--json", basedir=tmp_path)
    (job,) = json.loads(r.stdout)["jobs"]
    assert (job["outcome"], job["material"], job["profile"]) == (
        "completed", "ASA", "0.25mm SPEED")
    assert job["filament_mm"] == 640.0
    # Measured while it ran (a derived row would know no paused time).
    assert job["paused_s"] == 0.0 and job["printing_s"] > 0 and job["heating_s"] is not None
