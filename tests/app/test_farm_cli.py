"""The farm's CLI end to end: the real app as subprocesses (``queue``,
``farm run``), virtual printers on ptys in this process, a real SQLite file."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from app.paths import from_basedir
from app.secrets import open_store
from printers.firmware import FirmwareConfig
from printers.virtual import VirtualPrinter
from tests.helpers.proc import ROOT, layerline
from tests.printers.conftest import write_gcode

pytestmark = [pytest.mark.timeout(240)]

FAST = FirmwareConfig(heat_rate_hotend=2000.0, heat_rate_bed=2000.0, home_time=0.01,
                      latency=0.001, command_time=0.0005)


@pytest.fixture
def vps() -> Iterator[list[VirtualPrinter]]:
    made = [VirtualPrinter(FAST).start() for _ in range(2)]
    yield made
    for vp in made:
        vp.stop()


def queue_items(basedir: Path) -> dict[int, dict[str, Any]]:
    r = layerline("queue", "list", "--json", basedir=basedir)
    assert r.returncode == 0, r.stderr
    return {i["id"]: i for i in json.loads(r.stdout)["items"]}


def db_states(basedir: Path) -> dict[int, str]:
    """The queue's states read straight from the database (another process
    writes it: there is no event to wait on across processes)."""
    con = sqlite3.connect(basedir / "data" / "layerline.db")
    try:
        return {int(i): str(s) for i, s in con.execute("SELECT id, state FROM farm_queue")}
    finally:
        con.close()


def wait_db(basedir: Path, predicate: Callable[[dict[int, str]], bool], what: str,
            proc: subprocess.Popen[str], timeout: float = 90) -> dict[int, str]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        states = db_states(basedir)
        if predicate(states):
            return states
        assert proc.poll() is None, f"farm run ended early: {proc.communicate()}"
        time.sleep(0.1)
    pytest.fail(f"timed out waiting for {what} (last: {db_states(basedir)})")


def test_queue_and_farm_run(tmp_path: Path, vps: list[VirtualPrinter]) -> None:
    gfile = tmp_path / "part.gcode"
    write_gcode(gfile, 300)
    for name, vp, caps in (("pla", vps[0], ["--nozzle", "0.4", "--material", "PLA"]),
                           ("petg", vps[1], ["--nozzle", "0.6", "--material", "PETG",
                                             "--tag", "big"])):
        r = layerline("printers", "add", name, "--serial", vp.path, *caps, basedir=tmp_path)
        assert r.returncode == 0, r.stderr
    r = layerline("queue", "add", str(gfile), "--copies", "2", "--material", "pla", "--json",
                  basedir=tmp_path)
    assert r.returncode == 0, r.stderr
    pla = [i["id"] for i in json.loads(r.stdout)["items"]]
    assert layerline("queue", "add", str(gfile), "--tag", "big", "--nozzle", "0.6",
                     basedir=tmp_path).returncode == 0
    assert layerline("queue", "add", str(gfile), "--nozzle", "0.8",
                     basedir=tmp_path).returncode == 0
    states = db_states(tmp_path)
    assert len(states) == 4 and set(states.values()) == {"pending"}
    big, unfit = sorted(set(states) - set(pla))
    # Usage errors.
    assert layerline("queue", "add", str(tmp_path / "nope.gcode"),
                     basedir=tmp_path).returncode == 2
    assert layerline("queue", "add", str(gfile), "--printer", "nope",
                     basedir=tmp_path).returncode == 2

    env = dict(os.environ, LAYERLINE_NO_KEYRING="1", QT_QPA_PLATFORM="offscreen")
    env.pop("LAYERLINE_BLOCK_QT", None)
    proc = subprocess.Popen(
        [sys.executable, "-m", "app", "--basedir", str(tmp_path), "farm", "run",
         "--max-heating", "2"], cwd=ROOT, env=env, stdout=subprocess.PIPE,
        stderr=subprocess.PIPE, text=True)
    try:
        states = wait_db(tmp_path, lambda s: s[pla[0]] == "completed" and s[big] == "completed",
                         "the first PLA copy and the PETG item", proc)
        # The second PLA copy waits for the bed; the 0.8 mm item for a printer.
        assert states[pla[1]] == "pending" and states[unfit] == "pending"
        r = layerline("queue", "list", basedir=tmp_path)
        assert "waiting: pla's bed to be cleared" in r.stdout
        assert layerline("queue", "bed-cleared", "pla", basedir=tmp_path).returncode == 0
        wait_db(tmp_path, lambda s: s[pla[1]] == "completed", "the second PLA copy", proc)
        proc.send_signal(signal.SIGTERM)
        out, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    assert proc.returncode == 0, err
    assert "farm running: 2 printer(s)" in out and out.rstrip().endswith("farm stopped")
    assert "stopping the farm" in out
    items = queue_items(tmp_path)
    assert [items[i]["state"] for i in (*pla, big, unfit)] == [
        "completed", "completed", "completed", "pending"]
    assert [items[i]["assigned"] for i in (*pla, big)] == ["pla", "pla", "petg"]
    con = sqlite3.connect(tmp_path / "data" / "layerline.db")
    jobs = con.execute("SELECT state, file_sha256 FROM print_jobs").fetchall()
    con.close()
    assert len(jobs) == 3 and all(state == "completed" and sha for state, sha in jobs)


def test_printers_add_octoprint_keeps_the_key_out_of_argv_and_the_database(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    url = "http://127.0.0.1:9"  # nothing listens: checked, refused
    r = layerline("printers", "add", "op", "--octoprint", url, basedir=tmp_path,
                  env={"LAYERLINE_OCTOPRINT_KEY": "SECRETKEY1"})
    assert r.returncode == 1 and "Connection refused" in r.stderr
    # No key anywhere: a clear usage error (stdin is empty).
    r = layerline("printers", "add", "op", "--octoprint", url, "--no-check", basedir=tmp_path,
                  input="")
    assert r.returncode == 2
    # There is no option to pass the key on the command line.
    r = layerline("printers", "add", "op", "--octoprint", url, "--key", "X", basedir=tmp_path)
    assert r.returncode == 2
    r = layerline("printers", "add", "op", "--octoprint", url, "--no-check", "--nozzle", "0.4",
                  basedir=tmp_path, input="SECRETKEY2\n")
    assert r.returncode == 0, r.stderr
    r = layerline("printers", "list", "--json", basedir=tmp_path)
    [rec] = json.loads(r.stdout)["printers"]
    assert (rec["kind"], rec["url"], rec["options"]["nozzle"]) == ("octoprint", url, 0.4)
    for path in (tmp_path / "data").rglob("*"):
        if path.is_file():
            assert b"SECRETKEY2" not in path.read_bytes(), path
    for path in (tmp_path / "config").rglob("*"):
        if path.is_file():
            assert b"SECRETKEY2" not in path.read_bytes(), path
    # The app's own secret store has it.
    monkeypatch.setenv("LAYERLINE_NO_KEYRING", "1")
    paths = from_basedir(tmp_path)
    assert open_store(paths.secrets_dir, paths.key).get("octoprint-key:op") == "SECRETKEY2"
