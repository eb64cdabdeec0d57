"""The interactive 3D preview: pyqtgraph's OpenGL view with the mesh, lit
and centred.  Where OpenGL cannot start (Qt's offscreen platform), it says
so instead of failing."""

from __future__ import annotations

import logging
from typing import Any

import numpy as np
from PySide6.QtCore import Qt
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QLabel, QStackedLayout, QWidget

log = logging.getLogger(__name__)

MAX_PREVIEW_TRIANGLES = 2_000_000


def gl_available() -> bool:
    return QGuiApplication.platformName() not in ("offscreen", "minimal")


class MeshPreview(QWidget):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("mesh-preview")
        self.setMinimumHeight(220)
        self._stack = QStackedLayout(self)
        self._label = QLabel("No 3D preview")
        self._label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self._label.setEnabled(False)
        self._stack.addWidget(self._label)
        self.view: Any = None
        self._item: Any = None
        self._gl_ok = gl_available()
        if not self._gl_ok:
            self._label.setText("3D preview unavailable here (no OpenGL)")

    def _ensure_view(self) -> bool:
        """Create the OpenGL view on first use (pyqtgraph.opengl and PyOpenGL
        take a while to import: not on the start-up path)."""
        if self.view is None and self._gl_ok:
            try:
                import pyqtgraph.opengl as gl

                self.view = gl.GLViewWidget()
                self.view.setBackgroundColor((40, 44, 52))
                self._stack.addWidget(self.view)
            except Exception as exc:  # no usable OpenGL: the preview says so
                log.warning("3D preview unavailable: %s", exc)
                self._gl_ok = False
                self._label.setText("3D preview unavailable here (no OpenGL)")
        return self.view is not None

    def clear(self, message: str = "No 3D preview") -> None:
        if self.view is not None and self._item is not None:
            self.view.removeItem(self._item)
            self._item = None
        self._label.setText(message if self._gl_ok else
                            "3D preview unavailable here (no OpenGL)")
        self._stack.setCurrentWidget(self._label)

    def show_triangles(self, tris: np.ndarray[Any, Any]) -> bool:
        """Show ``(n, 3, 3)`` triangles; False when there is no OpenGL."""
        if not self._ensure_view():
            return False
        import pyqtgraph.opengl as gl

        if self._item is not None:
            self.view.removeItem(self._item)
        if len(tris) > MAX_PREVIEW_TRIANGLES:
            tris = tris[:: int(np.ceil(len(tris) / MAX_PREVIEW_TRIANGLES))]
        lo, hi = tris.reshape(-1, 3).min(axis=0), tris.reshape(-1, 3).max(axis=0)
        centre = (lo + hi) / 2
        self._item = gl.GLMeshItem(vertexes=(tris - centre).astype(np.float32), smooth=False,
                                   shader="shaded", color=(0.45, 0.72, 1.0, 1.0),
                                   drawEdges=False)
        self.view.addItem(self._item)
        size = float(np.linalg.norm(hi - lo)) or 1.0
        self.view.setCameraPosition(distance=size * 2.4, elevation=25, azimuth=-55)
        self._stack.setCurrentWidget(self.view)
        return True
