"""The real-server fixture's installer fails loudly, never silently skips."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.helpers import octoprint_server


def test_a_failed_install_is_a_clear_error(tmp_path: Path,
                                          monkeypatch: pytest.MonkeyPatch) -> None:
    # No index and an empty wheel folder: pip cannot find OctoPrint (offline).
    monkeypatch.setattr(octoprint_server, "VENV", tmp_path / "venv")
    monkeypatch.setenv("PIP_NO_INDEX", "1")
    monkeypatch.setenv("PIP_FIND_LINKS", str(tmp_path))
    monkeypatch.setenv("PIP_CONSTRAINT", "")
    with pytest.raises(octoprint_server.OctoPrintSetupError,
                       match=r"installing OctoPrint>=1\.11,<1\.12 into .* failed") as info:
        octoprint_server.ensure_octoprint()
    assert "No matching distribution" in str(info.value)  # pip's own words
    assert not (tmp_path / "venv" / octoprint_server._MARKER).exists()
