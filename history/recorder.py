"""Durations recorded as jobs run: time spent heating, printing and paused.

A :class:`DurationRecorder` listens to the printers service (its events come
on each connection's I/O thread) and watches every job's state in the status
snapshots it publishes (on each state change at once, and at least every
0.2 s).  When a job ends, its durations are handed to ``on_ended`` (set by
the history service once it exists; until then they are kept).  Light on
purpose: no database, no SQLAlchemy, so it can subscribe at start-up.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from printers.connection import JobEnded, StatusChanged
from printers.jobs import JobSnapshot, JobState

log = logging.getLogger(__name__)

_BUCKET = {
    JobState.HEATING: "heating",
    JobState.PRINTING: "printing",
    JobState.CANCELLING: "printing",
    JobState.PAUSED: "paused",
}


@dataclass(frozen=True, slots=True)
class Durations:
    job_id: int
    heating_s: float
    printing_s: float
    paused_s: float


class _Track:
    __slots__ = ("since", "state", "totals")

    def __init__(self, state: JobState, now: float) -> None:
        self.state = state
        self.since = now
        self.totals = {"heating": 0.0, "printing": 0.0, "paused": 0.0}

    def move(self, state: JobState, now: float) -> None:
        bucket = _BUCKET.get(self.state)
        if bucket is not None:
            self.totals[bucket] += max(0.0, now - self.since)
        self.state, self.since = state, now


class DurationRecorder:
    """See the module docstring.  ``clock`` is monotonic seconds."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._tracks: dict[int, _Track] = {}
        self._finished: dict[int, Durations] = {}
        self._guard = threading.Lock()
        self._on_ended: Callable[[Durations], None] | None = None

    def set_sink(self, on_ended: Callable[[Durations], None] | None) -> list[Durations]:
        """Deliver ended jobs' durations to ``on_ended`` from now on; returns
        those that ended before (for the caller to store)."""
        with self._guard:
            self._on_ended = on_ended
            kept, self._finished = list(self._finished.values()), {}
        return kept

    def __call__(self, event: object) -> None:
        """The printers-service listener (any thread)."""
        if isinstance(event, StatusChanged) and event.status.job is not None:
            self.observe(event.status.job)
        elif isinstance(event, JobEnded):
            self.observe(event.job)

    def observe(self, snap: JobSnapshot) -> None:
        if snap.id <= 0:
            return  # a job not in the database
        now = self._clock()
        done: Durations | None = None
        with self._guard:
            track = self._tracks.get(snap.id)
            if track is None:
                if snap.state.ended:
                    return
                self._tracks[snap.id] = _Track(snap.state, now)
                return
            if snap.state is not track.state:
                track.move(snap.state, now)
            if snap.state.ended:
                del self._tracks[snap.id]
                done = Durations(snap.id, track.totals["heating"], track.totals["printing"],
                                 track.totals["paused"])
                sink = self._on_ended
                if sink is None:
                    self._finished[snap.id] = done
        if done is not None and sink is not None:
            try:
                sink(done)
            except Exception:
                log.exception("storing the durations of job %d failed", snap.id)
