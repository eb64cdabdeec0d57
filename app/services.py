"""The composition root: every service is built here, in one place, and
connected to an ordered shutdown.

Qt-free on purpose: the CLI builds the same services without a window, and
the GUI (``app.gui``) adds its bridges on top.  Later parts of Layerline add
their services in :func:`build` (printers, library, outbox, ...), each logged
and registered for shutdown in reverse order of construction.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.engine import Engine
from sqlalchemy.orm import sessionmaker

from app import db, notify
from app.logs import RingBuffer
from app.paths import Paths
from app.secrets import SecretStore, open_store
from app.settings import SettingsStore
from printers.errors import PrinterError
from printers.service import PrintersService
from printers.store import PrinterStore

log = logging.getLogger(__name__)


@dataclass
class Services:
    """What the app runs on.  Passed into constructors; never a global."""

    paths: Paths
    settings: SettingsStore
    ring: RingBuffer
    notifier: notify.Notifier
    errors: notify.ErrorPolicy
    engine: Engine
    sessions: sessionmaker[Any]
    printers: PrintersService
    _cleanups: list[tuple[str, Callable[[], None]]] = field(default_factory=list)
    _secrets: SecretStore | None = None
    _secrets_guard: threading.Lock = field(default_factory=threading.Lock)
    _closed: bool = False

    @property
    def secrets(self) -> SecretStore:
        """The secret store, opened on first use (probing a keyring can take a
        moment, so it is kept off the start-up path)."""
        with self._secrets_guard:
            if self._secrets is None:
                self._secrets = open_store(self.paths.secrets_dir, self.paths.key)
            return self._secrets

    def register_cleanup(self, name: str, fn: Callable[[], None]) -> None:
        """Run ``fn`` at shutdown; cleanups run in reverse order of registration."""
        self._cleanups.append((name, fn))

    def shutdown(self) -> None:
        if self._closed:
            return
        self._closed = True
        for name, fn in reversed(self._cleanups):
            log.debug("shutting down %s", name)
            try:
                fn()
            except Exception:
                log.exception("error while shutting down %s", name)
        log.info("shutdown complete")


def build(paths: Paths, ring: RingBuffer) -> Services:
    """Build every service for this base directory."""
    settings = SettingsStore(paths.settings_file)
    log.debug("settings loaded from %s", paths.settings_file)
    notifier = notify.Notifier()
    errors = notify.ErrorPolicy(paths.crash_dir)
    engine, sessions = db.open_database(paths.database_file)
    log.debug("database ready at %s", paths.database_file)
    errors.register_known(PrinterError)
    printers = PrintersService(PrinterStore(sessions))
    printers.recover()  # one quick UPDATE: jobs of a crashed run become interrupted
    services = Services(
        paths=paths,
        settings=settings,
        ring=ring,
        notifier=notifier,
        errors=errors,
        engine=engine,
        sessions=sessions,
        printers=printers,
    )
    # Reverse order at shutdown: the database closes before a temporary base
    # directory is removed.
    services.register_cleanup("base directory", paths.cleanup)
    services.register_cleanup("database", engine.dispose)
    services.register_cleanup("printers", printers.shutdown)
    return services
