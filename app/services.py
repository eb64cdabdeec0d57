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
from typing import TYPE_CHECKING, Any

from sqlalchemy.engine import Engine
from sqlalchemy.orm import sessionmaker

from app import db, notify
from app.logs import RingBuffer
from app.paths import Paths
from app.secrets import SecretStore, open_store
from app.settings import SettingsStore

if TYPE_CHECKING:
    from library.service import LibraryService

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
    _cleanups: list[tuple[str, Callable[[], None]]] = field(default_factory=list)
    _secrets: SecretStore | None = None
    _library: Any = None
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

    @property
    def library(self) -> LibraryService:
        """The model library, built on first use (it imports numpy and the
        parsers, which the first window does not need)."""
        with self._secrets_guard:
            if self._library is None:
                from library.service import LibraryService

                self._library = LibraryService(self.engine, self.paths.store_dir)
                log.debug("library service ready (store %s)", self.paths.store_dir)
            return self._library  # type: ignore[no-any-return]

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
    from library.errors import LibraryError  # light: no parsers imported

    errors.register_known(LibraryError)
    engine, sessions = db.open_database(paths.database_file)
    log.debug("database ready at %s", paths.database_file)
    services = Services(
        paths=paths,
        settings=settings,
        ring=ring,
        notifier=notifier,
        errors=errors,
        engine=engine,
        sessions=sessions,
    )
    # Reverse order at shutdown: the database closes before a temporary base
    # directory is removed.
    services.register_cleanup("base directory", paths.cleanup)
    services.register_cleanup("database", engine.dispose)
    services.register_cleanup(
        "library", lambda: services._library.close() if services._library else None)
    return services
