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
from pathlib import Path
from typing import TYPE_CHECKING, Any

from app import notify
from app.logs import RingBuffer
from app.paths import Paths
from app.secrets import SecretStore, open_store
from app.settings import SettingsStore

if TYPE_CHECKING:  # SQLAlchemy is imported on the database thread, not at start-up
    from sqlalchemy.engine import Engine
    from sqlalchemy.orm import Session, sessionmaker

log = logging.getLogger(__name__)


@dataclass
class Services:
    """What the app runs on.  Passed into constructors; never a global."""

    paths: Paths
    settings: SettingsStore
    ring: RingBuffer
    notifier: notify.Notifier
    errors: notify.ErrorPolicy
    database: Database
    _cleanups: list[tuple[str, Callable[[], None]]] = field(default_factory=list)
    _secrets: SecretStore | None = None
    _secrets_guard: threading.Lock = field(default_factory=threading.Lock)
    _closed: bool = False

    @property
    def engine(self) -> Engine:
        """The database engine; waits until the database is open (never call
        this on the GUI thread before the first paint)."""
        return self.database.wait()[0]

    @property
    def sessions(self) -> Callable[..., Session]:
        """A session factory usable at once; the first session it makes
        waits until the database is open."""
        return self.database.session

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


class Database:
    """The desktop database, opened (and migrated) on a background thread so
    that the window paints without waiting for SQLAlchemy.  Anything that
    needs it waits for it on its own thread."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._ready = threading.Event()
        self._started = False
        self._start_guard = threading.Lock()
        self._engine: Engine | None = None
        self._factory: sessionmaker[Any] | None = None
        self._error: BaseException | None = None

    def start(self) -> None:
        with self._start_guard:
            if self._started:
                return
            self._started = True
        threading.Thread(target=self._open, name="database-open", daemon=True).start()

    def _open(self) -> None:
        from app import db

        try:
            self._engine, self._factory = db.open_database(self.path)
            log.debug("database ready at %s", self.path)
        except BaseException as exc:
            log.exception("could not open the database %s", self.path)
            self._error = exc
        finally:
            self._ready.set()

    def wait(self, timeout: float = 120.0) -> tuple[Engine, sessionmaker[Any]]:
        self.start()
        if not self._ready.wait(timeout):
            raise DatabaseError(f"the database {self.path} did not open within {timeout:.0f} s")
        if self._error is not None:
            raise DatabaseError(f"cannot open the database {self.path}: {self._error}") \
                from self._error
        assert self._engine is not None and self._factory is not None
        return self._engine, self._factory

    @property
    def is_ready(self) -> bool:
        return self._ready.is_set() and self._error is None

    def session(self, **kwargs: Any) -> Session:
        factory = self.wait()[1]
        session: Session = factory(**kwargs)
        return session

    def close(self) -> None:
        if self._started:
            self._ready.wait(120)
        if self._engine is not None:
            self._engine.dispose()


class DatabaseError(notify.KnownError):
    """The desktop database could not be opened."""


def build(paths: Paths, ring: RingBuffer, *, defer_database: bool = False) -> Services:
    """Build every service for this base directory.

    With ``defer_database`` (the window's path) the database is not opened
    here: the caller calls ``services.database.start()`` once the window has
    painted.  Services that need it wait for it on their own threads."""
    settings = SettingsStore(paths.settings_file)
    log.debug("settings loaded from %s", paths.settings_file)
    notifier = notify.Notifier()
    errors = notify.ErrorPolicy(paths.crash_dir)
    # Each domain package's error base class: a known error (a message for
    # the user), not a bug.  By name, so that nothing heavy is imported here.
    errors.register_known_name(
        "reviews.errors.ReviewsError",
        "printers.octoprint.errors.OctoPrintError",
    )
    database = Database(paths.database_file)
    if not defer_database:
        database.start()
    services = Services(
        paths=paths,
        settings=settings,
        ring=ring,
        notifier=notifier,
        errors=errors,
        database=database,
    )
    # Reverse order at shutdown: the database closes before a temporary base
    # directory is removed.
    services.register_cleanup("base directory", paths.cleanup)
    services.register_cleanup("database", database.close)
    return services
