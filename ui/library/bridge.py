"""The library's bridge: re-emits the library service's events on the GUI
thread, and runs calls on the service's query thread with their results
delivered on the GUI thread."""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from concurrent.futures import Future
from typing import Any

from PySide6.QtCore import QObject, Signal, Slot

from library.importer import Progress
from library.service import (
    ImportFinished,
    ImportStarted,
    LibraryChanged,
    LibraryService,
)


class LibraryBridge(QObject):
    import_started = Signal(int)
    progress = Signal(object)          # library.importer.Progress
    import_finished = Signal(object)   # library.importer.ImportReport
    changed = Signal(tuple)            # model ids (empty: anything)
    failed = Signal(object)            # an exception from a background call
    _event = Signal(object)
    _result = Signal(object, object, object)

    def __init__(self, service: LibraryService, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.service = service
        self._event.connect(self._deliver)
        self._result.connect(self._deliver_result)
        service.subscribe(self._event.emit)

    def close(self) -> None:
        self.service.unsubscribe(self._event.emit)

    @Slot(object)
    def _deliver(self, ev: object) -> None:
        if isinstance(ev, Progress):
            self.progress.emit(ev)
        elif isinstance(ev, ImportStarted):
            self.import_started.emit(ev.job_id)
        elif isinstance(ev, ImportFinished):
            self.import_finished.emit(ev.report)
        elif isinstance(ev, LibraryChanged):
            self.changed.emit(ev.model_ids)

    def call(self, fn: Callable[[], Any], done: Callable[[Any], None]) -> None:
        """Run ``fn`` on the query thread; ``done(result)`` on the GUI thread.
        Dropped once the service has shut down (a result arriving late, at
        shutdown, may ask for more)."""
        try:
            fut = self.service.submit(fn)
        except RuntimeError:  # "cannot schedule new futures after shutdown"
            return

        def finished(f: Future[Any]) -> None:
            if f.cancelled():
                return
            with contextlib.suppress(RuntimeError):  # the bridge is gone: drop it
                self._result.emit(f, done, None)

        fut.add_done_callback(finished)

    @Slot(object, object, object)
    def _deliver_result(self, fut: Future[Any], done: Callable[[Any], None], _x: object) -> None:
        exc = fut.exception()
        if exc is not None:
            self.failed.emit(exc)
            return
        done(fut.result())
