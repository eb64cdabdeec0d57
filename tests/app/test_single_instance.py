"""A second ``layerline FILE`` hands its files to the running instance."""

from __future__ import annotations

from pathlib import Path

from app.single_instance import InstanceServer


def test_second_instance_hands_over_its_files(qtbot, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    base = tmp_path / "base"
    runtime = base / "runtime"
    runtime.mkdir(parents=True)
    server = InstanceServer(runtime)
    received: list[list[Path]] = []
    server.files_received.connect(received.append)
    model = tmp_path / "benchy.stl"
    model.write_bytes(b"solid x\nendsolid x\n")

    import subprocess
    import sys

    from tests.helpers.proc import ROOT

    # Run the second instance while this one's event loop serves the socket.
    proc = subprocess.Popen(
        [sys.executable, "-m", "app", "--basedir", str(base), str(model)],
        cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        env={**__import__("os").environ, "QT_QPA_PLATFORM": "offscreen",
             "LAYERLINE_NO_KEYRING": "1"},
    )
    qtbot.waitUntil(lambda: proc.poll() is not None, timeout=60000)
    out, err = proc.communicate()
    assert proc.returncode == 0, err
    assert "handed 1 file(s)" in out
    assert received == [[model.resolve()]]
    server.close()
