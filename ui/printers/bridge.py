"""The printers service's bridge: its events, re-emitted on the GUI thread,
and a worker thread for the calls that may block (loading a G-code file,
starting a virtual printer), so that the GUI thread never waits."""

from __future__ import annotations

import logging
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

from PySide6.QtCore import QObject, Signal, Slot

from printers.connection import ConsoleLines, JobEnded, StatusChanged, TemperatureSample
from printers.service import PrintersChanged, PrintersService

log = logging.getLogger(__name__)


class PrintersBridge(QObject):
    """Signals carry the domain's immutable events (``printers.connection``)."""

    status_changed = Signal(object)      # PrinterStatus
    temperature = Signal(object)         # TemperatureSample
    console = Signal(object)             # ConsoleLines
    job_ended = Signal(object)           # JobSnapshot
    printers_changed = Signal()
    failed = Signal(str)                 # a background call failed (message)
    _posted = Signal(object)

    def __init__(self, service: PrintersService, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.service = service
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="printers-ui")
        self._posted.connect(self._deliver)
        service.subscribe(self._posted.emit)

    @Slot(object)
    def _deliver(self, event: object) -> None:
        if isinstance(event, _Done):
            event.callback(event.result)
        elif isinstance(event, _Failure):
            self.failed.emit(event.text)
        elif isinstance(event, StatusChanged):
            self.status_changed.emit(event.status)
        elif isinstance(event, TemperatureSample):
            self.temperature.emit(event)
        elif isinstance(event, ConsoleLines):
            self.console.emit(event)
        elif isinstance(event, JobEnded):
            self.job_ended.emit(event.job)
        elif isinstance(event, PrintersChanged):
            self.printers_changed.emit()

    def run(self, fn: Callable[[], Any],
            on_done: Callable[[Any], None] | None = None) -> Future[Any]:
        """Run ``fn`` on the bridge's worker thread; ``on_done`` gets its
        result on the GUI thread, a failure is reported through :attr:`failed`."""

        def call() -> Any:
            try:
                result = fn()
            except Exception as exc:
                log.warning("printers: %s", exc)
                self._posted.emit(_Failure(str(exc)))
                raise
            if on_done is not None:
                self._posted.emit(_Done(on_done, result))
            return result

        return self._pool.submit(call)

    def close(self) -> None:
        self.service.unsubscribe(self._posted.emit)
        self._pool.shutdown(wait=True, cancel_futures=True)


class _Done:
    def __init__(self, callback: Callable[[Any], None], result: Any) -> None:
        self.callback = callback
        self.result = result


class _Failure:
    def __init__(self, text: str) -> None:
        self.text = text

