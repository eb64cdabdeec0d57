from __future__ import annotations

import logging

from app.logs import RingBuffer
from ui.bridges import LogBridge
from ui.dialogs import LogViewer


def test_log_viewer_shows_new_lines_live_and_filters(qtbot) -> None:  # type: ignore[no-untyped-def]
    ring = RingBuffer()
    logger = logging.getLogger("layerline.viewertest")
    logger.addHandler(ring)
    logger.setLevel(logging.INFO)
    try:
        logger.info("before the viewer")
        bridge = LogBridge(ring)
        viewer = LogViewer(ring.lines(), bridge)
        qtbot.addWidget(viewer)
        logger.info("printer connected")
        qtbot.waitUntil(lambda: "printer connected" in viewer.view.toPlainText())
        viewer.filter.setText("before")
        assert "before the viewer" in viewer.view.toPlainText()
        assert "printer connected" not in viewer.view.toPlainText()
        bridge.close()
    finally:
        logger.removeHandler(ring)
