"""The review screens in the real app under Xvfb, with the demo's marketplace
on loopback: ``--screenshot-view`` opens the composer with the demo account
signed in, and the PNG is the dialog with its live points preview.  (The
other views: ``python -m app --temp-basedir --demo --screenshot PATH
--screenshot-view marketplace|rewards|store|outbox|profiles|community|
composer|end-of-print|wizard|feedback``.)"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from PIL import Image

from tests.helpers.proc import layerline


@pytest.mark.xvfb
def test_composer_screenshot_with_the_demo_marketplace(tmp_path: Path) -> None:
    if shutil.which("xvfb-run") is None:
        pytest.fail("xvfb-run is missing: scripts/setup.sh installs it")
    shot = tmp_path / "composer.png"
    result = layerline("--demo", "--no-error-dialogs", "--screenshot", str(shot),
                       "--screenshot-view", "composer", basedir=tmp_path / "base",
                       prefix=["xvfb-run", "-a", "-s", "-screen 0 1600x1200x24"],
                       env={"QT_QPA_PLATFORM": "xcb"}, timeout=180)
    assert result.returncode == 0, result.stderr
    assert "signed in to http://127.0.0.1" in result.stderr  # the demo account
    img = Image.open(shot).convert("RGB")
    assert img.size == (640, 640)  # the dialog, not the window
    colours = img.getcolors(maxcolors=1 << 20)
    assert colours is not None and len(colours) > 50
