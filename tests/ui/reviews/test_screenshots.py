"""The review screens in the real app under Xvfb: ``--screenshot-view`` opens
the end-of-print dialog (no marketplace needed) and the PNG is the dialog.
The other views, with the demo's marketplace on loopback:
``python -m app --temp-basedir --demo --screenshot PATH --screenshot-view
marketplace|rewards|store|outbox|profiles|community|composer|end-of-print|
wizard|feedback`` (the composer's live preview is tested in-process, in
test_composer.py)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from PIL import Image

from tests.helpers.proc import layerline


@pytest.mark.xvfb
def test_end_of_print_dialog_screenshot(tmp_path: Path) -> None:
    if shutil.which("xvfb-run") is None:
        pytest.fail("xvfb-run is missing: scripts/setup.sh installs it")
    shot = tmp_path / "end-of-print.png"
    result = layerline("--no-error-dialogs", "--screenshot", str(shot),
                       "--screenshot-view", "end-of-print", basedir=tmp_path / "base",
                       prefix=["xvfb-run", "-a", "-s", "-screen 0 1600x1200x24"],
                       env={"QT_QPA_PLATFORM": "xcb"}, timeout=180)
    assert result.returncode == 0, result.stderr
    img = Image.open(shot).convert("RGB")
    assert img.size == (560, 460)  # the dialog, not the window
    colours = img.getcolors(maxcolors=1 << 20)
    assert colours is not None and len(colours) > 50  # text, a photo thumbnail: not blank
