from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from library import samples
from tests.helpers.proc import layerline


def _models(tmp: Path) -> Path:
    d = tmp / "in"
    d.mkdir()
    (d / "Desk Hook.stl").write_bytes(samples.stl_binary(*samples.box(30, 10, 5)))
    (d / "desk-hook-copy.stl").write_bytes(samples.stl_ascii(*samples.box(30, 10, 5)))
    (d / "broken.stl").write_bytes(b"\x00" * 90)
    return d


def test_import_json_report_then_search_show_edit_merge(tmp_path: Path) -> None:
    base = tmp_path / "base"
    r = layerline("import", str(_models(tmp_path)), "--json", basedir=base, timeout=240)
    assert r.returncode == 4, r.stderr          # one file failed
    report = json.loads(r.stdout)
    assert (report["imported"], report["failed"]) == (2, 1)
    failed = next(f for f in report["files"] if f["state"] == "failed")
    assert failed["name"] == "broken.stl" and "STL" in failed["error"]

    r = layerline("library", "search", "desk h", "--json", basedir=base)
    assert r.returncode == 0, r.stderr
    found = json.loads(r.stdout)
    assert sorted(m["title"] for m in found) == ["Desk Hook", "desk hook copy"]
    first = found[0]["id"]

    r = layerline("library", "duplicates", "--json", basedir=base)
    groups = json.loads(r.stdout)
    assert len(groups) == 1 and len(groups[0]) == 2
    keep, other = groups[0]

    r = layerline("library", "edit", str(keep), "--licence", "CC-BY-4.0", "--tags", "hook,desk",
                  "--origin", "original", basedir=base)
    assert r.returncode == 0, r.stderr
    r = layerline("library", "edit", str(keep), "--origin", "stolen", basedir=base)
    assert r.returncode == 1 and "origin must be one of" in r.stderr
    r = layerline("library", "merge", str(keep), str(other), basedir=base)
    assert r.returncode == 0, r.stderr
    r = layerline("library", "show", str(keep), "--json", basedir=base)
    shown = json.loads(r.stdout)
    assert shown["licence"] == "CC-BY-4.0" and shown["tags"] == ["desk", "hook"]
    assert len(shown["files"]) == 2 and first in (keep, other)
    r = layerline("library", "list", "--licence", "CC-BY-4.0", basedir=base)
    assert "Desk Hook" in r.stdout or "desk hook copy" in r.stdout


@pytest.mark.skipif(shutil.which("prusa-slicer") is None, reason="prusa-slicer not installed")
def test_slice_adds_gcode_with_settings(tmp_path: Path) -> None:
    base = tmp_path / "base"
    src = tmp_path / "cube.stl"
    src.write_bytes(samples.stl_binary(*samples.box(15, 15, 4)))
    profile = tmp_path / "fine.ini"
    profile.write_text("layer_height = 0.1\nfill_density = 30%\n")
    assert layerline("import", str(src), basedir=base, timeout=240).returncode == 0
    r = layerline("library", "slice", "1", "--profile", str(profile), basedir=base, timeout=300)
    assert r.returncode == 0, r.stderr
    shown = json.loads(layerline("library", "show", "1", "--json", basedir=base).stdout)
    g = next(f for f in shown["files"] if f["format"] == "gcode")
    assert g["name"] == "cube_fine.gcode"
    assert (g["settings"]["layer_height"], g["settings"]["infill_density"]) == (0.1, 30)


def test_slice_without_a_slicer_says_so(tmp_path: Path) -> None:
    base = tmp_path / "base"
    src = tmp_path / "cube.stl"
    src.write_bytes(samples.stl_binary(*samples.box()))
    layerline("import", str(src), basedir=base, timeout=240)
    r = layerline("library", "slice", "1", "--slicer", str(tmp_path / "nope"), basedir=base)
    assert r.returncode == 1 and "not installed" in r.stderr
