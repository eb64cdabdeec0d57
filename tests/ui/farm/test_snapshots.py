"""Camera snapshots: fetched and decoded on a worker thread, scaled once;
garbage is a missing picture, and a camera that hangs delays no other."""

from __future__ import annotations

import threading

from PySide6.QtCore import QBuffer, QByteArray, QIODevice, QSize
from PySide6.QtGui import QColor, QImage

from ui.farm.snapshots import SnapshotLoader


def _jpeg(width: int, height: int) -> bytes:
    image = QImage(width, height, QImage.Format.Format_RGB32)
    image.fill(QColor("#3a7"))
    data = QByteArray()
    buffer = QBuffer(data)
    buffer.open(QIODevice.OpenModeFlag.WriteOnly)
    assert image.save(buffer, "JPEG")
    return bytes(data.data())


def test_snapshots_are_decoded_off_the_gui_thread(qtbot) -> None:  # type: ignore[no-untyped-def]
    frame = _jpeg(640, 480)
    release = threading.Event()
    threads: dict[str, str] = {}

    def fetch(name: str) -> bytes | None:
        threads[name] = threading.current_thread().name
        if name == "stuck":
            release.wait(10)
            return None
        return b"not a picture" if name == "garbage" else frame

    loader = SnapshotLoader(fetch, QSize(112, 84), workers=2)
    got: dict[str, QImage] = {}
    loader.ready.connect(got.__setitem__)
    try:
        assert loader.request(["stuck", "cam1", "garbage", "cam2"]) == 4
        qtbot.waitUntil(lambda: set(got) == {"cam1", "cam2"}, timeout=5000)
        assert got["cam1"].size() == QSize(112, 84)  # 4:3, scaled once to fit
        assert loader.request(["cam1"]) == 0       # not due again yet
        assert loader.request(["stuck"]) == 0      # still in flight
    finally:
        release.set()
        loader.close()
    main = threading.main_thread().name
    assert all(t != main and t.startswith("farm-camera") for t in threads.values())
