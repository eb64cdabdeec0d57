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

    from history.recorder import DurationRecorder
    from history.service import HistoryService
    from library.service import LibraryService
    from printers.farm.service import Farm
    from printers.service import PrintersService
    from reviews.service import ReviewsService

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
    printers: PrintersService
    _cleanups: list[tuple[str, Callable[[], None]]] = field(default_factory=list)
    _secrets: SecretStore | None = None
    _library: Any = None
    _reviews: Any = None
    _reviews_guard: threading.Lock = field(default_factory=threading.Lock)
    _sender_starting: bool = False
    #: The marketplace URL for this run when it is not the settings' one (the
    #: demo's service, started on a free port).
    marketplace_url_override: str | None = None
    _secrets_guard: threading.Lock = field(default_factory=threading.Lock)
    _library_guard: threading.Lock = field(default_factory=threading.Lock)
    _farm: Any = None
    _closed: bool = False
    recorder: DurationRecorder | None = None
    _history: Any = None

    @property
    def engine(self) -> Engine:
        """The database engine; waits until the database is open (never call
        this on the GUI thread before the first paint)."""
        return self.database.wait()[0]

    @property
    def sessions(self) -> LazySessions:
        """A session factory usable at once; the first session it makes
        waits until the database is open."""
        return self.database.sessions

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
        with self._library_guard:
            if self._library is None:
                if self._closed:
                    raise ServicesClosedError("the app is shutting down")
                from library.service import LibraryService

                self._library = LibraryService(self.engine, self.paths.store_dir)
                log.debug("library service ready (store %s)", self.paths.store_dir)
            return self._library  # type: ignore[no-any-return]

    def marketplace_url(self) -> str:
        """The marketplace the app talks to (settings, or this run's override)."""
        return self.marketplace_url_override or self.settings.settings.marketplace.url

    @property
    def reviews(self) -> ReviewsService:
        """Receipts, reviews, the outbox and the marketplace account, built on
        first use (off the start-up path: it imports SQLAlchemy, httpx and
        cryptography, and waits for the database).  The tokens and the device
        key live in :attr:`secrets`.  Its sender is started by
        :meth:`start_outbox_sender` (the window; not the CLI, which syncs)."""
        with self._reviews_guard:
            if self._reviews is None:
                if self._closed:
                    raise ServicesClosedError("the app is shutting down")
                from reviews.service import ReviewsService

                self._reviews = ReviewsService(
                    self.sessions, self.secrets, self.paths.data / "outbox-spool",
                    base_url=self.marketplace_url)
                log.debug("reviews service ready (marketplace %s)", self.marketplace_url())
            return self._reviews  # type: ignore[no-any-return]

    def start_outbox_sender(self) -> None:
        """Deliver the outbox in the background (call off the GUI thread)."""
        reviews = self.reviews
        with self._reviews_guard:
            if self._closed:
                raise ServicesClosedError("the app is shutting down")
            if reviews.sending or self._sender_starting:
                return
            self._sender_starting = True
        # Not under the lock: purging the spool waits for the database, and a
        # database start-up task may be waiting for that lock (a deadlock).
        try:
            reviews.purge_spool()
            reviews.start_sending()
        finally:
            with self._reviews_guard:
                self._sender_starting = False
        if self._closed:  # shutdown began meanwhile: its cleanup may have run
            reviews.stop()

    @property
    def farm(self) -> Farm:
        """The farm (supervisor + queue), built on first use and not started:
        ``services.farm.start()`` on a worker thread supervises every printer
        and works the queue.  Serial printers share their connection with
        ``services.printers`` (one owner per port)."""
        with self._library_guard:
            if self._farm is None:
                if self._closed:
                    raise ServicesClosedError("the app is shutting down")
                from printers.farm.factory import make_printer
                from printers.farm.service import Farm
                from printers.serial_printer import SerialPrinter

                printers, store = self.printers, self.printers.store

                def factory(record: Any) -> Any:
                    if record.kind == "serial":
                        return SerialPrinter(printers.connection(record.name))
                    return make_printer(record, store, self.secrets)

                self._farm = Farm(
                    store, self.sessions,  # type: ignore[arg-type]
                    self.secrets, factory=factory,
                    max_heating=self.settings.settings.printers.max_heating_together)
                log.debug("farm ready")
            return self._farm  # type: ignore[no-any-return]

    @property
    def history(self) -> HistoryService:
        """Print history and statistics, built on first use (off the GUI
        thread: it waits for the database); its first sync backfills."""
        with self._library_guard:
            if self._history is None:
                if self._closed:
                    raise ServicesClosedError("the app is shutting down")
                from history.service import HistoryService

                self._history = HistoryService(self.engine, self.recorder)
            return self._history  # type: ignore[no-any-return]

    @property
    def is_closed(self) -> bool:
        """True once :meth:`shutdown` has begun."""
        return self._closed

    def register_cleanup(self, name: str, fn: Callable[[], None]) -> None:
        """Run ``fn`` at shutdown; cleanups run in reverse order of registration."""
        self._cleanups.append((name, fn))

    def shutdown(self) -> None:
        with self._library_guard, self._reviews_guard:  # nothing is built once shutdown begins
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


