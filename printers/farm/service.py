"""The farm as the app runs it: the supervisor, the queue and the dispatcher.

:class:`Farm` makes a :class:`~printers.interface.Printer` for every printer
record, supervises them (:class:`~printers.farm.supervisor.FarmSupervisor`)
and works through the queue (:class:`~printers.farm.queue.FarmQueue`) on one
dispatcher thread, woken by any printer's change or every
``dispatch_interval`` seconds.  ``shutdown`` goes in order: the dispatcher
stops (nothing new is assigned), then every printer's worker (work it had not
begun fails, putting its item back to pending; running serial jobs end
interrupted), then the queue records how the jobs it holds ended.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from printers.farm.factory import Secrets, make_printer
from printers.farm.queue import FarmQueue
from printers.farm.supervisor import FarmSupervisor
from printers.interface import Printer, PrinterStatus

if TYPE_CHECKING:
    from sqlalchemy.orm import Session, sessionmaker

    from printers.store import PrinterRecord, PrinterStore

log = logging.getLogger(__name__)

PrinterFactory = Callable[["PrinterRecord"], Printer]


class Farm:
    """See the module docstring."""

    def __init__(
        self,
        store: PrinterStore,
        sessions: sessionmaker[Session],
        secrets: Secrets | None,
        *,
        max_heating: int = 2,
        dispatch_interval: float = 0.5,
        factory: PrinterFactory | None = None,
        **supervisor_options: Any,
    ) -> None:
        self.store = store
        self._factory = factory or (lambda rec: make_printer(rec, store, secrets))
        self.supervisor = FarmSupervisor(**supervisor_options)
        self.queue = FarmQueue(sessions, max_heating=max_heating)
        self._interval = dispatch_interval
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._guard = threading.Lock()
        self._dispatch = True
        self.supervisor.subscribe(self._on_status)
        self.queue.subscribe(self._wake.set)

    def start(self, *, dispatch: bool = True) -> None:
        """Supervise every configured printer; with ``dispatch``, work the queue
        (called again on a running farm: only switches dispatching on or off)."""
        with self._guard:
            if self._thread is not None or self._stop.is_set():
                self._dispatch = dispatch
                self._wake.set()
                return
            for record in self.store.printers():
                self._add(record)
            self.supervisor.start()
            self.queue.recover()
            self._thread = threading.Thread(target=self._run, name="farm-dispatcher",
                                            daemon=True)
            self._dispatch = dispatch
            self._thread.start()

    def add_printer(self, record: PrinterRecord) -> None:
        """Supervise a printer added while the farm runs."""
        self._add(record)
        self._wake.set()

    def _add(self, record: PrinterRecord) -> None:
        try:
            self.supervisor.add(self._factory(record))
        except Exception as exc:
            log.error("farm: cannot supervise %s: %s", record.name, exc)

    def statuses(self) -> dict[str, PrinterStatus]:
        return self.supervisor.statuses()

    def dispatch_now(self) -> None:
        self._wake.set()

    def _on_status(self, _status: PrinterStatus) -> None:
        self._wake.set()

    def _run(self) -> None:
        while not self._stop.is_set():
            self._wake.wait(self._interval)
            self._wake.clear()
            if self._stop.is_set():
                break
            try:
                if self._dispatch:
                    self.queue.dispatch(self.supervisor)
                else:
                    self.queue.reconcile()
            except Exception:
                log.exception("farm: a dispatch pass failed")

    def shutdown(self, timeout: float = 20.0) -> None:
        self._stop.set()
        self._wake.set()
        thread, self._thread = self._thread, None
        if thread is not None:
            thread.join(timeout)
        self.supervisor.shutdown(timeout)
        try:
            self.queue.reconcile()
        except Exception:
            log.exception("farm: cannot record the queue's last outcomes")
        log.info("farm stopped")
