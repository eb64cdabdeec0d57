"""The history service: the store, its two worker threads and its listeners.

- the *query* thread answers the table's pages, counts and a job's details
  (short reads, so the table never waits behind a statistic);
- the *work* thread syncs the history with ``print_jobs`` (at start-up: the
  backfill; then on every ended job, with the durations the recorder
  measured), computes statistics, exports and maintenance counters.

:meth:`HistoryService.submit` runs ``fn(store)`` on one of them and calls
``done(result, error)`` **on that thread**; listeners get
:class:`HistoryChanged` on the work thread after a sync wrote rows.  The UI's
bridge re-emits both on the GUI thread.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, TypeVar

from sqlalchemy.engine import Engine

from history.recorder import DurationRecorder, Durations
from history.store import HistoryStore

log = logging.getLogger(__name__)

T = TypeVar("T")
Done = Callable[[Any, BaseException | None], None]


@dataclass(frozen=True, slots=True)
class HistoryChanged:
    job_ids: tuple[int, ...]


class HistoryService:
    """See the module docstring."""

    def __init__(self, engine: Engine, recorder: DurationRecorder | None = None) -> None:
        self.engine = engine
        self.store = HistoryStore(engine)
        self._query = ThreadPoolExecutor(1, thread_name_prefix="history-query")
        self._work = ThreadPoolExecutor(1, thread_name_prefix="history-work")
        self._listeners: list[Callable[[HistoryChanged], None]] = []
        self._guard = threading.Lock()
        self._closed = False
        self._recorder = recorder
        if recorder is not None:
            kept = recorder.set_sink(self._job_ended)
            for d in kept:
                self._job_ended(d)
        self.sync()  # the backfill, and whatever happened while the app was closed

    def subscribe(self, listener: Callable[[HistoryChanged], None]) -> None:
        self._listeners.append(listener)

    def unsubscribe(self, listener: Callable[[HistoryChanged], None]) -> None:
        if listener in self._listeners:
            self._listeners.remove(listener)

    def submit(self, fn: Callable[[HistoryStore], T], done: Done | None = None, *,
               heavy: bool = True) -> Future[T] | None:
        """Run ``fn(store)`` on the work thread (``heavy``) or the query thread."""
        with self._guard:
            if self._closed:
                return None
            pool = self._work if heavy else self._query

            def job() -> T:
                try:
                    result = fn(self.store)
                except BaseException as exc:
                    if done is not None:
                        done(None, exc)
                    raise
                if done is not None:
                    done(result, None)
                return result

            return pool.submit(job)

    def sync(self, job_ids: list[int] | None = None,
             durations: dict[int, Durations] | None = None) -> Future[list[int]] | None:
        def run(store: HistoryStore) -> list[int]:
            written = store.sync(job_ids, durations)
            if written:
                self._emit(HistoryChanged(tuple(written)))
            return written

        def done(_result: object, error: BaseException | None) -> None:
            if error is not None:
                log.error("history sync failed: %s", error)

        return self.submit(run, done)

    def _job_ended(self, d: Durations) -> None:  # on a connection's I/O thread
        self.sync([d.job_id], {d.job_id: d})

    def _emit(self, event: HistoryChanged) -> None:
        for listener in list(self._listeners):
            try:
                listener(event)
            except Exception:
                log.exception("history listener failed")

    def close(self) -> None:
        with self._guard:
            if self._closed:
                return
            self._closed = True
        if self._recorder is not None:
            self._recorder.set_sink(None)
        self._query.shutdown(wait=True, cancel_futures=True)
        self._work.shutdown(wait=True, cancel_futures=True)
