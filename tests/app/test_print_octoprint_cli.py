"""``layerline printers add --octoprint`` and ``layerline print`` on an
OctoPrint printer, against the real OctoPrint 1.11 server: the same exit
codes as for serial printers (0 completed, 3 failed, 4 cancelled)."""

from __future__ import annotations

import hashlib
import json
import os
import signal
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from printers.octoprint import OctoPrintClient
from tests.helpers.octoprint_server import OctoPrintServer
from tests.helpers.proc import ROOT, layerline
from tests.printers.octoprint.conftest import gcode, octoprint, octoprint_server, wait_for

__all__ = ["octoprint", "octoprint_server"]  # the real server's fixtures

pytestmark = [pytest.mark.peer, pytest.mark.slow, pytest.mark.timeout(300)]


def job_state(basedir: Path) -> str | None:
    con = sqlite3.connect(basedir / "data" / "layerline.db")
    try:
        row = con.execute("SELECT state FROM print_jobs ORDER BY id DESC").fetchone()
    except sqlite3.OperationalError:
        row = None
    finally:
        con.close()
    return None if row is None else str(row[0])


def background_print(basedir: Path, path: Path) -> subprocess.Popen[str]:
    env = dict(os.environ, LAYERLINE_NO_KEYRING="1", QT_QPA_PLATFORM="offscreen")
    env.pop("LAYERLINE_BLOCK_QT", None)
    return subprocess.Popen(
        [sys.executable, "-m", "app", "--basedir", str(basedir), "print", str(path),
         "--printer", "op", "--json"], cwd=ROOT, env=env, stdout=subprocess.PIPE,
        stderr=subprocess.PIPE, text=True)


def test_print_on_octoprint_with_the_serial_exit_codes(
        octoprint: OctoPrintClient, octoprint_server: OctoPrintServer, tmp_path: Path) -> None:
    r = layerline("printers", "add", "op", "--octoprint", octoprint_server.url,
                  "--port", "VIRTUAL", basedir=tmp_path,
                  env={"LAYERLINE_OCTOPRINT_KEY": octoprint_server.api_key})
    assert r.returncode == 0, r.stderr
    assert "the key works" in r.stdout and octoprint_server.api_key not in r.stdout + r.stderr

    done = gcode(tmp_path, "cli-done.gcode", 40)
    r = layerline("print", str(done), "--printer", "op", "--json", basedir=tmp_path)
    assert r.returncode == 0, r.stderr
    job = json.loads(r.stdout)
    assert job["state"] == "completed"
    assert job["sha256"] == hashlib.sha256(done.read_bytes()).hexdigest()

    # Ctrl-C cancels the job on the server: exit code 4.
    proc = background_print(tmp_path, gcode(tmp_path, "cli-cancel.gcode", 600))
    try:
        wait_for(lambda: job_state(tmp_path) == "printing" and octoprint.job().active, 60,
                 "the print to run")
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=120)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    assert proc.returncode == 4, err
    assert json.loads(out)["state"] == "cancelled"
    wait_for(lambda: octoprint.printer().flags.ready, 60, "the printer to be ready again")

    # A firmware failure mid-print: exit code 3 with the reason.
    proc = background_print(tmp_path, gcode(tmp_path, "cli-fail.gcode", 600))
    try:
        wait_for(lambda: job_state(tmp_path) == "printing" and octoprint.job().active, 60,
                 "the print to run")
        octoprint.send_gcode("!!DEBUG:trigger_fatal_error_marlin")
        out, err = proc.communicate(timeout=120)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    assert proc.returncode == 3, err
    assert "Thermal Runaway" in json.loads(out)["reason"]
