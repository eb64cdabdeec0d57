"""The Library area under a real X server: the grid, the table and the
detail panel with its OpenGL 3D preview (``tests/ui/library/shots.py``)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from PIL import Image

ROOT = Path(__file__).resolve().parents[3]


@pytest.mark.xvfb
def test_library_screenshots_with_3d_preview(tmp_path: Path) -> None:
    if shutil.which("xvfb-run") is None:
        pytest.fail("xvfb-run is missing: scripts/setup.sh installs it")
    env = dict(os.environ, QT_QPA_PLATFORM="xcb")
    env.pop("LAYERLINE_BLOCK_QT", None)
    res = subprocess.run(
        ["xvfb-run", "-a", "-s", "-screen 0 1600x1000x24", sys.executable, "-m",
         "tests.ui.library.shots", str(tmp_path)],
        capture_output=True, text=True, timeout=240, cwd=ROOT, env=env, check=False)
    assert res.returncode == 0, res.stderr[-2000:]
    facts = json.loads(res.stdout.strip().splitlines()[-1])
    assert facts["gl"] is True
    assert facts["preview_colours"] >= 4          # the mesh is drawn, shaded
    for name in ("grid.png", "table.png", "detail.png"):
        img = Image.open(tmp_path / name).convert("RGB")
        assert img.size == (1400, 820)
        colours = img.getcolors(maxcolors=1 << 20)
        assert colours is not None and len(colours) > 50, name