class LazySessions:
    """A stand-in for a ``sessionmaker`` usable before the database is open:
    calling it (or ``begin()``) waits for the database, then behaves exactly
    like the real factory.  Never used on the GUI thread."""

    def __init__(self, database: Database) -> None:
        self._database = database

    def __call__(self, **kwargs: Any) -> Session:
        session: Session = self._database.wait()[1](**kwargs)
        return session

    def begin(self) -> Any:
        return self._database.wait()[1].begin()


class _LazyPrinterStore:
    """The printers' store, imported (with SQLAlchemy) on first use, which is
    always on a worker thread, never on the start-up path."""

    def __init__(self, sessions: LazySessions) -> None:
        self._sessions = sessions
        self._store: Any = None
        self._guard = threading.Lock()

    def __getattr__(self, name: str) -> Any:
        with self._guard:
            if self._store is None:
                from printers.store import PrinterStore

                self._store = PrinterStore(self._sessions)  # type: ignore[arg-type]
        return getattr(self._store, name)


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
        self._on_ready: list[Callable[[], object]] = []
        self._opener: int | None = None

    def on_ready(self, fn: Callable[[], object]) -> None:
        """Run ``fn`` on the database thread right after the database opens
        (at once, on this thread, if it is already open)."""
        with self._start_guard:
            if not self._ready.is_set():
                self._on_ready.append(fn)
                return
        if self._error is None:
            fn()

    def start(self) -> None:
        with self._start_guard:
            if self._started:
                return
            self._started = True
        threading.Thread(target=self._open, name="database-open", daemon=True).start()

    def _open(self) -> None:
        from app import db

        self._opener = threading.get_ident()
        try:
            self._engine, self._factory = db.open_database(self.path)
            log.debug("database ready at %s", self.path)
        except BaseException as exc:
            log.exception("could not open the database %s", self.path)
            self._error = exc
        # Start-up tasks run before anyone else may use the database, so that
        # e.g. ``history`` never sees a crashed run's job as still printing.
        # (wait() lets this thread through meanwhile.)
        while self._error is None:
            with self._start_guard:
                hooks, self._on_ready = self._on_ready, []
                if not hooks:
                    self._ready.set()
                    break
            for fn in hooks:
                try:
                    fn()
                except Exception:
                    log.exception("a database start-up task failed")
        self._ready.set()

    def wait(self, timeout: float = 120.0) -> tuple[Engine, sessionmaker[Any]]:
        if (threading.get_ident() == self._opener and self._engine is not None
                and self._factory is not None):
            return self._engine, self._factory  # a start-up task on the opening thread
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

    @property
    def sessions(self) -> LazySessions:
        """A session factory for services built before the database opens."""
        return LazySessions(self)

    def close(self) -> None:
        if self._started:
            self._ready.wait(120)
        if self._engine is not None:
            self._engine.dispose()


class ServicesClosedError(notify.KnownError):
    """A service was asked for after shutdown began."""


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
        "printers.errors.PrinterError",  # OctoPrintError and the farm's errors too
        "library.errors.LibraryError",
        "history.errors.HistoryError",
    )
    database = Database(paths.database_file)
    if not defer_database:
        database.start()
    from printers.service import PrintersService

    printers = PrintersService(_LazyPrinterStore(database.sessions))  # type: ignore[arg-type]
    # Jobs left active by a crashed run become interrupted, as soon as the
    # database is open (on the database thread).
    database.on_ready(printers.recover)
    # Job durations (heating, printing, paused) are measured as jobs run,
    # from the first job on; the history service stores them once built.
    from history.recorder import DurationRecorder

    recorder = DurationRecorder()
    printers.subscribe(recorder)
    services = Services(
        recorder=recorder,
        paths=paths,
        settings=settings,
        ring=ring,
        notifier=notifier,
        errors=errors,
        database=database,
        printers=printers,
    )
    # Reverse order at shutdown: the database closes before a temporary base
    # directory is removed.
    services.register_cleanup("base directory", paths.cleanup)
    services.register_cleanup("database", database.close)
    services.register_cleanup("printers", printers.shutdown)
    # Before the printers (cleanups run in reverse): the farm stops
    # dispatching, then its workers, then it records the queue's outcomes.
    services.register_cleanup(
        "farm", lambda: services._farm.shutdown() if services._farm else None)
    services.register_cleanup(
        "library", lambda: services._library.close() if services._library else None)
    # The outbox sender stops before the database closes; an item in flight
    # stays "sending" and goes again, with the same key, at the next start.
    services.register_cleanup(
        "reviews", lambda: services._reviews.stop() if services._reviews else None)
    # Every job that ends gets its signed receipt in the outbox (on a worker
    # thread; the reviews service is built then, not at start-up).
    from app import reviews_glue

    reviews_glue.watch_jobs(services)
    services.register_cleanup(
        "history", lambda: services._history.close() if services._history else None)
    return services
