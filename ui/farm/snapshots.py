"""Camera snapshots for the dashboard, fetched and decoded off the GUI thread.

A worker asks the printer for its snapshot (JPEG bytes, with the client's own
timeout), decodes it into a :class:`QImage` and scales it once to the card's
thumbnail size (``QImage`` is safe off the GUI thread; ``QPixmap`` is not).
The GUI thread only receives the small finished image.  At most one fetch per
printer is in flight, so a camera that hangs costs one worker, never a frame.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor

from PySide6.QtCore import QObject, QSize, Qt, Signal
from PySide6.QtGui import QImage

log = logging.getLogger(__name__)

#: Seconds between two snapshots of the same printer.
INTERVAL = 10.0

Fetch = Callable[[str], bytes | None]


def decode(data: bytes, size: QSize) -> QImage | None:
    """JPEG/PNG bytes as a QImage fitting ``size`` (None if not an image)."""
    image = QImage.fromData(data)
    if image.isNull():
        return None
    return image.scaled(size, Qt.AspectRatioMode.KeepAspectRatio,
                        Qt.TransformationMode.SmoothTransformation)


class SnapshotLoader(QObject):
    """``request(names)`` fetches the snapshots of those printers that are due;
    ``ready(name, QImage)`` is emitted on the GUI thread."""

    ready = Signal(str, QImage)

    def __init__(self, fetch: Fetch, size: QSize, *, interval: float = INTERVAL,
                 workers: int = 2, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._fetch = fetch
        self._size = QSize(size)
        self.interval = interval
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="farm-camera")
        self._lock = threading.Lock()
        self._busy: set[str] = set()
        self._due: dict[str, float] = {}
        self._closed = False

    def request(self, names: Iterable[str]) -> int:
        """Fetch the snapshots that are due (GUI thread); returns how many."""
        now = time.monotonic()
        started = 0
        for name in names:
            with self._lock:
                if name in self._busy or self._due.get(name, 0.0) > now or self._closed:
                    continue
                self._busy.add(name)
                self._due[name] = now + self.interval
            self._pool.submit(self._load, name)
            started += 1
        return started

    def _load(self, name: str) -> None:
        try:
            data = self._fetch(name)
            image = decode(data, self._size) if data else None
        except Exception as exc:  # a camera that fails is only a missing picture
            log.info("camera of %s: %s", name, exc)
            image = None
        finally:
            with self._lock:
                self._busy.discard(name)
        if image is not None and not self._closed:
            self.ready.emit(name, image)

    def close(self) -> None:
        self._closed = True
        self._pool.shutdown(wait=False, cancel_futures=True)
