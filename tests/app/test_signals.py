"""SIGTERM ends the app in order: shutdown runs (the log says so)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

from tests.helpers.proc import ROOT


def test_sigterm_runs_the_ordered_shutdown(tmp_path: Path) -> None:
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", LAYERLINE_NO_KEYRING="1")
    env.pop("LAYERLINE_BLOCK_QT", None)
    proc = subprocess.Popen(
        [sys.executable, "-m", "app", "--basedir", str(tmp_path), "--json-logging",
         "--no-error-dialogs", "--screenshot", str(tmp_path / "s.png"), "--keep-running"],
        cwd=ROOT, env=env, stderr=subprocess.PIPE, text=True)
    assert proc.stderr is not None
    messages: list[str] = []
    for line in proc.stderr:
        try:
            event = json.loads(line)
        except ValueError:
            continue
        messages.append(str(event.get("message")))
        if event.get("event") == "screenshot-saved":
            proc.send_signal(signal.SIGTERM)
    proc.wait(timeout=60)
    proc.stderr.close()
    assert proc.returncode == 0
    assert "shutdown complete" in messages
