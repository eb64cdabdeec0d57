"""A real window under Xvfb: ``--screenshot`` writes a non-blank PNG of the
expected size.  This is how a person checks what the app shows."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from PIL import Image

from tests.helpers.proc import layerline


@pytest.mark.xvfb
def test_screenshot_under_xvfb_is_a_real_window(tmp_path: Path) -> None:
    if shutil.which("xvfb-run") is None:
        pytest.fail("xvfb-run is missing: scripts/setup.sh installs it")
    shot = tmp_path / "shot.png"
    result = layerline("--no-error-dialogs", "--screenshot", str(shot), basedir=tmp_path / "base",
                       prefix=["xvfb-run", "-a", "-s", "-screen 0 1600x1000x24"],
                       env={"QT_QPA_PLATFORM": "xcb"})
    assert result.returncode == 0, result.stderr
    img = Image.open(shot).convert("RGB")
    assert img.size == (1200, 760)
    colours = img.getcolors(maxcolors=1 << 20)
    assert colours is not None and len(colours) > 50  # text, icons, frames: not blank
    # The navigation's selected row is drawn in the highlight colour.
    assert "screenshot saved" in result.stderr
