"""Bridges: a QObject per Qt-free service, re-emitting its events as typed
signals on the GUI thread.

Services call their listeners on whatever thread they run on.  Each bridge
subscribes with a plain callable that emits a private signal; since the bridge
lives on the GUI thread, Qt queues that emission to the GUI thread, where a
slot re-emits the public signal.  Widgets connect only to the public signals.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol

from PySide6.QtCore import QObject, Signal, Slot


class _Subscribable(Protocol):
    def subscribe(self, listener: Callable[[Any], None]) -> None: ...


class NotifierBridge(QObject):
    """Re-emits the notifier's messages (``app.notify.Message``) on the GUI thread."""

    message = Signal(object)
    _posted = Signal(object)

    def __init__(self, notifier: _Subscribable, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._posted.connect(self._deliver)
        notifier.subscribe(self._posted.emit)

    @Slot(object)
    def _deliver(self, msg: object) -> None:
        self.message.emit(msg)


class LogBridge(QObject):
    """Re-emits new log lines from the ring buffer on the GUI thread."""

    line = Signal(str)
    _posted = Signal(str)

    def __init__(self, ring: Any, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._ring = ring
        self._posted.connect(self.line)
        ring.subscribe(self._posted.emit)

    def close(self) -> None:
        self._ring.unsubscribe(self._posted.emit)


class GuiCaller(QObject):
    """Runs callables on the GUI thread, posted from any thread."""

    _posted = Signal(object)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._posted.connect(self._run)

    def call(self, fn: Callable[[], object]) -> None:
        """Queue ``fn`` to run on the GUI thread (safe from any thread)."""
        self._posted.emit(fn)

    @Slot(object)
    def _run(self, fn: Callable[[], object]) -> None:
        fn()
