"""The real app as a subprocess, watched through its JSON log events."""

from __future__ import annotations

import json
from pathlib import Path

from tests.helpers.proc import layerline


def _events(stderr: str) -> list[dict[str, object]]:
    out = []
    for line in stderr.splitlines():
        try:
            out.append(json.loads(line))
        except ValueError:
            continue
    return out


def test_files_on_the_command_line_reach_the_window(tmp_path: Path) -> None:
    model = tmp_path / "cube.stl"
    model.write_bytes(b"solid c\nendsolid c\n")
    shot = tmp_path / "s.png"
    result = layerline("--json-logging", "--no-error-dialogs", "--screenshot", str(shot),
                       str(model), basedir=tmp_path / "base")
    assert result.returncode == 0, result.stderr
    events = _events(result.stderr)
    assert any(e.get("event") == "first-paint" for e in events)
    assert any("opening 1 file(s)" in str(e.get("message")) for e in events)
    assert shot.exists()
    # The database was opened (after the first paint) and closed cleanly.
    assert (tmp_path / "base" / "data" / "layerline.db").exists()
    assert any(e.get("message") == "shutdown complete" for e in events)


def test_settings_written_by_the_app_survive_a_restart(tmp_path: Path) -> None:
    base = tmp_path / "base"
    (base / "config").mkdir(parents=True)
    (base / "config" / "settings.json").write_text(json.dumps(
        {"schema_version": 1, "dark_mode": True}))
    result = layerline("--no-error-dialogs", "--screenshot", str(tmp_path / "s.png"),
                       basedir=base)
    assert result.returncode == 0, result.stderr
    # The v1 file was read and migrated, not discarded.
    assert not list((base / "config").glob("settings.json.broken-*"))
