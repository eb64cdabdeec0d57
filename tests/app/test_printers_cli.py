"""The printers CLI end to end: the real app as a subprocess, a virtual
printer on a pty in this process, a real SQLite file."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from printers.firmware import Faults, FirmwareConfig
from printers.virtual import VirtualPrinter
from tests.helpers.proc import ROOT, layerline
from tests.printers.conftest import write_gcode

FAST = {"heat_rate_hotend": 2000.0, "heat_rate_bed": 2000.0, "home_time": 0.01}


@pytest.fixture
def vp_factory() -> Iterator[object]:
    made: list[VirtualPrinter] = []

    def make(faults: Faults | None = None, **kw: object) -> VirtualPrinter:
        vp = VirtualPrinter(FirmwareConfig(**{**FAST, **kw}, faults=faults or Faults())  # type: ignore[arg-type]
                            ).start()
        made.append(vp)
        return vp

    yield make
    for vp in made:
        vp.stop()


def add(basedir: Path, name: str, port: str) -> None:
    r = layerline("printers", "add", name, "--serial", port, basedir=basedir)
    assert r.returncode == 0, r.stderr


def test_printers_add_and_list(tmp_path: Path) -> None:
    add(tmp_path, "mk3", "/dev/ttyACM0")
    r = layerline("printers", "add", "mk3", "--serial", "/dev/ttyACM1", basedir=tmp_path)
    assert r.returncode == 2 and "exists already" in r.stderr
    r = layerline("printers", "list", "--json", basedir=tmp_path)
    assert r.returncode == 0
    printers = json.loads(r.stdout)["printers"]
    assert [(p["name"], p["port"], p["baud"]) for p in printers] == [
        ("mk3", "/dev/ttyACM0", 115200)]
    assert printers[0]["options"] == {"rx_buffer": 128, "command_slots": 4}


def test_print_exit_codes_json_history_and_confirm(tmp_path: Path, vp_factory) -> None:  # type: ignore[no-untyped-def]
    gfile = tmp_path / "cube.gcode"
    expected = write_gcode(gfile, 300)
    ok_vp = vp_factory()
    bad_vp = vp_factory(Faults(runaway_after=100))
    gone_vp = vp_factory(Faults(disconnect_after=100))
    add(tmp_path, "ok", ok_vp.path)
    add(tmp_path, "hot", bad_vp.path)
    add(tmp_path, "gone", gone_vp.path)

    r = layerline("print", str(gfile), "--printer", "ok", "--json", basedir=tmp_path)
    assert r.returncode == 0, r.stderr
    job = json.loads(r.stdout)
    assert job["state"] == "completed" and job["lines_confirmed"] == len(expected)
    moves = [c for c in expected if c.startswith("G1")]
    assert [e.command for e in ok_vp.executed() if e.command.startswith("G1")] == moves

    r = layerline("print", str(gfile), "--printer", "hot", "--json", basedir=tmp_path)
    assert r.returncode == 3, r.stderr
    assert "thermal-runaway" in json.loads(r.stdout)["reason"]

    r = layerline("print", str(gfile), "--printer", "gone", basedir=tmp_path)
    assert r.returncode == 4, r.stderr
    assert "interrupted" in r.stdout

    assert layerline("print", str(gfile), "--printer", "nope", basedir=tmp_path).returncode == 2
    assert layerline("print", str(tmp_path / "missing.gcode"), "--printer", "ok",
                     basedir=tmp_path).returncode == 2
    assert layerline("print", str(gfile), basedir=tmp_path).returncode == 2  # no --printer

    r = layerline("history", "--json", basedir=tmp_path)
    jobs = json.loads(r.stdout)["jobs"]
    assert [(j["printer"], j["state"]) for j in jobs] == [
        ("gone", "interrupted"), ("hot", "failed"), ("ok", "completed")]
    assert all(j["id"] and j["file"].endswith("cube.gcode") for j in jobs)

    first = jobs[-1]["id"]
    assert layerline("confirm", str(first), "--good", basedir=tmp_path).returncode == 0
    second = jobs[-2]["id"]
    assert layerline("confirm", str(second), "--bad", "spaghetti",
                     basedir=tmp_path).returncode == 0
    assert layerline("confirm", "999", "--good", basedir=tmp_path).returncode == 2
    assert layerline("confirm", str(first), basedir=tmp_path).returncode == 2
    r = layerline("history", "--json", basedir=tmp_path)
    verdicts = {j["id"]: (j["verdict"], j["verdict_reason"]) for j in json.loads(r.stdout)["jobs"]}
    assert verdicts[first] == ("good", None) and verdicts[second] == ("bad", "spaghetti")
    r = layerline("history", basedir=tmp_path)
    assert "spaghetti" not in r.stdout and "[bad]" in r.stdout


def test_sigkill_mid_print_leaves_the_job_interrupted_at_a_confirmed_line(  # type: ignore[no-untyped-def]
        tmp_path: Path, vp_factory) -> None:
    vp = vp_factory(command_time=0.002)
    gfile = tmp_path / "long.gcode"
    write_gcode(gfile, 20000)
    add(tmp_path, "slow", vp.path)
    env = dict(os.environ, LAYERLINE_NO_KEYRING="1", QT_QPA_PLATFORM="offscreen")
    env.pop("LAYERLINE_BLOCK_QT", None)
    proc = subprocess.Popen(
        [sys.executable, "-m", "app", "--basedir", str(tmp_path), "print", str(gfile),
         "--printer", "slow"], cwd=ROOT, env=env, stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL)
    db = tmp_path / "data" / "layerline.db"
    deadline = time.monotonic() + 60
    confirmed = 0
    try:
        while time.monotonic() < deadline:
            if db.exists():
                con = sqlite3.connect(db)
                try:
                    row = con.execute("SELECT state, lines_confirmed FROM print_jobs").fetchone()
                except sqlite3.OperationalError:
                    row = None
                con.close()
                if row and row[0] == "printing" and row[1] > 200:
                    confirmed = row[1]
                    break
            assert proc.poll() is None, "the print ended early"
            time.sleep(0.05)
        assert confirmed, "the job never showed progress"
        proc.send_signal(signal.SIGKILL)
    finally:
        proc.kill()
        proc.wait(30)
    executed = len([e for e in vp.executed() if e.number is not None])
    r = layerline("history", "--json", basedir=tmp_path)
    job = json.loads(r.stdout)["jobs"][0]
    assert job["state"] == "interrupted"
    assert "crash or power cut" in job["reason"]
    assert confirmed <= job["lines_confirmed"] <= executed
    assert job["lines_confirmed"] < job["lines_total"]


def test_virtual_printer_command_prints_its_device_path(tmp_path: Path) -> None:
    env = dict(os.environ, LAYERLINE_NO_KEYRING="1")
    env.pop("LAYERLINE_BLOCK_QT", None)
    proc = subprocess.Popen(
        [sys.executable, "-m", "app", "--basedir", str(tmp_path), "virtual-printer",
         "--bufsize", "8", "--json"], cwd=ROOT, env=env, stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout is not None
        path = json.loads(proc.stdout.readline())["path"]
        assert Path(path).exists()
        add(tmp_path, "v", path)
        gfile = tmp_path / "x.gcode"
        write_gcode(gfile, 50)
        r = layerline("print", str(gfile), "--printer", "v", basedir=tmp_path)
        assert r.returncode == 0, r.stderr
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(30) == 0
    finally:
        proc.kill()
        proc.wait(30)
        if proc.stdout is not None:
            proc.stdout.close()
