"""The history's bridge: runs calls on the history service's threads with
their results delivered on the GUI thread, and re-emits
:class:`history.service.HistoryChanged` there."""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, Signal, Slot

from history.service import HistoryChanged, HistoryService
from history.store import HistoryStore


class HistoryBridge(QObject):
    changed = Signal(tuple)            # job ids written by a sync
    failed = Signal(object)            # an exception from a background call
    _event = Signal(object)
    _result = Signal(object, object, object)

    def __init__(self, service: HistoryService, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.service = service
        self._event.connect(self._deliver)
        self._result.connect(self._deliver_result)
        service.subscribe(self._event.emit)

    def close(self) -> None:
        self.service.unsubscribe(self._event.emit)

    @Slot(object)
    def _deliver(self, ev: object) -> None:
        if isinstance(ev, HistoryChanged):
            self.changed.emit(ev.job_ids)

    def call(self, fn: Callable[[HistoryStore], Any], done: Callable[[Any], None], *,
             heavy: bool = False) -> bool:
        """Run ``fn(store)`` on the query thread (or the work thread if
        ``heavy``); ``done(result)`` on the GUI thread.  False once the
        service is closed."""

        def finished(result: Any, error: BaseException | None) -> None:
            with contextlib.suppress(RuntimeError):  # the bridge is gone: drop it
                self._result.emit(result, error, done)

        return self.service.submit(fn, finished, heavy=heavy) is not None

    @Slot(object, object, object)
    def _deliver_result(self, result: Any, error: BaseException | None,
                        done: Callable[[Any], None]) -> None:
        if error is not None:
            self.failed.emit(error)
            return
        done(result)
