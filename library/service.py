"""The library service: the catalogue, the store and the importer behind
one object that the CLI and the window share.

Threads: imports run on the service's own import thread (which drives the
worker processes); queries asked for with :meth:`LibraryService.submit` run
on its query thread.  Listeners are called on those threads; the UI's
bridge re-emits on the GUI thread.  :meth:`close` cancels and joins both.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from sqlalchemy.engine import Connection, Engine

from library import catalog, duplicates, search
from library.importer import Importer, ImportReport, Progress
from library.safety import DEFAULT_LIMITS, Limits
from library.store import Store

log = logging.getLogger(__name__)
T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class ImportStarted:
    job_id: int


@dataclass(frozen=True, slots=True)
class ImportFinished:
    report: ImportReport


@dataclass(frozen=True, slots=True)
class LibraryChanged:
    model_ids: tuple[int, ...] = ()   # empty: anything may have changed


Event = ImportStarted | Progress | ImportFinished | LibraryChanged


class LibraryService:
    def __init__(self, engine: Engine, store_dir: Path, *, workers: int = 2,
                 limits: Limits = DEFAULT_LIMITS) -> None:
        self.engine = engine
        self.store = Store(store_dir)
        self.importer = Importer(engine, self.store, workers=workers, limits=limits)
        self._listeners: list[Callable[[Event], None]] = []
        self._imports = ThreadPoolExecutor(1, thread_name_prefix="library-import")
        self._queries = ThreadPoolExecutor(1, thread_name_prefix="library-query")
        self._lock = threading.Lock()
        self._closed = False

    # -- events --------------------------------------------------------
    def subscribe(self, listener: Callable[[Event], None]) -> None:
        with self._lock:
            self._listeners.append(listener)

    def unsubscribe(self, listener: Callable[[Event], None]) -> None:
        with self._lock:
            if listener in self._listeners:
                self._listeners.remove(listener)

    def _emit(self, event: Event) -> None:
        with self._lock:
            listeners = list(self._listeners)
        for fn in listeners:
            try:
                fn(event)
            except Exception:
                log.exception("library listener failed")

    # -- imports -------------------------------------------------------
    def import_paths(self, paths: Sequence[Path]) -> Future[ImportReport]:
        """Plan and run an import in the background."""
        return self._imports.submit(self._run_import, None, list(paths))

    def resume_unfinished(self) -> list[Future[ImportReport]]:
        return [self._imports.submit(self._run_import, job, [])
                for job in self.importer.unfinished_jobs()]

    def cancel_import(self) -> None:
        self.importer.cancel()

    def _run_import(self, job: int | None, paths: list[Path]) -> ImportReport:
        if job is None:
            job = self.importer.plan(paths)
        self._emit(ImportStarted(job))
        report = self.importer.run(job, self._emit)
        self._emit(ImportFinished(report))
        self._emit(LibraryChanged())
        return report

    # -- queries (call from any thread; submit() runs them off the caller) --
    def submit(self, fn: Callable[[], T]) -> Future[T]:
        return self._queries.submit(fn)

    def read(self, fn: Callable[[Connection], T]) -> T:
        with self.engine.connect() as conn:
            return fn(conn)

    def write(self, fn: Callable[[Connection], T], changed: Sequence[int] = ()) -> T:
        with self.engine.begin() as conn:
            out = fn(conn)
        self._emit(LibraryChanged(tuple(changed)))
        return out

    def search(self, q: search.Query, limit: int = 200, offset: int = 0) -> list[int]:
        return self.read(lambda c: search.search(c, q, limit, offset))

    def rows(self, ids: list[int]) -> dict[int, dict[str, Any]]:
        return self.read(lambda c: search.rows(c, ids))

    def detail(self, model_id: int) -> catalog.ModelDetail:
        return self.read(lambda c: catalog.detail(c, model_id))

    def update(self, model_id: int, fields: dict[str, Any], tags: list[str] | None = None,
               collections: list[str] | None = None) -> None:
        def do(c: Connection) -> None:
            if fields:
                catalog.update_model(c, model_id, **fields)
            if tags is not None:
                catalog.set_tags(c, model_id, tags)
            if collections is not None:
                catalog.set_collections(c, model_id, collections)
        self.write(do, [model_id])

    def duplicate_groups(self) -> list[list[int]]:
        return self.read(duplicates.groups)

    def merge(self, keep: int, other: int) -> None:
        self.write(lambda c: duplicates.merge(c, keep, other), [keep, other])

    def record_print(self, model_id: int, success: bool) -> None:
        self.write(lambda c: catalog.record_print(c, model_id, success), [model_id])

    def thumbnail_path(self, blob_hash: str | None) -> Path | None:
        if not blob_hash:
            return None
        p = self.store.thumb_path(blob_hash)
        return p if p.exists() else None

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        self.importer.cancel()
        self._imports.shutdown(wait=True, cancel_futures=True)
        self._queries.shutdown(wait=True, cancel_futures=True)
